#!/usr/bin/env bash
# Bad command-line flags: every program prints a message on stderr and
# exits 2, at once. --help and --version exit 0.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

# expect_code CODE PROGRAM ARGS...: run bounded (5 s), check the exit code
# and, for code 2, that stderr says something.
n=0
expect_code () {
    local code=$1 program=$2
    shift 2
    n=$((n + 1))
    spawn "flags-$n" "$ZLB_BIN/$program" "$@"
    if ! wait_exit "$LAST_PID" 5; then
        fail "$program $*: still running after 5 s (flag ignored?)"
    fi
    [ "$EXIT_RC" = "$code" ] || fail "$program $*: exit $EXIT_RC, expected $code"
    if [ "$code" = 2 ]; then
        [ -s "$T_DIR/flags-$n.err" ] || fail "$program $*: exit 2 but nothing on stderr"
        step "$program $* -> 2: $(head -n 1 "$T_DIR/flags-$n.err")"
    fi
}

LOGS=(--log "$T_DIR/flags.log")
for program in zlb-broker zlb-worker zlb-client; do
    expect_code 2 $program --no-such-flag "${LOGS[@]}"
    expect_code 2 $program --heartbeat-ms abc "${LOGS[@]}"
    expect_code 2 $program --log-level loud "${LOGS[@]}"
    expect_code 2 $program "${LOGS[@]}" --log-level      # missing value
    expect_code 0 $program --help
    expect_code 0 $program --version
done
grep -q "0.1.0" "$T_DIR"/flags-*.out "$T_DIR"/flags-*.err || fail "no --version printed 0.1.0"

expect_code 2 zlb-broker --heartbeat-ms -5 "${LOGS[@]}"
expect_code 2 zlb-broker --liveness 0 "${LOGS[@]}"
expect_code 2 zlb-broker --max-queue x "${LOGS[@]}"
expect_code 2 zlb-broker --bind "ipc://$T_DIR/x.ipc" stray-argument "${LOGS[@]}"
expect_code 2 zlb-worker --work-us -1 "${LOGS[@]}"
expect_code 2 zlb-worker --service "" "${LOGS[@]}"
# The library's own check: a name the worker could never register.
expect_code 2 zlb-worker --service "a b" "${LOGS[@]}"
grep -q "^zlb-worker: --service: 'a b': " "$T_DIR/flags-$n.err" \
    || fail "zlb-worker --service 'a b': $(cat "$T_DIR/flags-$n.err")"
# A ceiling for the adaptive window makes no sense with a fixed one.
expect_code 2 zlb-worker --credit 4 --credit-max 8 "${LOGS[@]}"
grep -q "^zlb-worker: --credit-max: only for the adaptive window" "$T_DIR/flags-$n.err" \
    || fail "zlb-worker --credit 4 --credit-max 8: $(cat "$T_DIR/flags-$n.err")"
expect_code 2 zlb-client --count abc "${LOGS[@]}"
expect_code 2 zlb-client --retries -1 "${LOGS[@]}" hello
expect_code 2 zlb-client "${LOGS[@]}"                     # nothing to send

# One wording for the way out, in every program's option parser.
for program in zlb-broker zlb-worker zlb-client zlb-ctl zlb-stress zlb-keygen; do
    [ -x "$ZLB_BIN/$program" ] || fail "$program is not built"
    expect_code 2 $program --no-such-flag
    grep -Fxq "$program: --no-such-flag: unknown option" "$T_DIR/flags-$n.err" \
        || fail "$program: not the one wording: $(cat "$T_DIR/flags-$n.err")"
    grep -Fxq "Try '$program --help'." "$T_DIR/flags-$n.err" \
        || fail "$program: no \"Try '$program --help'.\" line: $(cat "$T_DIR/flags-$n.err")"
done
pass
