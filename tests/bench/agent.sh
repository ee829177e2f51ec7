#!/usr/bin/env bash
# Agent rows of `make bench`: static stripped size, CPU time per sample
# without and with the process scan, peak RSS of --once and of 1000 cycles.
# Targets on the reference machine: <= 50 us per sample without the process
# scan, <= 1 ms with it, RSS <= 1 MiB. CPU figures are the median of three
# runs of $O/tests/agent_bench (the agent's own objects; CPU time from
# CLOCK_PROCESS_CPUTIME_ID). Peak RSS is VmHWM of the process's own address
# space (see agent_bench.c for why not ru_maxrss).
set -u
: "${O:?O=<build folder>}"
cd "$(dirname "$0")/../.." || exit 1
BENCH=$O/tests/agent_bench
BENCH_STATIC=$O/tests/agent_bench.static
AGENT=$O/monbot-agent
AGENT_STATIC=$O/static-agent/monbot-agent
STRIP=${STRIP:-strip}
for f in "$BENCH" "$BENCH_STATIC" "$AGENT" "$AGENT_STATIC"; do
	[ -x "$f" ] || { echo "| agent bench | FAILED | $f not built (make bench builds it) |"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kv() { sed -n "s/^$1=//p" "$2" | head -1; } # key, file
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
us() { awk -v n="$1" 'BEGIN { printf "%.1f µs", n / 1000 }'; }

# ---- size ----------------------------------------------------------------------
"$STRIP" -o "$tmp/agent-static" "$AGENT_STATIC"
"$STRIP" -o "$tmp/agent-dynamic" "$AGENT"
s_static=$(stat -c %s "$tmp/agent-static")
s_dyn=$(stat -c %s "$tmp/agent-dynamic")
echo "| agent, static glibc, stripped | $(kib "$s_static") ($s_static bytes) | make agent STATIC=1 (TLS included); the native dynamic build stripped: $(kib "$s_dyn") |"
# The boards' sizes (BOARD=x86_64 and the cross boards): boards_bench.py.
AGENT_MUSL=build/x86_64/monbot-agent

# ---- CPU per sample ------------------------------------------------------------
cpu_row() { # label, mode, N, target_ns, note
	local label=$1 mode=$2 n=$3 target=$4 note=$5 runs=() i
	for i in 1 2 3; do
		"$BENCH" "$mode" "$n" >"$tmp/$mode.$i" || { echo "| $label | FAILED | agent_bench $mode |"; return 1; }
		runs+=("$(kv cpu_ns "$tmp/$mode.$i")")
	done
	local med
	med=$(median3 "${runs[@]}")
	local f=$tmp/$mode.1
	for i in 1 2 3; do [ "$(kv cpu_ns "$tmp/$mode.$i")" = "$med" ] && f=$tmp/$mode.$i; done
	local verdict="within"
	[ "$med" -le "$target" ] || verdict="OVER"
	echo "| $label | $(us "$med") | $verdict the $(us "$target") target; user $(kv user_us "$f") µs + sys $(kv sys_us "$f") µs (getrusage); median of 3 runs of $n${note:+; $note$(kv nprocs "$f") processes on this host} |"
}
cpu_row "CPU per sample, no process scan" plain 5000 50000 ""
cpu_row "CPU per full sample, with process scan" full 500 1000000 \
	"process baseline + sample with top 5 = two scans of /proc with "

# ---- peak RSS ------------------------------------------------------------------
rss_row() { # label, file with hwm/anon/file, note
	local hwm anon file verdict=within
	hwm=$(kv hwm_kib "$2")
	anon=$(kv anon_kib "$2")
	file=$(kv file_kib "$2")
	[ -n "$hwm" ] || { echo "| $1 | FAILED | no VmHWM (ptrace not permitted?) |"; return 1; }
	[ "$hwm" -le 1024 ] || verdict=OVER
	echo "| $1 | $hwm KiB | $verdict the 1 MiB target; at exit $anon KiB anonymous + $file KiB file pages; $3 |"
}
"$BENCH" exec "$AGENT" --once >"$tmp/once-dyn" 2>&1
"$BENCH" exec "$AGENT_STATIC" --once >"$tmp/once-static" 2>&1
"$BENCH" mixed 1000 >"$tmp/cycles-dyn"
"$BENCH_STATIC" mixed 1000 >"$tmp/cycles-static"
# Floors: a C program that does nothing, linked the same two ways.
printf 'int main(void) { return 0; }\n' >"$tmp/nothing.c"
floor=""
if ${CC:-cc} -O2 -o "$tmp/nothing" "$tmp/nothing.c" 2>/dev/null &&
	${CC:-cc} -O2 -static -o "$tmp/nothing-static" "$tmp/nothing.c" 2>/dev/null; then
	"$BENCH" exec "$tmp/nothing" >"$tmp/nothing.out" 2>&1
	"$BENCH" exec "$tmp/nothing-static" >"$tmp/nothing-static.out" 2>&1
	floor="an empty C program: $(kv hwm_kib "$tmp/nothing.out") KiB dynamic, $(kv hwm_kib "$tmp/nothing-static.out") KiB static"
fi
rss_row "peak RSS, --once, dynamic" "$tmp/once-dyn" "$floor"
rss_row "peak RSS, --once, static" "$tmp/once-static" "make agent STATIC=1 (glibc)"
if [ -x "$AGENT_MUSL" ]; then
	"$BENCH" exec "$AGENT_MUSL" --once >"$tmp/once-musl" 2>&1
	rss_row "peak RSS, --once, BOARD=x86_64 (musl)" "$tmp/once-musl" "static musl"
fi
rss_row "peak RSS, 1000 cycles, dynamic" "$tmp/cycles-dyn" "agent_bench mixed 1000 (every 10th cycle full), the agent's sampling objects"
rss_row "peak RSS, 1000 cycles, static" "$tmp/cycles-static" "the same, linked statically"
exit 0
