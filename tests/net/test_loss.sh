#!/usr/bin/env bash
# Random frame loss on one worker host's link (PCT % each way, default 5):
# TCP retransmits hide it, so every request still succeeds; the cost is
# latency. Prints the slowest request (the time to recover from a loss).
# Usage: test_loss.sh [PCT]
PCT=${1:-5}
T_SUFFIX="_${PCT}pct"
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
net_up
start_broker
start_worker w1
start_worker w2
start_worker w3
net_loss w1 "$PCT"
step "w1's link loses $PCT% of frames each way; stress at $RATE req/s for 10 s"
start_stress 10 "$RATE" --timeout-ms 1000 --retries 5
wait_stress 40

served=$(sj '.per_worker.w1 // 0')
[ "$served" -gt 0 ] || fail "w1 served nothing through its lossy link"
step "w1 served $served of $(sj .ok); rtt p50 $(sj .rtt_us.p50) us, p99 $(sj .rtt_us.p99) us, p99.9 $(sj .rtt_us.p999) us"
step "broker: worker_expired=$(broker_events worker_expired) request_redeliver=$(broker_events request_redeliver); client retries=$(sj .retries) duplicates=$(sj .duplicates)"
step "recovery: the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms (loss $PCT% each way)"
pass
