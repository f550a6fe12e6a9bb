#!/usr/bin/env bash
# bench/metrics.sh - does scraping /metrics slow down routing?
#
#   bench/metrics.sh [--services N] [--rounds R] [--duration SECONDS]
#                    [--clients C] [--workers W] [--scrapers S] [--bin DIR]
#
# One broker (ipc://, --metrics on 127.0.0.1) with N services in its table
# (default 1000: zlb-bench-services queues one request for each), W echo
# workers (default 2) and zlb-stress with C closed-loop clients (default 8).
# Each round runs zlb-stress twice, alternating: alone, then while S
# scrapers (default 1) fetch /metrics with curl in a loop as fast as they
# can (each a new connection; 50 per curl process). Prints one JSON line
# per run: req/s, p50/p99 µs, scrapes/s, and the CPU time of the broker's
# loop thread (in all and per request) and of its other threads (the HTTP
# thread, libzmq's I/O thread); per round, the ratio of req/s with / without
# the scrapers; then the median ratio, and what one snapshot of the N
# services costs the broker's loop (its metrics_snapshot debug lines, from a
# second broker logging at debug level with no traffic, scraped 5 times).
# Nothing is asserted: this is a measurement
# (docs/security.md, "The metrics endpoint"). Every process is stopped by PID.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$HERE/../build/bin
SERVICES=1000 ROUNDS=3 DURATION=5 CLIENTS=8 WORKERS=2 SCRAPERS=1

while [ $# -gt 0 ]; do
    case $1 in
        --services) SERVICES=$2; shift 2 ;;
        --rounds)   ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --clients)  CLIENTS=$2; shift 2 ;;
        --workers)  WORKERS=$2; shift 2 ;;
        --scrapers) SCRAPERS=$2; shift 2 ;;
        --bin)      BIN=$2; shift 2 ;;
        *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
for program in zlb-broker zlb-worker zlb-stress zlb-bench-services; do
    [ -x "$BIN/$program" ] || { echo "metrics.sh: $BIN/$program is not built" >&2; exit 2; }
done
command -v curl >/dev/null && command -v jq >/dev/null \
    || { echo "metrics.sh: curl and jq are needed" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-bench-metrics.XXXXXX") || exit 2
PIDS=()
cleanup () {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
spawn () { "$@" >>"$TMP/out.log" 2>&1 & PIDS+=("$!"); }

ENDPOINT=ipc://$TMP/broker.ipc
spawn "$BIN/zlb-broker" --bind "$ENDPOINT" --metrics 127.0.0.1:0 --log "$TMP/broker.log" \
    --request-timeout-ms 3600000 --max-services $(( SERVICES + 16 ))
BROKER=${PIDS[-1]}
for _ in $(seq 100); do grep -q "url=" "$TMP/broker.log" 2>/dev/null && break; sleep 0.05; done
URL=$(grep -o 'url=http://[^ ]*' "$TMP/broker.log" | head -n 1 | cut -d= -f2)
[ -n "$URL" ] || { echo "metrics.sh: the broker did not start" >&2; exit 1; }
for index in $(seq "$WORKERS"); do
    spawn "$BIN/zlb-worker" --connect "$ENDPOINT" --id "w$index" --log "$TMP/worker.log"
done
spawn "$BIN/zlb-bench-services" "$ENDPOINT" "$SERVICES"
services () { curl -s -m 10 "$URL" | awk '$1 == "zlb_services" { print $2 }'; }
for _ in $(seq 100); do [ "$(services)" -ge "$SERVICES" ] 2>/dev/null && break; sleep 0.1; done
BYTES=$(curl -s -m 10 "$URL" | wc -c)
echo "{\"services\": $(services), \"exposition_bytes\": $BYTES, \"url\": \"$URL\"}"

# scrape SECONDS FILE: fetch /metrics in a loop, one connection after the
# other, 50 per curl process (so that forking curl does not eat the CPU the
# broker needs); one line in FILE per 200 answer.
scrape () {
    local end=$(( SECONDS + $1 ))
    while [ "$SECONDS" -lt "$end" ]; do
        curl -s -m 60 "$URL?n=[1-50]" -o /dev/null -w '%{http_code}\n' | grep '^200' >> "$2"
    done
}

# cpu_ms: CPU time (user + system) of the broker's own thread and of the
# other threads (the HTTP thread, libzmq's I/O thread) so far, in ms.
cpu_ms () {
    local tick=$(( 1000 / $(getconf CLK_TCK) )) task loop=0 other=0 ticks
    for task in /proc/"$BROKER"/task/*; do
        ticks=$(awk '{ print $14 + $15 }' "$task/stat")
        if [ "${task##*/}" = "$BROKER" ]; then loop=$(( loop + ticks * tick ))
        else other=$(( other + ticks * tick )); fi
    done
    echo "$loop $other"
}

# run SCRAPERS ROUND: one zlb-stress run; prints a JSON line, req/s in RPS.
run () {
    local scrapers=$1 json=$TMP/stress.json count=0 index pids=()
    : > "$TMP/scrapes"
    read -r loop0 other0 <<< "$(cpu_ms)"
    for index in $(seq "$scrapers"); do
        scrape $(( DURATION + 1 )) "$TMP/scrapes" &
        pids+=($!)
    done
    "$BIN/zlb-stress" --connect "$ENDPOINT" --clients "$CLIENTS" --threads 1 --pipeline 1 \
        --duration "${DURATION}s" --warmup 1s --json "$json" --log "$TMP/stress.log" \
        >/dev/null 2>&1
    for index in "${pids[@]}"; do wait "$index"; done
    count=$(wc -l < "$TMP/scrapes")
    read -r loop1 other1 <<< "$(cpu_ms)"
    RPS=$(jq '.throughput_rps' "$json")
    jq -c --argjson round "$2" --argjson scrapers "$scrapers" \
        --argjson loop_cpu_ms $(( loop1 - loop0 )) --argjson other_cpu_ms $(( other1 - other0 )) \
        --argjson scrapes_per_s "$(awk -v n="$count" -v d="$DURATION" 'BEGIN { printf "%.1f", n / (d + 1) }')" \
        '{round: $round, scrapers: $scrapers, scrapes_per_s: $scrapes_per_s,
          rps: .throughput_rps, p50_us: .rtt_us.p50, p99_us: .rtt_us.p99, lost: .lost,
          loop_cpu_us_per_req: (if .sent > 0 then ($loop_cpu_ms * 1000 / .sent | floor) else 0 end),
          loop_cpu_ms: $loop_cpu_ms, other_threads_cpu_ms: $other_cpu_ms}' "$json"
}

ratios=()
for round in $(seq "$ROUNDS"); do
    run 0 "$round"; alone=$RPS
    run "$SCRAPERS" "$round"; scraped=$RPS
    ratio=$(awk -v a="$alone" -v b="$scraped" 'BEGIN { printf "%.3f", b / a }')
    echo "{\"round\": $round, \"ratio_with_to_without\": $ratio}"
    ratios+=("$ratio")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END {
    printf "{\"median_ratio\": %s, \"rounds\": %d}\n", r[int((NR + 1) / 2)], NR }'

# The snapshot's cost in the broker's loop: a quiet broker at debug level.
ENDPOINT=ipc://$TMP/quiet.ipc
spawn "$BIN/zlb-broker" --bind "$ENDPOINT" --metrics 127.0.0.1:0 --log "$TMP/quiet.log" \
    --log-level debug --request-timeout-ms 3600000 --max-services $(( SERVICES + 16 ))
for _ in $(seq 100); do grep -q "url=" "$TMP/quiet.log" 2>/dev/null && break; sleep 0.05; done
URL=$(grep -o 'url=http://[^ ]*' "$TMP/quiet.log" | head -n 1 | cut -d= -f2)
spawn "$BIN/zlb-bench-services" "$ENDPOINT" "$SERVICES"
for _ in $(seq 100); do [ "$(services)" -ge "$SERVICES" ] 2>/dev/null && break; sleep 0.1; done
for _ in 1 2 3 4 5; do sleep 1.1; curl -s -m 10 -o /dev/null "$URL"; done
grep -o 'metrics_snapshot services=[0-9]* us=[0-9]*' "$TMP/quiet.log" | tail -n 5 \
    | sed 's/.*us=//' | sort -n | awk '{ us[NR] = $1 } END {
        printf "{\"snapshot_us_median\": %s, \"snapshots\": %d}\n", us[int((NR + 1) / 2)], NR }'
