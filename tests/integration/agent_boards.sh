#!/usr/bin/env bash
# The cross boards' agents (boards/armhf.mk, arm64.mk, mipsel.mk, mips.mk:
# static musl, the project's mbedTLS configuration) run under qemu-user, as
# they would on the board:
#   - each is fully static for its architecture;
#   - --once prints a sample whose numbers equal the native build's for the
#     same host (qemu-user shows the guest this machine's /proc): RAM total,
#     disks and their totals, cores, host identity. On big-endian mips this
#     is what proves the JSON numbers byte-order clean (64-bit totals on a
#     32-bit big-endian CPU);
#   - board_check (tests/board/board_check.c, built for the board) passes:
#     exact WebSocket frames (7-, 16- and 64-bit lengths, masking) and
#     sample JSON, and no heap allocation in 1000 sampling cycles with
#     every malloc of the static binary counted, the C library's included;
#   - each connects over TLS (pinning) to the real monbot-server, whose
#     database then holds every sample it took (agent_binaries.py): the
#     WebSocket framing and masking as a little-endian server reads them;
#   - each reaches a server offering only the original's TLS 1.2 CBC-SHA
#     suites, with an RSA and an ECDSA certificate (agent_tls_orig.py).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build/native}
PYTHON=${PYTHON:-/usr/bin/python3}
BOARDS=${MONBOT_BOARDS:-armhf arm64 mipsel mips}
fail=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The board's qemu-user command and the architecture uname shows under it.
board_var() { sed -n "s/^$2 := //p" "boards/$1.mk" | head -1; }
declare -A UNAME_M=([armhf]=armv7l [arm64]=aarch64 [mipsel]=mips [mips]=mips)
ref=$("$O/monbot-agent" --once 2>/dev/null)
pairs=() bins=()
for b in $BOARDS; do
	if ! make -s BOARD="$b" SAN=0 agent >"$tmp/build-$b.log" 2>&1; then
		sed 's/^/# /' "$tmp/build-$b.log" | tail -20
		nok "$b: make agent BOARD=$b builds"
		continue
	fi
	ok "$b: make agent BOARD=$b builds"
	bin=$PWD/build/$b/monbot-agent
	if readelf -lW "$bin" | grep -q INTERP || readelf -dW "$bin" 2>/dev/null | grep -q NEEDED; then
		nok "$b: fully static"
	else
		ok "$b: fully static"
	fi
	qemu=$(board_var "$b" BOARD_QEMU)
	command -v "${qemu%% *}" >/dev/null || { nok "$b: ${qemu%% *} installed (tools/deps.sh)"; continue; }
	# The binary as the tests' programs start it: one path.
	w=$tmp/agent-$b
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$bin" >"$w"
	chmod +x "$w"
	out=$("$w" --once 2>"$tmp/once-$b.err")
	rc=$?
	[ $rc -eq 0 ] && ok "$b: --once exits 0 under $qemu" ||
		{ nok "$b: --once exits 0 under $qemu (rc $rc)"; sed 's/^/# /' "$tmp/once-$b.err" | tail -5; }
	"$PYTHON" - "$b" "$out" "$ref" "${UNAME_M[$b]}" <<'PY' || fail=1
import json, sys
b, out, ref, arch = sys.argv[1:5]
def check(c, what):
    print(("ok" if c else "not ok") + " - " + b + ": " + what)
    return c
try:
    a = json.loads(out)
except ValueError as e:
    check(False, "--once prints one JSON sample (%s)" % e)
    sys.exit(1)
r = check(True, "--once prints one JSON sample")
n = json.loads(ref)
r &= check(a["ram_total"] == n["ram_total"] and a["swap_total"] == n["swap_total"],
           "ram_total %d and swap_total equal the native build's" % a["ram_total"])
r &= check([(d["mount"], d["total"]) for d in a["disks"]] == [(d["mount"], d["total"]) for d in n["disks"]],
           "the same disks with the same totals (%s)" % ", ".join(d["mount"] for d in a["disks"]))
r &= check(a["cores"] == n["cores"] and isinstance(a["uptime"], int) and abs(a["uptime"] - n["uptime"]) <= 60,
           "cores and uptime equal the native build's")
h = dict(a["host"])
r &= check(h.pop("arch") == arch, "host arch %s (uname under qemu)" % arch)
hn = dict(n["host"]); hn.pop("arch")
r &= check(h == hn, "host name, OS, kernel and agent version equal the native build's")
r &= check(0 <= a["cpu"] <= 100 and 0 <= a["ram"] <= 100 and len(a["load"]) == 3,
           "cpu and ram percentages and the three load averages")
r &= check(len(a["top_procs"]) >= 1 and all(p["name"] for p in a["top_procs"]), "top processes listed")
sys.exit(0 if r else 1)
PY
	# board_check: the codec and the allocation count, built for the board.
	if make -s BOARD="$b" SAN=0 board-check >"$tmp/bc-$b.log" 2>&1; then
		ok "$b: board_check builds"
		if $qemu "build/$b/tests/board_check" >"$tmp/bc-$b.out" 2>&1; then
			ok "$b: board_check passes ($(grep -c '^ok' "$tmp/bc-$b.out") checks)"
		else
			nok "$b: board_check passes"
			sed 's/^/# /' "$tmp/bc-$b.out" | grep -v '^# ok' | tail -20
		fi
	else
		sed 's/^/# /' "$tmp/bc-$b.log" | tail -20
		nok "$b: board_check builds"
	fi
	pairs+=("$b=$w")
	bins+=("$w" "board-$b")
done
if [ ${#pairs[@]} -gt 0 ]; then
	"$PYTHON" tests/integration/agent_binaries.py "${pairs[@]}" || fail=1
	"$PYTHON" tests/integration/agent_tls_orig.py "${bins[@]}" || fail=1
fi
exit $fail
