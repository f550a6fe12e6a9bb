#!/usr/bin/env bash
# mmi.workers (through zlb-ctl) shows workers appear, shows their heartbeat
# age going back down (a heartbeat came) for each of them, and drops a
# SIGKILLed worker (expired for silence, or gone when its pipe closed).
# mmi.stats counts it. The ages and the time to drop are reported, not
# checked: a loaded machine can stretch both.
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"

start_broker
start_worker alpha
start_worker beta
step "both workers listed by mmi.workers"
wait_for 3 worker_count_is echo 2 || fail "mmi.workers does not list 2 echo workers: $(ctl_json workers)"
ctl_has_worker alpha || fail "alpha missing from mmi.workers"
ctl_has_worker beta || fail "beta missing from mmi.workers"
ctl_json workers | jq -e 'all(.workers[]; .state == "ready" and .inflight == 0)' >/dev/null \
    || fail "idle workers should be ready with nothing in flight: $(ctl_json workers)"

step "each worker's heartbeat age goes back down: heartbeats keep coming"
age_of () {
    ctl_json workers | jq --arg id "$1" \
        '.workers[] | select(.id | startswith($id + "#")) | .last_seen_s * 1000 | floor'
}
# age_dropped ID: true once the age is lower (AGE) than at the previous
# call (PREV_AGE).
PREV_AGE= AGE=
age_dropped () {
    AGE=$(age_of "$1")
    [ -n "$PREV_AGE" ] && [ -n "$AGE" ] && [ "$AGE" -lt "$PREV_AGE" ] && return 0
    PREV_AGE=$AGE
    return 1
}
for id in alpha beta; do
    PREV_AGE=
    wait_for 10 age_dropped "$id" || fail "$id's heartbeat age never went down"
    step "$id: heartbeat age went down from ${PREV_AGE} to ${AGE} ms (interval ${HB_MS} ms)"
done

step "served counts follow the traffic"
run_client c1 10 --count 20
[ "$EXIT_RC" = 0 ] || fail "client failed"
served=$(ctl_json workers | jq '[.workers[].served] | add')
[ "$served" = 20 ] || fail "mmi.workers says $served served, the client sent 20"

step "SIGKILL beta: gone from mmi.workers"
kill -KILL "${T_PID[worker-beta]}"
killed_at=$(now_us)
expiry_ms=$((HB_MS * LIVENESS))
wait_for 10 eval "! ctl_has_worker beta" || fail "beta still listed 10 s after SIGKILL"
step "beta gone after $(( ($(now_us) - killed_at) / 1000 )) ms (expiry ${expiry_ms} ms)"
ctl_has_worker alpha || fail "alpha should still be listed"
# Expired for silence, or removed sooner when the broker saw its pipe close.
step "broker log: $(grep -Eo 'worker_(expired|leave) worker=beta#1.*reason="[^"]*"' "$BROKER_LOG" | head -n 1)"
[ "$(ctl_json stats | jq .workers)" = 1 ] || fail "mmi.stats workers is not 1"

step "table output names the worker"
"$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" workers > "$T_DIR/workers.out" || fail "zlb-ctl workers failed"
# ready, or busy with a straggling request on a slow machine
assert_grep "^alpha#1[.][0-9a-f]+ +echo +(ready|busy)" "$T_DIR/workers.out" "zlb-ctl workers table"
pass
