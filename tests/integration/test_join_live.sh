#!/usr/bin/env bash
# A worker started while traffic flows receives requests within about a
# heartbeat interval of joining.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker alpha --work-us 20000
step "traffic: 80 requests of 20 ms each on one worker, 2 in flight"
start_client client --service echo --count 80 --size 16 --pipeline 2 --timeout-ms 3000 --retries 2
client=$LAST_PID
wait_for 5 eval "[ \$(client_served_by '$T_DIR/client.out' alpha) -ge 5 ]" \
    || fail "traffic did not start"

step "starting worker bravo while traffic flows"
joined_us=$(now_us)
start_worker bravo
wait_for 2 eval "[ \$(client_served_by '$T_DIR/client.out' bravo) -ge 1 ]" \
    || fail "new worker bravo got no request within 2 s of joining"
delay_ms=$(( ($(now_us) - joined_us) / 1000 ))
step "bravo served its first request ${delay_ms} ms after start"

wait_exit "$client" 30 || fail "client did not finish"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC"
ok=$(client_ok_count "$T_DIR/client.out")
[ "$ok" -eq 80 ] || fail "$ok of 80 requests answered"
# The join itself (registration logged) to the first request must be quick:
# with 2 requests in flight, one must reach bravo at the next dispatch.
[ "$delay_ms" -le $(( 10 * HB_MS + 1000 )) ] || fail "bravo waited ${delay_ms} ms for work"
pass
