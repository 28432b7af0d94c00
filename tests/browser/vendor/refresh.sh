#!/usr/bin/env bash
# Re-download the vendored axe-core (used by tests/browser/test_accessibility.py only; the app
# never serves it) from the npm registry and check it against the pin in axe-core/PIN.
# Usage: tests/browser/vendor/refresh.sh            re-fetch the pinned version, check its hash
#        tests/browser/vendor/refresh.sh 4.15.0     fetch another version, re-pin it (review!)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/axe-core"
read -r pinned_version pinned_sha256 < "$dest/PIN"
version="${1:-$pinned_version}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm checks the tarball against the registry's integrity hash as it downloads it.
(cd "$tmp" && npm pack --silent "axe-core@${version}" >/dev/null)
tar -xzf "$tmp"/axe-core-*.tgz -C "$tmp"
got="$(node -p "require('$tmp/package/package.json').version")"
if [[ "$got" != "$version" ]]; then
  echo "expected axe-core@$version, got $got" >&2
  exit 1
fi
sha256="$(sha256sum "$tmp/package/axe.min.js" | cut -d' ' -f1)"
if [[ "$version" == "$pinned_version" && "$sha256" != "$pinned_sha256" ]]; then
  echo "axe-core@$version axe.min.js has sha256 $sha256, the pin says $pinned_sha256" >&2
  exit 1
fi
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$tmp/package/LICENSE-3RD-PARTY.txt" "$dest/"
echo "$version $sha256" > "$dest/PIN"
echo "axe-core $version vendored into $dest (axe.min.js sha256 $sha256)"
