#!/usr/bin/env bash
# Three share-nothing brokers, one worker host whose workers register with
# all three, one client host spreading a constant rate over all three
# (docs/cluster.md). Broker host 1 is partitioned away from everyone for
# 5 s (every frame to and from it dropped), then healed. Nobody is
# restarted: the clients' attempts on broker 1 time out and are resent
# (same ids) to brokers 2 and 3, which carry the load meanwhile; the
# workers notice broker 1's silence and keep serving the others; after the
# heal they register with broker 1 again, the clients' probes find it
# healthy and it gets its share back. Nothing is lost, times out or fails.
# Prints the measured times (not checked).
#
# netlib's five hosts, used here as: broker = broker 1, w1 = broker 2,
# w2 = broker 3, w3 = the worker host (three zlb-worker), client.
. "$(dirname "$0")/netlib.sh"
require_programs zlb-broker zlb-worker zlb-stress

RATE=200
CUT_MS=5000
WORKERS=(k1 k2 k3)
B_HOSTS=(broker w1 w2)                  # broker N runs on B_HOSTS[N-1]
declare -A B_EP B_LOG
CONNECT=()
for n in 1 2 3; do
    h=${B_HOSTS[n - 1]}
    B_EP[$n]="tcp://${H_ADDR[$h]}:$PORT"
    B_LOG[$n]="$T_DIR/broker-$n.log"
    CONNECT+=(--connect "${B_EP[$n]}")
done

# start_cluster_broker N: broker N on its host, bound to its address.
start_cluster_broker () {
    spawn_on "${B_HOSTS[$1 - 1]}" "broker-$1" "$ZLB_BIN/zlb-broker" --bind "${B_EP[$1]}" \
        "${HB[@]}" --log "${B_LOG[$1]}" --log-level debug
    wait_for 5 grep -qs " bind " "${B_LOG[$1]}" || fail "broker $1 did not bind ${B_EP[$1]}"
    alive "$LAST_PID" || fail "broker $1 exited at start"
}

# b_count N REGEX: lines of broker N's log matching REGEX.
b_count () { grep -Ec -- "$2" "${B_LOG[$1]}" 2>/dev/null; }
b_routed () { b_count "$1" " request_routed "; }
b_joined () { b_count "$1" " worker_join .*worker=$2#"; }

net_up
for n in 1 2 3; do start_cluster_broker "$n"; done
for id in "${WORKERS[@]}"; do
    spawn_on w3 "worker-$id" "$ZLB_BIN/zlb-worker" "${CONNECT[@]}" --service echo --id "$id" \
        --work-us 1000 "${HB[@]}" --log "$WORKER_LOG"
done
for n in 1 2 3; do
    for id in "${WORKERS[@]}"; do
        wait_for 5 eval '[ "$(b_joined "$n" "$id")" -gt 0 ]' \
            || fail "worker $id never registered with broker $n"
    done
done
step "brokers ${B_EP[1]} ${B_EP[2]} ${B_EP[3]}; workers ${WORKERS[*]} on ${H_ADDR[w3]} registered with all three"

step "stress at $RATE req/s for 20 s over the three brokers; broker host 1 cut off for $CUT_MS ms once all three carry the load"
#  start_stress connects to BROKER_EP (broker 1's); the others are added.
start_stress 20 "$RATE" --timeout-ms 500 --retries 8 --pipeline 256 \
    --connect "${B_EP[2]}" --connect "${B_EP[3]}"
wait_for 10 eval '[ "$(b_routed 1)" -ge 50 ] && [ "$(b_routed 2)" -ge 50 ] && [ "$(b_routed 3)" -ge 50 ]' \
    || fail "the load did not reach all three brokers within 10 s"

declare -A at_cut at_heal
for n in 1 2 3; do at_cut[$n]=$(b_routed "$n"); done
cut_us=$(now_us)
net_cut broker
suspect_re=" broker_suspect endpoint=${B_EP[1]} "
wait_for 5 eval 'first_after "$cut_us" "$STRESS_LOG" "$suspect_re" >/dev/null' \
    || fail "the clients did not mark broker 1 suspect within 5 s of the cut"
suspect_us=$(first_after "$cut_us" "$STRESS_LOG" "$suspect_re")
step "broker 1 suspect $(ms_between "$cut_us" "$suspect_us") ms after the cut"
sleep "$(awk -v ms="$CUT_MS" -v t="$(( ($(now_us) - cut_us) / 1000 ))" 'BEGIN { s = (ms - t) / 1000; print (s > 0 ? s : 0) }')"

for n in 1 2 3; do at_heal[$n]=$(b_routed "$n"); done
declare -A joins
for id in "${WORKERS[@]}"; do joins[$id]=$(b_joined 1 "$id"); done
heal_us=$(now_us)
net_heal
step "healed after $(ms_between "$cut_us" "$heal_us") ms; routed while cut off:" \
     "broker 1 +$(( at_heal[1] - at_cut[1] )), broker 2 +$(( at_heal[2] - at_cut[2] ))," \
     "broker 3 +$(( at_heal[3] - at_cut[3] ))"
for n in 2 3; do
    [ "${at_heal[$n]}" -gt "${at_cut[$n]}" ] || fail "broker $n routed nothing while broker 1 was cut off"
done

rejoined=()
for id in "${WORKERS[@]}"; do
    wait_for 15 eval '[ "$(b_joined 1 "$id")" -gt "${joins[$id]}" ]' \
        || fail "worker $id did not register with broker 1 again within 15 s of the heal"
    at=$(first_after "$heal_us" "${B_LOG[1]}" " worker_join .*worker=$id#") || fail "no join time for $id"
    rejoined+=("$id:$(ms_between "$heal_us" "$at")")
done
healthy_re=" broker_healthy endpoint=${B_EP[1]}( |$)"
wait_for 10 eval 'first_after "$heal_us" "$STRESS_LOG" "$healthy_re" >/dev/null' \
    || fail "the clients did not mark broker 1 healthy within 10 s of its workers' return"
healthy_us=$(first_after "$heal_us" "$STRESS_LOG" "$healthy_re")
#  Routed after the clients found it healthy: new traffic, not requests
#  that sat in a TCP buffer through the partition.
routed_since () { grep -E " request_routed " "${B_LOG[1]}" | awk -v t="$(us_iso "$healthy_us")" '$1 >= t' | wc -l; }
wait_for 10 eval '[ "$(routed_since)" -ge 20 ]' \
    || fail "broker 1 routed fewer than 20 requests within 10 s of being healthy again"
routed_us=$(first_after "$healthy_us" "${B_LOG[1]}" " request_routed ")

wait_stress 40
[ "$(sj .unsent)" = 0 ] || fail "$(sj .unsent) requests never sent (pipeline full)"
[ "$(sj '.per_broker | length == 3 and all(.[]; .replies > 0)')" = true ] || fail "per_broker counts missing"
step "per broker (attempts/replies): $(sj '[.per_broker[] | "\(.attempts)/\(.replies)"] | join(" ")');" \
     "routed after the heal: broker 1 $(( $(b_routed 1) - at_heal[1] ))"
step "broker 1: worker_expired=$(b_count 1 " worker_expired ") while cut off;" \
     "workers: broker_silent=$(grep -c " broker_silent .*endpoint=${B_EP[1]}" "$WORKER_LOG")" \
     "request_dropped=$(grep -c " request_dropped " "$WORKER_LOG"); client retries=$(sj .retries)" \
     "duplicates=$(sj .duplicates); the slowest request took $(sj '.rtt_us.max / 1000 | floor') ms"
step "recovery: workers registered with broker 1 again after (ms) ${rejoined[*]};" \
     "broker 1 healthy $(ms_between "$heal_us" "$healthy_us") ms after the heal," \
     "routing new requests $(ms_between "$heal_us" "$routed_us") ms after it"
pass
