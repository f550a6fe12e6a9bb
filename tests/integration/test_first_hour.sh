#!/usr/bin/env bash
# What a newcomer meets in the first hour: the broker and the worker say on
# the terminal where they listen, connect and log; a mistyped endpoint, an
# address that cannot be bound and a broker that is not there are named,
# with the reason, by every program that meets them.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-ctl

step "banners: one line each on stderr"
start_broker --metrics 127.0.0.1:0
assert_grep "^zlb-broker [0-9.]+: listening on $ENDPOINT; log $BROKER_LOG \(debug\); metrics http://127.0.0.1:0/metrics$" \
    "$T_DIR/broker.err" "broker banner"
start_worker w1
wait_for 3 test -s "$T_DIR/worker-w1.err" || fail "no worker banner"
assert_grep "^zlb-worker [0-9.]+: worker w1 serves 'echo' via $ENDPOINT; log $SERVER_LOG$" \
    "$T_DIR/worker-w1.err" "worker banner"
[ "$(wc -l < "$T_DIR/broker.err")" = 1 ] || fail "the broker printed more than its banner"

step "an endpoint without a scheme"
for program in zlb-client zlb-ctl zlb-worker; do
    case $program in
        zlb-client) args=(--connect localhost:5555 --log "$CLIENT_LOG" hi) ;;
        zlb-ctl)    args=(--connect localhost:5555 status) ;;
        zlb-worker) args=(--connect localhost:5555 --log "$SERVER_LOG") ;;
    esac
    spawn "scheme-$program" "$ZLB_BIN/$program" "${args[@]}"
    wait_exit "$LAST_PID" 5 || fail "$program with a bad endpoint still running"
    [ "$EXIT_RC" = 2 ] || fail "$program: exit $EXIT_RC, expected 2"
    assert_grep "endpoint needs a scheme: tcp://localhost:5555\?" "$T_DIR/scheme-$program.err" \
        "$program does not say the endpoint needs a scheme"
done
spawn scheme-broker "$ZLB_BIN/zlb-broker" --bind localhost:5555 --log "$T_DIR/b2.log"
wait_exit "$LAST_PID" 5 || fail "broker with a bad endpoint still running"
assert_grep "'localhost:5555': endpoint needs a scheme" "$T_DIR/scheme-broker.err" "broker scheme"

step "an address that is not this machine's"
spawn nodev "$ZLB_BIN/zlb-broker" --bind tcp://192.0.2.1:5555 --log "$T_DIR/b3.log"
wait_exit "$LAST_PID" 5 || fail "broker still running"
[ "$EXIT_RC" = 1 ] || fail "exit $EXIT_RC, expected 1"
assert_grep "cannot bind 'tcp://192.0.2.1:5555': no network interface here has that address" \
    "$T_DIR/nodev.err" "unbindable address not named with its reason"

step "a broker that is not there: named by zlb-client and zlb-ctl"
gone="ipc://$T_DIR/nobody.ipc"
run_client gone 10 --connect "$gone" --timeout-ms 200 --retries 0 hi
[ "$EXIT_RC" = 1 ] || fail "zlb-client exit $EXIT_RC"
assert_grep "cannot reach the broker at $gone: " "$T_DIR/gone.err" "zlb-client does not name the endpoint"
spawn ctlgone "$ZLB_BIN/zlb-ctl" --connect "$gone" --timeout-ms 200 status
wait_exit "$LAST_PID" 5 || fail "zlb-ctl still running"
[ "$EXIT_RC" = 1 ] || fail "zlb-ctl exit $EXIT_RC"
assert_grep "cannot reach the broker at $gone: " "$T_DIR/ctlgone.err" "zlb-ctl does not name the endpoint"
assert_alive "$BROKER_PID" broker
pass
