#!/usr/bin/env bash
# The credit extension under failure: two slow zlb workers with --credit 4
# each hold several requests when they are killed (SIGKILL). The broker
# must redeliver every request they held, once each, to a strict MDP
# rescuer (credit 1) and a credit rescuer: zlb-stress, which never retries
# here, sees every request answered, none lost, none duplicated. Needs jq.
# (Strict raw MDP workers beside credit ones: test_raw_peers.sh.)
# (Killed processes make bash print "Killed" on stderr: expected.)
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

routed_to () { grep -Ec -- "request_routed .*worker=$1#" "$BROKER_LOG" 2>/dev/null; }
holds_four () { [ "$(routed_to victim1)" -ge 4 ] && [ "$(routed_to victim2)" -ge 4 ]; }

start_broker
# 60 s a request: the victims finish nothing before they are killed.
start_worker victim1 --credit 4 --work-us 60000000
start_worker victim2 --credit 4 --work-us 60000000
assert_grep "worker_join .*worker=victim1#.* credit=4" "$BROKER_LOG" "broker did not take credit 4"

step "8 streams, 24 requests, no client retries"
spawn stress "${WRAP[@]}" "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --clients 8 --threads 2 \
    --requests 24 --timeout-ms 15000 --retries 0 --drain 1s --json "$T_DIR/stress.json" \
    --log "$T_DIR/stress.log"
stress=$LAST_PID
wait_for 5 holds_four || fail "victims never held 4 requests each"
step "SIGKILL both victims, each holding 4 requests"
kill -KILL "${T_PID[worker-victim1]}" "${T_PID[worker-victim2]}"
start_worker strict
start_worker credit --credit 3

wait_exit "$stress" 30 || fail "zlb-stress still running 30 s after the kill"
[ "$EXIT_RC" = 0 ] || fail "zlb-stress exit code $EXIT_RC, expected 0"
J=$T_DIR/stress.json
step "$(jq -c '{sent,ok,errors,timeouts,lost,duplicates,per_worker}' "$J")"
jq -e '.sent == 24 and .ok == 24 and .lost == 0 and .timeouts == 0 and .errors == 0
       and .duplicates == 0 and .mismatched == 0' "$J" >/dev/null \
    || fail "requests lost or failed: $(jq -c '{sent,ok,errors,timeouts,lost,duplicates}' "$J")"
jq -e '(.per_worker.victim1 // 0) + (.per_worker.victim2 // 0) == 0' "$J" >/dev/null \
    || fail "the victims answered requests they never finished"
redelivered=$(broker_redeliveries)
step "$redelivered redeliveries"
# Each victim held 4 (one in service, three waiting) and finished none.
[ "$redelivered" -ge 8 ] || fail "only $redelivered redeliveries, expected 8"
[ "$(grep -c request_failed "$BROKER_LOG")" = 0 ] || fail "broker failed a request"
assert_alive "$BROKER_PID" broker
pass
