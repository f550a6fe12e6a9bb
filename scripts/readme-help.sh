#!/usr/bin/env bash
#  Rewrite README.md's "Programs and options" blocks from each program's
#  --help (the first code block under "### PROG"), so that the two cannot
#  disagree; tests/integration/test_readme_help.sh checks they don't.
#  scripts/readme-help.sh [BIN_DIR]   (default build/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/bin}
for program in zlb-broker zlb-worker zlb-client zlb-stress zlb-ctl zlb-keygen; do
    help=$(mktemp)
    "$bin/$program" --help > "$help"
    awk -v heading="### $program" -v help="$help" '
        $0 == heading { found = 1 }
        found == 1 && /^```$/ && !inside { print; inside = 1
            while ((getline line < help) > 0) print line
            next }
        inside == 1 && /^```$/ { inside = 2; found = 2 }
        inside == 1 { next }
        { print }' README.md > README.md.new
    mv README.md.new README.md
    rm -f "$help"
done
