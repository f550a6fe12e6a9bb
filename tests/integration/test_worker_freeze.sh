#!/usr/bin/env bash
# A worker frozen with SIGSTOP while holding a request is expired for its
# silence and its request redelivered; after SIGCONT it comes back and
# registers again. (The time to expiry is reported, not checked.)
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker frozen --work-us 1500000
start_client client --service echo --timeout-ms 8000 --retries 0 freeze-me
client=$LAST_PID
wait_for 3 worker_saw_request frozen || fail "frozen never received the request"
start_worker thawed
step "SIGSTOP frozen mid-request"
stopped_us=$(now_us)
kill -STOP "${T_PID[worker-frozen]}"
wait_for 10 broker_saw_expiry frozen || fail "frozen not expired 10 s after SIGSTOP"
step "expired after $(( ($(now_us) - stopped_us) / 1000 )) ms (liveness x interval = $(( LIVENESS * HB_MS )) ms)"

wait_exit "$client" 5 || fail "client still waiting after the expiry"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC"
[ "$(client_served_by "$T_DIR/client.out" thawed)" -eq 1 ] || fail "request not redelivered to thawed"
[ "$(broker_redeliveries)" -ge 1 ] || fail "broker did not log a redelivery"

step "SIGCONT frozen: it must register again"
readies=$(broker_ready_count frozen)
kill -CONT "${T_PID[worker-frozen]}"
wait_for 8 eval "[ \$(broker_ready_count frozen) -gt $readies ]" \
    || fail "frozen did not re-register after SIGCONT"
assert_alive "${T_PID[worker-frozen]}" "worker frozen"
assert_alive "$BROKER_PID" broker
pass
