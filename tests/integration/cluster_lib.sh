# cluster_lib.sh - several brokers in one test (issue 15, client side);
# source it after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/cluster_lib.sh"
#
# Each broker has a NAME: its endpoint is ipc://T_DIR/NAME.ipc (in CB_EP),
# its log T_DIR/broker-NAME-N.log for its Nth start (CB_LOG: the current
# one), its PID in CB_PID. Workers talk to one broker each
# (start_cluster_worker) or to every broker in CLUSTER (start_shared_worker).

declare -A CB_EP CB_LOG CB_PID CB_STARTS

# start_cluster_broker NAME [ARGS...]: start (or restart) broker NAME on
# its endpoint; ready when its socket exists.
start_cluster_broker () {
    local name=$1
    shift
    CB_STARTS[$name]=$(( ${CB_STARTS[$name]:-0} + 1 ))
    CB_EP[$name]="ipc://$T_DIR/$name.ipc"
    CB_LOG[$name]="$T_DIR/broker-$name-${CB_STARTS[$name]}.log"
    rm -f "$T_DIR/$name.ipc"
    spawn "broker-$name-${CB_STARTS[$name]}" "${WRAP[@]}" "$ZLB_BIN/zlb-broker" \
        --bind "${CB_EP[$name]}" "${HB[@]}" --log "${CB_LOG[$name]}" --log-level debug "$@"
    CB_PID[$name]=$LAST_PID
    wait_for 5 test -S "$T_DIR/$name.ipc" || fail "broker $name did not bind ${CB_EP[$name]}"
    alive "${CB_PID[$name]}" || fail "broker $name exited at start"
}

# cluster_broker_saw_worker NAME ID: the current broker NAME has ID registered.
cluster_broker_saw_worker () {
    grep -Eq -- "worker_join .*worker=$2#" "${CB_LOG[$1]}" 2>/dev/null
}

# cluster_broker_routed NAME [N]: the current broker NAME handed N (default
# 1) requests to its workers.
cluster_broker_routed () {
    [ "$(grep -c "request_routed " "${CB_LOG[$1]}" 2>/dev/null)" -ge "${2:-1}" ]
}

# start_cluster_worker BROKER ID [ARGS...]: an echo worker of broker BROKER.
start_cluster_worker () {
    local broker=$1 id=$2
    shift 2
    spawn "worker-$id" "${WRAP[@]}" "$ZLB_BIN/zlb-worker" --connect "${CB_EP[$broker]}" \
        --service echo --id "$id" "${HB[@]}" --log "$SERVER_LOG" --log-level "$LOG_LEVEL" "$@"
    wait_for 5 cluster_broker_saw_worker "$broker" "$id" \
        || fail "worker $id never registered with broker $broker"
}

# start_shared_worker ID [ARGS...]: an echo worker registered with every
# broker in CLUSTER (one --connect each); ready when each has it.
start_shared_worker () {
    local id=$1 broker connect=()
    shift
    for broker in $CLUSTER; do connect+=(--connect "${CB_EP[$broker]}"); done
    spawn "worker-$id" "${WRAP[@]}" "$ZLB_BIN/zlb-worker" "${connect[@]}" \
        --service echo --id "$id" "${HB[@]}" --log "$SERVER_LOG" --log-level "$LOG_LEVEL" "$@"
    for broker in $CLUSTER; do
        wait_for 5 cluster_broker_saw_worker "$broker" "$id" \
            || fail "worker $id never registered with broker $broker"
    done
}

# worker_served_after T_US ID: worker ID answered a request after T_US.
worker_served_after () {
    [ "$(first_after "$1" "worker\\[$2\\] request_served " "$SERVER_LOG")" != - ]
}

# cluster_stress NAME ARGS...: zlb-stress in the background over every
# broker named in CLUSTER (a list of names), its --timeout-ms scaled; a
# debug log in T_DIR/NAME.log (results and failovers), JSON in NAME.json.
cluster_stress () {
    local name=$1 broker connect=()
    shift
    for broker in $CLUSTER; do connect+=(--connect "${CB_EP[$broker]}"); done
    scaled_args "$@"
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-stress" "${connect[@]}" --threads 1 \
        --json "$T_DIR/$name.json" --log "$T_DIR/$name.log" --log-level debug "${SCALED[@]}"
}

# stress_max_failover_ms LOG: the longest round trip (ms) of the results that
# needed more than one attempt, or "-" when none did.
stress_max_failover_ms () {
    awk '/ result / && / attempts=/ {
            a = ""; r = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^attempts=/) a = substr($i, 10) + 0
                if ($i ~ /^rtt_us=/) r = substr($i, 8) + 0
            }
            if (a > 1) { n++; if (r > max) max = r }
         }
         END { if (n) printf "%.0f (%d requests)\n", max / 1000, n; else print "-" }' "$1"
}

# start_cluster_of_two: brokers a and b, two workers each (a-1, a-2, b-1,
# b-2: 1 ms of work); CLUSTER="a b".
start_cluster_of_two () {
    local broker
    CLUSTER="a b"
    for broker in $CLUSTER; do
        start_cluster_broker "$broker"
        start_cluster_worker "$broker" "$broker-1" --work-us 1000
        start_cluster_worker "$broker" "$broker-2" --work-us 1000
    done
}

# cluster_load_start: zlb-stress "load" at a constant rate over the
# cluster (--timeout-ms 500, --retries 8) for DURATION; waits until every
# broker carries requests. PID in LOAD_PID.
cluster_load_start () {
    local broker
    cluster_stress load --rate 200 --clients 4 --duration "$1" --timeout-ms 500 --retries 8
    LOAD_PID=$LAST_PID
    for broker in $CLUSTER; do
        wait_for 5 cluster_broker_routed "$broker" \
            || fail "the load did not reach broker $broker"
    done
}

# cluster_broker_fault NAME SIGNAL: send broker NAME SIGNAL while the load
# runs; return once it has exited and the load's clients have marked it
# suspect. The time of the signal (µs) in FAULT_US.
cluster_broker_fault () {
    kill -"$2" "${CB_PID[$1]}"
    FAULT_US=$(now_us)
    wait_exit "${CB_PID[$1]}" 5 2>/dev/null || fail "broker $1 did not stop on SIG$2"
    load_saw_suspect () { grep -q "broker_suspect " "$T_DIR/load.log" 2>/dev/null; }
    wait_for 10 load_saw_suspect || fail "the clients never marked broker $1 suspect"
}

# cluster_load_check WHAT: wait for the load to end, print its counts, and
# fail unless nothing was lost, timed out, failed or mismatched.
cluster_load_check () {
    wait_exit "$LOAD_PID" 30 || fail "zlb-stress still running"
    local json=$T_DIR/load.json
    step "$(jq -c '{sent,ok,errors,timeouts,lost,retries,duplicates,per_broker}' "$json")"
    jq -e '.lost == 0 and .timeouts == 0 and .mismatched == 0 and .errors == 0' "$json" \
        >/dev/null || fail "requests failed $1"
}

# shared_workers_scenario SIGNAL: the brokers of CLUSTER (the first is the
# victim), three echo workers registered with all of them, a constant load
# over all. The victim gets SIGNAL mid-run and is started again on its
# endpoint once the clients have marked it suspect. Fails unless nothing
# was lost, timed out, failed or mismatched, every worker served after the
# fault, and the restarted broker got every worker back and carried
# traffic. Prints the measured times (not checked).
shared_workers_scenario () {
    local signal=$1 broker id
    local victim=${CLUSTER%% *}
    for broker in $CLUSTER; do start_cluster_broker "$broker"; done
    for id in w1 w2 w3; do start_shared_worker "$id" --work-us 1000; done
    step "brokers $CLUSTER; workers w1 w2 w3 registered with every one"
    cluster_load_start 10s
    wait_for 10 cluster_broker_routed "$victim" 100 || fail "broker $victim never carried the load"
    step "SIG$signal broker $victim; start it again once the clients found it gone"
    cluster_broker_fault "$victim" "$signal"
    local fault_us=$FAULT_US restarted_us
    restarted_us=$(now_us)
    start_cluster_broker "$victim"
    for id in w1 w2 w3; do
        wait_for 10 cluster_broker_saw_worker "$victim" "$id" \
            || fail "worker $id did not register again with broker $victim"
    done
    wait_for 10 cluster_broker_routed "$victim" || fail "the restarted broker got no traffic"
    for id in w1 w2 w3; do
        worker_served_after "$fault_us" "$id" || fail "worker $id stopped serving after the fault"
    done
    cluster_load_check "across broker $victim's SIG$signal and restart"
    local suspect back healthy
    suspect=$(first_after "$fault_us" "broker_suspect " "$T_DIR/load.log")
    back=$(first_after "$restarted_us" "worker_join " "${CB_LOG[$victim]}")
    healthy=$(first_after "$restarted_us" "broker_healthy " "$T_DIR/load.log")
    step "broker $victim suspect ${suspect} ms after SIG$signal; after its restart the first" \
         "worker was back in ${back} ms, clients sent to it again in ${healthy} ms; slowest" \
         "failed-over request: $(stress_max_failover_ms "$T_DIR/load.log") ms"
}
