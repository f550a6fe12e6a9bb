#!/usr/bin/env bash
# zlb-stress against a real broker and three echo workers: exit 0, the JSON
# counts add up (sent = ok + errors + timeouts + lost), nothing is lost or
# mismatched, per-worker counts add up to ok and every worker served some,
# and the CSV, SVG and log files are written. Then --requests N sends
# exactly N measured requests. Needs jq.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_broker --log-level info          # debug would log every routed request
for id in alpha bravo charlie; do
    start_worker "$id"
done

# run_stress NAME TIMEOUT_S ARGS...: zlb-stress to completion, exit code in EXIT_RC.
run_stress () {
    local name=$1 limit=$2
    shift 2
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" "$@"
    wait_exit "$LAST_PID" "$limit" || fail "zlb-stress $name still running after ${limit}s"
}

# check_sums FILE: the invariants every run must satisfy.
check_sums () {
    jq -e '.sent == .ok + .errors + .timeouts + .lost' "$1" >/dev/null \
        || fail "sent != ok + errors + timeouts + lost in $1: $(jq -c '{sent,ok,errors,timeouts,lost}' "$1")"
    jq -e '.lost == 0 and .mismatched == 0 and .errors == 0 and .timeouts == 0' "$1" >/dev/null \
        || fail "healthy run had failures: $(jq -c '{lost,mismatched,errors,timeouts}' "$1")"
    jq -e '([.per_worker[]] | add) == .ok' "$1" >/dev/null \
        || fail "per_worker does not add up to ok: $(jq -c '{ok,per_worker}' "$1")"
}

step "closed loop, 2 s, 6 clients x pipeline 2 on 2 threads"
run_stress closed 30 --clients 6 --threads 2 --pipeline 2 --duration 2s --size 100 \
    --json "$T_DIR/closed.json" --csv "$T_DIR/closed.csv" --report "$T_DIR/closed.svg" \
    --log "$T_DIR/stress.log"
[ "$EXIT_RC" = 0 ] || fail "zlb-stress exit code $EXIT_RC, expected 0"
J=$T_DIR/closed.json
jq -e . "$J" >/dev/null || fail "closed.json is not valid JSON"
check_sums "$J"
step "$(jq -c '{sent,ok,throughput_rps,per_worker}' "$J")"
# Every stream's first window (6 x 2) answered; how many more is speed.
jq -e '.ok >= 12' "$J" >/dev/null || fail "fewer than 12 ok replies"
for id in alpha bravo charlie; do
    jq -e --arg w "$id" '.per_worker[$w] > 0' "$J" >/dev/null || fail "worker $id served nothing"
done
for key in rtt_us latency_us service_us; do
    jq -e --arg k "$key" '.[$k] | has("p50") and has("p90") and has("p99") and has("p999")
        and has("p9999") and has("max") and has("mean") and has("stddev")' "$J" >/dev/null \
        || fail "$key lacks a percentile field"
done
jq -e '.rtt_us.p50 > 0 and .rtt_us.p50 <= .rtt_us.p99 and .rtt_us.p99 <= .rtt_us.max' "$J" >/dev/null \
    || fail "rtt percentiles out of order: $(jq -c .rtt_us "$J")"
jq -e '(.series | length) >= 2 and ([.series[].ok] | add) == .ok' "$J" >/dev/null \
    || fail "series missing or its ok counts do not add up"
jq -e '([.histograms.rtt_us[][2]] | add) == .ok' "$J" >/dev/null \
    || fail "histogram buckets do not add up to ok"
jq -e '.params.clients == 6 and .params.pipeline == 2 and .params.mode == "closed"' "$J" >/dev/null \
    || fail "params not recorded"
[ "$(head -n 1 "$T_DIR/closed.csv" | cut -d, -f1)" = second ] || fail "CSV has no header"
[ "$(wc -l < "$T_DIR/closed.csv")" -ge 3 ] || fail "CSV has fewer than 2 seconds"
head -c 200 "$T_DIR/closed.svg" | grep -q "<svg" || fail "report is not SVG"
tail -n 1 "$T_DIR/closed.svg" | grep -q "</svg>" || fail "SVG not complete"
assert_grep " summary .*lost=0" "$T_DIR/stress.log" "no summary in the stress log"
assert_grep "throughput" "$T_DIR/closed.out" "no summary on stdout"
assert_grep "p99.99" "$T_DIR/closed.out" "no percentile table on stdout"
assert_grep "^\[ +[0-9]+s\]" "$T_DIR/closed.err" "no progress lines on stderr"

step "--requests 777 with warmup: exactly 777 measured"
run_stress requests 30 --clients 5 --threads 2 --requests 777 --warmup 300ms \
    --json "$T_DIR/requests.json"
[ "$EXIT_RC" = 0 ] || fail "zlb-stress --requests exit code $EXIT_RC"
check_sums "$T_DIR/requests.json"
jq -e '.sent == 777 and .ok == 777' "$T_DIR/requests.json" >/dev/null \
    || fail "expected 777 sent and ok: $(jq -c '{sent,ok}' "$T_DIR/requests.json")"

step "open loop at 500 req/s for 2 s: about 1000 scheduled, corrected >= uncorrected"
run_stress open 30 --clients 4 --threads 2 --rate 500 --duration 2s --json "$T_DIR/open.json"
[ "$EXIT_RC" = 0 ] || fail "zlb-stress --rate exit code $EXIT_RC"
check_sums "$T_DIR/open.json"
# Every scheduled request is accounted for: sent, or counted as never sent
# (a loaded machine can put the generator behind; that is reported, not a
# failure of the tool).
step "$(jq -c '{sent,unsent}' "$T_DIR/open.json")"
jq -e '(.sent + .unsent) >= 990 and (.sent + .unsent) <= 1010' "$T_DIR/open.json" >/dev/null \
    || fail "open loop schedule not kept: $(jq -c '{sent,unsent}' "$T_DIR/open.json")"
jq -e '.rtt_us.p50 >= .rtt_uncorrected_us.p50 and .rtt_us.max >= .rtt_uncorrected_us.max' \
    "$T_DIR/open.json" >/dev/null || fail "corrected rtt below the uncorrected one"
assert_alive "$BROKER_PID" broker
pass
