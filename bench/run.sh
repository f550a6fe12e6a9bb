#!/usr/bin/env bash
# bench/run.sh - zlb against the physical ceiling (a plain zmq_proxy with
# echo workers), alternating, several rounds, over a matrix of workers,
# clients, payload sizes and transports. Also measures zlb-stress's own
# ceiling against a do-nothing echo peer. See docs/performance.md.
#
#   bench/run.sh [--smoke] [--rounds N] [--duration D] [--warmup D]
#                [--systems "zlb zlb-strict zlb-credit ceiling"] [--credit N]
#                [--workers "1 4"] [--clients "1 8 32"] [--sizes "64 4096"]
#                [--transports "ipc tcp"] [--echo-clients "1 8 32"]
#                [--bin DIR] [--out DIR] [--report-only] [--bars]
#
# Prints a table (medians over rounds: requests/s, p50, p99 in µs, and the
# ratios zlb/ceiling: of the medians, and "rnd rat", the median of each
# round's own ratio, the steadier figure on a noisy machine), writes OUT/runs.jsonl (one line per run),
# OUT/results.json (the medians) and OUT/results.svg (the picture).
# Systems: zlb = zlb-broker + zlb-worker with default settings (adaptive
# credit); zlb-strict = the same with --credit 1 (strict MDP 0.1);
# zlb-credit = the same with zlb-worker --credit N; ceiling = zmq_proxy +
# REP echo workers. Every process is stopped by its PID.
# --report-only: no runs; redo the table, JSON and SVG from OUT/runs.jsonl
# (e.g. of an interrupted run).
# --smoke: one tiny cell per system, ~2 s of work in all (CI keeps this
# script working with it; nothing about speed is asserted).
# --bars: issue 14's bars: the default zlb against the ceiling on the bar
# cells (1 and 4 workers, 1 and 32 clients, 64 B, ipc and tcp), then
# bench/uneven.sh and bench/idle.sh; ends with one line per bar, the
# figure and whether it holds. (Any run prints the bars its cells cover.)

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$HERE/../build/bin
OUT=$PWD/bench-out
ROUNDS=3
DURATION=3s
WARMUP=1s
SYSTEMS="zlb zlb-strict ceiling"
CREDIT=8
WORKERS="1 4"
CLIENTS="1 8 32"
SIZES="64 4096"
TRANSPORTS="ipc tcp"
ECHO_CLIENTS="1 8 32"
SMOKE=0
BARS=0
REPORT_ONLY=0

usage () { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

while [ $# -gt 0 ]; do
    case $1 in
        --smoke)        SMOKE=1; shift ;;
        --bars)         BARS=1; shift ;;
        --report-only)  REPORT_ONLY=1; shift ;;
        --rounds)       ROUNDS=$2; shift 2 ;;
        --duration)     DURATION=$2; shift 2 ;;
        --warmup)       WARMUP=$2; shift 2 ;;
        --systems)      SYSTEMS=$2; shift 2 ;;
        --credit)       CREDIT=$2; shift 2 ;;
        --workers)      WORKERS=$2; shift 2 ;;
        --clients)      CLIENTS=$2; shift 2 ;;
        --sizes)        SIZES=$2; shift 2 ;;
        --transports)   TRANSPORTS=$2; shift 2 ;;
        --echo-clients) ECHO_CLIENTS=$2; shift 2 ;;
        --bin)          BIN=$2; shift 2 ;;
        --out)          OUT=$2; shift 2 ;;
        --help|-h)      usage 0 ;;
        *)              echo "run.sh: unknown argument '$1'" >&2; usage 2 ;;
    esac
done
if [ "$BARS" = 1 ]; then
    SYSTEMS="zlb ceiling" WORKERS="1 4" CLIENTS="1 32" SIZES=64 TRANSPORTS="ipc tcp"
    ECHO_CLIENTS=""
fi
if [ "$SMOKE" = 1 ]; then
    ROUNDS=1 DURATION=300ms WARMUP=100ms WORKERS=1 CLIENTS=8 SIZES=64
    TRANSPORTS=ipc ECHO_CLIENTS=8
fi

for program in zlb-broker zlb-worker zlb-stress zlb-bench-ceiling zlb-bench-echo; do
    [ -x "$BIN/$program" ] || { echo "run.sh: $BIN/$program is not built" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "run.sh: jq is needed" >&2; exit 2; }

mkdir -p "$OUT" || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-bench.XXXXXX") || exit 2
RUNS=$OUT/runs.jsonl
[ "$REPORT_ONLY" = 1 ] || : > "$RUNS"
PIDS=()
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------
# Processes: started in the background, stopped by PID, always bounded.

alive () { kill -0 "$1" 2>/dev/null; }

stop_pid () {
    local pid=$1 tries=0
    kill -TERM "$pid" 2>/dev/null
    while alive "$pid" && [ $tries -lt 30 ]; do sleep 0.05; tries=$((tries + 1)); done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

stop_all () {
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    PIDS=()
}

cleanup () { stop_all; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

spawn () { "$@" >>"$TMP/out.log" 2>&1 & PIDS+=("$!"); }

# CPU seconds (user + system) a running process has used so far.
cpu_s () {
    local fields
    fields=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    # after the comm field: state is field 1, utime 12, stime 13
    echo "$fields" | awk -v tck="$CLK_TCK" '{ printf "%.3f", ($12 + $13) / tck }'
}

# wait_until TIMEOUT_S COMMAND...: poll every 50 ms.
wait_until () {
    local limit=$(( $1 * 20 )) i=0
    shift
    until "$@"; do
        i=$((i + 1))
        [ $i -ge $limit ] && return 1
        sleep 0.05
    done
}

free_port () {
    local port
    while true; do
        port=$(( 20000 + RANDOM % 30000 ))
        ss -Htln "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return; }
    done
}

# endpoint TRANSPORT NAME: a fresh endpoint for this run.
endpoint () {
    if [ "$1" = ipc ]; then echo "ipc://$TMP/$2.ipc"; else echo "tcp://127.0.0.1:$(free_port)"; fi
}

joins () { cat "$TMP/broker.log" 2>/dev/null | grep -c worker_join; }
joined () { [ "$(joins)" -ge "$1" ]; }
ready_lines () { cat "$TMP/out.log" 2>/dev/null | grep -c "ready"; }
all_ready () { [ "$(ready_lines)" -ge "$1" ]; }

# ---------------------------------------------------------------------------
# One run: start the system, drive it with zlb-stress, record one JSON line.

# start_zlb TRANSPORT WORKERS CREDIT -> sets EP, SERVER_PID (CREDIT "": the default)
start_zlb () {
    local i attempt
    for attempt in 1 2 3; do
        # a random tcp port may have been taken meanwhile: then try another
        EP=$(endpoint "$1" broker)
        rm -f "$TMP/broker.log"
        spawn "$BIN/zlb-broker" --bind "$EP" --log "$TMP/broker.log" --log-level info
        SERVER_PID=${PIDS[-1]}
        wait_until 2 grep -qs "broker_start" "$TMP/broker.log" && alive "$SERVER_PID" && break
        echo "run.sh: broker did not start on $EP (attempt $attempt)" >&2
        stop_all
    done
    for i in $(seq 1 "$2"); do
        spawn "$BIN/zlb-worker" --connect "$EP" --id "w$i" ${3:+--credit "$3"} \
            --log "$TMP/server.log" --log-level warning
    done
    wait_until 10 joined "$2" || echo "run.sh: only $(joins) of $2 workers joined" >&2
}

# start_ceiling TRANSPORT WORKERS -> sets EP, SERVER_PID
start_ceiling () {
    local i backend
    EP=$(endpoint "$1" frontend)
    backend=$(endpoint "$1" backend)
    : > "$TMP/out.log"
    spawn "$BIN/zlb-bench-ceiling" proxy "$EP" "$backend"
    SERVER_PID=${PIDS[-1]}
    wait_until 5 all_ready 1
    for i in $(seq 1 "$2"); do
        spawn "$BIN/zlb-bench-ceiling" worker "$backend" "w$i"
    done
    wait_until 5 all_ready $(( $2 + 1 )) || echo "run.sh: ceiling workers not ready" >&2
}

start_echo () {
    EP=$(endpoint "$1" echo)
    : > "$TMP/out.log"
    spawn "$BIN/zlb-bench-echo" "$EP"
    SERVER_PID=${PIDS[-1]}
    wait_until 5 all_ready 1 || echo "run.sh: echo peer not ready" >&2
}

# run_one SYSTEM TRANSPORT WORKERS CLIENTS SIZE ROUND
run_one () {
    local system=$1 transport=$2 workers=$3 clients=$4 size=$5 round=$6
    local json=$TMP/stress.json server_cpu workers_cpu=0 pid
    case $system in
        zlb)        start_zlb "$transport" "$workers" "" ;;
        zlb-strict) start_zlb "$transport" "$workers" 1 ;;
        zlb-credit) start_zlb "$transport" "$workers" "$CREDIT" ;;
        ceiling)    start_ceiling "$transport" "$workers" ;;
        echo)       start_echo "$transport" ;;
    esac
    rm -f "$json"
    /usr/bin/time -f "%U %S %e" -o "$TMP/time" \
        "$BIN/zlb-stress" --connect "$EP" --clients "$clients" --size "$size" \
        --duration "$DURATION" --warmup "$WARMUP" --timeout-ms 2000 --retries 1 \
        --drain 3s --json "$json" --log "$TMP/stress.log" 2>>"$TMP/stress.err" >/dev/null
    server_cpu=$(cpu_s "$SERVER_PID")
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$SERVER_PID" ] && continue
        workers_cpu=$(awk -v a="$workers_cpu" -v b="$(cpu_s "$pid")" 'BEGIN { printf "%.3f", a + b }')
    done
    stop_all
    if [ ! -s "$json" ]; then
        echo "run.sh: no JSON from zlb-stress ($system $transport w=$workers c=$clients s=$size)" >&2
        tail -n 5 "$TMP/stress.err" >&2
        return 1
    fi
    read -r utime stime wall < "$TMP/time"
    jq -c --arg system "$system" --arg transport "$transport" --argjson workers "$workers" \
        --argjson clients "$clients" --argjson size "$size" --argjson round "$round" \
        --argjson server_cpu "$server_cpu" --argjson workers_cpu "$workers_cpu" \
        --argjson stress_cpu "$(awk -v u="$utime" -v s="$stime" 'BEGIN { print u + s }')" \
        --argjson wall "$wall" \
        '{system: $system, transport: $transport, workers: $workers, clients: $clients,
          size: $size, round: $round, rps: .throughput_rps, p50: .rtt_us.p50,
          p99: .rtt_us.p99, ok: .ok, lost: .lost, mismatched: .mismatched,
          errors: .errors, timeouts: .timeouts, server_cpu_s: $server_cpu,
          workers_cpu_s: $workers_cpu, stress_cpu_s: $stress_cpu, wall_s: $wall}' \
        "$json" >> "$RUNS"
    if [ "$(tail -n 1 "$RUNS" | jq .ok)" -eq 0 ]; then
        echo "run.sh: no request answered ($system $transport w=$workers c=$clients s=$size)" >&2
        return 1
    fi
    jq -r '"  \(.system) \(.transport) w=\(.workers) c=\(.clients) s=\(.size): \(.rps|floor) req/s p50=\(.p50)us p99=\(.p99)us lost=\(.lost)"' \
        < <(tail -n 1 "$RUNS") >&2
}

# ---------------------------------------------------------------------------
# The rounds: every cell runs each system in turn; odd rounds reverse the
# order so that slow drift of the machine does not favour one system.

failures=0
[ "$REPORT_ONLY" = 1 ] && ROUNDS=0
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    order=$SYSTEMS
    [ $((round % 2)) = 0 ] && order=$(echo "$SYSTEMS" | tr ' ' '\n' | tac | tr '\n' ' ')
    for transport in $TRANSPORTS; do
        for workers in $WORKERS; do
            for clients in $CLIENTS; do
                for size in $SIZES; do
                    for system in $order; do
                        run_one "$system" "$transport" "$workers" "$clients" "$size" "$round" \
                            || failures=$((failures + 1))
                    done
                done
            done
        done
        # zlb-stress's own ceiling: a peer that answers at once.
        for clients in $ECHO_CLIENTS; do
            for size in $SIZES; do
                run_one echo "$transport" 0 "$clients" "$size" "$round" || failures=$((failures + 1))
            done
        done
    done
done

# ---------------------------------------------------------------------------
# Medians over rounds, ratios, table, JSON and SVG.

jq -s --arg credit "$CREDIT" '
  def median: sort | if length == 0 then null
              elif length % 2 == 1 then .[length / 2 | floor]
              else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def cellkey: "\(.transport) \(.workers) \(.clients) \(.size)";
  map(select(.ok > 0))          # a run that failed to start says nothing about speed
  | (group_by([.system, .transport, .workers, .clients, .size]) | map({
      system: .[0].system, transport: .[0].transport, workers: .[0].workers,
      clients: .[0].clients, size: .[0].size, rounds: length,
      rps: (map(.rps) | median), p50: (map(.p50) | median), p99: (map(.p99) | median),
      lost: (map(.lost) | add), mismatched: (map(.mismatched) | add),
      server_cpu_pct: (map(100 * .server_cpu_s / .wall_s) | median),
      stress_cpu_pct: (map(100 * .stress_cpu_s / .wall_s) | median)})) as $medians
  | ($medians | map(select(.system == "ceiling")) | map({key: cellkey, value: .}) | from_entries) as $ceil
  | (map(select(.system == "ceiling")) | map({key: "\(cellkey) \(.round)", value: .rps})
     | from_entries) as $ceil_round
  | (map(select(.system != "ceiling" and .system != "echo"))
     | map(. as $r | {key: "\(.system) \(cellkey)",
                      value: (if ($ceil_round["\(cellkey) \(.round)"] // 0) > 0
                              then $r.rps / $ceil_round["\(cellkey) \(.round)"] else null end)})
     | group_by(.key) | map({key: .[0].key, value: (map(.value) | map(select(. != null)) | median)})
     | from_entries) as $round_ratio
  | {credit: ($credit | tonumber),
     medians: $medians,
     cells: ($medians | map(select(.system != "ceiling" and .system != "echo"))
              | map(. as $m | $ceil[$m | cellkey] as $c
                    | $m + {ceiling_rps: $c.rps, ceiling_p50: $c.p50,
                            ratio: (if ($c.rps // 0) > 0 then $m.rps / $c.rps else null end),
                            p50_ratio: (if ($c.p50 // 0) > 0 then $m.p50 / $c.p50 else null end),
                            round_ratio: $round_ratio["\($m.system) \($m | cellkey)"]})),
     echo: ($medians | map(select(.system == "echo")))}' "$RUNS" > "$OUT/results.json"

echo
printf "%-4s %2s %3s %5s | %-10s %9s %7s %7s | %9s %7s | %6s %7s %7s\n" \
    tran wrk cli size system "req/s" p50us p99us "ceil r/s" "ceil p50" ratio "rnd rat" "p50 rat"
jq -r '.cells | sort_by(.transport, .workers, .clients, .size, .system)[]
       | [.transport, .workers, .clients, .size, .system, (.rps | floor), (.p50 | round),
          (.p99 | round), ((.ceiling_rps // 0) | floor), ((.ceiling_p50 // 0) | round),
          ((.ratio // 0) * 100 | round / 100), ((.round_ratio // 0) * 100 | round / 100),
          ((.p50_ratio // 0) * 100 | round / 100)] | @tsv' \
    "$OUT/results.json" |
while IFS=$'\t' read -r t w c s sys rps p50 p99 crps cp50 ratio rratio p50r; do
    printf "%-4s %2s %3s %5s | %-10s %9s %7s %7s | %9s %7s | %6s %7s %7s\n" \
        "$t" "$w" "$c" "$s" "$sys" "$rps" "$p50" "$p99" "$crps" "$cp50" "$ratio" "$rratio" "$p50r"
done
echo
echo "zlb-stress against the do-nothing echo peer (its own ceiling):"
jq -r '.echo | sort_by(.transport, .clients, .size)[]
       | "  \(.transport) clients=\(.clients) size=\(.size): \(.rps | floor) req/s p50=\(.p50)us stress_cpu=\(.stress_cpu_pct | round)% peer_cpu=\(.server_cpu_pct | round)%"' \
    "$OUT/results.json"

# The picture: one row per cell, a bar per zlb system showing its ratio to
# the ceiling (1.0 = as fast as zmq_proxy), with the 0.9 bar marked.
jq -r '
  (.cells | sort_by(.transport, .workers, .clients, .size, .system)) as $cells
  | ($cells | length) as $n | 22 as $row | 260 as $x0 | 520 as $w
  | ($n * $row + 70) as $h
  | def bx(r): ($x0 + ([r, 1.5] | min) / 1.5 * $w);
    def color(s): if s == "zlb" then "#4a7bd0" elif s == "zlb-strict" then "#999999" else "#e08a2c" end;
  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\($x0 + $w + 80)\" height=\"\($h)\" font-family=\"sans-serif\" font-size=\"12\">",
  "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
  "<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">zlb requests/s as a fraction of the zmq_proxy ceiling (medians; blue: default, adaptive credit; grey: strict MDP; orange: credit \(.credit))</text>",
  ($cells | to_entries[] | .key as $i | .value as $c | (40 + $i * $row) as $y |
    "<text x=\"10\" y=\"\($y + 14)\">\($c.transport) \($c.workers)w \($c.clients)c \($c.size)B \($c.system)</text>",
    "<rect x=\"\($x0)\" y=\"\($y + 3)\" width=\"\(bx($c.ratio // 0) - $x0)\" height=\"\($row - 6)\" fill=\"\(color($c.system))\"/>",
    "<text x=\"\(bx($c.ratio // 0) + 4)\" y=\"\($y + 14)\">\((($c.ratio // 0) * 100 | round) / 100) (\($c.rps | floor)/s)</text>"),
  "<line x1=\"\(bx(0.9))\" y1=\"30\" x2=\"\(bx(0.9))\" y2=\"\($h - 20)\" stroke=\"red\" stroke-dasharray=\"4 3\"/>",
  "<text x=\"\(bx(0.9) - 10)\" y=\"\($h - 6)\" fill=\"red\">0.9</text>",
  "<line x1=\"\(bx(1))\" y1=\"30\" x2=\"\(bx(1))\" y2=\"\($h - 20)\" stroke=\"#444\"/>",
  "<text x=\"\(bx(1) - 6)\" y=\"\($h - 6)\">1.0</text>",
  "</svg>"' "$OUT/results.json" > "$OUT/results.svg"

# ---------------------------------------------------------------------------
# Issue 14's bars: what this run's cells say, plus uneven.sh and idle.sh
# with --bars (their last JSON lines, kept in OUT).

if [ "$BARS" = 1 ]; then
    echo "bars: bench/uneven.sh 3 5, bench/idle.sh 2 8 1000 2000" >&2
    "$HERE/uneven.sh" 3 5 | tail -n 1 > "$OUT/uneven.json" || echo "run.sh: uneven.sh failed" >&2
    "$HERE/idle.sh" 2 8 1000 2000 | tail -n 1 > "$OUT/idle.json" || echo "run.sh: idle.sh failed" >&2
fi
echo
echo "bars (issue 14; ratios are medians of per-round ratios, rounded towards the bar):"
jq -r '.cells[] | select(.system == "zlb" and .size == 64)
       | if .clients == 32 and (.workers == 4 or .workers == 1) then
           "  \(.workers) worker(s), 32 clients, 64 B, \(.transport): req/s \((.round_ratio // 0) * 100 | floor / 100)x the ceiling (>= 0.9): \(if (.round_ratio // 0) >= 0.9 then "holds" else "SHORT" end)"
         elif .clients == 1 then
           "  \(.workers) worker(s), 1 client, 64 B, \(.transport): p50 \((.p50_ratio // 0) * 100 | ceil / 100)x the ceiling (<= 1.1): \(if (.p50_ratio // 9) <= 1.1 then "holds" else "SHORT" end)"
         else empty end' "$OUT/results.json"
if [ -s "$OUT/uneven.json" ]; then
    jq -r '"  uneven workers, default / strict: req/s \(.throughput_ratio * 100 | floor / 100)x (>= 0.9): \(if .throughput_ratio >= 0.9 then "holds" else "SHORT" end); p99 \(.p99_ratio * 100 | ceil / 100)x (<= 1.25): \(if .p99_ratio <= 1.25 then "holds" else "SHORT" end)"' "$OUT/uneven.json"
fi
if [ -s "$OUT/idle.json" ]; then
    jq -r '"  \(.workers) idle workers, broker / do-nothing peer CPU: \(.ratio)x (<= 1.5): \(if .ratio <= 1.5 then "holds" else "SHORT" end)"' "$OUT/idle.json"
fi

bad=$(jq -s 'map(.lost + .mismatched) | add // 0' "$RUNS")
echo
echo "runs: $RUNS; medians: $OUT/results.json; picture: $OUT/results.svg"
[ "$failures" -eq 0 ] || { echo "run.sh: $failures runs failed" >&2; exit 1; }
[ "$bad" -eq 0 ] || { echo "run.sh: $bad replies lost or mismatched" >&2; exit 1; }
exit 0
