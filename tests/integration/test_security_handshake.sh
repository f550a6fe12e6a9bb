#!/usr/bin/env bash
# Failed handshakes on a CURVE endpoint leave a log line (security issue,
# hole 10): a plain-text client, a client that has the wrong broker key, and
# a key in no allow-list never get to send a message, yet each shows up in
# the broker log as handshake_failed (rate-limited), and is counted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen
make_keys
start_broker "${CURVE_BROKER[@]}"
start_curve_worker good anyworker

step "a plain-text client on the CURVE endpoint"
run_client plain 10 --timeout-ms 300 --retries 0 hello
[ "$EXIT_RC" = 1 ] || fail "a plain client was served (rc=$EXIT_RC)"
wait_for 5 broker_log_has 'handshake_failed .*role=main .*reason="peer ' \
    || fail "the plain-text client left no log line"

step "a client with the wrong broker key"
run_client wrongkey 10 --broker-key "$KEYS/stranger" --curve-secret "$KEYS/client_secret" \
    --timeout-ms 300 --retries 0 hello
[ "$EXIT_RC" = 1 ] || fail "a client with the wrong broker key was served (rc=$EXIT_RC)"
wait_for 5 eval '[ "$(broker_event_count handshake_failed)" -ge 2 ]' \
    || fail "the client with the wrong broker key left no log line"

step "a key in no allow-list: auth_denied and handshake_failed"
# shellcheck disable=SC2046
run_client stranger 10 $(curve_flags stranger) --timeout-ms 300 --retries 0 hello
[ "$EXIT_RC" = 1 ] || fail "a stranger was served (rc=$EXIT_RC)"
wait_for 5 broker_log_has 'handshake_failed .*reason="refused by authentication' \
    || fail "the ZAP denial left no handshake_failed line"
broker_log_has 'auth_denied ' || fail "no auth_denied line"
step "$(grep -o 'handshake_failed.*' "$BROKER_LOG" | sort -u -t'"' -k2,2 | cut -c1-150 | tr '\n' ';')"

step "still serving; refusals counted"
# shellcheck disable=SC2046
run_client ok 10 $(curve_flags client) --timeout-ms 1000 --count 2
[ "$EXIT_RC" = 0 ] || fail "an allowed client was not served (rc=$EXIT_RC)"
stop "$BROKER_PID" TERM 3
refused=$(broker_summary | sed -n 's/.* refused=\([0-9]*\).*/\1/p')
[ "${refused:-0}" -ge 3 ] || fail "handshake failures not counted: $(broker_summary)"
pass
