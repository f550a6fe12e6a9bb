#!/usr/bin/env bash
# The client host cut off from the broker host for 2 s (longer than the
# heartbeat expiry, so the broker's ZMTP heartbeat gives up on the client's
# connection): requests sent meanwhile and replies on their way are lost
# in the network, and the client's retries (same request id) complete
# every one of them after the heal. Replies that arrive twice (to an
# original and to its resend) are dropped by the client library and
# counted as duplicates; the caller sees each request answered once.
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
CUT_MS=2000
net_up
start_broker
start_worker w1
start_worker w2
start_worker w3
step "stress at $RATE req/s for 10 s; cut the client host from the broker host for $CUT_MS ms after 2 s"
#  Room for every request of the cut in flight: 4 streams x 256.
start_stress 10 "$RATE" --timeout-ms 500 --retries 10 --pipeline 256
sleep 2
cut_us=$(now_us)
net_cut client broker
sleep "$(awk -v ms="$CUT_MS" 'BEGIN { print ms / 1000 }')"
heal_us=$(now_us)
net_heal
step "healed after $(ms_between "$cut_us" "$heal_us") ms"
wait_for 10 stress_results_after "$heal_us" || fail "no result within 10 s of the heal"
back_us=$(first_after "$heal_us" "$STRESS_LOG" " result ")
wait_stress 40

[ "$(sj .unsent)" = 0 ] || fail "$(sj .unsent) requests never sent (pipeline full)"
[ "$(sj .retries)" -gt 0 ] || fail "no retries: the cut did not hit any request"
step "client retries=$(sj .retries) duplicates=$(sj .duplicates) (dropped by the client library); the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms"
step "recovery: the first reply came $(ms_between "$heal_us" "$back_us") ms after the heal"
pass
