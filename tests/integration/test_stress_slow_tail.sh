#!/usr/bin/env bash
# Open loop at the same rate, first with two fast workers, then with a
# third, deliberately slow one (--work-us 50000): the slow worker must show
# up in the tail (p99 above the fast run's and at least its 50 ms of service
# time), while nothing is lost. The margin is wide on purpose: a loaded
# machine can push the fast run's p99 to several ms. Needs jq.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_broker --log-level info
start_worker fast1
start_worker fast2

run_stress () {
    local name=$1
    shift
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --clients 4 \
        --threads 2 --rate 400 --duration 2s --json "$T_DIR/$name.json" "$@"
    wait_exit "$LAST_PID" 30 || fail "zlb-stress $name still running after 30s"
    [ "$EXIT_RC" = 0 ] || fail "zlb-stress $name exit code $EXIT_RC"
    jq -e '.sent == .ok + .errors + .timeouts + .lost and .lost == 0 and .mismatched == 0' \
        "$T_DIR/$name.json" >/dev/null || fail "$name: counts wrong: $(jq -c '{sent,ok,errors,timeouts,lost,mismatched}' "$T_DIR/$name.json")"
    step "$name: $(jq -c '{ok, p50: .rtt_us.p50, p99: .rtt_us.p99, max: .rtt_us.max, per_worker}' "$T_DIR/$name.json")"
}

step "two fast workers"
run_stress fast
start_worker slow --work-us 50000
step "plus one slow worker (50 ms per request)"
run_stress slow

jq -e '.per_worker.slow > 0.01 * .ok' "$T_DIR/slow.json" >/dev/null \
    || fail "the slow worker served 1% or less: $(jq -c '{ok,per_worker}' "$T_DIR/slow.json")"
step "p99: fast run $(jq .rtt_us.p99 "$T_DIR/fast.json") us, with the slow worker $(jq .rtt_us.p99 "$T_DIR/slow.json") us"
jq -e '.rtt_us.p99 >= 50000' "$T_DIR/slow.json" >/dev/null \
    || fail "slow worker's tail not visible: p99 $(jq .rtt_us.p99 "$T_DIR/slow.json") us"
jq -e '.service_us.max >= 50000' "$T_DIR/slow.json" >/dev/null || fail "service time of the slow worker not seen"
pass
