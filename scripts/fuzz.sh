#!/usr/bin/env bash
#  Build the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/ and run
#  each for a bounded time over its seed corpus (fuzz/corpus/<target>/).
#  Fails on any crash, leak, timeout or sanitizer report; the offending
#  input is kept in build-fuzz/artifacts/ (reproduce: build-fuzz/bin/TARGET FILE).
#
#    scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
#  New inputs found go to build-fuzz/corpus/<target>/, not into the repo:
#  copy interesting ones to fuzz/corpus/ by hand (and minimise them first).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed" >&2; exit 1; }
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZLB_WERROR=ON \
    -DZLB_FUZZ=ON -DZLB_SANITIZE=address,undefined -DBUILD_TESTING=OFF >/dev/null
targets=(fuzz_mdp fuzz_codec fuzz_broker fuzz_http)
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p build-fuzz/artifacts
failed=0
for target in "${targets[@]}"; do
    mkdir -p "build-fuzz/corpus/$target"
    log="build-fuzz/$target.log"
    echo "== fuzz: $target for ${seconds}s" >&2
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       "build-fuzz/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
           -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$target-" \
           "build-fuzz/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1; then
        grep -E "^stat::number_of_executed_units" "$log" | sed "s/^/   $target /" >&2 || true
    else
        echo "FAIL: $target (see $log; inputs in build-fuzz/artifacts/)" >&2
        grep -E -A12 "ERROR:|runtime error|deadly signal|Test unit written" "$log" | head -n 40 >&2
        failed=1
    fi
    if grep -q "runtime error:" "$log"; then      #  UBSan reports that did not halt
        echo "FAIL: $target: UBSan report" >&2
        failed=1
    fi
done
exit "$failed"
