#!/usr/bin/env bash
# What a capture on the TCP port shows: a relay (peers/tcp_tap) between the
# client and the broker records every byte. Plain: the payload is on the
# wire (proves the tap works). CURVE: it is not, in either direction.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen tcp_tap
make_keys
MARKER="TOPSECRET-$RANDOM-$RANDOM-PAYLOAD"

# start a broker on ENDPOINT (ipc, for the workers) and a free TCP port.
start_tcp_broker () {
    local attempt
    for attempt in 1 2 3 4 5; do
        TCP_PORT=$(( 20000 + RANDOM % 40000 ))
        rm -f "$BROKER_SOCK" "$BROKER_LOG"
        spawn broker "${WRAP[@]}" "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" \
            --bind "tcp://127.0.0.1:$TCP_PORT" "${HB[@]}" --log "$BROKER_LOG" "$@"
        BROKER_PID=$LAST_PID
        wait_for 5 eval "test -S $BROKER_SOCK || ! alive $BROKER_PID"
        alive "$BROKER_PID" && test -S "$BROKER_SOCK" && return 0
        wait "$BROKER_PID" 2>/dev/null
    done
    fail "no free TCP port for the broker"
}

# capture NAME CLIENT_FLAGS...: request MARKER through a tap; bytes in NAME.cap
capture () {
    local name=$1
    shift
    spawn "tap-$name" "$ZLB_BIN/tcp_tap" "$TCP_PORT" "$T_DIR/$name.cap" 20
    wait_for 5 grep -q '^port=' "$T_DIR/tap-$name.out" || fail "tap did not start"
    local port
    port=$(sed -n 's/^port=//p' "$T_DIR/tap-$name.out")
    run_client "$name" 10 --connect "tcp://127.0.0.1:$port" --timeout-ms 2000 "$@" "$MARKER"
    [ "$EXIT_RC" = 0 ] || fail "$name client failed (rc=$EXIT_RC)"
    grep -qF "reply=\"$MARKER\"" "$T_DIR/$name.out" || fail "$name: no echo of the payload"
    [ -s "$T_DIR/$name.cap" ] || fail "$name: the tap recorded nothing"
}

step "plain broker: the payload is visible on the wire"
start_tcp_broker
start_worker p1
capture plain
grep -qaF "$MARKER" "$T_DIR/plain.cap" || fail "tap did not see the plaintext (tap broken?)"
stop "$BROKER_PID"

step "CURVE broker: the payload is not visible on the wire"
start_tcp_broker "${CURVE_BROKER[@]}"
start_curve_worker c1 worker
# shellcheck disable=SC2046
capture curve $(curve_flags client)
grep -qaF "$MARKER" "$T_DIR/curve.cap" && fail "plaintext payload seen on a CURVE connection"
grep -qaF "MDPC01" "$T_DIR/curve.cap" && fail "MDP header seen on a CURVE connection"
grep -qaF "CURVE" "$T_DIR/curve.cap" || fail "no CURVE handshake in the capture"
step "captured $(stat -c %s "$T_DIR/curve.cap") bytes, no plaintext"
pass
