#!/usr/bin/env bash
# Idle connections to /metrics cannot starve the broker. The broker runs
# with 256 descriptors (prlimit); an attacker opens 400 TCP connections to
# the metrics port and never sends a byte. While they are open, clients are
# still answered and a new worker can register; every idle connection is
# then closed by the broker (beyond the cap at once, with a 503; the rest at
# their deadline), the refusals are logged, and a scrape works again.
# (Before the fix the broker accepted them all, ran out of descriptors and
# could accept neither clients nor workers.)
. "$(dirname "$0")/lib.sh"
. "$T_HERE/metrics_lib.sh"
command -v prlimit >/dev/null || fail "prlimit (util-linux) is needed"

start_metrics_broker
prlimit --pid "$BROKER_PID" --nofile=256:256 || fail "prlimit on the broker failed"
start_worker w1
run_client warmup 20 --count 3
[ "$EXIT_RC" = 0 ] || fail "the client failed before the attack"
base_fds=$(open_fds "$BROKER_PID")
step "broker holds $base_fds descriptors of 256; metrics on port $METRICS_PORT"

step "400 idle connections to the metrics port"
spawn idle "$ZLB_BIN/http_peer" idle 127.0.0.1 "$METRICS_PORT" 400 60
wait_for 30 peer_said idle '^opened=' || fail "the attacker never finished connecting"
step "attacker: $(grep '^opened=' "$T_DIR/idle.out"); broker holds $(open_fds "$BROKER_PID") descriptors"

step "meanwhile: a client is answered and a new worker registers"
run_client during 30 --count 10 --timeout-ms 2000 --retries 5
[ "$EXIT_RC" = 0 ] || fail "the client failed while idle connections were open"
start_worker w2
assert_alive "$BROKER_PID" broker

step "every idle connection gets closed"
wait_for 60 peer_said idle '^all_closed' \
    || fail "idle connections left open: $(tail -n 1 "$T_DIR/idle.out")"
wait_for 10 grep -Eq "metrics_http .*refused=[1-9]" "$BROKER_LOG" \
    || fail "no metrics_http warning counting refused connections"
wait_for 20 grep -Eq "metrics_http .*timed_out=[1-9]" "$BROKER_LOG" \
    || fail "no metrics_http warning counting timed-out connections"
wait_for 10 scrape_ok || fail "no scrape after the attack"
run_client after 30 --count 10
[ "$EXIT_RC" = 0 ] || fail "the client failed after the attack"
step "broker holds $(open_fds "$BROKER_PID") descriptors after the attack"
pass
