#!/usr/bin/env bash
# A worker certificate's services list fails closed (security issue, hole 2):
# a hand-written certificate whose `services` list is 512 bytes or more, or
# is not a comma-separated list of service names, gets its key refused at
# the handshake with a clear log line, instead of the key being allowed
# every service. A well-formed list still works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen
make_keys

# hand_cert NAME SERVICES: key pair NAME whose public certificate in the
# workers' allow-list says services = SERVICES (written by hand, as an
# operator might, not by zlb-keygen).
hand_cert () {
    "$ZLB_BIN/zlb-keygen" -q "$KEYS/$1" || fail "zlb-keygen $1 failed"
    local key
    key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/$1")
    printf 'metadata\n    services = "%s"\ncurve\n    public-key = "%s"\n' "$2" "$key" \
        > "$KEYS/workers/$1"
}
long=$(printf 'svc%03d,' $(seq 1 90))echo      # 90 x 7 + 4 = 634 bytes, ends with echo
hand_cert longlist "$long"
hand_cert badlist "echo,,secret"
hand_cert goodlist "other,echo"
start_broker "${CURVE_BROKER[@]}"

for name in longlist badlist; do
    step "$name: a worker with that key is refused at the handshake"
    key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/$name")
    # shellcheck disable=SC2046
    spawn "w-$name" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" --service secret --id "$name" \
        "${HB[@]}" --log "$SERVER_LOG" $(curve_flags "$name")
    denied () { grep -F "auth_denied key=$1 " "$BROKER_LOG" | grep -q "services list in its certificate"; }
    wait_for 5 denied "$key" || fail "$name: key not refused for its services list"
    broker_saw_ready "$name" && fail "$name: registered for a service outside its list"
    stop "${T_PID[w-$name]}"
done
step "log: $(grep -o 'auth_denied.*' "$BROKER_LOG" | head -n 1 | cut -c1-160)"

step "a well-formed list still restricts and allows"
start_curve_worker goodlist goodlist
# shellcheck disable=SC2046
run_client ok 10 $(curve_flags client) --timeout-ms 1000 --count 2
[ "$EXIT_RC" = 0 ] || fail "echo through goodlist failed (rc=$EXIT_RC)"
assert_alive "$BROKER_PID" broker
pass
