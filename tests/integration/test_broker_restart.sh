#!/usr/bin/env bash
# The broker is killed (SIGKILL) and started again on the same endpoint
# under a waiting client and a busy worker: the worker reconnects and
# registers again, the client's retries reach the new broker, and the
# request completes.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker steady --work-us 400000
step "request to the worker (400 ms of work), then kill the broker under it"
start_client client --service echo --timeout-ms 500 --retries 20 survive-restart
client=$LAST_PID
wait_for 3 worker_saw_request steady || fail "worker never received the request"
kill -KILL "$BROKER_PID"
wait_exit "$BROKER_PID" 2
old_readies=$(broker_ready_count steady)
# Stay down long enough for the worker to notice (liveness x interval).
wait_for 3 eval "grep -Eqi 'silent|lost|reconnect' '$SERVER_LOG'" || \
    step "(worker did not log the broker as lost; restarting anyway)"
step "restart the broker on the same endpoint"
start_broker
wait_for 10 eval "[ \$(broker_ready_count steady) -gt $old_readies ]" \
    || fail "worker did not register with the new broker"
wait_exit "$client" 15 || fail "client still waiting 15 s after the restart"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC, expected 0"
[ "$(client_served_by "$T_DIR/client.out" steady)" -eq 1 ] || fail "reply not from steady"
assert_alive "${T_PID[worker-steady]}" "worker steady"

step "and a fresh request through the new broker"
run_client after 10 --service echo --timeout-ms 2000 --retries 1 after-restart
[ "$EXIT_RC" = 0 ] || fail "request after restart failed: exit $EXIT_RC"
pass
