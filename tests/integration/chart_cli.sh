#!/usr/bin/env bash
# monbot-chart end to end: every kind from CSV files, the CLI's exit codes and
# messages (no data, bad sizes, mixed units, bad CSV, --key without storage),
# and that each PNG is well-formed (chunk CRCs, IDAT inflates to the rows).
set -u
O=${O:-build/native}
PY=${PYTHON:-python3}
BIN=$O/monbot-chart
D=$O/test-tmp/chart-cli
rm -rf "$D" && mkdir -p "$D"
n=0
t() { # name, expected exit, then the command; output kept in $D/out
	local name=$1 want=$2; shift 2
	n=$((n + 1))
	"$@" >"$D/out" 2>&1
	local rc=$?
	if [ "$rc" -eq "$want" ]; then echo "ok $n - $name"; else
		echo "not ok $n - $name (exit $rc, want $want)"; sed 's/^/# /' "$D/out"; fi
}
check() { # name, then a shell condition
	local name=$1; shift
	n=$((n + 1))
	if eval "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; sed 's/^/# /' "$D/out"; fi
}
png_ok() { "$PY" tests/integration/chart_png_check.py "$1"; }

for s in day tenmin stability nogpu; do "$PY" tests/integration/chart_gen.py $s "$D/$s.csv"; done

t "--help" 0 "$BIN" --help
check "--help names the kinds" 'grep -q "cpu|ram|gpu|vram" "$D/out"'
for k in cpu ram gpu vram net all ram_used; do
	t "kind $k renders" 0 "$BIN" --csv "$D/day.csv" --kind $k --range 24h --out "$D/$k.png" --utc-offset 0
	check "kind $k is a well-formed 1600x800 PNG" '[ "$(png_ok "$D/$k.png")" = 1600x800 ]'
done
t "net picks best_unit" 0 "$BIN" --csv "$D/day.csv" --kind net --out "$D/net.png"
want=$("$PY" - "$D/day.csv" <<'PY'
import csv, sys
m = 0.0
for r in csv.DictReader(open(sys.argv[1])):
    for k in ("net_up", "net_down"):
        if r[k]:
            m = max(m, float(r[k]))
bits, i = m * 8, 0
names = ["bit", "Kbit", "Mbit", "Gbit", "Tbit", "Pbit"]
while i < 5 and bits >= 1000:
    bits /= 1000; i += 1
print(names[i] + "/s")
PY
)
check "net unit is $want" 'grep -q "y in $want\$" "$D/out"'
t "size option" 0 "$BIN" --csv "$D/day.csv" --kind cpu --size 800x400 --out "$D/small.png"
check "size 800x400 in the file" '[ "$(png_ok "$D/small.png")" = 800x400 ]'
t "/plot ram in mb" 0 "$BIN" --csv "$D/day.csv" --plot "ram;vram" --unit mb --out "$D/plot.png"
check "/plot unit MiB" 'grep -q "y in MiB$" "$D/out"'
t "/plot with a limit" 0 "$BIN" --csv "$D/day.csv" --plot "cpu;gpu" --limit 50 --out "$D/plot2.png"
t "/plot mixed units fails" 2 "$BIN" --csv "$D/day.csv" --plot "cpu;net" --out "$D/x.png"
check "mixed units message" 'grep -q "Metric units do not match" "$D/out"'
t "/plot mixed units, Russian" 2 "$BIN" --csv "$D/day.csv" --plot "ram;net" --unit mb --lang ru --out "$D/x.png"
check "Russian message" 'grep -q "Единицы метрик не совпадают" "$D/out"'
t "stability" 0 "$BIN" --csv "$D/stability.csv" --kind stability --out "$D/stab.png"
check "stability in ms" 'grep -q "y in ms$" "$D/out" && [ "$(png_ok "$D/stab.png")" = 1600x800 ]'
t "Cyrillic host, Russian" 0 "$BIN" --csv "$D/day.csv" --kind all --host "сервер-Москва" --lang ru --out "$D/ru.png"
t "no GPU: gpu kind has no data" 1 "$BIN" --csv "$D/nogpu.csv" --kind gpu --out "$D/none.png"
check "no data message, no file" 'grep -q "no data" "$D/out" && [ ! -e "$D/none.png" ]'
t "range before the data: no data" 1 "$BIN" --csv "$D/day.csv" --kind cpu --range 10m --end 1000000000 --out "$D/none.png"
printf 'ts,cpu\n' >"$D/empty.csv"
t "header only: no data" 1 "$BIN" --csv "$D/empty.csv" --kind cpu --out "$D/none.png"
t "size 10x10 rejected" 2 "$BIN" --csv "$D/day.csv" --kind cpu --size 10x10 --out "$D/x.png"
check "size message" 'grep -q "chart size 10x10" "$D/out"'
t "size 100000x100000 rejected" 2 "$BIN" --csv "$D/day.csv" --kind cpu --size 100000x100000 --out "$D/x.png"
t "size garbage rejected" 2 "$BIN" --csv "$D/day.csv" --kind cpu --size big --out "$D/x.png"
if [ -x "$O/tests/chart_seed" ]; then
	# --key: the same day through storage (raw rows, minute and hour rollups)
	END=1764000000
	"$O/tests/chart_seed" "$D/m.db" web-1 "$D/day.csv" >"$D/secret" 2>"$D/seed.log"
	check "seeded a database" '[ -s "$D/secret" ]'
	export SQLITE_PATH="$D/m.db" DB=sqlite
	for r in 2h 24h 7d 30d; do
		t "--key web-1 cpu $r" 0 "$BIN" --key web-1 --kind cpu --range $r --end $END --out "$D/key-$r.png"
		check "--key $r PNG, titled with the key name" '[ "$(png_ok "$D/key-$r.png")" = 1600x800 ]'
	done
	t "--key by secret, all" 0 "$BIN" --key "$(cat "$D/secret")" --kind all --range 24h --end $END --out "$D/key-all.png"
	check "--key all has four series" 'grep -q "4 series" "$D/out"'
	t "--key /plot net" 0 "$BIN" --key web-1 --plot net --range 24h --end $END --out "$D/key-net.png"
	t "--key unknown key" 2 "$BIN" --key nobody --kind cpu --out "$D/x.png"
	t "--key before the data: no data" 1 "$BIN" --key web-1 --kind cpu --range 1h --end 1000000000 --out "$D/x.png"
	SQLITE_PATH="$D/absent.db" t "--key without a database" 3 "$BIN" --key web-1 --kind cpu --out "$D/x.png"
	check "no database file was created" '[ ! -e "$D/absent.db" ]'
	unset SQLITE_PATH DB
else
	t "--key without storage" 2 "$BIN" --key web-1 --kind cpu --out "$D/x.png"
	check "--key says why" 'grep -q "not available in this build" "$D/out"'
fi
printf 'time,cpu\n1,2\n' >"$D/nots.csv"
t "CSV without ts" 2 "$BIN" --csv "$D/nots.csv" --out "$D/x.png"
printf 'ts,cpu\n1764000000,12\n1764000005,abc\n' >"$D/bad.csv"
t "CSV with a bad number" 2 "$BIN" --csv "$D/bad.csv" --out "$D/x.png"
check "bad number names the line" 'grep -q "bad.csv:3" "$D/out"'
printf 'ts,cpu,cpu_min,cpu_max,unknown\r\n1764000000,50,10,90,x\r\n1764000060,,,,\r\n1764000120,null,NaN,None,\r\n1764000180,55,40,70,y\r\n' >"$D/roll.csv"
t "rollup columns, CRLF, nulls, unknown columns" 0 "$BIN" --csv "$D/roll.csv" --kind cpu --out "$D/roll.png"
t "unknown kind" 2 "$BIN" --csv "$D/day.csv" --kind disk --out "$D/x.png"
t "unknown option" 2 "$BIN" --csv "$D/day.csv" --colour red --out "$D/x.png"
t "missing file" 3 "$BIN" --csv "$D/nope.csv" --out "$D/x.png"
t "unwritable output" 3 "$BIN" --csv "$D/day.csv" --out /nonexistent/dir/x.png
"$PY" tests/integration/chart_gen.py month5s "$D/month.csv"
t "30 days of 5 s samples (518 400 rows)" 0 "$BIN" --csv "$D/month.csv" --kind all --range 30d --out "$D/month.png"
check "month PNG well-formed" '[ "$(png_ok "$D/month.png")" = 1600x800 ]'
rm -f "$D/month.csv"
echo "1..$n"
