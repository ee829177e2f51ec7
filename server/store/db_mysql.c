/* db_mysql.c — the MySQL back-end of db_backend.h over libmysqlclient
 * (MariaDB Connector/C): server-side prepared statements, results buffered
 * client-side (mysql_stmt_store_result) so several statements can be used
 * at once, and errors sorted into "connection lost" (reconnect and retry)
 * and the rest. */
#include "server/store/db_backend.h"

#include <errmsg.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_conn {
	MYSQL *m;
	char err[512];
};

enum { COL_INT, COL_DOUBLE, COL_TEXT };

struct mcol {
	int type;
	long long i;
	double d;
	char *buf;
	unsigned long cap, len;
	my_bool is_null, error;
};

struct mparam {
	long long i;
	double d;
	unsigned long len;
	my_bool is_null;
};

enum { ST_IDLE, ST_ROWS, ST_DONE };

struct db_stmt {
	struct db_conn *c;
	MYSQL_STMT *st;
	unsigned nparam, ncol;
	MYSQL_BIND *pb;
	struct mparam *pv;
	MYSQL_BIND *rb;
	struct mcol *cv;
	int state;
	int64_t changes, last_id;
	char num[40];
};

/* Server error numbers (mysqld_error.h) that mean the session is gone or
 * the transaction must be retried. */
#define ER_LOCK_WAIT_TIMEOUT_ 1205
#define ER_LOCK_DEADLOCK_ 1213
#define ER_SERVER_SHUTDOWN_ 1053
#define ER_CONNECTION_KILLED_ 1927
#define ER_CLIENT_INTERACTION_TIMEOUT_ 4031

static int classify(unsigned e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC:
	case ER_SERVER_SHUTDOWN_:
	case ER_CONNECTION_KILLED_:
	case ER_CLIENT_INTERACTION_TIMEOUT_:
		return DB_ELOST;
	case ER_LOCK_WAIT_TIMEOUT_:
	case ER_LOCK_DEADLOCK_:
		return DB_ERETRY;
	default:
		return DB_EERR;
	}
}

static void keep_err(struct db_conn *c, const char *what, unsigned e, const char *msg)
{
	snprintf(c->err, sizeof(c->err), "%s: %u %s", what, e, msg ? msg : "");
}

static int conn_fail(struct db_conn *c, const char *what)
{
	unsigned e = mysql_errno(c->m);
	keep_err(c, what, e, mysql_error(c->m));
	return classify(e);
}

static int stmt_fail(struct db_stmt *s, const char *what)
{
	unsigned e = mysql_stmt_errno(s->st);
	keep_err(s->c, what, e, mysql_stmt_error(s->st));
	return classify(e);
}

/* Database names go into CREATE DATABASE / USE, which take no parameters;
 * only a plain identifier is accepted. */
static int ident_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '$'))
			return 0;
	return 1;
}

static int my_exec(struct db_conn *c, const char *sql)
{
	if (mysql_real_query(c->m, sql, strlen(sql)) != 0)
		return conn_fail(c, "query");
	/* Drain a result if the statement had one. */
	do {
		MYSQL_RES *r = mysql_store_result(c->m);
		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(c->m) != 0)
			return conn_fail(c, "result");
	} while (mysql_next_result(c->m) == 0);
	if (mysql_errno(c->m))
		return conn_fail(c, "query");
	return 0;
}

static int my_open(struct db_conn **out, const struct store_config *cfg, char *err, size_t errlen)
{
	struct db_conn *c = calloc(1, sizeof(*c));
	unsigned int ctimeout = 5, rtimeout = 300, wtimeout = 60;
	my_bool off = 0;
	char sql[160];
	int rc = DB_ELOST;
	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return DB_EERR;
	}
	if (!ident_ok(cfg->mysql_db)) {
		snprintf(err, errlen, "MYSQL_DB must be letters, digits, _ or $ (got \"%s\")", cfg->mysql_db);
		free(c);
		return DB_EERR;
	}
	c->m = mysql_init(NULL);
	if (!c->m) {
		snprintf(err, errlen, "mysql_init failed");
		free(c);
		return DB_EERR;
	}
	mysql_options(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &ctimeout);
	mysql_options(c->m, MYSQL_OPT_READ_TIMEOUT, &rtimeout);
	mysql_options(c->m, MYSQL_OPT_WRITE_TIMEOUT, &wtimeout);
	mysql_options(c->m, MYSQL_OPT_RECONNECT, &off);
	mysql_options(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* FOUND_ROWS: UPDATE reports rows matched, as SQLite's changes() does. */
	if (!mysql_real_connect(c->m, cfg->mysql_host, cfg->mysql_user, cfg->mysql_password, NULL,
	                        cfg->mysql_port, cfg->mysql_socket[0] ? cfg->mysql_socket : NULL,
	                        CLIENT_FOUND_ROWS)) {
		unsigned e = mysql_errno(c->m);
		snprintf(err, errlen, "MySQL %s:%u: %s", cfg->mysql_socket[0] ? cfg->mysql_socket : cfg->mysql_host,
		         cfg->mysql_port, mysql_error(c->m));
		rc = classify(e) == DB_ELOST || e >= 2000 ? DB_ELOST : DB_EERR;
		goto fail;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s` DEFAULT CHARACTER SET utf8mb4",
	         cfg->mysql_db);
	if ((rc = my_exec(c, sql)) != 0 || mysql_select_db(c->m, cfg->mysql_db) != 0 ||
	    (rc = my_exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")) != 0) {
		if (!rc)
			rc = conn_fail(c, "use");
		snprintf(err, errlen, "MySQL database %s: %s", cfg->mysql_db, mysql_error(c->m));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	mysql_close(c->m);
	free(c);
	return rc;
}

static void my_close(struct db_conn *c)
{
	if (!c)
		return;
	mysql_close(c->m);
	free(c);
}

static int my_prepare(struct db_conn *c, const char *sql, struct db_stmt **out)
{
	struct db_stmt *s = calloc(1, sizeof(*s));
	my_bool on = 1;
	*out = NULL;
	if (!s)
		return DB_EERR;
	s->c = c;
	s->st = mysql_stmt_init(c->m);
	if (!s->st) {
		free(s);
		return conn_fail(c, "stmt_init");
	}
	if (mysql_stmt_prepare(s->st, sql, strlen(sql)) != 0) {
		int rc = stmt_fail(s, "prepare");
		mysql_stmt_close(s->st);
		free(s);
		return rc;
	}
	mysql_stmt_attr_set(s->st, STMT_ATTR_UPDATE_MAX_LENGTH, &on);
	s->nparam = mysql_stmt_param_count(s->st);
	if (s->nparam) {
		s->pb = calloc(s->nparam, sizeof(*s->pb));
		s->pv = calloc(s->nparam, sizeof(*s->pv));
		if (!s->pb || !s->pv) {
			mysql_stmt_close(s->st);
			free(s->pb);
			free(s->pv);
			free(s);
			return DB_EERR;
		}
		for (unsigned i = 0; i < s->nparam; i++) {
			s->pb[i].buffer_type = MYSQL_TYPE_NULL;
			s->pb[i].is_null = &s->pv[i].is_null;
			s->pv[i].is_null = 1;
		}
	}
	*out = s;
	return 0;
}

static void free_cols(struct db_stmt *s)
{
	for (unsigned i = 0; i < s->ncol; i++)
		free(s->cv[i].buf);
	free(s->cv);
	free(s->rb);
	s->cv = NULL;
	s->rb = NULL;
	s->ncol = 0;
}

static void my_reset(struct db_stmt *s)
{
	if (s->state == ST_ROWS)
		mysql_stmt_free_result(s->st);
	s->state = ST_IDLE;
}

static void my_finalize(struct db_stmt *s)
{
	if (!s)
		return;
	my_reset(s);
	mysql_stmt_close(s->st);
	free_cols(s);
	free(s->pb);
	free(s->pv);
	free(s);
}

static MYSQL_BIND *param(struct db_stmt *s, int i)
{
	if (s->state != ST_IDLE)
		my_reset(s);
	if (i < 0 || (unsigned)i >= s->nparam)
		return NULL;
	return &s->pb[i];
}

static void my_bind_null(struct db_stmt *s, int i)
{
	MYSQL_BIND *b = param(s, i);
	if (!b)
		return;
	b->buffer_type = MYSQL_TYPE_NULL;
	s->pv[i].is_null = 1;
}

static void my_bind_int(struct db_stmt *s, int i, int64_t v)
{
	MYSQL_BIND *b = param(s, i);
	if (!b)
		return;
	s->pv[i].i = v;
	s->pv[i].is_null = 0;
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = &s->pv[i].i;
	b->is_unsigned = 0;
}

static void my_bind_double(struct db_stmt *s, int i, double v)
{
	MYSQL_BIND *b = param(s, i);
	if (!b)
		return;
	s->pv[i].d = v;
	s->pv[i].is_null = 0;
	b->buffer_type = MYSQL_TYPE_DOUBLE;
	b->buffer = &s->pv[i].d;
}

static void my_bind_text(struct db_stmt *s, int i, const char *p, size_t n)
{
	MYSQL_BIND *b = param(s, i);
	if (!b)
		return;
	s->pv[i].len = (unsigned long)n;
	s->pv[i].is_null = 0;
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)p;
	b->buffer_length = (unsigned long)n;
	b->length = &s->pv[i].len;
}

static int col_kind(enum enum_field_types t)
{
	switch (t) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return COL_INT;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return COL_DOUBLE;
	default:
		return COL_TEXT;
	}
}

/* After store_result: one bound buffer per column, text sized to the
 * longest value (STMT_ATTR_UPDATE_MAX_LENGTH). */
static int bind_results(struct db_stmt *s, MYSQL_RES *meta)
{
	unsigned n = mysql_num_fields(meta);
	MYSQL_FIELD *f = mysql_fetch_fields(meta);
	if (n != s->ncol) {
		free_cols(s);
		s->rb = calloc(n, sizeof(*s->rb));
		s->cv = calloc(n, sizeof(*s->cv));
		if (!s->rb || !s->cv)
			return DB_EERR;
		s->ncol = n;
	} else {
		memset(s->rb, 0, n * sizeof(*s->rb));
	}
	for (unsigned i = 0; i < n; i++) {
		struct mcol *c = &s->cv[i];
		MYSQL_BIND *b = &s->rb[i];
		c->type = col_kind(f[i].type);
		b->is_null = &c->is_null;
		b->error = &c->error;
		b->length = &c->len;
		if (c->type == COL_INT) {
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &c->i;
		} else if (c->type == COL_DOUBLE) {
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = &c->d;
		} else {
			unsigned long need = f[i].max_length + 1;
			if (need > c->cap) {
				char *p = realloc(c->buf, need);
				if (!p)
					return DB_EERR;
				c->buf = p;
				c->cap = need;
			}
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = c->buf;
			b->buffer_length = c->cap;
		}
	}
	if (mysql_stmt_bind_result(s->st, s->rb) != 0)
		return stmt_fail(s, "bind_result");
	return 0;
}

static int my_step(struct db_stmt *s)
{
	int rc;
	if (s->state == ST_DONE)
		s->state = ST_IDLE; /* run again, as sqlite3_step does after DONE */
	if (s->state == ST_IDLE) {
		MYSQL_RES *meta;
		if (s->nparam && mysql_stmt_bind_param(s->st, s->pb) != 0)
			return stmt_fail(s, "bind_param");
		if (mysql_stmt_execute(s->st) != 0)
			return stmt_fail(s, "execute");
		s->changes = (int64_t)mysql_stmt_affected_rows(s->st);
		s->last_id = (int64_t)mysql_stmt_insert_id(s->st);
		meta = mysql_stmt_result_metadata(s->st);
		if (!meta) {
			s->state = ST_DONE;
			return DB_DONE;
		}
		if (mysql_stmt_store_result(s->st) != 0) {
			mysql_free_result(meta);
			return stmt_fail(s, "store_result");
		}
		s->state = ST_ROWS;
		rc = bind_results(s, meta);
		mysql_free_result(meta);
		if (rc != 0) {
			my_reset(s);
			return rc;
		}
	}
	rc = mysql_stmt_fetch(s->st);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		for (unsigned i = 0; i < s->ncol; i++)
			if (s->cv[i].type == COL_TEXT && !s->cv[i].is_null)
				s->cv[i].buf[s->cv[i].len < s->cv[i].cap ? s->cv[i].len : s->cv[i].cap - 1] = 0;
		return DB_ROW;
	}
	if (rc == MYSQL_NO_DATA) {
		mysql_stmt_free_result(s->st);
		s->state = ST_DONE;
		return DB_DONE;
	}
	rc = stmt_fail(s, "fetch");
	my_reset(s);
	return rc;
}

static struct mcol *col(struct db_stmt *s, int i)
{
	if (s->state != ST_ROWS || i < 0 || (unsigned)i >= s->ncol)
		return NULL;
	return &s->cv[i];
}

static int my_col_null(struct db_stmt *s, int i)
{
	struct mcol *c = col(s, i);
	return !c || c->is_null;
}

static int64_t my_col_int(struct db_stmt *s, int i)
{
	struct mcol *c = col(s, i);
	if (!c || c->is_null)
		return 0;
	if (c->type == COL_INT)
		return c->i;
	if (c->type == COL_DOUBLE)
		return (int64_t)c->d;
	return strtoll(c->buf, NULL, 10);
}

static double my_col_double(struct db_stmt *s, int i)
{
	struct mcol *c = col(s, i);
	if (!c || c->is_null)
		return 0;
	if (c->type == COL_DOUBLE)
		return c->d;
	if (c->type == COL_INT)
		return (double)c->i;
	return strtod(c->buf, NULL);
}

static const char *my_col_text(struct db_stmt *s, int i, size_t *len)
{
	struct mcol *c = col(s, i);
	const char *p = NULL;
	size_t n = 0;
	if (c && !c->is_null) {
		if (c->type == COL_TEXT) {
			p = c->buf;
			n = c->len < c->cap ? c->len : c->cap - 1;
		} else {
			if (c->type == COL_INT)
				snprintf(s->num, sizeof(s->num), "%lld", c->i);
			else
				snprintf(s->num, sizeof(s->num), "%.17g", c->d);
			p = s->num;
			n = strlen(p);
		}
	}
	if (len)
		*len = n;
	return p;
}

static int64_t my_changes(struct db_stmt *s)
{
	return s->changes;
}

static int64_t my_last_id(struct db_stmt *s)
{
	return s->last_id;
}

static const char *my_errmsg(struct db_conn *c)
{
	return c ? c->err : "no connection";
}

static int my_begin(struct db_conn *c)
{
	return my_exec(c, "START TRANSACTION");
}

static int my_commit(struct db_conn *c)
{
	return my_exec(c, "COMMIT");
}

static int my_rollback(struct db_conn *c)
{
	return my_exec(c, "ROLLBACK");
}

const struct db_ops db_mysql_ops = {
	.dialect = DB_DIALECT_MYSQL,
	.open = my_open,
	.close = my_close,
	.exec = my_exec,
	.prepare = my_prepare,
	.finalize = my_finalize,
	.bind_null = my_bind_null,
	.bind_int = my_bind_int,
	.bind_double = my_bind_double,
	.bind_text = my_bind_text,
	.step = my_step,
	.reset = my_reset,
	.col_null = my_col_null,
	.col_int = my_col_int,
	.col_double = my_col_double,
	.col_text = my_col_text,
	.changes = my_changes,
	.last_id = my_last_id,
	.errmsg = my_errmsg,
	.begin = my_begin,
	.commit = my_commit,
	.rollback = my_rollback,
};
