/* store.c — the storage logic over db_backend.h: schema and upgrades of the
 * original's tables, sample inserts with rollup journalling, rollups,
 * retention, range reads, keys, alerts, command queue, meta values. Every
 * statement is prepared; SQL text is built only from the constant column
 * tables below, never from caller text. */
#include "server/store/store_int.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void purge_reset(struct store *st);

static const int ins_sizes[] = STORE_INS_SIZES;
#define NINS ((int)(sizeof(ins_sizes) / sizeof(ins_sizes[0])))
#define INS_PARAMS (2 + SC__COUNT + 3)

/* ---- codes, configuration ------------------------------------------------ */

const char *store_strerror(int rc)
{
	switch (rc) {
	case STORE_OK: return "ok";
	case STORE_EDB: return "database error";
	case STORE_EDOWN: return "database unavailable";
	case STORE_ENOKEY: return "no such key";
	case STORE_EEXIST: return "name already taken";
	case STORE_EAMBIG: return "several keys have that name";
	case STORE_EFULL: return "storage queue full";
	case STORE_EINVAL: return "invalid argument";
	case STORE_ENOMEM: return "out of memory";
	case STORE_ENOTFOUND: return "not found";
	case STORE_ESTOPPED: return "storage stopping";
	default: return rc > 0 ? "ok" : "unknown error";
	}
}

void store_config_defaults(struct store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = STORE_SQLITE;
	snprintf(cfg->sqlite_path, sizeof(cfg->sqlite_path), "monbot.db");
	snprintf(cfg->mysql_host, sizeof(cfg->mysql_host), "127.0.0.1");
	cfg->mysql_port = 3306;
	snprintf(cfg->mysql_user, sizeof(cfg->mysql_user), "root");
	snprintf(cfg->mysql_db, sizeof(cfg->mysql_db), "monitoring");
	cfg->retention_days = 30;
	cfg->hour_retention_days = 365;
	cfg->command_ttl = 600;
	cfg->sqlite_synchronous = 2;
	cfg->max_buffered_rows = 200000;
	cfg->max_buffered_bytes = 96u << 20;
	cfg->reconnect_ms = 1000;
	cfg->shutdown_wait_ms = 30000;
}

static int parse_int(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int set_str(char *dst, size_t cap, const char *name, const char *v, char *err)
{
	if (strlen(v) >= cap) {
		snprintf(err, STORE_ERR_LEN, "%s is too long (at most %zu bytes)", name, cap - 1);
		return STORE_EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

int store_config_set(struct store_config *cfg, const char *name, const char *v, char err[STORE_ERR_LEN])
{
	long x;
	if (!strcmp(name, "DB")) {
		if (!strcmp(v, "sqlite"))
			cfg->kind = STORE_SQLITE;
		else if (!strcmp(v, "mysql"))
			cfg->kind = STORE_MYSQL;
		else {
			snprintf(err, STORE_ERR_LEN, "DB must be sqlite or mysql (got \"%s\")", v);
			return STORE_EINVAL;
		}
		return 1;
	}
	if (!strcmp(name, "SQLITE_PATH")) {
		if (!*v) {
			snprintf(err, STORE_ERR_LEN, "SQLITE_PATH is empty");
			return STORE_EINVAL;
		}
		return set_str(cfg->sqlite_path, sizeof(cfg->sqlite_path), name, v, err);
	}
	if (!strcmp(name, "MYSQL_HOST"))
		return set_str(cfg->mysql_host, sizeof(cfg->mysql_host), name, v, err);
	if (!strcmp(name, "MYSQL_USER"))
		return set_str(cfg->mysql_user, sizeof(cfg->mysql_user), name, v, err);
	if (!strcmp(name, "MYSQL_PASSWORD"))
		return set_str(cfg->mysql_password, sizeof(cfg->mysql_password), name, v, err);
	if (!strcmp(name, "MYSQL_SOCKET"))
		return set_str(cfg->mysql_socket, sizeof(cfg->mysql_socket), name, v, err);
	if (!strcmp(name, "MYSQL_DB")) {
		size_t n = strlen(v);
		int ok = n > 0 && n <= 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			     (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '$';
		if (!ok) {
			snprintf(err, STORE_ERR_LEN, "MYSQL_DB must be 1-64 letters, digits, _ or $ (got \"%s\")", v);
			return STORE_EINVAL;
		}
		return set_str(cfg->mysql_db, sizeof(cfg->mysql_db), name, v, err);
	}
	if (!strcmp(name, "MYSQL_PORT")) {
		if (parse_int(v, 1, 65535, &x)) {
			snprintf(err, STORE_ERR_LEN, "MYSQL_PORT must be 1-65535 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->mysql_port = (unsigned)x;
		return 1;
	}
	if (!strcmp(name, "RETENTION_DAYS")) {
		if (parse_int(v, 1, 36500, &x)) {
			snprintf(err, STORE_ERR_LEN, "RETENTION_DAYS must be 1-36500 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->retention_days = (int)x;
		return 1;
	}
	if (!strcmp(name, "COMMAND_TTL")) {
		if (parse_int(v, 1, 365L * 86400, &x)) {
			snprintf(err, STORE_ERR_LEN, "COMMAND_TTL must be a number of seconds >= 1 (got \"%s\")", v);
			return STORE_EINVAL;
		}
		cfg->command_ttl = (int)x;
		return 1;
	}
	return 0;
}

/* ---- logging ------------------------------------------------------------- */

void store_log(struct store *st, int level, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st && st->cfg.log)
		st->cfg.log(st->cfg.log_ctx, level, msg);
	else if (level >= 1)
		fprintf(stderr, "store: %s\n", msg);
}

/* ---- SQL text ---------------------------------------------------------------- */

#define CMD_COLS "id, secret, command, requested_by, chat_id, requested_at, expires_at, " \
                 "delivered_at, answered_at, state"
#define KEY_COLS "a.secret, a.nickname, a.created, a.last_seen, a.host, " \
                 "(SELECT MAX(m.ts) FROM metrics m WHERE m.secret = a.secret)"

struct sql_text {
	const char *sqlite, *mysql; /* mysql NULL: the same text */
};

static const struct sql_text fixed_sql[ST_LATEST] = {
	[ST_TABLE_EXISTS] = {.sqlite = "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
	                     .mysql = "SELECT 1 FROM information_schema.tables WHERE table_schema=DATABASE() AND table_name=?"},
	[ST_COLUMN_EXISTS] = {.sqlite = "SELECT 1 FROM pragma_table_info(?) WHERE name=?",
	                      .mysql = "SELECT 1 FROM information_schema.columns WHERE table_schema=DATABASE() "
	                      "AND table_name=? AND column_name=?"},
	[ST_INDEX_EXISTS] = {.sqlite = "SELECT 1 FROM sqlite_master WHERE type='index' AND tbl_name=? AND name=?",
	                     .mysql = "SELECT 1 FROM information_schema.statistics WHERE table_schema=DATABASE() "
	                     "AND table_name=? AND index_name=? LIMIT 1"},
	[ST_META_GET] = {.sqlite = "SELECT v FROM store_meta WHERE k=?"},
	[ST_META_SET] = {.sqlite = "REPLACE INTO store_meta (k, v) VALUES (?, ?)"},
	[ST_KEY_EXISTS] = {.sqlite = "SELECT 1 FROM agents WHERE secret=?"},
	[ST_KEY_GET] = {.sqlite = "SELECT " KEY_COLS " FROM agents a WHERE a.secret=?"},
	[ST_KEY_LIST_ALL] = {.sqlite = "SELECT " KEY_COLS " FROM agents a ORDER BY a.created, a.secret"},
	[ST_KEY_LIST_OWNER] = {.sqlite = "SELECT " KEY_COLS " FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                       "WHERE o.user_id=? ORDER BY a.created, a.secret"},
	[ST_KEY_LIST_NOOWNER] = {.sqlite = "SELECT " KEY_COLS " FROM agents a WHERE NOT EXISTS "
	                         "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret) ORDER BY a.created, a.secret"},
	[ST_OWNERS] = {.sqlite = "SELECT user_id FROM agent_owners WHERE secret=? ORDER BY added, user_id"},
	[ST_KEY_INSERT] = {.sqlite = "INSERT INTO agents (secret, nickname, created, last_seen) VALUES (?, ?, ?, 0)"},
	[ST_KEY_IMPORT] = {.sqlite = "INSERT OR IGNORE INTO agents (secret, nickname, created, last_seen) VALUES (?, ?, ?, ?)"},
	[ST_OWNER_ADD] = {.sqlite = "INSERT OR IGNORE INTO agent_owners (secret, user_id, added) VALUES (?, ?, ?)"},
	[ST_NAMES_OWNER] = {.sqlite = "SELECT a.nickname FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                    "WHERE o.user_id=?"},
	[ST_NAMES_NOOWNER] = {.sqlite = "SELECT a.nickname FROM agents a WHERE NOT EXISTS "
	                      "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret)"},
	[ST_NAME_TAKEN_COOWNERS] = {.sqlite = "SELECT 1 FROM agent_owners me JOIN agent_owners o ON o.user_id=me.user_id "
	                            "JOIN agents a ON a.secret=o.secret "
	                            "WHERE me.secret=? AND a.secret<>? AND a.nickname=? LIMIT 1"},
	[ST_NAME_TAKEN_OWNER] = {.sqlite = "SELECT 1 FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                         "WHERE o.user_id=? AND a.nickname=? LIMIT 1"},
	[ST_NAME_TAKEN_NOOWNER] = {.sqlite = "SELECT 1 FROM agents a WHERE a.nickname=? AND a.secret<>? AND NOT EXISTS "
	                           "(SELECT 1 FROM agent_owners o WHERE o.secret=a.secret) LIMIT 1"},
	[ST_IS_OWNER] = {.sqlite = "SELECT 1 FROM agent_owners WHERE secret=? AND user_id=?"},
	[ST_HAS_OWNERS] = {.sqlite = "SELECT 1 FROM agent_owners WHERE secret=? LIMIT 1"},
	[ST_RESOLVE_OWNER] = {.sqlite = "SELECT a.secret FROM agents a JOIN agent_owners o ON o.secret=a.secret "
	                      "WHERE o.user_id=? AND a.nickname=? LIMIT 2"},
	[ST_RESOLVE_ANY] = {.sqlite = "SELECT secret FROM agents WHERE nickname=? LIMIT 2"},
	[ST_RENAME] = {.sqlite = "UPDATE agents SET nickname=? WHERE secret=?"},
	[ST_DEL_AGENT] = {.sqlite = "DELETE FROM agents WHERE secret=?"},
	[ST_DEL_OWNERS] = {.sqlite = "DELETE FROM agent_owners WHERE secret=?"},
	[ST_DEL_ACTIVE] = {.sqlite = "DELETE FROM chat_active WHERE secret=?"},
	[ST_DEL_ALERTS] = {.sqlite = "DELETE FROM alert_rules WHERE secret=?"},
	[ST_DEL_CMDS] = {.sqlite = "DELETE FROM command_queue WHERE secret=?"},
	[ST_DEL_METRICS] = {.sqlite = "DELETE FROM metrics WHERE secret=?"},
	[ST_DEL_1M] = {.sqlite = "DELETE FROM metrics_1m WHERE secret=?"},
	[ST_DEL_1H] = {.sqlite = "DELETE FROM metrics_1h WHERE secret=?"},
	[ST_DEL_DIRTY] = {.sqlite = "DELETE FROM rollup_dirty WHERE secret=?"},
	[ST_SEEN] = {.sqlite = "UPDATE agents SET last_seen=? WHERE secret=? AND last_seen<?"},
	[ST_SEEN_HOST] = {.sqlite = "UPDATE agents SET host=? WHERE secret=?"},
	[ST_ACTIVE_SET] = {.sqlite = "REPLACE INTO chat_active (chat_id, secret) VALUES (?, ?)"},
	[ST_ACTIVE_GET] = {.sqlite = "SELECT secret FROM chat_active WHERE chat_id=?"},
	[ST_NEWEST] = {.sqlite = "SELECT MAX(ts) FROM metrics WHERE secret=?"},
	[ST_FIRST_TS] = {.sqlite = "SELECT MIN(ts) FROM metrics WHERE secret=?"},
	[ST_DIRTY_LOAD] = {.sqlite = "SELECT secret, bucket FROM rollup_dirty"},
	[ST_DIRTY_DEL] = {.sqlite = "DELETE FROM rollup_dirty WHERE secret=? AND bucket=?"},
	[ST_PURGE_SECRETS] = {.sqlite = "SELECT secret FROM agents UNION SELECT DISTINCT secret FROM metrics_1h"},
	[ST_PURGE_RAW] = {.sqlite = "DELETE FROM metrics WHERE secret=? AND ts<?"},
	[ST_PURGE_1M] = {.sqlite = "DELETE FROM metrics_1m WHERE secret=? AND bucket<?"},
	[ST_PURGE_1H] = {.sqlite = "DELETE FROM metrics_1h WHERE secret=? AND bucket<?"},
	[ST_PURGE_CMDS] = {.sqlite = "DELETE FROM command_queue WHERE requested_at<? AND state<>0"},
	[ST_METRIC_SECRETS] = {.sqlite = "SELECT DISTINCT secret FROM metrics"},
	[ST_ALERT_SET] = {.sqlite = "REPLACE INTO alert_rules (user_id, secret, metric, threshold, for_s, hyst, state, "
	                  "since, last_sent, muted_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
	[ST_ALERT_IMPORT] = {.sqlite = "INSERT OR IGNORE INTO alert_rules (user_id, secret, metric, threshold, for_s, hyst, "
	                     "state, since, last_sent, muted_until) VALUES (?, ?, ?, ?, 0, 0, 0, ?, ?, 0)"},
	[ST_ALERT_DEL] = {.sqlite = "DELETE FROM alert_rules WHERE user_id=? AND secret=? AND metric=?"},
	[ST_ALERT_LIST] = {.sqlite = "SELECT user_id, secret, metric, threshold, for_s, hyst, state, since, last_sent, "
	                   "muted_until FROM alert_rules WHERE (?=0 OR user_id=?) AND (?='' OR secret=?) "
	                   "ORDER BY user_id, secret, metric"},
	[ST_ALERT_UPDATE] = {.sqlite = "UPDATE alert_rules SET state=?, since=?, last_sent=?, muted_until=? "
	                     "WHERE user_id=? AND secret=? AND metric=?"},
	[ST_CMD_INSERT] = {.sqlite = "INSERT INTO command_queue (secret, command, requested_by, chat_id, requested_at, "
	                   "expires_at, delivered_at, answered_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"},
	[ST_CMD_QUEUED] = {.sqlite = "SELECT " CMD_COLS " FROM command_queue WHERE secret=? AND state=0 "
	                   "AND (expires_at=0 OR expires_at>?) ORDER BY id LIMIT ?"},
	[ST_CMD_DELIVER] = {.sqlite = "UPDATE command_queue SET state=1, delivered_at=? WHERE id=? AND state=0"},
	[ST_CMD_REQUEUE] = {.sqlite = "UPDATE command_queue SET state=0, delivered_at=0 WHERE id=? AND state=1"},
	[ST_CMD_DUE] = {.sqlite = "SELECT " CMD_COLS " FROM command_queue WHERE state=0 AND expires_at>0 AND expires_at<=? "
	                "ORDER BY id LIMIT ?"},
	[ST_CMD_EXPIRE] = {.sqlite = "UPDATE command_queue SET state=3 WHERE id=? AND state=0"},
	[ST_CMD_ANSWER] = {.sqlite = "UPDATE command_queue SET state=2, answered_at=?, answer=? WHERE id=?"},
	[ST_CMD_WAITING] = {.sqlite = "SELECT id, command FROM command_queue WHERE secret=? AND state=1 ORDER BY id"},
	[ST_CMD_GET] = {.sqlite = "SELECT " CMD_COLS ", answer FROM command_queue WHERE id=?"},
	[ST_STATE_GET] = {.sqlite = "SELECT data FROM state WHERE id=1"},
	[ST_OLD_SECRETS] = {.sqlite = "SELECT secret, owners, nickname, pending FROM secrets"},
	[ST_OLD_ACTIVE] = {.sqlite = "SELECT chat_id, secret FROM active"},
	[ST_OLD_ALERTS] = {.sqlite = "SELECT uid, secret, metric, threshold FROM alerts"},
	[ST_OLD_ALERT_LAST] = {.sqlite = "SELECT id, ts FROM alert_last"},
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

static char *gen_sql(struct store *st, int id)
{
	struct sbuf b = {0};
	enum db_dialect d = st->ops->dialect;
	if (id < ST_LATEST) {
		const struct sql_text *t = &fixed_sql[id];
		sb_dialect(&b, d == DB_DIALECT_MYSQL && t->mysql ? t->mysql : t->sqlite, d);
	} else if (id == ST_LATEST) {
		sb_add(&b, "SELECT ts");
		for (int c = 0; c < SC__COUNT; c++)
			sb_addf(&b, ", %s", store_col_names[c]);
		sb_add(&b, ", disks, top_procs, gpus FROM metrics WHERE secret=? ORDER BY ts DESC LIMIT 1");
	} else if (id == ST_FOLD_MIN || id == ST_BACKFILL_MIN) {
		sb_add(&b, "REPLACE INTO metrics_1m (");
		rollup_cols(&b);
		sb_add(&b, id == ST_FOLD_MIN ? ") SELECT ?, ?, COUNT(*)" : ") SELECT secret, ts - (ts % 60), COUNT(*)");
		for (int m = 0; m < SM__COUNT; m++) {
			const char *c = metric_col(m);
			sb_addf(&b, ", COUNT(%s), SUM(%s), MIN(%s), MAX(%s)", c, c, c, c);
		}
		sb_add(&b, id == ST_FOLD_MIN ? " FROM metrics WHERE secret=? AND ts>=? AND ts<?"
		                             : " FROM metrics WHERE secret=? GROUP BY secret, ts - (ts % 60)");
	} else if (id == ST_FOLD_HOUR || id == ST_BACKFILL_HOUR) {
		sb_add(&b, "REPLACE INTO metrics_1h (");
		rollup_cols(&b);
		sb_add(&b, id == ST_FOLD_HOUR ? ") SELECT ?, ?, COALESCE(SUM(n), 0)"
		                              : ") SELECT secret, bucket - (bucket % 3600), COALESCE(SUM(n), 0)");
		for (int m = 0; m < SM__COUNT; m++) {
			const char *c = metric_col(m);
			sb_addf(&b, ", COALESCE(SUM(%s_n), 0), SUM(%s_sum), MIN(%s_min), MAX(%s_max)", c, c, c, c);
		}
		sb_add(&b, id == ST_FOLD_HOUR
		               ? " FROM metrics_1m WHERE secret=? AND bucket>=? AND bucket<?"
		               : " FROM metrics_1m WHERE secret=? GROUP BY secret, bucket - (bucket % 3600)");
	} else if (id >= ST_INS_BASE && id < ST_INS_BASE + NINS) {
		int rows = ins_sizes[id - ST_INS_BASE];
		sb_dialect(&b, "INSERT OR IGNORE INTO metrics (secret, ts", d);
		for (int c = 0; c < SC__COUNT; c++)
			sb_addf(&b, ", %s", store_col_names[c]);
		sb_add(&b, ", disks, top_procs, gpus) VALUES ");
		for (int r = 0; r < rows; r++) {
			sb_add(&b, r ? ",(?" : "(?");
			for (int p = 1; p < INS_PARAMS; p++)
				sb_add(&b, ",?");
			sb_add(&b, ")");
		}
	} else if (id >= ST_DIRTY_BASE && id < ST_DIRTY_BASE + NINS) {
		int rows = ins_sizes[id - ST_DIRTY_BASE];
		sb_dialect(&b, "INSERT OR IGNORE INTO rollup_dirty (secret, bucket) VALUES (?,?)", d);
		for (int r = 1; r < rows; r++)
			sb_add(&b, ",(?,?)");
	} else if (id >= ST_RANGE_BASE && id < ST__COUNT) {
		int res = (id - ST_RANGE_BASE) / SM__COUNT + 1, m = (id - ST_RANGE_BASE) % SM__COUNT;
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

/* ---- connection and statements ------------------------------------------- */

static void drop_stmts(struct store *st)
{
	for (int i = 0; i < ST__COUNT; i++) {
		if (st->stmt[i])
			st->ops->finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
}

static void mark_down(struct store *st, const char *what)
{
	if (!st->c)
		return;
	store_log(st, 2, "database connection lost (%s: %s)", what, st->ops->errmsg(st->c));
	drop_stmts(st);
	st->ops->close(st->c);
	st->c = NULL;
	st->in_tx = 0;
	st->stats.connected = 0;
}

int store_dbfail(struct store *st, int dbrc, const char *what)
{
	if (dbrc >= 0)
		return 0;
	st->stats.db_errors++;
	if (dbrc == DB_ELOST) {
		mark_down(st, what);
		return STORE_EDOWN;
	}
	store_log(st, 3, "%s: %s", what, st->c ? st->ops->errmsg(st->c) : "no connection");
	return STORE_EDB;
}

struct db_stmt *store_stmt(struct store *st, int id)
{
	if (!st->c || id < 0 || id >= ST__COUNT)
		return NULL;
	if (!st->stmt[id]) {
		char *sql = gen_sql(st, id);
		int rc;
		if (!sql)
			return NULL;
		rc = st->ops->prepare(st->c, sql, &st->stmt[id]);
		if (rc < 0) {
			store_log(st, 3, "prepare %.80s...: %s", sql, st->c ? st->ops->errmsg(st->c) : "");
			free(sql);
			store_dbfail(st, rc, "prepare");
			return NULL;
		}
		free(sql);
	}
	return st->stmt[id];
}

int store_next(struct store *st, struct db_stmt *s, const char *what)
{
	int rc = st->ops->step(s);
	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE) {
		st->ops->reset(s); /* ready to run again, even without new bindings */
		return 0;
	}
	if (rc != DB_ELOST)
		st->ops->reset(s);
	return store_dbfail(st, rc, what);
}

int store_exec_stmt(struct store *st, struct db_stmt *s, const char *what)
{
	int rc;
	while ((rc = store_next(st, s, what)) == 1)
		;
	return rc;
}

int store_begin(struct store *st)
{
	int rc;
	if (!st->c)
		return STORE_EDOWN;
	rc = st->ops->begin(st->c);
	if (rc < 0)
		return store_dbfail(st, rc, "begin");
	st->in_tx = 1;
	return 0;
}

int store_commit(struct store *st)
{
	int rc;
	if (!st->c)
		return STORE_EDOWN;
	rc = st->ops->commit(st->c);
	st->in_tx = 0;
	if (rc < 0) {
		if (rc != DB_ELOST && st->c)
			st->ops->rollback(st->c);
		return store_dbfail(st, rc, "commit");
	}
	st->stats.commits++;
	return 0;
}

void store_rollback(struct store *st)
{
	if (st->c && st->in_tx) {
		int rc = st->ops->rollback(st->c);
		if (rc == DB_ELOST)
			store_dbfail(st, rc, "rollback");
	}
	st->in_tx = 0;
}

void store_bind_text(struct store *st, struct db_stmt *s, int i, const char *p)
{
	if (p)
		st->ops->bind_text(s, i, p, strlen(p));
	else
		st->ops->bind_null(s, i);
}

static void bind_num(struct store *st, struct db_stmt *s, int i, double v, int integer)
{
	if (!isfinite(v))
		st->ops->bind_null(s, i);
	else if (integer)
		st->ops->bind_int(s, i, v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : llround(v));
	else
		st->ops->bind_double(s, i, v);
}

int store_secret_ok(const char *s)
{
	size_t n = 0;
	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return 0;
		if (n >= STORE_SECRET_MAX)
			return 0;
	}
	return n > 0;
}

int store_text_ok(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	while (*p) {
		unsigned c = *p;
		int extra;
		uint32_t cp;
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			extra = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			extra = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			extra = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (int i = 1; i <= extra; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		p += extra + 1;
	}
	return 1;
}

/* ---- hash tables: minutes to fold, secrets the writer knows --------------- */

struct dnode {
	struct dnode *next;
	int64_t bucket;
	int pending;     /* journalled in the open transaction, not committed */
	int failures;
	char secret[STORE_SECRET_MAX + 1];
};

struct anode {
	struct anode *next;
	int known;
	int64_t checked;  /* when known was read */
	int64_t seen;     /* last_seen written */
	int64_t batch_max;
	uint64_t epoch;
	char secret[STORE_SECRET_MAX + 1];
};

static uint64_t hash_str(const char *s, uint64_t h)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t dslot(const struct store *st, const char *secret, int64_t bucket)
{
	uint64_t h = hash_str(secret, 14695981039346656037ull ^ (uint64_t)bucket * 0x9e3779b97f4a7c15ull);
	return (size_t)(h & (st->dcap - 1));
}

static struct dnode *dfind(struct store *st, const char *secret, int64_t bucket)
{
	if (!st->dcap)
		return NULL;
	for (struct dnode *d = st->dtab[dslot(st, secret, bucket)]; d; d = d->next)
		if (d->bucket == bucket && !strcmp(d->secret, secret))
			return d;
	return NULL;
}

static int dgrow(struct store *st)
{
	size_t ncap = st->dcap ? st->dcap * 2 : 1024;
	struct dnode **nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return STORE_ENOMEM;
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			uint64_t h = hash_str(d->secret, 14695981039346656037ull ^
			                                     (uint64_t)d->bucket * 0x9e3779b97f4a7c15ull);
			size_t s = (size_t)(h & (ncap - 1));
			d->next = nt[s];
			nt[s] = d;
		}
	}
	free(st->dtab);
	st->dtab = nt;
	st->dcap = ncap;
	return 0;
}

static struct dnode *dadd(struct store *st, const char *secret, int64_t bucket, int pending)
{
	struct dnode *d = dfind(st, secret, bucket);
	size_t s;
	if (d)
		return d;
	if (st->dn + 1 > st->dcap && dgrow(st) != 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	snprintf(d->secret, sizeof(d->secret), "%s", secret);
	d->bucket = bucket;
	d->pending = pending;
	s = dslot(st, secret, bucket);
	d->next = st->dtab[s];
	st->dtab[s] = d;
	st->dn++;
	return d;
}

static void ddel(struct store *st, struct dnode *victim)
{
	size_t s = dslot(st, victim->secret, victim->bucket);
	for (struct dnode **pp = &st->dtab[s]; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			st->dn--;
			return;
		}
	}
}

static struct anode *afind(struct store *st, const char *secret, int create)
{
	size_t s;
	struct anode *a;
	if (!st->acap) {
		if (!create)
			return NULL;
		st->atab = calloc(4096, sizeof(*st->atab));
		if (!st->atab)
			return NULL;
		st->acap = 4096;
	}
	s = (size_t)(hash_str(secret, 14695981039346656037ull) & (st->acap - 1));
	for (a = st->atab[s]; a; a = a->next)
		if (!strcmp(a->secret, secret))
			return a;
	if (!create)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->secret, sizeof(a->secret), "%s", secret);
	a->next = st->atab[s];
	st->atab[s] = a;
	st->an++;
	return a;
}

void store_forget_secret(struct store *st, const char *secret)
{
	struct anode *a = afind(st, secret, 0);
	if (a) {
		a->known = 0;
		a->checked = 0;
		a->seen = 0;
	}
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			if (!strcmp(d->secret, secret))
				ddel(st, d);
		}
	}
}

static void free_tables(struct store *st)
{
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			free(d);
		}
	}
	free(st->dtab);
	st->dtab = NULL;
	st->dcap = st->dn = 0;
	for (size_t i = 0; i < st->acap; i++) {
		struct anode *a = st->atab[i], *next;
		for (; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(st->atab);
	st->atab = NULL;
	st->acap = st->an = 0;
}

/* ---- schema ----------------------------------------------------------------- */

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
	NULL,
};

/* Additions to the original's metrics table, as extra nullable columns
 * (its own columns are never changed). */
static const struct {
	const char *name, *sqlite, *mysql;
} metric_extra[] = {
	{"load1", "REAL", "DOUBLE"},   {"load5", "REAL", "DOUBLE"},    {"load15", "REAL", "DOUBLE"},
	{"cores", "INTEGER", "INT"},   {"disk_pct", "REAL", "DOUBLE"}, {"gpus", "TEXT", "TEXT"},
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

static int exists_q(struct store *st, int id, const char *a, const char *b)
{
	struct db_stmt *s = store_stmt(st, id);
	int rc;
	if (!s)
		return st->c ? STORE_EDB : STORE_EDOWN;
	store_bind_text(st, s, 0, a);
	if (b)
		store_bind_text(st, s, 1, b);
	rc = store_next(st, s, "schema query");
	if (rc == 1)
		st->ops->reset(s);
	return rc;
}

int store_table_exists(struct store *st, const char *table)
{
	return exists_q(st, ST_TABLE_EXISTS, table, NULL);
}

static int rollup_ddl(struct store *st, const char *table)
{
	struct sbuf b = {0};
	int sqlite = st->ops->dialect == DB_DIALECT_SQLITE, rc;
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
		return STORE_ENOMEM;
	}
	rc = exec_sql(st, b.p, "create rollup table");
	free(b.p);
	return rc;
}

/* The original's metrics table has a plain (secret, ts) index and may hold
 * duplicates; the unique index needs them gone. SQLite keeps the first row
 * of each; MySQL copies the table through INSERT IGNORE and keeps the old
 * one as metrics_before_dedup. */
static int unique_index(struct store *st)
{
	int rc = exists_q(st, ST_INDEX_EXISTS, "metrics", "metrics_secret_ts");
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
		rc = exists_q(st, ST_INDEX_EXISTS, "metrics", old_idx[i]);
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

static int meta_get_int(struct store *st, const char *key, int64_t *out)
{
	char buf[32];
	int rc = store_meta_get(st, key, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	*out = strtoll(buf, NULL, 10);
	return 0;
}

static int meta_set_int(struct store *st, const char *key, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return store_meta_set(st, key, buf);
}

/* Rollups for rows that have none yet (the original's metrics on the first
 * start): one grouped statement per secret. */
static int backfill(struct store *st)
{
	int64_t done;
	char **secrets = NULL;
	size_t n = 0, cap = 0;
	int rc = meta_get_int(st, "rollup.backfill", &done);
	struct db_stmt *s;
	if (rc == 0)
		return 0;
	if (rc != STORE_ENOTFOUND)
		return rc;
	if (!(s = store_stmt(st, ST_METRIC_SECRETS)))
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
		struct db_stmt *m = store_stmt(st, ST_BACKFILL_MIN), *h = store_stmt(st, ST_BACKFILL_HOUR);
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
		rc = meta_set_int(st, "rollup.backfill", (int64_t)time(NULL));
	return rc;
}

static int load_dirty(struct store *st)
{
	struct db_stmt *s = store_stmt(st, ST_DIRTY_LOAD);
	int rc;
	if (!s)
		return st->c ? STORE_EDB : STORE_EDOWN;
	while ((rc = store_next(st, s, "load rollup journal")) == 1) {
		const char *sec = st->ops->col_text(s, 0, NULL);
		if (sec && store_secret_ok(sec) && !dadd(st, sec, st->ops->col_int(s, 1), 0)) {
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
	int rc = meta_get_int(st, "import.state", &done);
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
		struct db_stmt *s = store_stmt(st, ST_STATE_GET);
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
		rc = meta_set_int(st, "import.state", (int64_t)time(NULL));
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
	for (size_t i = 0; rc == 0 && i < sizeof(metric_extra) / sizeof(metric_extra[0]); i++) {
		char sql[128];
		rc = exists_q(st, ST_COLUMN_EXISTS, "metrics", metric_extra[i].name);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		snprintf(sql, sizeof(sql), "ALTER TABLE metrics ADD COLUMN %s %s", metric_extra[i].name,
		         st->ops->dialect == DB_DIALECT_SQLITE ? metric_extra[i].sqlite : metric_extra[i].mysql);
		rc = exec_sql(st, sql, "add column");
	}
	if (rc == 0)
		rc = unique_index(st);
	if (rc == 0)
		rc = meta_set_int(st, "schema.version", 1);
	if (rc == 0)
		rc = backfill(st);
	if (rc == 0)
		rc = import_once(st);
	if (rc == 0)
		rc = load_dirty(st);
	if (rc == 0 && !st->last_purge) {
		int64_t lp;
		if (meta_get_int(st, "purge.last", &lp) == 0)
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
		drop_stmts(st);
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

struct store *store_new(const struct store_config *cfg)
{
	struct store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = *cfg;
	if (st->cfg.retention_days <= 0)
		st->cfg.retention_days = 30;
	if (st->cfg.hour_retention_days < st->cfg.retention_days)
		st->cfg.hour_retention_days = st->cfg.retention_days;
	if (st->cfg.command_ttl <= 0)
		st->cfg.command_ttl = 600;
	st->ops = cfg->kind == STORE_MYSQL ? &db_mysql_ops : &db_sqlite_ops;
	return st;
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
	drop_stmts(st);
	if (st->c)
		st->ops->close(st->c);
	free_tables(st);
	purge_reset(st);
	free(st);
}

enum store_kind store_kind(const struct store *st)
{
	return st->cfg.kind;
}

int store_connected(const struct store *st)
{
	return st->c != NULL;
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

void store_get_stats(struct store *st, struct store_stats *out)
{
	*out = st->stats;
	out->connected = st->c != NULL;
}

/* ---- samples ----------------------------------------------------------------- */

void store_row_clear(struct store_row *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < SC__COUNT; i++)
		r->v[i] = NAN;
}

static void bind_row(struct store *st, struct db_stmt *s, int base, const struct store_row *r)
{
	store_bind_text(st, s, base, r->secret);
	st->ops->bind_int(s, base + 1, r->ts);
	for (int c = 0; c < SC__COUNT; c++)
		bind_num(st, s, base + 2 + c, r->v[c], c == SC_UPTIME || c == SC_CORES);
	store_bind_text(st, s, base + 2 + SC__COUNT, r->disks);
	store_bind_text(st, s, base + 3 + SC__COUNT, r->top_procs);
	store_bind_text(st, s, base + 4 + SC__COUNT, r->gpus);
}

/* Does the secret exist? Cached for five minutes so the writer asks once
 * per key, not per sample. 1/0 or STORE_E*. */
static int secret_known(struct store *st, const char *secret, int64_t now, struct anode **node)
{
	struct anode *a = afind(st, secret, 1);
	struct db_stmt *s;
	int rc;
	*node = a;
	if (!a)
		return STORE_ENOMEM;
	if (a->known && now - a->checked < 300)
		return 1;
	GET_STMT(s, st, ST_KEY_EXISTS);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "key lookup");
	if (rc < 0)
		return rc;
	if (rc == 1)
		st->ops->reset(s);
	a->known = rc;
	a->checked = now;
	return rc;
}

/* Multi-row INSERT IGNORE of rows[idx[0..n)] in the open transaction.
 * Returns rows stored now, or STORE_E*. */
static int64_t insert_rows(struct store *st, const struct store_row *rows, const size_t *idx, size_t n)
{
	int64_t stored = 0;
	size_t i = 0;
	while (i < n) {
		int k = 0;
		struct db_stmt *s;
		int rc;
		while (k < NINS - 1 && (size_t)ins_sizes[k] > n - i)
			k++;
		if (!(s = store_stmt(st, ST_INS_BASE + k)))
			return st->c ? STORE_EDB : STORE_EDOWN;
		for (int r = 0; r < ins_sizes[k]; r++)
			bind_row(st, s, r * INS_PARAMS, &rows[idx[i + r]]);
		if ((rc = store_exec_stmt(st, s, "insert metrics")) != 0)
			return rc;
		stored += st->ops->changes(s);
		i += ins_sizes[k];
	}
	return stored;
}

struct ins_ctx {
	struct dnode **pend;   /* journal entries added in this transaction */
	size_t npend;
	struct anode **touched;
	size_t ntouched;
};

/* Journals the rows' minutes and bumps last_seen, in the open transaction. */
/* last_seen is written at most once a minute per key, each key at its own
 * phase of the minute, so thousands of agents started together do not all
 * need an UPDATE in the same batch. */
#define SEEN_EVERY 60

/* Journals the rows' minutes (multi-row) and bumps last_seen, in the open
 * transaction. */
static int insert_side(struct store *st, const struct store_row *rows, const size_t *idx, size_t n,
                       struct anode **nodes, struct ins_ctx *x, int64_t now)
{
	int64_t cutoff = now - (int64_t)st->cfg.retention_days * 86400;
	struct db_stmt *s;
	size_t i;
	int rc;
	st->epoch++;
	for (i = 0; i < n; i++) {
		const struct store_row *r = &rows[idx[i]];
		int64_t b = r->ts - r->ts % 60;
		struct anode *a = nodes[idx[i]];
		if (a->epoch != st->epoch) {
			a->epoch = st->epoch;
			a->batch_max = r->ts;
			x->touched[x->ntouched++] = a;
		} else if (r->ts > a->batch_max) {
			a->batch_max = r->ts;
		}
		/* A minute older than retention is not folded: its raw rows may be
		 * half purged and the fold would shrink a complete rollup. */
		if (b < cutoff || dfind(st, r->secret, b))
			continue;
		struct dnode *d = dadd(st, r->secret, b, 1);
		if (!d)
			return STORE_ENOMEM;
		x->pend[x->npend++] = d;
	}
	for (i = 0; i < x->npend;) {
		int k = 0;
		while (k < NINS - 1 && (size_t)ins_sizes[k] > x->npend - i)
			k++;
		GET_STMT(s, st, ST_DIRTY_BASE + k);
		for (int j = 0; j < ins_sizes[k]; j++) {
			store_bind_text(st, s, 2 * j, x->pend[i + (size_t)j]->secret);
			st->ops->bind_int(s, 2 * j + 1, x->pend[i + (size_t)j]->bucket);
		}
		if ((rc = store_exec_stmt(st, s, "rollup journal")) != 0)
			return rc;
		i += (size_t)ins_sizes[k];
	}
	for (i = 0; i < x->ntouched; i++) {
		struct anode *a = x->touched[i];
		if (a->seen == 0)
			a->seen = a->batch_max - (int64_t)(hash_str(a->secret, 14695981039346656037ull) % SEEN_EVERY);
		if (a->batch_max < a->seen + SEEN_EVERY)
			continue;
		GET_STMT(s, st, ST_SEEN);
		st->ops->bind_int(s, 0, a->batch_max);
		store_bind_text(st, s, 1, a->secret);
		st->ops->bind_int(s, 2, a->batch_max);
		if ((rc = store_exec_stmt(st, s, "last seen")) != 0)
			return rc;
	}
	return 0;
}

static void insert_done(struct store *st, struct ins_ctx *x, int committed)
{
	for (size_t i = 0; i < x->npend; i++) {
		if (committed)
			x->pend[i]->pending = 0;
		else
			ddel(st, x->pend[i]);
	}
	for (size_t i = 0; committed && i < x->ntouched; i++)
		if (x->touched[i]->batch_max >= x->touched[i]->seen + SEEN_EVERY)
			x->touched[i]->seen = x->touched[i]->batch_max;
	x->npend = x->ntouched = 0;
}

/* One transaction over idx[0..n). Returns stored-now count or STORE_E*;
 * *dbrc gets STORE_EDB for a statement error (so the caller can isolate a
 * bad row). */
static int64_t insert_tx(struct store *st, const struct store_row *rows, const size_t *idx, size_t n,
                         struct anode **nodes, struct ins_ctx *x, int64_t now)
{
	int64_t stored;
	int rc;
	for (int attempt = 0;; attempt++) {
		if ((rc = store_begin(st)) != 0)
			return rc;
		stored = insert_rows(st, rows, idx, n);
		rc = stored < 0 ? (int)stored : insert_side(st, rows, idx, n, nodes, x, now);
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		insert_done(st, x, rc == 0);
		if (rc == 0)
			return stored;
		if (rc == STORE_EDOWN || attempt >= 2)
			return rc;
	}
}

int store_insert(struct store *st, const struct store_row *rows, size_t n, int *result_out)
{
	size_t *idx = NULL, na = 0, ok = 0;
	struct anode **nodes = NULL;
	struct ins_ctx x = {0};
	int *result = NULL;
	int64_t now = (int64_t)time(NULL), stored;
	int rc = 0;
	if (n == 0)
		return 0;
	if (!st->c) {
		for (size_t i = 0; result_out && i < n; i++)
			result_out[i] = STORE_EDOWN;
		return STORE_EDOWN;
	}
	result = result_out ? result_out : malloc(n * sizeof(*result));
	idx = malloc(n * sizeof(*idx));
	nodes = calloc(n, sizeof(*nodes));
	x.pend = malloc(n * sizeof(*x.pend));
	x.touched = malloc(n * sizeof(*x.touched));
	if (!result || !idx || !nodes || !x.pend || !x.touched) {
		rc = STORE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int r;
		if (!store_secret_ok(rows[i].secret) || rows[i].ts <= 0) {
			r = STORE_EINVAL;
		} else if ((r = secret_known(st, rows[i].secret, now, &nodes[i])) < 0) {
			rc = r;
			goto fail_all;
		} else {
			r = r ? 0 : STORE_ENOKEY;
		}
		result[i] = r;
		if (r == 0)
			idx[na++] = i;
		else
			st->stats.rows_refused++;
	}
	stored = insert_tx(st, rows, idx, na, nodes, &x, now);
	if (stored == STORE_EDB && na > 1) {
		/* A row the database refuses (bad text...) must not hold back the
		 * others: one transaction per row to find it. */
		stored = 0;
		for (size_t i = 0; i < na; i++) {
			int64_t one = insert_tx(st, rows, &idx[i], 1, nodes, &x, now);
			if (one == STORE_EDOWN) {
				rc = STORE_EDOWN;
				for (size_t j = i; j < na; j++)
					result[idx[j]] = STORE_EDOWN;
				goto out;
			}
			if (one < 0) {
				result[idx[i]] = STORE_EDB;
				st->stats.rows_refused++;
			} else {
				stored += one;
			}
		}
	} else if (stored < 0) {
		rc = (int)stored;
		for (size_t i = 0; i < na; i++)
			result[idx[i]] = rc;
		if (rc == STORE_EDB)
			st->stats.rows_refused += na;
		goto out;
	}
	for (size_t i = 0; i < na; i++)
		if (result[idx[i]] == 0)
			ok++;
	st->stats.rows_inserted += (uint64_t)stored;
	st->stats.rows_duplicate += ok - (size_t)stored;
	rc = (int)stored;
	goto out;
fail_all:
	for (size_t i = 0; i < n; i++)
		result[i] = rc;
out:
	if (result != result_out)
		free(result);
	free(idx);
	free(nodes);
	free(x.pend);
	free(x.touched);
	return rc;
}

char *store_dup_col(struct store *st, struct db_stmt *s, int i)
{
	size_t len;
	const char *p = st->ops->col_text(s, i, &len);
	return p ? strndup(p, len) : NULL;
}

int store_latest(struct store *st, const char *secret, struct store_sample *out)
{
	struct db_stmt *s;
	int rc;
	memset(out, 0, sizeof(*out));
	store_row_clear(&out->row);
	if (!store_secret_ok(secret))
		return STORE_ENOTFOUND;
	NEED_CONN(st);
	GET_STMT(s, st, ST_LATEST);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "latest sample");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	snprintf(out->row.secret, sizeof(out->row.secret), "%s", secret);
	out->row.ts = st->ops->col_int(s, 0);
	for (int c = 0; c < SC__COUNT; c++)
		out->row.v[c] = st->ops->col_null(s, 1 + c) ? NAN : st->ops->col_double(s, 1 + c);
	out->disks = store_dup_col(st, s, 1 + SC__COUNT);
	out->top_procs = store_dup_col(st, s, 2 + SC__COUNT);
	out->gpus = store_dup_col(st, s, 3 + SC__COUNT);
	out->row.disks = out->disks;
	out->row.top_procs = out->top_procs;
	out->row.gpus = out->gpus;
	st->ops->reset(s);
	return 0;
}

void store_sample_free(struct store_sample *s)
{
	free(s->disks);
	free(s->top_procs);
	free(s->gpus);
	s->disks = s->top_procs = s->gpus = NULL;
}

static int single_int(struct store *st, int id, const char *secret, int64_t *out, const char *what)
{
	struct db_stmt *s;
	int rc;
	*out = 0;
	NEED_CONN(st);
	GET_STMT(s, st, id);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, what);
	if (rc == 1) {
		*out = st->ops->col_null(s, 0) ? 0 : st->ops->col_int(s, 0);
		st->ops->reset(s);
		rc = 0;
	}
	return rc;
}

int store_newest_ts(struct store *st, const char *secret, int64_t *ts)
{
	*ts = 0;
	if (!store_secret_ok(secret))
		return 0;
	return single_int(st, ST_NEWEST, secret, ts, "newest ts");
}

/* ---- range reads ------------------------------------------------------------ */

int store_metric_from_name(const char *name)
{
	for (int m = 0; m < SM__COUNT; m++)
		if (!strcmp(name, store_metric_names[m]))
			return m;
	return STORE_EINVAL;
}

int store_range(struct store *st, const char *secret, enum store_metric m, int64_t from, int64_t to,
                enum store_res res, struct store_series *out)
{
	struct db_stmt *s;
	size_t cap = 0;
	int rc;
	memset(out, 0, sizeof(*out));
	if ((int)m < 0 || m >= SM__COUNT || to < from || (int)res < 0 || res > STORE_RES_HOUR)
		return STORE_EINVAL;
	if (res == STORE_RES_AUTO)
		res = to - from <= STORE_RAW_MAX_SPAN      ? STORE_RES_RAW
		      : to - from <= STORE_MINUTE_MAX_SPAN ? STORE_RES_MINUTE
		                                           : STORE_RES_HOUR;
	out->res = res;
	if (!store_secret_ok(secret))
		return 0;
	NEED_CONN(st);
	GET_STMT(s, st, ST_RANGE_BASE + ((int)res - 1) * SM__COUNT + (int)m);
	if (res == STORE_RES_MINUTE)
		from -= ((from % 60) + 60) % 60;
	else if (res == STORE_RES_HOUR)
		from -= ((from % 3600) + 3600) % 3600;
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, from);
	st->ops->bind_int(s, 2, to);
	while ((rc = store_next(st, s, "range read")) == 1) {
		struct store_point *p;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			p = realloc(out->pts, nc * sizeof(*p));
			if (!p) {
				st->ops->reset(s);
				store_series_free(out);
				return STORE_ENOMEM;
			}
			out->pts = p;
			cap = nc;
		}
		p = &out->pts[out->n++];
		p->ts = st->ops->col_int(s, 0);
		if (res == STORE_RES_RAW) {
			p->avg = p->min = p->max = st->ops->col_double(s, 1);
			p->n = 1;
		} else {
			int64_t cnt = st->ops->col_int(s, 1);
			p->n = (uint32_t)cnt;
			p->avg = cnt > 0 ? st->ops->col_double(s, 2) / (double)cnt : NAN;
			p->min = st->ops->col_double(s, 3);
			p->max = st->ops->col_double(s, 4);
		}
	}
	if (rc < 0)
		store_series_free(out);
	return rc;
}

void store_series_free(struct store_series *s)
{
	free(s->pts);
	s->pts = NULL;
	s->n = 0;
}

/* ---- rollups and retention ----------------------------------------------------- */

struct due {
	char secret[STORE_SECRET_MAX + 1];
	int64_t bucket;
};

static int due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	int c = strcmp(x->secret, y->secret);
	if (c)
		return c;
	return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

static int fold_bucket(struct store *st, const struct due *d, int hour_too)
{
	struct db_stmt *m, *h, *del;
	int rc;
	GET_STMT(m, st, ST_FOLD_MIN);
	store_bind_text(st, m, 0, d->secret);
	st->ops->bind_int(m, 1, d->bucket);
	store_bind_text(st, m, 2, d->secret);
	st->ops->bind_int(m, 3, d->bucket);
	st->ops->bind_int(m, 4, d->bucket + 60);
	if ((rc = store_exec_stmt(st, m, "fold minute")) != 0)
		return rc;
	if (hour_too) {
		int64_t hb = d->bucket - d->bucket % 3600;
		GET_STMT(h, st, ST_FOLD_HOUR);
		store_bind_text(st, h, 0, d->secret);
		st->ops->bind_int(h, 1, hb);
		store_bind_text(st, h, 2, d->secret);
		st->ops->bind_int(h, 3, hb);
		st->ops->bind_int(h, 4, hb + 3600);
		if ((rc = store_exec_stmt(st, h, "fold hour")) != 0)
			return rc;
	}
	GET_STMT(del, st, ST_DIRTY_DEL);
	store_bind_text(st, del, 0, d->secret);
	st->ops->bind_int(del, 1, d->bucket);
	return store_exec_stmt(st, del, "rollup journal");
}

static int due_by_time(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return strcmp(x->secret, y->secret);
}

int store_rollup_some(struct store *st, int64_t now, int force, size_t max)
{
	struct due *list = NULL;
	size_t n = 0, folded = 0;
	int rc = 0;
	NEED_CONN(st);
	if (!st->dn || max == 0)
		return 0;
	list = malloc(st->dn * sizeof(*list));
	if (!list)
		return STORE_ENOMEM;
	for (size_t i = 0; i < st->dcap; i++)
		for (struct dnode *d = st->dtab[i]; d; d = d->next)
			if (!d->pending && (force || d->bucket + 60 + STORE_ROLLUP_GRACE <= now)) {
				memcpy(list[n].secret, d->secret, sizeof(list[n].secret));
				list[n].bucket = d->bucket;
				n++;
			}
	if (n > max) {
		/* the oldest minutes first */
		qsort(list, n, sizeof(*list), due_by_time);
		n = max;
	}
	qsort(list, n, sizeof(*list), due_cmp);
	for (size_t i = 0; i < n && rc == 0;) {
		size_t end = i + 256 < n ? i + 256 : n, j;
		if ((rc = store_begin(st)) != 0)
			break;
		for (j = i; j < end && rc == 0; j++) {
			/* Fold the hour once, after the last of its minutes in this run. */
			int last_of_hour = j + 1 == end || strcmp(list[j].secret, list[j + 1].secret) ||
			                   list[j].bucket / 3600 != list[j + 1].bucket / 3600;
			rc = fold_bucket(st, &list[j], last_of_hour);
		}
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		if (rc == 0) {
			for (j = i; j < end; j++) {
				struct dnode *d = dfind(st, list[j].secret, list[j].bucket);
				if (d && !d->pending)
					ddel(st, d);
			}
			folded += end - i;
		} else if (rc != STORE_EDOWN) {
			/* Keep trying later; give up on a bucket that keeps failing. */
			for (j = i; j < end; j++) {
				struct dnode *d = dfind(st, list[j].secret, list[j].bucket);
				if (d && ++d->failures >= 5) {
					store_log(st, 3, "giving up folding %s at %lld", d->secret, (long long)d->bucket);
					ddel(st, d);
				}
			}
		}
		i = end;
	}
	free(list);
	st->stats.rollup_buckets += folded;
	return rc < 0 ? rc : (int)folded;
}

int store_rollup_run(struct store *st, int64_t now, int force)
{
	return store_rollup_some(st, now, force, SIZE_MAX);
}

static void purge_reset(struct store *st)
{
	for (size_t i = 0; i < st->purge_n; i++)
		free(st->purge_keys[i]);
	free(st->purge_keys);
	st->purge_keys = NULL;
	st->purge_n = st->purge_pos = 0;
	st->purge_now = 0;
	st->purge_total = 0;
}

/* The keys to purge: every agent and every key that still has rollups. */
static int purge_list(struct store *st)
{
	struct db_stmt *s;
	size_t cap = 0;
	int rc;
	GET_STMT(s, st, ST_PURGE_SECRETS);
	while ((rc = store_next(st, s, "purge keys")) == 1) {
		const char *v = st->ops->col_text(s, 0, NULL);
		if (!v)
			continue;
		if (st->purge_n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(st->purge_keys, nc * sizeof(*p));
			if (!p) {
				st->ops->reset(s);
				return STORE_ENOMEM;
			}
			st->purge_keys = p;
			cap = nc;
		}
		if (!(st->purge_keys[st->purge_n] = strdup(v))) {
			st->ops->reset(s);
			return STORE_ENOMEM;
		}
		st->purge_n++;
	}
	return rc;
}

int store_purge_step(struct store *st, int64_t now, size_t max_keys)
{
	int64_t cut_raw, cut_hour;
	struct db_stmt *s;
	size_t end;
	int rc = 0;
	NEED_CONN(st);
	if (!st->purge_now || st->purge_now != now) {
		purge_reset(st);
		st->purge_now = now;
		if ((rc = purge_list(st)) != 0) {
			purge_reset(st);
			return rc;
		}
	}
	cut_raw = now - (int64_t)st->cfg.retention_days * 86400;
	cut_hour = now - (int64_t)st->cfg.hour_retention_days * 86400;
	end = st->purge_n - st->purge_pos > max_keys ? st->purge_pos + max_keys : st->purge_n;
	for (; rc == 0 && st->purge_pos < end; st->purge_pos++) {
		static const int ids[] = {ST_PURGE_RAW, ST_PURGE_1M, ST_PURGE_1H};
		const char *key = st->purge_keys[st->purge_pos];
		int64_t n = 0;
		if ((rc = store_begin(st)) != 0)
			break;
		for (int k = 0; k < 3 && rc == 0; k++) {
			struct db_stmt *d = store_stmt(st, ids[k]);
			if (!d) {
				rc = st->c ? STORE_EDB : STORE_EDOWN;
				break;
			}
			store_bind_text(st, d, 0, key);
			st->ops->bind_int(d, 1, k == 2 ? cut_hour : cut_raw);
			if ((rc = store_exec_stmt(st, d, "purge")) == 0)
				n += st->ops->changes(d);
		}
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		if (rc == 0)
			st->purge_total += n;
	}
	if (rc != 0) {
		purge_reset(st);
		return rc;
	}
	if (st->purge_pos < st->purge_n)
		return 0;
	/* last step: old command history, then the day's mark */
	if (!(s = store_stmt(st, ST_PURGE_CMDS))) {
		purge_reset(st);
		return st->c ? STORE_EDB : STORE_EDOWN;
	}
	st->ops->bind_int(s, 0, cut_hour);
	if ((rc = store_exec_stmt(st, s, "purge commands")) == 0)
		st->purge_total += st->ops->changes(s);
	if (rc == 0)
		rc = meta_set_int(st, "purge.last", now);
	if (rc == 0) {
		st->last_purge = now;
		store_log(st, 1, "retention purge: %lld rows older than %d days removed", (long long)st->purge_total,
		          st->cfg.retention_days);
		rc = 1;
	}
	st->stats.purged_rows += (uint64_t)(rc == 1 ? st->purge_total : 0);
	purge_reset(st);
	return rc;
}

int64_t store_purge(struct store *st, int64_t now)
{
	int64_t before = (int64_t)st->stats.purged_rows;
	int rc;
	while ((rc = store_purge_step(st, now, SIZE_MAX)) == 0)
		;
	return rc < 0 ? rc : (int64_t)st->stats.purged_rows - before;
}

int store_import_json(struct store *st, const char *json, size_t len, int64_t now)
{
	int rc;
	NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = store_import_state_tx(st, json, len, now);
	if (rc >= 0) {
		int c = store_commit(st);
		if (c != 0)
			rc = c;
	} else {
		store_rollback(st);
	}
	return rc;
}
