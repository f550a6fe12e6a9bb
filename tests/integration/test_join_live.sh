#!/usr/bin/env bash
# A worker started while traffic flows receives requests at once: the
# broker's very next dispatch after the join goes to it, or the one after
# (if the old worker was already waiting, it is first in line). Counted in
# dispatches from the broker log, not in milliseconds.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker
start_worker alpha --work-us 20000
step "traffic: 80 requests of 20 ms each on one worker, 2 in flight"
start_client client --service echo --count 80 --size 16 --pipeline 2 --timeout-ms 30000 --retries 2
client=$LAST_PID
wait_for 20 eval "[ \$(client_served_by '$T_DIR/client.out' alpha) -ge 5 ]" \
    || fail "traffic did not start"

step "starting worker bravo while traffic flows"
start_worker bravo          # returns once the broker logged the join
wait_exit "$client" 60 || fail "client did not finish"
[ "$EXIT_RC" = 0 ] || fail "client exit code $EXIT_RC"
ok=$(client_ok_count "$T_DIR/client.out")
[ "$ok" -eq 80 ] || fail "$ok of 80 requests answered"
served=$(client_served_by "$T_DIR/client.out" bravo)
[ "$served" -ge 1 ] || fail "new worker bravo served nothing while traffic flowed"
# Dispatches to others between bravo's join and its first request.
before=$(awk '/ worker_join .*worker=bravo#/ { joined = 1; next }
              joined && / request_routed / { if ($0 ~ / worker=bravo#/) { print n + 0; exit }; n++ }' \
         "$BROKER_LOG")
step "bravo served $served of 80; ${before:-?} dispatch(es) to alpha between its join and its first request"
[ -n "$before" ] || fail "no request routed to bravo after its join in the broker log"
[ "$before" -le 1 ] || fail "bravo waited $before dispatches for work after joining"
pass
