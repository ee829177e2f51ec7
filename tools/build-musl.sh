#!/usr/bin/env bash
# Builds musl (static only) from Debian's source package for a board's
# triplet, with a gcc wrapper that compiles and links against it: the boards
# whose agent is one static musl binary (boards/musl-cross.mk). One recipe
# for every board: Debian ships musl-dev for amd64, armhf, arm64 and mipsel
# but not for big-endian mips, its binary packages are built from this same
# source (1.2.3-1 carries no Debian patches) and compiled for speed, while a
# board wants it for size (-Os: 20 KiB less in the x86_64 agent). Building
# it here gives the same library, without a per-architecture package index,
# by the same steps for every board (about 20 s each on 2 cores). The source
# comes through tools/debian-source.sh into build/src/ (never committed).
#   tools/build-musl.sh <out-dir> <triplet> [<cflags>]
# Leaves <out-dir>/include, <out-dir>/lib/libc.a and <out-dir>/bin/musl-gcc
# (the wrapper: <triplet>-gcc with musl's specs file).
set -euo pipefail
out=$1 triplet=$2 cflags=${3:--Os}
top=$(cd "$(dirname "$0")/.." && pwd)
command -v "$triplet-gcc" >/dev/null || { echo "build-musl: no $triplet-gcc (tools/deps.sh installs it)" >&2; exit 1; }
tarball=$("$top/tools/debian-source.sh" musl)
work=$out.src
rm -rf "$out" "$work"
mkdir -p "$work"
tar xzf "$tarball" -C "$work" --strip-components=1
# Debian's patches, if the package carries any (debian/patches/series).
deb=$(ls "${tarball%.orig.tar.gz}"-*.debian.tar.xz 2>/dev/null | head -n 1 || true)
if [ -n "$deb" ]; then
	tar xJf "$deb" -C "$work"
	if [ -f "$work/debian/patches/series" ]; then
		grep -v '^#' "$work/debian/patches/series" | while read -r p; do
			[ -n "$p" ] && patch -d "$work" -p1 -s <"$work/debian/patches/$p"
		done
	fi
fi
(cd "$work" && ./configure --target="$triplet" CROSS_COMPILE="$triplet-" --prefix="$out" \
	--disable-shared --enable-wrapper=gcc CFLAGS="$cflags" >/dev/null &&
 make -s -j"$(nproc)" >/dev/null 2>&1 && make -s install >/dev/null 2>&1) ||
	{ echo "build-musl: building musl for $triplet failed (in $work)" >&2; exit 1; }
# The wrapper calls the cross gcc, not the system's.
sed -i "s|^exec \"\${REALGCC:-[^}]*}\"|exec \"\${REALGCC:-$triplet-gcc}\"|" "$out/bin/musl-gcc"
grep -q "$triplet-gcc" "$out/bin/musl-gcc" || { echo "build-musl: wrapper not set for $triplet" >&2; exit 1; }
rm -rf "$work"
echo "musl $(basename "$tarball" .orig.tar.gz) built for $triplet in $out"
