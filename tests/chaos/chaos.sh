#!/usr/bin/env bash
# chaos.sh - the chaos scenario (issue 4). Run it through tests/chaos/run.
#
# A broker and several echo workers (some slow, so that faults hit requests
# in flight) on tcp://127.0.0.1, with 100 ms x 3 heartbeats, serve zlb-stress
# at a fixed --rate for --duration seconds. Meanwhile a schedule made up
# front from --seed (so the same seed gives the same faults, in the same
# order, at the same offsets) does, every 1.2-2.4 s:
#   kill     SIGKILL a worker, waiting (<= 0.4 s) until it holds a request
#   term     SIGTERM a worker (it must finish its request and exit 0)
#   spawn    start a new worker (random --work-us)
#   freeze   SIGSTOP a busy worker for 0.8-1.4 s (expiry is 0.3 s), then
#            SIGCONT: it must register again (exactly once in the schedule)
#   restart  SIGKILL the broker and start it again on the same endpoint
#            after 0.1-0.5 s (exactly once, in the second half)
# The schedule keeps at least MIN_LIVE unfrozen workers registered, so the
# service is never without workers except during the broker restart, which
# is far shorter than the clients' retry budget ((retries+1) x timeout).
#
# Pass: zlb-stress's JSON has lost = 0, timeouts = 0, mismatched = 0 and
# unknown_ids = 0; the broker never crashed (only our SIGKILL); every
# SIGTERMed worker exited 0; the frozen worker registered again. Printed:
# redelivered (broker logs), retried and duplicates (zlb-stress), errors by
# status, and per fault the detection time (the broker logged the worker
# gone), the redelivery time, and the recovery time = first ok reply in
# zlb-stress's debug log after the fault (for the restart the meaningful
# one; for a worker fault other workers keep answering, so there it is
# the redelivery of the request the worker held that shows the recovery).
#
# --brokers N (N > 1): the same across a cluster (docs/cluster.md), which
# must behave like one broker that cannot die. N brokers on tcp://127.0.0.1,
# every worker registered with all of them (--connect each), zlb-stress
# spreading over all of them; the restart becomes
#   broker-kill  SIGKILL broker bK (chosen by the seed) and start it again
#                on the same endpoint after 0.1-0.5 s; 2-3 times (fewer if
#                the run has no room), never in adjacent slots, and one at
#                a time (never two brokers down at once)
# Pass as above, plus: every restarted broker got workers back, and at the
# end every live worker is registered with every broker.
#
# Options: --seed N (default 1), --duration S (30), --rate R (200),
# --long (300 s at 500 req/s), --clients N (8), --brokers N (1),
# --print-schedule (print the schedule the seed makes, and exit).
# ZLB_KEEP=1 keeps the temp dir with every log; the summary goes to stdout
# and summary.txt.
. "$(dirname "$0")/../integration/lib.sh"
. "$T_HERE/reliability_lib.sh"          # (lib.sh has cd'd to T_DIR: its own dir)
require_programs zlb-broker zlb-worker zlb-stress
command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"

SEED=1
DURATION=30
RATE=200
CLIENTS=8
BROKERS=1
PRINT_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seed)     SEED=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --rate)     RATE=$2; shift 2 ;;
        --clients)  CLIENTS=$2; shift 2 ;;
        --brokers)  BROKERS=$2; shift 2 ;;
        --long)     DURATION=300; RATE=500; shift ;;
        --print-schedule) PRINT_ONLY=1; shift ;;
        -h|--help)  sed -n '2,/^\. /p' "$T_HERE/../chaos/chaos.sh" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
        *)          fail "unknown option $1 (see --help)" ;;
    esac
done
[[ "$SEED" =~ ^[0-9]+$ && "$DURATION" =~ ^[0-9]+$ && "$RATE" =~ ^[0-9]+$ ]] \
    || fail "--seed, --duration and --rate take whole numbers"
[ "$DURATION" -ge 10 ] || fail "--duration must be at least 10 s"
[[ "$BROKERS" =~ ^[0-9]+$ ]] && [ "$BROKERS" -ge 1 ] && [ "$BROKERS" -le 16 ] \
    || fail "--brokers takes 1-16 (the programs' --connect limit)"

TIMEOUT_MS=500         # per attempt; a restart costs the requests in the old broker one attempt
RETRIES=8              # budget (8+1) x 0.5 s = 4.5 s, far above the restart gap (< 0.6 s)
MIN_LIVE=2             # unfrozen workers the schedule always keeps
MAX_LIVE=7
WORK_CHOICES=(0 2000 20000 50000)     # --work-us of spawned workers
KIND_W=$([ "$BROKERS" = 1 ] && echo 8 || echo 11)   # width of the fault column (broker-kill)
SUMMARY=$T_DIR/summary.txt
EVENTS=$T_DIR/events.tsv              # index, kind, target, t_us, note

say () { echo "$*" | tee -a "$SUMMARY"; }

# ---------------------------------------------------------------------------
# Workers: name -> --work-us; the live list as the schedule sees it.

declare -A WORK        # name -> work-us
declare -A STATE       # name -> live | frozen | killed | termed
NEXT_WORKER=1

# new_worker WORK_US: plan a worker; its name in NEW_NAME (no subshell,
# so that the counter and tables stay in this shell).
new_worker () {
    NEW_NAME="w$NEXT_WORKER"
    NEXT_WORKER=$((NEXT_WORKER + 1))
    WORK[$NEW_NAME]=$1
    STATE[$NEW_NAME]=planned
}

# busy NAME: some broker's last word about NAME is a request routed to it.
worker_busy () {
    local i
    for (( i = 1; i <= BROKERS; i++ )); do
        grep -E "(request_routed|reply) .*worker=$1#" "${B_LOG[$i]}" 2>/dev/null | tail -n 1 \
            | grep -q request_routed && return 0
    done
    return 1
}

# ---------------------------------------------------------------------------
# Brokers 1..BROKERS: endpoint, PID, current log and its number (broker-N.log
# counts every start, reliability_lib.sh). ENDPOINT, BROKER_PID and
# BROKER_LOG, which lib.sh and reliability_lib.sh use, are broker 1's.

declare -A B_EP B_PID B_LOG B_NUM
declare -A RESTART_LOG  # event number -> log of the broker it started
keep_broker () {
    B_EP[$1]=$ENDPOINT; B_PID[$1]=$BROKER_PID; B_LOG[$1]=$BROKER_LOG; B_NUM[$1]=$BROKER_N
}
use_broker () { ENDPOINT=${B_EP[$1]}; BROKER_PID=${B_PID[$1]}; BROKER_LOG=${B_LOG[$1]}; }

# ---------------------------------------------------------------------------
# The schedule, made up front from the seed. Each line: offset_ms kind target arg

make_schedule () {
    RANDOM=$SEED
    local -a live=() slow=()
    local name n t gap kind victim freeze_slot restart_slot slot=0 slots
    for n in 0 2000 20000 50000; do
        new_worker "$n"
        live+=("$NEW_NAME")
        INITIAL+=("$NEW_NAME")
    done
    #  Gaps are at most 2.4 s, so every slot fits in the run.
    slots=$(( (DURATION * 1000 - 5500) / 2400 ))
    [ "$slots" -ge 3 ] || slots=3
    freeze_slot=$(( RANDOM % ( (slots + 1) / 2 ) ))
    restart_slot=$(( slots / 2 + RANDOM % ( slots - slots / 2 ) ))
    [ "$restart_slot" -ne "$freeze_slot" ] || restart_slot=$((freeze_slot + 1))
    #  Several brokers: 2-3 broker kills instead, not on the freeze's slot
    #  and not next to each other (>= 2.4 s apart), so a restarted broker
    #  normally has its workers and the clients back before the next goes.
    local kill_slots=" " want tries=0
    if [ "$BROKERS" -gt 1 ]; then
        restart_slot=-1
        want=$(( 2 + RANDOM % 2 ))
        while [ "$want" -gt 0 ] && [ "$tries" -lt 100 ]; do
            tries=$((tries + 1))
            n=$(( 1 + RANDOM % (slots - 1) ))
            [ "$n" -ne "$freeze_slot" ] || continue
            [[ $kill_slots != *" $((n - 1)) "* && $kill_slots != *" $n "* \
            && $kill_slots != *" $((n + 1)) "* ]] || continue
            kill_slots+="$n "
            want=$((want - 1))
        done
    fi
    t=1500
    while [ "$slot" -lt "$slots" ] || [ "$freeze_slot" -ge "$slot" ] \
    ||    [ "$restart_slot" -ge "$slot" ]; do
        gap=$(( 1200 + RANDOM % 1200 ))
        if [[ $kill_slots == *" $slot "* ]]; then
            kind=broker-kill
            [ "$freeze_slot" -ne "$slot" ] || freeze_slot=$((slot + 1))
        elif [ "$slot" -eq "$freeze_slot" ]; then kind=freeze
        elif [ "$slot" -eq "$restart_slot" ]; then kind=restart
        else
            case $(( RANDOM % 6 )) in
                0|1|2) kind=kill ;;
                3)     kind=term ;;
                *)     kind=spawn ;;
            esac
        fi
        if [[ $kind == kill || $kind == term || $kind == freeze ]] && [ ${#live[@]} -le "$MIN_LIVE" ]; then
            #  a freeze is only put off to the next slot, never dropped
            if [ "$kind" = freeze ]; then
                freeze_slot=$((slot + 1))
                [ "$restart_slot" -ne "$freeze_slot" ] || restart_slot=$((restart_slot + 1))
            fi
            kind=spawn
        fi
        if [ "$kind" = spawn ] && [ ${#live[@]} -ge "$MAX_LIVE" ]; then
            kind=kill
        fi
        case $kind in
            kill|term|freeze)
                #  kills and freezes prefer slow workers: they hold requests longest
                slow=()
                for name in "${live[@]}"; do
                    [ "${WORK[$name]}" -ge 20000 ] && slow+=("$name")
                done
                if [ "$kind" != term ] && [ ${#slow[@]} -gt 0 ]; then
                    victim=${slow[RANDOM % ${#slow[@]}]}
                else
                    victim=${live[RANDOM % ${#live[@]}]}
                fi
                if [ "$kind" = freeze ]; then
                    n=$(( 800 + RANDOM % 600 ))
                    echo "$t freeze $victim $n"
                    echo "$((t + n)) thaw $victim 0"
                    [ "$gap" -gt $((n + 400)) ] || gap=$((n + 400))
                else
                    echo "$t $kind $victim 0"
                    local -a rest=()
                    for name in "${live[@]}"; do
                        [ "$name" != "$victim" ] && rest+=("$name")
                    done
                    live=("${rest[@]}")
                fi
                ;;
            spawn)
                n=${WORK_CHOICES[RANDOM % ${#WORK_CHOICES[@]}]}
                new_worker "$n"
                live+=("$NEW_NAME")
                echo "$t spawn $NEW_NAME $n"
                ;;
            restart)
                echo "$t restart broker $(( 100 + RANDOM % 400 ))"
                ;;
            broker-kill)
                echo "$t broker-kill b$(( 1 + RANDOM % BROKERS )) $(( 100 + RANDOM % 400 ))"
                ;;
        esac
        t=$((t + gap))
        slot=$((slot + 1))
    done
}

# ---------------------------------------------------------------------------
# Running it

# launch_worker NAME WORK_US: start_worker registers it with broker 1
# (ENDPOINT); with several brokers it connects to the others too.
launch_worker () {
    local name=$1 work=$2 i
    start_worker "$name" "${OTHER_CONNECT[@]}" --work-us "$work"
    for (( i = 2; i <= BROKERS; i++ )); do
        wait_for 5 grep -Eq -- "worker_join .*worker=$name#" "${B_LOG[$i]}" \
            || fail "worker $name never registered with broker $i"
    done
    STATE[$name]=live
}

# bounce_broker I DOWN_MS KIND TARGET: SIGKILL broker I, start it again on
# its endpoint DOWN_MS later; the event is recorded as KIND TARGET.
bounce_broker () {
    local i=$1
    mark
    kill -KILL "${B_PID[$i]}"
    record "$3" "$4" "down_ms=$2"
    wait_exit "${B_PID[$i]}" 2 2>/dev/null
    sleep "$(awk -v ms="$2" 'BEGIN { printf "%.3f", ms / 1000 }')"
    use_broker "$i"
    restart_tcp_broker
    keep_broker "$i"
    RESTART_LOG[$EVENT_N]=$BROKER_LOG
    use_broker 1
}

EVENT_N=0
# The time is taken (mark) just before the signal is sent: a woken worker
# can register again within a millisecond, before record itself runs.
mark () { T_EVENT=$(now_us); }
record () {             # kind target note
    EVENT_N=$((EVENT_N + 1))
    printf '%s\t%s\t%s\t%s\t%s\n' "$EVENT_N" "$1" "$2" "${T_EVENT:-$(now_us)}" "$3" >> "$EVENTS"
    T_EVENT=
}

do_event () {
    local kind=$1 target=$2 arg=$3 pid note
    pid=${T_PID[worker-$target]:-}
    case $kind in
        kill)
            wait_for 0.4 worker_busy "$target" && note=busy || note=idle
            mark
            kill -KILL "$pid"
            record kill "$target" "$note"
            wait_exit "$pid" 2 2>/dev/null    #  reap it quietly (no "Killed")
            STATE[$target]=killed
            ;;
        term)
            mark
            kill -TERM "$pid"
            record term "$target" "-"
            STATE[$target]=termed
            ;;
        freeze)
            wait_for 0.4 worker_busy "$target" && note=busy || note=idle
            mark
            kill -STOP "$pid"
            record freeze "$target" "$note,${arg}ms"
            STATE[$target]=frozen
            ;;
        thaw)
            mark
            kill -CONT "$pid"
            record thaw "$target" "-"
            STATE[$target]=live
            ;;
        spawn)
            mark
            record spawn "$target" "work_us=$arg"
            launch_worker "$target" "$arg"
            ;;
        restart)
            bounce_broker 1 "$arg" restart broker
            ;;
        broker-kill)
            bounce_broker "${target#b}" "$arg" broker-kill "$target"
            ;;
    esac
}

# ---------------------------------------------------------------------------

echo "seed=$SEED duration=${DURATION}s rate=$RATE clients=$CLIENTS timeout_ms=$TIMEOUT_MS" \
     "retries=$RETRIES heartbeat=${HB_MS}ms x $LIVENESS$([ "$BROKERS" = 1 ] || echo " brokers=$BROKERS")" \
     "dir=$T_DIR" > "$SUMMARY"
cat "$SUMMARY"
INITIAL=()
make_schedule > "$T_DIR/schedule.txt"
say "schedule (seed $SEED):"
awk -v w="$KIND_W" '{ printf "  +%6.1fs %-*s %-7s %s\n", $1 / 1000, w, $2, $3, ($4 != "0" ? $4 : "") }' \
    "$T_DIR/schedule.txt" | tee -a "$SUMMARY"
[ "$PRINT_ONLY" = 0 ] || exit 0

ALL_CONNECT=()
OTHER_CONNECT=()
for (( i = 1; i <= BROKERS; i++ )); do
    start_tcp_broker
    keep_broker "$i"
    ALL_CONNECT+=(--connect "$ENDPOINT")
    [ "$i" = 1 ] || OTHER_CONNECT+=(--connect "$ENDPOINT")
done
use_broker 1
if [ "$BROKERS" = 1 ]; then
    step "broker on $ENDPOINT"
else
    step "brokers on ${ALL_CONNECT[*]//--connect/}"
fi
for name in "${INITIAL[@]}"; do
    launch_worker "$name" "${WORK[$name]}"
done

STRESS_JSON=$T_DIR/stress.json
spawn stress "${WRAP[@]}" "$ZLB_BIN/zlb-stress" "${ALL_CONNECT[@]}" --rate "$RATE" \
    --clients "$CLIENTS" --threads 1 --duration "${DURATION}s" --timeout-ms "$TIMEOUT_MS" \
    --retries "$RETRIES" --json "$STRESS_JSON" --csv "$T_DIR/stress.csv" \
    --log "$T_DIR/stress.log" --log-level debug
STRESS_PID=$LAST_PID
START_US=$(now_us)
step "zlb-stress at $RATE req/s for ${DURATION}s"

while read -r t kind target arg; do
    due=$(( START_US + t * 1000 ))
    while [ "$(now_us)" -lt "$due" ]; do sleep 0.02; done
    alive "$STRESS_PID" || fail "zlb-stress ended before the schedule did"
    step "$kind $target $([ "$arg" != 0 ] && echo "$arg")"
    do_event "$kind" "$target" "$arg"
done < "$T_DIR/schedule.txt"

DRAIN_S=$(( (RETRIES + 1) * TIMEOUT_MS / 1000 + 2 ))
wait_exit "$STRESS_PID" $(( DURATION + DRAIN_S + 15 )) \
    || fail "zlb-stress still running $((DURATION + DRAIN_S + 15)) s after it started"
STRESS_RC=$EXIT_RC

# ---------------------------------------------------------------------------
# Checks

problems=()
for (( i = 1; i <= BROKERS; i++ )); do
    alive "${B_PID[$i]}" || problems+=("broker ${B_NUM[$i]} is not running at the end")
    stop "${B_PID[$i]}" TERM 5
    [ "$EXIT_RC" = 0 ] || problems+=("broker ${B_NUM[$i]} exit code $EXIT_RC on SIGTERM")
done
for name in "${!STATE[@]}"; do
    pid=${T_PID[worker-$name]:-}
    [ -n "$pid" ] || continue
    case ${STATE[$name]} in
        live)
            alive "$pid" || problems+=("worker $name died without being killed")
            ;;
        termed)
            wait_exit "$pid" 5 || problems+=("worker $name still running 5 s after SIGTERM")
            [ "${EXIT_RC:-x}" = 0 ] || problems+=("worker $name exit code $EXIT_RC after SIGTERM")
            ;;
    esac
done
[ -s "$STRESS_JSON" ] || fail "zlb-stress wrote no JSON (exit $STRESS_RC)"
read -r sent ok errors timeouts lost mismatched unknown retries duplicates unsent < <(jq -r \
    '[.sent,.ok,.errors,.timeouts,.lost,.mismatched,.unknown_ids,.retries,.duplicates,.unsent]
     | map(tostring) | join(" ")' "$STRESS_JSON")
[ "$lost" = 0 ] || problems+=("lost = $lost")
[ "$timeouts" = 0 ] || problems+=("timeouts = $timeouts")
[ "$mismatched" = 0 ] || problems+=("mismatched = $mismatched")
[ "$unknown" = 0 ] || problems+=("unknown_ids = $unknown")
[ "$sent" -gt 0 ] || problems+=("nothing sent")
BROKER_LOGS=("$T_DIR"/broker-*.log)
redelivered=$(cat "${BROKER_LOGS[@]}" | grep -c " request_redeliver ")
failed=$(cat "${BROKER_LOGS[@]}" | grep -c " request_failed ")
proto_late=$(cat "${BROKER_LOGS[@]}" | grep -c "REPLY from a worker holding no request")

say ""
say "zlb-stress: sent=$sent ok=$ok errors=$errors timeouts=$timeouts lost=$lost" \
    "mismatched=$mismatched unsent=$unsent (exit $STRESS_RC)"
say "           retried=$retries duplicates_dropped=$duplicates" \
    "errors_by_status=$(jq -c .errors_by_status "$STRESS_JSON")"
say "           rtt p50=$(jq .rtt_us.p50 "$STRESS_JSON")us p99=$(jq .rtt_us.p99 "$STRESS_JSON")us" \
    "max=$(jq .rtt_us.max "$STRESS_JSON")us"
say "broker:     redelivered=$redelivered failed_after_redeliveries=$failed" \
    "late_replies_dropped=$proto_late"

# Per fault: detection, redelivery, recovery (see the header).
say ""
# must_rejoin N TARGET: after thaw N, TARGET has to register again only if
# the broker dropped it while frozen, and no later kill or term ended it (a
# loaded machine can run the schedule late and squeeze a thaw and a kill
# together, or make a freeze shorter than the expiry).
must_rejoin () {
    cat "${BROKER_LOGS[@]}" 2>/dev/null | grep -Eq "worker_(expired|leave) .*worker=$2#" || return 1
    ! awk -F'\t' -v n="$1" -v t="$2" '$1 > n && $3 == t && ($2 == "kill" || $2 == "term")' \
        "$EVENTS" | grep -q .
}

say "$(printf "%-*s" "$KIND_W" fault)              when   held  detect_ms  redeliver_ms  first_ok_ms  note"
STRESS_LOG=$T_DIR/stress.log
OK_RE=" result .* status=200 match=1 "
HELD=0
while IFS=$'\t' read -r n kind target t_us note; do
    rel=$(awk -v a="$t_us" -v b="$START_US" 'BEGIN { printf "%+.1fs", (a - b) / 1e6 }')
    held=-; detect=-; redeliver=-; extra=
    case $kind in
        kill|term|freeze)
            #  held: did the broker count it busy when it removed it
            held=$(field_after "$t_us" "worker_leave .*worker=$target#" busy "${BROKER_LOGS[@]}")
            if [ "$BROKERS" -gt 1 ]; then      # it may hold a request from any of them
                for log in "${BROKER_LOGS[@]}"; do
                    [ "$(field_after "$t_us" "worker_leave .*worker=$target#" busy "$log")" != yes ] \
                        || held=yes
                done
            fi
            detect=$(first_after "$t_us" "(worker_leave|worker_expired) .*worker=$target#" "${BROKER_LOGS[@]}")
            redeliver=$(first_after "$t_us" "request_redeliver .*worker=$target#" "${BROKER_LOGS[@]}")
            ;;
        thaw)
            extra="registered again after $(first_after "$t_us" "worker_join .*worker=$target#" "${BROKER_LOGS[@]}") ms"
            ;;
        spawn)
            extra="registered after $(first_after "$t_us" "worker_join .*worker=$target#" "${BROKER_LOGS[@]}") ms"
            ;;
        restart)
            extra="$note; first worker back after $(first_after "$t_us" "worker_join " "${BROKER_LOGS[@]}") ms"
            ;;
        broker-kill)
            log=${RESTART_LOG[$n]}
            back=$(grep -E " worker_join " "$log" | grep -oE "worker=[^#]+#" | sort -u | wc -l)
            extra="$note; first worker back after $(first_after "$t_us" "worker_join " "$log") ms,"
            extra+=" $back registered with it in all (${log##*/})"
            ;;
    esac
    first_ok=$(first_after "$t_us" "$OK_RE" "$STRESS_LOG")
    printf -v line "%-*s %-6s %8s  %5s  %9s  %12s  %11s  %s" "$KIND_W" "$kind" "$target" "$rel" "$held" \
        "$detect" "$redeliver" "$first_ok" "$extra"
    say "$line"
    case $kind in
        thaw)
            [[ "$extra" != *"after - ms"* ]] || ! must_rejoin "$n" "$target" \
                || problems+=("$target did not register again after SIGCONT")
            ;;
        restart)
            [ "$first_ok" != - ] || problems+=("no ok reply after the broker restart")
            ;;
        broker-kill)
            [ "$first_ok" != - ] || problems+=("no ok reply after the kill of broker $target")
            [ "$back" -gt 0 ] || problems+=("broker $target got no worker back after its restart")
            ;;
        kill|freeze)
            [ "$held" != yes ] || [ "$redeliver" != - ] \
                || problems+=("$target held a request at its $kind, but it was not redelivered")
            [ "$held" = yes ] && HELD=$((HELD + 1))
            ;;
    esac
done < "$EVENTS"

say "faults that hit a request in flight: $HELD"
if [ "$BROKERS" -gt 1 ]; then
    #  Every worker still running is registered with every broker now.
    for (( i = 1; i <= BROKERS; i++ )); do
        for name in "${!STATE[@]}"; do
            [ "${STATE[$name]}" = live ] || continue
            grep -Eq -- "worker_join .*worker=$name#" "${B_LOG[$i]}" \
                || problems+=("worker $name is not registered with broker $i (${B_LOG[$i]##*/})")
        done
    done
fi
[ "$HELD" -gt 0 ] || problems+=("no kill or freeze hit a worker holding a request")

# The longest stretch without an ok reply, from the per-second series.
say ""
say "per-second ok replies: $(jq -r '[.series[] | .ok] | map(tostring) | join(" ")' "$STRESS_JSON")"

if [ ${#problems[@]} -gt 0 ]; then
    for p in "${problems[@]}"; do say "PROBLEM: $p"; done
    fail "chaos run (seed $SEED) failed: ${#problems[@]} problem(s)"
fi
[ "${ZLB_KEEP:-0}" = 1 ] || cp "$SUMMARY" "${TMPDIR:-/tmp}/zlb-chaos-last-summary.txt" 2>/dev/null
pass
