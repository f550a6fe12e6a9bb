#!/usr/bin/env bash
# A worker host cut off for longer than the heartbeat expiry, then healed.
# The broker expires it and redelivers the request it held; the worker
# notices the broker's silence, and once the network heals it registers
# again (on a fresh socket) and serves. No request is lost, and no
# duplicate reply reaches the client: the expired worker's late reply, if
# it ever arrives, is refused by the broker, and the client's per-attempt
# timeout is longer than expiry + redelivery, so the client never resends.
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
CUT_MS=$(( 3 * EXPIRY_MS ))
net_up
start_broker
start_worker w1
start_worker w2
start_worker w3
step "stress at $RATE req/s for 10 s; cut w1 off for $CUT_MS ms after 2 s (expiry $EXPIRY_MS ms)"
start_stress 10 "$RATE" --timeout-ms 3000 --retries 3
sleep 2

cut_us=$(now_us)
net_cut w1
wait_for 5 eval '[ "$(broker_events worker_expired w1)" -gt 0 ]' || fail "w1 not expired within 5 s"
expired_us=$(first_after "$cut_us" "$BROKER_LOG" " worker_expired .*worker=w1#") || fail "no expiry time"
step "w1 expired $(ms_between "$cut_us" "$expired_us") ms after the cut"
sleep "$(awk -v ms="$CUT_MS" -v t="$(( ($(now_us) - cut_us) / 1000 ))" 'BEGIN { s = (ms - t) / 1000; print (s > 0 ? s : 0) }')"
joins=$(broker_events worker_join w1)
heal_us=$(now_us)
net_heal
step "healed after $(ms_between "$cut_us" "$heal_us") ms"
wait_for 15 eval '[ "$(broker_events worker_join w1)" -gt "$joins" ]' || fail "w1 did not register again within 15 s"
join_us=$(first_after "$heal_us" "$BROKER_LOG" " worker_join .*worker=w1#") || fail "no join time"
wait_for 5 eval 'first_after "$join_us" "$BROKER_LOG" " reply .*worker=w1#" >/dev/null' \
    || fail "w1 registered again but served nothing within 5 s"
served_us=$(first_after "$join_us" "$BROKER_LOG" " reply .*worker=w1#")
wait_stress 40

redelivered=$(broker_events request_redeliver)
[ "$redelivered" -ge 1 ] || fail "the request w1 held was not redelivered"
late=$(awk -v t="$(us_iso "$expired_us")" '$1 >= t && / reply worker=w1#1[.][0-9a-f]+ /' "$BROKER_LOG" | wc -l)
[ "$late" = 0 ] || fail "the broker forwarded $late replies from the expired w1#1"
[ "$(sj .duplicates)" = 0 ] || fail "$(sj .duplicates) duplicate replies reached the client library"
[ "$(sj .retries)" = 0 ] || fail "the client resent $(sj .retries) requests"
step "redelivered $redelivered request(s); the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms"
step "recovery: w1 registered again $(ms_between "$heal_us" "$join_us") ms after the heal and served $(ms_between "$heal_us" "$served_us") ms after it ($(grep -c "broker_silent" "$WORKER_LOG") broker_silent in w1's log)"
pass
