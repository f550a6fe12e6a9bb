#!/usr/bin/env bash
# scripts/scale.sh brings the local workers of a service up to N and back
# down (SIGTERM to the newest) while a client keeps sending; mmi.workers
# sees the count change both ways and no request fails.
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"
SCALE=${ZLB_SOURCE:-$T_HERE/../..}/scripts/scale.sh
[ -x "$SCALE" ] || fail "no $SCALE"

export ZLB_PID_DIR=$T_DIR/pids ZLB_CONNECT=$ENDPOINT ZLB_BIN ZLB_STOP_TIMEOUT=5
export ZLB_WORKER_ARGS="--heartbeat-ms $HB_MS --liveness $LIVENESS --log $SERVER_LOG --work-us 2000"
# scale.sh starts workers this harness does not know about: stop them too.
scaled_cleanup () {
    local file
    for file in "$ZLB_PID_DIR"/*/*.pid; do
        [ -f "$file" ] && kill -CONT "$(cat "$file")" 2>/dev/null && kill -TERM "$(cat "$file")" 2>/dev/null
    done
}
trap 'rc=$?; scaled_cleanup; (exit $rc); t_cleanup' EXIT

start_broker
step "scale echo to 4"
"$SCALE" echo 4 > "$T_DIR/scale-up.out" 2>&1 || fail "scale.sh echo 4 failed: $(cat "$T_DIR/scale-up.out")"
wait_for 5 worker_count_is echo 4 || fail "mmi.workers shows $(ctl_worker_count echo) workers, not 4"
[ "$("$SCALE" echo | grep -o '[0-9]* workers' | cut -d' ' -f1)" = 4 ] || fail "scale.sh does not count 4"

step "scale to 1 while a client sends 1000 requests"
start_client load --count 1000 --pipeline 4 --quiet
load=$LAST_PID
sleep 0.3
"$SCALE" echo 1 > "$T_DIR/scale-down.out" 2>&1 || fail "scale.sh echo 1 failed: $(cat "$T_DIR/scale-down.out")"
wait_for 5 worker_count_is echo 1 || fail "mmi.workers shows $(ctl_worker_count echo) workers, not 1"
# The one left is the oldest: sequence number 1.
ctl_json workers | jq -e '.workers[0].id | test("-echo-1#")' >/dev/null \
    || fail "the oldest worker should remain: $(ctl_json workers)"
wait_exit "$load" 30 || fail "load client still running"
[ "$EXIT_RC" = 0 ] || fail "load client saw failures: $(tail -n 1 "$T_DIR/load.out")"
grep -q "ok=1000 " "$T_DIR/load.out" || fail "not 1000 ok: $(tail -n 1 "$T_DIR/load.out")"
# Each left at once (DISCONNECT, or its pipe closing just before), none
# had to be expired for silence.
[ "$(grep -c 'worker_leave ' "$BROKER_LOG")" = 3 ] || fail "expected 3 worker_leave lines"
! grep -q 'worker_expired ' "$BROKER_LOG" || fail "a scaled-down worker was expired, not drained"

step "scale up again to 3, then to 0"
"$SCALE" echo 3 > /dev/null 2>&1 || fail "scale.sh echo 3 failed"
wait_for 5 worker_count_is echo 3 || fail "not 3 workers"
"$SCALE" echo 0 > /dev/null 2>&1 || fail "scale.sh echo 0 failed"
wait_for 5 worker_count_is echo 0 || fail "not 0 workers"
"$SCALE" echo x > /dev/null 2>&1; [ $? = 2 ] || fail "scale.sh should refuse N=x with exit 2"
pass
