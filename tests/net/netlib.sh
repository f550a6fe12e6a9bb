# shellcheck shell=bash
# netlib.sh - the harness of the zlb network tests. Source it first:
#
#     . "$(dirname "$0")/netlib.sh"
#
# It builds a small private network out of Linux network namespaces: one
# namespace per "host" (broker, w1, w2, w3, client), each with one veth
# link to a bridge that lives in a namespace of its own (the "switch").
# Every address (10.77.0.0/24) exists only inside these namespaces; there
# is no default route and nothing is connected to the machine's own
# network. Faults are made on the switch with nftables (bridge family):
# random frame loss on one host's port, or dropping everything between
# two hosts (a partition), or taking a switch port down (a pulled cable).
# `tc netem` is not available on our machines (../shared FACTS.md).
#
# The real programs run inside the hosts with `ip netns exec` and talk
# tcp:// to the broker host. On exit (normal, failure, INT or TERM, or the
# harness's own deadline) every process started is stopped by PID, every
# namespace deleted (which deletes its links), and the harness checks that
# nothing with this run's tag is left. A run that cannot build its network
# (not root, no `ip netns`, no nft) exits 77: ctest reports it as skipped
# with the reason. ZLB_NET_REQUIRED=1 turns such a skip into a failure.
#
# Names carry the tag "zn<PID of the test>", so parallel runs never collide
# and leftovers of a run that was SIGKILLed are recognised (and removed) by
# the next run. Environment: ZLB_BIN (ctest sets it), ZLB_KEEP=1 keeps the
# temp dir, ZLB_NET_LIMIT (seconds, default 100) the harness's deadline.

set -u

T_NAME=$(basename "$0" .sh)${T_SUFFIX:-}
T_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ZLB_BIN=${ZLB_BIN:-$T_HERE/../../build/bin}
SKIP_RC=77
TAG="zn$$"                     # prefix of every namespace and link we make
NET=10.77.0                    # the private /24 inside our namespaces
PORT=5555                      # the broker's port
BROKER_EP="tcp://$NET.1:$PORT"

declare -A H_ADDR=([broker]=$NET.1 [w1]=$NET.11 [w2]=$NET.12 [w3]=$NET.13 [client]=$NET.21)
declare -A H_PORT=()           # host -> its port name on the switch
N_MADE=()                      # namespaces we created, in order
T_PIDS=()                      # every PID we started
declare -A T_PID               # name -> PID
T_DIR=
LAST_PID=
EXIT_RC=

# Heartbeats for every program: a peer is dead after HB_MS x LIVENESS of
# silence. 5 x 200 ms rather than 3: TCP's minimum retransmission timeout
# is 200 ms and doubles, so a 300 ms cut can silence a link for ~800 ms.
HB_MS=${ZLB_NET_HB_MS:-200}
LIVENESS=${ZLB_NET_LIVENESS:-5}
EXPIRY_MS=$(( HB_MS * LIVENESS ))
HB=(--heartbeat-ms "$HB_MS" --liveness "$LIVENESS")

. "$(dirname "${BASH_SOURCE[0]}")/../proc.sh"
WAIT_POLL_S=0.02
T_START=$(now_us)

# ---------------------------------------------------------------------------
# Outcomes

skip () {
    echo "SKIPPED [$T_NAME]: $*"
    if [ "${ZLB_NET_REQUIRED:-0}" = 1 ]; then
        echo "FAIL [$T_NAME]: ZLB_NET_REQUIRED=1 but the network tests cannot run" >&2
        exit 1
    fi
    exit "$SKIP_RC"
}

# fail MESSAGE: tests/proc.sh; the per-request and heartbeat lines of these
# long runs would push everything else out of the tails.
FAIL_HIDE='heartbeat_|request_send'

# ---------------------------------------------------------------------------
# Processes (alive, wait_for, wait_exit: tests/proc.sh)

# on HOST COMMAND...: run COMMAND inside HOST's namespace.
on () {
    local host=$1
    shift
    ip netns exec "$TAG-$host" "$@"
}

# spawn_on HOST NAME COMMAND...: start COMMAND in HOST in the background,
# stdout/stderr to T_DIR/NAME.out/.err. `ip netns exec` execs the command,
# so the PID is the program's own.
spawn_on () {
    local host=$1 name=$2
    shift 2
    ip netns exec "$TAG-$host" "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
    LAST_PID=$!
    T_PIDS+=("$LAST_PID")
    T_PID[$name]=$LAST_PID
}

stop () {
    local pid=$1
    alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    wait_for 3 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# ---------------------------------------------------------------------------
# The network

# Remove namespaces left by runs that were SIGKILLed (their PID is gone).
s_reap_orphans () {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^zn[0-9]+-'); do
        pid=${ns#zn}
        pid=${pid%%-*}
        [ "$pid" = $$ ] && continue
        [ -d "/proc/$pid" ] && continue
        echo "[$T_NAME] removing namespace $ns left by dead run $pid" >&2
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns delete "$ns" 2>/dev/null
    done
}

# Can we build namespaces, veths, a bridge and nft rules here? Skip if not.
s_probe () {
    local out
    [ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces (uid $(id -u))"
    command -v ip >/dev/null 2>&1 || skip "no ip command (install iproute2)"
    command -v nft >/dev/null 2>&1 || skip "no nft command (install nftables)"
    command -v jq >/dev/null 2>&1 || skip "no jq (install jq)"
    out=$(ip netns add "$TAG-probe" 2>&1) || skip "ip netns add fails: $out"
    N_MADE+=("$TAG-probe")
    out=$(ip -n "$TAG-probe" link add "${TAG}pb" type bridge 2>&1) \
        || skip "cannot create a bridge in a namespace: $out"
    out=$(ip netns exec "$TAG-probe" nft add table bridge zlbprobe 2>&1) \
        || skip "nft does not work in a namespace: $out"
    ip netns delete "$TAG-probe"
    N_MADE=()
}

# net_up: the switch and the five hosts, each host linked to the switch.
net_up () {
    local host i=0 out
    s_probe
    N_MADE+=("$TAG-sw")
    out=$(ip netns add "$TAG-sw" 2>&1) || fail "ip netns add $TAG-sw: $out"
    ip -n "$TAG-sw" link add "${TAG}br" type bridge || fail "bridge"
    ip -n "$TAG-sw" link set "${TAG}br" up || fail "bridge up"
    #  A bridge-family table on the switch: faults are rules in its chain.
    ip netns exec "$TAG-sw" nft add table bridge zlb || fail "nft table"
    ip netns exec "$TAG-sw" nft add chain bridge zlb links \
        '{ type filter hook forward priority 0; policy accept; }' || fail "nft chain"
    for host in broker w1 w2 w3 client; do
        i=$(( i + 1 ))
        H_PORT[$host]="${TAG}p$i"
        N_MADE+=("$TAG-$host")
        out=$(ip netns add "$TAG-$host" 2>&1) || fail "ip netns add $TAG-$host: $out"
        #  Both ends are created directly inside their namespaces: nothing
        #  ever appears in the machine's own namespace.
        out=$(ip link add name "${TAG}e0" netns "$TAG-$host" type veth \
              peer name "${H_PORT[$host]}" netns "$TAG-sw" 2>&1) || fail "veth for $host: $out"
        ip -n "$TAG-sw" link set "${H_PORT[$host]}" master "${TAG}br" || fail "port $host"
        ip -n "$TAG-sw" link set "${H_PORT[$host]}" up || fail "port $host up"
        ip -n "$TAG-$host" link set lo up || fail "lo on $host"
        ip -n "$TAG-$host" addr add "${H_ADDR[$host]}/24" dev "${TAG}e0" || fail "addr on $host"
        ip -n "$TAG-$host" link set "${TAG}e0" up || fail "link up on $host"
    done
    wait_for 5 s_reachable || fail "the hosts cannot reach the broker host"
    step "network up: broker ${H_ADDR[broker]}, workers ${H_ADDR[w1]} ${H_ADDR[w2]} ${H_ADDR[w3]}, client ${H_ADDR[client]} (tag $TAG)"
}

# Every host can open a TCP connection to the broker host (bash /dev/tcp
# gets "connection refused" quickly when the host is reachable: good).
s_reachable () {
    local host
    for host in w1 w2 w3 client; do
        ip netns exec "$TAG-$host" timeout 1 bash -c \
            "exec 3<>/dev/tcp/${H_ADDR[broker]}/$PORT" 2>&1 | grep -q "refused" || return 1
    done
}

s_nft () { ip netns exec "$TAG-sw" nft "$@"; }

# net_loss HOST PCT: the link of HOST loses PCT % of frames in each direction.
net_loss () {
    local port=${H_PORT[$1]}
    s_nft add rule bridge zlb links iifname "$port" numgen random mod 100 lt "$2" drop \
        || fail "nft loss rule"
    s_nft add rule bridge zlb links oifname "$port" numgen random mod 100 lt "$2" drop \
        || fail "nft loss rule"
}

# net_cut HOST [PEER]: drop every frame between HOST and PEER (default:
# between HOST and everyone): a partition. The links stay up.
net_cut () {
    local port=${H_PORT[$1]}
    if [ $# -ge 2 ]; then
        local peer=${H_PORT[$2]}
        s_nft add rule bridge zlb links iifname "$port" oifname "$peer" drop || fail "nft cut"
        s_nft add rule bridge zlb links iifname "$peer" oifname "$port" drop || fail "nft cut"
    else
        s_nft add rule bridge zlb links iifname "$port" drop || fail "nft cut"
        s_nft add rule bridge zlb links oifname "$port" drop || fail "nft cut"
    fi
}

# net_heal: remove every fault rule.
net_heal () { s_nft flush chain bridge zlb links || fail "nft flush"; }

# net_port HOST up|down: the switch port of HOST (a pulled cable: the
# host's own link loses its carrier too).
net_port () { ip -n "$TAG-sw" link set "${H_PORT[$1]}" "$2" || fail "port $1 $2"; }

# ---------------------------------------------------------------------------
# Cleanup: processes by PID, then namespaces, then check nothing is left.

t_cleanup () {
    local rc=$? pid ns left
    trap - EXIT INT TERM
    if [ -n "${T_WATCHDOG:-}" ]; then
        pkill -P "$T_WATCHDOG" 2>/dev/null
        kill "$T_WATCHDOG" 2>/dev/null
    fi
    for pid in "${T_PIDS[@]}"; do
        alive "$pid" && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${T_PIDS[@]}"; do
        wait_for 3 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    for ns in "${N_MADE[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        ip netns delete "$ns" 2>/dev/null
    done
    left=$( { ip netns list 2>/dev/null; ip -o link show 2>/dev/null; } | grep -F "$TAG" )
    if [ -n "$left" ]; then
        echo "FAIL [$T_NAME]: left behind after cleanup:" >&2
        echo "$left" >&2
        rc=1
    fi
    if [ -n "$T_DIR" ]; then
        if [ "${ZLB_KEEP:-0}" = 1 ]; then
            echo "kept $T_DIR" >&2
        else
            rm -rf "$T_DIR"
        fi
    fi
    exit "$rc"
}
trap t_cleanup EXIT
trap 'echo "[$T_NAME] interrupted" >&2; exit 130' INT
trap 'echo "[$T_NAME] terminated" >&2; exit 143' TERM

# The harness's own deadline, below ctest's TIMEOUT (which would SIGKILL
# us and leave the namespaces behind): TERM ourselves, cleanup runs.
#  (Its fds go to /dev/null so it never holds ctest's output pipe open.)
( sleep "${ZLB_NET_LIMIT:-100}" && kill -TERM $$ ) >/dev/null 2>&1 &
T_WATCHDOG=$!

s_reap_orphans
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/zlb-net-$T_NAME.XXXXXX") || exit 1
cd "$T_DIR" || exit 1
BROKER_LOG="$T_DIR/broker.log"
WORKER_LOG="$T_DIR/worker.log"
STRESS_LOG="$T_DIR/stress.log"
STRESS_JSON="$T_DIR/stress.json"

# ---------------------------------------------------------------------------
# The zlb programs on the hosts

# start_broker [ARGS...]: on the broker host, bound to its address.
start_broker () {
    spawn_on broker broker "$ZLB_BIN/zlb-broker" --bind "$BROKER_EP" "${HB[@]}" \
        --log "$BROKER_LOG" --log-level debug "$@"
    BROKER_PID=$LAST_PID
    wait_for 5 grep -qs " bind " "$BROKER_LOG" || fail "broker did not bind $BROKER_EP"
    alive "$BROKER_PID" || fail "broker exited at start"
}

# start_worker HOST [ARGS...]: an echo worker with id HOST on host HOST.
start_worker () {
    local host=$1
    shift
    spawn_on "$host" "worker-$host" "$ZLB_BIN/zlb-worker" --connect "$BROKER_EP" \
        --service echo --id "$host" "${HB[@]}" --log "$WORKER_LOG" "$@"
    wait_for 5 broker_saw_join "$host" || fail "worker $host never registered"
}

# start_stress DURATION_S RATE [ARGS...]: zlb-stress on the client host at a
# constant rate, logging every result (at these rates that costs nothing).
start_stress () {
    local duration=$1 rate=$2
    shift 2
    spawn_on client stress "$ZLB_BIN/zlb-stress" --connect "$BROKER_EP" --rate "$rate" \
        --clients 4 --threads 1 --duration "${duration}s" --json "$STRESS_JSON" \
        --log "$STRESS_LOG" --log-level debug "$@"
    STRESS_PID=$LAST_PID
    wait_for 5 stress_results_after "$T_START" || fail "no stress result within 5 s"
}

# wait_stress LIMIT_S: stress must finish within LIMIT_S; then its JSON must
# say lost = timeouts = mismatched = 0 (and every request sent got ok).
wait_stress () {
    wait_exit "$STRESS_PID" "$1" || fail "zlb-stress still running after ${1}s"
    [ -s "$STRESS_JSON" ] || fail "zlb-stress wrote no JSON (exit $EXIT_RC)"
    step "stress: $(jq -c '{sent, ok, errors, lost, timeouts, mismatched, retries, duplicates, unknown_ids, per_worker}' "$STRESS_JSON")"
    local bad
    bad=$(jq -r '[.lost, .timeouts, .mismatched, .errors, .unknown_ids] | map(select(. != 0)) | length' "$STRESS_JSON")
    [ "$bad" = 0 ] || fail "stress lost/timed out/mismatched requests"
    [ "$(jq '.ok == .sent and .sent > 0' "$STRESS_JSON")" = true ] || fail "ok != sent"
    [ "$EXIT_RC" = 0 ] || fail "zlb-stress exit code $EXIT_RC"
}

sj () { jq -r "$1" "$STRESS_JSON"; }

# ---------------------------------------------------------------------------
# Reading the logs. Timestamps are UTC with microseconds; all namespaces
# share the machine's clock, so they compare with the harness's own.

# iso_us ISO: microseconds since the epoch.
iso_us () { date -u -d "$1" +%s%6N; }

# broker_events EVENT [WORKER]: how many times the broker logged EVENT.
broker_events () {
    if [ $# -ge 2 ]; then
        grep -Ec -- " $1 .*worker=$2#" "$BROKER_LOG" 2>/dev/null
    else
        grep -Ec -- " $1 " "$BROKER_LOG" 2>/dev/null
    fi
}
broker_saw_join () { [ "$(broker_events worker_join "$1")" -gt 0 ]; }

# us_iso US: the log timestamp format (UTC, microseconds) of epoch US; such
# timestamps compare as strings.
us_iso () { date -u -d "@${1:0:-6}.${1: -6}" +%Y-%m-%dT%H:%M:%S.%6NZ; }

# first_after US FILE PATTERN: the time (epoch us) of the first line in FILE
# matching PATTERN logged at or after US; fails if there is none.
first_after () {
    local ts
    ts=$(grep -E -- "$3" "$2" 2>/dev/null | awk -v t="$(us_iso "$1")" '$1 >= t { print $1; exit }')
    [ -n "$ts" ] && iso_us "$ts"
}

# stress_results_after US: some stress result was logged at or after US.
stress_results_after () {
    local last
    last=$(grep -E " result " "$STRESS_LOG" 2>/dev/null | tail -n 1 | cut -d' ' -f1)
    [ -n "$last" ] && [[ ! "$last" < "$(us_iso "$1")" ]]
}

# ms_between US1 US2
ms_between () { echo $(( ($2 - $1) / 1000 )); }
