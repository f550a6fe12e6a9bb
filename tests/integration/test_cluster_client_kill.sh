#!/usr/bin/env bash
# Two brokers, two workers each; zlb-stress spreads a constant rate over
# both (--connect A --connect B). Broker A is killed (SIGKILL) mid-run and
# started again on the same endpoint once the clients have marked it
# suspect: requests on A time out and are resent to B with the same ids,
# A is avoided while down and probed, and carries traffic again once its
# workers are back. Nothing is
# lost, nothing times out or fails. Prints the measured failover times
# (not checked).  Needs jq.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

start_cluster_of_two
step "brokers on ${CB_EP[a]} and ${CB_EP[b]}"
cluster_load_start 10s
wait_for 10 cluster_broker_routed a 100 || fail "broker a never carried the load"
step "SIGKILL broker a; restart it once the clients have found it dead"
cluster_broker_fault a KILL
killed_us=$FAULT_US
restarted_us=$(now_us)                  # (before: it may be back within a poll)
start_cluster_broker a
for id in a-1 a-2; do
    wait_for 10 cluster_broker_saw_worker a "$id" || fail "worker $id did not register again"
done
wait_for 10 cluster_broker_routed a || fail "the restarted broker a got no traffic"
cluster_load_check "across the broker's death"
jq -e '.per_broker | length == 2 and all (.[]; .replies > 0)' "$T_DIR/load.json" >/dev/null \
    || fail "per_broker counts missing"
suspect=$(first_after "$killed_us" "broker_suspect " "$T_DIR/load.log")
healthy=$(first_after "$restarted_us" "broker_healthy " "$T_DIR/load.log")
step "broker a suspect ${suspect} ms after the kill; healthy again ${healthy} ms after" \
     "the restart; slowest failed-over request: $(stress_max_failover_ms "$T_DIR/load.log") ms"
[ "$healthy" != - ] || fail "the clients never marked broker a healthy again"
pass
