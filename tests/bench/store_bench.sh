#!/usr/bin/env bash
# Storage throughput per back-end: SQLite on a temporary file, MySQL on a
# private MariaDB (tests/integration/lib/mariadb.sh). Prints bench rows.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/mariadb.sh"
O=${O:-build/native}
W=$(mktemp -d "${TMPDIR:-/tmp}/mb-store-bench.XXXXXX")
trap 'mariadb_cleanup "$W/mariadb"; rm -rf "$W"' EXIT
rc=0
DB=sqlite SQLITE_PATH="$W/bench.db" "$O/tests/store_bench" || { echo "| store sqlite | FAILED | |"; rc=1; }
if mariadb_start "$W/mariadb" >/dev/null; then
	DB=mysql MYSQL_HOST=127.0.0.1 MYSQL_PORT=$(mariadb_port "$W/mariadb") MYSQL_USER=root MYSQL_DB=bench \
		"$O/tests/store_bench" || { echo "| store mysql | FAILED | |"; rc=1; }
else
	echo "| store mysql | FAILED | MariaDB did not start |"
	rc=1
fi
exit $rc
