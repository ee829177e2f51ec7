/* store_keycli — `monbot-server key ...` without the rest of the server, for
 * tests/integration/store_keycli.sh: the storage settings come from the
 * environment (DB, SQLITE_PATH, MYSQL_*) and argv goes to keycli_main.
 * `store_keycli --sql "<statement>"` runs one statement on the same database
 * and prints the first column of the first row (the script's checks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/db_backend.h"
#include "server/store/keycli.h"
#include "server/store/store.h"

static int raw_sql(const struct store_config *cfg, const char *sql)
{
	const struct db_ops *ops = cfg->kind == STORE_MYSQL ? &db_mysql_ops : &db_sqlite_ops;
	struct db_conn *c;
	struct db_stmt *s;
	char err[STORE_ERR_LEN];
	int rc;
	if (ops->open(&c, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "store_keycli: %s\n", err);
		return 1;
	}
	if (ops->prepare(c, sql, &s) != 0) {
		fprintf(stderr, "store_keycli: %s: %s\n", sql, ops->errmsg(c));
		ops->close(c);
		return 1;
	}
	rc = ops->step(s);
	if (rc == DB_ROW) {
		const char *v = ops->col_text(s, 0, NULL);
		printf("%s\n", v ? v : "NULL");
	}
	ops->finalize(s);
	ops->close(c);
	return rc < 0;
}

int main(int argc, char **argv)
{
	static const char *const vars[] = {"DB", "SQLITE_PATH", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER",
	                                   "MYSQL_PASSWORD", "MYSQL_DB", "MYSQL_SOCKET", "RETENTION_DAYS"};
	struct store_config cfg;
	char err[STORE_ERR_LEN];
	store_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) && store_config_set(&cfg, vars[i], getenv(vars[i]), err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	if (argc == 3 && !strcmp(argv[1], "--sql"))
		return raw_sql(&cfg, argv[2]);
	return keycli_main(argc - 1, argv + 1, &cfg);
}
