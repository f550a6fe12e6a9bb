#!/usr/bin/env bash
# 2 brokers, three workers registered with every broker (zlb-worker
# --connect per broker), zlb-stress over all 2 at a constant rate. The first
# broker is killed (SIGKILL) mid-run and started again: its in-flight
# requests are resent to the others with the same ids, the workers keep
# serving the others meanwhile and register again with it when it is back,
# and it carries traffic again. Nothing lost, timed out, failed or
# mismatched. Needs jq. (The scenario: cluster_lib.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

CLUSTER="a b"
shared_workers_scenario KILL
pass
