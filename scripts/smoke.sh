#!/usr/bin/env bash
# A smoke test of one swrole binary (the static musl build in .ci/run) against moto: it is
# static, it switches, runs a command with the role, answers as a credential_process, and
# serves a second switch from the kernel keyring with STS gone.
#
#   scripts/smoke.sh PATH/TO/swrole
set -euo pipefail
swrole=$(realpath "${1:?usage: scripts/smoke.sh PATH/TO/swrole}")
cd "$(dirname "$0")/.."
say() { printf 'smoke: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# Rust's musl target links a static PIE (ASLR kept), which ldd calls "statically linked";
# a static non-PIE binary is "not a dynamic executable". Either has no loader and no library.
linked=$(ldd "$swrole" 2>&1 || true)
case "$linked" in
    *"not a dynamic executable"* | *"statically linked"*) say "static: $linked" ;;
    *) fail "$swrole is dynamically linked: $linked" ;;
esac

home=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill "$moto" 2>/dev/null || true; rm -rf "$home"' EXIT
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
    sleep 0.2
done
mkdir -p "$home/.aws"
cp contrib/seed/config "$home/.aws/config"
cp contrib/seed/credentials "$home/.aws/credentials"
run() {
    env -i PATH="$PATH" HOME="$home" USER=smoke AWS_ENDPOINT_URL_STS="http://127.0.0.1:$port" \
        SWROLE_CACHE_STORE=keyutils "$swrole" "$@" </dev/null
}

# Switch: the exports, evaluated by bash.
account=$(bash -c 'eval "$1"; printf %s "$AWS_ACCOUNT_ID"' _ "$(run sw-staging -t 123456 --shell bash)")
[ "$account" = 210987654321 ] || fail "switch: account $account"
say "switch: sw-staging (account $account)"
# exec: the MFA session (cached in the kernel keyring) serves production.
account=$(run exec sw-production -- sh -c 'printf %s "$AWS_ACCOUNT_ID"')
[ "$account" = 111111111111 ] || fail "exec: account $account"
say "exec: sw-production (account $account)"
# credential-process: the document.
doc=$(run credential-process sw-staging)
python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["Version"] == 1 and d["AccessKeyId"].startswith("ASIA"), d' "$doc" \
    || fail "credential-process: $doc"
say "credential-process: version 1 document"
# The kernel keyring cache: STS gone, the switch comes from the cache.
kill "$moto"
wait "$moto" 2>/dev/null || true
account=$(bash -c 'eval "$1"; printf %s "$AWS_ACCOUNT_ID"' _ "$(run sw-staging --shell bash)")
[ "$account" = 210987654321 ] || fail "cache hit: account $account"
say "cache hit from the kernel keyring with STS stopped: ok"
say "all passed"
