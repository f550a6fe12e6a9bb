#!/usr/bin/env bash
# A request for a service with no workers gets an error (504, no worker)
# from the broker within its --request-timeout-ms, and the client exits 1
# with a clear message. Also: mmi.service says 404 for it meanwhile.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-client

start_broker --request-timeout-ms 500
sent_us=$(now_us)
run_client client 10 --service echo --timeout-ms 5000 --retries 0 nobody-home
took_ms=$(( ($(now_us) - sent_us) / 1000 ))
step "client exit $EXIT_RC after ${took_ms} ms"
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
grep -Eqi "504|no.?worker" "$T_DIR/client.out" "$T_DIR/client.err" \
    || fail "client gave no clear 504 / no worker message"
[ "$took_ms" -ge 400 ] || fail "error came after ${took_ms} ms, before the 500 ms deadline"
# Well before the client's own 5 s timeout: the broker answered.
[ "$took_ms" -lt 3000 ] || fail "error took ${took_ms} ms (deadline 500 ms)"

run_client mmi 10 --service mmi.service --timeout-ms 2000 --retries 0 echo
grep -q 404 "$T_DIR/mmi.out" || fail "mmi.service echo did not say 404"
assert_alive "$BROKER_PID" broker
pass
