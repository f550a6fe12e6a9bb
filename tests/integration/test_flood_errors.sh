#!/usr/bin/env bash
# Error answers cost less than requests (security issue, hole 5): a client
# sends 1 MiB msgpack bodies for an invalid service name, 10 a second, each
# with its id after the megabyte. The broker answers each with a 400 from
# the first bytes of the body only. Checked by what the broker spent: its
# CPU time (user + system, /proc) over the flood, per answer, must stay
# under 20 ms - before the fix, decoding each body to find its id cost
# ~80 ms each and starved everyone else. A legit client beside the flood is
# still served (counted; no ratio of two time windows is asserted, they
# swing with the machine's load).
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker attacker
start_broker --log-level info
start_worker steady

# legit_ok NAME MS: one echo request at a time for MS; prints how many succeeded.
legit_ok () {
    spawn "$1" "$ZLB_BIN/attacker" legit "$ENDPOINT" --service echo --duration-ms "$2"
    wait_exit "$LAST_PID" 30 || fail "legit client $1 hung"
    sed -n 's/^ok=\([0-9]*\).*/\1/p' "$T_DIR/$1.out"
}

cpu_ms () { awk -v hz="$(getconf CLK_TCK)" '{ print int (($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

step "legit echo requests alone for 2 s"
base=$(legit_ok base 2000)
[ "${base:-0}" -gt 0 ] || fail "legit traffic failed even alone"
# flood NAME: 1 MiB bad-service requests at 10/s (10 MiB/s) for 4 s.
flood () {
    spawn "$1" "$ZLB_BIN/attacker" bigbad "$ENDPOINT" --size 1048000 --rate 10 --duration-ms 4000
}

step "the flood alone: what the broker spends on it"
cpu_before=$(cpu_ms "$BROKER_PID")
flood flood1
wait_exit "$LAST_PID" 30 || fail "flood client hung"
cpu_spent=$(( $(cpu_ms "$BROKER_PID") - cpu_before ))
answered=$(sed -n 's/.*answered=\([0-9]*\).*/\1/p' "$T_DIR/flood1.out")
step "broker CPU ${cpu_spent} ms for ${answered:-0} rejected 1 MiB requests ($(cat "$T_DIR/flood1.out"))"
[ "${answered:-0}" -gt 0 ] || fail "the flood got no answers (did it reach the broker?)"
[ "$cpu_spent" -lt $(( answered * 20 + 300 )) ] \
    || fail "the broker spent ${cpu_spent} ms of CPU on ${answered} error answers (decoding bodies?)"

step "legit echo requests beside the flood"
flood flood2
flooder=$LAST_PID
wait_for 10 eval "[ \$(grep -c request_rejected '$BROKER_LOG') -gt $answered ]" \
    || fail "the second flood never reached the broker"
during=$(legit_ok during 2000)
wait_exit "$flooder" 30 || fail "flood client hung"
step "legit ok: ${base:-0} alone, ${during:-0} during the flood"
[ "${during:-0}" -gt 0 ] || fail "legit traffic starved: none served during the flood"
assert_alive "$BROKER_PID" broker
pass
