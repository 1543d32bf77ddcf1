#!/usr/bin/env bash
# Mutation testing of the security-critical code (.cargo/mutants.toml) within a time
# budget. cargo install --locked cargo-mutants once, then
#   scripts/mutants.sh                     # default budget 60 minutes
#   MUTANTS_MINUTES=90 scripts/mutants.sh
#   scripts/mutants.sh --iterate           # only what the last run did not catch
# Two stages, so that each mutant costs what it needs:
#   1. every mutant against the unit tests (`--lib`: a few seconds a mutant here);
#   2. the ones stage 1 missed, again, against the integration groups that drive the same
#      code through the binary, real shells and moto (`--iterate` keeps stage 1's catches).
# Prints the counts; the missed ones are in mutants.out/missed.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || { echo "mutants: cargo install --locked cargo-mutants" >&2; exit 1; }
budget=$(( ${MUTANTS_MINUTES:-60} * 60 ))
export SWROLE_FUZZ_SECONDS=1
start=$SECONDS
timeout "$budget" cargo mutants "$@" --no-shuffle -j 1 --timeout 60 --cargo-test-arg=--lib || true
left=$(( budget - (SECONDS - start) ))
if (( left > 60 )) && [[ -s mutants.out/missed.txt || -s mutants.out/timeout.txt ]]; then
    timeout "$left" cargo mutants --iterate --no-shuffle -j 1 --timeout 240 \
        --cargo-test-arg=--test=integration -- -- \
        review:: hostile:: cache:: faults:: shells:: fuzz:: pty:: server:: || true
fi
count() { cat "mutants.out/$1.txt" 2>/dev/null | wc -l; }
echo "caught: $(( $(count caught) + $(count previously_caught) ))"
for f in missed timeout unviable; do echo "$f: $(count "$f")"; done
