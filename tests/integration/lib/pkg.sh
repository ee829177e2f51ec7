# pkg.sh — sourced by the pkg_*.sh integration scripts: TAP output and the
# packages built by tools/packages.sh into the test's own folder (from the
# board builds make test made; the Windows .exe is built when missing).
set -u
: "${O:?O=<build folder> must be set}"
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cd "$ROOT"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/monbot-pkg-test.XXXXXX")
CLEANUP=()
cleanup() {
	local c
	for c in "${CLEANUP[@]}"; do eval "$c" || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); echo "not ok $TAP_N - $*"; TAP_FAILED=1; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP ${2:-}"; }
diag() { sed 's/^/# /'; }
check() { # description, command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
finish() { echo "1..$TAP_N"; exit "$TAP_FAILED"; }

# build_packages <out dir> [VERSION]: tools/packages.sh into <out dir>
build_packages() {
	local out=$1 v=${2:-}
	if [ ! -f build/windows-x64/monbot-agent.exe ]; then
		make -s --no-print-directory BOARD=windows-x64 SAN=0 agent >"$TMP/make-win.log" 2>&1 ||
			{ diag <"$TMP/make-win.log"; return 1; }
	fi
	for b in x86_64 armhf arm64 mipsel mips; do
		[ -f "build/$b/monbot-agent" ] ||
			make -s --no-print-directory BOARD=$b SAN=0 agent >"$TMP/make-$b.log" 2>&1 ||
			{ diag <"$TMP/make-$b.log"; return 1; }
	done
	env PKG_OUT="$out" NATIVE_O="$O" ${v:+VERSION="$v"} tools/packages.sh >"$TMP/packages.log" 2>&1 ||
		{ diag <"$TMP/packages.log"; return 1; }
}

# build_cross_servers: the arm64 and armhf servers (boards/server-cross.mk)
# against their libraries from Debian's archive (tools/server-sysroot.sh,
# once; the builds are then incremental)
build_cross_servers() {
	local a
	for a in arm64 armhf; do
		tools/server-sysroot.sh "$a" >"$TMP/sysroot-$a.log" 2>&1 &&
			make -s --no-print-directory BOARD=server-$a SAN=0 "build/server-$a/monbot-server" \
				>"$TMP/make-server-$a.log" 2>&1 ||
			{ diag <"$TMP/sysroot-$a.log"; diag <"$TMP/make-server-$a.log" 2>/dev/null; return 1; }
	done
}
