#!/usr/bin/env bash
# Backpressure: a flood (32 requests in flight) at a broker whose queue
# holds 4 and whose one worker takes 20 ms a request. Past the queue every
# request is answered "busy" (503); nothing is lost, nothing times out,
# and the broker's counters account for every request it received:
# requests accepted + busy = requests sent (+ resends). Then "at once",
# without a clock: with the worker frozen (SIGSTOP) and the queue full, a
# further request is answered 503 while nothing can have left the queue.
# (How fast a busy answer comes is measured by bench/busy.sh.) Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_broker --max-queue 4 --log-level info
start_worker slow --work-us 20000
step "flood: 8 clients x pipeline 4, closed loop, 2 s"
run_stress flood 30 --clients 8 --threads 1 --pipeline 4 --duration 2s --timeout-ms 3000 \
    --retries 2 --json "$T_DIR/flood.json" --log "$T_DIR/stress.log" --log-level debug
J=$T_DIR/flood.json
[ -s "$J" ] || fail "no JSON (zlb-stress exit $EXIT_RC)"
step "$(jq -c '{sent,ok,errors,timeouts,lost,retries,errors_by_status}' "$J")"
jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0' "$J" >/dev/null \
    || fail "lost, timed out or mismatched: $(jq -c '{lost,timeouts,mismatched}' "$J")"
jq -e '.errors_by_status["503"] > 0 and .ok > 0' "$J" >/dev/null || fail "expected both 200 and 503"
jq -e '.errors == .errors_by_status["503"]' "$J" >/dev/null || fail "errors other than 503"
busy_max_us=$(awk '/ result .*status=503 / { for (i = 1; i <= NF; i++) if ($i ~ /^rtt_us=/) {
    v = substr($i, 8) + 0; if (v > m) m = v } } END { printf "%d", m }' "$T_DIR/stress.log")
step "slowest 503 answer: ${busy_max_us} us (reported, not checked: bench/busy.sh)"

stop "$BROKER_PID" TERM 5
requests=$(summary_field requests); busy=$(summary_field busy)
sent=$(jq .sent "$J"); retries=$(jq .retries "$J")
step "broker: requests=$requests busy=$busy; stress: sent=$sent retries=$retries"
[ $((requests + busy)) -eq $((sent + retries)) ] \
    || fail "broker saw $((requests + busy)) requests, stress sent $((sent + retries))"
[ "$busy" -eq "$(jq '.errors_by_status["503"]' "$J")" ] || fail "broker busy != client 503s"

step "at once: worker frozen, 1 request in it + 4 queued, the 6th is answered 503"
stop "${T_PID[worker-slow]}"
start_broker --max-queue 4 --liveness 1000 --log-level info   # frozen is not expired
start_worker still
kill -STOP "${T_PID[worker-still]}"
start_client full --service echo --count 6 --pipeline 6 --timeout-ms 60000 --retries 0
full=$LAST_PID
wait_for 30 eval "grep -Eq '^id=[0-9]+ status=503 ' '$T_DIR/full.out'" \
    || fail "no 503 while the queue was full"
alive "$full" || fail "client finished: the worker cannot have served while frozen"
[ "$(client_ok_count "$T_DIR/full.out")" -eq 0 ] || fail "an ok reply from a frozen worker"
kill -CONT "${T_PID[worker-still]}"
wait_exit "$full" 30 || fail "client still running after the worker resumed"
[ "$(client_ok_count "$T_DIR/full.out")" -eq 5 ] || fail "the 5 accepted requests were not all served"
pass
