#!/usr/bin/env bash
# The README's "Programs and options" shows each program's --help verbatim
# (the first code block under "### PROG"): it must be what --help prints.
. "$(dirname "$0")/lib.sh"
SOURCE=${ZLB_SOURCE:-$T_HERE/../..}
for program in zlb-broker zlb-worker zlb-client zlb-stress zlb-ctl zlb-keygen; do
    [ -x "$ZLB_BIN/$program" ] || fail "$program is not built"
    awk -v heading="### $program" '
        $0 == heading { found = 1; next }
        found && /^```$/ { if (inside) exit; inside = 1; next }
        inside { print }' "$SOURCE/README.md" > "$T_DIR/$program.readme"
    "$ZLB_BIN/$program" --help > "$T_DIR/$program.help" || fail "$program --help failed"
    diff -u "$T_DIR/$program.help" "$T_DIR/$program.readme" > "$T_DIR/$program.diff" \
        || fail "README's $program block differs from --help (scripts/readme-help.sh rewrites it): $(head -n 12 "$T_DIR/$program.diff")"
    step "$program: README matches --help"
done
pass
