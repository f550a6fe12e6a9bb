#!/usr/bin/env bash
# The broker's memory cap, and recovery when it is hit. An unfinished
# multipart message cannot be bounded inside the broker (libzmq holds its
# frames; docs/security.md, "Memory"), so the systemd unit caps the broker
# (MemoryMax=) and restarts it (Restart=always). This test plays that part
# with a shell supervisor: it runs the broker, kills it with SIGKILL as
# soon as its VmRSS passes CAP (what the kernel's OOM killer does at a
# cgroup's memory.max), and starts it again after 0.2 s (RestartSec).
# (Not prlimit --as: under an address-space limit libzmq's allocation of a
# frame fails and it only drops the flooding connection; nothing dies.)
# Two floods of 1 MiB frames of one unfinished message, on the plain
# endpoint, each until the broker is killed, while zlb-stress sends
# requests with retries: the workers come back, and every request is
# answered (lost = 0, no timeouts).  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress frame_flood
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"
[ ${#WRAP[@]} -eq 0 ] || { echo "SKIP: memory figures mean nothing under ${WRAP[0]}"; exit 0; }

CAP_KB=$(( 64 * 1024 ))
SUPERVISOR=$T_DIR/supervisor.out

# supervise: the broker in a loop, killed above CAP_KB, restarted after 0.2 s.
supervise () {
    local pid= run=0 rss
    trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit 0' TERM
    while true; do
        run=$(( run + 1 ))
        rm -f "$BROKER_SOCK"
        "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" "${HB[@]}" --log "$BROKER_LOG" \
            --log-level debug 2>>"$T_DIR/broker.err" &
        pid=$!
        echo "start run=$run pid=$pid"
        while alive "$pid"; do
            rss=$(vm_kb "$pid" VmRSS)
            if [ "${rss:-0}" -gt "$CAP_KB" ]; then
                kill -KILL "$pid"
                echo "oom_kill pid=$pid rss_kb=$rss"
            fi
            sleep 0.02
        done
        wait "$pid"
        echo "exit pid=$pid rc=$?"
        sleep 0.2
    done
}
kills () { grep -c '^oom_kill' "$SUPERVISOR" 2>/dev/null; }
runs () { grep -c '^start' "$SUPERVISOR" 2>/dev/null; }

spawn supervisor supervise
wait_for 5 test -S "$BROKER_SOCK" || fail "the supervised broker did not bind"
start_worker w1
start_worker w2

step "zlb-stress: 100 req/s for 8 s, 1 s per attempt, 10 retries"
spawn stress "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --clients 4 --threads 1 --pipeline 1 \
    --rate 100 --duration 8s --timeout-ms 1000 --retries 10 --json "$T_DIR/stress.json" \
    --log "$T_DIR/stress.log"
stress=$LAST_PID

for attack in 1 2; do
    before=$(broker_ready_count w1)
    step "flood $attack: 1 MiB frames of one unfinished message until the broker dies"
    spawn "flood-$attack" "$ZLB_BIN/frame_flood" "$ENDPOINT" 1000 1048576 --hold 60
    wait_for 30 eval "[ \$(kills) -ge $attack ]" || fail "the broker was not killed at the cap"
    wait_for 10 eval "[ \$(runs) -gt $attack ]" || fail "the supervisor did not restart the broker"
    wait_for 20 eval "[ \$(broker_ready_count w1) -gt $before ]" \
        || fail "worker w1 did not come back after restart $attack"
    step "$(grep '^oom_kill' "$SUPERVISOR" | tail -n 1); $(grep '^ended' "$T_DIR/flood-$attack.out")"
done

wait_exit "$stress" 60 || fail "zlb-stress still running"
jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0 and .ok == .sent' "$T_DIR/stress.json" \
    >/dev/null || fail "requests lost: $(jq -c '{sent,ok,lost,timeouts,errors,retries}' "$T_DIR/stress.json")"
[ "$EXIT_RC" = 0 ] || fail "zlb-stress exit $EXIT_RC"
step "stress: $(jq -c '{sent,ok,lost,timeouts,retries}' "$T_DIR/stress.json")" \
     "across $(( $(runs) - 1 )) restarts"
pass
