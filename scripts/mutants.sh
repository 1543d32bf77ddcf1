#!/usr/bin/env bash
# Mutation testing (https://mutants.rs) of the files scripts/mutants.txt names, each against
# the tests that drive it. cargo install --locked cargo-mutants once, commit, then
#   scripts/mutants.sh                      # every file in scripts/mutants.txt
#   scripts/mutants.sh src/sts.rs src/cmd/  # some of them (a path or a prefix)
#   scripts/mutants.sh --iterate [FILE...]  # only what the last run did not catch
#   MUTANTS_MINUTES=90 scripts/mutants.sh   # stop starting files after 90 minutes
#   scripts/mutants.sh --report [FILE...]   # only count what earlier runs found
# It mutates a copy of HEAD (a git worktree in target/mutants-tree, built with the
# `mutants` profile: no debug info) in place, one file at a time, so the build stays warm
# from file to file and your tree is never touched. Two stages per file, so each mutant
# costs what it needs:
#   1. (files marked `unit`) every mutant against the unit tests, about 5 s a mutant;
#   2. what stage 1 did not catch, against the file's integration groups, built once more
#      (about 8 s) and run (a few seconds to a minute, by group).
# Results: mutants.out/FILE/ (cargo-mutants' own), mutants.out/summary.txt (counts per
# file; the missed mutants, one per line, in mutants.out/missed.txt).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$PWD
command -v cargo-mutants >/dev/null || { echo "mutants: cargo install --locked cargo-mutants" >&2; exit 1; }

iterate=
report=
files=()
for arg in "$@"; do
    case $arg in
        --iterate) iterate=--iterate ;;
        --report) report=1 ;;
        -*) echo "mutants: unknown option $arg" >&2; exit 2 ;;
        *) files+=("$arg") ;;
    esac
done

# The table: FILE STAGE1 GROUPS...
declare -A stage1 groups
order=()
while read -r file unit rest; do
    [[ -z $file || $file == \#* ]] && continue
    [[ -f $file ]] || { echo "mutants: scripts/mutants.txt names $file, which does not exist" >&2; exit 2; }
    stage1[$file]=$unit
    groups[$file]=$rest
    order+=("$file")
done < scripts/mutants.txt
chosen=()
for file in "${order[@]}"; do
    if ((${#files[@]} == 0)); then chosen+=("$file"); continue; fi
    for want in "${files[@]}"; do
        if [[ $file == "$want"* ]]; then chosen+=("$file"); break; fi
    done
done
((${#chosen[@]})) || { echo "mutants: no file of scripts/mutants.txt matches ${files[*]}" >&2; exit 2; }

git diff --quiet HEAD -- src || echo "mutants: src/ has changes that are not committed; this run mutates HEAD" >&2
tree=$root/target/mutants-tree
if [[ -n $report ]]; then
    [[ -e $tree/.git ]] || { echo "mutants: nothing to report: no run yet" >&2; exit 1; }
elif [[ -e $tree/.git ]]; then
    git -C "$tree" checkout -q --detach -f "$(git rev-parse HEAD)"
    git -C "$tree" reset -q --hard
else
    git worktree prune
    git worktree add -q --detach "$tree" HEAD
fi

export SWROLE_REQUIRE_TOOLS=1 SWROLE_FUZZ_SECONDS=1
# A test binary stops at its first failing test (libtest's --fail-fast, unstable in Rust
# 1.95, allowed at run time by RUSTC_BOOTSTRAP): a caught mutant costs its first failing
# test, not the whole group. The variable reaches only the test binaries (through cargo's
# runner), never rustc: the build, and its cache, stay those of stable Rust. The runner
# takes itself out of the tests' environment (assert_cmd would run swrole through it).
runner=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER
export $runner="/usr/bin/env -u $runner RUSTC_BOOTSTRAP=1"
fail_fast=(-Zunstable-options --fail-fast)
budget=$(( ${MUTANTS_MINUTES:-600} * 60 ))
start=$SECONDS
if [[ -n $report ]]; then budget=0; fi
# The baseline, once: the unmutated tests of every chosen file must pass.
read -ra all_groups <<< "$(for f in "${chosen[@]}"; do echo "${groups[$f]}"; done | tr ' ' '\n' | sed '/::/!s/$/::/' | sort -u | tr '\n' ' ')"
[[ -n $report ]] || (
    cd "$tree"
    cargo test --profile mutants --locked --no-run -q
    cargo test --profile mutants --locked -q --lib >/dev/null
    cargo test --profile mutants --locked -q --test integration -- "${all_groups[@]}" >/dev/null
) || { echo "mutants: the unmutated tests fail in $tree; fix them first" >&2; exit 1; }
[[ -n $report ]] || echo "mutants: baseline passed in $(( SECONDS - start )) s" >&2

mkdir -p mutants.out
run() { # OUT SECONDS ARGS...: one cargo-mutants run in the worktree
    local out=$1 limit=$2
    shift 2
    local status=0
    (cd "$tree" && timeout "$limit" cargo mutants --in-place --baseline=skip --no-shuffle -o "$out" "$@") \
        > "$out.log" 2>&1 || status=$?
    # 2: some missed, 3: some timed out, 124: out of time; anything else is not a result.
    if ! [[ $status =~ ^(0|2|3|124)$ ]]; then
        tail -n 20 "$out.log" >&2
        echo "mutants: cargo mutants failed ($status) on $*; its log is $out.log" >&2
        exit 1
    fi
    # A run cut short may leave its mutant in the worktree, and a timed-out test a mutated
    # swrole running (one that loops, eating memory).
    git -C "$tree" checkout -q -- .
    pkill -KILL -f "^$tree/target/mutants/swrole" || true
    cat "$out/mutants.out/unviable.txt" >> "$out/unviable.all" 2>/dev/null || true
    # A mutant that hangs the unit tests is tried again in stage 2 (which may not reach its
    # code and call it missed): keep stage 1's verdict.
    cat "$out/mutants.out/timeout.txt" >> "$out/timeout.all" 2>/dev/null || true
}
for file in "${chosen[@]}"; do
    left=$(( budget - (SECONDS - start) ))
    [[ -z $report ]] || break
    if (( left < 60 )); then echo "mutants: out of time before $file" >&2; break; fi
    out=$root/mutants.out/${file//\//_}
    [[ -n $iterate ]] || rm -rf "$out"
    mkdir -p "$out"
    if [[ ${stage1[$file]} == unit ]]; then
        run "$out" "$left" $iterate -f "$file" --timeout 60 --cargo-test-arg=--lib -- -- "${fail_fast[@]}"
    fi
    left=$(( budget - (SECONDS - start) ))
    # A group is `GROUP` (its whole file) or `GROUP::test_name` (one test of it).
    filters=()
    for g in ${groups[$file]}; do [[ $g == *::* ]] && filters+=("$g") || filters+=("$g::"); done
    if ((${#filters[@]})) && (( left > 60 )); then
        run "$out" "$left" --iterate -f "$file" --timeout 180 --cargo-test-arg=--test=integration -- -- "${fail_fast[@]}" "${filters[@]}"
    fi
    echo "mutants: $file done at $(( (SECONDS - start) / 60 )) min" >&2
done

# Counts over the mutants of today's code (names from earlier runs' code drop out).
only_now() { # ALL FILES...: the lines of FILES that ALL has
    local all=$1
    shift
    { cat "$@" 2>/dev/null || true; } | sort -u | comm -12 - "$all"
}
: > mutants.out/missed.txt
{
    printf '%-30s %7s %6s %6s %7s %8s %8s\n' file mutants caught missed timeout unviable untested
    t_all=0 t_caught=0 t_missed=0 t_timeout=0 t_unviable=0
    for file in "${chosen[@]}"; do
        out=$root/mutants.out/${file//\//_}
        [[ -d $out/mutants.out ]] || continue
        (cd "$tree" && cargo mutants --list -f "$file" 2>/dev/null) | sort -u > "$out/all.txt"
        only_now "$out/all.txt" "$out/unviable.all" > "$out/unviable.now"
        only_now "$out/all.txt" "$out/mutants.out/caught.txt" "$out/mutants.out/previously_caught.txt" |
            comm -23 - "$out/unviable.now" > "$out/caught.now"
        only_now "$out/all.txt" "$out/timeout.all" "$out/mutants.out/timeout.txt" |
            comm -23 - "$out/caught.now" > "$out/timeout.now"
        only_now "$out/all.txt" "$out/mutants.out/missed.txt" | comm -23 - "$out/timeout.now" > "$out/missed.now"
        cat "$out/missed.now" >> mutants.out/missed.txt
        n() { wc -l < "$out/$1"; }
        printf '%-30s %7d %6d %6d %7d %8d %8d\n' "$file" "$(n all.txt)" "$(n caught.now)" "$(n missed.now)" \
            "$(n timeout.now)" "$(n unviable.now)" \
            "$(( $(n all.txt) - $(n caught.now) - $(n missed.now) - $(n timeout.now) - $(n unviable.now) ))"
        t_all=$((t_all + $(n all.txt))) t_caught=$((t_caught + $(n caught.now)))
        t_missed=$((t_missed + $(n missed.now))) t_timeout=$((t_timeout + $(n timeout.now)))
        t_unviable=$((t_unviable + $(n unviable.now)))
    done
    printf '%-30s %7d %6d %6d %7d %8d %8d\n' total $t_all $t_caught $t_missed $t_timeout $t_unviable \
        $((t_all - t_caught - t_missed - t_timeout - t_unviable))
    viable=$((t_caught + t_missed + t_timeout))
    # A timeout is a mutant the tests never pass with (they hang): CI would see it too.
    ((viable)) && echo "caught $t_caught of $viable viable mutants tested ($((100 * t_caught / viable)) %)," \
        "with timeouts $((t_caught + t_timeout)) ($((100 * (t_caught + t_timeout) / viable)) %)"
} | tee mutants.out/summary.txt
