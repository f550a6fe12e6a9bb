#!/usr/bin/env bash
# Queue depth (mmi.services, zlb-ctl, /metrics) rises while every worker is
# frozen (SIGSTOP) and drains when they resume; nothing is lost.
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"

# A long liveness so the frozen workers are not expired during the test.
start_broker --liveness 100 --metrics tcp://127.0.0.1:0
start_worker w1
start_worker w2
url=$(grep -o 'url=http://[^ ]*' "$BROKER_LOG" | head -n 1 | cut -d= -f2)

step "freeze both workers, send 12 requests 12 at a time"
kill -STOP "${T_PID[worker-w1]}" "${T_PID[worker-w2]}"
start_client c1 --count 12 --pipeline 12 --timeout-ms 20000 --retries 0
client=$LAST_PID
# Each frozen worker holds one request; the other 10 wait in the queue.
wait_for 5 service_field_is echo queued 10 \
    || fail "queue depth is $(ctl_service_field echo queued), expected 10"
step "queued=10; workers busy=$(ctl_service_field echo busy)"
[ "$(ctl_service_field echo busy)" = 2 ] || fail "both workers should be busy"
sleep 0.3
oldest=$(ctl_json services | jq '.services[] | select(.service == "echo") | .oldest_s * 1000 | floor')
[ "$oldest" -ge 250 ] || fail "oldest waiting request is ${oldest} ms old, expected >= 250"
ctl_json workers | jq -e 'all(.workers[]; .state == "busy" and .inflight_s >= 0.25)' >/dev/null \
    || fail "frozen workers should be busy with an old request: $(ctl_json workers)"
if command -v curl >/dev/null && [ -n "$url" ]; then
    curl -s -m 3 "$url" | grep -q '^zlb_service_queue_depth{service="echo"} 10$' \
        || fail "/metrics does not show queue depth 10"
fi

step "resume: the queue drains and the client gets all 12"
kill -CONT "${T_PID[worker-w1]}" "${T_PID[worker-w2]}"
wait_exit "$client" 10 || fail "client still waiting 10 s after the workers resumed"
[ "$EXIT_RC" = 0 ] || fail "client exit $EXIT_RC"
[ "$(client_ok_count "$T_DIR/c1.out")" = 12 ] || fail "not 12 ok replies"
wait_for 2 service_field_is echo queued 0 || fail "queue did not drain"
[ "$(ctl_service_field echo replies)" = 12 ] || fail "mmi.services replies is not 12"
pass
