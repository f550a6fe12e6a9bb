# reliability_lib.sh - helpers for the reliability tests (issue 4) and the
# chaos run; source it after lib.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     . "$(dirname "$0")/reliability_lib.sh"
#
# - start_tcp_broker [ARGS]: the broker on tcp://127.0.0.1:PORT (a free
#   port; a taken one is detected and another tried); restart_tcp_broker
#   starts the next broker on the same endpoint. Logs broker-N.log.
# - run_stress NAME TIMEOUT_S ARGS: zlb-stress against ENDPOINT.
# - first_after / field_after: read the ISO-8601 log times.
# - vm_kb PID FIELD: VmRSS / VmHWM from /proc/PID/status, in KiB.

BROKER_N=0
broker_bound () { grep -q " bind endpoint=" "$BROKER_LOG" 2>/dev/null; }
broker_bind_failed () { ! alive "$BROKER_PID" || grep -q "bind_failed" "$BROKER_LOG" 2>/dev/null; }

# spawn_broker_on_endpoint [ARGS]: start broker N+1 on ENDPOINT; 0 if bound.
spawn_broker_on_endpoint () {
    BROKER_N=$((BROKER_N + 1))
    BROKER_LOG=$T_DIR/broker-$BROKER_N.log
    spawn "broker-$BROKER_N" "${WRAP[@]}" "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" "${HB[@]}" \
        --log "$BROKER_LOG" --log-level debug "$@"
    BROKER_PID=$LAST_PID
    wait_for 5 eval "broker_bound || broker_bind_failed"
    broker_bound && alive "$BROKER_PID"
}

start_tcp_broker () {
    local try port
    BROKER_ARGS=("$@")
    for try in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + ( $$ * 131 + try * 7919 + RANDOM ) % 40000 ))
        ENDPOINT="tcp://127.0.0.1:$port"
        spawn_broker_on_endpoint "${BROKER_ARGS[@]}" && return 0
        stop "$BROKER_PID" KILL 1
        rm -f "$BROKER_LOG"
        BROKER_N=$((BROKER_N - 1))
    done
    fail "could not bind a broker on any of 8 ports"
}

restart_tcp_broker () {
    spawn_broker_on_endpoint "${BROKER_ARGS[@]}" || fail "broker did not start again on $ENDPOINT"
}

# run_stress NAME TIMEOUT_S ARGS...: zlb-stress to completion, exit code in
# EXIT_RC; its --timeout-ms is scaled (scaled_args in lib.sh).
run_stress () {
    local name=$1 limit=$2
    shift 2
    scaled_args "$@"
    connect_default "$@"
    spawn "$name" "${WRAP[@]}" "$ZLB_BIN/zlb-stress" "${CONNECT[@]}" "${SCALED[@]}"
    wait_exit "$LAST_PID" "$limit" || fail "zlb-stress $name still running after ${limit}s"
}

# ISO-8601 UTC log times -> epoch microseconds (mawk has no mktime).
AWK_ISO='
function days_from_civil(y, m, d,   era, yoe, doy, doe) {
    y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
    doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}
function iso_us(s,   sec) {
    sec = days_from_civil(substr(s, 1, 4) + 0, substr(s, 6, 2) + 0, substr(s, 9, 2) + 0) * 86400 \
        + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18, 2)
    return sec * 1000000 + substr(s, 21, 6)
}'

# first_after T_US REGEX FILE...: ms from T_US to the first line matching
# REGEX logged after T_US, or "-".
first_after () {
    local t=$1 re=$2
    shift 2
    cat "$@" 2>/dev/null | awk -v t="$t" -v re="$re" "$AWK_ISO"'
        $0 ~ re { u = iso_us($1); if (u > t && (best == "" || u < best)) best = u }
        END { if (best == "") print "-"; else printf "%.0f\n", (best - t) / 1000 }'
}

# field_after T_US REGEX FIELD FILE...: value of FIELD= in the first line
# matching REGEX logged after T_US, or "-".
field_after () {
    local t=$1 re=$2 field=$3
    shift 3
    cat "$@" 2>/dev/null | awk -v t="$t" -v re="$re" -v f="$field" "$AWK_ISO"'
        $0 ~ re { u = iso_us($1); if (u > t && (best == "" || u < best)) { best = u; line = $0 } }
        END { v = "-"; n = split(line, w, " ")
              for (i = 1; i <= n; i++) if (index(w[i], f "=") == 1) v = substr(w[i], length(f) + 2)
              print v }'
}

# vm_kb PID FIELD: FIELD (VmRSS, VmHWM) of a running process in KiB.
vm_kb () {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# summary_field FIELD: FIELD= of the broker's last summary line (in BROKER_LOG).
summary_field () {
    broker_summary | tr ' ' '\n' | awk -F= -v f="$1" '$1 == f { print $2 }'
}
