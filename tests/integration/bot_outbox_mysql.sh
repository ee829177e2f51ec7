#!/usr/bin/env bash
# The outbox's store test (tests/unit/test_outbox.c) on MySQL: a private
# MariaDB runs $O/tests/test_outbox with DB=mysql, then it is removed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/mariadb.sh"
O=${O:-build/native}
D=$(mktemp -d "${TMPDIR:-/tmp}/mb-outbox-mysql.XXXXXX")
trap 'mariadb_cleanup "$D"' EXIT
if ! mariadb_start "$D"; then
	echo "not ok 1 - start MariaDB"
	exit 1
fi
export CMOCKA_MESSAGE_OUTPUT=TAP
DB=mysql MYSQL_HOST=127.0.0.1 MYSQL_PORT=$(mariadb_port "$D") MYSQL_USER=root "$O/tests/test_outbox"
