#!/usr/bin/env bash
# logrotate-style rotation: move the broker's and a worker's log files away
# while requests flow, send SIGHUP, and each reopens a new file; no line is
# lost (every request_routed line is in the old file or the new one) and
# every line is whole. The worker logs JSON (--log-format json) here, so
# every line of its files must parse with jq.
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"

# The client is paused for the rotation. Paused, it answers no ZMTP PING, so
# the heartbeat here is long: a pause shorter than heartbeat x liveness never
# costs the client its connection (a CI run once lost a request that way,
# and the client only resends after its 30 s timeout).
HB=(--heartbeat-ms $((1000 * T_SCALE)) --liveness 5)
start_broker
spawn worker-w1 "${WRAP[@]}" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --id w1 "${HB[@]}" \
    --log "$SERVER_LOG" --log-format json --log-level debug --work-us 500
worker=$LAST_PID
wait_for 5 broker_saw_ready w1 || fail "worker never registered"

step "client sends 2000 requests; the logs move under it"
start_client load --count 2000 --quiet --timeout-ms 30000
load=$LAST_PID
routed_so_far () { [ "$(grep -c request_routed "$BROKER_LOG")" -ge "$1" ]; }
wait_for 10 routed_so_far 100 || fail "traffic did not start"
# The client pauses for the rotation, so that it happens mid-traffic however
# fast or slow the machine is; the request in flight is still logged.
# The worker notices SIGHUP at its next request, so it reopens mid-traffic
# without a pause.
kill -STOP "$load"
mv "$BROKER_LOG" "$BROKER_LOG.1"
mv "$SERVER_LOG" "$SERVER_LOG.1"
kill -HUP "$BROKER_PID" "$worker"
wait_for 3 test -s "$BROKER_LOG" || fail "broker did not create a new log after SIGHUP"
kill -CONT "$load"
wait_for 3 test -s "$SERVER_LOG" || fail "worker did not create a new log after SIGHUP"
# Beyond the client's 30 s timeout: a lost request shows as a resend below,
# with every log file's tail, rather than as a client that is still running.
wait_exit "$load" 60 || fail "client still running"
[ "$EXIT_RC" = 0 ] || fail "client failed"
assert_alive "$BROKER_PID" "broker"
assert_alive "$worker" "worker"
assert_grep "log_reopened result=ok" "$BROKER_LOG" "broker logged the reopen in the new file"
grep -q '"event":"log_reopened"' "$SERVER_LOG" || fail "worker did not log the reopen"

step "no line lost, none torn"
resent=$(cat "$BROKER_LOG.1" "$BROKER_LOG" | grep "request_routed" | grep -vc "attempt=1 ")
[ "$resent" = 0 ] || fail "$resent requests were resent: one was lost"
routed=$(cat "$BROKER_LOG.1" "$BROKER_LOG" | grep -c "request_routed")
[ "$routed" = 2000 ] || fail "$routed request_routed lines across both files, expected 2000"
old=$(grep -c "request_routed" "$BROKER_LOG.1")
step "request_routed: $old in the old file, $((routed - old)) in the new one"
[ "$old" -gt 0 ] && [ "$old" -lt 2000 ] || fail "the rotation did not happen mid-traffic"
bad=$(cat "$BROKER_LOG.1" "$BROKER_LOG" | grep -Evc '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [A-Z]+ +broker\[main\] [a-z_]+( |$)')
[ "$bad" = 0 ] || fail "$bad malformed broker log lines"
cat "$SERVER_LOG.1" "$SERVER_LOG" | jq -e -c 'select(.component == "worker")' > /dev/null \
    || fail "worker JSON log lines do not parse"
step "worker JSON lines: $(cat "$SERVER_LOG.1" "$SERVER_LOG" | wc -l)"
pass
