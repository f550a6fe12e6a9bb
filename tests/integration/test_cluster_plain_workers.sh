#!/usr/bin/env bash
# Plain MDP 0.1 workers in a cluster. Two brokers; on each, a plain worker
# (raw_worker: raw czmq frames, no credit frame, one request at a time) that
# knows only that broker, and one zlb-worker registered with both. zlb-stress
# runs over both brokers at a constant rate; broker a is killed (SIGKILL)
# and started again, and a new plain worker joins it. Nothing is lost,
# timed out, failed or mismatched; the plain workers served requests before
# and after the fault and are still running; neither broker ever sent a
# plain worker a frame MDP 0.1 does not have (no credit frame on a
# HEARTBEAT: raw_worker reports any it sees).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-stress raw_worker
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

# start_plain_worker BROKER ID: a plain MDP echo worker on BROKER only.
start_plain_worker () {
    spawn "plain-$2" "$ZLB_BIN/raw_worker" "${CB_EP[$1]}" echo --id "$2" --reply echo "${HB[@]}"
    plain_joined () { grep -q "worker_join worker=$2 " "${CB_LOG[$1]}" 2>/dev/null; }
    wait_for 5 plain_joined "$1" "$2" || fail "plain worker $2 never registered with broker $1"
}
plain_served () { [ "$(grep -c "^request " "$T_DIR/plain-$1.out" 2>/dev/null)" -ge "${2:-1}" ]; }

CLUSTER="a b"
for broker in $CLUSTER; do start_cluster_broker "$broker"; done
start_plain_worker a pa
start_plain_worker b pb
start_shared_worker w1 --work-us 1000
step "brokers a b; plain workers pa (a) and pb (b); zlb-worker w1 on both"

cluster_load_start 8s
wait_for 10 plain_served pa 20 || fail "plain worker pa served nothing"
wait_for 10 plain_served pb 20 || fail "plain worker pb served nothing"

step "SIGKILL broker a; start it again with a new plain worker pa2"
pb_before=$(grep -c "^request " "$T_DIR/plain-pb.out")
cluster_broker_fault a KILL
start_cluster_broker a
start_plain_worker a pa2
wait_for 10 cluster_broker_saw_worker a w1 || fail "w1 did not register again with broker a"
wait_for 10 plain_served pa2 || fail "the new plain worker on the restarted broker served nothing"
wait_for 10 plain_served pb $((pb_before + 20)) || fail "plain worker pb stopped serving after the fault"

cluster_load_check "with plain workers across broker a's SIGKILL and restart"
alive "${T_PID[plain-pb]}" || fail "plain worker pb exited: its broker sent it something it rejects"
alive "${T_PID[plain-pa2]}" || fail "plain worker pa2 exited"
! grep -q "malformed\|unexpected" "$T_DIR"/plain-*.out || fail "a plain worker saw a frame it does not know"
step "served: pa $(grep -c '^request ' "$T_DIR/plain-pa.out"), pb $(grep -c '^request ' "$T_DIR/plain-pb.out"), pa2 $(grep -c '^request ' "$T_DIR/plain-pa2.out")"
pass
