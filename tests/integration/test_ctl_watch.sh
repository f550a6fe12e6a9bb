#!/usr/bin/env bash
# zlb-ctl's services table reads at a glance: "-" where there is nothing to
# measure yet (no queue, no replies) instead of "0us"; labelled service-time
# columns; and in watch a REQ/S column that shows the traffic.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-ctl

start_broker
start_worker w1
ctl () { "$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" "$@" < /dev/null; }
# field NAME FILE: the echo row's value under column NAME (last frame).
field () {
    awk -v name="$1" '$1 == "SERVICE" { for (i = 1; i <= NF; i++) col[$i] = i }
                      $1 == "echo" && col[name] { v = $(col[name]) } END { print v }' "$2"
}
# field_max NAME FILE: the highest numeric value of that column over all frames.
field_max () {
    awk -v name="$1" '$1 == "SERVICE" { for (i = 1; i <= NF; i++) col[$i] = i }
                      $1 == "echo" && col[name] && $(col[name]) ~ /^[0-9]+$/ \
                          && $(col[name]) + 0 >= max + 0 { max = $(col[name]) }
                      END { print max }' "$2"
}

step "no traffic yet: '-' for the oldest wait and the service times"
ctl services > "$T_DIR/idle.out" || fail "zlb-ctl services failed"
assert_grep "^SERVICE .* REQ/S .* SVC_P50 +SVC_P99$" "$T_DIR/idle.out" "header lacks REQ/S or SVC_P50/P99"
for column in OLDEST SVC_P50 SVC_P99; do
    [ "$(field $column "$T_DIR/idle.out")" = "-" ] \
        || fail "$column shows '$(field $column "$T_DIR/idle.out")' with no data, expected -"
done
! grep -q "0us" "$T_DIR/idle.out" || fail "a 0us cell with no data"

step "traffic: REQ/S in watch, service times measured"
start_client load --count 1000000 --pipeline 4 --quiet --timeout-ms 5000
wait_for 5 eval '[ "$(ctl --json stats | grep -o "\"replies\":[0-9]*" | cut -d: -f2)" -gt 50 ]' \
    || fail "no traffic reached the broker"
# A loaded machine can stall the client for a whole refresh: any frame
# with replies counts, the highest rate is checked.
ctl watch --iterations 5 --interval 500ms > "$T_DIR/watch.out" || fail "zlb-ctl watch failed"
rate=$(field_max REQ/S "$T_DIR/watch.out")
step "REQ/S at most $rate over 5 frames; SVC_P50 $(field SVC_P50 "$T_DIR/watch.out")"
[[ "$rate" =~ ^[0-9]+$ ]] && [ "$rate" -gt 0 ] || fail "REQ/S is '$rate' under load"
[ "$(field SVC_P50 "$T_DIR/watch.out")" != "-" ] || fail "no service time after replies"
stop "$LAST_PID" INT
assert_alive "$BROKER_PID" broker
pass
