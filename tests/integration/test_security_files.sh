#!/usr/bin/env bash
# Secret files and zlb-keygen: a 43 MB "secret", a FIFO and a link to a FIFO
# given as --curve-secret get a clear error at once (bounded reads of small
# regular files only), a link to a good secret works (Kubernetes secret
# volumes are links); an allow-list directory holding a FIFO, a huge file
# and a dangling link still lets the valid key in, and a link to a
# certificate counts as that certificate; zlb-keygen never writes through a
# symbolic link (dangling or not), replaces only with --force (atomically),
# and refuses an over-long or invalid services list.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/security_lib.sh"
require_programs zlb-broker zlb-worker zlb-client zlb-keygen

make_keys
BAD="$T_DIR/bad"
mkdir -p "$BAD"
head -c $((43 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > "$BAD/huge_secret"
mkfifo "$BAD/fifo_secret"
ln -s "$KEYS/client_secret" "$BAD/link_secret"
ln -s "$BAD/fifo_secret" "$BAD/link_fifo"
chmod 600 "$BAD/huge_secret" "$BAD/fifo_secret"

# refused NAME PATTERN COMMAND...: COMMAND exits non-zero within a generous
# bound and says PATTERN on stderr (a hang or a minutes-long parse fails).
refused () {
    local name=$1 pattern=$2
    shift 2
    spawn "$name" "$@"
    wait_exit "$LAST_PID" 30 || fail "$name: still running after 30 s (unbounded read?)"
    [ "$EXIT_RC" != 0 ] || fail "$name: accepted"
    assert_grep "$pattern" "$T_DIR/$name.err" "$name: no clear error"
}

step "a 43 MB, a FIFO and a link to a FIFO as secret file are refused with a reason"
refused huge "larger than 64 KiB" "$ZLB_BIN/zlb-client" --connect "$ENDPOINT" \
    --broker-key "$KEYS/broker" --curve-secret "$BAD/huge_secret" x
refused fifo "not a regular file" "$ZLB_BIN/zlb-client" --connect "$ENDPOINT" \
    --broker-key "$KEYS/broker" --curve-secret "$BAD/fifo_secret" x
refused link-fifo "not a regular file" "$ZLB_BIN/zlb-client" --connect "$ENDPOINT" \
    --broker-key "$KEYS/broker" --curve-secret "$BAD/link_fifo" x
refused broker-huge "larger than 64 KiB" "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" \
    --curve-secret "$BAD/huge_secret" --log -
refused broker-fifo "not a regular file" "$ZLB_BIN/zlb-broker" --bind "$ENDPOINT" \
    --curve-secret "$BAD/fifo_secret" --log -
refused key-fifo "not a regular file" "$ZLB_BIN/zlb-worker" --connect "$ENDPOINT" \
    --broker-key "$BAD/fifo_secret"

step "an allow-list holding a FIFO, a huge file and a dangling link still admits the valid key"
mkfifo "$KEYS/clients/fifo"
cp "$BAD/huge_secret" "$KEYS/clients/huge"
ln -s "$T_DIR/nowhere" "$KEYS/clients/dangling"
start_broker "${CURVE_BROKER[@]}"
start_curve_worker w1 worker
# shellcheck disable=SC2046
run_client ok 60 $(curve_flags client) --timeout-ms 2000 --retries 2 hello
[ "$EXIT_RC" = 0 ] || fail "the allowed client failed (rc=$EXIT_RC)"
# shellcheck disable=SC2046
run_client stranger 60 $(curve_flags stranger) --timeout-ms 300 --retries 0 hello
[ "$EXIT_RC" = 1 ] || fail "a key not in the allow-list got in"

step "a link to a certificate in the allow-list admits it; a secret read through a link works"
ln -s "$KEYS/stranger" "$KEYS/clients/stranger-link"
run_client secret-via-link 60 --connect "$ENDPOINT" --broker-key "$KEYS/broker" \
    --curve-secret "$BAD/link_secret" --timeout-ms 2000 --retries 2 hello
[ "$EXIT_RC" = 0 ] || fail "the client secret read through a link failed (rc=$EXIT_RC)"
# shellcheck disable=SC2046
run_client stranger-admitted 60 $(curve_flags stranger) --timeout-ms 2000 --retries 2 hello
[ "$EXIT_RC" = 0 ] || fail "a key linked into the allow-list was refused (rc=$EXIT_RC)"

step "zlb-keygen: a dangling symlink at the secret path is not followed"
ln -s "$T_DIR/planted" "$KEYS/new_secret"
"$ZLB_BIN/zlb-keygen" -q "$KEYS/new" 2>"$T_DIR/keygen1.err"
[ $? -eq 1 ] || fail "zlb-keygen wrote with a symlink at the secret path"
[ -e "$T_DIR/planted" ] && fail "zlb-keygen created the symlink's target"
assert_grep "exists \(use --force" "$T_DIR/keygen1.err" "no clear error for the symlink"
[ -e "$KEYS/new" ] && fail "zlb-keygen wrote the public file after refusing"

step "zlb-keygen --force replaces the link itself, atomically, mode 0600"
"$ZLB_BIN/zlb-keygen" -q --force "$KEYS/new" || fail "zlb-keygen --force failed"
[ -e "$T_DIR/planted" ] && fail "zlb-keygen --force wrote through the symlink"
[ -L "$KEYS/new_secret" ] && fail "the secret path is still a symlink"
[ "$(stat -c %a "$KEYS/new_secret")" = 600 ] || fail "replaced secret file is not 0600"
old_key=$(grep public-key "$KEYS/new")
"$ZLB_BIN/zlb-keygen" -q --force "$KEYS/new" || fail "second --force failed"
[ "$(grep public-key "$KEYS/new")" != "$old_key" ] || fail "--force did not replace the key"
ls "$KEYS" | grep -q '\.[A-Za-z0-9]\{6\}$' && fail "a temporary file was left behind"

step "zlb-keygen refuses an over-long or invalid services list"
long=$(printf 'svc%04d,' $(seq 1 70))
"$ZLB_BIN/zlb-keygen" -q --services "${long%,}" "$KEYS/long" 2>"$T_DIR/keygen2.err"
[ $? -eq 2 ] || fail "zlb-keygen accepted a ${#long}-byte services list"
assert_grep "under 512 bytes" "$T_DIR/keygen2.err" "no clear error for the long list"
for bad in "echo,,x" "ec ho" "mmi.service" $'echo\x1b[2J'; do
    "$ZLB_BIN/zlb-keygen" -q --services "$bad" "$KEYS/badsvc" 2>/dev/null
    [ $? -eq 2 ] || fail "zlb-keygen accepted --services '$bad'"
done
[ -e "$KEYS/long" ] || [ -e "$KEYS/badsvc" ] && fail "a refused certificate was written"
assert_alive "$BROKER_PID" broker
pass
