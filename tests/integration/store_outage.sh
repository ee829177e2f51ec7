#!/usr/bin/env bash
# MariaDB goes away under the async store, twice: a clean shutdown and a
# SIGKILL, each while samples are queued and being written. After it comes
# back every sample is stored exactly once (tests/integration/store_outage.c).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/mariadb.sh"
O=${O:-build/native}
D=$(mktemp -d "${TMPDIR:-/tmp}/mb-store-outage.XXXXXX")
trap 'mariadb_cleanup "$D"' EXIT
if ! mariadb_start "$D"; then
	echo "not ok 1 - start MariaDB"
	exit 1
fi
lib="$here/lib/mariadb.sh"
rc=0
for how in stop kill; do
	echo "# MariaDB outage by $how"
	DB=mysql MYSQL_HOST=127.0.0.1 MYSQL_PORT=$(mariadb_port "$D") MYSQL_USER=root MYSQL_DB="outage_$how" \
		MB_STOP="$lib $how $D" MB_START="$lib start $D >/dev/null" \
		"$O/tests/store_outage" || rc=1
done
exit $rc
