#!/usr/bin/env bash
# BOARD=x86_64 builds a fully static musl agent (mbedTLS built from Debian's
# source for musl) that samples this machine like the native build; it and
# the STATIC=1 glibc agent store samples through the real server
# (agent_binaries.py).
set -u
cd "$(dirname "$0")/../.."
fail=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fail=1; }
if ! make -s BOARD=x86_64 SAN=0 agent >/tmp/board-x86_64.log 2>&1; then
	tail -20 /tmp/board-x86_64.log
	nok "make agent BOARD=x86_64 builds"
	exit 1
fi
ok "make agent BOARD=x86_64 builds"
bin=build/x86_64/monbot-agent
if readelf -l "$bin" | grep -q INTERP || readelf -d "$bin" 2>/dev/null | grep -q NEEDED; then
	nok "the board binary is fully static"
else
	ok "the board binary is fully static"
fi
# The board's own checks (tests/board/board_check.c): frames, JSON, and no
# allocation per cycle with every malloc of the static link counted.
if make -s BOARD=x86_64 SAN=0 board-check >/tmp/board-x86_64-check.log 2>&1 &&
	build/x86_64/tests/board_check >/tmp/board-x86_64-check.out 2>&1; then
	ok "board_check passes on the musl build ($(grep -c '^ok' /tmp/board-x86_64-check.out) checks)"
else
	sed 's/^/# /' /tmp/board-x86_64-check.log /tmp/board-x86_64-check.out 2>/dev/null | grep -v '^# ok' | tail -20
	nok "board_check passes on the musl build"
fi
out=$("$bin" --once 2>/dev/null)
ref=$("$O/monbot-agent" --once 2>/dev/null)
"$PYTHON" - "$out" "$ref" <<'PY' || fail=1
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def check(c, what):
    print(("ok" if c else "not ok") + " - " + what)
    return c
r = check(a["ram_total"] == b["ram_total"], "musl agent: ram_total equals the native build's")
r &= check([d["mount"] for d in a["disks"]] == [d["mount"] for d in b["disks"]] and
           [d["total"] for d in a["disks"]] == [d["total"] for d in b["disks"]],
           "musl agent: the same disks and totals")
r &= check(a["cores"] == b["cores"] and a["host"] == {**b["host"]}, "musl agent: cores and host")
r &= check(len(a["top_procs"]) >= 1, "musl agent: top processes listed")
sys.exit(0 if r else 1)
PY
if ! make -s STATIC=1 SAN=0 agent >/tmp/static-agent.log 2>&1; then
	tail -20 /tmp/static-agent.log
	nok "make agent STATIC=1 builds"
	exit 1
fi
ok "make agent STATIC=1 builds"
"$PYTHON" tests/integration/agent_binaries.py "musl=$bin" "static=build/native-static/monbot-agent" || fail=1
exit $fail
