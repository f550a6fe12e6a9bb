#!/usr/bin/env bash
# libzlb exports only zlb_* symbols (zlb.h promises it): every defined
# global in the installed library - each archive member of libzlb.a, the
# dynamic symbol table of libzlb.so if one is built - starts with zlb_.
# An internal helper must be static, or prefixed (lib/mdp_names.h).
. "$(dirname "$0")/lib.sh"
BUILD=$(cd "$ZLB_BIN/.." && pwd)
PREFIX=$T_DIR/prefix
command -v nm >/dev/null || fail "no nm (binutils)"

step "cmake --install $BUILD --prefix $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" > "$T_DIR/install.out" 2>&1 \
    || fail "cmake --install failed: $(tail -n 5 "$T_DIR/install.out")"
shopt -s nullglob
libraries=("$PREFIX"/lib*/libzlb.a "$PREFIX"/lib*/libzlb.so*)
[ "${#libraries[@]}" -gt 0 ] || fail "no libzlb was installed"
for library in "${libraries[@]}"; do
    [ -L "$library" ] && continue            # libzlb.so -> libzlb.so.0: checked once
    case $library in
        *.a) nm -g --defined-only "$library" ;;
        *)   nm -D --defined-only "$library" ;;
    esac > "$T_DIR/symbols" 2>&1 || fail "nm $library: $(head -n 3 "$T_DIR/symbols")"
    # "ADDRESS TYPE NAME" lines; archive member headers have no type.
    awk 'NF == 3 { print $3 }' "$T_DIR/symbols" | grep -v '^zlb_' | sort -u > "$T_DIR/foreign"
    count=$(awk 'NF == 3' "$T_DIR/symbols" | wc -l)
    [ "$count" -gt 0 ] || fail "nm found no symbols in $library"
    [ -s "$T_DIR/foreign" ] && fail "$library exports symbols without the zlb_ prefix:" \
        "$(tr '\n' ' ' < "$T_DIR/foreign")"
    step "$(basename "$library"): $count exported symbols, all zlb_*"
done
pass
