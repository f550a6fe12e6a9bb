#!/usr/bin/env bash
# A worker stopped with SIGTERM finishes the request it holds, sends
# DISCONNECT and exits 0; the broker logs it leaving and redelivers nothing.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

# Expiry is not under test here; a long silence window keeps a worker that
# a loaded machine (valgrind) slows between its reply and its DISCONNECT
# from being expired instead of leaving.
CALM=(--liveness 30)
start_broker "${CALM[@]}"
start_worker drainer --work-us 800000 "${CALM[@]}"
start_client client --service echo --timeout-ms 5000 --retries 0 drain-me
client=$LAST_PID
wait_for 3 worker_saw_request drainer || fail "drainer never received the request"
step "SIGTERM drainer while it works"
kill -TERM "${T_PID[worker-drainer]}"
wait_exit "${T_PID[worker-drainer]}" 5 || fail "drainer did not exit within 5 s of SIGTERM"
[ "$EXIT_RC" = 0 ] || fail "drainer exit code $EXIT_RC, expected 0"
wait_exit "$client" 5 || fail "client still waiting"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC: the drained request was not answered"
[ "$(client_served_by "$T_DIR/client.out" drainer)" -eq 1 ] || fail "reply not from drainer"
wait_for 2 broker_saw_leave drainer || fail "broker did not log drainer leaving"
broker_saw_expiry drainer && fail "drainer was expired instead of leaving cleanly"
[ "$(broker_redeliveries)" -eq 0 ] || fail "a request was redelivered after a clean drain"

step "SIGTERM an idle worker: leaves at once"
start_worker idler "${CALM[@]}"
stop "${T_PID[worker-idler]}" TERM 3
[ "$EXIT_RC" = 0 ] || fail "idle worker exit code $EXIT_RC"
wait_for 2 broker_saw_leave idler || fail "broker did not log idler leaving"
assert_alive "$BROKER_PID" broker
pass
