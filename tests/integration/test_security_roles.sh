#!/usr/bin/env bash
# CURVE roles: a client key cannot register as a worker; a worker key whose
# certificate says services = "echo" cannot offer another service; a
# worker-only key cannot send requests; an unrestricted worker key can
# offer any service. Every refusal is logged with the key.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen
make_keys
start_broker "${CURVE_BROKER[@]}"
client_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/client")

step "a client key cannot register as a worker"
# shellcheck disable=SC2046
spawn rogue "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service echo --id rogue "${HB[@]}" \
    --log "$SERVER_LOG" $(curve_flags client)
rogue_refused () { grep -F -- "key=$client_key " "$BROKER_LOG" | grep -q "worker_refused peer=rogue#"; }
wait_for 5 rogue_refused \
    || fail "READY from a client key was not refused with its key"
broker_saw_ready rogue && fail "the client key registered as a worker"
stop "${T_PID[rogue]}"      # it would retry forever and use up the log rate limit

step "a worker key restricted to echo cannot offer 'secret'"
# shellcheck disable=SC2046
spawn sneaky "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service secret --id sneaky \
    "${HB[@]}" --log "$SERVER_LOG" $(curve_flags worker)
wait_for 5 broker_log_has "worker_refused peer=sneaky#1[.][0-9a-f]+ .*service not in the key's certificate" \
    || fail "READY for a service outside the certificate was not refused"
broker_saw_ready sneaky && fail "restricted key registered for another service"
stop "${T_PID[sneaky]}"

step "the same worker key may offer echo; an unrestricted key may offer 'secret'"
start_curve_worker good worker
start_curve_worker any anyworker --service secret

step "the allowed client is served by both services"
# shellcheck disable=SC2046
run_client echo 10 $(curve_flags client) --timeout-ms 1000 --count 3
[ "$EXIT_RC" = 0 ] || fail "echo requests failed (rc=$EXIT_RC)"
[ "$(client_served_by "$T_DIR/echo.out" good)" -eq 3 ] || fail "echo not served by 'good'"
# shellcheck disable=SC2046
run_client secret 10 $(curve_flags client) --timeout-ms 1000 --service secret hello
[ "$EXIT_RC" = 0 ] || fail "'secret' request failed (rc=$EXIT_RC)"

step "a worker-only key cannot send requests"
# shellcheck disable=SC2046
run_client workerkey 10 $(curve_flags anyworker) --timeout-ms 300 --retries 1 hello
[ "$EXIT_RC" = 1 ] || fail "a worker key was served as a client"
wait_for 3 broker_log_has "client_refused .*reason=\"key not allowed as a client\"" \
    || fail "request from a worker-only key not logged as refused"
assert_alive "$BROKER_PID" broker

step "the refusals are counted (summary line at stop)"
stop "$BROKER_PID" TERM 3
[ "$EXIT_RC" = 0 ] || fail "broker exit code $EXIT_RC after SIGTERM"
broker_summary | grep -Eq " refused=[1-9][0-9]*( |$)" \
    || fail "no refusals counted in the summary: $(broker_summary)"
pass
