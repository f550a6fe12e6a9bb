#!/usr/bin/env bash
#  The test command: install dependencies, build (-Werror), then every check
#  CI makes, each bounded in time:
#    1. ASan+UBSan build and its unit + integration tests   (scripts/sanitize.sh asan)
#    2. the broker's integration tests under valgrind       (scripts/sanitize.sh valgrind)
#    3. each libFuzzer target for ZLB_FUZZ_SECONDS (20)     (scripts/fuzz.sh)
#    4. the whole suite on the normal build                 (ctest: unit, integration,
#       chaos, net — skipped with a reason when not root — and the bench smoke run)
#  CI runs exactly this (.ci/run); the output ends with the last ctest's summary.
#  ZLB_QUICK=1 skips steps 1-3 (for a fast local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [ "${ZLB_QUICK:-0}" != 1 ]; then
    scripts/sanitize.sh asan
    scripts/sanitize.sh valgrind
    scripts/fuzz.sh "${ZLB_FUZZ_SECONDS:-20}"
fi
cd build
exec ctest --output-on-failure --timeout 300 "$@"
