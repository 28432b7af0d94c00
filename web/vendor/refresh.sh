#!/usr/bin/env bash
# Refresh the vendored third-party files in web/vendor/ from pinned npm package versions.
# Usage: web/vendor/refresh.sh            (run from anywhere; needs npm and tar)
# Bump the version below deliberately, run this, review the diff, update README.md.
set -euo pipefail

SOCKET_IO_CLIENT_VERSION="4.8.3"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fetch() {
  # fetch NAME VERSION -> extracts the package into $tmp/NAME/package
  local name="$1" version="$2"
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && npm pack --silent "${name}@${version}" >/dev/null)
  tar -xzf "$tmp/$name"/*.tgz -C "$tmp/$name"
  local got
  got="$(node -p "require('$tmp/$name/package/package.json').version")"
  if [[ "$got" != "$version" ]]; then
    echo "expected $name@$version, got $got" >&2
    exit 1
  fi
}

fetch socket.io-client "$SOCKET_IO_CLIENT_VERSION"
dest="$here/socket.io-client"
mkdir -p "$dest"
cp "$tmp/socket.io-client/package/dist/socket.io.esm.min.js" "$dest/socket.io.esm.min.js"
cp "$tmp/socket.io-client/package/dist/socket.io.esm.min.js.map" "$dest/socket.io.esm.min.js.map"
cp "$tmp/socket.io-client/package/LICENSE" "$dest/LICENSE"

# The ESM build must be self-contained: no import statements pointing at other files.
if grep -Eq '(^|[;}])\s*import[ {*]|from"[^"]+"|from\s+"' "$dest/socket.io.esm.min.js"; then
  echo "warning: socket.io.esm.min.js seems to import other modules; check it" >&2
  exit 1
fi

echo "socket.io-client $SOCKET_IO_CLIENT_VERSION vendored into $dest"
(cd "$dest" && sha256sum socket.io.esm.min.js socket.io.esm.min.js.map LICENSE)
