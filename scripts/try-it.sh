#!/usr/bin/env bash
# Try swrole without an AWS account, from a fresh clone, in one command:
#
#   scripts/try-it.sh                                # a subshell switched to sw-staging; `exit` to leave
#   scripts/try-it.sh aws sts get-caller-identity    # or run one command there
#
# It builds swrole if needed (cargo, into target/), installs moto's STS emulator and the
# AWS CLI into a virtual environment under the repository (.venv/, ignored by git; nothing
# system-wide) unless both are already on PATH, starts the emulator on 127.0.0.1 with the README's quick-start config and
# a fake IAM user, and switches to sw-staging. SWROLE=path/to/swrole uses that binary.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seed="$repo/contrib/seed"
say() { printf 'try-it: %s\n' "$*" >&2; }

if [ -n "${SWROLE-}" ]; then
    swrole=$SWROLE
else
    command -v cargo >/dev/null || { say "cargo not found: install Rust (https://rustup.rs) first"; exit 1; }
    say "building swrole (cargo build; a few minutes the first time)"
    (cd "$repo" && cargo build --locked --quiet)
    swrole="$repo/target/debug/swrole"
fi
venv="$repo/.venv"
if [ -x "$venv/bin/moto_server" ] && [ -x "$venv/bin/aws" ]; then
    export PATH="$venv/bin:$PATH"
elif ! command -v moto_server >/dev/null 2>&1 || ! command -v aws >/dev/null 2>&1; then
    say "installing moto (the local STS emulator) and the AWS CLI into $venv"
    python3 -m venv "$venv" || { say "python3 -m venv failed: on Debian, apt install python3-venv"; exit 1; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.1' 'awscli==1.45.11'
    export PATH="$venv/bin:$PATH"
fi

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_RECORDER_FILEPATH="$dir/recording" moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 200); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
    sleep 0.1
done

# The README's quick-start config and a fake IAM user (contrib/seed/), in a home of its own.
mkdir -p "$dir/home/.aws"
cp "$seed/config" "$seed/credentials" "$dir/home/.aws/"
export HOME="$dir/home" AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
# The emulator accepts any 6-digit code; on a terminal, leave out --token-code to be asked.
eval "$("$swrole" sw-staging --token-code 123456 --shell bash)"
say "switched to $SWROLE_PROFILE (account $AWS_ACCOUNT_ID, role $SWROLE_ROLE_ARN) until $AWS_CREDENTIAL_EXPIRATION"
if [ "$#" -gt 0 ]; then
    "$@"
else
    say "a subshell in sw-staging; try: aws sts get-caller-identity, $swrole explain sw-production; exit to leave"
    "${SHELL:-bash}" -i
fi
