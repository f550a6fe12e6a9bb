#!/usr/bin/env bash
# Backpressure: a flood (32 requests in flight) at a broker whose queue
# holds 4 and whose one worker takes 20 ms a request. Past the queue every
# request is answered "busy" (503) at once; nothing is lost, nothing times
# out, and the broker's counters account for every request it received:
# requests accepted + busy = requests sent (+ resends).  Needs jq.
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
# "at once": the slowest busy answer, from the debug log of every result.
busy_max_us=$(awk '/ result .*status=503 / { for (i = 1; i <= NF; i++) if ($i ~ /^rtt_us=/) {
    v = substr($i, 8) + 0; if (v > m) m = v } } END { printf "%d", m }' "$T_DIR/stress.log")
step "slowest 503 answer: ${busy_max_us} us"
[ "$busy_max_us" -lt 100000 ] || fail "a busy answer took ${busy_max_us} us"

stop "$BROKER_PID" TERM 5
requests=$(summary_field requests); busy=$(summary_field busy)
sent=$(jq .sent "$J"); retries=$(jq .retries "$J")
step "broker: requests=$requests busy=$busy; stress: sent=$sent retries=$retries"
[ $((requests + busy)) -eq $((sent + retries)) ] \
    || fail "broker saw $((requests + busy)) requests, stress sent $((sent + retries))"
[ "$busy" -eq "$(jq '.errors_by_status["503"]' "$J")" ] || fail "broker busy != client 503s"
pass
