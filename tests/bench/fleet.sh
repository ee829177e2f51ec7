#!/usr/bin/env bash
# Fleet collector rows of `make bench` (issue 16): CPU per cycle of each
# collector alone with its source absent (one attempt every cycle; the agent
# rests an absent source for a minute or more, so it pays this far less
# often), and of the Docker collector against 50 running containers.
# Targets: <= 100 µs absent, <= 1 ms with 50 containers. Median of three
# runs of $O/tests/fleet_bench (this thread's CPU time, the fake engine's
# thread not counted; wall time beside it).
set -u
: "${O:?O=<build folder>}"
cd "$(dirname "$0")/../.." || exit 1
BENCH=$O/tests/fleet_bench
[ -x "$BENCH" ] || { echo "| fleet bench | FAILED | $BENCH not built (make bench builds it) |"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kv() { sed -n "s/^$1=//p" "$2" | head -1; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f µs", n / 1000 }'; }

row() { # label, target_ns, note, args...
	local label=$1 target=$2 note=$3 runs=() i med f
	shift 3
	for i in 1 2 3; do
		"$BENCH" "$@" >"$tmp/r.$i" || { echo "| $label | FAILED | fleet_bench $* |"; return 1; }
		runs+=("$(kv cpu_ns "$tmp/r.$i")")
	done
	med=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
	f=$tmp/r.1
	for i in 1 2 3; do [ "$(kv cpu_ns "$tmp/r.$i")" = "$med" ] && f=$tmp/r.$i; done
	note=${note//@bytes@/$(kv bytes "$f")}
	local verdict=within
	[ "$med" -le "$target" ] || verdict=OVER
	echo "| $label | $(us "$med") | $verdict the $(us "$target") target; wall $(us "$(kv wall_ns "$f")"); $note |"
}
row "fleet: Docker, no socket" 100000 "connect(2) to a missing Unix socket" absent docker 2000
row "fleet: NUT, nothing on 3493" 100000 "a refused loopback connect" absent nut 2000
row "fleet: apcupsd, nothing on 3551" 100000 "a refused loopback connect" absent apcupsd 2000
row "fleet: textfile, no directory" 100000 "open(2) of a missing directory" absent textfile 2000
row "fleet: failed units, no busctl" 100000 "busctl searched on a PATH of three folders" absent units 2000
row "fleet: SMART, no drives" 100000 "an empty /sys/class/nvme and /sys/block" absent smart 2000
row "fleet: Docker, 50 running containers" 1000000 "list + 50 one-shot stats over the socket, pipelined on one connection, fleet JSON @bytes@ bytes" docker50 200

# The router board with every collector in (its default leaves them out:
# boards/mips.mk), in a build folder of its own; boards_bench.py gives the
# defaults (x86_64 has them all).
if [ "${FLEET_BOARD_SIZE:-1}" = 1 ]; then
	mo=build/mips-fleet-all
	if make --no-print-directory BOARD=mips BOARD_FLEET=all SAN=0 O=$mo agent >"$tmp/mips.log" 2>&1 &&
	   mips-linux-gnu-strip -o "$tmp/mips-agent" $mo/monbot-agent; then
		sz=$(stat -c %s "$tmp/mips-agent")
		v=within
		[ "$sz" -le $((250 * 1024)) ] || v=OVER
		echo "| agent, BOARD=mips BOARD_FLEET=all, stripped | $((sz / 1024)) KiB ($sz bytes) | $v the 250 KB target (boards/mips.mk builds BOARD_FLEET=none by default) |"
	else
		echo "| agent, BOARD=mips BOARD_FLEET=all | FAILED | $(tail -1 "$tmp/mips.log") |"
	fi
fi
