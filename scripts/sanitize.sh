#!/usr/bin/env bash
#  Memory and undefined-behaviour checks (docs/security.md).
#
#    scripts/sanitize.sh asan      build with -DZLB_SANITIZE=address,undefined in
#                                  build-asan/ and run the unit and integration
#                                  tests there (any ASan/UBSan/LSan report fails)
#    scripts/sanitize.sh valgrind  run the broker's integration tests with every
#                                  zlb program under valgrind memcheck (build/ must
#                                  exist: scripts/build.sh); any error or leak fails
#    scripts/sanitize.sh [all]     both
#
#  Environment: ZLB_VALGRIND_TESTS (ctest -R regex of the tests to run under
#  valgrind), ZLB_JOBS (parallel ctest jobs, default 2), ZLB_TIME_SCALE
#  (default 3 under ASan, 5 under valgrind): the test harness multiplies its
#  hang bounds and heartbeat intervals by it (tests/proc.sh), so programs
#  slowed down by the tools are not taken for hung or dead ones.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
jobs=${ZLB_JOBS:-2}

#  Tests that cannot hold under ASan for reasons that are not bugs: memory
#  bounds on RSS (ASan's shadow memory and quarantine: test_reliability_memory,
#  test_reliability_memory_cap, test_security_memory_flood), linking the
#  instrumented static library into a program built without ASan, a
#  timing-tight scale test.
asan_exclude=${ZLB_ASAN_EXCLUDE:-test_reliability_memory|test_security_memory_flood|test_ops_install|test_ops_scale}

run_asan () {
    echo "== sanitize: ASan+UBSan build in build-asan/" >&2
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DZLB_WERROR=ON \
        -DZLB_SANITIZE=address,undefined >/dev/null
    cmake --build build-asan -j "$(nproc)" >/dev/null
    #  abort on the first report so that a test fails instead of logging it
    ZLB_TIME_SCALE=${ZLB_TIME_SCALE:-3} \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp \
        ctest --test-dir build-asan --output-on-failure -j "$jobs" --timeout 300 \
              -L "unit|integration" -E "$asan_exclude"
}

run_valgrind () {
    echo "== sanitize: valgrind memcheck over the broker's integration tests" >&2
    scripts/build.sh >/dev/null       #  up to date, so that new tests are listed
    local tests=${ZLB_VALGRIND_TESTS:-test_(spread|raw_peers|bad_input|no_worker|worker_drain|join_live|security_curve|security_roles|security_endpoints|cluster_workers_term)$}
    #  --error-exitcode makes the harness (lib.sh) fail the test on any error;
    #  definite and indirect leaks count as errors, czmq's global context
    #  ("still reachable" until exit) does not.
    ZLB_TIME_SCALE=${ZLB_TIME_SCALE:-5} \
    ZLB_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
              --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
        ctest --test-dir build --output-on-failure -j "$jobs" --timeout 300 -R "$tests"
}

case "$mode" in
    asan)     run_asan ;;
    valgrind) run_valgrind ;;
    all)      run_asan; run_valgrind ;;
    *)        echo "usage: $0 [asan|valgrind|all]" >&2; exit 2 ;;
esac
