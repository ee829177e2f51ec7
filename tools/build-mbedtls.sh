#!/usr/bin/env bash
# Builds mbedTLS's static libraries from Debian's source package for a C
# compiler whose C library differs from the system's (musl, mingw): Debian's
# own .a files are built for glibc and their structures differ
# (TOOLCHAINS.md). The source comes through tools/debian-source.sh into
# build/src/ (never committed).
#   [MBEDTLS_CONFIG=<header>] [MBEDTLS_CFLAGS=<flags>] tools/build-mbedtls.sh <out-dir> <cc> [<ar>] [extra make args...]
# MBEDTLS_CONFIG: a configuration header replacing mbedTLS's default (a path
# from the top of the tree, the same MBEDTLS_CONFIG_FILE that the Makefile
# gives the objects that include mbedTLS's headers). MBEDTLS_CFLAGS: the
# compiler flags (default -O2, the library's own). MBEDTLS_USER_CONFIG: a
# header added on top of the default configuration instead
# (MBEDTLS_USER_CONFIG_FILE, the native builds: wire/mbedtls_host_config.h).
# Leaves <out-dir>/include and <out-dir>/library/libmbed{crypto,x509,tls}.a.
set -euo pipefail
out=$1 cc=$2 ar=${3:-ar}
shift $(( $# >= 3 ? 3 : 2 ))
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$("$top/tools/debian-source.sh" mbedtls)
rm -rf "$out"
mkdir -p "$out"
tar xzf "$tarball" -C "$out" --strip-components=1
cflags=${MBEDTLS_CFLAGS:--O2}
if [ -n "${MBEDTLS_CONFIG:-}" ]; then
	[ -f "$top/$MBEDTLS_CONFIG" ] || { echo "build-mbedtls: no $top/$MBEDTLS_CONFIG" >&2; exit 1; }
	# the library's make passes CFLAGS to the shell unquoted: \" keeps the
	# quotes of the file name for the compiler
	cflags="$cflags -idirafter $top -DMBEDTLS_CONFIG_FILE=\\\"$MBEDTLS_CONFIG\\\""
fi
if [ -n "${MBEDTLS_USER_CONFIG:-}" ]; then
	[ -f "$top/$MBEDTLS_USER_CONFIG" ] || { echo "build-mbedtls: no $top/$MBEDTLS_USER_CONFIG" >&2; exit 1; }
	cflags="$cflags -idirafter $top -DMBEDTLS_USER_CONFIG_FILE=\\\"$MBEDTLS_USER_CONFIG\\\""
fi
make -s -C "$out/library" -j"$(nproc)" CC="$cc" AR="$ar" CFLAGS="$cflags" "$@" libmbedcrypto.a libmbedx509.a libmbedtls.a >/dev/null
echo "mbedTLS $(basename "$tarball" .orig.tar.gz) built with $cc in $out${MBEDTLS_CONFIG:+ ($MBEDTLS_CONFIG)}${MBEDTLS_USER_CONFIG:+ (default + $MBEDTLS_USER_CONFIG)}"
