#!/usr/bin/env bash
# Busy is not dead. Plain MDP workers (raw_worker --reply plain --work-ms,
# like the guide's mdwrkapi) send nothing while they work. With heartbeats
# of 100 ms x 3, a 2 s job is nearly seven silence windows long: it must
# still run exactly once, with no expiry and no redelivery, and the client
# gets its reply. A busy plain worker that dies (SIGKILL) or freezes
# (SIGSTOP) is still noticed through its connection (ZMTP heartbeats,
# ROUTER_MANDATORY) and its request is redelivered.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker raw_worker raw_client

JOB_MS=2000
start_broker
for id in slow1 slow2 slow3; do
    spawn "$id" "$ZLB_BIN/raw_worker" "$ENDPOINT" slow --id "$id" --reply plain \
        --work-ms "$JOB_MS" "${HB[@]}"
    wait_for 5 grep -q "worker_join worker=$id " "$BROKER_LOG" || fail "$id never registered"
done
runs () { cat "$T_DIR"/slow?.out 2>/dev/null | grep -c "^request "; }
ran () { grep -c "^request " "$T_DIR/$1.out" 2>/dev/null; }
# The worker the broker handed the newest request to.
last_routed () { grep "request_routed " "$BROKER_LOG" | tail -n 1 | grep -Eo "worker=[^# ]+" | cut -d= -f2; }

step "a ${JOB_MS} ms job at heartbeat ${HB_MS} ms x $LIVENESS"
spawn job1 "$ZLB_BIN/raw_client" "$ENDPOINT" slow --text long-job-1 --timeout-ms 15000
wait_exit "$LAST_PID" 20 || fail "raw_client still waiting"
[ "$EXIT_RC" = 0 ] || fail "raw_client exit $EXIT_RC"
assert_grep "^body1: raw=long-job-1$" "$T_DIR/job1.out" "the plain echo did not come back"
[ "$(runs)" = 1 ] || fail "the job ran $(runs) times, expected once"
# (An idle worker that a loaded machine keeps from heartbeating in time may
# be expired; that is not under test here, a busy one never may.)
! grep -q "worker_expired .*busy=yes" "$BROKER_LOG" \
    || fail "a busy worker was expired: $(grep worker_expired "$BROKER_LOG")"
[ "$(broker_redeliveries)" = 0 ] || fail "the job was redelivered"

# A busy worker that dies or freezes: the request goes to another worker.
busy_then () {  # busy_then NAME SIGNAL
    local before victim
    before=$(runs)
    spawn "$1" "$ZLB_BIN/raw_client" "$ENDPOINT" slow --text "$1" --timeout-ms 15000
    local client=$LAST_PID
    wait_for 5 eval '[ "$(runs)" -gt '"$before"' ]' || fail "$1: no worker took the job"
    victim=$(last_routed)
    step "$2 $victim while it works on $1"
    kill -"$2" "${T_PID[$victim]}"
    wait_exit "$client" 15 || fail "$1: client still waiting after $2 of $victim"
    [ "$EXIT_RC" = 0 ] || fail "$1: raw_client exit $EXIT_RC"
    assert_grep "^body1: raw=$1$" "$T_DIR/$1.out" "$1: no reply after $2 of $victim"
    assert_grep "worker_expired worker=$victim .*reason=\"connection lost\"" "$BROKER_LOG" \
        "$victim ($2) was not noticed through its connection"
    [ "$(broker_redeliveries)" -ge 1 ] || fail "$1: no redelivery"
}
busy_then frozen STOP
busy_then killed KILL
assert_alive "$BROKER_PID" broker
pass
