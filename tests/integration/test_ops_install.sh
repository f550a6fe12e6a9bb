#!/usr/bin/env bash
# cmake --install into a fresh prefix gives the programs, libzlb, the
# headers, zlb.pc, man pages, systemd units and the logrotate file; a small
# program that embeds a client builds against that tree with pkg-config
# alone and gets its answer through the installed broker and worker.
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

step "build the embedding program with pkg-config"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
flags=$(pkg-config --cflags --libs zlb) || fail "pkg-config does not know zlb"
cc -Wall -Wextra -Werror -o "$T_DIR/embed_client" "$SOURCE/tests/integration/embed/embed_client.c" \
    $flags > "$T_DIR/cc.err" 2>&1 || fail "embedding program did not build: $(head -n 5 "$T_DIR/cc.err")"

step "run it through the installed broker and worker"
ZLB_BIN=$PREFIX/bin
start_broker
start_worker w1
"$T_DIR/embed_client" "$ENDPOINT" "hello from outside" > "$T_DIR/embed.out" 2>&1 \
    || fail "embed_client failed: $(cat "$T_DIR/embed.out")"
assert_grep '^status=200 worker=w1 reply=hello from outside$' "$T_DIR/embed.out" "embedded client"
pass
