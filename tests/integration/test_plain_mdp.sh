#!/usr/bin/env bash
# zlb's programs beside plain MDP/0.1 peers (bodies that are not zlb's
# msgpack, like most MDP workers and clients in the wild):
#  - zlb-client to a plain worker reports "not zlb's format" at once
#    (status 415, exit 3, one attempt: the worker ran the job once);
#  - zlb-client --raw sends its arguments as frames and prints the reply's
#    frames, non-printable bytes escaped;
#  - zlb-worker echoes a plain client's body with the same frames.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client raw_worker raw_client

start_broker
start_worker zw
spawn plain "$ZLB_BIN/raw_worker" "$ENDPOINT" plain --id plainw --reply plain "${HB[@]}"
wait_for 5 grep -q "worker_join worker=plainw " "$BROKER_LOG" || fail "plain worker never registered"
plain_runs () { grep -c "^request " "$T_DIR/plain.out"; }

step "zlb-client -> plain worker: 415 at once, no retries"
run_client c415 20 --service plain --timeout-ms 3000 --retries 3 hello
[ "$EXIT_RC" = 3 ] || fail "exit $EXIT_RC, expected 3 (reply not in zlb format)"
assert_grep "^id=1 status=415 worker=- error=\"[^\"]*plain MDP" "$T_DIR/c415.out" "no 415 line"
assert_grep "zlb-client --raw --service plain" "$T_DIR/c415.err" "no hint to use --raw"
[ "$(plain_runs)" = 1 ] || fail "the plain worker ran the request $(plain_runs) times"
! grep -q "request_retry" "$CLIENT_LOG" || fail "the client retried"

step "zlb-client --raw -> plain worker: frames out, frames back"
run_client raw 10 --service plain --raw --timeout-ms 3000 hello $'b\x01"c'
[ "$EXIT_RC" = 0 ] || fail "--raw exit $EXIT_RC"
assert_grep '^id=1 status=200 worker=- frames=2 reply="hello" "b\\x01\\"c" ' "$T_DIR/raw.out" \
    "raw reply not printed frame by frame, escaped"
assert_grep "^request id=0 frames=2$" "$T_DIR/plain.out" "the plain worker did not get 2 frames"

step "raw client (a plain MDP client) -> zlb-worker: the same frames back"
spawn rc "$ZLB_BIN/raw_client" "$ENDPOINT" echo --text "plain hello" --timeout-ms 3000
wait_exit "$LAST_PID" 5 || fail "raw_client hung"
[ "$EXIT_RC" = 0 ] || fail "raw_client exit $EXIT_RC"
assert_grep "^reply service=echo frames=1$" "$T_DIR/rc.out" "not one frame back"
assert_grep "^body1: raw=plain hello$" "$T_DIR/rc.out" "body not echoed as it came"

step "zlb-client --raw -> zlb-worker: several frames echoed"
run_client raw2 10 --service echo --raw --timeout-ms 3000 one two three
[ "$EXIT_RC" = 0 ] || fail "--raw to zlb-worker exit $EXIT_RC"
assert_grep 'frames=3 reply="one" "two" "three" ' "$T_DIR/raw2.out" "frames not echoed"

step "zlb requests to zlb-worker are unchanged"
run_client ok 10 --service echo --timeout-ms 3000 fine
[ "$EXIT_RC" = 0 ] && [ "$(client_served_by "$T_DIR/ok.out" zw)" = 1 ] || fail "zlb request failed"
assert_alive "$BROKER_PID" broker
pass
