#!/usr/bin/env bash
# Log flooding (security issue, hole 6): one connection cycles READY and
# DISCONNECT 20 000 times. Join and leave lines are rate-limited like the
# warnings about bad input, so the broker's log stays small, says how many
# lines it dropped (log_suppressed lines=N), and the broker still
# serves. Before, each cycle wrote two lines: ~6 MB for this run.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client attacker
CYCLES=20000
MAX_BYTES=$((1024 * 1024))
# Slower heartbeats than the harness's 100 ms: a sanitizer build digesting
# 40 000 messages must not make the steady worker think the broker died.
start_broker --log-level info --heartbeat-ms 1000
start_worker steady --heartbeat-ms 1000

step "$CYCLES READY/DISCONNECT cycles on one connection"
spawn churn "$ZLB_BIN/attacker" cycle "$ENDPOINT" --service churn --count "$CYCLES" --wait-ms 20000
wait_exit "$LAST_PID" 60 || fail "attacker still cycling after 60 s"
# events_seen: join and leave lines written plus those counted as dropped.
events_seen () {
    local written dropped
    written=$(grep -Ec ' worker_(join|leave) ' "$BROKER_LOG")
    # (the limiter also reports at its next line, without source=)
    dropped=$(grep -o 'log_suppressed lines=[0-9]*' "$BROKER_LOG" \
              | awk -F= '{ sum += $2 } END { print sum + 0 }')
    echo $((written + dropped))
}
run_client ok 60 --timeout-ms 5000 --retries 3 --count 3
[ "$EXIT_RC" = 0 ] || fail "requests failed after the churn (rc=$EXIT_RC)"

step "stop the broker; its log is bounded and counts every line it dropped"
stop "$BROKER_PID" TERM 10
# The summary says how many READYs it took (steady's included); each cycle
# is one join and one leave, written or counted in a log_suppressed line
# (the last such count is written at stop, before the summary).
cycles=$(( $(broker_summary | sed -n 's/.* workers_seen=\([0-9]*\).*/\1/p') - 1 ))
bytes=$(wc -c < "$BROKER_LOG")
step "log: $bytes bytes for $cycles cycles; $(events_seen) join/leave lines written or counted"
[ "$cycles" -ge $((CYCLES / 2)) ] || fail "the broker saw only $cycles cycles"
[ "$bytes" -lt "$MAX_BYTES" ] || fail "broker log is $bytes bytes after the churn (bound $MAX_BYTES)"
[ "$(events_seen)" -ge $((2 * cycles)) ] \
    || fail "$(events_seen) join/leave lines written or counted, expected $((2 * cycles))"
tail -n 1 "$BROKER_LOG" | grep -q ' summary ' || fail "log does not end with the summary line"
pass
