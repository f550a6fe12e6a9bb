#!/usr/bin/env bash
#  CURVE on vs off with zlb-stress (docs/security.md, "Cost of CURVE").
#  bench/curve.sh [ROUNDS] [SECONDS]: alternating plain/CURVE rounds with 32
#  and 1 closed-loop clients, 4 echo workers, TCP loopback; prints one JSON
#  line per run (throughput, p50, p99). Uses build/bin (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${ZLB_BIN:-$PWD/build/bin}
rounds=${1:-3}
seconds=${2:-4}
dir=$(mktemp -d "${TMPDIR:-/tmp}/zlb-curve-bench.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
"$B/zlb-keygen" -q broker && "$B/zlb-keygen" -q worker && "$B/zlb-keygen" -q client
mkdir clients workers && cp client clients/ && cp worker workers/

run () {    # MODE ROUND CLIENTS
    local port=$(( 30000 + RANDOM % 20000 )) b=() c=() w=()
    if [ "$1" = curve ]; then
        b=(--curve-secret broker_secret --allow-clients clients --allow-workers workers)
        c=(--broker-key broker --curve-secret client_secret)
        w=(--broker-key broker --curve-secret worker_secret)
    fi
    #  A random port can be taken: try a few until the broker stays up.
    for try in 1 2 3 4 5; do
        "$B/zlb-broker" --bind "tcp://127.0.0.1:$port" --log broker.log "${b[@]}" 2>/dev/null &
        pids=($!)
        sleep 0.2
        kill -0 "${pids[0]}" 2>/dev/null && break
        port=$(( 30000 + RANDOM % 20000 ))
    done
    for i in 1 2 3 4; do
        "$B/zlb-worker" --connect "tcp://127.0.0.1:$port" --id "w$i" --log worker.log "${w[@]}" &
        pids+=($!)
    done
    sleep 0.5
    "$B/zlb-stress" --connect "tcp://127.0.0.1:$port" --clients "$3" --threads 2 \
        --duration "${seconds}s" --warmup 1s "${c[@]}" --json run.json --log stress.log >/dev/null 2>&1
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    jq -c --arg mode "$1" --argjson clients "$3" --argjson round "$2" \
        '{mode: $mode, clients: $clients, round: $round, rps: .throughput_rps,
          p50_us: .rtt_us.p50, p99_us: .rtt_us.p99, errors: .errors}' run.json
}

for round in $(seq "$rounds"); do
    for clients in 32 1; do
        run plain "$round" "$clients"
        run curve "$round" "$clients"
    done
done
