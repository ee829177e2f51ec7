/* core.c — the handle under every storage file: logging, the statement
 * cache (prepared on first use, dropped with the connection), the result
 * and transaction helpers, binding, the checks on secrets and text, and
 * the handle's plain accessors. Calls down into sql.c only. */
#include "server/store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- statements and transactions ----------------------------------------- */

void store_stmts_drop(struct store *st)
{
	for (int i = 0; i < STORE_ST__COUNT; i++) {
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
	store_stmts_drop(st);
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
	if (!st->c || id < 0 || id >= STORE_ST__COUNT)
		return NULL;
	if (!st->stmt[id]) {
		char *sql = store_sql_text(st->ops->dialect, id);
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

int store_end(struct store *st, int rc)
{
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	int c = store_commit(st);
	return c != 0 ? c : rc;
}

void store_bind_text(struct store *st, struct db_stmt *s, int i, const char *p)
{
	if (p)
		st->ops->bind_text(s, i, p, strlen(p));
	else
		st->ops->bind_null(s, i);
}

void store_bind_num(struct store *st, struct db_stmt *s, int i, double v, int integer)
{
	if (!isfinite(v))
		st->ops->bind_null(s, i);
	else if (integer)
		st->ops->bind_int(s, i, v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : llround(v));
	else
		st->ops->bind_double(s, i, v);
}

/* Alert metric names: a-z, 0-9 and _, 1 to 16 bytes (the original's keys). */
int store_metric_ok(const char *m)
{
	size_t n = m ? strlen(m) : 0;
	if (n == 0 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_'))
			return 0;
	return 1;
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

/* ---- small queries ------------------------------------------------------ */

int store_query_exists(struct store *st, int id, const char *a, const char *b)
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
	return store_query_exists(st, STORE_ST_TABLE_EXISTS, table, NULL);
}

int store_one_int(struct store *st, int id, const char *secret, int64_t *out, const char *what)
{
	struct db_stmt *s;
	int rc;
	*out = 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, id);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, what);
	if (rc == 1) {
		*out = st->ops->col_null(s, 0) ? 0 : st->ops->col_int(s, 0);
		st->ops->reset(s);
		rc = 0;
	}
	return rc;
}

char *store_dup_col(struct store *st, struct db_stmt *s, int i)
{
	size_t len;
	const char *p = st->ops->col_text(s, i, &len);
	return p ? strndup(p, len) : NULL;
}

/* ---- rows and the handle ------------------------------------------------- */

void store_row_clear(struct store_row *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < SC__COUNT; i++)
		r->v[i] = NAN;
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

enum store_kind store_kind(const struct store *st)
{
	return st->cfg.kind;
}

int store_connected(const struct store *st)
{
	return st->c != NULL;
}

void store_get_stats(struct store *st, struct store_stats *out)
{
	*out = st->stats;
	out->connected = st->c != NULL;
}
