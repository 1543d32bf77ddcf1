#!/usr/bin/env bash
# Mutation testing of the security-critical code (.cargo/mutants.toml) within a time
# budget: cargo install cargo-mutants once, then
#   scripts/mutants.sh            # default budget 30 minutes
#   MUTANTS_MINUTES=60 scripts/mutants.sh
# Prints cargo-mutants' counts (caught, missed, timeout, unviable); the missed ones are in
# mutants.out/missed.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || { echo "mutants: cargo install --locked cargo-mutants" >&2; exit 1; }
minutes=${MUTANTS_MINUTES:-30}
SWROLE_FUZZ_SECONDS=1 timeout "$((minutes * 60))" cargo mutants --no-shuffle -j 1 --timeout 120 || true
for f in caught missed timeout unviable; do
    printf '%s: %s\n' "$f" "$(wc -l < "mutants.out/$f.txt" 2>/dev/null || echo 0)"
done
