/* sql.c — every SQL text the store runs: the fixed statements in both
 * dialects, those generated from the column tables (multi-row inserts,
 * folds, range reads) and the rollup tables' DDL. Text is built only from
 * the constant tables here, never from caller text. Calls nothing else of
 * the store. */
#include "server/store/store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const store_col_names[SC__COUNT] = {
	[SC_CPU] = "cpu", [SC_RAM] = "ram", [SC_GPU] = "gpu", [SC_VRAM] = "vram",
	[SC_RAM_USED] = "ram_used", [SC_RAM_TOTAL] = "ram_total", [SC_SWAP] = "swap",
	[SC_SWAP_USED] = "swap_used", [SC_SWAP_TOTAL] = "swap_total",
	[SC_VRAM_USED] = "vram_used", [SC_VRAM_TOTAL] = "vram_total",
	[SC_CPU_TEMP] = "cpu_temp", [SC_GPU_TEMP] = "gpu_temp",
	[SC_NET_UP] = "net_up", [SC_NET_DOWN] = "net_down", [SC_UPTIME] = "uptime",
	[SC_LOAD1] = "load1", [SC_LOAD5] = "load5", [SC_LOAD15] = "load15",
	[SC_CORES] = "cores", [SC_DISK_PCT] = "disk_pct",
};

const char *const store_metric_names[SM__COUNT] = {
	[SM_CPU] = "cpu", [SM_RAM] = "ram", [SM_GPU] = "gpu", [SM_VRAM] = "vram",
	[SM_SWAP] = "swap", [SM_RAM_USED] = "ram_used", [SM_RAM_TOTAL] = "ram_total",
	[SM_SWAP_USED] = "swap_used", [SM_VRAM_USED] = "vram_used",
	[SM_VRAM_TOTAL] = "vram_total", [SM_CPU_TEMP] = "cpu_temp",
	[SM_GPU_TEMP] = "gpu_temp", [SM_NET_UP] = "net_up", [SM_NET_DOWN] = "net_down",
	[SM_LOAD1] = "load1", [SM_DISK_PCT] = "disk_pct",
};

static const int ins_sizes[] = STORE_INS_SIZES;

#define CMD_COLS "id, secret, command, requested_by, chat_id, requested_at, expires_at, " \
                 "delivered_at, answered_at, state"
#define KEY_COLS "a.secret, a.nickname, a.created, a.last_seen, a.host, " \
                 "(SELECT MAX(m.ts) FROM metrics m WHERE m.secret = a.secret)"

struct sql_text {
	const char *sqlite, *mysql; /* mysql NULL: the same text */
};

static const struct sql_text fixed_sql[STORE_ST_LATEST] = {
	[STORE_ST_TABLE_EXISTS] = {.sqlite = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
	                     .mysql = "SELECT 1 FROM information_schema.tables WHERE table_schema=DATABASE() AND table_name=?"},
	[STORE_ST_COLUMN_EXISTS] = {.sqlite = "SELECT 1 FROM pragma_table_info(?) WHERE name=?",
	                      .mysql = "SELECT 1 FROM information_schema.columns WHERE table_schema=DATABASE() "
	                      "AND table_name=? AND column_name=?"},
	[STORE_ST_INDEX_EXISTS] = {.sqlite = "SELECT 1 FROM sqlite_master WHERE type='index' AND tbl_name=? AND name=?",
	                     .mysql = "SELECT 1 FROM information_schema.statistics WHERE table_schema=DATABASE() "
	                     "AND table_name=? AND index_name=? LIMIT 1"},
	[STORE_ST_META_GET] = {.sqlite = "SELECT v FROM store_meta WHERE k=?"},
	[STORE_ST_META_SET] = {.sqlite = "REPLACE INTO store_meta (k, v) VALUES (?, ?)"},
	[STORE_ST_KEY_EXISTS] = {.sqlite = "SELECT 1 FROM agents WHERE secret=?"},
	[STORE_ST_KEY_GET] = {.sqlite = "SELECT " KEY_COLS " FROM agents a WHERE a.secret=?"},
	[STORE_ST_KEY_LIST_ALL] = {.sqlite = "SELECT " KEY_COLS " FROM agents a ORDER BY a.created, a.secret"},
	[STORE_ST_KEY_LIST_OWNER] = {.sqlite = "SELECT " KEY_COLS " FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                       "WHERE o.user_id=? ORDER BY a.created, a.secret"},
	[STORE_ST_KEY_LIST_NOOWNER] = {.sqlite = "SELECT " KEY_COLS " FROM agents a WHERE NOT EXISTS "
	                         "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret) ORDER BY a.created, a.secret"},
	[STORE_ST_OWNERS] = {.sqlite = "SELECT user_id FROM agent_owners WHERE secret=? ORDER BY added, user_id"},
	[STORE_ST_KEY_INSERT] = {.sqlite = "INSERT INTO agents (secret, nickname, created, last_seen) VALUES (?, ?, ?, 0)"},
	[STORE_ST_KEY_IMPORT] = {.sqlite = "INSERT OR IGNORE INTO agents (secret, nickname, created, last_seen) VALUES (?, ?, ?, ?)"},
	[STORE_ST_OWNER_ADD] = {.sqlite = "INSERT OR IGNORE INTO agent_owners (secret, user_id, added) VALUES (?, ?, ?)"},
	[STORE_ST_NAMES_OWNER] = {.sqlite = "SELECT a.nickname FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                    "WHERE o.user_id=?"},
	[STORE_ST_NAMES_NOOWNER] = {.sqlite = "SELECT a.nickname FROM agents a WHERE NOT EXISTS "
	                      "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret)"},
	[STORE_ST_NAME_TAKEN_COOWNERS] = {.sqlite = "SELECT 1 FROM agent_owners me JOIN agent_owners o ON o.user_id=me.user_id "
	                            "JOIN agents a ON a.secret=o.secret "
	                            "WHERE me.secret=? AND a.secret<>? AND a.nickname=? LIMIT 1"},
	[STORE_ST_NAME_TAKEN_OWNER] = {.sqlite = "SELECT 1 FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                         "WHERE o.user_id=? AND a.nickname=? LIMIT 1"},
	[STORE_ST_NAME_TAKEN_NOOWNER] = {.sqlite = "SELECT 1 FROM agents a WHERE a.nickname=? AND a.secret<>? AND NOT EXISTS "
	                           "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret) LIMIT 1"},
	[STORE_ST_IS_OWNER] = {.sqlite = "SELECT 1 FROM agent_owners WHERE secret=? AND user_id=?"},
	[STORE_ST_HAS_OWNERS] = {.sqlite = "SELECT 1 FROM agent_owners WHERE secret=? LIMIT 1"},
	[STORE_ST_RESOLVE_OWNER] = {.sqlite = "SELECT a.secret FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                      "WHERE o.user_id=? AND a.nickname=? LIMIT 2"},
	[STORE_ST_RESOLVE_ANY] = {.sqlite = "SELECT secret FROM agents WHERE nickname=? LIMIT 2"},
	[STORE_ST_RENAME] = {.sqlite = "UPDATE agents SET nickname=? WHERE secret=?"},
	[STORE_ST_DEL_AGENT] = {.sqlite = "DELETE FROM agents WHERE secret=?"},
	[STORE_ST_DEL_OWNERS] = {.sqlite = "DELETE FROM agent_owners WHERE secret=?"},
	[STORE_ST_DEL_ACTIVE] = {.sqlite = "DELETE FROM chat_active WHERE secret=?"},
	[STORE_ST_DEL_ALERTS] = {.sqlite = "DELETE FROM alert_rules WHERE secret=?"},
	[STORE_ST_DEL_CMDS] = {.sqlite = "DELETE FROM command_queue WHERE secret=?"},
	[STORE_ST_DEL_METRICS] = {.sqlite = "DELETE FROM metrics WHERE secret=?"},
	[STORE_ST_DEL_1M] = {.sqlite = "DELETE FROM metrics_1m WHERE secret=?"},
	[STORE_ST_DEL_1H] = {.sqlite = "DELETE FROM metrics_1h WHERE secret=?"},
	[STORE_ST_DEL_DIRTY] = {.sqlite = "DELETE FROM rollup_dirty WHERE secret=?"},
	[STORE_ST_SEEN] = {.sqlite = "UPDATE agents SET last_seen=? WHERE secret=? AND last_seen<?"},
	[STORE_ST_SEEN_HOST] = {.sqlite = "UPDATE agents SET host=? WHERE secret=?"},
	[STORE_ST_ACTIVE_SET] = {.sqlite = "REPLACE INTO chat_active (chat_id, secret) VALUES (?, ?)"},
	[STORE_ST_ACTIVE_GET] = {.sqlite = "SELECT secret FROM chat_active WHERE chat_id=?"},
	[STORE_ST_NEWEST] = {.sqlite = "SELECT MAX(ts) FROM metrics WHERE secret=?"},
	[STORE_ST_FIRST_TS] = {.sqlite = "SELECT MIN(ts) FROM metrics WHERE secret=?"},
	[STORE_ST_STAMP_FIND] = {.sqlite = "SELECT ts FROM metrics WHERE secret=? AND agent_ts=?"},
	[STORE_ST_STAMP_BELOW] = {.sqlite = "SELECT ts FROM metrics WHERE secret=? AND ts<=? ORDER BY ts DESC LIMIT 64"},
	[STORE_ST_STAMP_MAX] = {.sqlite = "SELECT MAX(ts) FROM metrics WHERE secret=? AND agent_ts IS NOT NULL"},
	[STORE_ST_STAMP_AT] = {.sqlite = "SELECT 1 FROM metrics WHERE secret=? AND ts=? AND agent_ts IS NOT NULL"},
	[STORE_ST_STAMP_MOVE] = {.sqlite = "UPDATE metrics SET ts=? WHERE secret=? AND ts=?"},
	[STORE_ST_DIRTY_LOAD] = {.sqlite = "SELECT secret, bucket FROM rollup_dirty"},
	[STORE_ST_DIRTY_DEL] = {.sqlite = "DELETE FROM rollup_dirty WHERE secret=? AND bucket=?"},
	[STORE_ST_PURGE_SECRETS] = {.sqlite = "SELECT secret FROM agents UNION SELECT DISTINCT secret FROM metrics_1h"},
	[STORE_ST_PURGE_RAW] = {.sqlite = "DELETE FROM metrics WHERE secret=? AND ts<?"},
	[STORE_ST_PURGE_1M] = {.sqlite = "DELETE FROM metrics_1m WHERE secret=? AND bucket<?"},
	[STORE_ST_PURGE_1H] = {.sqlite = "DELETE FROM metrics_1h WHERE secret=? AND bucket<?"},
	[STORE_ST_PURGE_CMDS] = {.sqlite = "DELETE FROM command_queue WHERE requested_at<? AND state<>0"},
	[STORE_ST_METRIC_SECRETS] = {.sqlite = "SELECT DISTINCT secret FROM metrics"},
	[STORE_ST_ALERT_SET] = {.sqlite = "REPLACE INTO alert_rules (user_id, secret, metric, threshold, for_s, hyst, state, "
	                  "since, last_sent, muted_until, remind_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
	[STORE_ST_ALERT_IMPORT] = {.sqlite = "INSERT OR IGNORE INTO alert_rules (user_id, secret, metric, threshold, for_s, hyst, "
	                     "state, since, last_sent, muted_until) VALUES (?, ?, ?, ?, 0, 0, 0, ?, ?, 0)"},
	[STORE_ST_ALERT_DEL] = {.sqlite = "DELETE FROM alert_rules WHERE user_id=? AND secret=? AND metric=?"},
	[STORE_ST_ALERT_LIST] = {.sqlite = "SELECT user_id, secret, metric, threshold, for_s, hyst, state, since, last_sent, "
	                   "muted_until, remind_s FROM alert_rules WHERE (?=0 OR user_id=?) AND (?='' OR secret=?) "
	                   "ORDER BY user_id, secret, metric"},
	[STORE_ST_ALERT_UPDATE] = {.sqlite = "UPDATE alert_rules SET state=?, since=?, last_sent=?, muted_until=? "
	                     "WHERE user_id=? AND secret=? AND metric=?"},
	[STORE_ST_CMD_INSERT] = {.sqlite = "INSERT INTO command_queue (secret, command, requested_by, chat_id, requested_at, "
	                   "expires_at, delivered_at, answered_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"},
	[STORE_ST_CMD_QUEUED] = {.sqlite = "SELECT " CMD_COLS " FROM command_queue WHERE secret=? AND state=0 "
	                   "AND (expires_at=0 OR expires_at>?) ORDER BY id LIMIT ?"},
	[STORE_ST_CMD_DELIVER] = {.sqlite = "UPDATE command_queue SET state=1, delivered_at=? WHERE id=? AND state=0"},
	[STORE_ST_CMD_REQUEUE] = {.sqlite = "UPDATE command_queue SET state=0, delivered_at=0 WHERE id=? AND state=1"},
	[STORE_ST_CMD_DUE] = {.sqlite = "SELECT " CMD_COLS " FROM command_queue WHERE state=0 AND expires_at>0 AND expires_at<=? "
	                "ORDER BY id LIMIT ?"},
	[STORE_ST_CMD_NEW] = {.sqlite = "SELECT " CMD_COLS " FROM command_queue WHERE state=0 AND id>? "
	                "AND (expires_at=0 OR expires_at>?) ORDER BY id LIMIT ?"},
	[STORE_ST_CMD_EXPIRE] = {.sqlite = "UPDATE command_queue SET state=3 WHERE id=? AND state=0"},
	[STORE_ST_CMD_ANSWER] = {.sqlite = "UPDATE command_queue SET state=2, answered_at=?, answer=? WHERE id=?"},
	[STORE_ST_CMD_WAITING] = {.sqlite = "SELECT id, command FROM command_queue WHERE secret=? AND state=1 ORDER BY id"},
	[STORE_ST_CMD_GET] = {.sqlite = "SELECT " CMD_COLS ", answer FROM command_queue WHERE id=?"},
	[STORE_ST_CMD_RECENT] = {.sqlite = "SELECT " CMD_COLS ", answer FROM command_queue WHERE secret=? "
	                   "AND command<>'status' ORDER BY id DESC LIMIT ?"},
	[STORE_ST_STATE_GET] = {.sqlite = "SELECT data FROM state WHERE id=1"},
	[STORE_ST_OLD_SECRETS] = {.sqlite = "SELECT secret, owners, nickname, pending FROM secrets"},
	[STORE_ST_OLD_ACTIVE] = {.sqlite = "SELECT chat_id, secret FROM active"},
	[STORE_ST_OLD_ALERTS] = {.sqlite = "SELECT uid, secret, metric, threshold FROM alerts"},
	[STORE_ST_OLD_ALERT_LAST] = {.sqlite = "SELECT id, ts FROM alert_last"},
	[STORE_ST_OUTBOX_ADD] = {.sqlite = "INSERT INTO bot_outbox (chat_id, html, markup, created) VALUES (?, ?, ?, ?)"},
	[STORE_ST_OUTBOX_DEL] = {.sqlite = "DELETE FROM bot_outbox WHERE id=?"},
	[STORE_ST_OUTBOX_LIST] = {.sqlite = "SELECT id, chat_id, html, markup, created FROM bot_outbox ORDER BY id"},
	[STORE_ST_MAINT_SET] = {.sqlite = "REPLACE INTO bot_maint (secret, until, by_user, since) VALUES (?, ?, ?, ?)"},
	[STORE_ST_MAINT_DEL] = {.sqlite = "DELETE FROM bot_maint WHERE secret=?"},
	[STORE_ST_MAINT_LIST] = {.sqlite = "SELECT secret, until, by_user, since FROM bot_maint ORDER BY secret"},
	[STORE_ST_FLEET_INS] = {.sqlite = "INSERT OR IGNORE INTO fleet_metrics (secret, series, ts, value) VALUES (?, ?, ?, ?)"},
	[STORE_ST_FLEET_MOVE] = {.sqlite = "UPDATE fleet_metrics SET ts=? WHERE secret=? AND ts=?"},
	[STORE_ST_FLEET_FOLD_MIN] = {.sqlite = "REPLACE INTO fleet_1m (secret, series, bucket, n, vsum, vmin, vmax) "
	                       "SELECT secret, series, ?, COUNT(*), SUM(value), MIN(value), MAX(value) "
	                       "FROM fleet_metrics WHERE secret=? AND ts>=? AND ts<? GROUP BY secret, series"},
	[STORE_ST_FLEET_FOLD_HOUR] = {.sqlite = "REPLACE INTO fleet_1h (secret, series, bucket, n, vsum, vmin, vmax) "
	                        "SELECT secret, series, ?, SUM(n), SUM(vsum), MIN(vmin), MAX(vmax) "
	                        "FROM fleet_1m WHERE secret=? AND bucket>=? AND bucket<? GROUP BY secret, series"},
	[STORE_ST_FLEET_RANGE_RAW] = {.sqlite = "SELECT ts, value FROM fleet_metrics WHERE secret=? AND series=? "
	                        "AND ts>=? AND ts<=? ORDER BY ts"},
	[STORE_ST_FLEET_RANGE_1M] = {.sqlite = "SELECT bucket, n, vsum, vmin, vmax FROM fleet_1m WHERE secret=? AND series=? "
	                       "AND bucket>=? AND bucket<=? AND n>0 ORDER BY bucket"},
	[STORE_ST_FLEET_RANGE_1H] = {.sqlite = "SELECT bucket, n, vsum, vmin, vmax FROM fleet_1h WHERE secret=? AND series=? "
	                       "AND bucket>=? AND bucket<=? AND n>0 ORDER BY bucket"},
	[STORE_ST_FLEET_PURGE_RAW] = {.sqlite = "DELETE FROM fleet_metrics WHERE secret=? AND ts<?"},
	[STORE_ST_FLEET_PURGE_1M] = {.sqlite = "DELETE FROM fleet_1m WHERE secret=? AND bucket<?"},
	[STORE_ST_FLEET_PURGE_1H] = {.sqlite = "DELETE FROM fleet_1h WHERE secret=? AND bucket<?"},
	[STORE_ST_FLEET_DEL_RAW] = {.sqlite = "DELETE FROM fleet_metrics WHERE secret=?"},
	[STORE_ST_FLEET_DEL_1M] = {.sqlite = "DELETE FROM fleet_1m WHERE secret=?"},
	[STORE_ST_FLEET_DEL_1H] = {.sqlite = "DELETE FROM fleet_1h WHERE secret=?"},
	[STORE_ST_FLEET_STATE_GET] = {.sqlite = "SELECT ts, state FROM fleet_state WHERE secret=?"},
	[STORE_ST_FLEET_STATE_SET] = {.sqlite = "REPLACE INTO fleet_state (secret, ts, state) VALUES (?, ?, ?)"},
	[STORE_ST_FLEET_STATE_DEL] = {.sqlite = "DELETE FROM fleet_state WHERE secret=?"},
	[STORE_ST_FLEET_SERIES] = {.sqlite = "SELECT DISTINCT series FROM fleet_1h WHERE secret=? AND bucket>=? "
	                     "ORDER BY series LIMIT ?"},
};

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_add(b, tmp);
}

static const char *metric_col(int m)
{
	return store_metric_names[m]; /* rollup metric names are metrics columns */
}

/* "INSERT OR IGNORE" is MySQL's "INSERT IGNORE". */
static void sb_dialect(struct sbuf *b, const char *sql, enum db_dialect d)
{
	static const char oi[] = "INSERT OR IGNORE ";
	if (d == DB_DIALECT_MYSQL && !strncmp(sql, oi, sizeof(oi) - 1)) {
		sb_add(b, "INSERT IGNORE ");
		sb_add(b, sql + sizeof(oi) - 1);
	} else {
		sb_add(b, sql);
	}
}

static void rollup_cols(struct sbuf *b)
{
	sb_add(b, "secret, bucket, n");
	for (int m = 0; m < SM__COUNT; m++)
		sb_addf(b, ", %s_n, %s_sum, %s_min, %s_max", metric_col(m), metric_col(m), metric_col(m),
		        metric_col(m));
}

char *store_sql_text(enum db_dialect d, int id)
{
	struct sbuf b = {0};
	if (id < STORE_ST_LATEST) {
		const struct sql_text *t = &fixed_sql[id];
		sb_dialect(&b, d == DB_DIALECT_MYSQL && t->mysql ? t->mysql : t->sqlite, d);
	} else if (id == STORE_ST_LATEST) {
		sb_add(&b, "SELECT ts");
		for (int c = 0; c < SC__COUNT; c++)
			sb_addf(&b, ", %s", store_col_names[c]);
		sb_add(&b, ", disks, top_procs, gpus FROM metrics WHERE secret=? ORDER BY ts DESC LIMIT 1");
	} else if (id == STORE_ST_FOLD_MIN || id == STORE_ST_BACKFILL_MIN) {
		sb_add(&b, "REPLACE INTO metrics_1m (");
		rollup_cols(&b);
		sb_add(&b, id == STORE_ST_FOLD_MIN ? ") SELECT ?, ?, COUNT(*)" : ") SELECT secret, ts - (ts % 60), COUNT(*)");
		for (int m = 0; m < SM__COUNT; m++) {
			const char *c = metric_col(m);
			sb_addf(&b, ", COUNT(%s), SUM(%s), MIN(%s), MAX(%s)", c, c, c, c);
		}
		sb_add(&b, id == STORE_ST_FOLD_MIN ? " FROM metrics WHERE secret=? AND ts>=? AND ts<?"
		                             : " FROM metrics WHERE secret=? GROUP BY secret, ts - (ts % 60)");
	} else if (id == STORE_ST_FOLD_HOUR || id == STORE_ST_BACKFILL_HOUR) {
		sb_add(&b, "REPLACE INTO metrics_1h (");
		rollup_cols(&b);
		sb_add(&b, id == STORE_ST_FOLD_HOUR ? ") SELECT ?, ?, COALESCE(SUM(n), 0)"
		                              : ") SELECT secret, bucket - (bucket % 3600), COALESCE(SUM(n), 0)");
		for (int m = 0; m < SM__COUNT; m++) {
			const char *c = metric_col(m);
			sb_addf(&b, ", COALESCE(SUM(%s_n), 0), SUM(%s_sum), MIN(%s_min), MAX(%s_max)", c, c, c, c);
		}
		sb_add(&b, id == STORE_ST_FOLD_HOUR
		               ? " FROM metrics_1m WHERE secret=? AND bucket>=? AND bucket<?"
		               : " FROM metrics_1m WHERE secret=? GROUP BY secret, bucket - (bucket % 3600)");
	} else if (id >= STORE_ST_INS_BASE && id < STORE_ST_INS_BASE + STORE_INS_NSIZES) {
		int rows = ins_sizes[id - STORE_ST_INS_BASE];
		sb_dialect(&b, "INSERT OR IGNORE INTO metrics (secret, ts", d);
		for (int c = 0; c < SC__COUNT; c++)
			sb_addf(&b, ", %s", store_col_names[c]);
		sb_add(&b, ", disks, top_procs, gpus, agent_ts) VALUES ");
		for (int r = 0; r < rows; r++) {
			sb_add(&b, r ? ",(?" : "(?");
			for (int p = 1; p < STORE_INS_PARAMS; p++)
				sb_add(&b, ",?");
			sb_add(&b, ")");
		}
	} else if (id >= STORE_ST_DIRTY_BASE && id < STORE_ST_DIRTY_BASE + STORE_INS_NSIZES) {
		int rows = ins_sizes[id - STORE_ST_DIRTY_BASE];
		sb_dialect(&b, "INSERT OR IGNORE INTO rollup_dirty (secret, bucket) VALUES (?,?)", d);
		for (int r = 1; r < rows; r++)
			sb_add(&b, ",(?,?)");
	} else if (id >= STORE_ST_RANGE_BASE && id < STORE_ST__COUNT) {
		int res = (id - STORE_ST_RANGE_BASE) / SM__COUNT + 1, m = (id - STORE_ST_RANGE_BASE) % SM__COUNT;
		const char *c = metric_col(m);
		if (res == STORE_RES_RAW)
			sb_addf(&b, "SELECT ts, %s FROM metrics WHERE secret=? AND ts>=? AND ts<=? AND %s IS NOT NULL "
			            "ORDER BY ts", c, c);
		else
			sb_addf(&b, "SELECT bucket, %s_n, %s_sum, %s_min, %s_max FROM %s WHERE secret=? AND bucket>=? "
			            "AND bucket<=? AND %s_n>0 ORDER BY bucket", c, c, c, c,
			        res == STORE_RES_MINUTE ? "metrics_1m" : "metrics_1h", c);
	} else {
		return NULL;
	}
	if (b.err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

char *store_sql_rollup_table(enum db_dialect d, const char *table)
{
	struct sbuf b = {0};
	int sqlite = d == DB_DIALECT_SQLITE;
	sb_addf(&b, "CREATE TABLE IF NOT EXISTS %s (secret %s NOT NULL, bucket %s NOT NULL, n %s NOT NULL DEFAULT 0",
	        table, sqlite ? "TEXT" : "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin",
	        sqlite ? "INTEGER" : "BIGINT", sqlite ? "INTEGER" : "INT");
	for (int m = 0; m < SM__COUNT; m++) {
		const char *c = metric_col(m);
		sb_addf(&b, ", %s_n %s NOT NULL DEFAULT 0, %s_sum %s, %s_min %s, %s_max %s", c,
		        sqlite ? "INTEGER" : "INT", c, sqlite ? "REAL" : "DOUBLE", c, sqlite ? "REAL" : "DOUBLE", c,
		        sqlite ? "REAL" : "DOUBLE");
	}
	sb_add(&b, sqlite ? ", PRIMARY KEY (secret, bucket)) WITHOUT ROWID" : ", PRIMARY KEY (secret, bucket)) ENGINE=InnoDB");
	if (b.err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
