#!/usr/bin/env bash
# Run the whole test suite from a fresh clone: install the test tools (scripts/test-tools.sh,
# the same list CI uses), then run the test command written in README.md ("Running the
# tests"), read from there so that the two cannot drift apart.
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-tools.sh
test_command=$(awk '/<!-- ci: test command -->/ { found = 1; next } found && /^```/ { if (in_block) exit; in_block = 1; next } in_block { print; exit }' README.md)
if [ -z "$test_command" ]; then
    echo "test: no test command found in README.md" >&2
    exit 1
fi
echo "test: running the README's test command: $test_command" >&2
eval "$test_command"
