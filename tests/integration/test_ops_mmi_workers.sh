#!/usr/bin/env bash
# mmi.workers (through zlb-ctl) shows workers appear, shows their heartbeat
# age staying below the heartbeat interval, and drops a SIGKILLed worker
# within the expiry (heartbeat x liveness). mmi.stats counts the expiry.
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

step "heartbeat age stays below the interval (${HB_MS} ms, +50 ms scheduling slack)"
worst=0
for _ in $(seq 15); do
    age=$(ctl_json workers | jq '[.workers[].last_seen_s] | max * 1000 | floor')
    [ "$age" -gt "$worst" ] && worst=$age
    sleep 0.07
done
step "worst heartbeat age seen: ${worst} ms"
[ "$worst" -le $((HB_MS + 50)) ] || fail "a heartbeat age reached ${worst} ms (interval ${HB_MS} ms)"

step "served counts follow the traffic"
run_client c1 10 --count 20
[ "$EXIT_RC" = 0 ] || fail "client failed"
served=$(ctl_json workers | jq '[.workers[].served] | add')
[ "$served" = 20 ] || fail "mmi.workers says $served served, the client sent 20"

step "SIGKILL beta: gone from mmi.workers within the expiry"
kill -KILL "${T_PID[worker-beta]}"
killed_at=$(now_us)
expiry_ms=$((HB_MS * LIVENESS))
wait_for 3 eval "! ctl_has_worker beta" || fail "beta still listed 3 s after SIGKILL"
gone_ms=$(( ($(now_us) - killed_at) / 1000 ))
step "beta gone after ${gone_ms} ms (expiry ${expiry_ms} ms)"
# expiry + one tick + one zlb-ctl round trip and the 50 ms poll of wait_for
[ "$gone_ms" -le $((expiry_ms + 400)) ] || fail "beta listed for ${gone_ms} ms after SIGKILL"
ctl_has_worker alpha || fail "alpha should still be listed"
# Expired for silence, or removed sooner when the broker saw its pipe close.
step "broker log: $(grep -Eo 'worker_(expired|leave) worker=beta#1.*reason="[^"]*"' "$BROKER_LOG" | head -n 1)"
[ "$(ctl_json stats | jq .workers)" = 1 ] || fail "mmi.stats workers is not 1"

step "table output names the worker"
"$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" workers > "$T_DIR/workers.out" || fail "zlb-ctl workers failed"
assert_grep "^alpha#1[.][0-9a-f]+ +echo +ready" "$T_DIR/workers.out" "zlb-ctl workers table"
pass
