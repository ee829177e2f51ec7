/* store_int.h — what the storage files share and callers never see: the
 * handle, the statement ids and SQL text (sql.c), the statement cache and
 * query helpers (core.c), the writer's hash tables (tables.c), and the
 * internal entry points of the files above them. Layers, lowest first:
 * sql, tables < core < keys, cmd, read, insert, rollup < import < schema
 * < async, keycli; a file calls only files below it. */
#ifndef MONBOT_STORE_INT_H
#define MONBOT_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/db_backend.h"
#include "server/store/store.h"
#include "server/store/store_async.h"
#include "server/store/store_keys.h"

/* Rows per multi-row INSERT, largest first (MySQL allows 65535 parameters,
 * SQLite 32766; a row has STORE_INS_PARAMS). */
#define STORE_INS_SIZES { 256, 64, 16, 4, 1 }
#define STORE_INS_NSIZES 5
#define STORE_INS_PARAMS (2 + SC__COUNT + 4)

/* fleet_metrics.series: VARCHAR of STORE_SERIES_MAX - 1 (utf8mb4 characters
 * on MySQL, which always hold the bytes the writer lets through) */
#define FLEET_SERIES_SQL_LEN "159"

/* Statement ids (their SQL text: sql.c). */
enum store_stmt {
	STORE_ST_TABLE_EXISTS, STORE_ST_COLUMN_EXISTS, STORE_ST_INDEX_EXISTS,
	STORE_ST_META_GET, STORE_ST_META_SET,
	STORE_ST_KEY_EXISTS, STORE_ST_KEY_GET, STORE_ST_KEY_LIST_ALL, STORE_ST_KEY_LIST_OWNER, STORE_ST_KEY_LIST_NOOWNER,
	STORE_ST_OWNERS, STORE_ST_KEY_INSERT, STORE_ST_KEY_IMPORT, STORE_ST_OWNER_ADD,
	STORE_ST_NAMES_OWNER, STORE_ST_NAMES_NOOWNER,
	STORE_ST_NAME_TAKEN_COOWNERS, STORE_ST_NAME_TAKEN_OWNER, STORE_ST_NAME_TAKEN_NOOWNER,
	STORE_ST_IS_OWNER, STORE_ST_HAS_OWNERS, STORE_ST_RESOLVE_OWNER, STORE_ST_RESOLVE_ANY, STORE_ST_RENAME,
	STORE_ST_DEL_AGENT, STORE_ST_DEL_OWNERS, STORE_ST_DEL_ACTIVE, STORE_ST_DEL_ALERTS, STORE_ST_DEL_CMDS,
	STORE_ST_DEL_METRICS, STORE_ST_DEL_1M, STORE_ST_DEL_1H, STORE_ST_DEL_DIRTY,
	STORE_ST_SEEN, STORE_ST_SEEN_HOST, STORE_ST_ACTIVE_SET, STORE_ST_ACTIVE_GET, STORE_ST_NEWEST, STORE_ST_FIRST_TS,
	STORE_ST_STAMP_FIND, STORE_ST_STAMP_BELOW, STORE_ST_STAMP_MAX, STORE_ST_STAMP_AT, STORE_ST_STAMP_MOVE,
	STORE_ST_DIRTY_LOAD, STORE_ST_DIRTY_DEL,
	STORE_ST_PURGE_SECRETS, STORE_ST_PURGE_RAW, STORE_ST_PURGE_1M, STORE_ST_PURGE_1H, STORE_ST_PURGE_CMDS,
	STORE_ST_METRIC_SECRETS,
	STORE_ST_ALERT_SET, STORE_ST_ALERT_IMPORT, STORE_ST_ALERT_DEL, STORE_ST_ALERT_LIST, STORE_ST_ALERT_UPDATE,
	STORE_ST_CMD_INSERT, STORE_ST_CMD_QUEUED, STORE_ST_CMD_DELIVER, STORE_ST_CMD_REQUEUE, STORE_ST_CMD_DUE, STORE_ST_CMD_NEW,
	STORE_ST_CMD_EXPIRE, STORE_ST_CMD_ANSWER, STORE_ST_CMD_WAITING, STORE_ST_CMD_GET, STORE_ST_CMD_RECENT,
	STORE_ST_STATE_GET, STORE_ST_OLD_SECRETS, STORE_ST_OLD_ACTIVE, STORE_ST_OLD_ALERTS, STORE_ST_OLD_ALERT_LAST,
	STORE_ST_OUTBOX_ADD, STORE_ST_OUTBOX_DEL, STORE_ST_OUTBOX_LIST, STORE_ST_MAINT_SET, STORE_ST_MAINT_DEL,
	STORE_ST_MAINT_LIST,
	STORE_ST_FLEET_INS, STORE_ST_FLEET_MOVE, STORE_ST_FLEET_FOLD_MIN, STORE_ST_FLEET_FOLD_HOUR,
	STORE_ST_FLEET_RANGE_RAW, STORE_ST_FLEET_RANGE_1M, STORE_ST_FLEET_RANGE_1H, /* in enum store_res order */
	STORE_ST_FLEET_PURGE_RAW, STORE_ST_FLEET_PURGE_1M, STORE_ST_FLEET_PURGE_1H,
	STORE_ST_FLEET_DEL_RAW, STORE_ST_FLEET_DEL_1M, STORE_ST_FLEET_DEL_1H, STORE_ST_FLEET_SERIES,
	STORE_ST_FLEET_STATE_GET, STORE_ST_FLEET_STATE_SET, STORE_ST_FLEET_STATE_DEL,
	/* generated from the column tables */
	STORE_ST_LATEST, STORE_ST_FOLD_MIN, STORE_ST_FOLD_HOUR, STORE_ST_BACKFILL_MIN, STORE_ST_BACKFILL_HOUR,
	STORE_ST_INS_BASE,                                              /* + index into STORE_INS_SIZES */
	STORE_ST_DIRTY_BASE = STORE_ST_INS_BASE + STORE_INS_NSIZES, /* journal rows, same sizes */
	STORE_ST_RANGE_BASE = STORE_ST_DIRTY_BASE + STORE_INS_NSIZES, /* + (res-1) * SM__COUNT + metric */
	STORE_ST__COUNT = STORE_ST_RANGE_BASE + 3 * SM__COUNT
};

/* A minute touched and not yet folded (tables.c). */
struct dnode {
	struct dnode *next;
	int64_t bucket;
	int pending;     /* journalled in the open transaction, not committed */
	int failures;
	char secret[STORE_SECRET_MAX + 1];
};

/* A secret the writer has looked up (tables.c). */
struct anode {
	struct anode *next;
	int known;
	int64_t checked;  /* when known was read */
	int64_t seen;     /* last_seen written */
	int64_t batch_max;
	uint64_t epoch;
	int64_t stamped_max; /* newest re-stamped second stored (stamped_known) */
	int stamped_known;
	char secret[STORE_SECRET_MAX + 1];
};

struct store {
	struct store_config cfg;
	const struct db_ops *ops;
	struct db_conn *c;                /* NULL while disconnected */
	struct db_stmt *stmt[STORE_ST__COUNT];
	int in_tx;
	int schema_ready;
	/* minutes touched and not yet folded (journalled in rollup_dirty) */
	struct dnode **dtab;
	size_t dcap, dn;
	/* secrets seen by the writer: known?, last_seen written */
	struct anode **atab;
	size_t acap, an;
	uint64_t epoch;
	struct store_stats stats;
	int64_t last_purge;
	int warned_down;
	/* a purge in progress, a slice of keys at a time */
	char **purge_keys;
	size_t purge_n, purge_pos;
	int64_t purge_now, purge_total;
};

/* ---- sql.c ---- */

/* The text of statement id in dialect d (malloc'd), NULL for an unknown id
 * or no memory. */
char *store_sql_text(enum db_dialect d, int id);
/* CREATE TABLE of a rollup table (metrics_1m, metrics_1h), malloc'd. */
char *store_sql_rollup_table(enum db_dialect d, const char *table);

/* ---- tables.c ---- */

#define STORE_HASH_SEED 14695981039346656037ull  /* FNV-1a offset basis */
uint64_t store_hash_str(const char *s, uint64_t h);
struct dnode *store_dirty_find(struct store *st, const char *secret, int64_t bucket);
/* The entry (new or already there); NULL without memory. */
struct dnode *store_dirty_add(struct store *st, const char *secret, int64_t bucket, int pending);
void store_dirty_del(struct store *st, struct dnode *victim);
/* The secret's entry; create: add it when missing (NULL without memory). */
struct anode *store_known_find(struct store *st, const char *secret, int create);
/* Forgets what the tables hold about a secret (a deleted key). */
void store_forget_secret(struct store *st, const char *secret);
void store_tables_free(struct store *st);

/* ---- core.c ---- */

/* Logging: level 0 debug .. 3 error. */
void store_log(struct store *st, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A new handle, not connected; store_connect (schema.c) connects it. */
struct store *store_new(const struct store_config *cfg);
/* The statement, prepared on first use; NULL (and the connection marked
 * down when it was lost) on failure. */
struct db_stmt *store_stmt(struct store *st, int id);
/* Finalizes every prepared statement (the connection is going). */
void store_stmts_drop(struct store *st);
/* Maps a DB_* result to STORE_*, marking the connection down on DB_ELOST. */
int store_dbfail(struct store *st, int dbrc, const char *what);
/* Runs s to completion: 0 or STORE_E*. */
int store_exec_stmt(struct store *st, struct db_stmt *s, const char *what);
/* One step: 1 row, 0 done, STORE_E* error (statement reset on error/done). */
int store_next(struct store *st, struct db_stmt *s, const char *what);
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* Ends the transaction store_begin opened: commit when rc >= 0 (then the
 * commit's error, if any, else rc), roll back otherwise (rc). */
int store_end(struct store *st, int rc);
/* Statement id (STORE_ST_*_EXISTS) with text parameters a and b (b may be NULL):
 * 1 if it returns a row, 0 if not, STORE_E*. */
int store_query_exists(struct store *st, int id, const char *a, const char *b);
/* 1 if table exists, 0 if not, STORE_E* */
int store_table_exists(struct store *st, const char *table);
/* Statement id with the secret as its one parameter, returning one integer
 * (NULL and no row: 0). */
int store_one_int(struct store *st, int id, const char *secret, int64_t *out, const char *what);
/* Secrets are ASCII letters, digits, '-' and '_' (1..64): anything else is
 * never looked up (a utf8 parameter against an ascii column is an error in
 * MySQL). */
int store_secret_ok(const char *s);
int store_metric_ok(const char *m);
/* Valid UTF-8 without control characters, 1..max bytes. */
int store_text_ok(const char *s, size_t max);
void store_bind_text(struct store *st, struct db_stmt *s, int i, const char *p);
/* A number, NULL when not finite; integer: rounded, clamped to int64. */
void store_bind_num(struct store *st, struct db_stmt *s, int i, double v, int integer);
/* Column i as a malloc'd string, NULL for NULL. */
char *store_dup_col(struct store *st, struct db_stmt *s, int i);

/* ---- keys.c, rollup.c, import.c, schema.c ---- */

/* Meta values as integers: STORE_ENOTFOUND when the key is not set. */
int store_meta_get_int(struct store *st, const char *key, int64_t *out);
int store_meta_set_int(struct store *st, const char *key, int64_t v);
/* Folds at most max due minutes, the oldest first (the async layer keeps
 * each tick short); returns how many. */
int store_rollup_some(struct store *st, int64_t now, int force, size_t max);
/* Purges the next max_keys keys of the purge for `now` (started on the
 * first call): 0 more to do, 1 finished, STORE_E*. */
int store_purge_step(struct store *st, int64_t now, size_t max_keys);
/* Drops a purge in progress (and frees its key list). */
void store_purge_reset(struct store *st);
/* Import inside a transaction the caller opened: the state JSON, or the
 * original's older layout (tables secrets/active/alerts/alert_last).
 * Return the number of keys imported. */
int store_import_state_tx(struct store *st, const char *json, size_t len, int64_t now);
int store_import_old_tables_tx(struct store *st, int64_t now);
/* Connects a handle from store_new and prepares the schema. */
int store_connect(struct store *st, char err[STORE_ERR_LEN]);

/* Early returns for the public functions: no connection; a statement that
 * could not be prepared (or the connection went while preparing). */
#define STORE_NEED_CONN(st)         \
	do {                            \
		if (!(st)->c)               \
			return STORE_EDOWN;     \
	} while (0)

#define STORE_GET_STMT(s, st, id)                                  \
	do {                                                           \
		if (!((s) = store_stmt((st), (id))))                       \
			return (st)->c ? STORE_EDB : STORE_EDOWN;              \
	} while (0)

#endif
