# ops_lib.sh - helpers for the operations tests (test_ops_*.sh). Source it
# after lib.sh. Everything here asks the broker through zlb-ctl --json and
# reads the answers with jq, so the tests see what an operator sees.

require_programs zlb-broker zlb-worker zlb-client zlb-ctl
command -v jq >/dev/null || fail "jq is needed (scripts/install-deps.sh)"

# ctl_json COMMAND: the reply map of mmi.<COMMAND> as one JSON object.
ctl_json () {
    "$ZLB_BIN/zlb-ctl" --connect "$ENDPOINT" --timeout-ms $((1000 * T_SCALE)) --json "$1" 2>>"$T_DIR/ctl.err" \
        | jq -c ".reply"
}

# ctl_worker_count SERVICE: workers the broker lists for SERVICE.
ctl_worker_count () {
    ctl_json workers | jq --arg s "$1" '[.workers[] | select(.service == $s)] | length'
}

# ctl_has_worker ID: true while mmi.workers lists a worker ID#n.
ctl_has_worker () {
    ctl_json workers | jq -e --arg id "$1" \
        'any(.workers[]; .id | startswith($id + "#"))' >/dev/null
}

# ctl_service_field SERVICE FIELD: one number from mmi.services (0 if absent).
ctl_service_field () {
    ctl_json services | jq --arg s "$1" --arg f "$2" \
        '[.services[] | select(.service == $s) | .[$f]] | first // 0'
}

# Wait-for helpers (wait_for runs a command; these compare).
worker_count_is () { [ "$(ctl_worker_count "$1")" = "$2" ]; }
service_field_ge () { [ "$(ctl_service_field "$1" "$2")" -ge "$3" ] 2>/dev/null; }
service_field_is () { [ "$(ctl_service_field "$1" "$2")" = "$3" ]; }
