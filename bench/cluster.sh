#!/usr/bin/env bash
#  bench/cluster.sh - one broker against two, under the same load, in the
#  same run (docs/performance.md, "Several brokers"; docs/cluster.md).
#
#    bench/cluster.sh [--rounds R] [--seconds S] [--workers W] [--clients C]
#                     [--rate N] [--work-us U] [--out DIR]
#
#  Systems, alternated within each round (odd rounds reversed):
#    one        1 broker, W zlb-worker registered with it
#    two        2 brokers, the same W workers each registered with both
#               (--connect A --connect B: capacity shared across brokers)
#    two-split  2 brokers, W/2 workers on each (no sharing: clients only)
#  Load: zlb-stress --connect every broker, C clients, closed loop (or
#  --rate N open loop), 64 B, 1 s warm-up then S s measured; ipc://.
#  Per run: req/s, p50/p99 round trip, the brokers' CPU (user + system,
#  /proc/PID/stat, whole run) per answered request, the workers' CPU per
#  request, requests handed back (zlb-ctl stats). One JSON line per run in
#  OUT/runs.jsonl (default bench-out/cluster); a median table on stdout with
#  each system's req/s as a ratio of "one" in the same round.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${ZLB_BIN:-$PWD/build/bin}
ROUNDS=3 SECS=5 WORKERS=4 CLIENTS=32 RATE="" WORK_US=0 OUT=$PWD/bench-out/cluster
SYSTEMS="one two two-split"
while [ $# -gt 0 ]; do
    case $1 in
        --rounds)  ROUNDS=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --rate)    RATE=$2; shift 2 ;;
        --work-us) WORK_US=$2; shift 2 ;;
        --out)     OUT=$2; shift 2 ;;
        *) sed -n '2,20p' "$0" | sed 's/^# \{0,2\}//'; exit 2 ;;
    esac
done
for p in zlb-broker zlb-worker zlb-stress zlb-ctl; do
    [ -x "$B/$p" ] || { echo "cluster.sh: $B/$p is not built (scripts/build.sh)" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "cluster.sh: needs jq" >&2; exit 2; }
mkdir -p "$OUT"
RUNS=$OUT/runs.jsonl
: > "$RUNS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-cluster.XXXXXX")
CLK_TCK=$(getconf CLK_TCK)
PIDS=()
stop_all () {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    PIDS=()
}
trap 'stop_all; rm -rf "$TMP"' EXIT

ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
joined () { [ "$(cat "$TMP"/broker-*.log 2>/dev/null | grep -c worker_join)" -ge "$1" ]; }
wait_until () {
    local i=0
    until "${@:2}"; do i=$((i + 1)); [ $i -ge $(( $1 * 20 )) ] && return 1; sleep 0.05; done
}

# run_one SYSTEM ROUND: start it, load it, append one JSON line.
run_one () {
    local system=$1 round=$2 brokers=2 index pid registrations
    [ "$system" = one ] && brokers=1
    local eps=() connect=() broker_pids=() worker_pids=()
    rm -f "$TMP"/*.log "$TMP"/*.ipc
    for index in $(seq 1 "$brokers"); do
        eps+=("ipc://$TMP/b$index.ipc")
        connect+=(--connect "ipc://$TMP/b$index.ipc")
        "$B/zlb-broker" --bind "${eps[-1]}" --log "$TMP/broker-$index.log" >/dev/null 2>&1 &
        PIDS+=($!) broker_pids+=($!)
    done
    for index in $(seq 1 "$WORKERS"); do
        local mine=("${connect[@]}")
        [ "$system" = two-split ] && mine=(--connect "${eps[$(( index % 2 ))]}")
        "$B/zlb-worker" "${mine[@]}" --id "w$index" --work-us "$WORK_US" \
            --log "$TMP/server.log" --log-level warning >/dev/null 2>&1 &
        PIDS+=($!) worker_pids+=($!)
    done
    registrations=$WORKERS
    [ "$system" = two ] && registrations=$(( 2 * WORKERS ))
    wait_until 10 joined "$registrations" || echo "cluster.sh: workers did not all join" >&2
    local before=0 after=0 wbefore=0 wafter=0
    for pid in "${broker_pids[@]}"; do before=$(( before + $(ticks "$pid") )); done
    for pid in "${worker_pids[@]}"; do wbefore=$(( wbefore + $(ticks "$pid") )); done
    "$B/zlb-stress" "${connect[@]}" --clients "$CLIENTS" ${RATE:+--rate "$RATE"} --size 64 \
        --warmup 1s --duration "${SECS}s" --timeout-ms 2000 --retries 1 --drain 3s \
        --json "$TMP/stress.json" --log "$TMP/stress.log" >/dev/null 2>>"$TMP/stress.err"
    for pid in "${broker_pids[@]}"; do after=$(( after + $(ticks "$pid") )); done
    for pid in "${worker_pids[@]}"; do wafter=$(( wafter + $(ticks "$pid") )); done
    local handed_back
    handed_back=$("$B/zlb-ctl" "${connect[@]}" stats --json 2>/dev/null \
                  | jq -s '[.[] | select(.total != true) | .reply.handed_back // 0] | add // 0')
    stop_all
    jq -c --arg system "$system" --argjson round "$round" --argjson brokers "$brokers" \
        --argjson cpu "$(( after - before ))" --argjson wcpu "$(( wafter - wbefore ))" \
        --argjson tck "$CLK_TCK" --argjson handed_back "${handed_back:-0}" \
        '{system: $system, round: $round, brokers: $brokers, rps: .throughput_rps,
          p50: .rtt_us.p50, p99: .rtt_us.p99, ok: .ok, lost: .lost, errors: .errors,
          timeouts: .timeouts, handed_back: $handed_back,
          broker_cpu_us_per_req: (if .ok > 0 then ($cpu / $tck * 1e6 / .ok | floor) else null end),
          workers_cpu_us_per_req: (if .ok > 0 then ($wcpu / $tck * 1e6 / .ok | floor) else null end)}' \
        "$TMP/stress.json" >> "$RUNS"
    jq -r '"  \(.system) round \(.round): \(.rps|floor) req/s p50=\(.p50)us p99=\(.p99)us broker_cpu=\(.broker_cpu_us_per_req)us/req workers_cpu=\(.workers_cpu_us_per_req)us/req handed_back=\(.handed_back) lost=\(.lost)"' \
        < <(tail -n 1 "$RUNS") >&2
}

for round in $(seq 1 "$ROUNDS"); do
    order=$SYSTEMS
    [ $((round % 2)) = 0 ] && order=$(echo "$SYSTEMS" | tr ' ' '\n' | tac | tr '\n' ' ')
    for system in $order; do run_one "$system" "$round"; done
done

echo "workers=$WORKERS clients=$CLIENTS rate=${RATE:-closed} work_us=$WORK_US seconds=$SECS rounds=$ROUNDS (medians)"
jq -s -r '
  def median: sort | if length == 0 then null else .[length / 2 | floor] end;
  (map(select(.system == "one")) | map({key: (.round|tostring), value: .rps}) | from_entries) as $one
  | group_by(.system)[]
  | "\(.[0].system)\t\(map(.rps) | median | floor) req/s\tvs one \(map(.rps / $one[.round|tostring]) | median * 100 | round / 100)\tp50 \(map(.p50) | median)us\tp99 \(map(.p99) | median)us\tbroker cpu \(map(.broker_cpu_us_per_req) | median)us/req\tworkers cpu \(map(.workers_cpu_us_per_req) | median)us/req\thanded back \(map(.handed_back) | median)\tlost \(map(.lost) | add)"' "$RUNS"
