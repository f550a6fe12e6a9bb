#!/usr/bin/env bash
#  The test command: install dependencies, build with warnings as errors
#  (gcc, and clang beside it), then every check CI makes, each bounded in time:
#    1. ASan+UBSan build and its unit + integration tests   (scripts/sanitize.sh asan)
#    2. the broker's integration tests under valgrind       (scripts/sanitize.sh valgrind)
#    3. each libFuzzer target for ZLB_FUZZ_SECONDS (20)     (scripts/fuzz.sh)
#    4. the whole suite on the normal build                 (ctest: unit, integration,
#       chaos, net — skipped with a reason when not root — and the bench smoke run)
#  Every stage runs even when an earlier one failed, so one failure hides
#  nothing. At the end: a table (stage, result, time), then ctest's summary
#  of the last stage again, so the output still ends with it. The exit code
#  is 0 only if every stage passed. CI runs exactly this (.ci/run).
#  ZLB_QUICK=1 skips steps 1-3 (for a fast local loop).
set -uo pipefail
cd "$(dirname "$0")/.."

STAGES=()                 #  "name|result|seconds", in order
FAILED=0
CTEST_LOG=$(mktemp "${TMPDIR:-/tmp}/zlb-test-ctest.XXXXXX")
trap 'rm -f "$CTEST_LOG"' EXIT

#  stage NAME COMMAND...: run it, record passed/failed and its time.
stage () {
    local name=$1 start=$SECONDS rc result=passed
    shift
    echo "==== stage: $name" >&2
    "$@"
    rc=$?
    if [ "$rc" != 0 ]; then
        result="FAILED (exit $rc)"
        FAILED=1
    fi
    STAGES+=("$name|$result|$((SECONDS - start))")
    echo "==== stage: $name: $result in $((SECONDS - start)) s" >&2
}

skip () { STAGES+=("$1|skipped ($2)|0"); }

summary () {
    local line name result seconds total=0
    echo
    echo "==== test command summary"
    printf '%-12s %-22s %8s\n' stage result time
    for line in "${STAGES[@]}"; do
        IFS='|' read -r name result seconds <<< "$line"
        printf '%-12s %-22s %6d s\n' "$name" "$result" "$seconds"
        total=$((total + seconds))
    done
    printf '%-12s %-22s %6d s\n' total "$([ "$FAILED" = 0 ] && echo passed || echo FAILED)" "$total"
}

final_ctest () {
    (cd build && ctest --output-on-failure --timeout 300 "$@") 2>&1 | tee "$CTEST_LOG"
}

#  The same sources and tests under clang, warnings as errors: built, not
#  run (the stages below run the gcc build; the fuzzers are clang's).
clang_build () {
    CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZLB_WERROR=ON \
        >/dev/null && cmake --build build-clang -j "$(nproc)" >/dev/null
}

stage deps scripts/install-deps.sh
stage build scripts/build.sh
stage clang clang_build
if [ "${ZLB_QUICK:-0}" != 1 ]; then
    stage asan scripts/sanitize.sh asan
    stage valgrind scripts/sanitize.sh valgrind
    stage fuzz scripts/fuzz.sh "${ZLB_FUZZ_SECONDS:-20}"
else
    for name in asan valgrind fuzz; do skip "$name" ZLB_QUICK=1; done
fi
stage ctest final_ctest "$@"
summary
#  ctest's own summary of the last stage, again, as the last lines.
echo
sed -n '/^[0-9]*% tests passed/,$p' "$CTEST_LOG"
exit "$FAILED"
