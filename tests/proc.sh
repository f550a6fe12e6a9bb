# tests/proc.sh - process and timing helpers shared by the shell test
# harnesses (tests/integration/lib.sh, tests/net/netlib.sh). Sourced, not run.
# The caller sets T_NAME and T_START (now_us at its start).
#
# Time in tests only bounds a hang: a test waits for the event it needs
# (wait_for) and never asserts that something took less than N ms.
# ZLB_TIME_SCALE (a whole number, default 1; scripts/sanitize.sh sets it
# under ASan and valgrind) multiplies every such bound, and the harnesses
# multiply their heartbeat intervals by it, so slow builds do not expire
# peers that are merely slow.
T_SCALE=${ZLB_TIME_SCALE:-1}
case $T_SCALE in
    ''|*[!0-9]*|0) echo "ZLB_TIME_SCALE must be a whole number >= 1, not '$T_SCALE'" >&2; exit 2 ;;
esac

now_us () { echo "${EPOCHREALTIME/./}"; }
elapsed_ms () { echo $(( ($(now_us) - T_START) / 1000 )); }
step () { echo "[$T_NAME +$(elapsed_ms)ms] $*"; }

pass () {
    echo "PASS [$T_NAME] in $(elapsed_ms) ms"
    exit 0
}

# alive PID: running or stopped, but not exited (a zombie is not alive).
alive () {
    local state
    [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_for TIMEOUT_S COMMAND...: run COMMAND every WAIT_POLL_S (default
# 0.05) seconds until it succeeds (return 0) or TIMEOUT_S (may be
# fractional) x ZLB_TIME_SCALE passes (return 1).
wait_for () {
    local timeout_us deadline
    timeout_us=$(awk -v t="$1" -v k="$T_SCALE" 'BEGIN { printf "%d", t * k * 1000000 }')
    shift
    deadline=$(( $(now_us) + timeout_us ))
    while true; do
        "$@" && return 0
        [ "$(now_us)" -ge "$deadline" ] && return 1
        sleep "${WAIT_POLL_S:-0.05}"
    done
}

# wait_exit PID TIMEOUT_S: wait for a process we started to end; its exit
# code goes in EXIT_RC. Returns 1 (EXIT_RC empty) if still running.
wait_exit () {
    EXIT_RC=
    wait_for "$2" eval "! alive $1" || return 1
    wait "$1" 2>/dev/null
    EXIT_RC=$?
    return 0
}

# require_programs NAME...: fail (the sourcing harness's fail) unless each
# zlb program is built in ZLB_BIN.
require_programs () {
    local p
    for p in "$@"; do
        [ -x "$ZLB_BIN/$p" ] || fail "program $ZLB_BIN/$p is not built"
    done
}

# fail MESSAGE: say so, print the last 25 lines of every log (rotated ones,
# NAME.log.1, too), output and error file in T_DIR (without the lines matching FAIL_HIDE, an extended
# regex, when set), then exit 1. Needs T_NAME and T_DIR.
fail () {
    echo "FAIL [$T_NAME +$(elapsed_ms)ms]: $*" >&2
    local file
    for file in "$T_DIR"/*.log "$T_DIR"/*.log.1 "$T_DIR"/*.out "$T_DIR"/*.err; do
        [ -s "$file" ] || continue
        echo "----- ${file##*/} (last 25 lines) -----" >&2
        if [ -n "${FAIL_HIDE:-}" ]; then grep -v -E -e "$FAIL_HIDE" "$file"; else cat "$file"; fi \
            | tail -n 25 >&2
    done
    echo "----- end of logs (ZLB_KEEP=1 keeps $T_DIR) -----" >&2
    exit 1
}
