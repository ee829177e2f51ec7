#!/usr/bin/env bash
# Runs each benchmark script; each prints table rows "| what | value | note |".
set -u
O=$1; shift
export O PYTHON=${PYTHON:-/usr/bin/python3}
echo "| benchmark | value | notes |"
echo "|---|---|---|"
rc=0
for b in "$@"; do
	"$b" || { echo "| $(basename "$b") | FAILED | exit $? |"; rc=1; }
done
exit $rc
