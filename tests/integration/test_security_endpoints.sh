#!/usr/bin/env bash
# Separate endpoints: --frontend takes clients only, --backend workers only;
# a peer speaking the wrong role is refused (worker: DISCONNECT; client:
# dropped), plain and with CURVE.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen
BACKEND="ipc://$T_DIR/backend.ipc"

# run_split EXTRA_BROKER_FLAGS... ; CLIENT_CURVE/WORKER_CURVE set by caller
run_split () {
    local tag=$1
    shift
    rm -f "$BROKER_LOG"
    spawn broker "${WRAP[@]}" "$ZLB_BIN/zlb-broker" --frontend "$ENDPOINT" --backend "$BACKEND" \
        "${HB[@]}" --log "$BROKER_LOG" --log-level debug "$@"
    BROKER_PID=$LAST_PID
    wait_for 5 test -S "$T_DIR/backend.ipc" || fail "broker did not bind the backend"
    wait_for 3 broker_log_has "security mode=.* backend=separate" || fail "no security line"

    step "worker on the backend, client on the frontend: served"
    # shellcheck disable=SC2086
    spawn "worker-$tag" "$ZLB_BIN/zlb-worker" --connect "$BACKEND" --service echo --id "back$tag" \
        "${HB[@]}" --log "$SERVER_LOG" $WORKER_CURVE
    wait_for 5 broker_saw_ready "back$tag" || fail "worker on the backend never registered"
    # shellcheck disable=SC2086
    run_client "ok$tag" 10 --timeout-ms 1000 --count 3 $CLIENT_CURVE
    [ "$EXIT_RC" = 0 ] || fail "client on the frontend failed (rc=$EXIT_RC)"

    step "worker on the frontend: refused with DISCONNECT, never registered"
    # shellcheck disable=SC2086
    spawn "wrong-$tag" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service echo --id "front$tag" \
        "${HB[@]}" --log "$SERVER_LOG" $WORKER_CURVE
    wait_for 5 broker_log_has "wrong_endpoint peer=front$tag#1[.][0-9a-f]+ .*endpoint=frontend" \
        || fail "worker command on the frontend not refused"
    broker_saw_ready "front$tag" && fail "a worker registered on the frontend"
    stop "${T_PID[wrong-$tag]}"

    step "client on the backend: refused (408), logged"
    # shellcheck disable=SC2086
    spawn "cb$tag" "$ZLB_BIN/zlb-client" --connect "$BACKEND" --timeout-ms $((300 * T_SCALE)) --retries 1 \
        --log "$CLIENT_LOG" $CLIENT_CURVE hello
    wait_exit "$LAST_PID" 10 || fail "client on the backend hung"
    [ "$EXIT_RC" = 1 ] || fail "client on the backend was served"
    broker_log_has "wrong_endpoint .*endpoint=backend reason=\"client command" \
        || fail "client command on the backend not logged"
    assert_alive "$BROKER_PID" broker
    stop "$BROKER_PID"
    [ "$EXIT_RC" = 0 ] || fail "broker exit code $EXIT_RC"
}

step "plain mode"
WORKER_CURVE="" CLIENT_CURVE=""
run_split 1
broker_log_has "security mode=plain encrypted=no" || fail "plain mode not logged"

step "CURVE mode"
make_keys
WORKER_CURVE=$(curve_flags worker) CLIENT_CURVE=$(curve_flags client)
run_split 2 "${CURVE_BROKER[@]}"
pass
