#!/usr/bin/env bash
# Mutation testing of the security-critical code (.cargo/mutants.toml) within a time
# budget. cargo install --locked cargo-mutants once, then
#   scripts/mutants.sh                     # default budget 60 minutes
#   MUTANTS_MINUTES=90 scripts/mutants.sh
#   scripts/mutants.sh --iterate           # only what the last run did not catch
# Two stages, so that each mutant costs what it needs:
#   1. every mutant against the unit tests (`--lib`: about 6 s a mutant here);
#   2. the ones stage 1 missed, again, against the integration groups that drive the same
#      code through the binary (the file store and locks: review, hostile; the endpoint:
#      server; the emitters: shells), about 40 s a mutant; `--iterate` keeps stage 1's
#      catches. MUTANTS_STAGES=2 runs only this stage (after a stage 1).
# Prints the counts; the missed ones are in mutants.out/missed.txt.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || { echo "mutants: cargo install --locked cargo-mutants" >&2; exit 1; }
budget=$(( ${MUTANTS_MINUTES:-60} * 60 ))
stages=${MUTANTS_STAGES:-1 2}
# --iterate folds unviable mutants into previously_caught.txt: keep them apart here.
ledger=mutants.ledger
if [[ " $* " != *" --iterate "* && $stages == *1* ]]; then rm -rf "$ledger"; fi
mkdir -p "$ledger"
export SWROLE_FUZZ_SECONDS=1
start=$SECONDS
stage() {
    timeout "$1" cargo mutants --no-shuffle -j 1 "${@:2}" || true
    cat mutants.out/unviable.txt >> "$ledger/unviable.txt" 2>/dev/null || true
}
if [[ $stages == *1* ]]; then
    stage "$budget" "$@" --timeout 60 --cargo-test-arg=--lib
fi
left=$(( budget - (SECONDS - start) ))
if [[ $stages == *2* ]] && (( left > 60 )); then
    stage "$left" --iterate --timeout 120 --cargo-test-arg=--test=integration -- -- \
        review:: hostile:: server:: shells::
fi
# Counts over the mutants of today's code (names of earlier runs' code drop out).
cargo mutants --list 2>/dev/null | sort -u > "$ledger/all.txt"
only_now() { { cat "$@" 2>/dev/null || true; } | sort -u | comm -12 - "$ledger/all.txt"; }
only_now "$ledger/unviable.txt" > "$ledger/unviable.now"
only_now mutants.out/caught.txt mutants.out/previously_caught.txt | comm -23 - "$ledger/unviable.now" > "$ledger/caught.now"
for f in missed timeout; do only_now "mutants.out/$f.txt" > "$ledger/$f.now"; done
echo "mutants: $(wc -l < "$ledger/all.txt")"
for f in caught missed timeout unviable; do echo "$f: $(wc -l < "$ledger/$f.now")"; done
