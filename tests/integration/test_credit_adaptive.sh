#!/usr/bin/env bash
# Adaptive credit, the default (docs/protocol.md): a zlb-worker started
# with no --credit registers strict (credit=1/32) and, once it has measured
# that its echo work takes far less than the round trip to the broker, asks
# for more with HEARTBEAT "credit=N"; the broker logs the new window,
# mmi.workers shows it, and every request is answered. (Dead workers'
# requests are redelivered with the default workers as before: every
# reliability test runs them.)
# (The rule itself, slow workers staying strict included, is unit-tested
# with a stepped clock: test_credit_window.c, test_worker.c.)
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"

start_broker
start_worker w1
assert_grep "worker_join .*worker=w1#.* credit=1 credit_max=32" "$BROKER_LOG" \
    "default worker did not register adaptive, strict at first"

step "pipelined load: the window opens"
run_client load 60 --count 400 --pipeline 16 --quiet
[ "$EXIT_RC" = 0 ] || fail "client failed (exit $EXIT_RC)"
window_opened () { grep -Eq "credit_window worker=w1#[^ ]* credit=([2-9]|[1-9][0-9]+) " "$BROKER_LOG"; }
window_opened || fail "the broker never got a window above 1 from w1"
step "$(grep -E "credit_window worker=w1#" "$BROKER_LOG" | tail -n 1 | cut -d' ' -f4-)"
[ "$(ctl_json workers | jq '.workers[0].credit_max')" = 32 ] || fail "mmi.workers: credit_max is not 32"

pass
