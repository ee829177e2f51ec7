/* store_bench — storage throughput on the configured back-end (DB=...),
 * printed as rows of the bench table: samples/s through store_insert in
 * 1000-row transactions, samples/s through the async layer (queue, batches,
 * rollups folding behind), the cost of folding a minute of samples, and the
 * submit-to-commit latency at 5000 samples/s over STORE_BENCH_SECONDS (65). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "server/store/store_async.h"

#define AGENTS 1000
#define ROUNDS 60

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char disks[] = "[{\"mount\":\"/\",\"percent\":41.5,\"used\":41234567890,\"total\":99345678901},"
                            "{\"mount\":\"/data\",\"percent\":77.1,\"used\":771234567890,\"total\":1000345678901}]";
static const char procs[] = "[{\"name\":\"postgres (12)\",\"cpu\":12.5,\"ram\":1234567890},"
                            "{\"name\":\"nginx (4)\",\"cpu\":3.1,\"ram\":123456789},"
                            "{\"name\":\"node\",\"cpu\":1.1,\"ram\":456789012}]";

static void fill(struct store_row *r, const char *secret, int64_t ts, int i)
{
	store_row_clear(r);
	snprintf(r->secret, sizeof(r->secret), "%s", secret);
	r->ts = ts;
	for (int c = 0; c < SC__COUNT; c++)
		r->v[c] = (double)((i * 7 + c * 13) % 100) + 0.5;
	r->v[SC_GPU] = r->v[SC_VRAM] = r->v[SC_VRAM_USED] = r->v[SC_VRAM_TOTAL] = r->v[SC_GPU_TEMP] = __builtin_nan("");
	r->disks = disks;
	r->top_procs = procs;
}

static int flushed, flush_rc;

static void on_flush(void *arg, int rc)
{
	(void)arg;
	flushed = 1;
	flush_rc = rc;
}

/* ---- latency at a steady rate: every key one sample a second ---- */

#define LAT_KEYS 5000

struct lat {
	double *sub;      /* submit time of the key's latest sample */
	int64_t *ts;      /* its ts */
	double *v;        /* measured latencies */
	size_t n, cap;
};

static void on_lat(void *ctx, const struct store_ev *evs, size_t n)
{
	struct lat *l = ctx;
	double t = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)evs[i].tag;
		if (evs[i].kind != STORE_EV_STORED || k >= LAT_KEYS || evs[i].ts != l->ts[k] || l->n == l->cap)
			continue;
		if (t == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			t = ts.tv_sec + ts.tv_nsec / 1e9;
		}
		l->v[l->n++] = t - l->sub[k];
	}
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Keys for the latency run, made in one transaction through the import. */
static int make_keys(const struct store_config *cfg, char (*keys)[STORE_SECRET_MAX + 1])
{
	struct store *st;
	char err[STORE_ERR_LEN];
	size_t cap = LAT_KEYS * 64 + 64, off = 0;
	char *json = malloc(cap);
	int rc;
	off += (size_t)snprintf(json + off, cap - off, "{\"secrets\": {");
	for (int i = 0; i < LAT_KEYS; i++) {
		snprintf(keys[i], STORE_SECRET_MAX + 1, "LatencyBench%08d", i);
		off += (size_t)snprintf(json + off, cap - off, "%s\"%s\": {\"owners\": [1]}", i ? "," : "", keys[i]);
	}
	off += (size_t)snprintf(json + off, cap - off, "}}");
	if (store_open(&st, cfg, err) != 0) {
		free(json);
		return -1;
	}
	rc = store_import_json(st, json, off, (int64_t)time(NULL));
	store_close(st);
	free(json);
	return rc;
}

static int latency_run(const struct store_config *cfg, const char *be, int seconds)
{
	char (*keys)[STORE_SECRET_MAX + 1] = calloc(LAT_KEYS, sizeof(*keys));
	struct lat l = {0};
	struct store_async *a;
	struct store_row r;
	char err[STORE_ERR_LEN];
	double start, next_second;
	int64_t sec;
	size_t k = 0, refused = 0;
	if (make_keys(cfg, keys) != LAT_KEYS)
		return -1;
	l.sub = calloc(LAT_KEYS, sizeof(*l.sub));
	l.ts = calloc(LAT_KEYS, sizeof(*l.ts));
	l.cap = (size_t)LAT_KEYS * (size_t)(seconds + 1);
	l.v = malloc(l.cap * sizeof(*l.v));
	if (store_async_start(&a, cfg, 0, err) != 0)
		return -1;
	start = now_s();
	next_second = start;
	sec = (int64_t)time(NULL);
	while (now_s() - start < seconds) {
		double t = now_s();
		/* key k is due at next_second + k / LAT_KEYS */
		while (k < LAT_KEYS && t >= next_second + (double)k / LAT_KEYS) {
			fill(&r, keys[k], sec, (int)k);
			l.sub[k] = now_s();
			l.ts[k] = sec;
			if (store_async_sample(a, k, &r) != 0)
				refused++;
			k++;
		}
		if (k == LAT_KEYS) {
			k = 0;
			next_second += 1.0;
			sec++;
		}
		struct pollfd p = {store_async_fd(a), POLLIN, 0};
		if (poll(&p, 1, 1) > 0)
			store_async_dispatch(a, on_lat, &l);
	}
	flushed = 0;
	store_async_flush(a, on_flush, NULL);
	while (!flushed) {
		struct pollfd p = {store_async_fd(a), POLLIN, 0};
		if (poll(&p, 1, 100) > 0)
			store_async_dispatch(a, on_lat, &l);
	}
	store_async_stop(a);
	store_async_free(a);
	qsort(l.v, l.n, sizeof(*l.v), dbl_cmp);
	if (l.n)
		printf("| store %s: submit to commit at %d samples/s (%d keys, 1/s each) | p50 %.0f ms, p99 %.0f ms, "
		       "max %.0f ms | %d s crossing minute boundaries (rollups folding), %zu measured, %zu refused |\n",
		       be, LAT_KEYS, LAT_KEYS, l.v[l.n / 2] * 1e3, l.v[l.n * 99 / 100] * 1e3, l.v[l.n - 1] * 1e3, seconds,
		       l.n, refused);
	free(l.sub);
	free(l.ts);
	free(l.v);
	free(keys);
	return l.n ? 0 : -1;
}


int main(void)
{
	static const char *const vars[] = {"DB", "SQLITE_PATH", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER",
	                                   "MYSQL_PASSWORD", "MYSQL_DB", "MYSQL_SOCKET"};
	struct store_config cfg;
	struct store *st;
	struct store_async *a;
	struct store_row *rows;
	char (*keys)[STORE_SECRET_MAX + 1];
	char err[STORE_ERR_LEN];
	const char *be;
	int64_t base = ((int64_t)time(NULL) / 3600 - 6) * 3600;
	double t, sync_rate, async_rate, fold_s;
	int folded;

	store_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) && store_config_set(&cfg, vars[i], getenv(vars[i]), err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	be = cfg.kind == STORE_MYSQL ? "mysql" : "sqlite";
	if (store_open(&st, &cfg, err) != 0) {
		fprintf(stderr, "store_bench: %s\n", err);
		return 1;
	}
	keys = calloc(AGENTS, sizeof(*keys));
	rows = calloc(AGENTS, sizeof(*rows));
	for (int i = 0; i < AGENTS; i++)
		if (store_key_create(st, 1, NULL, 1, keys[i], NULL) != 0)
			return 1;

	/* 1: store_insert, one transaction per 1000 samples (one per agent) */
	t = now_s();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < AGENTS; i++)
			fill(&rows[i], keys[i], base + r, i + r);
		if (store_insert(st, rows, AGENTS, NULL) != AGENTS)
			return 1;
	}
	sync_rate = AGENTS * ROUNDS / (now_s() - t);

	/* 2: fold those minutes: one bucket of 60 samples per agent */
	t = now_s();
	folded = store_rollup_run(st, base + 3600, 1);
	fold_s = now_s() - t;
	store_close(st);

	/* 3: the async layer, as the server feeds it */
	if (store_async_start(&a, &cfg, 0, err) != 0) {
		fprintf(stderr, "store_bench: %s\n", err);
		return 1;
	}
	t = now_s();
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < AGENTS; i++) {
			fill(&rows[0], keys[i], base + 3600 + r, i + r);
			while (store_async_sample(a, (uint64_t)i, &rows[0]) == STORE_EFULL) {
				struct pollfd p = {store_async_fd(a), POLLIN, 0};
				poll(&p, 1, 1);
				store_async_dispatch(a, NULL, NULL);
			}
		}
	store_async_flush(a, on_flush, NULL);
	while (!flushed) {
		struct pollfd p = {store_async_fd(a), POLLIN, 0};
		if (poll(&p, 1, 100) > 0)
			store_async_dispatch(a, NULL, NULL);
	}
	async_rate = AGENTS * ROUNDS / (now_s() - t);
	store_async_stop(a);
	store_async_free(a);
	if (flush_rc != 0 || folded != AGENTS)
		return 1;

	printf("| store %s: samples/s, store_insert (1000-row transactions) | %.0f | %d samples, %d keys, "
	       "disks+top_procs JSON, journal + last_seen included |\n",
	       be, sync_rate, AGENTS * ROUNDS, AGENTS);
	printf("| store %s: samples/s, async layer (queue to commit) | %.0f | same load through the database "
	       "thread, rollups folding behind |\n",
	       be, async_rate);
	printf("| store %s: rollup fold per minute bucket | %.0f us | %d buckets of 60 samples (minute + hour "
	       "recomputed): %.1f us per sample |\n",
	       be, fold_s * 1e6 / folded, folded, fold_s * 1e6 / folded / 60);
	free(keys);
	free(rows);
	{
		const char *sv = getenv("STORE_BENCH_SECONDS");
		int secs = sv ? atoi(sv) : 65;
		if (secs > 0 && latency_run(&cfg, be, secs) != 0)
			return 1;
	}
	return 0;
}
