#!/usr/bin/env bash
# `key new/list/del/owner` (server/store/keycli.c) on both back-ends: output,
# exit codes, names unique per owner, and `del` taking the key's metrics,
# rollups, alerts and queued commands with it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/mariadb.sh"
O=${O:-build/native}
cli="$O/tests/store_keycli"
W=$(mktemp -d "${TMPDIR:-/tmp}/mb-keycli.XXXXXX")
trap 'mariadb_cleanup "$W/mariadb"; rm -rf "$W"' EXIT
n=0 fails=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# Checks go through the helper's --sql, the same connection code on both
# back-ends (no sqlite3 or mariadb client needed).
sql() { "$cli" --sql "$1"; }
count() { sql "SELECT COUNT(*) FROM $1 WHERE secret='$2'"; }

run_suite() {
	local be=$1 k1 k2 out rc now
	k1=$("$cli" key new web --owner 5 2>"$W/err"); rc=$?
	ok $((rc != 0 || ${#k1} != 20)) "$be: key new web --owner 5 prints a 20-character key ($k1)"
	grep -q 'key "web" created' "$W/err"; ok $? "$be: key new says what it made"
	"$cli" key new web --owner 5 >/dev/null 2>"$W/err"; rc=$?
	ok $((rc != 1)) "$be: the same name for the same owner: exit 1"
	grep -q 'taken' "$W/err"; ok $? "$be: ... saying the name is taken"
	k2=$("$cli" key new web --owner 6 2>/dev/null); ok $? "$be: the same name for another owner is fine"
	out=$("$cli" key new 2>/dev/null); ok $? "$be: key new without a name or owner"
	"$cli" key owner web 7 >/dev/null 2>"$W/err"; rc=$?
	ok $((rc != 1)) "$be: key owner <name> is ambiguous when two keys share it: exit 1"
	"$cli" key owner "$k1" 7 >"$W/out"; rc=$?
	ok $((rc != 0)) "$be: key owner <key> 7"
	"$cli" key owner "$k1" 7 >"$W/out"; grep -q "already owns" "$W/out"; ok $? "$be: twice: already owns"
	"$cli" key list >"$W/list"; rc=$?
	ok $((rc != 0)) "$be: key list"
	grep -q "^$k1	web	5,7	never\$" "$W/list"; ok $? "$be: list line: key, name, owners, last seen"
	grep -q "^$out	key1	-	never\$" "$W/list"; ok $? "$be: the unnamed, unowned key is key1"
	[ "$(wc -l <"$W/list")" -eq 3 ]; ok $? "$be: three keys listed"
	"$cli" key list --owner 6 >"$W/list"
	[ "$(cut -f1 "$W/list")" = "$k2" ]; ok $? "$be: key list --owner 6 shows only theirs"

	# give k1 metrics, rollups, an alert and a queued command, then delete it
	now=$(date +%s)
	sql "INSERT INTO metrics (secret, ts, cpu) VALUES ('$k1', $now, 1), ('$k1', $((now - 60)), 2), ('$k2', $now, 3)"
	sql "INSERT INTO metrics_1m (secret, bucket, n) VALUES ('$k1', $now, 1)"
	sql "INSERT INTO alert_rules (user_id, secret, metric, threshold) VALUES (5, '$k1', 'cpu', 90)"
	sql "INSERT INTO command_queue (secret, command, requested_at) VALUES ('$k1', 'reboot', $now)"
	"$cli" key list >"$W/list"
	grep -q "^$k1	web	5,7	[0-9T:-]*Z\$" "$W/list"; ok $? "$be: last seen comes from its samples"
	"$cli" key del "$k1" >"$W/out"; rc=$?
	ok $((rc != 0)) "$be: key del <key>"
	local left=0 t
	for t in metrics metrics_1m alert_rules command_queue agent_owners agents; do
		left=$((left + $(count $t "$k1")))
	done
	ok $((left != 0)) "$be: del removed its metrics, rollups, alerts, commands, owners"
	[ "$(count metrics "$k2")" -eq 1 ]; ok $? "$be: another key's metrics stay"
	"$cli" key del "$k1" >/dev/null 2>&1; rc=$?
	ok $((rc != 1)) "$be: deleting it again: exit 1"
	"$cli" key del key1 >/dev/null; ok $? "$be: key del <name>"
	"$cli" key frob >/dev/null 2>&1; rc=$?
	ok $((rc != 2)) "$be: an unknown subcommand: exit 2"
	"$cli" key new x --owner abc >/dev/null 2>&1; rc=$?
	ok $((rc != 2)) "$be: a bad owner id: exit 2"
}

export DB=sqlite SQLITE_PATH="$W/k.db"
run_suite sqlite

if mariadb_start "$W/mariadb" >/dev/null; then
	export DB=mysql MYSQL_HOST=127.0.0.1 MYSQL_PORT=$(mariadb_port "$W/mariadb") MYSQL_USER=root MYSQL_DB=keycli
	run_suite mysql
else
	ok 1 "mysql: start MariaDB"
fi
echo "1..$n"
[ "$fails" -eq 0 ]
