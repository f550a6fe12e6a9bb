#!/usr/bin/env bash
# zlb-stress's files: a path it cannot write, or a --report name that is
# neither .svg nor .html, ends the program with exit 2 before any request
# is sent (the broker routes nothing); "-" writes the JSON (or CSV) to
# standard output, which then holds only that; --duration is the measured
# period, reported exactly, and the drain after it is labelled. Needs jq.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"
S=$ZLB_BIN/zlb-stress
start_broker
start_worker w1

# refused FLAGS...: exit 2 with a message, and no load.
n=0
refused () {
    n=$((n + 1))
    spawn "bad-$n" "${WRAP[@]}" "$S" --connect "$ENDPOINT" --duration 1s "$@"
    wait_exit "$LAST_PID" 30 || fail "zlb-stress $* still running"
    [ "$EXIT_RC" = 2 ] || fail "zlb-stress $*: exit $EXIT_RC, expected 2"
    [ -s "$T_DIR/bad-$n.err" ] || fail "zlb-stress $*: no message"
    ! grep -q '^\[ ' "$T_DIR/bad-$n.err" || fail "zlb-stress $*: progress lines, so load was sent"
    step "$* -> 2: $(head -n 1 "$T_DIR/bad-$n.err")"
}
refused --json "$T_DIR/missing/run.json"
refused --csv "$T_DIR"
refused --report "$T_DIR/run.png"
refused --report "$T_DIR/missing/run.svg"
refused --log "$T_DIR/missing/run.log"
refused --json - --csv -
[ "$(grep -c request_routed "$BROKER_LOG")" = 0 ] || fail "the broker routed requests of a refused run"
[ ! -e "$T_DIR/run.png" ] || fail "a refused --report left a file"

step "--json - : standard output is the JSON document"
spawn tostdout "${WRAP[@]}" "$S" --connect "$ENDPOINT" --clients 2 --threads 1 --requests 20 --json -
wait_exit "$LAST_PID" 60 || fail "zlb-stress --json - still running"
[ "$EXIT_RC" = 0 ] || fail "exit $EXIT_RC"
jq -e '.ok == 20' "$T_DIR/tostdout.out" >/dev/null || fail "stdout is not the JSON: $(head -c 300 "$T_DIR/tostdout.out")"
assert_grep "throughput" "$T_DIR/tostdout.err" "the summary did not go to stderr"
spawn csv "${WRAP[@]}" "$S" --connect "$ENDPOINT" --clients 1 --threads 1 --requests 5 --csv - \
    --report "$T_DIR/run.html"
wait_exit "$LAST_PID" 60 || fail "zlb-stress --csv - still running"
[ "$(head -n 1 "$T_DIR/csv.out" | cut -d, -f1)" = second ] || fail "stdout is not the CSV"
head -n 1 "$T_DIR/run.html" | grep -qi "<!DOCTYPE html>" || fail "--report .html is not HTML"

step "--duration 1s against a 2.5 s request: measured 1 s, then a labelled drain"
start_worker sleepy --service slow --work-us 2500000
spawn timed "${WRAP[@]}" "$S" --connect "$ENDPOINT" --service slow --clients 1 --threads 1 \
    --duration 1s --json "$T_DIR/timed.json"
wait_exit "$LAST_PID" 60 || fail "zlb-stress --duration 1s still running"
[ "$EXIT_RC" = 0 ] || fail "exit $EXIT_RC"
step "$(jq -c '{measured_s, drain_s, ok, throughput_rps}' "$T_DIR/timed.json")"
jq -e '.measured_s == 1 and .params.duration_ms == 1000' "$T_DIR/timed.json" >/dev/null \
    || fail "measured period is not the --duration: $(jq .measured_s "$T_DIR/timed.json") s"
jq -e '.ok == 1 and .throughput_rps == (.ok / .measured_s) and .drain_s > 1' "$T_DIR/timed.json" \
    >/dev/null || fail "throughput not over the measured period"
assert_grep "^\[ +2s drain\]" "$T_DIR/timed.err" "no progress line labelled drain"
assert_grep "over the measured 1.00 s" "$T_DIR/timed.out" "summary does not name the measured period"
pass
