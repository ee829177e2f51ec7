#!/usr/bin/env bash
# Unpacks a Debian architecture's libraries for the cross-built server
# (boards/server-cross.mk) into build/sysroot-<arch>/root, as
# ../shared/TOOLCHAINS.md describes: a private apt configuration resolves
# and downloads the -dev packages with everything they depend on (the
# machine's own apt state and architectures untouched), dpkg -x unpacks
# them. The archive is the one this machine's apt uses. Once per arch: a
# stamp names the package list.
#   tools/server-sysroot.sh arm64|armhf
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:?usage: tools/server-sysroot.sh <debian arch>}
PKGS="libc6-dev libsqlite3-dev libcurl4-openssl-dev libmariadb-dev libmbedtls-dev"
A=$PWD/build/sysroot-$ARCH
[ "$(cat "$A/stamp" 2>/dev/null)" = "$PKGS" ] && exit 0
M=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$M" ] || M=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)
rm -rf "$A"
mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
echo "deb [arch=$ARCH signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $M bookworm main" >"$A/sources.list"
O=(-o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH" -o "Dir::Etc::SourceList=$A/sources.list"
	-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
	-o Dir::State::status=/dev/null -o Debug::NoLocking=1)
apt-get "${O[@]}" -qq update
# nothing counts as installed (status /dev/null): the whole closure comes
apt-get "${O[@]}" -qq install --download-only -y --no-install-recommends $PKGS >/dev/null
for d in "$A"/cache/archives/*.deb; do dpkg -x "$d" "$A/root"; done
echo "$PKGS" >"$A/stamp"
