#!/usr/bin/env bash
# The broker host's link goes down for 3 s (its switch port, like a pulled
# cable) and comes back. Nobody is restarted: the workers notice the
# broker's silence and reconnect on fresh sockets, libzmq reconnects the
# clients, the broker expires the old worker registrations and redelivers
# what they held, and the clients' retries complete every request.
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
DOWN_MS=3000
net_up
start_broker
start_worker w1
start_worker w2
start_worker w3
step "stress at $RATE req/s for 10 s; the broker host's link down for $DOWN_MS ms after 2 s"
start_stress 10 "$RATE" --timeout-ms 1000 --retries 8 --pipeline 256
sleep 2
down_us=$(now_us)
net_port broker down
sleep "$(awk -v ms="$DOWN_MS" 'BEGIN { print ms / 1000 }')"
declare -A joins
for w in w1 w2 w3; do joins[$w]=$(broker_events worker_join "$w"); done
up_us=$(now_us)
net_port broker up
step "link up again after $(ms_between "$down_us" "$up_us") ms"
wait_for 10 stress_results_after "$up_us" || fail "no result within 10 s of the link coming back"
back_us=$(first_after "$up_us" "$STRESS_LOG" " result ")
rejoined=()
for w in w1 w2 w3; do
    wait_for 15 eval '[ "$(broker_events worker_join "$w")" -gt "${joins[$w]}" ]' \
        || fail "$w did not register again within 15 s"
    at=$(first_after "$up_us" "$BROKER_LOG" " worker_join .*worker=$w#") || fail "no join time for $w"
    rejoined+=("$w:$(ms_between "$up_us" "$at")")
done
wait_stress 40

[ "$(sj .unsent)" = 0 ] || fail "$(sj .unsent) requests never sent (pipeline full)"
for w in w1 w2 w3; do
    [ "$(broker_events worker_expired "$w")" -ge 1 ] || fail "$w was never expired"
done
step "broker: worker_expired=$(broker_events worker_expired) request_redeliver=$(broker_events request_redeliver); client retries=$(sj .retries) duplicates=$(sj .duplicates); the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms"
step "recovery: first reply $(ms_between "$up_us" "$back_us") ms after the link came back; workers registered again after (ms) ${rejoined[*]}"
pass
