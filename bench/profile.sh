#!/usr/bin/env bash
# Size and speed of swrole binaries side by side, for tuning the release profile: each
# binary's size, its cache hit and its cold switch against moto, and a bare process start
# (`env --version`) in the same run, as hyperfine medians.
#
#   bench/profile.sh LABEL=PATH [LABEL=PATH ...]      (no "=" in a label)
#
# Prints a Markdown table (for bench/RESULTS.md). Nothing here passes or fails.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$work"' EXIT
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
