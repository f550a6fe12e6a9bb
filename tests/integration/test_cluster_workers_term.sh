#!/usr/bin/env bash
# Three brokers, three workers registered with all of them, zlb-stress over
# all three. The first broker is stopped with SIGTERM mid-run (as systemd
# or Kubernetes stop it) and started again: the clients move off it with no
# error, the workers serve the other two meanwhile and register again.
# Then one worker is stopped with SIGTERM: it exits 0 after telling every
# broker it is leaving (DISCONNECT: worker_leave reason=disconnect in each
# broker's log). Needs jq. (The scenario: cluster_lib.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

CLUSTER="a b c"
shared_workers_scenario TERM
step "SIGTERM worker w3: DISCONNECT to every broker, exit 0"
kill -TERM "${T_PID[worker-w3]}"
wait_exit "${T_PID[worker-w3]}" 10 || fail "worker w3 did not exit on SIGTERM"
[ "$EXIT_RC" -eq 0 ] || fail "worker w3 exited $EXIT_RC on SIGTERM"
left () { grep -Eq "worker_leave worker=w3#[^ ]* .*reason=disconnect" "${CB_LOG[$1]}"; }
for broker in $CLUSTER; do
    wait_for 5 left "$broker" || fail "broker $broker never heard worker w3 leave"
done
pass
