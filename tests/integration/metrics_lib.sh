# metrics_lib.sh - helpers for the /metrics endpoint tests. Source after lib.sh.

require_programs zlb-broker zlb-worker zlb-client http_peer
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh)"

# start_metrics_broker [ARGS...]: a broker serving /metrics on a free port of
# 127.0.0.1; sets METRICS_URL and METRICS_PORT.
start_metrics_broker () {
    start_broker --metrics 127.0.0.1:0 "$@"
    wait_for 5 grep -q "metrics_bind" "$BROKER_LOG" || fail "no metrics_bind line"
    METRICS_URL=$(grep -o 'url=http://[^ ]*' "$BROKER_LOG" | head -n 1 | cut -d= -f2)
    METRICS_PORT=$(echo "$METRICS_URL" | sed 's|.*:\([0-9]*\)/metrics|\1|')
}

# scrape_ok: one GET /metrics answered 200 with the broker's counters.
scrape_ok () { curl -s -m 5 --fail "$METRICS_URL" | grep -q '^zlb_requests_total '; }

# peer_said NAME PATTERN: the peer NAME printed a line matching PATTERN.
peer_said () { grep -Eq -- "$2" "$T_DIR/$1.out" 2>/dev/null; }

# open_fds PID: descriptors the process holds now.
open_fds () { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
