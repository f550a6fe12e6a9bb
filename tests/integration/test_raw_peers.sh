#!/usr/bin/env bash
# Wire compatibility with MDP/0.1 peers that do not use libzlb: the raw
# client (czmq frames + msgpack-c) talks to zlb-worker through the broker,
# zlb-client talks to the raw worker, and MMI answers 200 / 404 / 501.
. "$(dirname "$0")/lib.sh"
require_programs zlb-broker zlb-worker zlb-client raw_client raw_worker

start_broker
start_worker zw

step "raw client -> broker -> zlb-worker"
spawn raw1 "$ZLB_BIN/raw_client" "$ENDPOINT" echo --request hello-raw --timeout-ms 3000
wait_exit "$LAST_PID" 5 || fail "raw_client hung"
[ "$EXIT_RC" = 0 ] || fail "raw_client exit $EXIT_RC"
assert_grep "^reply service=echo frames=2$" "$T_DIR/raw1.out" "reply is not 2 body frames"
assert_grep "^body1:.* payload=hello-raw" "$T_DIR/raw1.out" "payload not echoed"
assert_grep "^body2:.* status=200" "$T_DIR/raw1.out" "confirmation status not 200"
assert_grep "^body2:.* worker=zw" "$T_DIR/raw1.out" "confirmation does not name worker zw"

step "MMI through the raw client"
mmi () {  # mmi NAME SERVICE BODY EXPECTED
    spawn "$1" "$ZLB_BIN/raw_client" "$ENDPOINT" "$2" --text "$3" --timeout-ms 3000
    wait_exit "$LAST_PID" 5 || fail "raw_client $1 hung"
    [ "$EXIT_RC" = 0 ] || fail "raw_client $1 exit $EXIT_RC"
    assert_grep "^body1: raw=$4$" "$T_DIR/$1.out" "$2 $3: expected $4"
}
mmi mmi_yes mmi.service echo 200
mmi mmi_no mmi.service nosuch 404
mmi mmi_foo mmi.foo echo 501

step "zlb-client -> broker -> raw worker"
spawn raw-worker "$ZLB_BIN/raw_worker" "$ENDPOINT" rawsvc --id rawpeer "${HB[@]}"
rawpid=$LAST_PID
wait_for 5 grep -q "^ready" "$T_DIR/raw-worker.out" || fail "raw worker did not start"
wait_for 5 broker_saw_service rawsvc || fail "broker did not log the raw worker joining"
run_client client 10 --service rawsvc --timeout-ms 2000 --retries 2 from-zlb-client
[ "$EXIT_RC" = 0 ] || fail "zlb-client to raw worker: exit $EXIT_RC"
[ "$(client_served_by "$T_DIR/client.out" rawpeer)" -eq 1 ] || fail "reply not from rawpeer"
assert_grep "^request id=[1-9]" "$T_DIR/raw-worker.out" "raw worker saw no request id"

step "raw client -> broker -> raw worker, and mmi.service for it"
spawn raw2 "$ZLB_BIN/raw_client" "$ENDPOINT" rawsvc --request raw-to-raw --timeout-ms 3000
wait_exit "$LAST_PID" 5 || fail "raw_client hung"
assert_grep "^body2:.* worker=rawpeer" "$T_DIR/raw2.out" "raw to raw failed"
mmi mmi_raw mmi.service rawsvc 200

step "raw worker keeps heartbeating: still registered after 1 s"
sleep 1   # deliberately idle for several heartbeat intervals
assert_alive "$rawpid" "raw worker (broker went silent or sent DISCONNECT)"
run_client client2 10 --service rawsvc --timeout-ms 2000 --retries 0 still-there
[ "$EXIT_RC" = 0 ] || fail "raw worker no longer served after idling: exit $EXIT_RC"
assert_alive "$BROKER_PID" broker
pass
