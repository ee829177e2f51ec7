/* schema.c — opening a handle: connect, create the tables of SPEC §6 or
 * upgrade the original's (extra columns, the unique (secret, ts) index,
 * rollups for rows that have none), reload the rollup journal, run the
 * one-time import of the original's state; reconnecting and closing. The
 * top of the synchronous store: it calls down, nothing calls into it but
 * the store's users. */
#include "server/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const ddl_sqlite[] = {
	"CREATE TABLE IF NOT EXISTS metrics (secret TEXT NOT NULL, ts INTEGER NOT NULL, cpu REAL, ram REAL, "
	"gpu REAL, vram REAL, ram_used REAL, ram_total REAL, swap REAL, swap_used REAL, swap_total REAL, "
	"vram_used REAL, vram_total REAL, cpu_temp REAL, gpu_temp REAL, net_up REAL, net_down REAL, "
	"uptime INTEGER, disks TEXT, top_procs TEXT)",
	"CREATE TABLE IF NOT EXISTS agents (secret TEXT PRIMARY KEY, nickname TEXT, "
	"created INTEGER NOT NULL DEFAULT 0, last_seen INTEGER NOT NULL DEFAULT 0, host TEXT)",
	"CREATE TABLE IF NOT EXISTS agent_owners (secret TEXT NOT NULL, user_id INTEGER NOT NULL, "
	"added INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (secret, user_id)) WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS agent_owners_user ON agent_owners (user_id)",
	"CREATE TABLE IF NOT EXISTS chat_active (chat_id INTEGER PRIMARY KEY, secret TEXT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS chat_active_secret ON chat_active (secret)",
	"CREATE TABLE IF NOT EXISTS alert_rules (user_id INTEGER NOT NULL, secret TEXT NOT NULL, "
	"metric TEXT NOT NULL, threshold REAL NOT NULL, for_s INTEGER NOT NULL DEFAULT 0, "
	"hyst REAL NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0, since INTEGER NOT NULL DEFAULT 0, "
	"last_sent INTEGER NOT NULL DEFAULT 0, muted_until INTEGER NOT NULL DEFAULT 0, "
	"PRIMARY KEY (user_id, secret, metric)) WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS alert_rules_secret ON alert_rules (secret)",
	"CREATE TABLE IF NOT EXISTS command_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, secret TEXT NOT NULL, "
	"command TEXT NOT NULL, requested_by INTEGER NOT NULL DEFAULT 0, chat_id INTEGER NOT NULL DEFAULT 0, "
	"requested_at INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL DEFAULT 0, "
	"delivered_at INTEGER NOT NULL DEFAULT 0, answered_at INTEGER NOT NULL DEFAULT 0, "
	"state INTEGER NOT NULL DEFAULT 0, answer TEXT)",
	"CREATE INDEX IF NOT EXISTS command_queue_secret ON command_queue (secret, state)",
	"CREATE INDEX IF NOT EXISTS command_queue_due ON command_queue (state, expires_at)",
	"CREATE TABLE IF NOT EXISTS rollup_dirty (secret TEXT NOT NULL, bucket INTEGER NOT NULL, "
	"PRIMARY KEY (secret, bucket)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS store_meta (k TEXT PRIMARY KEY, v TEXT)",
	"CREATE TABLE IF NOT EXISTS bot_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, "
	"html TEXT NOT NULL, markup TEXT, created INTEGER NOT NULL DEFAULT 0)",
	"CREATE TABLE IF NOT EXISTS bot_maint (secret TEXT PRIMARY KEY, until INTEGER NOT NULL, "
	"by_user INTEGER NOT NULL DEFAULT 0, since INTEGER NOT NULL DEFAULT 0)",
	/* the fleet keys' numeric series (wire/fleet.h), raw and rolled up */
	"CREATE TABLE IF NOT EXISTS fleet_metrics (secret TEXT NOT NULL, series TEXT NOT NULL, "
	"ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (secret, series, ts)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS fleet_1m (secret TEXT NOT NULL, series TEXT NOT NULL, bucket INTEGER NOT NULL, "
	"n INTEGER NOT NULL, vsum REAL, vmin REAL, vmax REAL, PRIMARY KEY (secret, series, bucket)) WITHOUT ROWID",
	"CREATE TABLE IF NOT EXISTS fleet_1h (secret TEXT NOT NULL, series TEXT NOT NULL, bucket INTEGER NOT NULL, "
	"n INTEGER NOT NULL, vsum REAL, vmin REAL, vmax REAL, PRIMARY KEY (secret, series, bucket)) WITHOUT ROWID",
	/* the bot's last view of a key's fleet keys, so a restart loses no transition */
	"CREATE TABLE IF NOT EXISTS fleet_state (secret TEXT PRIMARY KEY, ts INTEGER NOT NULL, state TEXT NOT NULL)",
	NULL,
};

static const char *const ddl_mysql[] = {
	"CREATE TABLE IF NOT EXISTS metrics (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
	"ts BIGINT NOT NULL, cpu DOUBLE, ram DOUBLE, gpu DOUBLE, vram DOUBLE, ram_used DOUBLE, ram_total DOUBLE, "
	"swap DOUBLE, swap_used DOUBLE, swap_total DOUBLE, vram_used DOUBLE, vram_total DOUBLE, "
	"cpu_temp DOUBLE, gpu_temp DOUBLE, net_up DOUBLE, net_down DOUBLE, uptime BIGINT, disks TEXT, "
	"top_procs TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS agents (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL "
	"PRIMARY KEY, nickname VARCHAR(255), created BIGINT NOT NULL DEFAULT 0, "
	"last_seen BIGINT NOT NULL DEFAULT 0, host TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS agent_owners (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin "
	"NOT NULL, user_id BIGINT NOT NULL, added BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (secret, user_id), "
	"KEY agent_owners_user (user_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS chat_active (chat_id BIGINT NOT NULL PRIMARY KEY, "
	"secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, KEY chat_active_secret (secret)) "
	"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS alert_rules (user_id BIGINT NOT NULL, "
	"secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
	"metric VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, threshold DOUBLE NOT NULL, "
	"for_s INT NOT NULL DEFAULT 0, hyst DOUBLE NOT NULL DEFAULT 0, state INT NOT NULL DEFAULT 0, "
	"since BIGINT NOT NULL DEFAULT 0, last_sent BIGINT NOT NULL DEFAULT 0, "
	"muted_until BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (user_id, secret, metric), "
	"KEY alert_rules_secret (secret)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS command_queue (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
	"secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, command VARCHAR(255) NOT NULL, "
	"requested_by BIGINT NOT NULL DEFAULT 0, chat_id BIGINT NOT NULL DEFAULT 0, "
	"requested_at BIGINT NOT NULL DEFAULT 0, expires_at BIGINT NOT NULL DEFAULT 0, "
	"delivered_at BIGINT NOT NULL DEFAULT 0, answered_at BIGINT NOT NULL DEFAULT 0, "
	"state INT NOT NULL DEFAULT 0, answer MEDIUMTEXT, KEY command_queue_secret (secret, state), "
	"KEY command_queue_due (state, expires_at)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS rollup_dirty (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin "
	"NOT NULL, bucket BIGINT NOT NULL, PRIMARY KEY (secret, bucket)) ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS store_meta (k VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL "
	"PRIMARY KEY, v TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS bot_outbox (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
	"chat_id BIGINT NOT NULL, html MEDIUMTEXT NOT NULL, markup TEXT, created BIGINT NOT NULL DEFAULT 0) "
	"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS bot_maint (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL "
	"PRIMARY KEY, until BIGINT NOT NULL, by_user BIGINT NOT NULL DEFAULT 0, since BIGINT NOT NULL DEFAULT 0) "
	"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS fleet_metrics (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
	"series VARCHAR(" FLEET_SERIES_SQL_LEN ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ts BIGINT NOT NULL, "
	"value DOUBLE NOT NULL, PRIMARY KEY (secret, series, ts)) ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS fleet_1m (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
	"series VARCHAR(" FLEET_SERIES_SQL_LEN ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, "
	"bucket BIGINT NOT NULL, n INT NOT NULL, vsum DOUBLE, vmin DOUBLE, vmax DOUBLE, "
	"PRIMARY KEY (secret, series, bucket)) ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS fleet_1h (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
	"series VARCHAR(" FLEET_SERIES_SQL_LEN ") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, "
	"bucket BIGINT NOT NULL, n INT NOT NULL, vsum DOUBLE, vmin DOUBLE, vmax DOUBLE, "
	"PRIMARY KEY (secret, series, bucket)) ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS fleet_state (secret VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL "
	"PRIMARY KEY, ts BIGINT NOT NULL, state MEDIUMTEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	NULL,
};

/* Additions to the original's metrics table, as extra nullable columns
 * (its own columns are never changed), and to our own tables of an earlier
 * version. */
struct extra_col {
	const char *name, *sqlite, *mysql;
};
static const struct extra_col metric_extra[] = {
	{"load1", "REAL", "DOUBLE"},   {"load5", "REAL", "DOUBLE"},    {"load15", "REAL", "DOUBLE"},
	{"cores", "INTEGER", "INT"},   {"disk_pct", "REAL", "DOUBLE"}, {"gpus", "TEXT", "TEXT"},
	{"agent_ts", "INTEGER", "BIGINT"}, /* ms; only on rows the server re-stamped */
};
static const struct extra_col alert_extra[] = {
	{"remind_s", "INTEGER NOT NULL DEFAULT 0", "INT NOT NULL DEFAULT 0"}, /* remind=<duration> */
};

static int exec_sql(struct store *st, const char *sql, const char *what)
{
	int rc;
	if (!st->c)
		return STORE_EDOWN;
	rc = st->ops->exec(st->c, sql);
	if (rc < 0) {
		store_log(st, 3, "%s failed: %s", what, st->c ? st->ops->errmsg(st->c) : "");
		return store_dbfail(st, rc, what);
	}
	return 0;
}

/* Unique (secret, agent_ts): a re-stamped sample resent after a crash is
 * found by its own ts and kept once. NULL (every sane or original row) is
 * never a duplicate on either back-end, so existing tables take it as is. */
static int agent_ts_index(struct store *st)
{
	int rc = store_query_exists(st, STORE_ST_INDEX_EXISTS, "metrics", "metrics_secret_agent_ts");
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (st->ops->dialect == DB_DIALECT_SQLITE)
		return exec_sql(st, "CREATE UNIQUE INDEX IF NOT EXISTS metrics_secret_agent_ts "
		                    "ON metrics (secret, agent_ts)", "agent_ts index");
	return exec_sql(st, "ALTER TABLE metrics ADD UNIQUE KEY metrics_secret_agent_ts (secret, agent_ts)",
	                "agent_ts index");
}

static int rollup_ddl(struct store *st, const char *table)
{
	char *sql = store_sql_rollup_table(st->ops->dialect, table);
	int rc;
	if (!sql)
		return STORE_ENOMEM;
	rc = exec_sql(st, sql, "create rollup table");
	free(sql);
	return rc;
}

/* The original's metrics table has a plain (secret, ts) index and may hold
 * duplicates; the unique index needs them gone. SQLite keeps the first row
 * of each; MySQL copies the table through INSERT IGNORE and keeps the old
 * one as metrics_before_dedup. */
static int unique_index(struct store *st)
{
	int rc = store_query_exists(st, STORE_ST_INDEX_EXISTS, "metrics", "metrics_secret_ts");
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (st->ops->dialect == DB_DIALECT_SQLITE) {
		rc = st->ops->exec(st->c, "CREATE UNIQUE INDEX IF NOT EXISTS metrics_secret_ts ON metrics (secret, ts)");
		if (rc == DB_EERR) {
			store_log(st, 1, "metrics has duplicate (secret, ts) rows: keeping the first of each");
			if ((rc = exec_sql(st, "DELETE FROM metrics WHERE rowid NOT IN "
			                       "(SELECT MIN(rowid) FROM metrics GROUP BY secret, ts)", "dedup")) != 0)
				return rc;
			return exec_sql(st, "CREATE UNIQUE INDEX IF NOT EXISTS metrics_secret_ts ON metrics (secret, ts)",
			                "unique index");
		}
		return rc < 0 ? store_dbfail(st, rc, "unique index") : 0;
	}
	rc = st->ops->exec(st->c, "ALTER TABLE metrics ADD UNIQUE KEY metrics_secret_ts (secret, ts)");
	if (rc == DB_EERR) {
		store_log(st, 1, "metrics has duplicate (secret, ts) rows: copying it without them "
		                 "(the old table stays as metrics_before_dedup)");
		if ((rc = exec_sql(st, "DROP TABLE IF EXISTS metrics_dedup", "dedup")) ||
		    (rc = exec_sql(st, "CREATE TABLE metrics_dedup LIKE metrics", "dedup")) ||
		    (rc = exec_sql(st, "ALTER TABLE metrics_dedup ADD UNIQUE KEY metrics_secret_ts (secret, ts)", "dedup")) ||
		    (rc = exec_sql(st, "INSERT IGNORE INTO metrics_dedup SELECT * FROM metrics", "dedup")) ||
		    (rc = exec_sql(st, "RENAME TABLE metrics TO metrics_before_dedup, metrics_dedup TO metrics", "dedup")))
			return rc;
	} else if (rc < 0) {
		return store_dbfail(st, rc, "unique index");
	}
	/* The original's plain index is now redundant: every insert paid for it. */
	static const char *const old_idx[] = {"idx_secret_ts", "secret_ts"};
	for (size_t i = 0; i < sizeof(old_idx) / sizeof(old_idx[0]); i++) {
		char sql[96];
		rc = store_query_exists(st, STORE_ST_INDEX_EXISTS, "metrics", old_idx[i]);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			snprintf(sql, sizeof(sql), "ALTER TABLE metrics DROP INDEX %s", old_idx[i]);
			if ((rc = exec_sql(st, sql, "drop old index")) != 0)
				return rc;
		}
	}
	return 0;
}

/* Rollups for rows that have none yet (the original's metrics on the first
 * start): one grouped statement per secret. */
static int backfill(struct store *st)
{
	int64_t done;
	char **secrets = NULL;
	size_t n = 0, cap = 0;
	int rc = store_meta_get_int(st, "rollup.backfill", &done);
	struct db_stmt *s;
	if (rc == 0)
		return 0;
	if (rc != STORE_ENOTFOUND)
		return rc;
	if (!(s = store_stmt(st, STORE_ST_METRIC_SECRETS)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	while ((rc = store_next(st, s, "backfill secrets")) == 1) {
		const char *v = st->ops->col_text(s, 0, NULL);
		if (!v)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(secrets, nc * sizeof(*p));
			if (!p) {
				rc = STORE_ENOMEM;
				st->ops->reset(s);
				break;
			}
			secrets = p;
			cap = nc;
		}
		if (!(secrets[n] = strdup(v))) {
			rc = STORE_ENOMEM;
			st->ops->reset(s);
			break;
		}
		n++;
	}
	if (rc == 0 && n)
		store_log(st, 1, "building rollups for the existing metrics of %zu keys", n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct db_stmt *m = store_stmt(st, STORE_ST_BACKFILL_MIN), *h = store_stmt(st, STORE_ST_BACKFILL_HOUR);
		if (!m || !h) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			break;
		}
		if ((rc = store_begin(st)) != 0)
			break;
		store_bind_text(st, m, 0, secrets[i]);
		store_bind_text(st, h, 0, secrets[i]);
		if ((rc = store_exec_stmt(st, m, "backfill minutes")) != 0 ||
		    (rc = store_exec_stmt(st, h, "backfill hours")) != 0 || (rc = store_commit(st)) != 0)
			store_rollback(st);
	}
	for (size_t i = 0; i < n; i++)
		free(secrets[i]);
	free(secrets);
	if (rc == 0)
		rc = store_meta_set_int(st, "rollup.backfill", (int64_t)time(NULL));
	return rc;
}

static int load_dirty(struct store *st)
{
	struct db_stmt *s = store_stmt(st, STORE_ST_DIRTY_LOAD);
	int rc;
	if (!s)
		return st->c ? STORE_EDB : STORE_EDOWN;
	while ((rc = store_next(st, s, "load rollup journal")) == 1) {
		const char *sec = st->ops->col_text(s, 0, NULL);
		if (sec && store_secret_ok(sec) && !store_dirty_add(st, sec, st->ops->col_int(s, 1), 0)) {
			st->ops->reset(s);
			return STORE_ENOMEM;
		}
	}
	return rc;
}

/* The one-time import of the original's state (SPEC §5). */
static int import_once(struct store *st)
{
	int64_t done;
	int rc = store_meta_get_int(st, "import.state", &done);
	int has_state, has_old;
	if (rc == 0)
		return 0;
	if (rc != STORE_ENOTFOUND)
		return rc;
	if ((has_state = store_table_exists(st, "state")) < 0)
		return has_state;
	if ((has_old = has_state ? 0 : store_table_exists(st, "secrets")) < 0)
		return has_old;
	if (!has_state && !has_old)
		return 0;
	if ((rc = store_begin(st)) != 0)
		return rc;
	if (has_state) {
		struct db_stmt *s = store_stmt(st, STORE_ST_STATE_GET);
		char *json = NULL;
		size_t len = 0;
		if (!s) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		rc = store_next(st, s, "read state");
		if (rc == 1) {
			const char *p = st->ops->col_text(s, 0, &len);
			if (p && !(json = strndup(p, len)))
				rc = STORE_ENOMEM;
			st->ops->reset(s);
		}
		if (rc >= 0 && json) {
			rc = store_import_state_tx(st, json, len, (int64_t)time(NULL));
			if (rc >= 0)
				store_log(st, 1, "imported the original's state: %d keys", rc);
		}
		free(json);
	} else {
		rc = store_import_old_tables_tx(st, (int64_t)time(NULL));
		if (rc >= 0)
			store_log(st, 1, "imported the original's tables: %d keys", rc);
	}
	if (rc >= 0)
		rc = store_meta_set_int(st, "import.state", (int64_t)time(NULL));
out:
	if (rc >= 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc == STORE_EINVAL) {
		/* Unreadable JSON must not keep the server down; it is retried at
		 * the next start. */
		store_log(st, 3, "the original's state row is not valid JSON: not imported");
		return 0;
	}
	return rc < 0 ? rc : 0;
}

static int add_columns(struct store *st, const char *table, const struct extra_col *cols, size_t n)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char sql[160];
		rc = store_query_exists(st, STORE_ST_COLUMN_EXISTS, table, cols[i].name);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table, cols[i].name,
		         st->ops->dialect == DB_DIALECT_SQLITE ? cols[i].sqlite : cols[i].mysql);
		rc = exec_sql(st, sql, "add column");
	}
	return rc;
}

static int init_schema(struct store *st)
{
	const char *const *ddl = st->ops->dialect == DB_DIALECT_SQLITE ? ddl_sqlite : ddl_mysql;
	int rc = 0;
	for (int i = 0; ddl[i] && rc == 0; i++)
		rc = exec_sql(st, ddl[i], "create table");
	if (rc == 0)
		rc = rollup_ddl(st, "metrics_1m");
	if (rc == 0)
		rc = rollup_ddl(st, "metrics_1h");
	if (rc == 0)
		rc = add_columns(st, "metrics", metric_extra, sizeof(metric_extra) / sizeof(metric_extra[0]));
	if (rc == 0)
		rc = add_columns(st, "alert_rules", alert_extra, sizeof(alert_extra) / sizeof(alert_extra[0]));
	if (rc == 0)
		rc = unique_index(st);
	if (rc == 0)
		rc = agent_ts_index(st);
	if (rc == 0)
		rc = store_meta_set_int(st, "schema.version", 1);
	if (rc == 0)
		rc = backfill(st);
	if (rc == 0)
		rc = import_once(st);
	if (rc == 0)
		rc = load_dirty(st);
	if (rc == 0 && !st->last_purge) {
		int64_t lp;
		if (store_meta_get_int(st, "purge.last", &lp) == 0)
			st->last_purge = lp;
	}
	return rc;
}

static int connect_init(struct store *st, char *err, size_t errlen)
{
	char e[STORE_ERR_LEN] = "";
	int rc = st->ops->open(&st->c, &st->cfg, e, sizeof(e));
	if (rc < 0) {
		st->c = NULL;
		if (err)
			snprintf(err, errlen, "%s", e);
		return rc == DB_ELOST ? STORE_EDOWN : STORE_EDB;
	}
	st->stats.connected = 1;
	rc = init_schema(st);
	if (rc != 0) {
		if (err)
			snprintf(err, errlen, "schema: %s", st->c ? st->ops->errmsg(st->c) : "connection lost");
		store_stmts_drop(st);
		if (st->c)
			st->ops->close(st->c);
		st->c = NULL;
		st->stats.connected = 0;
		return rc;
	}
	return 0;
}

int store_connect(struct store *st, char err[STORE_ERR_LEN])
{
	if (st->c)
		return 0;
	return connect_init(st, err, STORE_ERR_LEN);
}

int store_open(struct store **out, const struct store_config *cfg, char err[STORE_ERR_LEN])
{
	struct store *st = store_new(cfg);
	int rc;
	*out = NULL;
	if (!st) {
		if (err)
			snprintf(err, STORE_ERR_LEN, "out of memory");
		return STORE_ENOMEM;
	}
	rc = connect_init(st, err, STORE_ERR_LEN);
	if (rc != 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_stmts_drop(st);
	if (st->c)
		st->ops->close(st->c);
	store_tables_free(st);
	store_purge_reset(st);
	free(st);
}

int store_reconnect(struct store *st)
{
	char err[STORE_ERR_LEN];
	int rc;
	if (st->c)
		return 0;
	rc = connect_init(st, err, sizeof(err));
	if (rc == 0) {
		st->stats.reconnects++;
		st->warned_down = 0;
		store_log(st, 1, "database connection restored");
	} else if (!st->warned_down) {
		st->warned_down = 1;
		store_log(st, 2, "database unavailable: %s", err);
	}
	return rc;
}
