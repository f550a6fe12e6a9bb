#!/usr/bin/env bash
# Memory under a flood: clients send 4 KiB requests far faster than the one
# worker serves them (open loop 4000 req/s, 8000 in flight, worker 1 ms a
# request), twice, 3 s each. The queue holds --max-queue 2000 requests; the
# rest are answered 503 at once; queued requests wait at most 1.5 s (then
# 504). Unread requests also wait in libzmq's inbound pipes, at most
# RCVHWM (1000) per client. The broker's peak RSS (VmHWM in /proc/PID/status)
# must stay below the bound docs/reliability.md states:
#   baseline + (max_queue + clients x 1000) x (body + 1 KiB) + 8 MiB
# and the second flood must not raise it by more than 25 % of the first
# one's growth (no creeping growth). Nothing lost, no timeouts.  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"
[ ${#WRAP[@]} -eq 0 ] || { echo "SKIP: memory figures mean nothing under ${WRAP[0]}"; exit 0; }

MAX_QUEUE=2000
SIZE=4096
start_broker --max-queue "$MAX_QUEUE" --request-timeout-ms 1500 --log-level info
start_worker one --work-us 1000
base=$(vm_kb "$BROKER_PID" VmRSS)
step "baseline VmRSS ${base} KiB"
CLIENTS=8
RCVHWM=1000
bound=$(( base + (MAX_QUEUE + CLIENTS * RCVHWM) * (SIZE + 1024) / 1024 + 8 * 1024 ))

flood () {          # NAME: one flood; peak RSS sampled every 50 ms -> PEAK
    local name=$1 rss
    spawn "$name" "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --rate 4000 --clients "$CLIENTS" \
        --threads 1 --pipeline 1000 --size "$SIZE" --duration 3s --timeout-ms 5000 \
        --retries 0 --json "$T_DIR/$name.json"
    local pid=$LAST_PID
    PEAK=0
    while alive "$pid"; do
        rss=$(vm_kb "$BROKER_PID" VmRSS)
        [ -n "$rss" ] && [ "$rss" -gt "$PEAK" ] && PEAK=$rss
        sleep 0.05
    done
    wait_exit "$pid" 1
    jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0' "$T_DIR/$name.json" >/dev/null \
        || fail "$name: $(jq -c '{lost,timeouts,mismatched}' "$T_DIR/$name.json")"
    step "$name: $(jq -c '{sent,ok,errors_by_status}' "$T_DIR/$name.json") peak VmRSS ${PEAK} KiB," \
         "VmHWM $(vm_kb "$BROKER_PID" VmHWM) KiB"
}

flood flood1
hwm1=$(vm_kb "$BROKER_PID" VmHWM)
flood flood2
hwm2=$(vm_kb "$BROKER_PID" VmHWM)
step "VmHWM after flood 1: ${hwm1} KiB, after flood 2: ${hwm2} KiB; bound ${bound} KiB"
jq -e '.errors_by_status["503"] > 0' "$T_DIR/flood1.json" >/dev/null \
    || fail "the flood never filled the queue (no 503)"
[ "$hwm2" -le "$bound" ] || fail "broker peak RSS ${hwm2} KiB above the bound ${bound} KiB"
[ $(( hwm2 - hwm1 )) -le $(( (hwm1 - base) / 4 + 1024 )) ] \
    || fail "second flood raised the peak from ${hwm1} to ${hwm2} KiB"
assert_alive "$BROKER_PID" broker
pass
