#!/usr/bin/env bash
# zlb-broker --metrics serves GET /metrics in the Prometheus text format:
# curl scrapes it, the format passes the checks of prom_check.awk (and
# promtool's linter when it is installed), and the counters match what the
# clients sent: replies, per-service requests and broker errors (504).
. "$(dirname "$0")/lib.sh"
. "$T_HERE/ops_lib.sh"
command -v curl >/dev/null || fail "curl is needed (scripts/install-deps.sh)"

start_broker --metrics 127.0.0.1:0 --request-timeout-ms 200
wait_for 3 grep -q "metrics_bind" "$BROKER_LOG" || fail "no metrics_bind line"
url=$(grep -o 'url=http://[^ ]*' "$BROKER_LOG" | head -n 1 | cut -d= -f2)
step "metrics at $url"
start_worker w1
start_worker w2

scrape () { curl -s -m 3 --fail "$url" > "$T_DIR/metrics.txt"; }
metric () { awk -v key="$1" '$1 == key { print $2 }' "$T_DIR/metrics.txt"; }

step "send 25 echo requests and 3 to a service nobody serves"
run_client ok 10 --count 25 --pipeline 5
[ "$EXIT_RC" = 0 ] || fail "echo client failed"
run_client nobody 10 --service nobody --count 3 --pipeline 3 --retries 0 --timeout-ms 2000
[ "$EXIT_RC" = 1 ] || fail "requests to 'nobody' should fail (exit $EXIT_RC)"
grep -Eq "status=504" "$T_DIR/nobody.out" || fail "no 504 answers for 'nobody'"

scrape || fail "curl $url failed"
step "format check ($(grep -vc '^#' "$T_DIR/metrics.txt") samples)"
awk -f "$T_HERE/prom_check.awk" "$T_DIR/metrics.txt" > "$T_DIR/format.out" \
    || fail "exposition format: $(head -n 5 "$T_DIR/format.out")"
if command -v promtool >/dev/null; then
    promtool check metrics < "$T_DIR/metrics.txt" > "$T_DIR/promtool.out" 2>&1 \
        || fail "promtool: $(head -n 5 "$T_DIR/promtool.out")"
    step "promtool check metrics: ok"
fi

step "counters match the traffic"
check () {
    local got
    got=$(metric "$1")
    [ "$got" = "$2" ] || fail "$1 is '$got', expected $2"
}
check zlb_requests_total 28
check zlb_replies_total 25
check 'zlb_service_requests_total{service="echo"}' 25
check 'zlb_service_replies_total{service="echo"}' 25
check 'zlb_errors_total{status="504"}' 3
check 'zlb_service_time_seconds_count{service="echo"}' 25
check 'zlb_service_workers{service="echo",state="ready"}' 2
check 'zlb_service_queue_depth{service="echo"}' 0
check zlb_workers 2
check 'zlb_build_info{version="'"$("$ZLB_BIN/zlb-broker" --version | awk '{print $2}')"'"}' 1

step "content type, HEAD, 404 and 405"
curl -s -m 3 -o /dev/null -w '%{content_type}' "$url" | grep -q '^text/plain; version=0.0.4' \
    || fail "wrong Content-Type"
[ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' -I "$url")" = 200 ] || fail "HEAD is not 200"
[ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "${url%/metrics}/other")" = 404 ] || fail "no 404"
[ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' -X POST "$url")" = 405 ] || fail "no 405"

step "20 scrapes in a row all answer (no connection left behind)"
for index in $(seq 20); do
    scrape || fail "scrape $index failed"
done
assert_alive "$BROKER_PID" "broker"
pass
