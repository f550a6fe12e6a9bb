#!/usr/bin/env bash
# A "poison" request that crashes every worker it reaches (--fail-on) is
# redelivered at most --max-redeliveries times, then the client gets a 502
# error confirmation: no request is silently dropped, and no endless
# crash loop. Meanwhile zlb-stress keeps sending ordinary requests: every
# one of them succeeds (the workers that survive keep serving the rest).
# A healthy worker afterwards serves normally.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-stress
ulimit -c 0          # the workers abort() on purpose: no core files

start_broker --max-redeliveries 2 --request-timeout-ms 5000
saved_wrap=("${WRAP[@]}")
WRAP=()              # under ZLB_WRAP=valgrind, an abort() "leaks" by design
for id in p1 p2 p3 p4; do
    start_worker "$id" --fail-on POISON
done
WRAP=("${saved_wrap[@]}")
spawn stress "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --rate 100 --clients 2 --threads 1 \
    --duration 3s --timeout-ms $((1000 * T_SCALE)) --retries 3 --json "$T_DIR/others.json"
stress=$LAST_PID
sleep 0.5
sent_us=$(now_us)
run_client client 20 --service echo --timeout-ms 15000 --retries 0 POISON-pill
took_ms=$(( ($(now_us) - sent_us) / 1000 ))
step "client exit $EXIT_RC after ${took_ms} ms"
[ "$EXIT_RC" = 1 ] || fail "client exit code $EXIT_RC, expected 1"
grep -Eq "status=502|502" "$T_DIR/client.out" "$T_DIR/client.err" || fail "client did not report 502"
dead=0
for id in p1 p2 p3 p4; do alive "${T_PID[worker-$id]}" || dead=$((dead + 1)); done
step "$dead workers crashed"
# 1 delivery + 2 redeliveries = 3 crashes; never all four.
[ "$dead" -ge 2 ] && [ "$dead" -le 3 ] || fail "$dead workers crashed, expected 2 or 3"
wait_exit "$stress" 20 || fail "zlb-stress still running"
if command -v jq >/dev/null; then
    step "other requests: $(jq -c '{sent,ok,errors,timeouts,lost}' "$T_DIR/others.json")"
    jq -e '.ok > 0 and .ok == .sent and .lost == 0' "$T_DIR/others.json" >/dev/null \
        || fail "ordinary requests failed while the poison went round"
fi

start_worker healthy
run_client after 10 --service echo --timeout-ms 2000 --retries 1 wholesome
[ "$EXIT_RC" = 0 ] || fail "normal request after the poison failed: exit $EXIT_RC"
assert_alive "$BROKER_PID" broker
pass
