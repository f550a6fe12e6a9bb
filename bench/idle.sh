#!/usr/bin/env bash
#  What idle registered workers cost the broker (issue: idle workers nearly
#  free). bench/idle.sh [ROUNDS] [SECONDS] [HEARTBEAT_MS] [COUNTS...]
#  For each count of workers (default 4 100 2000), alternating in each
#  round: zlb-bench-idle's workers against the do-nothing peer (a ROUTER
#  that only answers the same heartbeats), then against zlb-broker; the CPU
#  time (user + system, all threads, /proc/PID/stat) each spends over
#  SECONDS after a settling pause. Prints one JSON line per count with the
#  sums over the rounds and their ratio (broker / peer): the same machine,
#  the same run, so the ratio holds however loaded the machine is.
#  HEARTBEAT_MS (default 1000) scales the message rate: 2 000 workers at
#  1000 ms are 2 000 heartbeats/s each way. The broker runs with its
#  default liveness (3), so its ZMTP heartbeats (one PING per liveness
#  window) are as in production; ZLB_IDLE_LIVENESS overrides it. The peer
#  expires nothing; afterwards the broker's summary must say expired=0
#  (checked: else the workers process fell behind).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${ZLB_BIN:-$PWD/build/bin}
rounds=${1:-3}
seconds=${2:-10}
hb=${3:-1000}
liveness=${ZLB_IDLE_LIVENESS:-3}
shift $(( $# < 3 ? $# : 3 ))
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(4 100 2000)
for p in zlb-broker zlb-bench-idle; do
    [ -x "$B/$p" ] || { echo "idle.sh: $B/$p is not built (scripts/build.sh)" >&2; exit 2; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dir=$(mktemp -d "${TMPDIR:-/tmp}/zlb-idle-bench.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; [ "${ZLB_KEEP:-0}" = 1 ] || rm -rf "$dir"' EXIT

ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

#  measure KIND N: CPU ticks the broker or the peer spends with N workers.
measure () {
    local ep="ipc://$dir/$1-$2" server
    if [ "$1" = broker ]; then
        "$B/zlb-broker" --bind "$ep" --heartbeat-ms "$hb" --liveness "$liveness" --log "$dir/broker.log" \
            2>"$dir/broker.err" &
    else
        "$B/zlb-bench-idle" peer "$ep" "$hb" 2>"$dir/peer.err" &
    fi
    server=$!
    sleep 0.3
    "$B/zlb-bench-idle" workers "$ep" "$2" "$hb" 2>"$dir/workers.err" &
    pids=("$server" $!)
    sleep $(( 2 + $2 / 500 ))            #  connections made, READYs in
    local before after
    before=$(ticks "$server")
    sleep "$seconds"
    after=$(ticks "$server")
    local gone=
    kill -0 "$server" 2>/dev/null || gone="$1"
    kill -0 "${pids[1]}" 2>/dev/null || gone="$gone workers"
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    pids=()
    if [ -n "$gone" ]; then
        echo "idle.sh: died during the run:$gone" >&2
        cat "$dir"/*.err >&2
        exit 1
    fi
    if [ "$1" = broker ] && ! grep " summary " "$dir/broker.log" | tail -n 1 | grep -q " expired=0 "; then
        echo "idle.sh: the broker expired workers: the workers process fell behind" >&2
        exit 1
    fi
    echo $(( after - before ))
}

for n in "${counts[@]}"; do
    peer=0 broker=0
    for _ in $(seq "$rounds"); do
        spent=$(measure peer "$n") || exit 1
        peer=$(( peer + spent ))
        spent=$(measure broker "$n") || exit 1
        broker=$(( broker + spent ))
    done
    hz=$(getconf CLK_TCK)
    awk -v n="$n" -v p="$peer" -v b="$broker" -v hz="$hz" -v s="$(( rounds * seconds ))" \
        -v hb="$hb" -v lv="$liveness" 'BEGIN {
        printf "{\"workers\": %d, \"heartbeat_ms\": %d, \"liveness\": %d, \"seconds\": %d, \"peer_cpu_s\": %.2f, ", n, hb, lv, s, p / hz
        printf "\"broker_cpu_s\": %.2f, \"ratio\": %s}\n", b / hz, (p > 0 ? sprintf ("%.2f", b / p) : "null") }'
done
