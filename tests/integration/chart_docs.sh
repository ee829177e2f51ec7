#!/usr/bin/env bash
# Renders the README's pictures (docs/img/) with monbot-chart from the
# deterministic sample data: `make chart-docs`. Not a test.
set -eu
O=${O:-build/native}
PY=${PYTHON:-python3}
BIN=$O/monbot-chart
D=$O/test-tmp/chart-docs
mkdir -p "$D" docs/img
for s in day stability week; do "$PY" tests/integration/chart_gen.py $s "$D/$s.csv"; done
S="--size 1000x500 --utc-offset 0"
"$BIN" $S --csv "$D/day.csv" --kind cpu --range 24h --host web-1 --out docs/img/chart-cpu-24h.png
"$BIN" $S --csv "$D/day.csv" --kind net --range 24h --host web-1 --out docs/img/chart-net-24h.png
"$BIN" $S --csv "$D/week.csv" --kind all --range 7d --host "сервер-Москва" --lang ru --out docs/img/chart-all-7d-ru.png
"$BIN" $S --csv "$D/stability.csv" --kind stability --host web-1 --out docs/img/chart-stability.png
"$BIN" $S --csv "$D/day.csv" --plot "ram;vram" --unit gb --range 24h --host web-1 --out docs/img/chart-plot-mem.png
ls -l docs/img/chart-*.png
