#!/usr/bin/env bash
# CURVE on: an allowed client and worker work end to end; a stranger's key,
# and a client without CURVE, cannot get through (408 after retries) and the
# broker logs the denied key; key files and flags are checked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen

step "zlb-keygen writes a public file and a 0600 secret file, never overwrites"
make_keys
[ "$(stat -c %a "$KEYS/client_secret")" = 600 ] || fail "secret file mode is not 600"
grep -q 'secret-key' "$KEYS/client" && fail "public file holds the secret key"
"$ZLB_BIN/zlb-keygen" -q "$KEYS/client" 2>/dev/null && fail "zlb-keygen overwrote a key"
grep -q 'services = "echo"' "$KEYS/worker" || fail "no services metadata in the worker cert"

step "bad security flags are refused"
"$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" --allow-clients "$KEYS/clients" --log - 2>"$T_DIR/flags.err"
[ $? -eq 2 ] || fail "--allow-clients without --curve-secret was accepted"
chmod 644 "$KEYS/stranger_secret"
"$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" --curve-secret "$KEYS/stranger_secret" --log - 2>>"$T_DIR/flags.err"
[ $? -eq 1 ] || fail "a world-readable secret file was accepted"
chmod 600 "$KEYS/stranger_secret"
"$ZLB_BIN/zlb-client" --broker-key "$KEYS/nonexistent" --connect "$ENDPOINT" x 2>>"$T_DIR/flags.err"
[ $? -eq 2 ] || fail "zlb-client accepted a missing --broker-key"

step "broker with CURVE and allow-lists logs that it is encrypted"
start_broker "${CURVE_BROKER[@]}"
wait_for 3 broker_log_has "security mode=curve" || fail "no 'security mode=curve' line"

step "allowed worker and client: requests served end to end"
start_curve_worker w1 worker
# shellcheck disable=SC2046
run_client ok 10 $(curve_flags client) --count 5 --timeout-ms 1000
[ "$EXIT_RC" = 0 ] || fail "allowed client failed (rc=$EXIT_RC)"
[ "$(client_served_by "$T_DIR/ok.out" w1)" -eq 5 ] || fail "not all 5 requests served by w1"

step "a stranger's key cannot connect: 408, and the broker logs the key"
stranger_key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/stranger")
# shellcheck disable=SC2046
run_client stranger 10 $(curve_flags stranger) --timeout-ms 300 --retries 1 hello
[ "$EXIT_RC" = 1 ] || fail "stranger client did not fail (rc=$EXIT_RC)"
grep -q "status=408" "$T_DIR/stranger.out" || fail "stranger did not get 408"
wait_for 3 grep -qF -- "auth_denied key=$stranger_key " "$BROKER_LOG" \
    || fail "broker did not log the denied key"

step "a plain client (no CURVE) gets nothing either"
run_client plain 10 --timeout-ms 300 --retries 1 hello
[ "$EXIT_RC" = 1 ] || fail "plain client got through a CURVE broker"

step "the worker is still serving"
# shellcheck disable=SC2046
run_client again 10 $(curve_flags client) --timeout-ms 1000 again
[ "$EXIT_RC" = 0 ] || fail "allowed client failed after the refusals"
assert_alive "$BROKER_PID" broker
pass
