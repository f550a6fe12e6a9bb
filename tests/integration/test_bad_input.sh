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
#   EXPECT: a regex bad_peer's output must match. The issue allows the
#           broker to drop a malformed message or answer it; where it
#           says which (DISCONNECT, 413) we insist. A body that is not
#           msgpack is a plain MDP request: zlb-worker echoes its frames.
#   WARN:   yes if the broker must log a warning for it
DROP_OR_DISCONNECT="^got (nothing|DISCONNECT)"
DROP_OR_400="^got nothing|^body2:.* status=400"
CASES=(
    "one-frame              '^got nothing'         yes"
    "empty-only             '^got nothing'         yes"
    "bad-header             '^got nothing'         yes"
    "client-short           '^got nothing'         yes"
    "bad-command            '$DROP_OR_DISCONNECT'  yes"
    "bad-command-registered '$DROP_OR_DISCONNECT'  yes"
    "reply-unregistered     '^got DISCONNECT'      yes"
    "reply-idle             '^got DISCONNECT'      yes"
    "ready-twice            '^got DISCONNECT'      yes"
    "ready-mmi              '^got DISCONNECT'      yes"
    "ready-empty            '$DROP_OR_DISCONNECT'  yes"
    "ready-long             '$DROP_OR_DISCONNECT'  yes"
    "request-empty-service  '$DROP_OR_400'         yes"
    "request-long-service   '$DROP_OR_400'         yes"
    "big-body               '^body2:.* status=413' yes"
    "garbage-body           '^body1: raw=hex:c1676172626167652c' no"
)

n=0
for line in "${CASES[@]}"; do
    eval "set -- $line"
    name=$1 expect=$2 warn=$3
    n=$((n + 1))
    warnings=$(broker_warnings)
    # Where an answer must come, wait for it (bad_peer stops at the first);
    # where nothing may come, 1.5 s of silence is enough to believe it.
    wait_ms=1500
    [[ $expect == *"got nothing"* ]] || wait_ms=$((1500 * T_SCALE))
    spawn "bad-$name" "$ZLB_BIN/bad_peer" "$ENDPOINT" "$name" --size $((MAX_BODY * 2)) \
        --wait-ms "$wait_ms"
    wait_exit "$LAST_PID" 5 || fail "bad_peer $name hung"
    [ "$EXIT_RC" = 0 ] || fail "bad_peer $name exit $EXIT_RC"
    got=$(tr '\n' ' ' < "$T_DIR/bad-$name.out" | cut -c1-200)
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

step "the steady worker served the garbage body as a plain MDP request"
grep -F "worker[steady]" "$SERVER_LOG" | grep -Eq "request_served .*raw=yes" \
    || fail "worker did not log the plain body it echoed"
step "broker still answers MMI"
run_client mmi 10 --service mmi.service --timeout-ms 2000 --retries 0 echo
grep -q 200 "$T_DIR/mmi.out" || fail "mmi.service echo did not say 200"
assert_alive "$BROKER_PID" broker
pass
