#!/usr/bin/env bash
# Golden charts: fixed inputs rendered by monbot-chart must hash to
# tests/golden/chart.sha256, so an unintended change to any pixel (or to the
# encoder) is caught. When a change is intended: `make chart-golden`, look at
# the new pictures, commit the hashes. Mismatches are kept for inspection.
#   chart_golden.sh [--update]
set -u
O=${O:-build/native}
PY=${PYTHON:-python3}
BIN=$O/monbot-chart
G=tests/golden/chart.sha256
D=$O/test-tmp/chart-golden
KEEP=$O/test-logs/chart-golden
rm -rf "$D" && mkdir -p "$D"
for s in day tenmin week stability; do "$PY" tests/integration/chart_gen.py $s "$D/$s.csv"; done
E="--utc-offset 0"
render() { # name, args...
	local name=$1; shift
	"$BIN" "$@" $E --out "$D/$name.png" >/dev/null 2>"$D/$name.err" || echo "render failed" >>"$D/$name.err"
}
render cpu-24h --csv "$D/day.csv" --kind cpu --range 24h --host web-1
render net-24h --csv "$D/day.csv" --kind net --range 24h --host web-1
render all-24h-ru --csv "$D/day.csv" --kind all --range 24h --host "сервер-Москва" --lang ru
render cpu-10m-gap --csv "$D/tenmin.csv" --kind cpu --range 10m --host web-1
render stability --csv "$D/stability.csv" --kind stability --host web-1
render plot-mem-mib --csv "$D/day.csv" --plot "ram;vram" --unit mb --range 24h
render all-7d-1200 --csv "$D/week.csv" --kind all --range 7d --size 1200x600
names="cpu-24h net-24h all-24h-ru cpu-10m-gap stability plot-mem-mib all-7d-1200"

if [ "${1:-}" = --update ]; then
	mkdir -p "$(dirname "$G")"
	: >"$G.tmp"
	for nm in $names; do
		[ -s "$D/$nm.err" ] && { cat "$D/$nm.err"; exit 1; }
		(cd "$D" && sha256sum "$nm.png") >>"$G.tmp"
	done
	mv "$G.tmp" "$G"
	echo "rewrote $G; the pictures are in $D"
	exit 0
fi
i=0
for nm in $names; do
	i=$((i + 1))
	want=$(awk -v f="$nm.png" '$2 == f {print $1}' "$G" 2>/dev/null)
	got=$(cd "$D" && sha256sum "$nm.png" 2>/dev/null | cut -d' ' -f1)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		echo "ok $i - golden $nm"
	else
		mkdir -p "$KEEP" && cp "$D/$nm.png" "$KEEP/" 2>/dev/null
		echo "not ok $i - golden $nm (got ${got:-nothing}, want ${want:-nothing}; kept in $KEEP;"
		echo "# if the change is intended: make chart-golden)"
		[ -s "$D/$nm.err" ] && sed 's/^/# /' "$D/$nm.err"
	fi
done
echo "1..$i"
