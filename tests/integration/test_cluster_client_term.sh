#!/usr/bin/env bash
# Two brokers, two workers each, zlb-stress over both; broker b is stopped
# with SIGTERM mid-run and not restarted: the clients move every request
# to broker a with no error, no timeout and nothing lost.  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

CLUSTER="a b"
for broker in $CLUSTER; do
    start_cluster_broker "$broker"
    start_cluster_worker "$broker" "$broker-1" --work-us 1000
    start_cluster_worker "$broker" "$broker-2" --work-us 1000
done
cluster_stress load --rate 200 --clients 4 --duration 5s --timeout-ms 300 --retries 8
stress=$LAST_PID
wait_for 5 eval "cluster_broker_routed a && cluster_broker_routed b" \
    || fail "the load did not reach both brokers"
sleep 1
step "SIGTERM broker b"
stop "${CB_PID[b]}" TERM 5
termed_us=$(now_us)
wait_exit "$stress" 30 || fail "zlb-stress still running"
J=$T_DIR/load.json
step "$(jq -c '{sent,ok,errors,timeouts,lost,retries,duplicates,per_broker}' "$J")"
jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0 and .errors == 0' "$J" >/dev/null \
    || fail "requests failed when broker b stopped"
step "broker b suspect $(first_after "$termed_us" "broker_suspect " "$T_DIR/load.log") ms" \
     "after its SIGTERM; slowest failed-over request:" \
     "$(stress_max_failover_ms "$T_DIR/load.log") ms"
pass
