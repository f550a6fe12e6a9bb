#!/usr/bin/env bash
# cmake --install into a fresh prefix gives the programs, libzlb, the
# headers, zlb.pc, man pages, systemd units and the logrotate file; the
# README's example client and worker (docs/examples/, shown verbatim in the
# README) build against that tree with pkg-config alone and talk through
# the installed broker.
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$ZLB_BIN/.." && pwd)
SOURCE=${ZLB_SOURCE:-$T_HERE/../..}
PREFIX=$T_DIR/prefix
command -v cc >/dev/null || fail "no C compiler"
command -v pkg-config >/dev/null || fail "no pkg-config"

step "cmake --install $BUILD --prefix $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" > "$T_DIR/install.out" 2>&1 \
    || fail "cmake --install failed: $(tail -n 5 "$T_DIR/install.out")"
for file in bin/zlb-broker bin/zlb-worker bin/zlb-client bin/zlb-ctl bin/zlb-stress \
            lib/libzlb.a include/zlb/zlb.h include/zlb/client.h lib/pkgconfig/zlb.pc \
            lib/systemd/system/zlb-broker.service lib/systemd/system/zlb-worker@.service \
            etc/logrotate.d/zlb; do
    [ -e "$PREFIX/$file" ] || fail "$file was not installed"
done
if command -v help2man >/dev/null; then
    [ -s "$PREFIX/share/man/man1/zlb-broker.1" ] || fail "no man page for zlb-broker"
    grep -q "metrics" "$PREFIX/share/man/man1/zlb-broker.1" || fail "man page lacks --metrics"
fi
grep -q "ExecStart=$PREFIX/bin/zlb-broker " "$PREFIX/lib/systemd/system/zlb-broker.service" \
    || fail "the unit does not name the installed broker"
# Public headers must not need the internal ones (lib/mdp.h, util.h).
! grep -Eq '#include +"(mdp|util|curve)\.h"' "$PREFIX"/include/zlb/*.h \
    || fail "an installed header includes an internal one"

step "build the README's example programs with pkg-config alone"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
flags=$(pkg-config --cflags --libs zlb) || fail "pkg-config does not know zlb"
for example in echo_client echo_worker; do
    # The README shows each example verbatim, between a marker and the fence.
    awk -v marker="<!-- docs/examples/$example.c -->" '
        $0 == marker { found = 1; next }
        found && /^```c$/ { inside = 1; next }
        inside && /^```$/ { exit }
        inside { print }' "$SOURCE/README.md" > "$T_DIR/$example.readme.c"
    diff -u "$SOURCE/docs/examples/$example.c" "$T_DIR/$example.readme.c" > "$T_DIR/readme.diff" \
        || fail "README's $example differs from docs/examples/$example.c: $(head -n 8 "$T_DIR/readme.diff")"
    cc -Wall -Wextra -Werror -o "$T_DIR/$example" "$SOURCE/docs/examples/$example.c" \
        $flags > "$T_DIR/cc.err" 2>&1 || fail "$example did not build: $(head -n 5 "$T_DIR/cc.err")"
done

step "run them through the installed broker"
ZLB_BIN=$PREFIX/bin
start_broker
spawn example-worker "$T_DIR/echo_worker" "$ENDPOINT"
wait_for 5 broker_saw_service echo || fail "the example worker never registered"
"$T_DIR/echo_client" "$ENDPOINT" "hello from outside" again > "$T_DIR/embed.out" 2>&1 \
    || fail "echo_client failed: $(cat "$T_DIR/embed.out")"
assert_grep '^reply=hello from outside worker=[^ ]+ rtt_us=[0-9]+$' "$T_DIR/embed.out" "example client"
assert_grep '^reply=again worker=' "$T_DIR/embed.out" "example client, second message"
step "a plain MDP client gets its frames back from the example worker"
"$ZLB_BIN/zlb-client" --connect "$ENDPOINT" --log "$CLIENT_LOG" --raw a b > "$T_DIR/raw.out" 2>&1 \
    || fail "zlb-client --raw to the example worker: $(cat "$T_DIR/raw.out")"
assert_grep 'frames=2 reply="a" "b"' "$T_DIR/raw.out" "raw echo from the example worker"
stop "${T_PID[example-worker]}" TERM 5
[ "$EXIT_RC" = 0 ] || fail "the example worker exited $EXIT_RC on SIGTERM"
pass
