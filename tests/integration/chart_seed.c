/* chart_seed — test helper: a SQLite database with one key and the rows of
 * a chart_gen.py CSV, written through the storage module's public API, with
 * its rollups folded, so `monbot-chart --key` can be tested end to end.
 * Usage: chart_seed DB_PATH KEY_NAME FILE.csv   (prints the new secret) */
#include "server/store/store.h"
#include "server/store/store_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: chart_seed DB_PATH KEY_NAME FILE.csv\n");
		return 2;
	}
	struct store_config cfg;
	store_config_defaults(&cfg);
	snprintf(cfg.sqlite_path, sizeof(cfg.sqlite_path), "%s", argv[1]);
	cfg.retention_days = 3650; /* the sample data is dated; keep it */
	char err[STORE_ERR_LEN], secret[STORE_SECRET_MAX + 1];
	struct store *st;
	if (store_open(&st, &cfg, err)) {
		fprintf(stderr, "chart_seed: %s\n", err);
		return 1;
	}
	if (store_key_create(st, 0, argv[2], 1700000000, secret, NULL)) {
		fprintf(stderr, "chart_seed: cannot create key %s\n", argv[2]);
		return 1;
	}
	FILE *f = fopen(argv[3], "r");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	char line[4096];
	int col[64], ncol = 0;
	size_t batch = 0, total = 0;
	static struct store_row rows[500];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *save = NULL, *tok;
		int c = 0;
		if (!ncol) { /* header: which store column each field is */
			for (tok = strtok_r(line, ",", &save); tok && ncol < 64; tok = strtok_r(NULL, ",", &save)) {
				col[ncol] = -2;
				if (!strcmp(tok, "ts"))
					col[ncol] = -1;
				for (int k = 0; k < SC__COUNT; k++)
					if (!strcmp(tok, store_col_names[k]))
						col[ncol] = k;
				ncol++;
			}
			continue;
		}
		struct store_row *r = &rows[batch];
		store_row_clear(r);
		snprintf(r->secret, sizeof(r->secret), "%s", secret);
		char *p = line;
		for (c = 0; c < ncol; c++) {
			char *e = strchr(p, ',');
			if (e)
				*e = 0;
			if (col[c] == -1)
				r->ts = strtoll(p, NULL, 10);
			else if (col[c] >= 0 && *p)
				r->v[col[c]] = strtod(p, NULL);
			if (!e)
				break;
			p = e + 1;
		}
		if (++batch == sizeof(rows) / sizeof(rows[0])) {
			total += (size_t)store_insert(st, rows, batch, NULL);
			batch = 0;
		}
	}
	if (batch)
		total += (size_t)store_insert(st, rows, batch, NULL);
	fclose(f);
	store_rollup_run(st, 4102444800LL, 1);
	store_close(st);
	fprintf(stderr, "chart_seed: %zu rows for %s\n", total, argv[2]);
	printf("%s\n", secret);
	return total ? 0 : 1;
}
