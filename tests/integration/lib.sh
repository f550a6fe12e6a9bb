# lib.sh - the harness shared by the zlb integration tests. Source it first:
#
#     . "$(dirname "$0")/lib.sh"
#
# It gives each test a private temp dir with a unique ipc:// endpoint, starts
# the real programs as background processes and records their PIDs, and on
# exit (normal, failure, INT or TERM) stops every process it started
# (SIGCONT, SIGTERM, then SIGKILL after a grace period) and removes the dir.
# Nothing waits on a fixed sleep: wait_for polls a condition every 50 ms up
# to a bound, which only catches a hang (ZLB_TIME_SCALE multiplies it, see
# tests/proc.sh); no test asserts that something took less than N ms.
# Tests never depend on the working dir: every log goes in T_DIR.
#
# Environment: ZLB_BIN (where the programs are; ctest sets it), ZLB_KEEP=1
# keeps the temp dir for inspection, ZLB_LOG_LEVEL (default info) for the
# workers and clients (the broker always logs at debug: tests read it),
# ZLB_WRAP="valgrind --leak-check=full --error-exitcode=99" runs every
# zlb program under that command; then any valgrind error fails the test.

set -u

T_NAME=$(basename "$0" .sh)
T_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ZLB_BIN=${ZLB_BIN:-$T_HERE/../../build/bin}
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/zlb-$T_NAME.XXXXXX") || exit 1
cd "$T_DIR" || exit 1      # a default log file, a core dump: all land here
ENDPOINT="ipc://$T_DIR/broker.ipc"
BROKER_SOCK="$T_DIR/broker.ipc"
BROKER_LOG="$T_DIR/broker.log"
SERVER_LOG="$T_DIR/server.log"
CLIENT_LOG="$T_DIR/client.log"
LOG_LEVEL=${ZLB_LOG_LEVEL:-info}
read -r -a WRAP <<< "${ZLB_WRAP:-}"

# Small heartbeats so that expiry tests take a fraction of a second
# (x ZLB_TIME_SCALE: tests/proc.sh).
. "$T_HERE/../proc.sh"
HB_MS=$(( 100 * T_SCALE ))
LIVENESS=3
HB=(--heartbeat-ms "$HB_MS" --liveness "$LIVENESS")

T_PIDS=()              # every PID we started, in order
declare -A T_PID       # name -> PID
T_START=${EPOCHREALTIME/./}
LAST_PID=
EXIT_RC=

# ---------------------------------------------------------------------------
# Time (tests/proc.sh), messages, failure

# fail MESSAGE: tests/proc.sh (the tails of every log in T_DIR, then exit 1).

# ---------------------------------------------------------------------------
# Processes (alive, wait_for, wait_exit: tests/proc.sh)

# spawn NAME COMMAND...: start in the background, stdout/stderr to
# T_DIR/NAME.out/.err; PID in LAST_PID and T_PID[NAME].
spawn () {
    local name=$1
    shift
    "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
    LAST_PID=$!
    T_PIDS+=("$LAST_PID")
    T_PID[$name]=$LAST_PID
}

# stop PID [SIGNAL] [GRACE_S]: signal (default TERM), wait, SIGKILL if needed.
stop () {
    local pid=$1 sig=${2:-TERM} grace=${3:-3}
    alive "$pid" || { wait "$pid" 2>/dev/null; EXIT_RC=$?; return 0; }
    kill -CONT "$pid" 2>/dev/null
    kill -"$sig" "$pid" 2>/dev/null
    if ! wait_exit "$pid" "$grace"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        EXIT_RC=killed
    fi
}

t_cleanup () {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${T_PIDS[@]}"; do
        alive "$pid" && { kill -CONT "$pid"; kill -TERM "$pid"; } 2>/dev/null
    done
    for pid in "${T_PIDS[@]}"; do
        wait_for 3 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    if [ ${#WRAP[@]} -gt 0 ] && grep -l "ERROR SUMMARY: [1-9]" "$T_DIR"/*.err >/dev/null 2>&1; then
        echo "FAIL [$T_NAME]: ${WRAP[0]} reported errors:" >&2
        grep -B30 "ERROR SUMMARY: [1-9]" "$T_DIR"/*.err | head -n 120 >&2
        rc=1
    fi
    if [ "${ZLB_KEEP:-0}" = 1 ]; then
        echo "kept $T_DIR" >&2
    else
        #  retry: a process that just exited may still be unlinking its socket
        for _ in 1 2 3 4 5; do
            rm -rf "$T_DIR" 2>/dev/null && break
            sleep 0.1
        done
    fi
    exit "$rc"
}
trap t_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# The zlb programs

# start_broker [ARGS...]: broker on ENDPOINT, ready when its socket exists.
start_broker () {
    rm -f "$BROKER_SOCK"
    spawn broker "${WRAP[@]}" "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" "${HB[@]}" \
        --log "$BROKER_LOG" --log-level debug "$@"
    BROKER_PID=$LAST_PID
    wait_for 5 test -S "$BROKER_SOCK" || fail "broker did not bind $ENDPOINT"
    alive "$BROKER_PID" || fail "broker exited at start"
}

# start_worker ID [ARGS...]: an echo worker; waits until the broker has
# logged it as ready (so tests know it can receive requests).
start_worker () {
    local id=$1
    shift
    spawn "worker-$id" "${WRAP[@]}" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service echo \
        --id "$id" "${HB[@]}" --log "$SERVER_LOG" --log-level "$LOG_LEVEL" "$@"
    wait_for 5 broker_saw_ready "$id" || fail "worker $id never registered"
}

# scaled_args ARGS...: ARGS in SCALED, with every --timeout-ms VALUE
# multiplied by ZLB_TIME_SCALE: a client under ASan or valgrind (a CURVE
# handshake under valgrind takes seconds) must not give up on a broker
# that is merely slow.
scaled_args () {
    SCALED=()
    while [ $# -gt 0 ]; do
        if [ "$1" = --timeout-ms ] && [ $# -gt 1 ]; then
            SCALED+=("$1" "$(( $2 * T_SCALE ))")
            shift 2
        else
            SCALED+=("$1")
            shift
        fi
    done
}

# connect_default ARGS...: CONNECT=(--connect ENDPOINT) unless ARGS name
# their own broker: --connect is repeatable (several brokers), so a second
# one would add a broker, not replace the first.
connect_default () {
    CONNECT=(--connect "$ENDPOINT")
    local arg
    for arg in "$@"; do
        case $arg in --connect|--connect=*|-c|-c?*) CONNECT=() ;; esac
    done
}

# start_client NAME [ARGS...]: zlb-client in the background (output NAME.out);
# its --timeout-ms is scaled (scaled_args); --connect ENDPOINT unless ARGS
# have a --connect.
start_client () {
    local name=$1
    shift
    scaled_args "$@"
    connect_default "$@"
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-client" "${CONNECT[@]}" \
        --log "$CLIENT_LOG" --log-level "$LOG_LEVEL" "${SCALED[@]}"
}

# run_client NAME TIMEOUT_S [ARGS...]: zlb-client to completion; exit code
# in EXIT_RC (fails the test if it overruns TIMEOUT_S).
run_client () {
    local name=$1 limit=$2
    shift 2
    start_client "$name" "$@"
    wait_exit "$LAST_PID" "$limit" || fail "client $name still running after ${limit}s"
}

assert_alive () {
    alive "$1" || fail "${2:-process $1} is not running"
}

# assert_grep PATTERN FILE MESSAGE: extended regex must match in FILE.
assert_grep () {
    grep -Eq -- "$1" "$2" 2>/dev/null || fail "$3 (no /$1/ in ${2##*/})"
}

# ---------------------------------------------------------------------------
# What the programs print and log. The exact words are their authors' to
# choose, so every pattern the tests rely on lives here and nowhere else.

# Broker log (always at debug level, for request_routed):
#   ... INFO    broker[main] worker_join worker=alpha#1.5f0c2a9e13b4d7e8 service=echo ...
# zlb-worker names each connection ID#N.RANDOM (N counts its registrations,
# RANDOM makes the routing id unique and unguessable).
broker_ready_count () { grep -Ec -- "worker_join .*worker=$1#" "$BROKER_LOG" 2>/dev/null; }
broker_saw_ready () { [ "$(broker_ready_count "$1")" -gt 0 ]; }
broker_saw_service () { grep -Eq -- "worker_join .*service=$1( |$)" "$BROKER_LOG" 2>/dev/null; }
broker_saw_leave () { grep -Eq -- "worker_leave .*worker=$1#" "$BROKER_LOG" 2>/dev/null; }
broker_saw_expiry () { grep -Eq -- "worker_expired .*worker=$1#" "$BROKER_LOG" 2>/dev/null; }
broker_saw_gone () { broker_saw_expiry "$1" || broker_saw_leave "$1"; }
broker_redeliveries () { grep -Ec "request_redeliver" "$BROKER_LOG" 2>/dev/null; }
broker_warnings () { grep -Ec "^[^ ]+ WARN" "$BROKER_LOG" 2>/dev/null; }
broker_summary () { grep -E " summary " "$BROKER_LOG" 2>/dev/null | tail -n 1; }
# The broker has handed a request to worker ID.
worker_saw_request () { grep -Eq -- "request_routed .*worker=$1#" "$BROKER_LOG" 2>/dev/null; }

# Client stdout: one line per request,
#   id=3 status=200 worker=alpha reply="..." rtt_us=.. service_us=.. latency_us=..
# then a "summary:" line.
client_ok_lines () { grep -E '^id=[0-9]+ status=200 ' "$1" 2>/dev/null; }
client_ok_count () { client_ok_lines "$1" | wc -l; }
# How many ok lines name worker ID.
client_served_by () { client_ok_lines "$1" | grep -Fc -- " worker=$2 "; }
