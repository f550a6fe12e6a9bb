#!/usr/bin/env bash
# zlb-ctl over two brokers with different workers: each broker's block,
# named by its endpoint, then totals that add up (checked with jq against
# the per-broker objects of the same run); a stopped broker shows as "not
# answering", exit 1, the other still printed; a duplicate --connect is
# refused (exit 2) like zlb-client's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-ctl
command -v jq >/dev/null || fail "jq is needed"

start_cluster_broker a
start_cluster_worker a a-echo
start_cluster_worker a a-other --service other
start_cluster_broker b
start_cluster_worker b b-echo-1
start_cluster_worker b b-echo-2
A=${CB_EP[a]} B=${CB_EP[b]}
run_client to-a 30 --connect "$A" --count 10 --quiet
[ "$EXIT_RC" = 0 ] || fail "client of broker a: exit $EXIT_RC"
run_client to-b 30 --connect "$B" --count 5 --quiet
[ "$EXIT_RC" = 0 ] || fail "client of broker b: exit $EXIT_RC"
scaled_args --timeout-ms 2000
ctl () { "$ZLB_BIN/zlb-ctl" --connect "$A" --connect "$B" "${SCALED[@]}" "$@" < /dev/null; }
# check FILE WHAT JQ: the jq test over every line of FILE (slurped) holds.
check () { jq -se "$3" "$1" > /dev/null || fail "$2: $(cat "$1")"; }

step "workers: both brokers, then all four with their broker"
ctl --json workers > "$T_DIR/workers.json" || fail "zlb-ctl workers: exit $?"
check "$T_DIR/workers.json" "per-broker worker lists" \
    "length == 3 and (.[0].broker == \"$A\") and (.[0].reply.count == 2)
     and (.[1].broker == \"$B\") and (.[1].reply.count == 2)"
check "$T_DIR/workers.json" "workers total" \
    ".[2].total and .[2].service == \"mmi.workers\" and .[2].reply.count == 4
     and ([.[2].reply.workers[] | select(.broker == \"$A\")] | length) == 2
     and ([.[2].reply.workers[] | .id | split(\"#\")[0]] | sort)
         == [\"a-echo\", \"a-other\", \"b-echo-1\", \"b-echo-2\"]"

step "services: echo on both brokers appears once in the total, summed"
ctl --json services > "$T_DIR/services.json" || fail "zlb-ctl services: exit $?"
check "$T_DIR/services.json" "services total" \
    "(.[2].reply.services | map({(.service): .}) | add) as \$t
     | ([.[0], .[1] | .reply.services[] | select(.service == \"echo\") | .requests] | add)
         as \$sum
     | .[2].reply.count == 2 and \$t.echo.workers == 3 and \$t.echo.brokers == 2
       and \$t.other.workers == 1 and \$t.other.brokers == 1
       and \$t.echo.requests == \$sum and \$sum >= 15"

step "stats: counters summed, uptime per broker only"
ctl --json stats > "$T_DIR/stats.json" || fail "zlb-ctl stats: exit $?"
check "$T_DIR/stats.json" "stats total" \
    ".[2].reply as \$t | \$t.workers == 4 and \$t.brokers == 2 and \$t.answering == 2
     and \$t.requests == .[0].reply.requests + .[1].reply.requests
     and \$t.replies == .[0].reply.replies + .[1].reply.replies
     and (\$t | has(\"uptime_s\") | not)"

step "text: one block per broker, then the total"
ctl status > "$T_DIR/status.out" || fail "zlb-ctl status: exit $?"
for header in "== $A ==" "== $B ==" "== total: 2 brokers, 2 answering =="; do
    grep -Fxq -- "$header" "$T_DIR/status.out" || fail "no '$header' line: $(cat "$T_DIR/status.out")"
done
ctl workers > "$T_DIR/workers.out" || fail "zlb-ctl workers: exit $?"
grep -Eq "^b-echo-1#.* $B $" "$T_DIR/workers.out" || fail "total workers table lacks the broker column"

step "watch: the same blocks, refreshed"
ctl watch --iterations 2 --interval 100ms > "$T_DIR/watch.out" || fail "zlb-ctl watch: exit $?"
[ "$(grep -c "^== total: 2 brokers, 2 answering ==$" "$T_DIR/watch.out")" = 2 ] \
    || fail "watch did not show the total twice: $(cat "$T_DIR/watch.out")"
grep -Eq "^b-echo-2#.* $B $" "$T_DIR/watch.out" || fail "watch lacks the workers total"

step "broker b stopped: not answering, exit 1, broker a still printed"
stop "${CB_PID[b]}" TERM 5
scaled_args --timeout-ms 300
ctl services > "$T_DIR/down.out" 2> "$T_DIR/down.err"
rc=$?
[ "$rc" = 1 ] || fail "with broker b stopped: exit $rc, expected 1"
grep -A1 -Fx -- "== $B ==" "$T_DIR/down.out" | grep -Fxq "not answering" \
    || fail "broker b's block does not say not answering: $(cat "$T_DIR/down.out")"
grep -A1 -Fx -- "== $A ==" "$T_DIR/down.out" | grep -q "^SERVICE " \
    || fail "broker a's block is missing: $(cat "$T_DIR/down.out")"
grep -Fq "cannot reach the broker at $B" "$T_DIR/down.err" || fail "stderr: $(cat "$T_DIR/down.err")"
ctl --json services > "$T_DIR/down.json"
[ $? = 1 ] || fail "--json with broker b stopped: not exit 1"
check "$T_DIR/down.json" "json with broker b stopped" \
    ".[1] == {\"broker\": \"$B\", \"error\": \"not answering\"}
     and .[2].reply.answering == 1 and .[2].reply.brokers == 2"

step "the same endpoint twice"
"$ZLB_BIN/zlb-ctl" --connect "$A" --connect "$A" status > "$T_DIR/dup.out" 2> "$T_DIR/dup.err"
rc=$?
[ "$rc" = 2 ] || fail "duplicate --connect: exit $rc, expected 2"
grep -q -- "--connect: '$A' given twice" "$T_DIR/dup.err" || fail "dup: $(cat "$T_DIR/dup.err")"
pass
