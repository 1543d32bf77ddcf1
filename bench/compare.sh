#!/usr/bin/env bash
# swrole against the seed's role_wrapper.sh, awsume, and a bare curl AssumeRole, all on the
# same local STS (moto, on 127.0.0.1), timed side by side with hyperfine in one run.
#
#   bench/compare.sh            # from a clean clone; installs what it needs (Debian, pip)
#
# Prints a table of medians and ratios and writes it to bench/RESULTS.md with a description
# of the machine. Nothing here is a pass/fail test: the numbers are for reading.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
seed="$repo/contrib/seed"

say() { printf 'bench: %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------
missing=()
for tool in hyperfine jq curl strace python3 dbus-run-session gnome-keyring-daemon keyctl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq hyperfine jq curl strace python3 time dbus-daemon gnome-keyring keyutils python3-venv >/dev/null
fi
venv="$repo/bench/.venv"
if [ ! -x "$venv/bin/awsumepy" ]; then
    say "installing the AWS CLI (v1), awsume and moto into bench/.venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check awscli awsume 'moto[server]==5.2.1'
fi
say "building swrole (release)"
cargo build --release --locked --quiet
swrole="$repo/target/release/swrole"

# --- a home with the seed's config, and the local STS ------------------------------------
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_RECORDER_FILEPATH="$work/recording" "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
    sleep 0.1
done

export HOME="$work/home" USER=bench
mkdir -p "$HOME/.aws"
# The README's quick-start config and a fake IAM user (contrib/seed/).
cp "$seed/config" "$HOME/.aws/config"
cp "$seed/credentials" "$HOME/.aws/credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export PATH="$venv/bin:$PATH"

# The seed's hand-written wrapper, as its how-to describes it: assume-role with the MFA
# code, jq, export, run the command.
cat >"$work/role_wrapper.sh" <<'EOF'
#!/bin/bash
MFA_CODE=$1
shift
CREDS=$(aws sts assume-role \
    --role-arn arn:aws:iam::210987654321:role/delegate_root_organization \
    --role-session-name "$USER" \
    --serial-number arn:aws:iam::123456789012:mfa/your.mail@example.com \
    --token-code "$MFA_CODE" \
    --endpoint-url "$AWS_ENDPOINT_URL_STS")
export AWS_ACCESS_KEY_ID=$(echo "$CREDS" | jq -r .Credentials.AccessKeyId)
export AWS_SECRET_ACCESS_KEY=$(echo "$CREDS" | jq -r .Credentials.SecretAccessKey)
export AWS_SESSION_TOKEN=$(echo "$CREDS" | jq -r .Credentials.SessionToken)
"$@"
EOF
chmod +x "$work/role_wrapper.sh"

# Warm the caches: swrole (MFA session + role, in the kernel keyring and in files), awsume
# (its MFA session).
SWROLE_CACHE_STORE=keyutils "$swrole" sw-staging --token-code 123456 --shell bash >/dev/null
SWROLE_CACHE_STORE=file "$swrole" sw-staging --token-code 123456 --shell bash >/dev/null
awsumepy sw-staging --mfa-token 123456 >/dev/null 2>&1

form="Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::210987654321:role/delegate_root_organization&RoleSessionName=bench&SerialNumber=arn:aws:iam::123456789012:mfa/your.mail@example.com&TokenCode=123456"
curl_cmd="curl -s -o /dev/null -X POST http://127.0.0.1:$port/ --aws-sigv4 aws:amz:ap-northeast-1:sts --user AKIASEEDUSERKEY00001:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY -d $form"

say "timing the switches (hyperfine)"
fast=(--warmup 20 --runs 300)
slow=(--warmup 3 --runs 30)
hyperfine -N "${fast[@]}" --export-json "$work/fast.json" \
    -n "swrole, cache hit" "$swrole sw-staging --shell bash" \
    -n "swrole, cache hit (kernel keyring, via env)" "env SWROLE_CACHE_STORE=keyutils $swrole sw-staging --shell bash" \
    -n "swrole, cache hit (files, via env)" "env SWROLE_CACHE_STORE=file $swrole sw-staging --shell bash" \
    -n "swrole, cold" "$swrole sw-staging --shell bash --no-cache --token-code 123456" \
    -n "curl, one AssumeRole" "$curl_cmd" >&2
hyperfine -N "${slow[@]}" --export-json "$work/slow.json" \
    -n "role_wrapper.sh (aws cli + jq)" "bash $work/role_wrapper.sh 123456 true" \
    -n "awsume, cached MFA session" "awsumepy sw-staging" \
    -n "awsume, cold" "awsumepy sw-staging --mfa-token 123456 --refresh" >&2

# --- the rest: list, a long chain, memory, files opened, size ---------------------------
python3 - "$work/many" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("[profile base]\naws_access_key_id = AKIASEEDUSERKEY00001\naws_secret_access_key = x\nregion = eu-west-1\n")
    for i in range(1000):
        f.write(f"[profile p{i:04}]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/r{i}\n")
    prev = "base"
    for i in range(1, 11):
        f.write(f"[profile hop{i}]\nsource_profile = {prev}\nrole_arn = arn:aws:iam::123456789012:role/hop{i}\n")
        prev = f"hop{i}"
EOF
AWS_CONFIG_FILE="$work/many" "$swrole" hop10 --shell bash >/dev/null
AWS_CONFIG_FILE="$work/many" hyperfine -N "${fast[@]}" --export-json "$work/extra.json" \
    -n "swrole list, 1,000 profiles" "$swrole list" \
    -n "swrole hop10 (10-hop chain, cache hit)" "$swrole hop10 --shell bash" >&2

# The key store's cost on a cold switch: `swrole default` reads the IAM user's keys and
# calls nothing else, with the keys in the credentials file, then in a real Secret Service
# (gnome-keyring in its own D-Bus session).
keyhome="$work/keyhome"
mkdir -p "$keyhome/.aws"
cp "$seed/config" "$seed/credentials" "$keyhome/.aws/"
HOME="$keyhome" dbus-run-session -- bash -c "
    echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
    cp ~/.aws/credentials ~/credentials.file
    hyperfine -N --warmup 5 --runs 50 --export-json '$work/keys-file.json' -n 'keys from the credentials file' '$swrole default --shell bash' >&2
    '$swrole' keys import default
    hyperfine -N --warmup 5 --runs 50 --export-json '$work/keys-ss.json' -n 'keys from the Secret Service' '$swrole default --shell bash' >&2
" >&2

# exec --server: a credentials request served from memory, and an SDK call through the
# endpoint against the same call with exported keys (boto3, one GetCallerIdentity each).
cat >"$work/endpoint.sh" <<'EOS'
printf '%s %s\n' "$AWS_CONTAINER_CREDENTIALS_FULL_URI" "$AWS_CONTAINER_AUTHORIZATION_TOKEN" >"$1"
while [ -e "$1" ]; do sleep 0.2; done
EOS
"$swrole" exec --server sw-staging -- sh "$work/endpoint.sh" "$work/endpoint" &
server=$!
for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
read -r uri token <"$work/endpoint"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/endpoint.json" \
    -n "exec --server: one credentials request (curl)" "curl -s -o /dev/null -H 'Authorization: $token' $uri" >&2
# The request itself, without a process start: 2,000 requests on one kept-alive connection.
endpoint_ms=$(python3 - "$uri" "$token" <<'EOS'
import http.client, statistics, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
times = []
for _ in range(2000):
    t = time.perf_counter()
    c.request("GET", "/", headers={"Authorization": sys.argv[2]})
    c.getresponse().read()
    times.append(time.perf_counter() - t)
print(f"{statistics.median(times) * 1000:.3f}")
EOS
)
rm -f "$work/endpoint"; wait "$server" || true
cat >"$work/who.py" <<'EOS'
import boto3
boto3.client("sts", region_name="ap-northeast-1").get_caller_identity()
EOS
hyperfine -N --warmup 3 --runs 30 --export-json "$work/sdk.json" \
    -n "boto3 call, exported keys" "$swrole exec sw-staging -- python3 $work/who.py" \
    -n "boto3 call, exec --server" "$swrole exec --server sw-staging -- python3 $work/who.py" >&2
curl_floor=$(hyperfine -N --runs 300 --export-json "$work/curlfloor.json" "curl -s -o /dev/null http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; python3 -c "import json; print(json.load(open('$work/curlfloor.json'))['results'][0]['median'])")

rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
rss_hit=$(rss "$swrole" sw-staging --shell bash)
rss_cold=$(rss "$swrole" sw-staging --shell bash --no-cache --token-code 123456)
trace() {
    strace -f -qq -e trace=openat,socket,connect -o "$work/trace" "$@" >/dev/null 2>&1
    printf '%s files opened, %s sockets, %s CA-store files' \
        "$(grep -c 'openat(' "$work/trace" || true)" "$(grep -c 'socket(' "$work/trace" || true)" \
        "$(grep -Ec '/etc/ssl|/certs|ca-certificates|\.pem' "$work/trace" || true)"
}
trace_hit=$(trace "$swrole" sw-staging --shell bash)
trace_hit_files=$(SWROLE_CACHE_STORE=file trace "$swrole" sw-staging --shell bash)
trace_cold=$(trace "$swrole" sw-staging --shell bash --no-cache --token-code 123456)
size=$(stat -c %s "$swrole")

# --- the report ---------------------------------------------------------------------------
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
versions="swrole $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'), $(aws --version 2>&1 | cut -d' ' -f1), awsume $("$venv/bin/pip" show awsume | awk '/^Version/ {print $2}'), moto $("$venv/bin/pip" show moto | awk '/^Version/ {print $2}'), $(curl --version | head -n1 | cut -d' ' -f1-2), $(hyperfine --version)"
python3 - "$work" "$repo/bench/RESULTS.md" <<EOF
import json, sys
work, out = sys.argv[1], sys.argv[2]
rows = []
for name in ("fast", "slow", "extra", "keys-file", "keys-ss", "endpoint", "sdk"):
    rows += json.load(open(f"{work}/{name}.json"))["results"]
median = {r["command"]: r["median"] for r in rows}
hit, cold, floor = median["swrole, cache hit"], median["swrole, cold"], median["curl, one AssumeRole"]
def ms(s): return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
lines = [
    "# Benchmark results",
    "",
    "Written by \`bench/compare.sh\`; every number below comes from one run on one machine.",
    "",
    "Machine: $cpu, $(nproc) cores, $mem, $(uname -sr).",
    "Versions: $versions.",
    "STS: moto's server on 127.0.0.1 (every tool talks to the same one). Medians of",
    "hyperfine runs (300 for swrole and curl, 30 for the Python tools).",
    "",
    "| command | median | vs swrole cache hit | vs curl floor |",
    "| --- | --- | --- | --- |",
]
for r in rows:
    m = r["median"]
    lines.append(f"| {r['command']} | {ms(m)} | {m / hit:.0f}x | {m / floor:.2f}x |")
lines += [
    "",
    "Ratios that the targets name:",
    "",
    f"- cache hit vs awsume with its cached MFA session: **{median['awsume, cached MFA session'] / hit:.0f}x** faster (target: 200x)",
    f"- cache hit vs the seed's role_wrapper.sh: **{median['role_wrapper.sh (aws cli + jq)'] / hit:.0f}x** faster (target: 100x)",
    f"- cold switch vs one AssumeRole with curl: **{cold / floor:.2f}x** the floor (target: within 1.5x)",
    f"- cache hit from the kernel keyring vs from files: **{median['swrole, cache hit (kernel keyring, via env)'] / median['swrole, cache hit (files, via env)']:.2f}x** (target: at most 1.1x; both started through env(1) to choose the store)",
    f"- exec --server: a credentials request served from memory takes **$endpoint_ms ms** (median of 2,000 on one connection; target: at most 1 ms); {ms(median['exec --server: one credentials request (curl)'])} with curl's own start-up",
    f"- an SDK call through the endpoint vs the same call with exported keys: **{median['boto3 call, exec --server'] / median['boto3 call, exported keys']:.2f}x** (target: at most 1.1x)",
    f"- the Secret Service read of the IAM user's keys adds **{ms(median['keys from the Secret Service'] - median['keys from the credentials file'])}** to a cold switch ({ms(median['keys from the Secret Service'])} against {ms(median['keys from the credentials file'])} from the file)",
    "",
    "Also measured:",
    "",
    f"- peak RSS: cache hit $((rss_hit / 1024)).$(( (rss_hit % 1024) * 10 / 1024 )) MB ($rss_hit KiB), cold switch $((rss_cold / 1024)).$(( (rss_cold % 1024) * 10 / 1024 )) MB ($rss_cold KiB) (target for a hit: 15 MB)",
    "- files and sockets (strace): cache hit (kernel keyring): $trace_hit; cache hit (files): $trace_hit_files; cold switch: $trace_cold",
    "- release binary: $size bytes ($((size / 1048576)).$(( (size % 1048576) * 10 / 1048576 )) MiB)",
]
text = "\n".join(lines) + "\n"
# The release-profile section is bench/profile.sh's: kept as it is.
try:
    old = open(out).read()
    kept = old[old.index("\n## Release profile"):] if "\n## Release profile" in old else ""
except FileNotFoundError:
    kept = ""
open(out, "w").write(text.rstrip("\n") + "\n" + kept)
print(text)
EOF
