#!/usr/bin/env bash
# scale.sh SERVICE N - bring the number of local zlb workers for SERVICE to N.
#
# Starts new zlb-worker processes (one each) or sends SIGTERM to the newest
# ones (a worker finishes its current request, sends DISCONNECT and exits),
# so scaling up or down while traffic flows loses nothing. The PIDs live in
# a pid dir, one file per worker named by a sequence number, so "newest" is
# the highest number; files of processes that are gone are cleaned up first.
#
#   scripts/scale.sh echo 4        # up to 4 echo workers
#   scripts/scale.sh echo 1        # back down to 1
#   scripts/scale.sh echo          # just print how many are running
#
# Environment:
#   ZLB_CONNECT       broker endpoint (default tcp://127.0.0.1:5555)
#   ZLB_BIN           directory holding zlb-worker (default: next to this
#                     script's build/bin, else $PATH)
#   ZLB_PID_DIR       pid dir (default ${XDG_RUNTIME_DIR:-/tmp}/zlb-workers-$USER)
#   ZLB_WORKER_ARGS   extra zlb-worker flags, e.g. "--heartbeat-ms 500 --log w.log"
#   ZLB_STOP_TIMEOUT  seconds to wait for a worker to drain before SIGKILL (10)
# Exit status: 0 done, 1 a worker failed to start or stop, 2 bad usage.

set -u

usage () {
    sed -n '2,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
case "$1" in -h|--help) usage ;; esac
SERVICE=$1
TARGET=${2:-}
if [ -n "$TARGET" ] && ! [[ "$TARGET" =~ ^[0-9]+$ && "$TARGET" -le 1024 ]]; then
    echo "scale.sh: N must be a whole number from 0 to 1024, not '$TARGET'" >&2
    exit 2
fi
if [ -z "$SERVICE" ] || [[ "$SERVICE" == mmi.* ]]; then
    echo "scale.sh: SERVICE must be a non-empty name, not mmi.*" >&2
    exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -n "${ZLB_BIN:-}" ]; then
    WORKER=$ZLB_BIN/zlb-worker
elif [ -x "$HERE/../build/bin/zlb-worker" ]; then
    WORKER=$HERE/../build/bin/zlb-worker
else
    WORKER=$(command -v zlb-worker) || { echo "scale.sh: zlb-worker not found (set ZLB_BIN)" >&2; exit 2; }
fi
CONNECT=${ZLB_CONNECT:-tcp://127.0.0.1:5555}
STOP_TIMEOUT=${ZLB_STOP_TIMEOUT:-10}
read -r -a EXTRA <<< "${ZLB_WORKER_ARGS:-}"
# One directory per service; the name is made file-safe.
SAFE=$(printf '%s' "$SERVICE" | tr -c 'A-Za-z0-9._-' '_')
DIR=${ZLB_PID_DIR:-${XDG_RUNTIME_DIR:-/tmp}/zlb-workers-${USER:-$(id -u)}}/$SAFE
mkdir -p "$DIR" || exit 1

# is_worker PID: alive, not a zombie, and a zlb-worker (PIDs get reused).
is_worker () {
    local state
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] || return 1
    tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q zlb-worker
}

# The live pid files, oldest first; stale ones are removed.
live_files () {
    local file pid
    for file in $(ls "$DIR" 2>/dev/null | grep -E '^[0-9]+\.pid$' | sort -n); do
        pid=$(cat "$DIR/$file" 2>/dev/null)
        if [ -n "$pid" ] && is_worker "$pid"; then
            echo "$DIR/$file"
        else
            rm -f "$DIR/$file"
        fi
    done
}

next_seq () {
    local seq
    seq=$(cat "$DIR/.seq" 2>/dev/null || echo 0)
    seq=$((seq + 1))
    echo "$seq" > "$DIR/.seq"
    echo "$seq"
}

start_one () {
    local seq id pid
    seq=$(next_seq)
    id="$(hostname -s 2>/dev/null || echo host)-$SAFE-$seq"
    id=${id:0:64}
    # setsid: the worker outlives this script and ignores its terminal.
    setsid "$WORKER" --connect "$CONNECT" --service "$SERVICE" --id "$id" "${EXTRA[@]}" \
        </dev/null >>"$DIR/$seq.out" 2>&1 &
    pid=$!
    echo "$pid" > "$DIR/$seq.pid"
    sleep 0.1
    if ! is_worker "$pid"; then
        echo "scale.sh: worker $id exited at once:" >&2
        tail -n 5 "$DIR/$seq.out" >&2
        rm -f "$DIR/$seq.pid"
        return 1
    fi
    echo "started $id pid=$pid"
}

# stop_one FILE: SIGTERM, wait for the drain, SIGKILL after STOP_TIMEOUT.
stop_one () {
    local file=$1 pid waited=0
    pid=$(cat "$file")
    kill -TERM "$pid" 2>/dev/null
    while is_worker "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if is_worker "$pid"; then
        echo "scale.sh: pid $pid did not drain in ${STOP_TIMEOUT}s; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$file"
    echo "stopped pid=$pid"
}

mapfile -t FILES < <(live_files)
CURRENT=${#FILES[@]}
if [ -z "$TARGET" ]; then
    echo "$SERVICE: $CURRENT workers (pid dir $DIR)"
    exit 0
fi
rc=0
if [ "$CURRENT" -lt "$TARGET" ]; then
    for _ in $(seq $((TARGET - CURRENT))); do
        start_one || rc=1
    done
elif [ "$CURRENT" -gt "$TARGET" ]; then
    # Newest first: the highest sequence numbers are at the end.
    for ((index = CURRENT - 1; index >= TARGET; index--)); do
        stop_one "${FILES[$index]}" &
    done
    wait
fi
mapfile -t FILES < <(live_files)
echo "$SERVICE: $CURRENT -> ${#FILES[@]} workers"
[ "${#FILES[@]}" -eq "$TARGET" ] || rc=1
exit $rc
