#!/usr/bin/env bash
# Bodies past the 1 MiB default: with the broker and the worker both at
# --max-body 2m, a 1.5 MiB request is answered in full (the worker's own
# read limit follows its flag, not the default); one just over 2 MiB gets
# 413 from the broker and the worker never sees it. (Much bigger frames
# cost the sender its connection: libzmq's ZMQ_MAXMSGSIZE, docs/security.md.)
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client

start_broker --max-body 2m
start_worker big --max-body 2m

step "1.5 MiB through broker and worker at --max-body 2m"
run_client large 60 --service echo --timeout-ms 20000 --retries 0 --count 1 --size 1536k
[ "$EXIT_RC" = 0 ] || fail "the 1.5 MiB request failed (rc=$EXIT_RC)"
[ "$(client_served_by "$T_DIR/large.out" big)" -eq 1 ] || fail "reply not from big"

step "2 MiB + 10 KiB: refused by the broker with 413"
run_client huge 60 --service echo --timeout-ms 20000 --retries 0 --count 1 --size 2058k
[ "$EXIT_RC" != 0 ] || fail "the 2 MiB + 10 KiB request was accepted"
assert_grep "status=413" "$T_DIR/huge.out" "no 413 for 2 MiB + 10 KiB"
worker_saw_request big || fail "big never got the 1.5 MiB request"
[ "$(grep -c "request_routed" "$BROKER_LOG")" -eq 1 ] || fail "more than one request was routed"
assert_alive "${T_PID[worker-big]}" worker
assert_alive "$BROKER_PID" broker
pass
