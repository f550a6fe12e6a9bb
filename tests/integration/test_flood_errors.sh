#!/usr/bin/env bash
# Error answers cost less than requests (security issue, hole 5): a client
# floods the broker with 1 MiB msgpack bodies for an invalid service name,
# each with its id after the megabyte. The broker answers each with a 400
# from the first bytes of the body only, so a legit client on the side keeps
# being served: we count its successful requests in a fixed window (before
# the fix, decoding each body to find its id cut them to a handful).
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker attacker
MIN_OK=${ZLB_FLOOD_MIN_OK:-100}
start_broker --log-level info
start_worker steady

step "flood: 1 MiB bad-service requests for 6 s; legit echo requests for 4 s beside it"
spawn flood "$ZLB_BIN/attacker" bigbad "$ENDPOINT" --size 1048000 --duration-ms 6000
sleep 1                  # the flood is under way
spawn legit "$ZLB_BIN/attacker" legit "$ENDPOINT" --service echo --duration-ms 4000
wait_exit "${T_PID[legit]}" 20 || fail "legit client hung"
wait_exit "${T_PID[flood]}" 20 || fail "flood client hung"
step "flood: $(cat "$T_DIR/flood.out"); legit: $(cat "$T_DIR/legit.out")"
flood_answered=$(sed -n 's/.*answered=\([0-9]*\).*/\1/p' "$T_DIR/flood.out")
[ "${flood_answered:-0}" -gt 0 ] || fail "the flood got no answers (did it reach the broker?)"
ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' "$T_DIR/legit.out")
[ "${ok:-0}" -ge "$MIN_OK" ] || fail "legit traffic starved: ok=${ok:-0} < $MIN_OK"
assert_alive "$BROKER_PID" broker
pass
