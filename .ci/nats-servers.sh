#!/usr/bin/env bash
# Fetches the newest nats-server of Debian trixie and of sid next to the system's own (bookworm's),
# without upgrading anything: the newer suites are added as a separate deb822 source, pinned below
# the default priority (trixie 100, sid 50) so `apt-get upgrade`/`install` never pick them, and the
# packages are only downloaded (`apt-get download`) and unpacked (`dpkg -x`) into a cache folder.
#
# Usage: .ci/nats-servers.sh CACHE_DIR
# Prints one line per server on stdout: "<suite> <version> <path-to-binary>", oldest first (the
# system's own first). A server that cannot be fetched is reported on stderr with the reason and
# makes the script exit 3 after printing the ones it has (CI fails on it unless
# NATS_MATRIX_ALLOW_MISSING=1 says the missing one is known to be impossible here).
set -euo pipefail

cache="${1:?usage: .ci/nats-servers.sh CACHE_DIR}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

system_bin="$(command -v nats-server || true)"
if [ -z "$system_bin" ]; then
  echo "nats-servers: the system nats-server (bookworm's) is not installed" >&2
  exit 2
fi
system_version="$("$system_bin" --version 2>&1 | sed -E 's/^nats-server: v?//')"
echo "bookworm $system_version $system_bin"

# The same mirrors as the machine's own sources (deb.debian.org by default), without security suites.
own_sources=/etc/apt/sources.list.d/debian.sources
uris="http://deb.debian.org/debian"
keyring="/usr/share/keyrings/debian-archive-keyring.gpg"
if [ -f "$own_sources" ]; then
  first_uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$own_sources")"
  [ -n "$first_uri" ] && uris="$first_uri"
  own_key="$(awk '/^Signed-By:/ { print $2; exit }' "$own_sources")"
  [ -n "$own_key" ] && keyring="$own_key"
fi

sources=/etc/apt/sources.list.d/synos-nats-matrix.sources
prefs=/etc/apt/preferences.d/synos-nats-matrix
$SUDO tee "$sources" >/dev/null <<SRC
# Added by Syn_OS Control Center CI (.ci/nats-servers.sh): newer suites only to download nats-server.
Types: deb
URIs: $uris
Suites: trixie sid
Components: main
Signed-By: $keyring
SRC
$SUDO tee "$prefs" >/dev/null <<PREF
# Added by Syn_OS Control Center CI (.ci/nats-servers.sh): never install or upgrade from these suites.
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 50
PREF

missing=0
if ! $SUDO apt-get update -qq -o Dir::Etc::sourcelist="$sources" -o Dir::Etc::sourceparts="-" \
  -o APT::Get::List-Cleanup="0" >"$cache/apt-update.log" 2>&1; then
  echo "nats-servers: apt-get update of trixie/sid failed (see below); cannot fetch the newer servers" >&2
  tail -5 "$cache/apt-update.log" >&2
  exit 3
fi

for suite in trixie sid; do
  work="$cache/$suite.download"
  rm -rf "$work" && mkdir -p "$work"
  if ! (cd "$work" && apt-get download -qq "nats-server/$suite" >"$cache/$suite.download.log" 2>&1); then
    echo "nats-servers: MISSING: apt-get download nats-server/$suite failed:" >&2
    tail -3 "$cache/$suite.download.log" >&2
    missing=1
    continue
  fi
  deb="$(ls "$work"/nats-server_*.deb)"
  version="$(dpkg-deb -f "$deb" Version)"
  dir="$cache/$suite-$version"
  rm -rf "$dir"
  dpkg -x "$deb" "$dir"
  rm -rf "$work"
  bin="$(find "$dir" -type f -name nats-server -perm -u+x | head -1)"
  if [ -z "$bin" ] || ! real="$("$bin" --version 2>&1)"; then
    echo "nats-servers: MISSING: nats-server from $suite ($version) does not run here: ${real:-no binary in the package}" >&2
    missing=1
    continue
  fi
  echo "$suite $(echo "$real" | sed -E 's/^nats-server: v?//') $bin"
done

[ "$missing" -eq 0 ] || exit 3
