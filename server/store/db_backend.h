/* db_backend.h — the small statement interface the store runs its SQL through
 * (core.c); db_sqlite.c and db_mysql.c implement it. Private to the storage module.
 * Parameters and columns are numbered from 0. */
#ifndef MONBOT_DB_BACKEND_H
#define MONBOT_DB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* step() results and error classes */
#define DB_DONE   0
#define DB_ROW    1
#define DB_EERR  (-1)  /* statement failed; the connection is fine */
#define DB_ELOST (-2)  /* connection lost: reconnect, prepare again, retry */
#define DB_ERETRY (-3) /* deadlock / busy: roll back and retry the transaction */

enum db_dialect { DB_DIALECT_SQLITE, DB_DIALECT_MYSQL };

struct db_conn;
struct db_stmt;

struct db_ops {
	enum db_dialect dialect;
	int (*open)(struct db_conn **out, const struct store_config *cfg, char *err, size_t errlen);
	void (*close)(struct db_conn *c);
	/* One statement without parameters or rows (DDL, BEGIN...). */
	int (*exec)(struct db_conn *c, const char *sql);
	int (*prepare)(struct db_conn *c, const char *sql, struct db_stmt **out);
	void (*finalize)(struct db_stmt *s);
	void (*bind_null)(struct db_stmt *s, int i);
	void (*bind_int)(struct db_stmt *s, int i, int64_t v);
	void (*bind_double)(struct db_stmt *s, int i, double v);
	/* p must stay valid until the first step() after binding. */
	void (*bind_text)(struct db_stmt *s, int i, const char *p, size_t n);
	/* Runs the statement on the first call after binding/reset, then
	 * returns rows one by one: DB_ROW, DB_DONE or a DB_E* code. */
	int (*step)(struct db_stmt *s);
	/* Ends the current execution (results dropped); bindings stay. */
	void (*reset)(struct db_stmt *s);
	int (*col_null)(struct db_stmt *s, int i);
	int64_t (*col_int)(struct db_stmt *s, int i);
	double (*col_double)(struct db_stmt *s, int i);
	/* NUL-terminated, valid until the next step/reset; NULL for NULL. */
	const char *(*col_text)(struct db_stmt *s, int i, size_t *len);
	int64_t (*changes)(struct db_stmt *s);  /* rows matched by the last run */
	int64_t (*last_id)(struct db_stmt *s);  /* auto-increment id of the last insert */
	const char *(*errmsg)(struct db_conn *c);
	int (*begin)(struct db_conn *c);
	int (*commit)(struct db_conn *c);
	int (*rollback)(struct db_conn *c);
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_mysql_ops;

#endif
