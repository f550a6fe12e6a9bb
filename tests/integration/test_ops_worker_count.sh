#!/usr/bin/env bash
# zlb-worker --count 3 --id w starts three worker processes w-1..w-3 that
# mmi.workers lists; SIGTERM to the parent reaches all of them, each leaves
# with DISCONNECT and the parent exits 0. zlb-ctl watch, run in tmux like a
# person would, shows them and quits on q.
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"

start_broker
spawn workers "${WRAP[@]}" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --id w --count 3 "${HB[@]}" \
    --log "$SERVER_LOG"
parent=$LAST_PID
wait_for 15 worker_count_is echo 3 || fail "mmi.workers lists $(ctl_worker_count echo) workers, not 3"
for index in 1 2 3; do
    ctl_has_worker "w-$index" || fail "w-$index missing: $(ctl_json workers)"
done
[ "$(pgrep -c -P "$parent")" = 3 ] || fail "the parent should have 3 child processes"
run_client c1 10 --count 30 --pipeline 3
[ "$EXIT_RC" = 0 ] || fail "client failed"
[ "$(ctl_json workers | jq '[.workers[].served] | add')" = 30 ] || fail "30 requests not all served"

if command -v tmux >/dev/null; then
    step "zlb-ctl watch in tmux"
    session="zlbops$$"
    tmux new-session -d -s "$session" -x 120 -y 30 \
        "$ZLB_BIN/zlb-ctl --connect $ENDPOINT --interval 200ms watch" || fail "tmux failed"
    trap 'rc=$?; tmux kill-session -t '"$session"' 2>/dev/null; (exit $rc); t_cleanup' EXIT
    shown () { tmux capture-pane -p -t "$session" | grep -Eq "^w-3#[0-9]+[^ ]* +echo +ready"; }
    wait_for 15 shown || fail "watch does not show w-3: $(tmux capture-pane -p -t "$session")"
    tmux capture-pane -p -t "$session" | grep -Eq "^echo +3 +3 " || fail "watch services row wrong"
    tmux send-keys -t "$session" q
    wait_for 3 eval "! tmux has-session -t $session 2>/dev/null" || fail "watch did not quit on q"
fi

step "SIGTERM the parent: all three drain and leave"
kill -TERM "$parent"
wait_exit "$parent" 10 || fail "parent still running"
[ "$EXIT_RC" = 0 ] || fail "parent exit $EXIT_RC"
wait_for 3 worker_count_is echo 0 || fail "workers still listed"
for index in 1 2 3; do
    broker_saw_leave "w-$index" || fail "no worker_leave for w-$index"
done
pass
