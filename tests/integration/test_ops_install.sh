#!/usr/bin/env bash
# cmake --install into a fresh prefix gives the programs, libzlb, the
# headers, zlb.pc, man pages, systemd units and the logrotate file (the
# units naming the installed programs, the worker's list of brokers becoming
# one --connect each, and systemd-analyze verify where it works); the
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
            lib/systemd/system/zlb-broker.service lib/systemd/system/zlb-broker@.service \
            lib/systemd/system/zlb-worker@.service \
            etc/logrotate.d/zlb; do
    [ -e "$PREFIX/$file" ] || fail "$file was not installed"
done
if command -v help2man >/dev/null; then
    [ -s "$PREFIX/share/man/man1/zlb-broker.1" ] || fail "no man page for zlb-broker"
    grep -q "metrics" "$PREFIX/share/man/man1/zlb-broker.1" || fail "man page lacks --metrics"
fi
UNITS=$PREFIX/lib/systemd/system
grep -q "ExecStart=$PREFIX/bin/zlb-broker " "$UNITS/zlb-broker.service" \
    || fail "the unit does not name the installed broker"
grep -qF "ExecStart=$PREFIX/bin/zlb-broker --bind \${ZLB_BIND} --metrics \${ZLB_METRICS} --log /var/log/zlb/broker-%i.log " \
    "$UNITS/zlb-broker@.service" || fail "zlb-broker@.service: wrong ExecStart: $(grep ExecStart= "$UNITS/zlb-broker@.service")"
grep -qx "EnvironmentFile=/etc/default/zlb-broker-%i" "$UNITS/zlb-broker@.service" \
    || fail "zlb-broker@.service does not read /etc/default/zlb-broker-%i"
# Public headers must not need the internal ones (lib/mdp.h, util.h).
! grep -Eq '#include +"(mdp|util|curve)\.h"' "$PREFIX"/include/zlb/*.h \
    || fail "an installed header includes an internal one"

step "zlb-worker@.service gives one --connect per broker in ZLB_CONNECT"
# Its ExecStart is /bin/sh -c '...'; do systemd's part by hand ($$ is $,
# %H and %i the host and instance; no backslash or other % to unescape) and
# run the script with the installed worker replaced by a program that
# prints its arguments, one a line.
line=$(grep '^ExecStart=' "$UNITS/zlb-worker@.service")
script=${line#"ExecStart=/bin/sh -c '"}
script=${script%"'"}
[ "$script" != "$line" ] && [[ $script != *[\\\']* ]] \
    || fail "zlb-worker@.service: not a plain /bin/sh -c '...': $line"
script=${script//\$\$/\$}
script=${script//%H/host}
script=${script//%i/7}
[[ $script == *"exec $PREFIX/bin/zlb-worker "* ]] || fail "the worker unit does not name the installed worker"
[[ $script != *%* ]] || fail "zlb-worker@.service: a % this test does not expand: $script"
script=${script//"$PREFIX/bin/zlb-worker"/"$T_DIR/argv"}
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' > "$T_DIR/argv"
chmod +x "$T_DIR/argv"
touch "$T_DIR/glob-bait"     # an unquoted * in a setting must stay a *
# worker_argv CONNECT WORKER_ARGS EXPECTED...: the worker's arguments.
worker_argv () {
    local connect=$1 args=$2
    shift 2
    ZLB_CONNECT=$connect ZLB_SERVICE=echo ZLB_WORKER_ARGS=$args sh -c "$script" > "$T_DIR/argv.out" 2>&1 \
        || fail "the worker unit's script failed: $(cat "$T_DIR/argv.out")"
    printf '%s\n' "$@" > "$T_DIR/argv.want"
    diff -u "$T_DIR/argv.want" "$T_DIR/argv.out" > "$T_DIR/argv.diff" \
        || fail "ZLB_CONNECT='$connect' ZLB_WORKER_ARGS='$args': $(cat "$T_DIR/argv.diff")"
}
tail_args=(--service echo --id host-7 --log /var/log/zlb/server_log.log)
worker_argv "tcp://127.0.0.1:5555" "" --connect tcp://127.0.0.1:5555 "${tail_args[@]}"
worker_argv " tcp://b1:5555   tcp://b2:5555
tcp://b3:5555 " "--heartbeat-ms 1000  --log-format json *" \
    --connect tcp://b1:5555 --connect tcp://b2:5555 --connect tcp://b3:5555 "${tail_args[@]}" \
    --heartbeat-ms 1000 --log-format json '*'

# systemd-analyze verify loads the units without a running systemd; used
# only where it does that (a trivial unit passes), and then it must say
# nothing: it warns about unknown keys and programs that are not there.
if command -v systemd-analyze >/dev/null; then
    printf '[Service]\nExecStart=/bin/true\n' > "$T_DIR/zlb-probe.service"
    if timeout 30 systemd-analyze verify --man=no "$T_DIR/zlb-probe.service" > "$T_DIR/verify.out" 2>&1 \
            && ! [ -s "$T_DIR/verify.out" ]; then
        step "systemd-analyze verify the installed units"
        timeout 30 systemd-analyze verify --man=no "$UNITS/zlb-broker.service" \
            "$UNITS/zlb-broker@b1.service" "$UNITS/zlb-worker@1.service" > "$T_DIR/verify.out" 2>&1 \
            && ! [ -s "$T_DIR/verify.out" ] || fail "systemd-analyze verify: $(head -n 8 "$T_DIR/verify.out")"
    else
        step "systemd-analyze verify does not work here, skipped: $(head -n 2 "$T_DIR/verify.out")"
    fi
fi

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
