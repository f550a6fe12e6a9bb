#!/usr/bin/env bash
# bench/timing.sh - how fast zlb reacts, measured and reported, never
# asserted: the tests prove each behaviour by events (tests/integration:
# reliability_busy, no_worker, join_live, worker_freeze, worker_kill,
# ops_mmi_workers); this script times the same scenarios on this machine.
#
#   bench/timing.sh [--bin DIR] [--rounds N]
#
# Heartbeat 100 ms x liveness 3 (expiry 300 ms), like the tests. For each
# figure: the median and the worst of N rounds (default 5), in ms, beside
# what the design leads one to expect. Every process is stopped by its PID
# (the integration harness tests/integration/lib.sh starts and stops them).
set -u
ROUNDS=5
while [ $# -gt 0 ]; do
    case $1 in
        --bin) ZLB_BIN=$(cd "$2" && pwd) || exit 2; export ZLB_BIN; shift 2 ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        *) echo "usage: $0 [--bin DIR] [--rounds N]" >&2; exit 2 ;;
    esac
done
ZLB_BIN=${ZLB_BIN:-$(cd "$(dirname "$0")/../build/bin" && pwd)}
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tests/integration/lib.sh"
require_programs zlb-broker zlb-worker zlb-client
declare -A SAMPLES         # figure -> "ms ms ..."

record () { SAMPLES[$1]="${SAMPLES[$1]:-} $2"; }
ms_since () { echo $(( ($(now_us) - $1) / 1000 )); }
rtt_ms () { grep -E "^id=[0-9]+ status=$2 " "$1" | sed -E 's/.* rtt_us=([0-9]+).*/\1/' \
            | sort -n | head -n 1 | awk '{ printf "%d", $1 / 1000 }'; }

# One round of every scenario against a fresh broker.
round () {
    start_broker --request-timeout-ms 500 --max-queue 2
    run_client nw 30 --service none --count 3 --pipeline 3 --timeout-ms 30000 --retries 0
    record "busy answer (503, queue full)" "$(rtt_ms "$T_DIR/nw.out" 503)"
    record "no worker (504, deadline 500 ms)" "$(rtt_ms "$T_DIR/nw.out" 504)"

    start_worker "a$1" --work-us 20000
    start_client load --count 40 --pipeline 2 --timeout-ms 30000
    wait_for 10 eval "[ \$(client_served_by '$T_DIR/load.out' a$1) -ge 3 ]"
    start_worker "b$1"
    local joined=$(now_us)
    wait_for 10 eval "[ \$(client_served_by '$T_DIR/load.out' b$1) -ge 1 ]" \
        && record "join to first request served" "$(ms_since "$joined")"
    wait_exit "$LAST_PID" 30

    start_worker "f$1" --work-us 1000000
    start_client held --count 1 --timeout-ms 30000 --retries 0
    local held=$LAST_PID
    wait_for 10 worker_saw_request "f$1"
    local stopped=$(now_us)
    kill -STOP "${T_PID[worker-f$1]}"
    wait_for 10 broker_saw_expiry "f$1" && record "SIGSTOP to expiry (300 ms)" "$(ms_since "$stopped")"
    wait_exit "$held" 30 && record "SIGSTOP to redelivered reply" "$(ms_since "$stopped")"
    stop "${T_PID[worker-f$1]}"
    stop "$BROKER_PID"
    for pid in "${T_PID[worker-a$1]}" "${T_PID[worker-b$1]}"; do stop "$pid"; done
}

for r in $(seq "$ROUNDS"); do
    round "$r" >/dev/null
done
printf '%-36s %8s %8s  %s\n' "figure (ms)" median worst "rounds"
for figure in "busy answer (503, queue full)" "no worker (504, deadline 500 ms)" \
              "join to first request served" "SIGSTOP to expiry (300 ms)" \
              "SIGSTOP to redelivered reply"; do
    read -r -a v <<< "$(tr ' ' '\n' <<< "${SAMPLES[$figure]:-}" | grep . | sort -n | tr '\n' ' ')"
    [ ${#v[@]} -gt 0 ] || { printf '%-36s %8s\n' "$figure" "-"; continue; }
    printf '%-36s %8s %8s  %s\n' "$figure" "${v[$(( ${#v[@]} / 2 ))]}" "${v[-1]}" "${#v[@]}"
done
