#!/usr/bin/env bash
# A request for a service with no workers gets an error (504, no worker)
# from the broker at its --request-timeout-ms (not the client's own
# timeout: the reply names the broker), and the client exits 1 with a
# clear message. Also: mmi.service says 404 for it meanwhile, and past
# --max-queue waiting requests the client is told "busy" (503) at once:
# before the requests queued ahead of it reach their deadline.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-client

start_broker --request-timeout-ms 500 --max-queue 2
sent_us=$(now_us)
run_client client 60 --service echo --timeout-ms 60000 --retries 0 nobody-home
took_ms=$(( ($(now_us) - sent_us) / 1000 ))
step "client exit $EXIT_RC after ${took_ms} ms"
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
grep -Eq "^id=[0-9]+ status=504 worker=broker " "$T_DIR/client.out" \
    || fail "client did not print the broker's 504 reply"
grep -Ei "fail" "$T_DIR/client.err" | grep -Eqi "504|no worker" \
    || fail "client gave no clear message on stderr"
# Not before the deadline (a timer never fires early, so this holds on
# any machine); that it came from the broker, not the client's 60 s
# timeout, the 504 from worker=broker shows.
[ "$took_ms" -ge 400 ] || fail "error came after ${took_ms} ms, well before the 500 ms deadline"

run_client mmi 10 --service mmi.service --timeout-ms 2000 --retries 0 echo
grep -q 404 "$T_DIR/mmi.out" || fail "mmi.service echo did not say 404"

step "3 requests at once, queue of 2: one 503 at once, two 504 at the deadline"
run_client full 60 --service echo --count 3 --pipeline 3 --timeout-ms 60000 --retries 0
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
busy=$(grep -Ec "^id=[0-9]+ status=503 " "$T_DIR/full.out")
late=$(grep -Ec "^id=[0-9]+ status=504 " "$T_DIR/full.out")
[ "$busy" -eq 1 ] && [ "$late" -eq 2 ] || fail "expected one 503 and two 504, got $busy and $late"
# "At once": the 503 was sent last and answered before either 504, which
# waited for the 500 ms deadline (the broker answers in order on one pipe).
rtt_of () { grep -E "^id=[0-9]+ status=$1 " "$T_DIR/full.out" | sed -E 's/.* rtt_us=([0-9]+).*/\1/'; }
busy_rtt=$(rtt_of 503)
late_rtt=$(rtt_of 504 | sort -n | head -n 1)
step "503 after ${busy_rtt} us, first 504 after ${late_rtt} us"
[ "$busy_rtt" -lt "$late_rtt" ] || fail "the busy answer waited for the deadline"
[ "$(grep -Em1 '^id=[0-9]+ status=' "$T_DIR/full.out" | grep -c 'status=503')" -eq 1 ] \
    || fail "the first result printed is not the 503"
assert_alive "$BROKER_PID" broker
pass
