#!/usr/bin/env bash
# Broker restart under load, over TCP: zlb-stress at 300 req/s, three
# workers; the broker is killed (SIGKILL) and started again on the same
# endpoint 300 ms later. Clients resend (same ids) and workers register
# again on their own: nothing lost, no timeouts (so every request was
# answered within its retry budget), and every worker serves the new
# broker. Prints the measured times (not checked).  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_tcp_broker
step "broker on $ENDPOINT"
for id in r1 r2 r3; do start_worker "$id" --work-us 2000; done
spawn stress "$ZLB_BIN/zlb-stress" --connect "$ENDPOINT" --rate 300 --clients 6 --threads 1 \
    --duration 5s --timeout-ms $((500 * T_SCALE)) --retries 8 --json "$T_DIR/load.json" \
    --log "$T_DIR/stress.log" --log-level debug
stress=$LAST_PID
sleep 2
step "SIGKILL the broker; restart it 300 ms later"
kill -KILL "$BROKER_PID"
killed_us=$(now_us)
wait_exit "$BROKER_PID" 2 2>/dev/null
sleep 0.3
restart_tcp_broker
restarted_us=$(now_us)
for id in r1 r2 r3; do
    wait_for 5 broker_saw_ready "$id" || fail "worker $id did not register with the new broker"
done
wait_exit "$stress" 20 || fail "zlb-stress still running"
J=$T_DIR/load.json
step "$(jq -c '{sent,ok,errors,timeouts,lost,retries,duplicates,per_worker}' "$J")"
jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0 and .errors == 0' "$J" >/dev/null \
    || fail "requests failed across the restart"
back=$(first_after "$restarted_us" "worker_join " "$BROKER_LOG")
all=$(for id in r1 r2 r3; do first_after "$restarted_us" "worker_join .*worker=$id#" "$BROKER_LOG"; done \
      | sort -n | tail -n 1)
ok=$(first_after "$killed_us" " result .*status=200 " "$T_DIR/stress.log")
step "after the restart: first worker back ${back} ms, all three ${all} ms;" \
     "first ok reply ${ok} ms after the kill (down 300 ms)"
[ "$ok" != - ] || fail "no ok reply after the kill"
for id in r1 r2 r3; do
    grep -Eq " reply worker=$id#" "$BROKER_LOG" || fail "$id served nothing through the new broker"
done
pass
