#!/usr/bin/env bash
# Two brokers, two workers each, zlb-stress over both; broker b is stopped
# with SIGTERM mid-run and not restarted: the clients move every request
# to broker a with no error, no timeout and nothing lost.  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_cluster_of_two
cluster_load_start 5s
wait_for 10 cluster_broker_routed b 100 || fail "broker b never carried the load"
step "SIGTERM broker b"
stop "${CB_PID[b]}" TERM 5
termed_us=$(now_us)
cluster_load_check "when broker b stopped"
step "broker b suspect $(first_after "$termed_us" "broker_suspect " "$T_DIR/load.log") ms" \
     "after its SIGTERM; slowest failed-over request:" \
     "$(stress_max_failover_ms "$T_DIR/load.log") ms"
pass
