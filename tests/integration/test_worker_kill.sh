#!/usr/bin/env bash
# A worker killed with SIGKILL in the middle of a request: the broker
# expires it and redelivers the request, and the client still gets its
# reply, from another worker, without having to retry.
# (Killed processes make bash print "Killed" on stderr: expected.)
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker victim --work-us 3000000
step "one request to the slow worker (3 s of work)"
start_client client --service echo --timeout-ms 8000 --retries 0 payload-1
client=$LAST_PID
wait_for 3 worker_saw_request victim || fail "victim never received the request"
start_worker rescuer
step "SIGKILL victim mid-request"
killed_us=$(now_us)
kill -KILL "${T_PID[worker-victim]}"

wait_exit "$client" 8 || fail "client still waiting 8 s after the kill"
took_ms=$(( ($(now_us) - killed_us) / 1000 ))
step "client done ${took_ms} ms after the kill, exit $EXIT_RC"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC, expected 0"
[ "$(client_ok_count "$T_DIR/client.out")" -eq 1 ] || fail "no 200 reply"
[ "$(client_served_by "$T_DIR/client.out" rescuer)" -eq 1 ] || fail "reply not from rescuer"
# The victim is dead, so the reply from the rescuer is the redelivery;
# how long it took (expiry: liveness x heartbeat) is reported above.
# Gone by expiry (silence) or at once (the broker's send to it failed).
wait_for 2 broker_saw_gone victim || fail "broker did not log the victim as expired or gone"
[ "$(broker_redeliveries)" -ge 1 ] || fail "broker did not log a redelivery"
assert_alive "$BROKER_PID" broker
pass
