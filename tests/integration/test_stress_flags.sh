#!/usr/bin/env bash
# zlb-stress: bad flags exit 2 with a message; --help and --version exit 0;
# a run whose replies cannot all come back in the drain period reports them
# as lost and exits 1, with the counts still adding up. Needs jq.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

S=$ZLB_BIN/zlb-stress
bad_flag () {
    local out rc
    out=$(timeout 10 "$S" "$@" 2>&1 >/dev/null)
    rc=$?
    [ "$rc" = 2 ] || fail "zlb-stress $* exited $rc, expected 2"
    [ -n "$out" ] || fail "zlb-stress $* printed no message"
    step "zlb-stress $* -> 2: $out"
}
bad_flag --bogus
bad_flag --clients 0
bad_flag --clients many
bad_flag --threads -1
bad_flag --pipeline 0
bad_flag --rate 0
bad_flag --rate fast
bad_flag --duration soon
bad_flag --requests 0
bad_flag --size -5
bad_flag --timeout-ms 0
bad_flag --retries -1
bad_flag --log-level loud
bad_flag --service ""
bad_flag --duration
bad_flag extra-argument
timeout 10 "$S" --help | grep -q -- "--rate" || fail "--help does not describe --rate"
timeout 10 "$S" --version | grep -Eq "^zlb-stress [0-9]+\.[0-9]+" || fail "--version"

step "slow worker, drain 100 ms: requests still in flight count as lost, exit 1"
start_broker --log-level info
start_worker slow --work-us 400000
spawn lost "$S" --connect "$ENDPOINT" --clients 2 --threads 1 --pipeline 2 --requests 4 \
    --drain 100ms --json "$T_DIR/lost.json"
wait_exit "$LAST_PID" 30 || fail "zlb-stress still running after 30 s"
[ "$EXIT_RC" = 1 ] || fail "exit code $EXIT_RC with lost replies, expected 1"
jq -e '.sent == 4 and .lost > 0 and .sent == .ok + .errors + .timeouts + .lost' "$T_DIR/lost.json" \
    >/dev/null || fail "lost run counts: $(jq -c '{sent,ok,errors,timeouts,lost}' "$T_DIR/lost.json")"
step "$(jq -c '{sent,ok,lost}' "$T_DIR/lost.json")"
assert_grep "lost" "$T_DIR/lost.err" "no word about lost replies on stderr"
pass
