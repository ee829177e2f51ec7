/* Unit tests for server/store/outbox.c and the alert rules' remind_s: the
 * bot's outbox (rows back oldest first with their markup, deleted once),
 * maintenance rows, remind_s stored and read, and an alert_rules table of
 * an earlier version (no remind_s) upgraded in place with its rows kept.
 * SQLite on temporary files; DB=mysql (MYSQL_HOST/PORT/USER/PASSWORD/
 * SOCKET) runs the same on MySQL, a database per test
 * (tests/integration/bot_outbox_mysql.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/store/db_backend.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"

static struct store_config base;
static int use_mysql;
static char tmpdir[256];
static int dbno;

struct t {
	struct store *st;
	struct store_config cfg;
	struct db_conn *raw;
	const struct db_ops *ops;
};

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level >= 3 || getenv("STORE_TEST_LOG"))
		fprintf(stderr, "# store[%d]: %s\n", level, msg);
}

static int setup_empty(void **state)
{
	char err[256];
	struct t *t = calloc(1, sizeof(*t));
	t->cfg = base;
	dbno++;
	if (use_mysql)
		snprintf(t->cfg.mysql_db, sizeof(t->cfg.mysql_db), "mbob_%d_%d", (int)getpid(), dbno);
	else
		snprintf(t->cfg.sqlite_path, sizeof(t->cfg.sqlite_path), "%s/o%d.db", tmpdir, dbno);
	t->ops = use_mysql ? &db_mysql_ops : &db_sqlite_ops;
	assert_int_equal(t->ops->open(&t->raw, &t->cfg, err, sizeof(err)), 0);
	*state = t;
	return 0;
}

static void open_store(struct t *t)
{
	char err[STORE_ERR_LEN];
	int rc = store_open(&t->st, &t->cfg, err);
	if (rc != 0)
		fprintf(stderr, "# store_open: %s\n", err);
	assert_int_equal(rc, 0);
}

static int setup(void **state)
{
	setup_empty(state);
	open_store(*state);
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	store_close(t->st);
	if (use_mysql) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", t->cfg.mysql_db);
		t->ops->exec(t->raw, sql);
	} else {
		char p[1100];
		unlink(t->cfg.sqlite_path);
		snprintf(p, sizeof(p), "%s-wal", t->cfg.sqlite_path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", t->cfg.sqlite_path);
		unlink(p);
	}
	t->ops->close(t->raw);
	free(t);
	return 0;
}

static void test_outbox(void **state)
{
	struct t *t = *state;
	struct store_outbox *v;
	size_t n;
	int64_t a = 0, b = 0, c = 0;
	assert_int_equal(store_outbox_list(t->st, &v, &n), 0);
	assert_int_equal(n, 0);
	store_outbox_free(v, n);
	assert_int_equal(store_outbox_add(t->st, 42, "🔴 <b>web1</b>: CPU 95.0% ≥ 90%",
	                                  "{\"inline_keyboard\":[]}", 1000, &a), 0);
	assert_int_equal(store_outbox_add(t->st, -100123, "second", NULL, 1001, &b), 0);
	assert_int_equal(store_outbox_add(t->st, 42, "third", "", 1002, &c), 0);
	assert_int_equal(store_outbox_add(t->st, 42, "", NULL, 1003, NULL), STORE_EINVAL);
	assert_true(a > 0 && b > a && c > b);
	assert_int_equal(store_outbox_list(t->st, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].id, a);
	assert_int_equal(v[0].chat_id, 42);
	assert_int_equal(v[0].created, 1000);
	assert_string_equal(v[0].html, "🔴 <b>web1</b>: CPU 95.0% ≥ 90%");
	assert_string_equal(v[0].markup, "{\"inline_keyboard\":[]}");
	assert_int_equal(v[1].chat_id, -100123);
	assert_null(v[1].markup);
	assert_null(v[2].markup); /* "" is none */
	store_outbox_free(v, n);
	assert_int_equal(store_outbox_del(t->st, b), 0);
	assert_int_equal(store_outbox_del(t->st, b), STORE_ENOTFOUND);
	assert_int_equal(store_outbox_list(t->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, a);
	assert_int_equal(v[1].id, c);
	store_outbox_free(v, n);
	/* a reopened handle sees them (what a restart resends) */
	store_close(t->st);
	open_store(t);
	assert_int_equal(store_outbox_list(t->st, &v, &n), 0);
	assert_int_equal(n, 2);
	store_outbox_free(v, n);
}

static void test_maint(void **state)
{
	struct t *t = *state;
	struct store_maint *v;
	size_t n;
	assert_int_equal(store_maint_set(t->st, "bbbb", 9000, 7, 1000), 0);
	assert_int_equal(store_maint_set(t->st, "aaaa", 5000, 8, 1000), 0);
	assert_int_equal(store_maint_set(t->st, "bbbb", 9500, 9, 1100), 0); /* replaced */
	assert_int_equal(store_maint_set(t->st, "no such'key", 1, 1, 1), STORE_ENOKEY);
	assert_int_equal(store_maint_list(t->st, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].secret, "aaaa");
	assert_int_equal(v[0].until, 5000);
	assert_int_equal(v[0].by, 8);
	assert_string_equal(v[1].secret, "bbbb");
	assert_int_equal(v[1].until, 9500);
	assert_int_equal(v[1].by, 9);
	assert_int_equal(v[1].since, 1100);
	free(v);
	assert_int_equal(store_maint_set(t->st, "aaaa", 0, 0, 1200), 0);
	assert_int_equal(store_maint_set(t->st, "aaaa", 0, 0, 1200), 0); /* ending twice is fine */
	assert_int_equal(store_maint_list(t->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].secret, "bbbb");
	free(v);
}

static void test_remind(void **state)
{
	struct t *t = *state;
	struct store_alert a, *v;
	size_t n;
	char secret[STORE_SECRET_MAX + 1];
	assert_int_equal(store_key_create(t->st, 5, "web", 1000, secret, NULL), 0);
	memset(&a, 0, sizeof(a));
	a.user = 5;
	snprintf(a.secret, sizeof(a.secret), "%s", secret);
	snprintf(a.metric, sizeof(a.metric), "cpu");
	a.threshold = 90;
	a.remind_s = 3600;
	assert_int_equal(store_alert_set(t->st, &a), 0);
	assert_int_equal(store_alert_list(t->st, secret, 5, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].remind_s, 3600);
	free(v);
}

/* An alert_rules table as the first version made it: no remind_s. */
static void test_upgrade(void **state)
{
	struct t *t = *state;
	struct store_alert *v;
	size_t n;
	const char *ddl = use_mysql
		? "CREATE TABLE alert_rules (user_id BIGINT NOT NULL, secret VARCHAR(64) CHARACTER SET ascii "
		  "COLLATE ascii_bin NOT NULL, metric VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
		  "threshold DOUBLE NOT NULL, for_s INT NOT NULL DEFAULT 0, hyst DOUBLE NOT NULL DEFAULT 0, "
		  "state INT NOT NULL DEFAULT 0, since BIGINT NOT NULL DEFAULT 0, last_sent BIGINT NOT NULL DEFAULT 0, "
		  "muted_until BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (user_id, secret, metric)) ENGINE=InnoDB"
		: "CREATE TABLE alert_rules (user_id INTEGER NOT NULL, secret TEXT NOT NULL, metric TEXT NOT NULL, "
		  "threshold REAL NOT NULL, for_s INTEGER NOT NULL DEFAULT 0, hyst REAL NOT NULL DEFAULT 0, "
		  "state INTEGER NOT NULL DEFAULT 0, since INTEGER NOT NULL DEFAULT 0, last_sent INTEGER NOT NULL "
		  "DEFAULT 0, muted_until INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user_id, secret, metric)) WITHOUT ROWID";
	assert_int_equal(t->ops->exec(t->raw, ddl), 0);
	assert_int_equal(t->ops->exec(t->raw, "INSERT INTO alert_rules (user_id, secret, metric, threshold, state, "
	                                      "since, last_sent) VALUES (5, 'abc', 'ram', 80, 2, 100, 100)"), 0);
	open_store(t);
	assert_int_equal(store_alert_list(t->st, NULL, 0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].metric, "ram");
	assert_int_equal(v[0].state, 2);
	assert_int_equal(v[0].last_sent, 100);
	assert_int_equal(v[0].remind_s, 0);
	v[0].remind_s = 900;
	assert_int_equal(store_alert_set(t->st, &v[0]), 0);
	free(v);
	/* opening again adds nothing twice */
	store_close(t->st);
	open_store(t);
	assert_int_equal(store_alert_list(t->st, NULL, 0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].remind_s, 900);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade, setup_empty, teardown),
	};
	char err[STORE_ERR_LEN];
	int rc;
	store_config_defaults(&base);
	base.log = quiet;
	use_mysql = getenv("DB") && !strcmp(getenv("DB"), "mysql");
	if (use_mysql) {
		static const char *const keys[] = {"DB", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD",
		                                   "MYSQL_SOCKET"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (getenv(keys[i]) && store_config_set(&base, keys[i], getenv(keys[i]), err) < 0) {
				fprintf(stderr, "%s\n", err);
				return 2;
			}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/outbox-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			return 2;
		}
	}
	rc = cmocka_run_group_tests_name(use_mysql ? "outbox (mysql)" : "outbox (sqlite)", tests, NULL, NULL);
	if (!use_mysql)
		rmdir(tmpdir);
	return rc;
}
