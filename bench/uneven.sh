#!/usr/bin/env bash
#  Uneven workers: two healthy (300 µs per request) and two degraded (30 ms)
#  behind one broker, 16 closed-loop clients, 64 B over ipc. Default worker
#  settings (adaptive credit) against all `--credit 1` (strict MDP 0.1) and
#  against a fixed `--credit 8`, alternating, so one run gives the ratios
#  the issue asks for (docs/performance.md, "Uneven workers").
#
#  bench/uneven.sh [ROUNDS] [SECONDS]   (default 3 rounds of 5 s)
#  Prints one JSON line per run, the medians, the two ratios (default /
#  strict throughput, bar >= 0.9; p99, bar <= 1.25), and last a JSON line
#  with both ratios (bench/run.sh --bars reads it).
#  Uses build/bin (scripts/build.sh); ZLB_BIN overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${ZLB_BIN:-$PWD/build/bin}
rounds=${1:-3}
seconds=${2:-5}
dir=$(mktemp -d "${TMPDIR:-/tmp}/zlb-uneven-bench.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
runs=$dir/runs.jsonl

run () {    # MODE ROUND; MODE is default, strict or credit8
    local ep="ipc://$dir/broker.ipc" credit=()
    case $1 in
        strict)  credit=(--credit 1) ;;
        credit8) credit=(--credit 8) ;;
    esac
    rm -f "$dir/broker.ipc"
    "$B/zlb-broker" --bind "$ep" --log "$dir/broker.log" 2>/dev/null &
    pids=($!)
    for i in 1 2 3 4; do
        local work=300
        [ "$i" -gt 2 ] && work=30000
        "$B/zlb-worker" --connect "$ep" --id "w$i" --work-us "$work" "${credit[@]}" \
            --log "$dir/worker.log" >/dev/null 2>&1 &
        pids+=($!)
    done
    sleep 0.5
    "$B/zlb-stress" --connect "$ep" --clients 16 --threads 2 --duration "${seconds}s" \
        --warmup 1s --timeout-ms 5000 --json "$dir/run.json" --log "$dir/stress.log" \
        >/dev/null 2>&1
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    jq -c --arg mode "$1" --argjson round "$2" \
        '{mode: $mode, round: $round, rps: .throughput_rps, p50_us: .rtt_us.p50,
          p99_us: .rtt_us.p99, errors: .errors, timeouts: .timeouts}' "$dir/run.json" \
        | tee -a "$runs"
}

for round in $(seq "$rounds"); do
    order="default strict credit8"
    [ $((round % 2)) = 0 ] && order="credit8 strict default"
    for mode in $order; do
        run "$mode" "$round"
    done
done

jq -rs '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  group_by(.mode) | map({key: .[0].mode, value: {rps: (map(.rps) | median),
                                                  p99: (map(.p99_us) | median)}})
  | from_entries as $m
  | "medians: " + (["default", "strict", "credit8"] | map("\(.) \($m[.].rps | floor) req/s p99 \($m[.].p99 | floor) us") | join("; ")),
    "default / strict: throughput \(($m.default.rps / $m.strict.rps * 100 | round) / 100) (bar >= 0.9), p99 \(($m.default.p99 / $m.strict.p99 * 100 | round) / 100) (bar <= 1.25)",
    ({throughput_ratio: ($m.default.rps / $m.strict.rps), p99_ratio: ($m.default.p99 / $m.strict.p99)}
     | tojson)' "$runs"
