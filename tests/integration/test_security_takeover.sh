#!/usr/bin/env bash
# Routing-id takeover under CURVE (security issue, hole 1): a client-only key
# connects to the workers' endpoint with the routing id of a registered
# worker. It must receive none of that worker's requests, the broker must
# log the refusal, and the broker must stay up and keep serving when the
# displaced worker's connection comes back (libzmq 4.3.4 aborted with
# ROUTER_HANDOVER on). A key that reuses the routing id of a registered
# worker whose connection has gone is refused, logged, and the worker is
# dropped; mmi.workers does not show the secret part of routing ids.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen attacker
make_keys
# Slow broker heartbeats: the raw peers below do not heartbeat.
start_broker "${CURVE_BROKER[@]}" --heartbeat-ms 2500
start_curve_worker w1 anyworker --heartbeat-ms 2500
rid=$(grep -Eo 'worker_join worker=w1#[^ ]+' "$BROKER_LOG" | head -n 1 | cut -d= -f2)
step "w1 registered as routing id $rid"
ATTACK=(--broker-key "$KEYS/broker" --secret "$KEYS/client_secret")

step "a client key connects with w1's routing id and listens"
spawn thief "$ZLB_BIN/attacker" takeover "$ENDPOINT" --id "$rid" "${ATTACK[@]}" --wait-ms 3000
thief=$LAST_PID
# shellcheck disable=SC2046
run_client during 20 $(curve_flags client) --count 20 --timeout-ms 1000 --retries 2
[ "$EXIT_RC" = 0 ] || fail "requests failed while the thief was connected (rc=$EXIT_RC)"
wait_exit "$thief" 10 || fail "attacker did not finish"
step "thief got: $(cat "$T_DIR/thief.out")"
grep -q '^requests=0 ' "$T_DIR/thief.out" || fail "the thief received w1's requests"

step "the broker is alive and w1 still serves after its connection came back"
sleep 1                     # the abort came ~50 ms after the reconnect
assert_alive "$BROKER_PID" broker
# shellcheck disable=SC2046
run_client after 20 $(curve_flags client) --count 5 --timeout-ms 1000 --retries 2
[ "$EXIT_RC" = 0 ] || fail "requests failed after the takeover attempt (rc=$EXIT_RC)"
[ "$(client_served_by "$T_DIR/after.out" w1)" -eq 5 ] || fail "w1 does not serve any more"

step "a client key reusing a gone worker's routing id is refused and logged"
client_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/client")
# The broker must not notice the first connection's end before the second
# arrives (its next heartbeat would): try again with a fresh id if it did.
for try in 1 2 3; do
    reb="reb#$try.0123456789abcdef"
    spawn rebind "$ZLB_BIN/attacker" rebind "$ENDPOINT" --id "$reb" \
        --broker-key "$KEYS/broker" --secret "$KEYS/anyworker_secret" \
        --secret2 "$KEYS/client_secret" --wait-ms 20
    wait_exit "$LAST_PID" 10 || fail "attacker rebind did not finish"
    wait_for 5 broker_log_has "worker_leave worker=$reb " || fail "worker $reb never left"
    broker_log_has "worker_leave worker=$reb .*reason=\"peer gone\"" || break
    step "the broker saw $reb's first connection go before the second came: again"
done
step "rebind got: $(cat "$T_DIR/rebind.out")"
grep -q '^requests=0 ' "$T_DIR/rebind.out" || fail "the second key received requests"
grep -Fq "identity_mismatch peer=$reb key=$client_key " "$BROKER_LOG" \
    || fail "reuse of a worker's routing id by another key was not logged"
broker_log_has "worker_leave worker=$reb .*reason=\"routing id reused by another key\"" \
    || fail "the worker whose routing id was reused was not dropped"

step "mmi.workers shows no routing id secret to a client key"
# shellcheck disable=SC2046
run_client workers 10 $(curve_flags client) --service mmi.workers --timeout-ms 1000 x
grep -Fq "${rid#*.}" "$T_DIR/workers.out" && fail "mmi.workers shows the routing id: $(cat "$T_DIR/workers.out")"
grep -Fq "${rid%%.*}" "$T_DIR/workers.out" || fail "mmi.workers lost the worker's name"
assert_alive "$BROKER_PID" broker
pass
