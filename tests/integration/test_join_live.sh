#!/usr/bin/env bash
# A worker started while traffic flows receives requests at once: the
# broker's very next dispatch after the join goes to it, or the one after
# (if the old worker was already waiting, it is first in line). Counted in
# dispatches from the broker log, not in milliseconds; the traffic runs
# until the new worker has served, however long it takes to start.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker alpha --work-us 20000
step "traffic: requests of 20 ms each on one worker, 2 in flight, until stopped"
start_client client --service echo --count 1000000 --size 16 --pipeline 2 --timeout-ms 30000 \
    --retries 2
client=$LAST_PID
wait_for 20 eval "[ \$(client_served_by '$T_DIR/client.out' alpha) -ge 5 ]" \
    || fail "traffic did not start"

step "starting worker bravo while traffic flows"
start_worker bravo          # returns once the broker logged the join
wait_for 30 eval "[ \$(client_served_by '$T_DIR/client.out' bravo) -ge 3 ]" \
    || fail "new worker bravo served nothing while traffic flowed"
stop "$client" INT
answered=$(grep -Ec '^id=[0-9]+ status=' "$T_DIR/client.out")
ok=$(client_ok_count "$T_DIR/client.out")
[ "$ok" -eq "$answered" ] || fail "$((answered - ok)) of $answered requests failed"
# Dispatches to others between bravo's join and its first request.
before=$(awk '/ worker_join .*worker=bravo#/ { joined = 1; next }
              joined && / request_routed / { if ($0 ~ / worker=bravo#/) { print n + 0; exit }; n++ }' \
         "$BROKER_LOG")
step "$ok answered ok, $(client_served_by "$T_DIR/client.out" bravo) by bravo;" \
     "${before:-?} dispatch(es) to alpha between bravo's join and its first request"
[ -n "$before" ] || fail "no request routed to bravo after its join in the broker log"
[ "$before" -le 1 ] || fail "bravo waited $before dispatches for work after joining"
pass
