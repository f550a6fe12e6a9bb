#!/usr/bin/env bash
#  The test command: install dependencies, build (-Werror), run every test.
#  CI runs exactly this (.ci/run); its output ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
exec ctest --output-on-failure --timeout 300 "$@"
