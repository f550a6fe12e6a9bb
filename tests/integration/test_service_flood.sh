#!/usr/bin/env bash
# Service-table lockout (security issue, hole 7): a client sends requests
# for thousands of service names nobody serves and fills the service table
# (--max-services). Those requests get 503 at once once it is full, and a
# real worker for a new service still gets in: the broker drops a service
# that has no workers to make room (its waiting requests get 503), then
# the new worker serves.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client attacker
MAX_SERVICES=50
start_broker --max-services "$MAX_SERVICES" --request-timeout-ms 60000
start_worker steady

step "5000 requests, each for a different nonexistent service"
spawn flood "$ZLB_BIN/attacker" services "$ENDPOINT" --count 5000 --wait-ms 1000
wait_exit "$LAST_PID" 60 || fail "flood did not finish"
step "flood: $(cat "$T_DIR/flood.out")"
answered=$(sed -n 's/.*answered=\([0-9]*\).*/\1/p' "$T_DIR/flood.out")
# All but those waiting in the table are answered 503 at once (a few
# answers may be dropped if this peer reads too slowly: send never blocks).
[ "${answered:-0}" -ge 2500 ] || fail "only ${answered:-0} answered at once"
assert_grep "request_rejected .*reason=\"service table full\"" "$BROKER_LOG" \
    "requests for new services were not refused with the table full"

step "a new worker for a new service registers and serves"
spawn worker-fresh "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service fresh --id fresh \
    "${HB[@]}" --log "$SERVER_LOG"
wait_for 5 broker_saw_service fresh || fail "the new worker was locked out of the service table"
assert_grep "service_evicted service=nosuch-" "$BROKER_LOG" "no service without workers was dropped"
run_client fresh 10 --service fresh --timeout-ms 2000 --retries 1 --count 3
[ "$EXIT_RC" = 0 ] || fail "the new service does not serve (rc=$EXIT_RC)"
run_client steady 10 --timeout-ms 2000 --retries 1 --count 3
[ "$EXIT_RC" = 0 ] || fail "echo does not serve any more (rc=$EXIT_RC)"
assert_alive "$BROKER_PID" broker
pass
