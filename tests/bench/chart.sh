#!/usr/bin/env bash
# Chart rows of `make bench`: render+encode time (median), PNG size and the
# render's own memory for every kind at 10 min, 24 h, 7 d and 30 d, fed as
# storage's AUTO resolution feeds them, plus raw worst cases.
# CHART_BENCH_SIZE=WxH (default 1600x800), CHART_BENCH_REPEAT=N (default 7).
set -u
O=${O:-build/native}
exec "$O/tests/chart_bench" "${CHART_BENCH_SIZE:-1600x800}" "${CHART_BENCH_REPEAT:-7}"
