/* store.h — the server's storage: one interface over SQLite (WAL) and MySQL
 * (libmysqlclient), the schema of SPEC §6, rollups, retention, key and
 * command-queue operations, the one-time import of the original's `state`.
 *
 * Two ways in:
 *  - the synchronous API (struct store): one connection, one thread at a
 *    time; used by `monbot-server key ...`, the tests, and the database thread;
 *  - the asynchronous layer (struct store_async, server/store/store_async.h):
 *    a database thread with a bounded queue for the event loop, which never
 *    blocks on the database and learns what is committed through a pollable
 *    file descriptor.
 * Keys, alerts, the command queue, meta values and the import of the
 * original's state are declared in server/store/store_keys.h.
 * Every function returns 0 (or a count) on success and a negative STORE_E*
 * code on failure. Strings are UTF-8; secrets are ASCII. */
#ifndef MONBOT_STORE_H
#define MONBOT_STORE_H

#include <stddef.h>
#include <stdint.h>

/* ---- codes and sizes ---------------------------------------------------- */

#define STORE_OK         0
#define STORE_EDB      (-1)  /* database error (details in the log) */
#define STORE_EDOWN    (-2)  /* no database connection right now */
#define STORE_ENOKEY   (-3)  /* no such key (secret or name) */
#define STORE_EEXIST   (-4)  /* the name is taken among this owner's keys */
#define STORE_EAMBIG   (-5)  /* a name matches several keys: use the secret */
#define STORE_EFULL    (-6)  /* queue or buffer at its bound */
#define STORE_EINVAL   (-7)  /* bad argument */
#define STORE_ENOMEM   (-8)
#define STORE_ENOTFOUND (-9) /* no such row (command, alert, chat, meta key) */
#define STORE_ESTOPPED (-10) /* the async layer is shutting down */

#define STORE_SECRET_LEN 20   /* keys made here */
#define STORE_SECRET_MAX 64   /* longest secret accepted (original: VARCHAR) */
#define STORE_NAME_MAX   128  /* nickname, bytes */
#define STORE_CMD_MAX    128  /* command text, bytes */
#define STORE_ERR_LEN    256

/* owner argument meaning "any owner / no owner check" (CLI, admin). */
#define STORE_ANY_OWNER  INT64_MIN

const char *store_strerror(int rc);

/* ---- configuration (SPEC §2) ---------------------------------------------- */

enum store_kind { STORE_SQLITE, STORE_MYSQL };

struct store_config {
	enum store_kind kind;           /* DB=sqlite|mysql */
	char sqlite_path[1024];         /* SQLITE_PATH (monbot.db) */
	char mysql_host[256];           /* MYSQL_HOST (127.0.0.1) */
	unsigned mysql_port;            /* MYSQL_PORT (3306) */
	char mysql_user[128];           /* MYSQL_USER (root) */
	char mysql_password[256];       /* MYSQL_PASSWORD ("") */
	char mysql_db[65];              /* MYSQL_DB (monitoring); [A-Za-z0-9_$] */
	char mysql_socket[1024];        /* MYSQL_SOCKET: unix socket, optional */
	int retention_days;             /* RETENTION_DAYS (30): raw rows, minute rollups */
	int hour_retention_days;        /* hour rollups (365, at least retention_days) */
	int command_ttl;                /* COMMAND_TTL (600): imported reboot/shutdown */
	int sqlite_synchronous;         /* 2 = FULL (default: a commit is on disk), 1 = NORMAL */
	/* Async layer bounds: samples queued + buffered while the database is
	 * away. At the bound a sample is refused (STORE_EFULL) and not acked. */
	size_t max_buffered_rows;       /* 200000 */
	size_t max_buffered_bytes;      /* 96 MiB */
	int reconnect_ms;               /* 1000: retry interval while down */
	int shutdown_wait_ms;           /* 30000: stop() waits this long for the db */
	/* Log sink (level: 0 debug, 1 info, 2 warn, 3 error); NULL = stderr,
	 * info and above. Called from whichever thread logs. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
};

/* Built-in defaults of SPEC §2. */
void store_config_defaults(struct store_config *cfg);
/* Applies one NAME=value setting (DB, SQLITE_PATH, MYSQL_HOST, MYSQL_PORT,
 * MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB, MYSQL_SOCKET, RETENTION_DAYS,
 * COMMAND_TTL). Returns 1 if taken, 0 if NAME is not a storage setting,
 * STORE_EINVAL with a message naming the variable in err for a bad value. */
int store_config_set(struct store_config *cfg, const char *name, const char *value,
                     char err[STORE_ERR_LEN]);

/* ---- the synchronous handle --------------------------------------------- */

struct store;

/* Connects (MySQL: creates the database if missing), creates or upgrades the
 * schema, adds the unique (secret, ts) index to an original `metrics` table,
 * builds rollups for rows that have none, and runs the one-time import of the
 * original's `state` JSON. err gets a readable reason on failure. */
int store_open(struct store **out, const struct store_config *cfg, char err[STORE_ERR_LEN]);
void store_close(struct store *st);
enum store_kind store_kind(const struct store *st);
/* 1 while the connection is usable; store_reconnect() tries once. */
int store_connected(const struct store *st);
int store_reconnect(struct store *st);

/* ---- samples ------------------------------------------------------------- */

/* Numeric columns of a `metrics` row; the first block are the original's. */
enum store_col {
	SC_CPU, SC_RAM, SC_GPU, SC_VRAM,
	SC_RAM_USED, SC_RAM_TOTAL, SC_SWAP, SC_SWAP_USED, SC_SWAP_TOTAL,
	SC_VRAM_USED, SC_VRAM_TOTAL, SC_CPU_TEMP, SC_GPU_TEMP,
	SC_NET_UP, SC_NET_DOWN, SC_UPTIME,
	/* additions, extra columns of `metrics` */
	SC_LOAD1, SC_LOAD5, SC_LOAD15, SC_CORES, SC_DISK_PCT,
	SC__COUNT
};
extern const char *const store_col_names[SC__COUNT]; /* SQL column names */

/* One sample as stored. NAN = NULL. Text members are JSON (or NULL) and are
 * copied by the insert/submit calls. ts: unix seconds (unique per secret). */
struct store_row {
	char secret[STORE_SECRET_MAX + 1];
	int64_t ts;
	double v[SC__COUNT];
	const char *disks;      /* [{"mount","percent","used","total"}] */
	const char *top_procs;  /* [{"name","cpu","ram"}] */
	const char *gpus;       /* [{"index","name","util",...}] (addition) */
	const char *fleet;      /* the fleet series, store_fleet_text's lines */
	/* A sample whose own ts was not sane: the agent's ts in ms beside the
	 * server's stamp, unique per secret, so a resend (after a crash too)
	 * is found and kept once. ts is then only a proposal (store_insert). */
	int has_agent_ts;
	int64_t agent_ts;
};
void store_row_clear(struct store_row *r); /* all NULL, ts 0, no agent_ts */

struct sample;
/* Fills row from the wire record (wire/sample.h): scalars, load, cores,
 * disk_pct = the fullest disk, and the disks/top_procs/gpus JSON texts
 * written into buf (which row then points into). ts is the stamp the
 * server chose. STORE_EFULL if buf is too small. */
int store_row_from_sample(struct store_row *row, const char *secret, int64_t ts,
                          const struct sample *s, char *buf, size_t cap);
/* {"hostname","os","kernel","arch","agent"} of a sample's host into buf. */
int store_host_json(const struct sample *s, char *buf, size_t cap);

/* Inserts rows in one transaction. A (secret, ts) already stored is
 * ignored. Rows of an unknown secret are refused. result[i] (optional):
 * 1 stored now, 0 was already there, STORE_ENOKEY / STORE_EDB refused.
 * Marks the rows' minutes for rollup. Returns the number stored now. */
int store_insert(struct store *st, const struct store_row *rows, size_t n, int *result);

/* The newest sample of a secret, with its texts (caller frees with
 * store_sample_free). STORE_ENOTFOUND when there is none. */
struct store_sample {
	struct store_row row;   /* texts point into owned strings below */
	char *disks, *top_procs, *gpus;
};
int store_latest(struct store *st, const char *secret, struct store_sample *out);
void store_sample_free(struct store_sample *s);
/* Newest stored ts of a secret (0 if none): the ack to send on connect. */
int store_newest_ts(struct store *st, const char *secret, int64_t *ts);

/* ---- range reads for charts ---------------------------------------------- */

/* Series that have rollups (min/avg/max per minute and per hour). */
enum store_metric {
	SM_CPU, SM_RAM, SM_GPU, SM_VRAM, SM_SWAP,
	SM_RAM_USED, SM_RAM_TOTAL, SM_SWAP_USED, SM_VRAM_USED, SM_VRAM_TOTAL,
	SM_CPU_TEMP, SM_GPU_TEMP, SM_NET_UP, SM_NET_DOWN, SM_LOAD1, SM_DISK_PCT,
	SM__COUNT
};
extern const char *const store_metric_names[SM__COUNT]; /* "cpu", "net_up", ... */
int store_metric_from_name(const char *name); /* SM_* or STORE_EINVAL */

enum store_res { STORE_RES_AUTO, STORE_RES_RAW, STORE_RES_MINUTE, STORE_RES_HOUR };
/* AUTO: raw up to this span, minute rollups up to the next, hour beyond. */
#define STORE_RAW_MAX_SPAN    (3 * 3600)
#define STORE_MINUTE_MAX_SPAN (8 * 86400)

struct store_point {
	int64_t ts;             /* sample ts, or the bucket's start */
	double avg, min, max;   /* raw: all three the sample's value */
	uint32_t n;             /* samples behind the point (1 for raw) */
};
struct store_series {
	enum store_res res;     /* what was read */
	size_t n;
	struct store_point *pts; /* ascending ts; NULL values are left out */
};
/* Points of one metric with from <= ts <= to (rollups: buckets that overlap
 * the range). out->pts is allocated; free with store_series_free. */
int store_range(struct store *st, const char *secret, enum store_metric m,
                int64_t from, int64_t to, enum store_res res, struct store_series *out);
void store_series_free(struct store_series *s);

/* ---- the fleet keys' numeric series (wire/fleet.h) -------------------------- */

/* Stored per key and name beside the sample's row (table fleet_metrics,
 * minute and hour rollups fleet_1m / fleet_1h, the same journal, retention
 * and key removal as the row). The names, as /plot takes them:
 *   ups_charge, ups_load, ups_runtime, container_cpu:<name>,
 *   container_mem:<name>, smart_temp:<dev>, smart_used:<dev>, custom:<key>. */
#define STORE_SERIES_MAX 160   /* bytes of a name, with the NUL */
struct fleet;
/* A name the store keeps: 1 to STORE_SERIES_MAX - 1 bytes of well-formed
 * UTF-8 with no control character. */
int store_series_ok(const char *name, size_t len);
/* The sample's numeric fleet values as "<name>\t<value>\n" lines into
 * buf (what store_row.fleet points at): absent values (NAN) and names the
 * store does not keep are left out, and lines past cap (STORE_FLEET_TEXT_MAX
 * holds every line of a full struct fleet). NULL when there is none. */
#define STORE_FLEET_TEXT_MAX 40960
const char *store_fleet_text(const struct fleet *f, char *buf, size_t cap);
/* Points of one series (store_range's rules). */
int store_fleet_range(struct store *st, const char *secret, const char *series, int64_t from, int64_t to,
                      enum store_res res, struct store_series *out);
/* The names a key has hour rollups for since `since`, in order, at most
 * max of them. Returns how many, or STORE_E*. */
int store_fleet_series(struct store *st, const char *secret, int64_t since, char (*names)[STORE_SERIES_MAX],
                       size_t max);

/* Rollups are kept by recomputing each touched (secret, minute) from raw
 * rows and its hour from the minutes, so duplicates, retries and late
 * (spooled) samples never count twice. Touched minutes are journalled in the
 * same transaction as the rows; this folds those whose minute ended at least
 * STORE_ROLLUP_GRACE s before `now` (force: all of them). The async layer
 * calls it every second and at shutdown. Returns buckets folded. */
#define STORE_ROLLUP_GRACE 5
int store_rollup_run(struct store *st, int64_t now, int force);

/* Retention: raw rows and minute rollups older than retention_days, hour
 * rollups older than hour_retention_days. The async layer runs it daily.
 * Returns rows deleted. */
int64_t store_purge(struct store *st, int64_t now);

/* ---- counters --------------------------------------------------------------- */

struct store_stats {
	uint64_t rows_inserted;    /* new rows committed */
	uint64_t rows_duplicate;   /* (secret, ts) already stored */
	uint64_t rows_refused;     /* unknown secret or a row the database refused */
	uint64_t rows_dropped_full;/* async: refused at the bound (not acked) */
	uint64_t commits;
	uint64_t rollup_buckets;
	uint64_t purged_rows;
	uint64_t reconnects;
	uint64_t db_errors;
	uint64_t queued_rows;      /* async: waiting in queue + outage buffer now */
	uint64_t queued_bytes;
	uint64_t requests_done;
	int connected;
};
void store_get_stats(struct store *st, struct store_stats *out);

#endif
