#!/usr/bin/env bash
# Runs every unit test (native and sanitizer builds) and integration script,
# counts TAP lines ("ok"/"not ok") and ends with one "N passed, N failed" line.
# Usage: O=build/x SAN_O=build/x-san tests/run-tests.sh "<unit names>" "<scripts>"
set -u
units=$1 integ=$2
logdir=${O}/test-logs
mkdir -p "$logdir"
export CMOCKA_MESSAGE_OUTPUT=TAP
export O SAN_O PYTHON
pass=0 fail=0 failed_names=()

run_one() { # label, log, command...
	local label=$1 log=$2; shift 2
	local t0=$SECONDS
	timeout -k 10 ${TEST_TIMEOUT:-900} "$@" >"$log" 2>&1
	local rc=$?
	local p f
	p=$(grep -cE '^ok ' "$log")
	f=$(grep -cE '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "no test ran" >>"$log"; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed_names+=("$label")
		printf 'FAIL  %-44s %3d ok %3d failed  (%ds, rc=%d)\n' "$label" "$p" "$f" $((SECONDS - t0)) "$rc"
		grep -E '^not ok |^#' "$log" | head -40 | sed 's/^/      /'
		tail -n 15 "$log" | sed 's/^/    | /'
	else
		printf 'pass  %-44s %3d ok  (%ds)\n' "$label" "$p" $((SECONDS - t0))
	fi
}

for t in $units; do
	run_one "unit/$t" "$logdir/$t.log" "$O/tests/$t"
	if [ -z "${NOSAN:-}" ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_one "asan/$t" "$logdir/$t.san.log" "$SAN_O/tests/$t"
	fi
done
for s in $integ; do
	n=$(basename "$s")
	run_one "integ/$n" "$logdir/$n.log" "$s"
done

echo
if [ "$fail" -ne 0 ]; then
	echo "failed: ${failed_names[*]}"
	echo "logs in $logdir"
fi
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
