#!/usr/bin/env bash
#  The demo: install dependencies, build, then run a broker, three workers,
#  a batch of client requests and a short stress run, scale the workers up
#  and down live, and show the logs. Everything it writes goes to ./demo/.
#
#  Environment: ZLB_DEMO_PORT (default 5555), ZLB_DEMO_SECONDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

bin=$PWD/build/bin
port=${ZLB_DEMO_PORT:-5555}
seconds=${ZLB_DEMO_SECONDS:-5}
endpoint=tcp://127.0.0.1:$port
mkdir -p demo && cd demo
rm -f broker_log.log server_log.log client_log.log stress_log.log heartbeat_log.log

pids=()          # the broker first, then its workers
# Workers first (each finishes its request and sends DISCONNECT, so the
# broker logs their leave lines), the broker last.
cleanup () {
    local index
    for ((index = ${#pids[@]} - 1; index >= 1; index--)); do
        kill -TERM "${pids[index]}" 2>/dev/null || true
    done
    for ((index = ${#pids[@]} - 1; index >= 1; index--)); do
        wait "${pids[index]}" 2>/dev/null || true
    done
    if [ ${#pids[@]} -gt 0 ]; then
        sleep 0.2      # the last DISCONNECTs reach the broker
        kill -TERM "${pids[0]}" 2>/dev/null || true
        wait "${pids[0]}" 2>/dev/null || true
    fi
    pids=()
}
trap cleanup EXIT INT TERM

step () { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "broker on $endpoint (log: demo/broker_log.log at info level)"
"$bin/zlb-broker" --bind "$endpoint" --log broker_log.log &
pids+=($!)
sleep 0.3
kill -0 "${pids[0]}" 2>/dev/null || { echo "broker failed to start (is port $port in use? set ZLB_DEMO_PORT)"; exit 1; }

step "three workers (log: demo/server_log.log, shared)"
for n in 1 2 3; do
    "$bin/zlb-worker" --connect "$endpoint" --id "worker-$n" --work-us 200 &
    pids+=($!)
done
sleep 0.5

step "zlb-client: three messages (log: demo/client_log.log)"
"$bin/zlb-client" --connect "$endpoint" hello zeromq "load balancing"

step "zlb-stress: 32 clients for ${seconds}s"
"$bin/zlb-stress" --connect "$endpoint" --clients 32 --duration "${seconds}s" \
    --json stress.json --report stress.svg --csv stress.csv --log stress_log.log

step "scale up live: worker-4 joins"
"$bin/zlb-worker" --connect "$endpoint" --id worker-4 &
pids+=($!)
sleep 0.5
step "scale down live: worker-2 drains on SIGTERM"
kill -TERM "${pids[2]}"
wait "${pids[2]}" || true
"$bin/zlb-client" --connect "$endpoint" --count 8 --quiet && echo "8 requests after scaling: all ok"

step "zlb-ctl status: what the broker sees now (mmi.stats, mmi.services, mmi.workers)"
"$bin/zlb-ctl" --connect "$endpoint" status
"$bin/zlb-ctl" --connect "$endpoint" workers

step "stop the workers, then the broker: broker_log.log has their joins and leaves"
cleanup
grep -E "worker_(join|leave|expired)|request_redeliver|broker_start|summary" broker_log.log | head -16 || true

step "heartbeats are logged at debug level: a 1 s run of a second broker (demo/heartbeat_log.log)"
hb_endpoint=tcp://127.0.0.1:$((port + 1))
"$bin/zlb-broker" --bind "$hb_endpoint" --log heartbeat_log.log --log-level debug \
    --heartbeat-ms 250 2>/dev/null &
pids+=($!)
sleep 0.2
"$bin/zlb-worker" --connect "$hb_endpoint" --id hb-worker --heartbeat-ms 250 \
    --log heartbeat_log.log --log-level debug 2>/dev/null &
pids+=($!)
sleep 1
cleanup
grep -E "heartbeat_(send|recv|sent|received)" heartbeat_log.log | head -6 || true
step "server_log.log (last lines)"
tail -n 5 server_log.log
step "client_log.log (last lines)"
tail -n 5 client_log.log
step "reports"
echo "  stress summary:  demo/stress.json"
echo "  stress picture:  demo/stress.svg"
echo "  per-second csv:  demo/stress.csv"
echo "  logs:            demo/broker_log.log demo/server_log.log demo/client_log.log"
echo "                   demo/heartbeat_log.log (the debug-level run)"
