#!/usr/bin/env bash
# bench/callgrind.sh - instructions the broker executes per routed request,
# counted by valgrind --tool=callgrind (independent of machine noise).
#
#   bench/callgrind.sh [--bin DIR] [--out DIR] [--credit N] [--workers N]
#                      [--small N] [--large N] [--size B] [--curve]
#
# Runs zlb-broker under callgrind twice, once routing --small requests and
# once --large (zlb-stress --requests, 8 clients, echo workers), and
# reports (Ir(large) - Ir(small)) / (large - small): the marginal cost of
# one request (client request in, worker request out, worker reply in,
# client reply out), with start-up, idle heartbeats and shutdown cancelled
# out. Also writes the top functions of the large run (inclusive and self).
# --curve: every peer speaks CURVE (keys from zlb-keygen, allow-lists for
# clients and workers), as in bench/curve.sh.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$HERE/../build/bin
OUT=$PWD/callgrind-out
CREDIT=1
WORKERS=4
SMALL=2000
LARGE=12000
SIZE=64
CURVE=0
while [ $# -gt 0 ]; do
    case $1 in
        --bin)     BIN=$2; shift 2 ;;
        --out)     OUT=$2; shift 2 ;;
        --credit)  CREDIT=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --small)   SMALL=$2; shift 2 ;;
        --large)   LARGE=$2; shift 2 ;;
        --size)    SIZE=$2; shift 2 ;;
        --curve)   CURVE=1; shift ;;
        *) echo "usage: $0 [--bin DIR] [--out DIR] [--credit N] [--workers N] [--small N] [--large N] [--size B] [--curve]" >&2; exit 2 ;;
    esac
done
BIN=$(cd "$BIN" && pwd) || exit 2
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is needed" >&2; exit 2; }
mkdir -p "$OUT" || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-callgrind.XXXXXX") || exit 2
PIDS=()
stop_pid () {
    local pid=$1 i=0
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
cleanup () { local pid; for pid in "${PIDS[@]}"; do stop_pid "$pid"; done; rm -rf "$TMP"; }
trap cleanup EXIT
BROKER_CURVE=() WORKER_CURVE=() CLIENT_CURVE=()
if [ "$CURVE" = 1 ]; then
    (cd "$TMP" && mkdir clients workers \
        && "$BIN/zlb-keygen" -q broker && "$BIN/zlb-keygen" -q worker && "$BIN/zlb-keygen" -q client \
        && cp client clients/ && cp worker workers/) || { echo "callgrind.sh: zlb-keygen failed" >&2; exit 2; }
    BROKER_CURVE=(--curve-secret "$TMP/broker_secret" --allow-clients "$TMP/clients"
                  --allow-workers "$TMP/workers")
    WORKER_CURVE=(--broker-key "$TMP/broker" --curve-secret "$TMP/worker_secret")
    CLIENT_CURVE=(--broker-key "$TMP/broker" --curve-secret "$TMP/client_secret")
fi

# measure N: total Ir of a broker run that routes N requests.
measure () {
    local n=$1 ep="ipc://$TMP/broker-$1.ipc" i broker
    rm -f "$TMP/broker.log"
    valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$n.out" \
        "$BIN/zlb-broker" --bind "$ep" --log "$TMP/broker.log" --log-level info \
        "${BROKER_CURVE[@]}" \
        2>"$TMP/valgrind-$n.err" &
    broker=$!
    for i in $(seq 1 "$WORKERS"); do
        "$BIN/zlb-worker" --connect "$ep" --id "w$i" --credit "$CREDIT" \
            --log "$TMP/server.log" --log-level warning "${WORKER_CURVE[@]}" &
        PIDS+=("$!")
    done
    for i in $(seq 1 100); do
        [ "$(cat "$TMP/broker.log" 2>/dev/null | grep -c worker_join)" -ge "$WORKERS" ] && break
        sleep 0.1
    done
    "$BIN/zlb-stress" --connect "$ep" --clients 8 --threads 1 --requests "$n" --size "$SIZE" \
        --timeout-ms 20000 --retries 0 "${CLIENT_CURVE[@]}" --json "$TMP/stress-$n.json" >/dev/null 2>&1
    stop_pid "$broker"
    for i in "${PIDS[@]}"; do stop_pid "$i"; done
    PIDS=()
    routed=$(grep -o 'routed=[0-9]*' "$TMP/broker.log" | tail -n 1 | cut -d= -f2)
    ir=$(grep -E '^(summary|totals):' "$OUT/callgrind.$n.out" | tail -n 1 | awk '{print $2}')
    echo "$n $routed $ir"
}

read -r n1 routed1 ir1 < <(measure "$SMALL")
read -r n2 routed2 ir2 < <(measure "$LARGE")
per=$(( (ir2 - ir1) / (routed2 - routed1) ))
echo "credit=$CREDIT workers=$WORKERS size=$SIZE curve=$CURVE"
echo "run small: $routed1 routed, $ir1 Ir"
echo "run large: $routed2 routed, $ir2 Ir"
echo "instructions per routed request: $per"
callgrind_annotate --inclusive=yes "$OUT/callgrind.$LARGE.out" 2>/dev/null | head -n 45 > "$OUT/inclusive.txt"
callgrind_annotate "$OUT/callgrind.$LARGE.out" 2>/dev/null | head -n 45 > "$OUT/self.txt"
echo "top functions: $OUT/inclusive.txt, $OUT/self.txt"
