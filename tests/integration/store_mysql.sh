#!/usr/bin/env bash
# The storage unit tests again, on MySQL: a private MariaDB (data directory
# and port of its own) runs $O/tests/test_store with DB=mysql over TCP and,
# for the async tests, over the unix socket; then it is stopped and removed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/mariadb.sh"
O=${O:-build/native}
D=$(mktemp -d "${TMPDIR:-/tmp}/mb-store-mysql.XXXXXX")
trap 'mariadb_cleanup "$D"' EXIT
if ! mariadb_start "$D"; then
	echo "not ok 1 - start MariaDB"
	exit 1
fi
export CMOCKA_MESSAGE_OUTPUT=TAP
rc=0
DB=mysql MYSQL_HOST=127.0.0.1 MYSQL_PORT=$(mariadb_port "$D") MYSQL_USER=root "$O/tests/test_store" || rc=1
# The same through the socket (MYSQL_HOST=localhost), the layer the server
# uses when MariaDB runs beside it.
DB=mysql MYSQL_HOST=localhost MYSQL_SOCKET="$D/sock" MYSQL_USER=root STORE_TEST_FILTER='test_async*' \
	"$O/tests/test_store" || rc=1
exit $rc
