#!/usr/bin/env bash
# Every kind of bad input from issue 2, one after another against the same
# broker: after each one the broker is still running, has logged a warning,
# and a normal zlb-client request still succeeds.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client bad_peer

MAX_BODY=1024
start_broker --max-body "$MAX_BODY" --request-timeout-ms 1000
start_worker steady

# CASE  EXPECT  WARN
#   EXPECT: a regex bad_peer's output must match ("" = anything)
#   WARN:   yes if the broker must log a warning for it
CASES=(
    "one-frame              ''                   yes"
    "empty-only             ''                   yes"
    "bad-header             ''                   yes"
    "client-short           ''                   yes"
    "bad-command            ''                   yes"
    "bad-command-registered ''                   yes"
    "reply-unregistered     '^got DISCONNECT'    yes"
    "reply-idle             '^got DISCONNECT'    yes"
    "ready-twice            '^got DISCONNECT'    yes"
    "ready-mmi              '^got DISCONNECT'    yes"
    "ready-empty            ''                   yes"
    "ready-long             ''                   yes"
    "request-empty-service  ''                   yes"
    "request-long-service   ''                   yes"
    "big-body               '^body2:.*status=413' yes"
    "garbage-body           '^body2:.*status=400' no"
)

n=0
for line in "${CASES[@]}"; do
    eval "set -- $line"
    name=$1 expect=$2 warn=$3
    n=$((n + 1))
    warnings=$(broker_warnings)
    spawn "bad-$name" "$ZLB_BIN/bad_peer" "$ENDPOINT" "$name" --size $((MAX_BODY * 2)) --wait-ms 1500
    wait_exit "$LAST_PID" 5 || fail "bad_peer $name hung"
    [ "$EXIT_RC" = 0 ] || fail "bad_peer $name exit $EXIT_RC"
    got=$(head -n 1 "$T_DIR/bad-$name.out")
    step "$name: $got"
    if [ -n "$expect" ]; then
        grep -Eq -- "$expect" "$T_DIR/bad-$name.out" || fail "$name: expected /$expect/, got: $(cat "$T_DIR/bad-$name.out")"
    fi
    assert_alive "$BROKER_PID" "broker (after $name)"
    if [ "$warn" = yes ]; then
        wait_for 2 eval "[ \$(broker_warnings) -gt $warnings ]" \
            || fail "$name: broker logged no warning"
    fi
    run_client "ok-$n" 10 --service echo --timeout-ms 2000 --retries 1 "after-$name"
    [ "$EXIT_RC" = 0 ] || fail "normal request after $name failed: exit $EXIT_RC"
    assert_alive "${T_PID[worker-steady]}" "worker steady (after $name)"
done

step "the steady worker logged the garbage body"
grep -Fi steady "$SERVER_LOG" | grep -Eqi "warn|400|bad|malformed" \
    || fail "worker did not log the garbage body"
step "broker still answers MMI"
run_client mmi 10 --service mmi.service --timeout-ms 2000 --retries 0 echo
grep -q 200 "$T_DIR/mmi.out" || fail "mmi.service echo did not say 200"
assert_alive "$BROKER_PID" broker
pass
