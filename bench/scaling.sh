#!/usr/bin/env bash
#  bench/scaling.sh - does the broker's cost per request grow with the number
#  of registered workers, connected clients, services, or with the payload?
#  (docs/performance.md, "Scaling curves")
#
#    bench/scaling.sh [--rounds R] [--seconds S] [--out DIR] [--smoke]
#                     [--sweeps "workers clients services payload"] [--report-only]
#
#  Every point starts a fresh zlb-broker (ipc://, log level info) and 4
#  zlb-worker echo workers, adds its extra dimension, measures the broker's
#  idle CPU for a moment, then runs zlb-stress (closed loop, 1 s warm-up,
#  S + 1 s measured). Broker CPU (user + system, all threads, /proc/PID/stat)
#  is read when zlb-stress prints its progress lines for second 1 and second
#  S + 1, so it covers the last S measured seconds, and is divided by the
#  requests answered in exactly those seconds (zlb-stress's JSON series).
#  "Net of idle" first subtracts what the broker spends with no load (2 s
#  measured just before it: heartbeats of idle workers, timers).
#    workers   4 echo + N idle workers (zlb-bench-idle, heartbeat 1 s), 32 clients, 64 B
#    clients   1..1000 clients, 64 B                            (+ ceiling)
#    services  N services with a request queued (zlb-bench-services), 32 clients, 64 B
#    payload   64 B..1 MiB, 32 clients                          (+ ceiling)
#  The ceiling (zlb-bench-ceiling proxy + 4 REP workers, as bench/run.sh)
#  runs the same point right after zlb (before it in even rounds); the
#  table gives zlb/ceiling per round (median). Sweeps without a ceiling
#  compare each point with their first. One JSON line per run goes to
#  OUT/runs.jsonl (default bench-out/scaling); tables (medians) to stdout.
#  --smoke: one point per sweep, about a second each. Default: 1 round, 3 s.
#  --report-only: no runs, the tables again from OUT/runs.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${ZLB_BIN:-$PWD/build/bin}
ROUNDS=1 SECS=3 WARMUP=1s IDLE_S=2 OUT=$PWD/bench-out/scaling
SWEEPS="workers clients services payload"
declare -A POINTS=([workers]="0 100 500 2000" [clients]="1 10 100 1000"
                   [services]="0 100 1000 10000" [payload]="64 4096 65536 1048576")
while [ $# -gt 0 ]; do
    case $1 in
        --rounds)  ROUNDS=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        --sweeps)  SWEEPS=$2; shift 2 ;;
        --out)     OUT=$2; shift 2 ;;
        --report-only) ROUNDS=0; shift ;;
        --smoke)   SECS=1 WARMUP=200ms IDLE_S=0.5
                   POINTS=([workers]=100 [clients]=10 [services]=100 [payload]=65536); shift ;;
        *) sed -n '2,28p' "$0" | sed 's/^# \{0,2\}//'; exit 2 ;;
    esac
done
for p in zlb-broker zlb-worker zlb-stress zlb-bench-ceiling zlb-bench-idle zlb-bench-services; do
    [ -x "$B/$p" ] || { echo "scaling.sh: $B/$p is not built (scripts/build.sh)" >&2; exit 2; }
done
command -v jq >/dev/null && command -v curl >/dev/null || { echo "scaling.sh: needs jq, curl" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"     # 1 000 clients, 2 000 workers
mkdir -p "$OUT"
RUNS=$OUT/runs.jsonl
[ "$ROUNDS" = 0 ] || : > "$RUNS"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-scaling.XXXXXX")
PIDS=()
stop_all () {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap 'stop_all; [ "${ZLB_KEEP:-0}" = 1 ] || rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
spawn () { "$@" >>"$TMP/out.log" 2>&1 & PIDS+=("$!"); }
ticks () { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb () { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
wait_for () {   # SECONDS COMMAND...: poll every 50 ms
    local i
    for i in $(seq $(( $1 * 20 ))); do "${@:2}" && return 0; sleep 0.05; done
    echo "scaling.sh: timed out waiting for: ${*:2}" >&2; return 1
}
has () { [ "$(cat "$1" 2>/dev/null | grep -c "$2")" -ge "$3" ]; }
#  metric_at URL NAME MIN: the broker's /metrics gauge NAME is at least MIN
#  (its log is rate-limited, so counting worker_join lines is not enough).
metric_at () { [ "$(curl -s -m 5 "$1" | awk -v m="$2" '$1 == m { print $2 }')" -ge "$3" ] 2>/dev/null; }

#  start_zlb SWEEP N -> EP, SERVER: broker, 4 echo workers, the extra dimension.
start_zlb () {
    local flags=() body=() i url
    EP=ipc://$TMP/zlb.ipc
    rm -f "$TMP/broker.log"
    [ "$1" = services ] && flags=(--request-timeout-ms 3600000 --max-services $(( $2 + 64 )))
    [ "$1" = payload ] && body=(--max-body 2m)    # 1 MiB of payload + zlb-stress's header
    spawn "$B/zlb-broker" --bind "$EP" --log "$TMP/broker.log" --log-level info \
        --metrics 127.0.0.1:0 "${flags[@]}" "${body[@]}"     # /metrics: read before the load only
    SERVER=${PIDS[-1]}
    wait_for 5 has "$TMP/broker.log" url= 1
    url=$(grep -o 'url=http://[^ ]*' "$TMP/broker.log" | head -n 1 | cut -d= -f2)
    for i in 1 2 3 4; do
        spawn "$B/zlb-worker" --connect "$EP" --id "w$i" --log "$TMP/worker.log" --log-level warning \
            "${body[@]}"
    done
    wait_for 10 metric_at "$url" zlb_workers 4
    [ "$2" -gt 0 ] || return 0
    if [ "$1" = workers ]; then
        spawn "$B/zlb-bench-idle" workers "$EP" "$2" 1000
        wait_for 60 metric_at "$url" zlb_workers $(( $2 + 4 ))
    elif [ "$1" = services ]; then
        spawn "$B/zlb-bench-services" "$EP" "$2"
        wait_for 60 metric_at "$url" zlb_services "$2"
    fi
}

start_ceiling () {
    local i
    EP=ipc://$TMP/front.ipc
    : > "$TMP/out.log"
    spawn "$B/zlb-bench-ceiling" proxy "$EP" "ipc://$TMP/back.ipc"
    SERVER=${PIDS[-1]}
    wait_for 5 has "$TMP/out.log" ready 1
    for i in 1 2 3 4; do spawn "$B/zlb-bench-ceiling" worker "ipc://$TMP/back.ipc" "w$i"; done
    wait_for 5 has "$TMP/out.log" ready 5
}

#  run_one SYSTEM SWEEP N ROUND: one point, one JSON line.
run_one () {
    local system=$1 sweep=$2 n=$3 clients=32 size=64 line start=0 end=0 idle0 idle1 rss0 stress
    [ "$sweep" = clients ] && clients=$n
    [ "$sweep" = payload ] && size=$n
    if [ "$system" = zlb ]; then start_zlb "$sweep" "$n"; else start_ceiling; fi
    sleep 0.5
    idle0=$(ticks "$SERVER"); sleep "$IDLE_S"; idle1=$(ticks "$SERVER")
    rss0=$(rss_kb "$SERVER")
    rm -f "$TMP/progress" "$TMP/stress.json"; mkfifo "$TMP/progress"
    "$B/zlb-stress" --connect "$EP" --clients "$clients" --size "$size" --warmup "$WARMUP" \
        --duration "$(( SECS + 1 ))s" --timeout-ms 5000 --retries 1 --json "$TMP/stress.json" \
        --log "$TMP/stress.log" >/dev/null 2>"$TMP/progress" &
    stress=$!
    exec 3<"$TMP/progress"
    while read -r line <&3; do     # "[   1s] ... req/s ...", one per measured second
        [[ $line =~ ^\[\ *1s\] ]] && start=$(ticks "$SERVER")
        [[ $line =~ ^\[\ *$(( SECS + 1 ))s\] ]] && { end=$(ticks "$SERVER"); break; }
    done
    cat <&3 >>"$TMP/stress.err"; exec 3<&-
    wait "$stress" || echo "scaling.sh: zlb-stress failed ($system $sweep $n)" >&2
    jq -c --arg system "$system" --arg sweep "$sweep" --argjson n "$n" --argjson round "$4" \
        --argjson clients "$clients" --argjson size "$size" --argjson secs "$SECS" \
        --argjson cpu "$(( end - start ))" --argjson hz "$(getconf CLK_TCK)" \
        --argjson idle "$(( idle1 - idle0 ))" --argjson idle_s "$IDLE_S" \
        --argjson rss0 "$rss0" --argjson rss "$(rss_kb "$SERVER")" \
        '([.series[] | select(.second >= 2 and .second <= $secs + 1)]) as $w
         | ($w | map(.ok) | add // 0) as $ok | ([$w[].span_s] | add // 0) as $span
         | ($idle / $hz / $idle_s) as $idle_share
         | {sweep: $sweep, system: $system, n: $n, round: $round, clients: $clients, size: $size,
            rps: (if $span > 0 then $ok / $span else 0 end), p50_us: .rtt_us.p50, p99_us: .rtt_us.p99,
            window_ok: $ok, window_s: $span, cpu_s: ($cpu / $hz),
            cpu_us_per_req: (if $ok > 0 and $cpu > 0 then 1e6 * $cpu / $hz / $ok else null end),
            idle_cpu_pct: (100 * $idle_share),
            net_us_per_req: (if $ok > 0 and $cpu > 0
                             then 1e6 * ($cpu / $hz - $idle_share * $span) / $ok else null end),
            rss_idle_kb: $rss0, rss_kb: $rss,
            ok: .ok, lost: .lost, errors: .errors, timeouts: .timeouts}' \
        "$TMP/stress.json" | tee -a "$RUNS" >&2
    stop_all
}

for round in $(seq "$ROUNDS"); do
    for sweep in $SWEEPS; do
        systems=zlb
        [[ $sweep = clients || $sweep = payload ]] && systems="zlb ceiling"
        [ $(( round % 2 )) = 0 ] && [ "$systems" != zlb ] && systems="ceiling zlb"
        for n in ${POINTS[$sweep]}; do
            for system in $systems; do run_one "$system" "$sweep" "$n" "$round"; done
        done
    done
done

#  Medians over rounds; ratios to the ceiling per round, then their median;
#  ratios to a sweep's first point from the medians.
jq -rs --arg sweeps "$SWEEPS" '
  def median: map(select(. != null)) | sort
    | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
      else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def ratio(a; b): if a == null or b == null or b == 0 then null else a / b end;
  def r(d): if . == null then "-" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
  (map(select(.system == "ceiling")) | map({key: "\(.sweep) \(.n) \(.round)", value: .})
   | from_entries) as $ceil
  | . as $runs | ($sweeps | split(" ") | map(select(. != "")))[] as $sweep
  | ($runs | map(select(.sweep == $sweep and .system == "zlb")) | group_by(.n) | map({n: .[0].n,
      rps: map(.rps) | median, p50: map(.p50_us) | median, p99: map(.p99_us) | median,
      cpu: map(.cpu_us_per_req) | median, net: map(.net_us_per_req) | median,
      idle: map(.idle_cpu_pct) | median,
      rss0: map(.rss_idle_kb) | median, rss: map(.rss_kb) | median,
      crps: map($ceil["\(.sweep) \(.n) \(.round)"].rps) | median,
      ccpu: map($ceil["\(.sweep) \(.n) \(.round)"].cpu_us_per_req) | median,
      crss: map($ceil["\(.sweep) \(.n) \(.round)"].rss_kb) | median,
      rrat: map(ratio(.rps; $ceil["\(.sweep) \(.n) \(.round)"].rps)) | median,
      crat: map(ratio(.cpu_us_per_req; $ceil["\(.sweep) \(.n) \(.round)"].cpu_us_per_req))
            | median})) as $rows
  | "\n| \($sweep) | req/s | p50 µs | p99 µs | broker CPU µs/req | idle CPU % | net of idle µs/req | net ÷ first | RSS idle→end MiB | ceiling req/s | proxy CPU µs/req | proxy RSS end MiB | req/s ÷ ceiling | CPU/req ÷ ceiling |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ($rows[] | [.n, (.rps | r(0)), (.p50 | r(0)), (.p99 | r(0)), (.cpu | r(1)), (.idle | r(1)),
                (.net | r(1)), (ratio(.net; $rows[0].net) | r(2)),
                "\(.rss0 / 1024 | r(1))→\(.rss / 1024 | r(1))", (.crps | r(0)), (.ccpu | r(1)), (ratio(.crss; 1024) | r(1)),
                (.rrat | r(2)), (.crat | r(2))] | map(tostring) | "| \(join(" | ")) |")' "$RUNS"
echo
echo "runs: $RUNS"
jq -se 'map(.lost + .errors + .timeouts) | add == 0' "$RUNS" >/dev/null \
    || { echo "scaling.sh: some requests were lost, failed or timed out" >&2; exit 1; }
