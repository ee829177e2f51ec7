/* Unit tests for the storage module (server/store*.c) with values worked out
 * by hand: inserts, duplicates, rollups, range resolution, retention, keys,
 * the command queue, alerts, the import of the original's state and the
 * async layer. SQLite on temporary files by default; with DB=mysql (and
 * MYSQL_HOST/PORT/USER/PASSWORD/SOCKET) the same tests run against MySQL,
 * each in a database of its own (tests/integration/store_mysql.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/store/db_backend.h"
#include "server/store/store.h"
#include "server/store/store_int.h"
#include "wire/fleet.h"
#include "wire/sample.h"

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

/* ---- fixtures ---------------------------------------------------------------- */

static void quiet(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level >= 3 || getenv("STORE_TEST_LOG"))
		fprintf(stderr, "# store[%d]: %s\n", level, msg);
}

static const char *envor(const char *k, const char *d)
{
	const char *v = getenv(k);
	return v && *v ? v : d;
}

static void fresh_cfg(struct store_config *c)
{
	*c = base;
	dbno++;
	if (use_mysql)
		snprintf(c->mysql_db, sizeof(c->mysql_db), "mbtest_%d_%d", (int)getpid(), dbno);
	else
		snprintf(c->sqlite_path, sizeof(c->sqlite_path), "%s/t%d.db", tmpdir, dbno);
}

static void raw_connect(struct t *t)
{
	char err[256];
	t->ops = use_mysql ? &db_mysql_ops : &db_sqlite_ops;
	assert_int_equal(t->ops->open(&t->raw, &t->cfg, err, sizeof(err)), 0);
}

static void raw_exec(struct t *t, const char *sql)
{
	int rc = t->ops->exec(t->raw, sql);
	if (rc)
		fprintf(stderr, "# raw exec failed: %s: %s\n", sql, t->ops->errmsg(t->raw));
	assert_int_equal(rc, 0);
}

static int64_t raw_int(struct t *t, const char *sql)
{
	struct db_stmt *s;
	int64_t v = -1;
	assert_int_equal(t->ops->prepare(t->raw, sql, &s), 0);
	if (t->ops->step(s) == DB_ROW)
		v = t->ops->col_null(s, 0) ? -2 : t->ops->col_int(s, 0);
	t->ops->finalize(s);
	return v;
}

static int setup_empty(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	fresh_cfg(&t->cfg);
	raw_connect(t);
	*state = t;
	return 0;
}

static int setup(void **state)
{
	char err[STORE_ERR_LEN];
	struct t *t;
	setup_empty(state);
	t = *state;
	if (store_open(&t->st, &t->cfg, err) != 0) {
		fprintf(stderr, "# store_open: %s\n", err);
		return -1;
	}
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

static int64_t hour_base(void)
{
	return ((int64_t)time(NULL) / 3600 - 5) * 3600;
}

static void row(struct store_row *r, const char *secret, int64_t ts, double cpu, double ram)
{
	store_row_clear(r);
	snprintf(r->secret, sizeof(r->secret), "%s", secret);
	r->ts = ts;
	r->v[SC_CPU] = cpu;
	r->v[SC_RAM] = ram;
}

static void new_key(struct t *t, int64_t owner, const char *name, char secret[STORE_SECRET_MAX + 1])
{
	assert_int_equal(store_key_create(t->st, owner, name, 1000, secret, NULL), 0);
}

static int64_t count_metrics(struct t *t, const char *secret)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM metrics WHERE secret='%s'", secret);
	return raw_int(t, sql);
}

/* ---- samples -------------------------------------------------------------------- */

static void test_insert_latest(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[3];
	struct store_sample s;
	int res[3];
	int64_t h = hour_base(), newest;
	new_key(t, 7, "box", k);
	row(&r[0], k, h + 10, 12.5, 40);
	row(&r[1], k, h + 20, 50.25, 41);
	row(&r[2], k, h + 15, 7, 42);
	r[1].v[SC_RAM_TOTAL] = 17179869184.0; /* 16 GiB: exact in a double and in DOUBLE */
	r[1].v[SC_UPTIME] = 3600.4;
	r[1].v[SC_CORES] = 8;
	r[1].v[SC_LOAD1] = 0.75;
	r[1].disks = "[{\"mount\":\"/\",\"percent\":55.5,\"used\":100,\"total\":200}]";
	r[1].top_procs = "[{\"name\":\"nginx (4)\",\"cpu\":1.5,\"ram\":1024}]";
	assert_int_equal(store_insert(t->st, r, 3, res), 3);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], 0);
	assert_int_equal(store_latest(t->st, k, &s), 0);
	assert_int_equal(s.row.ts, h + 20);
	assert_true(s.row.v[SC_CPU] == 50.25);
	assert_true(s.row.v[SC_RAM] == 41);
	assert_true(s.row.v[SC_RAM_TOTAL] == 17179869184.0);
	assert_true(s.row.v[SC_UPTIME] == 3600); /* BIGINT, as the original */
	assert_true(s.row.v[SC_CORES] == 8);
	assert_true(s.row.v[SC_LOAD1] == 0.75);
	assert_true(isnan(s.row.v[SC_GPU]));
	assert_true(isnan(s.row.v[SC_NET_UP]));
	assert_string_equal(s.disks, r[1].disks);
	assert_string_equal(s.top_procs, r[1].top_procs);
	assert_null(s.gpus);
	store_sample_free(&s);
	assert_int_equal(store_newest_ts(t->st, k, &newest), 0);
	assert_int_equal(newest, h + 20);
	assert_int_equal(store_latest(t->st, "nosuchkey", &s), STORE_ENOTFOUND);
}

static void test_duplicate_ignored(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[2];
	struct store_sample s;
	int res[2];
	int64_t h = hour_base();
	struct store_stats stats;
	new_key(t, 7, NULL, k);
	row(&r[0], k, h + 5, 10, 20);
	assert_int_equal(store_insert(t->st, r, 1, NULL), 1);
	/* The same (secret, ts) again, with other values, plus a new one. */
	row(&r[0], k, h + 5, 99, 99);
	row(&r[1], k, h + 6, 11, 21);
	assert_int_equal(store_insert(t->st, r, 2, res), 1);
	assert_int_equal(res[0], 0); /* already stored counts as stored (ack) */
	assert_int_equal(res[1], 0);
	assert_int_equal(count_metrics(t, k), 2);
	assert_int_equal(store_insert(t->st, r, 2, NULL), 0);
	assert_int_equal(count_metrics(t, k), 2);
	{
		struct store_series ser;
		assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 10, STORE_RES_RAW, &ser), 0);
		assert_int_equal(ser.n, 2);
		assert_true(ser.pts[0].avg == 10); /* the first write won */
		assert_true(ser.pts[1].avg == 11);
		store_series_free(&ser);
	}
	(void)s;
	store_get_stats(t->st, &stats);
	assert_int_equal(stats.rows_inserted, 2);
	assert_int_equal(stats.rows_duplicate, 3);
}

static int64_t ts_of_agent_ts(struct t *t, const char *secret, int64_t agent_ts)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT ts FROM metrics WHERE secret='%s' AND agent_ts=%lld", secret,
	         (long long)agent_ts);
	return raw_int(t, sql);
}

static void stamped(struct store_row *r, const char *secret, int64_t proposal, int64_t agent_ts, double cpu)
{
	row(r, secret, proposal, cpu, 1);
	r->has_agent_ts = 1;
	r->agent_ts = agent_ts;
}

/* A re-stamped row takes the newest free second at or below its
 * proposal; a sane sample of that second, arriving later, moves it down
 * instead of being dropped as a duplicate (a backlog drained over several
 * seconds while live samples queue behind it); a resend of the stamped
 * sample still finds it. */
static void test_sane_displaces_stamped(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[2];
	int res[2];
	int64_t h = hour_base();
	char sql[200];
	new_key(t, 7, NULL, k);
	stamped(&r[0], k, h + 60, 111, 1);
	assert_int_equal(store_insert(t->st, r, 1, NULL), 1);
	assert_int_equal(ts_of_agent_ts(t, k, 111), h + 60);
	row(&r[0], k, h + 60, 50, 2); /* taken at h+60 by the agent's clock */
	assert_int_equal(store_insert(t->st, r, 1, res), 1);
	assert_int_equal(res[0], 0);
	assert_int_equal(count_metrics(t, k), 2);
	assert_int_equal(ts_of_agent_ts(t, k, 111), h + 59);
	snprintf(sql, sizeof(sql), "SELECT cpu FROM metrics WHERE secret='%s' AND ts=%lld", k, (long long)(h + 60));
	assert_int_equal(raw_int(t, sql), 50);
	/* the minute the moved row went to (h, from h+60) is journalled for
	 * the rollup */
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM rollup_dirty WHERE secret='%s' AND bucket=%lld", k,
	         (long long)h);
	assert_int_equal(raw_int(t, sql), 1);
	/* the stamped sample resent with a new proposal: a duplicate */
	stamped(&r[0], k, h + 200, 111, 1);
	assert_int_equal(store_insert(t->st, r, 1, res), 0);
	assert_int_equal(res[0], 0);
	assert_int_equal(count_metrics(t, k), 2);
	/* one batch: a stamped row proposing h+59 and a sane row of h+59. The
	 * stamped one avoids the batch's sane second (h+58); the row stored at
	 * h+59 moves below both (h+57). */
	stamped(&r[0], k, h + 59, 222, 3);
	row(&r[1], k, h + 59, 60, 4);
	assert_int_equal(store_insert(t->st, r, 2, res), 2);
	assert_int_equal(res[0], 0);
	assert_int_equal(res[1], 0);
	assert_int_equal(count_metrics(t, k), 4);
	assert_int_equal(ts_of_agent_ts(t, k, 111), h + 57);
	assert_int_equal(ts_of_agent_ts(t, k, 222), h + 58);
	snprintf(sql, sizeof(sql), "SELECT cpu FROM metrics WHERE secret='%s' AND ts=%lld", k, (long long)(h + 59));
	assert_int_equal(raw_int(t, sql), 60);
	/* a sane duplicate of a sane second stays a duplicate, nothing moves */
	row(&r[0], k, h + 60, 70, 5);
	assert_int_equal(store_insert(t->st, r, 1, res), 0);
	assert_int_equal(count_metrics(t, k), 4);
	snprintf(sql, sizeof(sql), "SELECT cpu FROM metrics WHERE secret='%s' AND ts=%lld", k, (long long)(h + 60));
	assert_int_equal(raw_int(t, sql), 50);
}

static void test_refused_rows(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[4];
	int res[4];
	int64_t h = hour_base();
	new_key(t, 7, NULL, k);
	row(&r[0], "NoSuchSecret0000000", h, 1, 1);
	row(&r[1], k, h, 1, 1);
	row(&r[2], "bad'secret", h, 1, 1);
	row(&r[3], k, 0, 1, 1);
	assert_int_equal(store_insert(t->st, r, 4, res), 1);
	assert_int_equal(res[0], STORE_ENOKEY);
	assert_int_equal(res[1], 0);
	assert_int_equal(res[2], STORE_EINVAL);
	assert_int_equal(res[3], STORE_EINVAL);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics"), 1);
}

static void test_big_batch(void **state)
{
	/* 1000 rows: the 256/64/16/4/1 multi-row statements all used. */
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row *r = calloc(1000, sizeof(*r));
	int64_t h = hour_base();
	struct store_series ser;
	double sum = 0;
	new_key(t, 7, NULL, k);
	for (int i = 0; i < 999; i++)
		row(&r[i], k, h + i, i % 100, 0);
	assert_int_equal(store_insert(t->st, r, 999, NULL), 999);
	assert_int_equal(count_metrics(t, k), 999);
	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 998, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 999);
	for (size_t i = 0; i < ser.n; i++) {
		assert_int_equal(ser.pts[i].ts, h + (int64_t)i);
		sum += ser.pts[i].avg;
	}
	/* 9 full hundreds of 0..99 plus 0..98 */
	assert_true(sum == 9 * 4950 + 4851);
	store_series_free(&ser);
	free(r);
}

/* ---- rollups ------------------------------------------------------------------- */

static void expect_point(const struct store_point *p, int64_t ts, uint32_t n, double avg, double mn, double mx)
{
	assert_int_equal(p->ts, ts);
	assert_int_equal(p->n, n);
	assert_true(fabs(p->avg - avg) < 1e-9);
	assert_true(p->min == mn);
	assert_true(p->max == mx);
}

static void test_rollups_by_hand(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[6];
	struct store_series ser;
	int64_t h = hour_base();
	new_key(t, 7, NULL, k);
	/* minute h: cpu 10, 30, 20; minute h+60: cpu 40 and one sample with
	 * no cpu (ram only); next hour: cpu 70. */
	row(&r[0], k, h + 0, 10, 1);
	row(&r[1], k, h + 20, 30, 2);
	row(&r[2], k, h + 50, 20, 3);
	row(&r[3], k, h + 60, 40, 4);
	row(&r[4], k, h + 90, NAN, 50);
	row(&r[5], k, h + 3605, 70, 6);
	assert_int_equal(store_insert(t->st, r, 6, NULL), 6);
	/* Nothing is due before a minute has ended plus the grace. */
	assert_int_equal(store_rollup_run(t->st, h + 60 + STORE_ROLLUP_GRACE - 1, 0), 0);
	assert_int_equal(store_rollup_run(t->st, h + 60 + STORE_ROLLUP_GRACE, 0), 1);
	assert_int_equal(store_rollup_run(t->st, h + 3605 + 60 + STORE_ROLLUP_GRACE, 0), 2);
	assert_int_equal(store_rollup_run(t->st, h + 99999, 1), 0);

	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 7199, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_MINUTE);
	assert_int_equal(ser.n, 3);
	expect_point(&ser.pts[0], h, 3, 20, 10, 30);
	expect_point(&ser.pts[1], h + 60, 1, 40, 40, 40);
	expect_point(&ser.pts[2], h + 3600, 1, 70, 70, 70);
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_RAM, h, h + 119, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 3, 2, 1, 3);
	expect_point(&ser.pts[1], h + 60, 2, 27, 4, 50);
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 7199, STORE_RES_HOUR, &ser), 0);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 4, 25, 10, 40); /* (10+30+20+40)/4 */
	expect_point(&ser.pts[1], h + 3600, 1, 70, 70, 70);
	store_series_free(&ser);
	assert_int_equal(raw_int(t, "SELECT n FROM metrics_1h ORDER BY bucket LIMIT 1"), 5);

	/* A late (spooled) sample in a folded minute: folded again. A resent
	 * duplicate changes nothing. */
	row(&r[0], k, h + 30, 100, 8);
	row(&r[1], k, h + 20, 30, 2);
	assert_int_equal(store_insert(t->st, r, 2, NULL), 1);
	assert_int_equal(store_rollup_run(t->st, h + 99999, 0), 1);
	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 59, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.n, 1);
	expect_point(&ser.pts[0], h, 4, 40, 10, 100); /* (10+30+20+100)/4 */
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 3599, STORE_RES_HOUR, &ser), 0);
	expect_point(&ser.pts[0], h, 5, 40, 10, 100); /* (10+30+20+40+100)/5 */
	store_series_free(&ser);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM rollup_dirty"), 0);
}

static void test_rollup_survives_restart(void **state)
{
	/* Minutes journalled but not folded when the process stops are folded
	 * after the next open. */
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], err[STORE_ERR_LEN];
	struct store_row r[2];
	struct store_series ser;
	int64_t h = hour_base();
	new_key(t, 7, NULL, k);
	row(&r[0], k, h + 1, 10, 0);
	row(&r[1], k, h + 2, 20, 0);
	assert_int_equal(store_insert(t->st, r, 2, NULL), 2);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM rollup_dirty"), 1);
	store_close(t->st);
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	assert_int_equal(store_rollup_run(t->st, h + 3600, 0), 1);
	assert_int_equal(store_range(t->st, k, SM_CPU, h, h + 59, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.n, 1);
	expect_point(&ser.pts[0], h, 2, 15, 10, 20);
	store_series_free(&ser);
}

static void test_range_resolution(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_row r[3];
	struct store_series ser;
	int64_t h = hour_base(), now = h + 3 * 3600;
	new_key(t, 7, NULL, k);
	row(&r[0], k, h + 10, 10, 0);
	row(&r[1], k, h + 70, 30, 0);
	row(&r[2], k, h + 3700, 50, 0);
	assert_int_equal(store_insert(t->st, r, 3, NULL), 3);
	assert_int_equal(store_rollup_run(t->st, now, 1), 3);
	/* The raw rows go away: what long spans return comes from rollups. */
	raw_exec(t, "DELETE FROM metrics");
	assert_int_equal(store_range(t->st, k, SM_CPU, now - 3600, now, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_RAW);
	assert_int_equal(ser.n, 0);
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_CPU, now - 86400, now, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_MINUTE);
	assert_int_equal(ser.n, 3);
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_CPU, now - 7 * 86400, now, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_MINUTE);
	assert_int_equal(ser.n, 3);
	store_series_free(&ser);
	assert_int_equal(store_range(t->st, k, SM_CPU, now - 30 * 86400, now, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_HOUR);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 2, 20, 10, 30);
	expect_point(&ser.pts[1], h + 3600, 1, 50, 50, 50);
	store_series_free(&ser);
	/* A range starting inside a bucket includes it. */
	assert_int_equal(store_range(t->st, k, SM_CPU, h + 30, h + 30, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.n, 1);
	assert_int_equal(ser.pts[0].ts, h);
	store_series_free(&ser);
	assert_int_equal(store_metric_from_name("net_up"), SM_NET_UP);
	assert_int_equal(store_metric_from_name("bogus"), STORE_EINVAL);
}

static void test_retention_purge(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], err[STORE_ERR_LEN], buf[32];
	struct store_row r[4];
	int64_t now = hour_base();
	int64_t d = 86400;
	store_close(t->st);
	t->cfg.retention_days = 2;
	t->cfg.hour_retention_days = 4;
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	new_key(t, 7, NULL, k);
	/* 5 days, 3 days, 1 day and 1 hour old; the 5-day row predates the
	 * rollup cutoff and is not folded (RETENTION_DAYS applies to inserts). */
	row(&r[0], k, now - 5 * d, 1, 0);
	row(&r[1], k, now - 3 * d, 2, 0);
	row(&r[2], k, now - d, 3, 0);
	row(&r[3], k, now - 3600, 4, 0);
	assert_int_equal(store_insert(t->st, r, 4, NULL), 4);
	raw_exec(t, "DELETE FROM rollup_dirty");
	store_close(t->st);
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	/* Rollups of all four, as if folded before (the 5-day one by hand). */
	{
		char sql[600];
		snprintf(sql, sizeof(sql), "INSERT INTO metrics_1h (secret, bucket, n, cpu_n, cpu_sum, cpu_min, cpu_max) "
		                           "VALUES ('%s', %lld, 1, 1, 1, 1, 1), ('%s', %lld, 1, 1, 2, 2, 2), "
		                           "('%s', %lld, 1, 1, 3, 3, 3), ('%s', %lld, 1, 1, 4, 4, 4)",
		         k, (long long)(now - 5 * d), k, (long long)(now - 3 * d), k, (long long)(now - d), k,
		         (long long)(now - 3600));
		raw_exec(t, sql);
		snprintf(sql, sizeof(sql), "INSERT INTO metrics_1m (secret, bucket, n, cpu_n, cpu_sum, cpu_min, cpu_max) "
		                           "VALUES ('%s', %lld, 1, 1, 2, 2, 2), ('%s', %lld, 1, 1, 3, 3, 3)",
		         k, (long long)(now - 3 * d), k, (long long)(now - d));
		raw_exec(t, sql);
	}
	/* raw: 5d and 3d go (2); minute: 3d goes (1); hour: 5d goes (1). */
	assert_int_equal(store_purge(t->st, now), 4);
	assert_int_equal(count_metrics(t, k), 2);
	assert_int_equal(raw_int(t, "SELECT MIN(ts) FROM metrics"), now - d);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics_1m"), 1);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics_1h"), 3);
	assert_int_equal(store_meta_get(t->st, "purge.last", buf, sizeof(buf)), 0);
	assert_int_equal(strtoll(buf, NULL, 10), now);
	assert_int_equal(store_purge(t->st, now), 0);
}

/* ---- the fleet series ----------------------------------------------------------- */

static void fleet_sample(struct fleet *f, double charge)
{
	memset(f, 0, sizeof(*f));
	f->has_containers = 1;
	f->ncontainers = 4;
	snprintf(f->containers[0].name, FLEET_NAME, "web");
	f->containers[0].cpu = 1.5;
	f->containers[0].mem = 1048576;
	snprintf(f->containers[1].name, FLEET_NAME, "db");
	f->containers[1].cpu = NAN;
	f->containers[1].mem = 2048;
	snprintf(f->containers[2].name, FLEET_NAME, "bad\x01name"); /* a control character: not kept */
	f->containers[2].cpu = 5;
	f->containers[2].mem = NAN;
	snprintf(f->containers[3].name, FLEET_NAME, "bad\xff"); /* not UTF-8: not kept */
	f->containers[3].cpu = 6;
	f->containers[3].mem = NAN;
	f->has_smart = 1;
	f->nsmart = 1;
	snprintf(f->smart[0].dev, sizeof(f->smart[0].dev), "sda");
	f->smart[0].temp = 30;
	f->smart[0].used = NAN;
	f->has_ups = 1;
	f->ups.charge = charge;
	f->ups.load = 20;
	f->ups.runtime = NAN;
	f->has_custom = 1;
	f->ncustom = 1;
	snprintf(f->custom[0].key, FLEET_CUSTOM_KEY, "temp{room=\"attic\"}");
	f->custom[0].value = 21.5;
}

static void test_fleet_series(void **state)
{
	static const char want[] = "container_cpu:web\t1.5\ncontainer_mem:web\t1048576\ncontainer_mem:db\t2048\n"
	                           "smart_temp:sda\t30\nups_charge\t100\nups_load\t20\n"
	                           "custom:temp{room=\"attic\"}\t21.5\n";
	static const char *const names[7] = {"container_cpu:web", "container_mem:db", "container_mem:web",
	                                     "custom:temp{room=\"attic\"}", "smart_temp:sda", "ups_charge",
	                                     "ups_load"};
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], txt[3][STORE_FLEET_TEXT_MAX], small[40], got[8][STORE_SERIES_MAX];
	struct store_row r[3];
	struct store_series ser;
	struct fleet f;
	int64_t h = hour_base(), now = (int64_t)time(NULL);
	new_key(t, 7, NULL, k);

	/* the text: absent values, a control character and bytes that are
	 * not UTF-8 left out; what does not fit left out whole */
	fleet_sample(&f, 100);
	assert_string_equal(store_fleet_text(&f, txt[0], sizeof(txt[0])), want);
	assert_string_equal(store_fleet_text(&f, small, sizeof(small)), "container_cpu:web\t1.5\n");
	assert_null(store_fleet_text(&f, small, 10));
	memset(&f, 0, sizeof(f));
	assert_null(store_fleet_text(&f, small, sizeof(small)));
	assert_int_equal(store_series_ok("ups_charge", 10), 1);
	assert_int_equal(store_series_ok("container_cpu:w\xc3\xa9", 17), 1);
	assert_int_equal(store_series_ok("a\tb", 3), 0);
	assert_int_equal(store_series_ok("\xed\xa0\x80", 3), 0); /* a surrogate */
	assert_int_equal(store_series_ok("", 0), 0);

	/* charge 100 and 90 in minute h, 50 in the next hour */
	fleet_sample(&f, 100);
	row(&r[0], k, h + 0, 10, 1);
	r[0].fleet = store_fleet_text(&f, txt[0], sizeof(txt[0]));
	fleet_sample(&f, 90);
	row(&r[1], k, h + 20, 30, 2);
	r[1].fleet = store_fleet_text(&f, txt[1], sizeof(txt[1]));
	fleet_sample(&f, 50);
	row(&r[2], k, h + 3605, 70, 6);
	r[2].fleet = store_fleet_text(&f, txt[2], sizeof(txt[2]));
	assert_int_equal(store_insert(t->st, r, 3, NULL), 3);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_metrics"), 21);
	/* a resend changes nothing */
	assert_int_equal(store_insert(t->st, &r[1], 1, NULL), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_metrics"), 21);
	assert_int_equal(store_rollup_run(t->st, h + 99999, 1), 2);

	assert_int_equal(store_fleet_range(t->st, k, "ups_charge", h, h + 7199, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 3);
	expect_point(&ser.pts[0], h, 1, 100, 100, 100);
	expect_point(&ser.pts[1], h + 20, 1, 90, 90, 90);
	expect_point(&ser.pts[2], h + 3605, 1, 50, 50, 50);
	store_series_free(&ser);
	assert_int_equal(store_fleet_range(t->st, k, "ups_charge", h, h + 7199, STORE_RES_MINUTE, &ser), 0);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 2, 95, 90, 100);
	expect_point(&ser.pts[1], h + 3600, 1, 50, 50, 50);
	store_series_free(&ser);
	assert_int_equal(store_fleet_range(t->st, k, "ups_charge", h + 30, h + 7199, STORE_RES_HOUR, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_HOUR);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 2, 95, 90, 100);
	expect_point(&ser.pts[1], h + 3600, 1, 50, 50, 50);
	store_series_free(&ser);
	/* AUTO over 24 h: minutes */
	assert_int_equal(store_fleet_range(t->st, k, "container_mem:web", now - 86400, now, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_MINUTE);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[0], h, 2, 1048576, 1048576, 1048576);
	store_series_free(&ser);
	assert_int_equal(store_fleet_range(t->st, k, "custom:temp{room=\"attic\"}", h, h + 59, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 2);
	expect_point(&ser.pts[1], h + 20, 1, 21.5, 21.5, 21.5);
	store_series_free(&ser);
	/* one never sent, a name the store does not keep, another key */
	assert_int_equal(store_fleet_range(t->st, k, "container_cpu:db", h, h + 7199, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 0);
	assert_int_equal(store_fleet_range(t->st, k, "a\nb", h, h + 7199, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 0);
	assert_int_equal(store_fleet_range(t->st, "nokey", "ups_charge", h, h + 7199, STORE_RES_RAW, &ser), 0);
	assert_int_equal(ser.n, 0);
	assert_int_equal(store_fleet_range(t->st, k, "ups_charge", h + 1, h, STORE_RES_RAW, &ser), STORE_EINVAL);

	/* the names a key has, in order */
	assert_int_equal(store_fleet_series(t->st, k, h, got, 8), 7);
	for (int i = 0; i < 7; i++)
		assert_string_equal(got[i], names[i]);
	assert_int_equal(store_fleet_series(t->st, k, h, got, 2), 2);
	assert_string_equal(got[1], names[1]);
	assert_int_equal(store_fleet_series(t->st, k, h + 7200, got, 8), 0);

	/* retention: a row 31 days old goes with its fleet rows, rollups stay */
	fleet_sample(&f, 10);
	row(&r[0], k, now - 31 * 86400, 1, 1);
	r[0].fleet = store_fleet_text(&f, txt[0], sizeof(txt[0]));
	assert_int_equal(store_insert(t->st, r, 1, NULL), 1);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_metrics"), 28);
	assert_true(store_purge(t->st, now) >= 8);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_metrics"), 21);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_1h"), 14);

	/* removing the key removes its series */
	assert_int_equal(store_key_delete(t->st, k), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_metrics"), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_1m"), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM fleet_1h"), 0);
}

/* The async layer folds and purges in slices so samples never wait long:
 * the oldest minutes first, and the purge a few keys per step. */
static void test_sliced_fold_and_purge(void **state)
{
	struct t *t = *state;
	char a[STORE_SECRET_MAX + 1], b[STORE_SECRET_MAX + 1], err[STORE_ERR_LEN];
	struct store_row r[3];
	int64_t h = hour_base(), d = 86400, now = h + 7200;
	new_key(t, 1, NULL, a);
	new_key(t, 1, NULL, b);
	row(&r[0], a, h + 120, 1, 0);
	row(&r[1], b, h + 60, 2, 0);
	row(&r[2], a, h, 3, 0);
	assert_int_equal(store_insert(t->st, r, 3, NULL), 3);
	assert_int_equal(store_rollup_some(t->st, now, 0, 1), 1);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics_1m"), 1);
	assert_int_equal(raw_int(t, "SELECT bucket FROM metrics_1m"), h);
	assert_int_equal(store_rollup_some(t->st, now, 0, 1), 1);
	assert_int_equal(raw_int(t, "SELECT MAX(bucket) FROM metrics_1m"), h + 60);
	assert_int_equal(store_rollup_some(t->st, now, 0, 5), 1);
	assert_int_equal(store_rollup_some(t->st, now, 0, 5), 0);

	store_close(t->st);
	t->cfg.retention_days = 1;
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	row(&r[0], a, now - 3 * d, 1, 0);
	row(&r[1], b, now - 3 * d, 1, 0);
	assert_int_equal(store_insert(t->st, r, 2, NULL), 2);
	assert_int_equal(store_purge_step(t->st, now, 1), 0); /* one key of two */
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics"), 4);
	assert_int_equal(store_purge_step(t->st, now, 1), 1); /* the other, and done */
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics"), 3);
}

/* ---- keys ----------------------------------------------------------------------------- */

static void test_keys(void **state)
{
	struct t *t = *state;
	char a[STORE_SECRET_MAX + 1], b[STORE_SECRET_MAX + 1], c[STORE_SECRET_MAX + 1], x[STORE_SECRET_MAX + 1];
	char name[STORE_NAME_MAX + 1];
	struct store_key *keys;
	struct store_key one;
	size_t n;
	assert_int_equal(store_key_create(t->st, 100, NULL, 1000, a, name), 0);
	assert_string_equal(name, "key1");
	assert_int_equal(strlen(a), STORE_SECRET_LEN);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 20);
	assert_int_equal(store_key_create(t->st, 100, NULL, 1001, b, name), 0);
	assert_string_equal(name, "key2");
	assert_string_not_equal(a, b);
	assert_int_equal(store_key_create(t->st, 100, "key2", 1002, NULL, NULL), STORE_EEXIST);
	assert_int_equal(store_key_create(t->st, 200, "key2", 1002, c, NULL), 0); /* per owner */
	assert_int_equal(store_key_create(t->st, 100, "", 1003, NULL, NULL) == 0, 1);     /* key3 */
	assert_int_equal(store_key_create(t->st, 100, "bad\nname", 1003, NULL, NULL), STORE_EINVAL);
	assert_int_equal(store_key_list(t->st, 100, &keys, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(keys[0].secret, a);
	assert_string_equal(keys[0].nickname, "key1");
	assert_int_equal(keys[0].created, 1000);
	assert_int_equal(keys[0].nowners, 1);
	assert_int_equal(keys[0].owners[0], 100);
	assert_string_equal(keys[2].nickname, "key3");
	store_keys_free(keys, n);
	for (int again = 0; again < 2; again++) { /* a statement without parameters, run twice */
		assert_int_equal(store_key_list(t->st, STORE_ANY_OWNER, &keys, &n), 0);
		assert_int_equal(n, 4);
		store_keys_free(keys, n);
	}

	/* rename: unique per owner; quotes are just text */
	assert_int_equal(store_key_rename(t->st, 100, a, "key2"), STORE_EEXIST);
	assert_int_equal(store_key_rename(t->st, 100, a, "it's \"web\"; DROP TABLE agents"), 0);
	assert_int_equal(store_key_rename(t->st, 999, a, "x"), STORE_ENOKEY);
	assert_int_equal(store_key_resolve(t->st, 100, "it's \"web\"; DROP TABLE agents", x), 0);
	assert_string_equal(x, a);
	assert_int_equal(store_key_resolve(t->st, 100, a, x), 0);
	assert_string_equal(x, a);
	assert_int_equal(store_key_resolve(t->st, 200, a, x), STORE_ENOKEY); /* not theirs */
	assert_int_equal(store_key_resolve(t->st, 100, "nope", x), STORE_ENOKEY);
	assert_int_equal(store_key_resolve(t->st, 100, "привет", x), STORE_ENOKEY);

	/* co-owner: 200 links b (named key2, as 200's own c): allowed, but the
	 * name is now ambiguous for 200, and renames respect both owners. */
	assert_int_equal(store_key_add_owner(t->st, b, 200, 1005), 0);
	assert_int_equal(store_key_add_owner(t->st, b, 200, 1006), 1);
	assert_int_equal(store_key_add_owner(t->st, "NoSuchKey", 200, 1006), STORE_ENOKEY);
	assert_int_equal(store_key_is_owner(t->st, b, 200), 1);
	assert_int_equal(store_key_resolve(t->st, 200, "key2", x), STORE_EAMBIG);
	assert_int_equal(store_key_resolve(t->st, STORE_ANY_OWNER, "key2", x), STORE_EAMBIG);
	assert_int_equal(store_key_rename(t->st, 100, c, "zzz"), STORE_ENOKEY);
	assert_int_equal(store_key_rename(t->st, 200, c, "key3"), 0);
	assert_int_equal(store_key_rename(t->st, 100, b, "key3"), STORE_EEXIST); /* 100 has key3 too */
	assert_int_equal(store_key_rename(t->st, 200, b, "Ünïcödé 🖥"), 0);
	assert_int_equal(store_key_get(t->st, b, &one), 0);
	assert_string_equal(one.nickname, "Ünïcödé 🖥");
	assert_int_equal(one.nowners, 2);
	assert_int_equal(one.owners[0], 100);
	assert_int_equal(one.owners[1], 200);
	store_key_free(&one);

	/* ownerless keys (the CLI): names unique among them */
	assert_int_equal(store_key_create(t->st, 0, "cli", 1010, x, NULL), 0);
	assert_int_equal(store_key_create(t->st, 0, "cli", 1010, NULL, NULL), STORE_EEXIST);
	assert_int_equal(store_key_list(t->st, 0, &keys, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].secret, x);
	assert_int_equal(keys[0].nowners, 0);
	store_keys_free(keys, n);
	assert_int_equal(store_key_exists(t->st, x), 1);
	assert_int_equal(store_key_exists(t->st, "x'--"), 0);
}

static void test_key_delete_everything(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], other[STORE_SECRET_MAX + 1], sql[200];
	struct store_row r[2];
	struct store_alert al = {0};
	int64_t h = hour_base();
	new_key(t, 100, "doomed", k);
	new_key(t, 100, "stays", other);
	assert_int_equal(store_key_add_owner(t->st, k, 300, 1), 0);
	row(&r[0], k, h, 1, 1);
	row(&r[1], other, h, 2, 2);
	assert_int_equal(store_insert(t->st, r, 2, NULL), 2);
	assert_int_equal(store_rollup_run(t->st, h + 3600, 1), 2);
	row(&r[0], k, h + 120, 1, 1);
	assert_int_equal(store_insert(t->st, r, 1, NULL), 1); /* journalled, not folded */
	al.user = 100;
	snprintf(al.secret, sizeof(al.secret), "%s", k);
	snprintf(al.metric, sizeof(al.metric), "cpu");
	al.threshold = 90;
	assert_int_equal(store_alert_set(t->st, &al), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "reboot", 100, 5, 1, 600, 0, NULL), 0);
	assert_int_equal(store_active_set(t->st, 5, k), 0);
	assert_int_equal(store_active_set(t->st, 6, other), 0);

	assert_int_equal(store_key_delete(t->st, k), 0);
	static const char *const tables[] = {"agents", "agent_owners", "chat_active", "alert_rules",
	                                     "command_queue", "metrics", "metrics_1m", "metrics_1h",
	                                     "rollup_dirty"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE secret='%s'", tables[i], k);
		assert_int_equal(raw_int(t, sql), 0);
		snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE secret='%s'", tables[i], other);
		assert_true(raw_int(t, sql) >= (i == 3 || i == 4 || i == 8 ? 0 : 1));
	}
	assert_int_equal(store_key_exists(t->st, k), 0);
	assert_int_equal(store_key_delete(t->st, k), STORE_ENOKEY);
	/* Its late samples are refused now. */
	row(&r[0], k, h + 200, 1, 1);
	{
		int res;
		assert_int_equal(store_insert(t->st, r, 1, &res), 0);
		assert_int_equal(res, STORE_ENOKEY);
	}
	assert_int_equal(store_rollup_run(t->st, h + 7200, 1), 0);
}

static void test_active_meta_seen(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], got[STORE_SECRET_MAX + 1], buf[8];
	struct store_key one;
	new_key(t, 1, NULL, k);
	assert_int_equal(store_active_get(t->st, -1001234, got), STORE_ENOTFOUND);
	assert_int_equal(store_active_set(t->st, -1001234, k), 0);
	assert_int_equal(store_active_get(t->st, -1001234, got), 0);
	assert_string_equal(got, k);
	assert_int_equal(store_meta_get(t->st, "bot.offset", buf, sizeof(buf)), STORE_ENOTFOUND);
	assert_int_equal(store_meta_set(t->st, "bot.offset", "123456"), 0);
	assert_int_equal(store_meta_set(t->st, "bot.offset", "1234567"), 0);
	assert_int_equal(store_meta_get(t->st, "bot.offset", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1234567");
	assert_int_equal(store_meta_set(t->st, "bot.offset", "12345678"), 0);
	assert_int_equal(store_meta_get(t->st, "bot.offset", buf, sizeof(buf)), STORE_EFULL);
	assert_int_equal(store_agent_seen(t->st, k, 5000, "{\"hostname\":\"h1\"}"), 0);
	assert_int_equal(store_agent_seen(t->st, k, 4000, NULL), 0);
	assert_int_equal(store_key_get(t->st, k, &one), 0);
	assert_int_equal(one.last_seen, 5000);
	assert_string_equal(one.host, "{\"hostname\":\"h1\"}");
	store_key_free(&one);
}

static void test_alerts(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	struct store_alert a = {0}, *v;
	size_t n;
	new_key(t, 1, NULL, k);
	a.user = 1;
	snprintf(a.secret, sizeof(a.secret), "%s", k);
	snprintf(a.metric, sizeof(a.metric), "cpu");
	a.threshold = 90;
	a.for_s = 120;
	a.hyst = 5;
	assert_int_equal(store_alert_set(t->st, &a), 0);
	snprintf(a.metric, sizeof(a.metric), "offline");
	a.threshold = 300;
	assert_int_equal(store_alert_set(t->st, &a), 0);
	a.user = 2;
	assert_int_equal(store_alert_set(t->st, &a), 0);
	assert_int_equal(store_alert_list(t->st, k, 0, &v, &n), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_int_equal(store_alert_list(t->st, NULL, 1, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].metric, "cpu");
	assert_true(v[0].threshold == 90);
	assert_int_equal(v[0].for_s, 120);
	assert_true(v[0].hyst == 5);
	assert_int_equal(v[0].state, STORE_AL_OK);
	v[0].state = STORE_AL_FIRING;
	v[0].since = 777;
	v[0].last_sent = 778;
	v[0].muted_until = -1;
	assert_int_equal(store_alert_update(t->st, &v[0]), 0);
	free(v);
	assert_int_equal(store_alert_list(t->st, k, 1, &v, &n), 0);
	assert_int_equal(v[0].state, STORE_AL_FIRING);
	assert_int_equal(v[0].since, 777);
	assert_int_equal(v[0].last_sent, 778);
	assert_int_equal(v[0].muted_until, -1);
	free(v);
	assert_int_equal(store_alert_delete(t->st, 1, k, "cpu"), 0);
	assert_int_equal(store_alert_delete(t->st, 1, k, "cpu"), STORE_ENOTFOUND);
	assert_int_equal(store_alert_list(t->st, NULL, 0, &v, &n), 0);
	assert_int_equal(n, 2);
	free(v);
}

/* ---- command queue --------------------------------------------------------------------- */

static void test_cmd_queue(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], *answer;
	struct store_cmd c[8];
	int64_t id_status, id_reboot, id_diag, id_late;
	new_key(t, 1, NULL, k);
	assert_int_equal(store_cmd_ttl("reboot", 600), 600);
	assert_int_equal(store_cmd_ttl("shutdown", 600), 600);
	assert_int_equal(store_cmd_ttl("status", 600), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "status", 42, -5, 1000, 0, 0, &id_status), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "reboot", 42, -5, 1000, 600, 0, &id_reboot), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "diag", 43, 0, 1001, 0, 0, &id_diag), 0);
	assert_true(id_status < id_reboot && id_reboot < id_diag);

	/* Delivered in order, exactly once. */
	assert_int_equal(store_cmd_take(t->st, k, 1500, c, 8), 3);
	assert_string_equal(c[0].command, "status");
	assert_int_equal(c[0].requested_by, 42);
	assert_int_equal(c[0].chat_id, -5);
	assert_int_equal(c[0].state, STORE_CMD_DELIVERED);
	assert_int_equal(c[0].delivered_at, 1500);
	assert_string_equal(c[1].command, "reboot");
	assert_int_equal(c[1].expires_at, 1600);
	assert_string_equal(c[2].command, "diag");
	assert_int_equal(store_cmd_take(t->st, k, 1500, c, 8), 0);

	/* The reply could not be written: back in the queue, once. */
	assert_int_equal(store_cmd_requeue(t->st, id_diag), 0);
	assert_int_equal(store_cmd_requeue(t->st, id_diag), STORE_ENOTFOUND);
	assert_int_equal(store_cmd_take(t->st, k, 1500, c, 8), 1);
	assert_int_equal(c[0].id, id_diag);

	/* Answers: by id and to the oldest waiting command of a kind. */
	assert_int_equal(store_cmd_answer_pending(t->st, k, "diag", 0, 1510, "report", NULL), 0);
	assert_int_equal(store_cmd_answer_pending(t->st, k, "diag", 0, 1510, "again", NULL), STORE_ENOTFOUND);
	assert_int_equal(store_cmd_answer(t->st, id_status, 1511, "{\"cpu\":1}"), 0);
	assert_int_equal(store_cmd_get(t->st, id_diag, &c[0], &answer), 0);
	assert_int_equal(c[0].state, STORE_CMD_ANSWERED);
	assert_int_equal(c[0].answered_at, 1510);
	assert_string_equal(answer, "report");
	free(answer);

	/* TTL: a reboot for an agent that comes back too late is never handed
	 * out, and is reported once. */
	assert_int_equal(store_cmd_enqueue(t->st, k, "shutdown", 42, -5, 2000, 600, 0, &id_late), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "speedtest", 42, -5, 2000, 0, 0, NULL), 0);
	assert_int_equal(store_cmd_expire(t->st, 2599, c, 8), 0);
	assert_int_equal(store_cmd_take(t->st, k, 2600, c, 8), 1);
	assert_string_equal(c[0].command, "speedtest");
	assert_int_equal(store_cmd_expire(t->st, 2600, c, 8), 1);
	assert_int_equal(c[0].id, id_late);
	assert_int_equal(c[0].requested_by, 42);
	assert_int_equal(c[0].chat_id, -5);
	assert_int_equal(c[0].state, STORE_CMD_EXPIRED);
	assert_int_equal(store_cmd_expire(t->st, 9999, c, 8), 0);
	assert_int_equal(store_cmd_take(t->st, k, 9999, c, 8), 0);
	assert_int_equal(store_cmd_get(t->st, id_late, &c[0], NULL), 0);
	assert_int_equal(c[0].state, STORE_CMD_EXPIRED);

	/* Sent at once to a connected agent: recorded as delivered. */
	assert_int_equal(store_cmd_enqueue(t->st, k, "status", 7, 7, 3000, 0, 1, &id_status), 0);
	assert_int_equal(store_cmd_take(t->st, k, 3000, c, 8), 0);
	assert_int_equal(store_cmd_get(t->st, id_status, &c[0], NULL), 0);
	assert_int_equal(c[0].state, STORE_CMD_DELIVERED);
	assert_int_equal(c[0].delivered_at, 3000);
	assert_int_equal(store_cmd_enqueue(t->st, k, "", 7, 7, 3000, 0, 0, NULL), STORE_EINVAL);
}

/* Two handles on one database (two servers, or a retry after a lost
 * reply): each queued command is handed to one of them. */
/* "already running" answers the newest request; the result the oldest. */
static void test_cmd_answer_newest(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1];
	int64_t first, second;
	struct store_cmd c;
	char *answer = NULL;
	new_key(t, 7, NULL, k);
	assert_int_equal(store_cmd_enqueue(t->st, k, "diag", 7, 7, 1000, 0, 1, &first), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "diag", 7, 7, 1001, 0, 1, &second), 0);
	assert_int_equal(store_cmd_answer_pending(t->st, k, "diag", 1, 1002, "already running", NULL), 0);
	assert_int_equal(store_cmd_answer_pending(t->st, k, "diag", 0, 1003, "the report", NULL), 0);
	assert_int_equal(store_cmd_get(t->st, first, &c, &answer), 0);
	assert_string_equal(answer, "the report");
	free(answer);
	assert_int_equal(store_cmd_get(t->st, second, &c, &answer), 0);
	assert_string_equal(answer, "already running");
	free(answer);
}

static void test_cmd_take_two_handles(void **state)
{
	struct t *t = *state;
	char k[STORE_SECRET_MAX + 1], err[STORE_ERR_LEN];
	struct store *b;
	struct store_cmd c[4];
	new_key(t, 1, NULL, k);
	assert_int_equal(store_open(&b, &t->cfg, err), 0);
	assert_int_equal(store_cmd_enqueue(t->st, k, "status", 1, 1, 10, 0, 0, NULL), 0);
	assert_int_equal(store_cmd_take(b, k, 11, c, 4), 1);
	assert_int_equal(store_cmd_take(t->st, k, 11, c, 4), 0);
	store_close(b);
}

/* ---- the original's data ------------------------------------------------------------------ */

/* The original's newest layout: metrics without a unique key (duplicates
 * possible) and state(id, data LONGTEXT) holding json.dumps of its db. */
static void make_original(struct t *t)
{
	if (use_mysql) {
		raw_exec(t, "CREATE TABLE metrics (secret VARCHAR(255), ts BIGINT, cpu DOUBLE, ram DOUBLE, gpu DOUBLE, "
		            "vram DOUBLE, ram_used DOUBLE, ram_total DOUBLE, swap DOUBLE, swap_used DOUBLE, "
		            "swap_total DOUBLE, vram_used DOUBLE, vram_total DOUBLE, cpu_temp DOUBLE, gpu_temp DOUBLE, "
		            "net_up DOUBLE, net_down DOUBLE, uptime BIGINT, disks TEXT, top_procs TEXT, "
		            "KEY idx_secret_ts(secret, ts)) DEFAULT CHARSET=utf8mb4");
		raw_exec(t, "CREATE TABLE state (id INT PRIMARY KEY, data LONGTEXT)");
	} else {
		raw_exec(t, "CREATE TABLE metrics (secret TEXT, ts INTEGER, cpu REAL, ram REAL, gpu REAL, vram REAL, "
		            "ram_used REAL, ram_total REAL, swap REAL, swap_used REAL, swap_total REAL, vram_used REAL, "
		            "vram_total REAL, cpu_temp REAL, gpu_temp REAL, net_up REAL, net_down REAL, uptime INTEGER, "
		            "disks TEXT, top_procs TEXT)");
		raw_exec(t, "CREATE INDEX idx_secret_ts ON metrics (secret, ts)");
		raw_exec(t, "CREATE TABLE state (id INTEGER PRIMARY KEY, data TEXT)");
	}
}

#define SEC_A "AAAAAAAAAAAAAAAAAAA1"
#define SEC_B "bbbbbbbbbbbbbbbbbbb2"
#define SEC_C "CcCcCcCcCcCcCcCcCcC3"

static const char state_json[] =
	"{\"secrets\": {"
	"\"" SEC_A "\": {\"owners\": [111, 222], \"nickname\": \"\\u0441\\u0435\\u0440\\u0432\\u0435\\u0440 "
	"\\ud83d\\udda5\", \"pending\": [\"status\", \"reboot\"]}, "
	"\"" SEC_B "\": {\"owners\": [222], \"nickname\": \"key1\", \"pending\": []}, "
	"\"" SEC_C "\": {\"owners\": [], \"nickname\": null}, "
	"\"not a secret!\": {\"owners\": [1]}}, "
	"\"active\": {\"111\": \"" SEC_A "\", \"-100200300\": \"" SEC_B "\", \"5\": \"GoneGoneGoneGoneGone\"}, "
	"\"alerts\": {\"111\": {\"" SEC_A "\": {\"cpu\": 90.0, \"ram\": 80.5}}, "
	"\"222\": {\"" SEC_B "\": {\"VRAM\": 50}, \"GoneGoneGoneGoneGone\": {\"cpu\": 1}}}, "
	"\"alert_last\": {\"111:" SEC_A ":cpu\": 1712345678.25}, "
	"\"extra\": [1, {\"a\": [2, 3]}]}";

static void check_imported(struct t *t, int64_t h)
{
	struct store_key k;
	struct store_alert *al;
	struct store_cmd c[4];
	char s[STORE_SECRET_MAX + 1];
	size_t n;
	assert_int_equal(store_key_get(t->st, SEC_A, &k), 0);
	assert_string_equal(k.nickname, "сервер 🖥");
	assert_int_equal(k.nowners, 2);
	assert_int_equal(k.owners[0] == 111 || k.owners[1] == 111, 1);
	assert_int_equal(k.owners[0] == 222 || k.owners[1] == 222, 1);
	assert_int_equal(k.created, h);  /* its first sample */
	assert_int_equal(k.last_seen, h + 10);
	store_key_free(&k);
	assert_int_equal(store_key_get(t->st, SEC_B, &k), 0);
	assert_string_equal(k.nickname, "key1");
	assert_int_equal(k.nowners, 1);
	assert_int_equal(k.owners[0], 222);
	store_key_free(&k);
	assert_int_equal(store_key_get(t->st, SEC_C, &k), 0);
	assert_string_equal(k.nickname, "");
	assert_int_equal(k.nowners, 0);
	store_key_free(&k);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agents"), 3);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agent_owners"), 3);
	assert_int_equal(store_key_resolve(t->st, 111, "сервер 🖥", s), 0);
	assert_string_equal(s, SEC_A);

	assert_int_equal(store_active_get(t->st, 111, s), 0);
	assert_string_equal(s, SEC_A);
	assert_int_equal(store_active_get(t->st, -100200300, s), 0);
	assert_string_equal(s, SEC_B);
	assert_int_equal(store_active_get(t->st, 5, s), STORE_ENOTFOUND);

	assert_int_equal(store_alert_list(t->st, NULL, 0, &al, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(al[0].user, 111);
	assert_string_equal(al[0].metric, "cpu");
	assert_true(al[0].threshold == 90);
	assert_int_equal(al[0].last_sent, 1712345678);
	assert_string_equal(al[1].metric, "ram");
	assert_true(al[1].threshold == 80.5);
	assert_int_equal(al[1].last_sent, 0);
	assert_int_equal(al[2].user, 222);
	assert_string_equal(al[2].secret, SEC_B);
	assert_string_equal(al[2].metric, "vram");
	free(al);

	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM command_queue"), 2);
	assert_int_equal(store_cmd_take(t->st, SEC_A, (int64_t)time(NULL), c, 4), 2);
	assert_string_equal(c[0].command, "status");
	assert_int_equal(c[0].expires_at, 0);
	assert_string_equal(c[1].command, "reboot");
	assert_true(c[1].expires_at > 0);
	assert_int_equal(c[1].expires_at - c[1].requested_at, 600);
}

static void test_import_original(void **state)
{
	struct t *t = *state;
	char err[STORE_ERR_LEN], sql[4096];
	struct store_series ser;
	struct store_sample smp;
	struct db_stmt *s;
	int64_t h = hour_base();
	make_original(t);
	/* metrics rows as the original wrote them (NULL disks), one duplicate */
	snprintf(sql, sizeof(sql), "INSERT INTO metrics (secret, ts, cpu, ram, uptime, disks, top_procs) VALUES "
	                           "('%s', %lld, 10, 50, 100, NULL, NULL), ('%s', %lld, 30, 60, 105, NULL, NULL), "
	                           "('%s', %lld, 30, 60, 105, NULL, NULL), ('%s', %lld, 5, 5, 7, NULL, NULL)",
	         SEC_A, (long long)h, SEC_A, (long long)(h + 10), SEC_A, (long long)(h + 10), SEC_B,
	         (long long)(h + 3600));
	raw_exec(t, sql);
	assert_int_equal(t->ops->prepare(t->raw, "INSERT INTO state (id, data) VALUES (1, ?)", &s), 0);
	t->ops->bind_text(s, 0, state_json, strlen(state_json));
	assert_int_equal(t->ops->step(s), DB_DONE);
	t->ops->finalize(s);

	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	check_imported(t, h);
	/* its metrics, as they are (the duplicate folded away) */
	assert_int_equal(count_metrics(t, SEC_A), 2);
	assert_int_equal(store_latest(t->st, SEC_A, &smp), 0);
	assert_int_equal(smp.row.ts, h + 10);
	assert_true(smp.row.v[SC_CPU] == 30);
	assert_true(smp.row.v[SC_UPTIME] == 105);
	assert_null(smp.disks);
	store_sample_free(&smp);
	/* rollups built for the old rows, so long charts work at once */
	assert_int_equal(store_range(t->st, SEC_A, SM_CPU, h - 86400 * 20, h + 3600, STORE_RES_AUTO, &ser), 0);
	assert_int_equal(ser.res, STORE_RES_HOUR);
	assert_int_equal(ser.n, 1);
	expect_point(&ser.pts[0], h, 2, 20, 10, 30);
	store_series_free(&ser);
	/* new samples go into the same table */
	{
		struct store_row r;
		row(&r, SEC_A, h + 20, 1, 1);
		assert_int_equal(store_insert(t->st, &r, 1, NULL), 1);
		row(&r, SEC_A, h + 10, 1, 1);
		assert_int_equal(store_insert(t->st, &r, 1, NULL), 0);
	}

	/* Second start: nothing imported again, nothing doubled. */
	store_close(t->st);
	raw_exec(t, "DELETE FROM command_queue WHERE command='status'");
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agents"), 3);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agent_owners"), 3);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM alert_rules"), 3);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM chat_active"), 2);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM command_queue"), 1);
	assert_int_equal(count_metrics(t, SEC_A), 3);
	/* Even imported by hand again: keys known, so no command twice. */
	assert_int_equal(store_import_json(t->st, state_json, strlen(state_json), 5), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM command_queue"), 1);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agent_owners"), 3);
}

static void test_import_old_tables(void **state)
{
	/* The original's earlier layout: one row per key, JSON lists. */
	struct t *t = *state;
	char err[STORE_ERR_LEN];
	struct store_cmd c[2];
	struct store_alert *al;
	size_t n;
	struct store_key k;
	raw_exec(t, "CREATE TABLE secrets (secret VARCHAR(64) PRIMARY KEY, owners TEXT, nickname TEXT, pending TEXT)");
	raw_exec(t, "CREATE TABLE active (chat_id VARCHAR(32) PRIMARY KEY, secret VARCHAR(64))");
	raw_exec(t, "CREATE TABLE alerts (uid VARCHAR(32), secret VARCHAR(64), metric VARCHAR(16), threshold FLOAT, "
	            "PRIMARY KEY (uid, secret, metric))");
	raw_exec(t, "CREATE TABLE alert_last (id VARCHAR(64) PRIMARY KEY, ts INT)");
	raw_exec(t, "INSERT INTO secrets VALUES ('" SEC_A "', '[111, 222]', 'web', '[\"diag\"]'), "
	            "('" SEC_B "', '[]', NULL, NULL)");
	raw_exec(t, "INSERT INTO active VALUES ('111', '" SEC_A "')");
	raw_exec(t, "INSERT INTO alerts VALUES ('111', '" SEC_A "', 'cpu', 75)");
	raw_exec(t, "INSERT INTO alert_last VALUES ('111:" SEC_A ":cpu', 1700000000)");
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	assert_int_equal(store_key_get(t->st, SEC_A, &k), 0);
	assert_string_equal(k.nickname, "web");
	assert_int_equal(k.nowners, 2);
	store_key_free(&k);
	assert_int_equal(store_key_exists(t->st, SEC_B), 1);
	assert_int_equal(store_cmd_take(t->st, SEC_A, 10, c, 2), 1);
	assert_string_equal(c[0].command, "diag");
	assert_int_equal(store_alert_list(t->st, NULL, 111, &al, &n), 0);
	assert_int_equal(n, 1);
	assert_true(al[0].threshold == 75);
	assert_int_equal(al[0].last_sent, 1700000000);
	free(al);
	store_close(t->st);
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM command_queue"), 1);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agent_owners"), 2);
}

static void test_import_bad_json(void **state)
{
	struct t *t = *state;
	char err[STORE_ERR_LEN];
	make_original(t);
	raw_exec(t, "INSERT INTO state (id, data) VALUES (1, '{\"secrets\": {')");
	assert_int_equal(store_open(&t->st, &t->cfg, err), 0); /* starts anyway */
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM agents"), 0);
	assert_int_equal(store_import_json(t->st, "[1,2]", 5, 1), STORE_EINVAL);
}

/* ---- the wire record --------------------------------------------------------------------- */

static void test_row_from_sample(void **state)
{
	struct sample *s = calloc(1, sizeof(*s));
	struct store_row r;
	char buf[2048], host[512], tiny[16];
	(void)state;
	sample_clear(s);
	s->v[SK_CPU] = 12.5;
	s->v[SK_UPTIME] = 99;
	s->v[SK_CORES] = 4;
	s->load[0] = 0.5;
	s->load[1] = 0.25;
	s->load[2] = 0.125;
	s->has_disks = 1;
	s->ndisks = 2;
	snprintf(s->disks[0].mount, sizeof(s->disks[0].mount), "/");
	s->disks[0].percent = 40;
	s->disks[0].used = 400;
	s->disks[0].total = 1000;
	snprintf(s->disks[1].mount, sizeof(s->disks[1].mount), "/data \"x\"");
	s->disks[1].percent = 91.5;
	s->disks[1].used = 915;
	s->disks[1].total = 1000;
	s->has_procs = 1;
	s->nprocs = 1;
	snprintf(s->procs[0].name, sizeof(s->procs[0].name), "nginx (4)");
	s->procs[0].cpu = 3.5;
	s->procs[0].ram = 2048;
	s->ngpus = 1;
	s->gpus[0].index = 0;
	snprintf(s->gpus[0].name, sizeof(s->gpus[0].name), "RTX");
	s->gpus[0].util = 50;
	s->gpus[0].vram_used = NAN;
	s->gpus[0].vram_total = 8192;
	s->gpus[0].temp = 60;
	s->gpus[0].power_w = 120.5;
	s->has_host = 1;
	snprintf(s->host.hostname, sizeof(s->host.hostname), "box");
	snprintf(s->host.os, sizeof(s->host.os), "Debian 12");
	snprintf(s->host.kernel, sizeof(s->host.kernel), "6.1");
	snprintf(s->host.arch, sizeof(s->host.arch), "x86_64");
	snprintf(s->host.agent, sizeof(s->host.agent), "monbot-agent 0.1.0");
	assert_int_equal(store_row_from_sample(&r, "SECRET", 1234, s, buf, sizeof(buf)), 0);
	assert_string_equal(r.secret, "SECRET");
	assert_int_equal(r.ts, 1234);
	assert_true(r.v[SC_CPU] == 12.5);
	assert_true(isnan(r.v[SC_RAM]));
	assert_true(r.v[SC_UPTIME] == 99);
	assert_true(r.v[SC_CORES] == 4);
	assert_true(r.v[SC_LOAD15] == 0.125);
	assert_true(r.v[SC_DISK_PCT] == 91.5);
	assert_string_equal(r.disks, "[{\"mount\":\"/\",\"percent\":40,\"used\":400,\"total\":1000},"
	                             "{\"mount\":\"/data \\\"x\\\"\",\"percent\":91.5,\"used\":915,\"total\":1000}]");
	assert_string_equal(r.top_procs, "[{\"name\":\"nginx (4)\",\"cpu\":3.5,\"ram\":2048}]");
	assert_string_equal(r.gpus, "[{\"index\":0,\"name\":\"RTX\",\"util\":50,\"vram_used\":null,"
	                            "\"vram_total\":8192,\"temp\":60,\"power_w\":120.5}]");
	assert_int_equal(store_host_json(s, host, sizeof(host)), 0);
	assert_string_equal(host, "{\"hostname\":\"box\",\"os\":\"Debian 12\",\"kernel\":\"6.1\","
	                          "\"arch\":\"x86_64\",\"agent\":\"monbot-agent 0.1.0\"}");
	assert_int_equal(store_row_from_sample(&r, "SECRET", 1234, s, tiny, sizeof(tiny)), STORE_EFULL);
	sample_clear(s);
	assert_int_equal(store_row_from_sample(&r, "S", 1, s, tiny, sizeof(tiny)), 0);
	assert_null(r.disks);
	assert_null(r.top_procs);
	assert_true(isnan(r.v[SC_DISK_PCT]));
	free(s);
}

static void test_config(void **state)
{
	struct store_config c;
	char err[STORE_ERR_LEN];
	(void)state;
	store_config_defaults(&c);
	assert_int_equal(c.kind, STORE_SQLITE);
	assert_string_equal(c.sqlite_path, "monbot.db");
	assert_string_equal(c.mysql_host, "127.0.0.1");
	assert_int_equal(c.mysql_port, 3306);
	assert_string_equal(c.mysql_user, "root");
	assert_string_equal(c.mysql_db, "monitoring");
	assert_int_equal(c.retention_days, 30);
	assert_int_equal(store_config_set(&c, "DB", "mysql", err), 1);
	assert_int_equal(c.kind, STORE_MYSQL);
	assert_int_equal(store_config_set(&c, "DB", "postgres", err), STORE_EINVAL);
	assert_non_null(strstr(err, "DB"));
	assert_int_equal(store_config_set(&c, "MYSQL_PORT", "70000", err), STORE_EINVAL);
	assert_non_null(strstr(err, "MYSQL_PORT"));
	assert_int_equal(store_config_set(&c, "MYSQL_PORT", "3307", err), 1);
	assert_int_equal(c.mysql_port, 3307);
	assert_int_equal(store_config_set(&c, "MYSQL_DB", "x`; DROP", err), STORE_EINVAL);
	assert_int_equal(store_config_set(&c, "RETENTION_DAYS", "0", err), STORE_EINVAL);
	assert_int_equal(store_config_set(&c, "RETENTION_DAYS", "7", err), 1);
	assert_int_equal(c.retention_days, 7);
	assert_int_equal(store_config_set(&c, "PORT", "8000", err), 0);
}

/* ---- the async layer ------------------------------------------------------------------------ */

struct evlog {
	struct store_ev ev[64];
	size_t n;
	int done_rc[8];
	int ndone;
};

static void on_ev(void *ctx, const struct store_ev *evs, size_t n)
{
	struct evlog *l = ctx;
	for (size_t i = 0; i < n && l->n < 64; i++)
		l->ev[l->n++] = evs[i];
}

static void on_done(void *arg, int rc)
{
	struct evlog *l = arg;
	l->done_rc[l->ndone++] = rc;
}

static int count_keys_fn(struct store *st, void *arg)
{
	struct store_key *keys;
	size_t n;
	int rc = store_key_list(st, STORE_ANY_OWNER, &keys, &n);
	(void)arg;
	if (rc)
		return rc;
	store_keys_free(keys, n);
	return (int)n;
}

static void pump(struct store_async *a, struct evlog *l, int want_done)
{
	for (int i = 0; i < 200 && l->ndone < want_done; i++) {
		struct pollfd p = {store_async_fd(a), POLLIN, 0};
		if (poll(&p, 1, 50) > 0)
			store_async_dispatch(a, on_ev, l);
	}
}

static void test_async(void **state)
{
	struct t *t = *state;
	char k1[STORE_SECRET_MAX + 1], k2[STORE_SECRET_MAX + 1], err[STORE_ERR_LEN];
	struct store_async *a;
	struct store_row r;
	struct store_stats stats;
	struct evlog *l = calloc(1, sizeof(*l));
	int64_t h = hour_base();
	new_key(t, 1, NULL, k1);
	new_key(t, 1, NULL, k2);
	store_close(t->st);
	t->st = NULL;
	assert_int_equal(store_async_start(&a, &t->cfg, 0, err), 0);
	/* session 1: three samples of k1, one a duplicate; session 2: one of k2
	 * and one of a key that does not exist. */
	row(&r, k1, h + 1, 1, 1);
	assert_int_equal(store_async_sample(a, 1, &r), 0);
	row(&r, k1, h + 3, 3, 3);
	r.disks = "[]";
	assert_int_equal(store_async_sample(a, 1, &r), 0);
	row(&r, k1, h + 1, 1, 1);
	assert_int_equal(store_async_sample(a, 1, &r), 0);
	row(&r, k2, h + 2, 2, 2);
	assert_int_equal(store_async_sample(a, 2, &r), 0);
	row(&r, "NoSuchKey", h + 2, 2, 2);
	assert_int_equal(store_async_sample(a, 2, &r), 0);
	assert_int_equal(store_async_flush(a, on_done, l), 0);
	assert_int_equal(store_async_call(a, count_keys_fn, on_done, l), 0);
	pump(a, l, 2);
	assert_int_equal(l->ndone, 2);
	assert_int_equal(l->done_rc[0], 0);
	assert_int_equal(l->done_rc[1], 2);
	/* events (the thread may have split the samples over commits, so they
	 * are summed): (1,k1) stored up to h+3, 3 rows; (2,k2) stored h+2;
	 * (2,NoSuchKey) refused. */
	int64_t k1_ts = 0, k2_ts = 0;
	uint32_t k1_n = 0, k2_n = 0, refused = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct store_ev *e = &l->ev[i];
		if (e->tag == 1) {
			assert_int_equal(e->kind, STORE_EV_STORED);
			assert_string_equal(e->secret, k1);
			if (e->ts > k1_ts) /* the ack is the newest seen */
				k1_ts = e->ts;
			k1_n += e->count;
		} else if (e->kind == STORE_EV_STORED) {
			assert_string_equal(e->secret, k2);
			k2_ts = e->ts;
			k2_n += e->count;
		} else {
			assert_int_equal(e->kind, STORE_EV_REFUSED);
			assert_string_equal(e->secret, "NoSuchKey");
			assert_int_equal(e->rc, STORE_ENOKEY);
			assert_int_equal(e->ts, h + 2);
			refused += e->count;
		}
	}
	assert_int_equal(k1_ts, h + 3);
	assert_int_equal(k1_n, 3);
	assert_int_equal(k2_ts, h + 2);
	assert_int_equal(k2_n, 1);
	assert_int_equal(refused, 1);
	store_async_stats(a, &stats);
	assert_int_equal(stats.queued_rows, 0);
	assert_int_equal(stats.queued_bytes, 0);

	/* The bound: a full buffer refuses, counted, without an event. */
	store_async_stop(a);
	assert_int_equal(store_async_sample(a, 1, &r), STORE_ESTOPPED);
	assert_int_equal(store_async_call(a, count_keys_fn, on_done, l), STORE_ESTOPPED);
	store_async_dispatch(a, on_ev, l);
	store_async_free(a);
	t->cfg.max_buffered_rows = 2;
	assert_int_equal(store_async_start(&a, &t->cfg, 0, err), 0);
	(void)store_async_sample(a, 3, &r);
	(void)store_async_sample(a, 3, &r);
	int full = 0;
	for (int i = 0; i < 50; i++)
		if (store_async_sample(a, 3, &r) == STORE_EFULL)
			full++;
	assert_true(full > 0);
	store_async_stats(a, &stats);
	assert_int_equal(stats.rows_dropped_full, (uint64_t)full);
	assert_int_equal(store_async_stop(a), 0);
	store_async_free(a);

	assert_int_equal(store_open(&t->st, &t->cfg, err), 0);
	assert_int_equal(count_metrics(t, k1), 2);
	assert_int_equal(count_metrics(t, k2), 1);
	/* stop folded the rollups */
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM rollup_dirty"), 0);
	assert_int_equal(raw_int(t, "SELECT COUNT(*) FROM metrics_1m"), 2);
	free(l);
}

/* Issue 9 point 6: calls count against the same bound as samples (count
 * and declared bytes) until they have run. A call blocked on a pipe holds
 * the database thread: with max_buffered_rows 4 the 2nd..4th calls are
 * taken and the 5th is refused with STORE_EFULL; a call declaring more
 * bytes than max_buffered_bytes is refused at once; after the block goes,
 * all four complete and the queue is back to 0 rows, 0 bytes. */
static int block_fn(struct store *st, void *arg)
{
	char b;
	(void)st;
	return read(*(int *)arg, &b, 1) == 1 ? 7 : -1;
}

static int noop_fn(struct store *st, void *arg)
{
	(void)st;
	(void)arg;
	return 0;
}

static void test_async_call_bound(void **state)
{
	struct t *t = *state;
	struct evlog *l = calloc(1, sizeof(*l));
	struct store_async *a;
	struct store_stats stats;
	char err[STORE_ERR_LEN];
	int fds[2];
	assert_non_null(l);
	assert_int_equal(pipe(fds), 0);
	store_close(t->st);
	t->st = NULL;
	t->cfg.max_buffered_rows = 4;
	t->cfg.max_buffered_bytes = 1u << 20;
	assert_int_equal(store_async_start(&a, &t->cfg, 0, err), 0);
	assert_int_equal(store_async_call(a, block_fn, NULL, &fds[0]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_async_call_sized(a, noop_fn, on_done, l, 1000), 0);
	assert_int_equal(store_async_call(a, noop_fn, on_done, l), STORE_EFULL);
	store_async_stats(a, &stats);
	assert_int_equal(stats.queued_rows, 4);
	assert_int_equal(stats.rows_dropped_full, 1);
	assert_int_equal(write(fds[1], "x", 1), 1);
	pump(a, l, 3);
	/* block_fn has no done: the three others come back */
	assert_int_equal(l->ndone, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(l->done_rc[i], 0);
	store_async_stats(a, &stats);
	assert_int_equal(stats.queued_rows, 0);
	assert_int_equal(stats.queued_bytes, 0);
	assert_int_equal(store_async_call_sized(a, noop_fn, on_done, l, 2u << 20), STORE_EFULL);
	assert_int_equal(store_async_call(a, noop_fn, on_done, l), 0);
	pump(a, l, 4);
	assert_int_equal(l->ndone, 4);
	store_async_stop(a);
	store_async_dispatch(a, NULL, NULL);
	store_async_free(a);
	close(fds[0]);
	close(fds[1]);
	free(l);
}

static void test_async_open_fails(void **state)
{
	struct store_async *a;
	struct store_config c = base;
	char err[STORE_ERR_LEN] = "";
	(void)state;
	if (use_mysql) {
		c.mysql_port = 1;
		c.mysql_socket[0] = 0;
		snprintf(c.mysql_host, sizeof(c.mysql_host), "127.0.0.1");
	} else {
		snprintf(c.sqlite_path, sizeof(c.sqlite_path), "/nonexistent/dir/x.db");
	}
	assert_true(store_async_start(&a, &c, 0, err) < 0);
	assert_true(err[0] != 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_row_from_sample),
		cmocka_unit_test_setup_teardown(test_insert_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sane_displaces_stamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollups_by_hand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollup_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range_resolution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sliced_fold_and_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet_series, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_delete_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_meta_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_answer_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_take_two_handles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_original, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_import_old_tables, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_import_bad_json, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_async, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_call_bound, setup, teardown),
		cmocka_unit_test(test_async_open_fails),
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
		printf("# back-end: MySQL %s:%u\n", base.mysql_host, base.mysql_port);
	} else {
		snprintf(tmpdir, sizeof(tmpdir), "%s/store-test-XXXXXX", envor("TMPDIR", "/tmp"));
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			return 2;
		}
		printf("# back-end: SQLite in %s\n", tmpdir);
	}
	if (getenv("STORE_TEST_FILTER"))
		cmocka_set_test_filter(getenv("STORE_TEST_FILTER"));
	rc = cmocka_run_group_tests_name(use_mysql ? "store (mysql)" : "store (sqlite)", tests, NULL, NULL);
	if (!use_mysql)
		rmdir(tmpdir);
	return rc;
}
