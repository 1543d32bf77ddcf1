#!/usr/bin/env bash
# Try swrole without an AWS account: start moto's local STS emulator on 127.0.0.1 with the
# sample config from the README (sw-staging, sw-production behind MFA), switch to
# sw-staging, and open a subshell in it (or run the given command there and exit).
#
#   pip install 'moto[server]'     # once
#   scripts/try-it.sh              # interactive subshell; `exit` to leave
#   scripts/try-it.sh aws sts get-caller-identity
#
# SWROLE=path/to/swrole picks the binary (default: swrole on PATH).
set -euo pipefail
swrole=${SWROLE:-swrole}
seed="$(cd "$(dirname "$0")/.." && pwd)/contrib/seed"
command -v moto_server >/dev/null || { echo "try-it: moto_server not found: pip install 'moto[server]'" >&2; exit 1; }

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_RECORDER_FILEPATH="$dir/recording" moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
    sleep 0.1
done

# The README's quick-start config and a fake IAM user (contrib/seed/).
cp "$seed/config" "$dir/config"
cp "$seed/credentials" "$dir/credentials"

export AWS_CONFIG_FILE="$dir/config" AWS_SHARED_CREDENTIALS_FILE="$dir/credentials"
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
# The emulator accepts any 6-digit code; on a terminal, leave out --token-code to be asked.
eval "$("$swrole" sw-staging --token-code 123456 --shell bash)"
echo "try-it: switched to $SWROLE_PROFILE (role $SWROLE_ROLE_ARN) until $AWS_CREDENTIAL_EXPIRATION" >&2
if [ "$#" -gt 0 ]; then
    "$@"
else
    echo "try-it: a subshell in sw-staging; try: $swrole sw-production -t 654321 --print | head; exit to leave" >&2
    "${SHELL:-bash}" -i
fi
