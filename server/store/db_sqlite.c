/* db_sqlite.c — the SQLite back-end of db_backend.h: one connection in WAL
 * mode, synchronous FULL by default so a commit (and so an ack) survives a
 * crash of the machine, not only of the process. */
#include "server/store/db_backend.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/port.h"

struct db_conn {
	sqlite3 *db;
};

struct db_stmt {
	struct db_conn *c;
	sqlite3_stmt *st;
	int ran;           /* stepped since the last reset */
	int64_t changes, last_id;
};

static int classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_ERETRY;
	default:
		return DB_EERR;
	}
}

static int sq_open(struct db_conn **out, const struct store_config *cfg, char *err, size_t errlen)
{
	struct db_conn *c = calloc(1, sizeof(*c));
	char pragma[64];
	int rc, created, e = 0;
	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return DB_EERR;
	}
	/* The database holds every agent secret: create it 0600 before SQLite
	 * does (its default is 0644). SQLite gives -wal and -shm the database
	 * file's own mode (os_unix.c findCreateFileMode, unixOpenSharedMemory). */
	if (strcmp(cfg->sqlite_path, ":memory:") != 0 && strncmp(cfg->sqlite_path, "file:", 5) != 0 &&
	    cfg->sqlite_path[0] &&
	    port_file_create(cfg->sqlite_path, 0600, &created, &e) != PORT_OK) {
		snprintf(err, errlen, "SQLITE_PATH %s: %s", cfg->sqlite_path,
		         port_strerror(e, pragma, sizeof pragma));
		goto fail;
	}
	rc = sqlite3_open_v2(cfg->sqlite_path, &c->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "SQLITE_PATH %s: %s", cfg->sqlite_path,
		         c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(c->db, 10000);
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous=%s",
	         cfg->sqlite_synchronous == 1 ? "NORMAL" : "FULL");
	/* 32 MiB of page cache (SQLite's default is 2): thousands of agents
	 * insert into every part of the (secret, ts) index at once, and each
	 * page that falls out is read back through the kernel */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA cache_size=-32768", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "SQLITE_PATH %s: %s", cfg->sqlite_path, sqlite3_errmsg(c->db));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	sqlite3_close(c->db);
	free(c);
	return DB_EERR;
}

static void sq_close(struct db_conn *c)
{
	if (!c)
		return;
	sqlite3_close(c->db);
	free(c);
}

static int sq_exec(struct db_conn *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : classify(rc);
}

static int sq_prepare(struct db_conn *c, const char *sql, struct db_stmt **out)
{
	struct db_stmt *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return DB_EERR;
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		return classify(rc);
	}
	s->c = c;
	*out = s;
	return 0;
}

static void sq_finalize(struct db_stmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s);
}

static void ready(struct db_stmt *s)
{
	if (s->ran) {
		sqlite3_reset(s->st);
		s->ran = 0;
	}
}

static void sq_bind_null(struct db_stmt *s, int i)
{
	ready(s);
	sqlite3_bind_null(s->st, i + 1);
}

static void sq_bind_int(struct db_stmt *s, int i, int64_t v)
{
	ready(s);
	sqlite3_bind_int64(s->st, i + 1, v);
}

static void sq_bind_double(struct db_stmt *s, int i, double v)
{
	ready(s);
	sqlite3_bind_double(s->st, i + 1, v);
}

static void sq_bind_text(struct db_stmt *s, int i, const char *p, size_t n)
{
	ready(s);
	sqlite3_bind_text(s->st, i + 1, p, (int)n, SQLITE_STATIC);
}

static int sq_step(struct db_stmt *s)
{
	int rc = sqlite3_step(s->st);
	s->ran = 1;
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes64(s->c->db);
		s->last_id = sqlite3_last_insert_rowid(s->c->db);
		return DB_DONE;
	}
	rc = sqlite3_reset(s->st);
	s->ran = 0;
	return classify(rc);
}

static void sq_reset(struct db_stmt *s)
{
	sqlite3_reset(s->st);
	s->ran = 0;
}

static int sq_col_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(s->st, i) == SQLITE_NULL;
}

static int64_t sq_col_int(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(s->st, i);
}

static double sq_col_double(struct db_stmt *s, int i)
{
	return sqlite3_column_double(s->st, i);
}

static const char *sq_col_text(struct db_stmt *s, int i, size_t *len)
{
	const char *p = (const char *)sqlite3_column_text(s->st, i);
	if (len)
		*len = p ? (size_t)sqlite3_column_bytes(s->st, i) : 0;
	return p;
}

static int64_t sq_changes(struct db_stmt *s)
{
	return s->changes;
}

static int64_t sq_last_id(struct db_stmt *s)
{
	return s->last_id;
}

static const char *sq_errmsg(struct db_conn *c)
{
	return c ? sqlite3_errmsg(c->db) : "no connection";
}

/* IMMEDIATE takes the write lock at BEGIN, so a transaction never fails
 * half-way on a lock upgrade (another process, e.g. `key new`, writing). */
static int sq_begin(struct db_conn *c)
{
	return sq_exec(c, "BEGIN IMMEDIATE");
}

static int sq_commit(struct db_conn *c)
{
	return sq_exec(c, "COMMIT");
}

static int sq_rollback(struct db_conn *c)
{
	if (sqlite3_get_autocommit(c->db))
		return 0;
	return sq_exec(c, "ROLLBACK");
}

const struct db_ops db_sqlite_ops = {
	.dialect = DB_DIALECT_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_null = sq_bind_null,
	.bind_int = sq_bind_int,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.step = sq_step,
	.reset = sq_reset,
	.col_null = sq_col_null,
	.col_int = sq_col_int,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.changes = sq_changes,
	.last_id = sq_last_id,
	.errmsg = sq_errmsg,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
};
