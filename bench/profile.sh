#!/usr/bin/env bash
# Size and speed of swrole binaries side by side, for tuning the release profile: each
# binary's size, its cache hit and its cold switch against moto, and a bare process start
# (`env --version`) in the same run, as hyperfine medians.
#
#   bench/profile.sh [--write] LABEL=PATH [LABEL=PATH ...]      (no "=" in a label)
#
# Prints a Markdown table; --write also puts it in bench/RESULTS.md as the section
# "## Release profile" (bench/compare.sh keeps that section). Nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
write=false
if [ "${1-}" = "--write" ]; then
    write=true
    shift
fi
table=$(mktemp)
exec 3>&1 1>"$table"
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$work" "$table"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break; sleep 0.2; done
mkdir -p "$work/.aws"
cp contrib/seed/config contrib/seed/credentials "$work/.aws/"
export HOME="$work" USER=bench AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" SWROLE_CACHE_STORE=file
median() { python3 -c 'import json, sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$1"; }

hyperfine -N --warmup 20 --runs 300 --export-json "$work/env.json" 'env --version' >/dev/null 2>&1
base=$(median "$work/env.json")
printf '| binary | size | cache hit | vs `env --version` (%s ms) | cold switch |\n| --- | --- | --- | --- | --- |\n' "$base"
for spec in "$@"; do
    label=${spec%%=*}
    bin=${spec#*=}
    size=$(stat -c %s "$bin")
    rm -rf "$work/.cache"
    "$bin" sw-staging -t 123456 --shell bash >/dev/null
    hyperfine -N --warmup 20 --runs 300 --export-json "$work/hit.json" "$bin sw-staging --shell bash" >/dev/null 2>&1
    # A cold switch: no cache, one AssumeRole carrying the MFA code.
    hyperfine -N --warmup 3 --runs 60 --export-json "$work/cold.json" "$bin sw-staging --shell bash --no-cache -t 123456" >/dev/null 2>&1
    hit=$(median "$work/hit.json")
    cold=$(median "$work/cold.json")
    ratio=$(python3 -c "print('%.2fx' % ($hit / $base))")
    printf '| %s | %.1f MB (%s bytes) | %s ms | %s | %s ms |\n' "$label" "$(python3 -c "print($size / 1e6)")" "$size" "$hit" "$ratio" "$cold"
done
exec 1>&3
cat "$table"
if "$write"; then
    python3 - "$table" bench/RESULTS.md "$(uname -sr)" "$(nproc)" <<'PY'
import sys
table, out, kernel, cores = sys.argv[1:5]
section = (
    "\n## Release profile\n\n"
    "Written by `bench/profile.sh --write`: the release binaries of each profile step, built from the\n"
    f"same commit and timed in one run on this machine ({cores} cores, {kernel}); hyperfine medians of\n"
    "300 cache hits (files store) and 60 cold switches (no cache, one AssumeRole with an MFA code) against\n"
    "moto on 127.0.0.1, beside `env --version` (a bare process start).\n\n"
    + open(table).read()
)
text = open(out).read()
if "\n## Release profile" in text:
    text = text[: text.index("\n## Release profile")]
open(out, "w").write(text.rstrip("\n") + "\n" + section)
PY
fi
