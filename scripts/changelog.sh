#!/usr/bin/env bash
# The CHANGELOG.md section of one version (the release notes), or an error when there is
# none or when the version is not Cargo.toml's: the version lives in one place.
#
#   scripts/changelog.sh 0.1.0      (or v0.1.0)
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/changelog.sh VERSION}"
version="${version#v}"
cargo_version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
if [ "$version" != "$cargo_version" ]; then
    echo "changelog: the tag says $version, Cargo.toml says $cargo_version" >&2
    exit 1
fi
section=$(awk -v v="$version" '
    $0 ~ "^## \\[" v "\\]" { found = 1; next }
    found && /^## \[/ { exit }
    found && /^\[[^]]*\]: / { exit }
    found { print }
' CHANGELOG.md)
if [ -z "${section//[[:space:]]/}" ]; then
    echo "changelog: CHANGELOG.md has no section [$version]" >&2
    exit 1
fi
printf '%s\n' "$section"
