#!/usr/bin/env bash
# A request for a service with no workers gets an error (504, no worker)
# from the broker within its --request-timeout-ms, and the client exits 1
# with a clear message. Also: mmi.service says 404 for it meanwhile, and
# past --max-queue waiting requests the client is told "busy" (503) at once.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-client

start_broker --request-timeout-ms 500 --max-queue 2
sent_us=$(now_us)
run_client client 10 --service echo --timeout-ms 5000 --retries 0 nobody-home
took_ms=$(( ($(now_us) - sent_us) / 1000 ))
step "client exit $EXIT_RC after ${took_ms} ms"
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
grep -Eq "^id=[0-9]+ status=504 worker=broker " "$T_DIR/client.out" \
    || fail "client did not print the broker's 504 reply"
grep -Ei "fail" "$T_DIR/client.err" | grep -Eqi "504|no worker" \
    || fail "client gave no clear message on stderr"
[ "$took_ms" -ge 400 ] || fail "error came after ${took_ms} ms, before the 500 ms deadline"
# Well before the client's own 5 s timeout: the broker answered.
[ "$took_ms" -lt 3000 ] || fail "error took ${took_ms} ms (deadline 500 ms)"

run_client mmi 10 --service mmi.service --timeout-ms 2000 --retries 0 echo
grep -q 404 "$T_DIR/mmi.out" || fail "mmi.service echo did not say 404"

step "3 requests at once, queue of 2: one 503 at once, two 504 at the deadline"
run_client full 10 --service echo --count 3 --pipeline 3 --timeout-ms 5000 --retries 0
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
busy=$(grep -Ec "^id=[0-9]+ status=503 " "$T_DIR/full.out")
late=$(grep -Ec "^id=[0-9]+ status=504 " "$T_DIR/full.out")
[ "$busy" -eq 1 ] && [ "$late" -eq 2 ] || fail "expected one 503 and two 504, got $busy and $late"
rtt=$(grep -E "^id=[0-9]+ status=503 " "$T_DIR/full.out" | sed -E 's/.* rtt_us=([0-9]+).*/\1/')
[ "$rtt" -lt 300000 ] || fail "busy answer took ${rtt} us: not at once"
assert_alive "$BROKER_PID" broker
pass
