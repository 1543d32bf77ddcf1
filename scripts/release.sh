#!/usr/bin/env bash
# A release tarball for one target: the binary, the man page, the completions and the shell
# files, with its SHA-256 beside it. Used by .github/workflows/release.yml on every tag, and
# by the test suite on the binary under test.
#
#   scripts/release.sh TARGET [OUT_DIR]              # build TARGET with cargo, then pack it
#   scripts/release.sh --binary PATH TARGET [OUT]    # pack a binary built elsewhere
#
# The man page, completions and shell files come from the binary itself (`swrole man`,
# `swrole completions`, `swrole init`), so they always match it; for a target this machine
# cannot run (macOS on Linux), SWROLE_GEN names a host binary of the same commit to make them.
# Cross targets are built with cargo-zigbuild when it is installed (SWROLE_ZIGBUILD=0: never).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
if [ "${1-}" = "--binary" ]; then
    binary="$2"
    shift 2
fi
target="${1:?usage: scripts/release.sh [--binary PATH] TARGET [OUT_DIR]}"
out="${2:-dist}"
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
host=$(rustc -vV | awk '/^host:/ { print $2 }')
say() { printf 'release: %s\n' "$*" >&2; }

if [ -z "$binary" ]; then
    build=(cargo build)
    if [ "$target" != "$host" ] && [ "${SWROLE_ZIGBUILD:-1}" != 0 ] && command -v cargo-zigbuild >/dev/null 2>&1; then
        build=(cargo zigbuild)
    fi
    rustup target add "$target" >/dev/null 2>&1 || true
    say "building swrole $version for $target (${build[*]})"
    "${build[@]}" --release --locked --target "$target"
    binary="target/$target/release/swrole"
fi
[ -x "$binary" ] || { say "no binary at $binary"; exit 1; }

gen="${SWROLE_GEN:-$binary}"
if ! "$gen" --version >/dev/null 2>&1; then
    say "$gen cannot run here: set SWROLE_GEN to a host build of the same commit"
    exit 1
fi
gen_version=$("$gen" --version | awk '{ print $2; exit }')
[ "$gen_version" = "$version" ] || { say "$gen is swrole $gen_version, not $version"; exit 1; }

name="swrole-$version-$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir="$work/$name"
mkdir -p "$dir/completions" "$dir/shell"
install -m 0755 "$binary" "$dir/swrole"
"$gen" man > "$dir/swrole.1"
"$gen" completions bash > "$dir/completions/swrole.bash"
"$gen" completions zsh > "$dir/completions/_swrole"
"$gen" completions fish > "$dir/completions/swrole.fish"
for shell in bash zsh fish nu powershell; do
    ext=$shell
    [ "$shell" = powershell ] && ext=ps1
    "$gen" init "$shell" > "$dir/shell/swrole.$ext"
done
cp README.md LICENSE CHANGELOG.md "$dir/"

mkdir -p "$out"
tarball="$out/$name.tar.gz"
# Reproducible: sorted names, no owner, the commit's time.
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$work" -czf "$tarball" "$name"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
say "$tarball ($(du -k "$tarball" | cut -f1) KiB; binary $(du -k "$binary" | cut -f1) KiB)"
printf '%s\n' "$tarball"
