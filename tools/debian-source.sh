#!/usr/bin/env bash
# Prints the path of a Debian source package's upstream tarball in
# build/src/, fetching the package first if it is not there: through a
# private apt configuration (deb-src of the archive this machine uses; the
# system's own configuration is not touched). build/src/ is never
# committed. Used by tools/build-mbedtls.sh and tools/build-musl.sh.
#   tools/debian-source.sh <source package>     e.g. mbedtls, musl
set -euo pipefail
pkg=$1
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/build/src
mkdir -p "$src"
tarball=$(ls "$src/${pkg}"_*.orig.tar.gz 2>/dev/null | head -n 1 || true)
if [ -z "$tarball" ]; then
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
	apt=$src/apt
	mkdir -p "$apt/lists/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" >"$apt/sources.list"
	opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	      -o Dir::State::Lists="$apt/lists" -o Debug::NoDropPrivs=1)
	# one index for every package fetched here
	[ -n "$(ls "$apt/lists" 2>/dev/null | grep -v partial)" ] || apt-get "${opts[@]}" -qq update >&2
	(cd "$src" && apt-get "${opts[@]}" -qq source --download-only "$pkg" >/dev/null 2>&1) ||
		{ echo "debian-source: cannot fetch the source of $pkg" >&2; exit 1; }
	tarball=$(ls "$src/${pkg}"_*.orig.tar.gz | head -n 1)
fi
echo "$tarball"
