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
start_worker bravo          # returns once the broker logged the join
joined_us=$(now_us)
wait_for 2 eval "[ \$(client_served_by '$T_DIR/client.out' bravo) -ge 1 ]" \
    || fail "new worker bravo got no request within 2 s of joining"
delay_ms=$(( ($(now_us) - joined_us) / 1000 ))
step "bravo served its first request ${delay_ms} ms after joining"

wait_exit "$client" 30 || fail "client did not finish"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC"
ok=$(client_ok_count "$T_DIR/client.out")
[ "$ok" -eq 80 ] || fail "$ok of 80 requests answered"
# From the join to the first request: with 2 requests in flight and 20 ms
# of work each, the next dispatch must pick bravo. Allow a few heartbeat
# intervals of slack for a loaded machine (the client's stdout and the
# 50 ms polling add to it).
[ "$delay_ms" -le $(( 6 * HB_MS )) ] || fail "bravo waited ${delay_ms} ms for work after joining"
pass
