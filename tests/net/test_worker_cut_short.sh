#!/usr/bin/env bash
# A worker host cut off three times for less than the heartbeat expiry.
# TCP retransmits carry the held request and the heartbeats across, so
# nothing is redelivered needlessly: no expiry, no redelivery, the worker
# keeps its first registration and never gives up on the broker.
# A cut of d ms can silence a TCP connection for up to ~d + 400 ms (the
# retransmission timer starts at 200 ms and doubles), plus one heartbeat
# gap: ~900 ms for a 300 ms cut. On a loaded machine the cut itself runs
# long (the nft commands and the sleep: 640-860 ms measured beside two
# busy loops), so this test uses liveness 15 (expiry 3 s): "short" means
# well under the expiry, whatever the machine does to the cut's length.
ZLB_NET_LIVENESS=${ZLB_NET_LIVENESS:-15}
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
CUT_MS=${ZLB_NET_SHORT_CUT_MS:-300}
net_up
start_broker
start_worker w1
start_worker w2
start_worker w3
step "stress at $RATE req/s for 10 s; cut w1 off 3 times for $CUT_MS ms (expiry $EXPIRY_MS ms)"
start_stress 10 "$RATE" --timeout-ms 3000 --retries 3
recoveries=()
for round in 1 2 3; do
    sleep 2
    cut_us=$(now_us)
    net_cut w1
    sleep "$(awk -v ms="$CUT_MS" 'BEGIN { print ms / 1000 }')"
    heal_us=$(now_us)
    net_heal
    wait_for 5 eval 'first_after "$heal_us" "$BROKER_LOG" " (reply|heartbeat_recv) .*worker=w1#" >/dev/null' \
        || fail "nothing from w1 within 5 s of the heal"
    back_us=$(first_after "$heal_us" "$BROKER_LOG" " (reply|heartbeat_recv) .*worker=w1#")
    recoveries+=("$(ms_between "$heal_us" "$back_us")")
    step "cut $round: $(ms_between "$cut_us" "$heal_us") ms; broker heard w1 again $(ms_between "$heal_us" "$back_us") ms after the heal"
done
wait_stress 40

[ "$(broker_events worker_expired)" = 0 ] || fail "a worker was expired"
[ "$(broker_events request_redeliver)" = 0 ] || fail "$(broker_events request_redeliver) requests redelivered needlessly"
[ "$(broker_events worker_join w1)" = 1 ] || fail "w1 registered $(broker_events worker_join w1) times"
! grep -q "broker_silent" "$WORKER_LOG" || fail "w1 gave up on the broker"
[ "$(sj .retries)" = 0 ] || fail "the client resent $(sj .retries) requests"
step "request_redeliver=0 worker_expired=0; the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms"
step "recovery: the broker heard w1 again ${recoveries[*]} ms after each heal"
pass
