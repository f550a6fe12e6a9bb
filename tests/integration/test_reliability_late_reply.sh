#!/usr/bin/env bash
# A worker frozen (SIGSTOP) mid-request past its expiry, then resumed:
# its request is redelivered and answered by another worker; its late
# reply, sent when it wakes up, is dropped by the broker (it is no longer
# a registered worker), so the client gets exactly one reply; and the
# woken worker registers again and serves. Then the same under zlb-stress
# load: nothing lost, no timeouts.  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_broker
# Long enough that the freeze lands mid-request even on a slow machine; the
# second worker starts only once frozen is stopped, so it cannot answer first.
start_worker frozen --work-us $((2000000 * T_SCALE))
start_client client --service echo --timeout-ms $((8000 * T_SCALE)) --retries 0 late-reply
client=$LAST_PID
wait_for 3 worker_saw_request frozen || fail "frozen never received the request"
kill -STOP "${T_PID[worker-frozen]}"
stopped_us=$(now_us)
start_worker thawed
wait_exit "$client" $((8 * T_SCALE)) || fail "client still waiting after the freeze"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC"
[ "$(client_served_by "$T_DIR/client.out" thawed)" -eq 1 ] || fail "request not redelivered to thawed"
step "expired after $(first_after "$stopped_us" "worker_(expired|leave) .*worker=frozen#1" "$BROKER_LOG") ms"
sleep 0.5                           # frozen well past liveness x interval

step "SIGCONT: frozen finishes its request and sends the late reply"
kill -CONT "${T_PID[worker-frozen]}"
# It replies, or, if the broker's DISCONNECT made it reconnect first, drops
# the reply (the request was redelivered on the old connection).
wait_for 5 eval "grep -Eq 'worker\[frozen\] (request_served|reply_dropped)' '$SERVER_LOG'" \
    || fail "frozen never finished its request"
wait_for 5 eval "[ \$(broker_ready_count frozen) -ge 2 ]" || fail "frozen did not register again"
# The late reply either reaches the broker, which refuses it (frozen#1 is
# no longer registered), or never leaves: the DISCONNECT queued for the
# frozen worker closes its old socket (linger 0) right after it replies.
if grep -q "worker_protocol_error peer=frozen#1[.][0-9a-f]* reason=\"REPLY from a worker holding no request\"" \
    "$BROKER_LOG"; then
    step "late reply reached the broker and was refused"
else
    step "late reply never left the frozen worker's old socket"
fi
replies=$(grep -Ec " reply worker=" "$BROKER_LOG")
late=$(grep -Ec " reply worker=frozen#" "$BROKER_LOG")
[ "$replies" -eq 1 ] && [ "$late" -eq 0 ] \
    || fail "broker forwarded $replies replies ($late from frozen), expected exactly 1"
[ "$(grep -Ec '^id=' "$T_DIR/client.out")" -eq 1 ] || fail "client printed more than one result"

step "under load: freeze a busy worker until it is expired while zlb-stress runs"
start_worker w-slow --work-us 30000
spawn stress "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --rate 200 --clients 4 --threads 1 \
    --duration 4s --timeout-ms $((1000 * T_SCALE)) --retries 5 --json "$T_DIR/load.json"
stress=$LAST_PID
sleep 1
wait_for 1 eval "grep -E '(request_routed|reply) .*worker=w-slow#' '$BROKER_LOG' | tail -n 1 | grep -q routed"
joins=$(broker_ready_count w-slow)
kill -STOP "${T_PID[worker-w-slow]}"
wait_for 10 broker_saw_expiry w-slow || fail "w-slow not expired while frozen"
kill -CONT "${T_PID[worker-w-slow]}"
wait_for 5 eval "[ \$(broker_ready_count w-slow) -gt $joins ]" || fail "w-slow did not register again"
wait_exit "$stress" 20 || fail "zlb-stress still running"
J=$T_DIR/load.json
step "$(jq -c '{sent,ok,errors,timeouts,lost,retries,duplicates,per_worker}' "$J")"
jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0 and .errors == 0' "$J" >/dev/null \
    || fail "requests failed under the freeze"
jq -e '.per_worker["w-slow"] > 0' "$J" >/dev/null || fail "w-slow never served"
assert_alive "$BROKER_PID" broker
pass
