#!/usr/bin/env bash
# tools/deps.sh — the Debian packages the build and the tests need (the list
# is .ci/packages), installed when some are missing: through apt as root,
# otherwise a message naming the command to run. `make run`, `make test` and
# .ci/run call it first, so on a fresh Debian machine the README's two
# commands are the whole set-up.
#   tools/deps.sh            check, install what is missing (exit 1 if it cannot)
#   tools/deps.sh --list     print the list
# MONBOT_NO_DEPS=1 skips the check (another distribution, packages by hand).
set -u
cd "$(dirname "$0")/.."
pkgs=$(sed -e 's/#.*//' .ci/packages | tr -s ' \n' ' ')

if [ "${1:-}" = "--list" ]; then
	echo $pkgs
	exit 0
fi
[ "${MONBOT_NO_DEPS:-0}" = 1 ] && exit 0
if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps: not a Debian system; install the equivalents of .ci/packages yourself" \
	     "(MONBOT_NO_DEPS=1 silences this)" >&2
	exit 0
fi

missing() {
	local have
	have=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $pkgs 2>/dev/null |
	       awk '$2=="installed"{print $1}')
	for p in $pkgs; do
		grep -qx "$p" <<<"$have" || echo "$p"
	done
}

need=$(missing | tr '\n' ' ')
[ -z "${need// }" ] && exit 0
echo "deps: missing Debian packages: $need"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root:  apt-get update && apt-get install --no-install-recommends $need" >&2
	echo "deps: (or: sudo tools/deps.sh)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing them with apt-get (a few minutes the first time)"
if ! apt-get update -qq || ! apt-get install -y -qq --no-install-recommends $need >/dev/null; then
	echo "deps: apt-get failed; the packages are: $need" >&2
	exit 1
fi
need=$(missing | tr '\n' ' ')
if [ -n "${need// }" ]; then
	echo "deps: still missing after apt-get: $need" >&2
	exit 1
fi
echo "deps: done"
