# security_lib.sh - helpers for the CURVE / roles / endpoint tests.
# Source after lib.sh. Keys are made fresh per test in T_DIR/keys:
#   broker          the broker's pair
#   client          allowed as a client
#   worker          allowed as a worker, certificate says services = "echo"
#   anyworker       allowed as a worker for any service
#   stranger        in no allow-list

KEYS="$T_DIR/keys"

make_keys () {
    local name
    mkdir -p "$KEYS/clients" "$KEYS/workers"
    require_programs zlb-keygen
    "$ZLB_BIN/zlb-keygen" -q "$KEYS/broker" || fail "zlb-keygen broker failed"
    "$ZLB_BIN/zlb-keygen" -q "$KEYS/client" || fail "zlb-keygen client failed"
    "$ZLB_BIN/zlb-keygen" -q --services echo "$KEYS/worker" || fail "zlb-keygen worker failed"
    "$ZLB_BIN/zlb-keygen" -q "$KEYS/anyworker" || fail "zlb-keygen anyworker failed"
    "$ZLB_BIN/zlb-keygen" -q "$KEYS/stranger" || fail "zlb-keygen stranger failed"
    cp "$KEYS/client" "$KEYS/clients/"
    cp "$KEYS/worker" "$KEYS/anyworker" "$KEYS/workers/"
}

# Flags for a CURVE broker with both allow-lists.
CURVE_BROKER=(--curve-secret "$KEYS/broker_secret" --allow-clients "$KEYS/clients"
              --allow-workers "$KEYS/workers")

# curve_flags NAME: client/worker flags for key NAME.
curve_flags () { echo "--broker-key $KEYS/broker --curve-secret $KEYS/${1}_secret"; }

# start_curve_worker ID KEY [ARGS...]: a worker with key KEY, waits for its
# registration (use spawn directly for workers that must be refused).
start_curve_worker () {
    local id=$1 key=$2
    shift 2
    # shellcheck disable=SC2046
    start_worker "$id" $(curve_flags "$key") "$@"
}

# broker_log_has PATTERN: the broker logged a line matching PATTERN.
broker_log_has () { grep -Eq -- "$1" "$BROKER_LOG" 2>/dev/null; }

# refuse_count EVENT: lines of that event in the broker log.
broker_event_count () { grep -Ec -- " $1 " "$BROKER_LOG" 2>/dev/null; }
