#!/usr/bin/env bash
# Endpoint lists the clients must handle: a duplicate --connect is refused
# with a clear message (exit 2); an unreachable broker among good ones costs
# retries, never requests; all brokers down: every request fails after its
# retries with a clear error (exit 1), nothing hangs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-stress

step "the same endpoint twice"
nowhere="ipc://$T_DIR/nowhere.ipc"
for program in zlb-client zlb-stress; do
    "$ZLB_BIN/$program" --connect "$nowhere" --connect "$nowhere" >"$T_DIR/dup.out" \
        2>"$T_DIR/dup.err" </dev/null
    rc=$?
    [ "$rc" = 2 ] || fail "$program with a duplicate --connect: exit $rc, expected 2"
    grep -q -- "--connect: '$nowhere' given twice" "$T_DIR/dup.err" \
        || fail "$program did not say which endpoint was given twice: $(cat "$T_DIR/dup.err")"
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

step "every broker down"
scaled_args --timeout-ms 100
spawn down "$ZLB_BIN/zlb-client" --connect "$nowhere" --connect "ipc://$T_DIR/nowhere-2.ipc" \
    --count 2 --retries 2 "${SCALED[@]}" --log "$CLIENT_LOG" --quiet
wait_exit "$LAST_PID" 30 || fail "client with every broker down still running"
[ "$EXIT_RC" = 1 ] || fail "client with every broker down: exit $EXIT_RC, expected 1"
grep -q "2 of 2 requests failed" "$T_DIR/down.err" || fail "no clear error: $(cat "$T_DIR/down.err")"
pass
