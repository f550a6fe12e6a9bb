#!/usr/bin/env bash
# zlb-stress's exit code says whether the run worked, and stderr says why
# not: no broker at the endpoint -> exit 1 and a hint naming it; a service
# without a worker -> exit 1 and a hint naming the service; errors above
# --max-error-rate (default 0) -> exit 1, within it -> exit 0. Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"
QUICK=(--clients 2 --threads 1 --duration 1s --timeout-ms 200 --retries 1)

step "no broker: every request times out"
NOBODY="ipc://$T_DIR/nobody.ipc"
run_stress nobroker 60 --connect "$NOBODY" "${QUICK[@]}" --json "$T_DIR/nobroker.json"
[ "$EXIT_RC" = 1 ] || fail "exit $EXIT_RC with no broker, expected 1"
step "hint: $(tail -n 1 "$T_DIR/nobroker.err")"
assert_grep "is a broker running at $NOBODY\?" "$T_DIR/nobroker.err" "no hint about the broker"
jq -e '.ok == 0 and .timeouts > 0 and .exit_code == 1 and (.hint | test("broker"))' \
    "$T_DIR/nobroker.json" >/dev/null || fail "JSON: $(jq -c '{ok,timeouts,exit_code,hint}' "$T_DIR/nobroker.json")"

step "a service nobody serves: every answer is 504"
start_broker --request-timeout-ms 100 --log-level info
run_stress noworker 60 "${QUICK[@]}" --service nobody --timeout-ms 5000
[ "$EXIT_RC" = 1 ] || fail "exit $EXIT_RC with no worker, expected 1"
step "hint: $(tail -n 1 "$T_DIR/noworker.err")"
assert_grep "is a worker serving 'nobody'\?" "$T_DIR/noworker.err" "no hint about the worker"

step "errors against --max-error-rate: a queue of 1 and a slow worker answer some 503s"
stop "$BROKER_PID"
start_broker --max-queue 1 --log-level info
start_worker slow --work-us 20000
FLOOD=(--clients 4 --threads 1 --pipeline 2 --requests 40 --timeout-ms 30000 --retries 0)
run_stress strict 60 "${FLOOD[@]}" --json "$T_DIR/strict.json"
jq -e '.ok > 0 and .errors_by_status["503"] > 0' "$T_DIR/strict.json" >/dev/null \
    || fail "the flood did not get both ok and 503: $(jq -c '{ok,errors_by_status}' "$T_DIR/strict.json")"
[ "$EXIT_RC" = 1 ] || fail "exit $EXIT_RC with 503s and the default --max-error-rate 0"
assert_grep "above --max-error-rate" "$T_DIR/strict.err" "no word about the error rate"
run_stress tolerant 60 "${FLOOD[@]}" --max-error-rate 100%
[ "$EXIT_RC" = 0 ] || fail "exit $EXIT_RC with --max-error-rate 100%"
pass
