#!/usr/bin/env bash
# Windows agent rows of `make bench`: monbot-agent.exe's stripped size
# (target <= 400 KB with TLS) and, as a rough figure, its RSS under wine
# during --once: the peak VmHWM of the wine process that runs the .exe,
# which includes wine's own ntdll, kernel32 and the rest of its Win32 DLLs
# (a real Windows counts those as shared), and its anonymous part. Builds
# the .exe (make agent BOARD=windows-x64) when missing.
set -u
cd "$(dirname "$0")/../.." || exit 1
EXE=build/windows-x64/monbot-agent.exe
WINE=/usr/lib/wine/wine64
make -s BOARD=windows-x64 SAN=0 agent >/dev/null 2>&1 || { echo "| agent, windows-x64 | FAILED | make agent BOARD=windows-x64 |"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
x86_64-w64-mingw32-strip -o "$tmp/agent.exe" "$EXE"
s=$(stat -c %s "$tmp/agent.exe")
verdict=$([ "$s" -le 409600 ] && echo "within" || echo "OVER")
echo "| agent, BOARD=windows-x64 (.exe), stripped | $(awk -v b="$s" 'BEGIN { printf "%.0f KiB", b / 1024 }') ($s bytes) | static mingw-w64, mbedTLS with the agent's configuration; $verdict the 400 KB target |"
if [ ! -x "$WINE" ]; then
	echo "| agent, windows-x64, RSS under wine | SKIPPED | $WINE is not installed |"
	exit 0
fi
export WINEPREFIX=$PWD/build/windows-x64/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
"$WINE" "$EXE" --once >/dev/null 2>&1 # a first start builds the prefix
"$WINE" "$EXE" --once >/dev/null 2>"$tmp/err" &
pid=$!
hwm=0 anon=0
while kill -0 "$pid" 2>/dev/null; do
	h=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null)
	a=$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status 2>/dev/null)
	[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	[ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
	sleep 0.05
done
wait "$pid"
rc=$?
/usr/lib/wine/wineserver -k >/dev/null 2>&1
[ "$rc" -eq 0 ] && [ "$hwm" -gt 0 ] || { echo "| agent, windows-x64, RSS under wine | FAILED | --once exit $rc |"; exit 1; }
echo "| agent, windows-x64, peak RSS under wine (--once) | $((hwm / 1024)) MiB | rough: wine's own DLLs included; anonymous $((anon / 1024)) MiB (wine $("$WINE" --version 2>/dev/null)) |"
