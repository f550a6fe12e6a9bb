#!/usr/bin/env bash
# Endpoint lists the clients and workers must handle: a duplicate --connect
# is refused with a clear message (exit 2), and so are more than 16; an
# unreachable broker among good ones costs a client retries, never
# requests, and a worker serves the good ones meanwhile; all brokers down:
# every request fails after its retries with a clear error (exit 1), and a
# worker keeps trying them and still leaves at once on SIGTERM (exit 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-stress

step "the same endpoint twice"
nowhere="ipc://$T_DIR/nowhere.ipc"
for program in zlb-client zlb-stress zlb-worker; do
    "$ZLB_BIN/$program" --connect "$nowhere" --connect "$nowhere" >"$T_DIR/dup.out" \
        2>"$T_DIR/dup.err" </dev/null
    rc=$?
    [ "$rc" = 2 ] || fail "$program with a duplicate --connect: exit $rc, expected 2"
    grep -q -- "--connect: '$nowhere' given twice" "$T_DIR/dup.err" \
        || fail "$program did not say which endpoint was given twice: $(cat "$T_DIR/dup.err")"
done

step "more than 16 endpoints"
many=()
for index in $(seq 1 17); do many+=(--connect "ipc://$T_DIR/many-$index.ipc"); done
for program in zlb-client zlb-stress zlb-worker; do
    "$ZLB_BIN/$program" "${many[@]}" >"$T_DIR/many.out" 2>"$T_DIR/many.err" </dev/null
    rc=$?
    [ "$rc" = 2 ] || fail "$program with 17 --connect: exit $rc, expected 2"
    grep -q -- "--connect" "$T_DIR/many.err" \
        || fail "$program did not say what was wrong: $(cat "$T_DIR/many.err")"
done

step "an unreachable broker among good ones"
start_cluster_broker good
start_cluster_worker good g1
scaled_args --timeout-ms 200
spawn mixed "$ZLB_BIN/zlb-client" --connect "$nowhere" --connect "${CB_EP[good]}" \
    --connect "ipc://$T_DIR/nowhere-2.ipc" --count 30 --pipeline 3 --retries 3 "${SCALED[@]}" \
    --log "$CLIENT_LOG" --quiet
wait_exit "$LAST_PID" 30 || fail "client with an unreachable broker still running"
[ "$EXIT_RC" = 0 ] || fail "client with an unreachable broker: exit $EXIT_RC"
grep -q "summary: requests=30 ok=30 " "$T_DIR/mixed.out" || fail "not every request succeeded"
# A worker given the same unreachable brokers around the good one serves it.
stop "${T_PID[worker-g1]}"
spawn worker-g2 "$ZLB_BIN/zlb-worker" --connect "$nowhere" --connect "${CB_EP[good]}" \
    --connect "ipc://$T_DIR/nowhere-2.ipc" --id g2 "${HB[@]}" --log "$SERVER_LOG"
wait_for 5 cluster_broker_saw_worker good g2 || fail "worker g2 never registered with the good broker"
run_client g2 30 --connect "${CB_EP[good]}" --count 10
[ "$EXIT_RC" = 0 ] || fail "requests to the worker among unreachable brokers failed"
[ "$(client_served_by "$T_DIR/g2.out" g2)" = 10 ] || fail "worker g2 did not answer all 10"

step "every broker down"
scaled_args --timeout-ms 100
spawn down "$ZLB_BIN/zlb-client" --connect "$nowhere" --connect "ipc://$T_DIR/nowhere-2.ipc" \
    --count 2 --retries 2 "${SCALED[@]}" --log "$CLIENT_LOG" --quiet
wait_exit "$LAST_PID" 30 || fail "client with every broker down still running"
[ "$EXIT_RC" = 1 ] || fail "client with every broker down: exit $EXIT_RC, expected 1"
grep -q "2 of 2 requests failed" "$T_DIR/down.err" || fail "no clear error: $(cat "$T_DIR/down.err")"
spawn lonely "$ZLB_BIN/zlb-worker" --connect "$nowhere" --connect "ipc://$T_DIR/nowhere-2.ipc" \
    --id lonely "${HB[@]}" --log "$T_DIR/lonely.log"
lonely_retried () { [ "$(grep -c "broker_silent " "$T_DIR/lonely.log" 2>/dev/null)" -ge 4 ]; }
wait_for 10 lonely_retried || fail "a worker with every broker down did not keep trying both"
kill -TERM "$LAST_PID"
wait_exit "$LAST_PID" 5 || fail "a worker with every broker down did not leave on SIGTERM"
[ "$EXIT_RC" = 0 ] || fail "a worker with every broker down exited $EXIT_RC on SIGTERM"
pass
