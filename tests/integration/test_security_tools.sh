#!/usr/bin/env bash
# The client tools do not trust the broker: a fake broker (peers/fake_broker)
# answers zlb-ctl and zlb-client with ESC/OSC bytes in worker ids and error
# texts (printed escaped), a 13-byte reply claiming 2^32 map entries (a clear
# error, exit 1, no crash) and a 200 MB reply (refused unread); it sends
# zlb-worker a 200 MB request (refused unread, the worker lives on and
# serves). zlb-ctl inspects a CURVE broker with --broker-key/--curve-secret.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-ctl zlb-keygen fake_broker

FAKE="ipc://$T_DIR/fake.ipc"
BIG=200000000              # bytes in the oversized reply/request
RSS_LIMIT_KB=102400        # half of BIG: nobody may have read it

# start_fake MODE [ARGS...]: a fake broker on FAKE, ready when it says so.
start_fake () {
    [ -n "${FAKE_PID:-}" ] && stop "$FAKE_PID"
    rm -f "$T_DIR/fake.ipc" "$T_DIR/fake.out"     # the old "ready" must not count
    spawn fake "$ZLB_BIN/fake_broker" "$FAKE" "$@" --wait-ms 20000
    FAKE_PID=$LAST_PID
    wait_for 30 grep -q '^ready' "$T_DIR/fake.out" 2>/dev/null || fail "fake broker did not start"
}

# ctl NAME ARGS...: zlb-ctl against the fake broker to completion; stdout
# in NAME.out, stderr in NAME.err, exit code in EXIT_RC.
ctl () {
    local name=$1
    shift
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-ctl" --connect "$FAKE" --timeout-ms 1500 "$@"
    wait_exit "$LAST_PID" 60 || fail "zlb-ctl $name still running"
}

# no_raw_controls FILE: no ESC, BEL or 8-bit CSI reached the output.
no_raw_controls () {
    ! LC_ALL=C grep -qP '[\x07\x1b]|\xc2\x9b' "$1"
}

# peak_rss_kb PID: the process's peak resident set (VmHWM), in KiB.
peak_rss_kb () { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

step "zlb-ctl prints ESC/OSC bytes from the broker escaped (tables and JSON)"
start_fake escape
ctl tables status
[ "$EXIT_RC" = 0 ] || fail "zlb-ctl status failed (rc=$EXIT_RC)"
ctl workers workers
ctl json --json workers
for out in tables workers json; do
    no_raw_controls "$T_DIR/$out.out" || fail "raw control bytes in zlb-ctl $out output"
done
assert_grep '^broker 0\.1\\x1b\]0;pwned\\x07' "$T_DIR/tables.out" "version not escaped"
assert_grep '^w\\x1b\]0;pwned\\x07\\x1b\[31m +echo\\x1b\[2J' "$T_DIR/workers.out" \
    "worker id not escaped"
jq -e '.reply.workers[0].id == "w\u001b]0;pwned\u0007\u001b[31m"' "$T_DIR/json.out" >/dev/null \
    || fail "zlb-ctl --json is not valid JSON with the worker id intact"

step "zlb-ctl prints a broker's ESC/OSC error text escaped"
start_fake error
ctl error stats
[ "$EXIT_RC" = 1 ] || fail "zlb-ctl did not exit 1 on an error status (rc=$EXIT_RC)"
no_raw_controls "$T_DIR/error.err" || fail "raw control bytes in zlb-ctl's error message"
assert_grep 'status 503 boom\\x1b\]0;pwned\\x07\\x1b\[2J\\xc2\\x9b31m\\nforged' \
    "$T_DIR/error.err" "error text not escaped"

step "zlb-client prints worker ids and error texts escaped"
start_fake escape
spawn client "${WRAP[@]}" "$ZLB_BIN/zlb-client" --connect "$FAKE" --retries 0 \
    --log "$CLIENT_LOG" hello
wait_exit "$LAST_PID" 60 || fail "zlb-client still running"
[ "$EXIT_RC" = 1 ] || fail "zlb-client did not exit 1 on status 500 (rc=$EXIT_RC)"
for file in client.out client.err client.log; do
    no_raw_controls "$T_DIR/$file" || fail "raw control bytes in zlb-client's $file"
done
assert_grep '^id=1 status=500 worker=w\\x1b\]0;pwned\\x07\\x1b\[31m error="boom\\x1b' \
    "$T_DIR/client.out" "zlb-client result line not escaped"
[ "$(grep -c . "$CLIENT_LOG")" -eq "$(grep -c '^[0-9]\{4\}-' "$CLIENT_LOG")" ] \
    || fail "a newline in the error text started a line of its own in the client log"

step "a 13-byte reply claiming 2^32 entries: clear error, exit 1, no crash"
start_fake huge-count
ctl huge stats
[ "$EXIT_RC" = 1 ] || fail "zlb-ctl did not exit 1 on a lying reply (rc=$EXIT_RC)"
assert_grep "mmi.stats: the broker's answer is malformed \(13 bytes" "$T_DIR/huge.err" \
    "no clear error for the lying reply"

step "a 200 MB reply is refused unread (zlb-ctl stays small, says no answer)"
start_fake big "$BIG"
"$ZLB_BIN/zlb-ctl" --connect "$FAKE" --timeout-ms 5000 stats >"$T_DIR/big.out" 2>"$T_DIR/big.err" &
CTL_PID=$!
T_PIDS+=("$CTL_PID")
peak=0
give_up=$(( $(now_us) + 60000000 * T_SCALE ))   # a hang bound, far past its 5 s timeout
while alive "$CTL_PID"; do            # sample until it exits: the peak is what counts
    sample=$(peak_rss_kb "$CTL_PID" 2>/dev/null)
    [ "${sample:-0}" -gt "$peak" ] && peak=$sample
    [ "$(now_us)" -lt "$give_up" ] || fail "zlb-ctl still running long after its timeout"
    sleep 0.05
done
wait "$CTL_PID"
rc=$?
grep -q 'answered mmi.stats' "$T_DIR/fake.out" || fail "fake broker got no request"
[ "$rc" = 1 ] || fail "zlb-ctl did not exit 1 after an oversized reply (rc=$rc)"
[ "$peak" -gt 0 ] || fail "could not measure zlb-ctl's memory"
[ "$peak" -lt "$RSS_LIMIT_KB" ] || fail "zlb-ctl peaked at ${peak} KiB: it read the 200 MB reply"
step "zlb-ctl peak RSS ${peak} KiB"

step "a 200 MB request is refused unread by zlb-worker, which lives on and serves"
start_fake worker "$BIG"
# A 4 s silence window: the 200 MB must reach the worker before it gives up
# on the (never heartbeating) fake broker and registers again.
spawn worker "${WRAP[@]}" "$ZLB_BIN/zlb-worker" --connect "$FAKE" --id big \
    --heartbeat-ms 1000 --liveness 4 --log "$SERVER_LOG"
WORKER_PID=$LAST_PID
wait_for 30 grep -q '^sent REQUEST' "$T_DIR/fake.out" || fail "worker never registered"
wait_for 30 grep -q '^got REPLY' "$T_DIR/fake.out" \
    || fail "worker did not serve a small request after the oversized one"
assert_alive "$WORKER_PID" "worker"
peak=$(peak_rss_kb "$WORKER_PID")
[ "$peak" -lt "$RSS_LIMIT_KB" ] || fail "zlb-worker peaked at ${peak} KiB: it read the 200 MB request"
grep -q '^got REPLY from big#1$' "$T_DIR/fake.out" && fail "the oversized request was answered"
grep -q 'bad_request' "$SERVER_LOG" && fail "the worker read the oversized request"
step "zlb-worker peak RSS ${peak} KiB"
stop "$FAKE_PID"

step "zlb-ctl inspects a CURVE broker with --broker-key/--curve-secret"
make_keys
start_broker "${CURVE_BROKER[@]}"
start_curve_worker w1 worker
# A loaded machine can make w1 miss heartbeats and reconnect (w1#2, ...),
# and a listing taken in between shows no w1: ask again, a few times.
for try in 1 2 3 4 5; do
    # shellcheck disable=SC2046
    spawn curve "${WRAP[@]}" "$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" $(curve_flags client) workers
    wait_exit "$LAST_PID" 60 || fail "zlb-ctl with CURVE flags still running"
    [ "$EXIT_RC" = 0 ] || fail "zlb-ctl with CURVE flags failed (rc=$EXIT_RC)"
    grep -Eq '^w1#[0-9]+ +echo ' "$T_DIR/curve.out" && break
    wait_for 5 broker_saw_ready w1
done
assert_grep '^w1#[0-9]+ +echo ' "$T_DIR/curve.out" "zlb-ctl did not list the CURVE worker"
spawn plainctl "${WRAP[@]}" "$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" --timeout-ms 500 stats
wait_exit "$LAST_PID" 60 || fail "plain zlb-ctl still running"
[ "$EXIT_RC" = 1 ] || fail "zlb-ctl without CURVE flags got through (rc=$EXIT_RC)"
"$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" --curve-secret "$KEYS/client_secret" stats \
    2>"$T_DIR/flags.err"
[ $? -eq 2 ] || fail "--curve-secret without --broker-key was accepted"
assert_grep 'zlb-ctl: --curve-secret needs --broker-key' "$T_DIR/flags.err" "no clear flag error"
pass
