/* store_keycli — `monbot-server key ...` without the rest of the server, for
 * tests/integration/store_keycli.sh: the storage settings come from the
 * environment (DB, SQLITE_PATH, MYSQL_*) and argv goes to keycli_main. */
#include <stdio.h>
#include <stdlib.h>

#include "server/keycli.h"
#include "server/store.h"

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
	return keycli_main(argc - 1, argv + 1, &cfg);
}
