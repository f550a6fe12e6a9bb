#!/usr/bin/env bash
# One broker, three workers, one client sending 30 requests: every request
# is answered and each of the three workers served some of them.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
for id in alpha bravo charlie; do
    start_worker "$id" --work-us 2000
done
step "3 workers ready; sending 30 requests, 3 in flight"

run_client client 30 --service echo --count 30 --size 16 --pipeline 3 --timeout-ms 2000 --retries 2
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC, expected 0"
ok=$(client_ok_count "$T_DIR/client.out")
[ "$ok" -eq 30 ] || fail "$ok of 30 requests answered with 200"
for id in alpha bravo charlie; do
    n=$(client_served_by "$T_DIR/client.out" "$id")
    step "worker $id served $n"
    [ "$n" -gt 0 ] || fail "worker $id served no request: work not spread"
done
assert_alive "$BROKER_PID" broker

step "three workers share one log file: every line whole"
bad=$(grep -Evc '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z [A-Z]+ +worker\[[a-z]+\] [a-z_]+' "$SERVER_LOG")
[ "$bad" -eq 0 ] || fail "$bad malformed lines in the shared server log"
[ "$(grep -c request_served "$SERVER_LOG")" -eq 30 ] || fail "server log does not show 30 requests served"

step "SIGTERM the broker: clean exit and a summary line"
stop "$BROKER_PID" TERM 3
[ "$EXIT_RC" = 0 ] || fail "broker exit code $EXIT_RC after SIGTERM"
broker_summary | grep -Eq "routed=30( |$)" || fail "no summary with routed=30: $(broker_summary)"
pass
