/* monbot-chart — renders any chart kind to a PNG file, for people (previews,
 * the README's pictures) and for tests (golden hashes), from a CSV file or,
 * where storage is linked in, from the configured database.
 * Exit: 0 written, 1 no data in the range, 2 bad usage or input, 3 I/O. */
#include "server/chart/chart.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "wire/dotenv.h"
#include <unistd.h>

#define MAX_ROWS (60u * 1000 * 1000) /* a guard against a runaway file */

static void usage(FILE *f)
{
	fputs("usage: monbot-chart (--csv FILE | --key SECRET_OR_NAME) --out FILE.png\n"
	      "         [--kind cpu|ram|gpu|vram|swap|net|net_up|net_down|ram_used|vram_used|\n"
	      "                 cpu_temp|gpu_temp|all|stability]\n"
	      "         [--plot 'cpu;ram' [--unit U] [--limit N]] [--range 24h] [--end UNIX_TS]\n"
	      "         [--size WxH] [--host NAME] [--lang en|ru] [--utc-offset SECONDS]\n"
	      "CSV: a header with a `ts` column (unix seconds) and one column per metric,\n"
	      "named as on the wire (cpu, ram, net_up, ram_used...); empty, null or nan is\n"
	      "missing. Rollup extremes may come as <metric>_min and <metric>_max.\n"
	      "Stability: columns ts (seconds, fractions allowed) and rtt (ms, empty = lost),\n"
	      "one row per packet at a regular interval.\n"
	      "--range defaults to the whole file (--key: 24h); --end to its last ts (--key: now).\n"
	      "--key reads the database monbot-server is configured for (.env, environment:\n"
	      "DB, SQLITE_PATH, MYSQL_*), by secret or key name, at storage's resolution.\n"
	      "Exit: 0 written, 1 no data in the range, 2 bad usage or input, 3 I/O error.\n",
	      f);
}

struct dcol {
	double *v;
	int present;
};

struct table {
	size_t n, cap;
	int64_t *ts;
	double *tsf; /* fractional seconds, for stability */
	struct dcol col[CHART_M_COUNT], cmin[CHART_M_COUNT], cmax[CHART_M_COUNT], rtt;
};

static int grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 4096;
	if (cap > MAX_ROWS)
		cap = MAX_ROWS;
	if (t->n >= cap)
		return -1;
#define GROW(p)                                              \
	do {                                                     \
		void *np_ = realloc((p), cap * sizeof(*(p)));        \
		if (!np_)                                            \
			return -1;                                       \
		(p) = np_;                                           \
	} while (0)
	GROW(t->ts);
	GROW(t->tsf);
	GROW(t->rtt.v);
	for (int m = 0; m < CHART_M_COUNT; m++) {
		if (t->col[m].present)
			GROW(t->col[m].v);
		if (t->cmin[m].present)
			GROW(t->cmin[m].v);
		if (t->cmax[m].present)
			GROW(t->cmax[m].v);
	}
#undef GROW
	t->cap = cap;
	return 0;
}

static void table_free(struct table *t)
{
	free(t->ts);
	free(t->tsf);
	free(t->rtt.v);
	for (int m = 0; m < CHART_M_COUNT; m++) {
		free(t->col[m].v);
		free(t->cmin[m].v);
		free(t->cmax[m].v);
	}
}

static int parse_num(const char *s, double *out)
{
	while (*s == ' ' || *s == '"')
		s++;
	if (!*s || !strcasecmp(s, "null") || !strcasecmp(s, "none") || !strcasecmp(s, "nan") ||
	    !strcmp(s, "\"\"")) {
		*out = NAN;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	while (*end == ' ' || *end == '"')
		end++;
	if (end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/* Column roles read from the header. */
enum role { R_SKIP, R_TS, R_VAL, R_MIN, R_MAX, R_RTT };

static int load_csv(const char *path, struct table *t)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "monbot-chart: %s: %s\n", path, strerror(errno));
		return 3;
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	enum role role[256];
	int metric[256], ncols = 0, have_ts = 0, rc = 0;
	size_t lineno = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (len == 0 || line[0] == '#')
			continue;
		char *save = NULL, *tok;
		if (!ncols) { /* the header */
			for (tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (ncols == 256) {
					fprintf(stderr, "monbot-chart: %s: too many columns\n", path);
					rc = 2;
					goto out;
				}
				while (*tok == ' ' || *tok == '"')
					tok++;
				char name[64];
				snprintf(name, sizeof(name), "%s", tok);
				for (char *e = name + strlen(name); e > name && (e[-1] == ' ' || e[-1] == '"');)
					*--e = 0;
				role[ncols] = R_SKIP;
				size_t nl = strlen(name);
				int m = chart_metric_from_name(name);
				if (!strcasecmp(name, "ts")) {
					role[ncols] = R_TS;
					have_ts = 1;
				} else if (!strcasecmp(name, "rtt") || !strcasecmp(name, "rtt_ms")) {
					role[ncols] = R_RTT;
				} else if (m >= 0) {
					role[ncols] = R_VAL;
					t->col[m].present = 1;
				} else if (nl > 4 && (!strcasecmp(name + nl - 4, "_min") || !strcasecmp(name + nl - 4, "_max"))) {
					int is_min = !strcasecmp(name + nl - 4, "_min");
					name[nl - 4] = 0;
					m = chart_metric_from_name(name);
					if (m >= 0) {
						role[ncols] = is_min ? R_MIN : R_MAX;
						(is_min ? t->cmin : t->cmax)[m].present = 1;
					}
				}
				metric[ncols] = m;
				ncols++;
			}
			if (!have_ts) {
				fprintf(stderr, "monbot-chart: %s: no `ts` column in the header\n", path);
				rc = 2;
				goto out;
			}
			continue;
		}
		if (t->n == t->cap && grow(t)) {
			fprintf(stderr, "monbot-chart: %s: too many rows or out of memory\n", path);
			rc = 2;
			goto out;
		}
		size_t i = t->n;
		t->ts[i] = 0;
		t->tsf[i] = NAN;
		t->rtt.v[i] = NAN;
		for (int m = 0; m < CHART_M_COUNT; m++) {
			if (t->col[m].present)
				t->col[m].v[i] = NAN;
			if (t->cmin[m].present)
				t->cmin[m].v[i] = NAN;
			if (t->cmax[m].present)
				t->cmax[m].v[i] = NAN;
		}
		/* Split by hand: strtok would merge empty fields. */
		char *p = line;
		for (int c = 0; c < ncols; c++) {
			char *e = strchr(p, ',');
			if (e)
				*e = 0;
			double v;
			if (role[c] != R_SKIP && parse_num(p, &v)) {
				fprintf(stderr, "monbot-chart: %s:%zu: not a number: %.40s\n", path, lineno, p);
				rc = 2;
				goto out;
			}
			switch (role[c]) {
			case R_TS:
				if (!isfinite(v) || fabs(v) > 1e15) {
					fprintf(stderr, "monbot-chart: %s:%zu: bad ts\n", path, lineno);
					rc = 2;
					goto out;
				}
				t->tsf[i] = v;
				t->ts[i] = (int64_t)floor(v);
				break;
			case R_VAL: t->col[metric[c]].v[i] = v; break;
			case R_MIN: t->cmin[metric[c]].v[i] = v; break;
			case R_MAX: t->cmax[metric[c]].v[i] = v; break;
			case R_RTT: t->rtt.v[i] = v; break;
			case R_SKIP: break;
			}
			if (!e)
				break;
			p = e + 1;
		}
		t->n++;
	}
	if (!ncols) {
		fprintf(stderr, "monbot-chart: %s: empty file\n", path);
		rc = 2;
	}
out:
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Reads the metrics of one key over [from, to] from the database the
 * server is configured for (.env, then the environment, SPEC §2), at the
 * resolution storage picks for the span (raw, minute or hour rollups). */
static int load_key(const char *key, int64_t from, int64_t to, const int *want, struct chart_data *d,
                    struct store_series *ser, char *nick, size_t nicklen)
{
	static const char *const names[] = {"DB",          "SQLITE_PATH",  "MYSQL_HOST",     "MYSQL_PORT",
	                                    "MYSQL_USER",  "MYSQL_PASSWORD", "MYSQL_DB",     "MYSQL_SOCKET",
	                                    "RETENTION_DAYS", "COMMAND_TTL"};
	struct dotenv env;
	char err[STORE_ERR_LEN];
	if (dotenv_load(&env, ".env", err, sizeof(err))) {
		fprintf(stderr, "monbot-chart: .env: %s\n", err);
		return 2;
	}
	struct store_config cfg;
	store_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = dotenv_get(&env, names[i]);
		if (v && store_config_set(&cfg, names[i], v, err) < 0) {
			fprintf(stderr, "monbot-chart: %s\n", err);
			return 2;
		}
	}
	/* A chart only reads: never create an empty SQLite file by accident. */
	if (cfg.kind == STORE_SQLITE && access(cfg.sqlite_path, F_OK) != 0) {
		fprintf(stderr, "monbot-chart: no database at %s (SQLITE_PATH)\n", cfg.sqlite_path);
		return 3;
	}
	struct store *st;
	if (store_open(&st, &cfg, err)) {
		fprintf(stderr, "monbot-chart: database: %s\n", err);
		return 3;
	}
	char secret[STORE_SECRET_MAX + 1];
	int rc = store_key_resolve(st, STORE_ANY_OWNER, key, secret);
	if (rc) {
		fprintf(stderr, "monbot-chart: %s: %s\n", key,
		        rc == STORE_EAMBIG ? "several keys have that name; give the secret" : store_strerror(rc));
		store_close(st);
		return 2;
	}
	struct store_key k;
	if (nick && store_key_get(st, secret, &k) == 0) {
		snprintf(nick, nicklen, "%s", k.nickname[0] ? k.nickname : secret);
		store_key_free(&k);
	}
	for (int m = 0; m < CHART_M_COUNT && rc == 0; m++) {
		if (!want[m])
			continue;
		int sm = store_metric_from_name(chart_metric_name((enum chart_metric)m));
		if (sm < 0)
			continue;
		rc = store_range(st, secret, (enum store_metric)sm, from, to, STORE_RES_AUTO, &ser[m]);
		if (rc) {
			fprintf(stderr, "monbot-chart: reading %s: %s\n", chart_metric_name((enum chart_metric)m),
			        store_strerror(rc));
			break;
		}
		if (ser[m].n) {
			const struct store_point *pt = ser[m].pts;
			d->col[m] = (struct chart_col){.v = &pt[0].avg, .vmin = &pt[0].min, .vmax = &pt[0].max,
			                               .stride = sizeof(*pt), .ts = &pt[0].ts,
			                               .ts_stride = sizeof(*pt), .n = ser[m].n};
		}
	}
	store_close(st);
	return rc ? 3 : 0;
}

static int parse_size(const char *s, int *w, int *h)
{
	char *e;
	long a = strtol(s, &e, 10);
	if (e == s || (*e != 'x' && *e != 'X'))
		return -1;
	const char *s2 = e + 1;
	long b = strtol(s2, &e, 10);
	if (e == s2 || *e || a <= 0 || b <= 0 || a > 100000 || b > 100000)
		return -1;
	*w = (int)a;
	*h = (int)b;
	return 0;
}

/* The command line, once read. */
struct cli {
	const char *csv, *key, *out, *kind, *plot, *unit, *range, *end;
	double limit;
	int have_off; /* --utc-offset given */
	int is_stab;  /* --kind stability */
	struct chart_opts o;
};

/* One option and its value into c; -1 when it was fine, else the exit code. */
static int parse_opt(struct cli *c, const char *a, const char *v)
{
	if (!strcmp(a, "--csv"))
		c->csv = v;
	else if (!strcmp(a, "--key"))
		c->key = v;
	else if (!strcmp(a, "--out") || !strcmp(a, "-o"))
		c->out = v;
	else if (!strcmp(a, "--kind"))
		c->kind = v;
	else if (!strcmp(a, "--plot"))
		c->plot = v;
	else if (!strcmp(a, "--unit"))
		c->unit = v;
	else if (!strcmp(a, "--limit")) {
		char *e;
		c->limit = strtod(v, &e);
		if (e == v || *e) {
			fprintf(stderr, "monbot-chart: --limit: not a number: %s\n", v);
			return 2;
		}
	} else if (!strcmp(a, "--range"))
		c->range = v;
	else if (!strcmp(a, "--end"))
		c->end = v;
	else if (!strcmp(a, "--size")) {
		if (parse_size(v, &c->o.width, &c->o.height)) {
			fprintf(stderr, "monbot-chart: --size: expected WxH, got %s\n", v);
			return 2;
		}
	} else if (!strcmp(a, "--host"))
		c->o.host = v;
	else if (!strcmp(a, "--lang")) {
		if (!strcmp(v, "ru"))
			c->o.lang = CHART_RU;
		else if (strcmp(v, "en")) {
			fprintf(stderr, "monbot-chart: --lang: en or ru\n");
			return 2;
		}
	} else if (!strcmp(a, "--utc-offset")) {
		char *e;
		long x = strtol(v, &e, 10);
		if (e == v || *e || x < -86400 || x > 86400) {
			fprintf(stderr, "monbot-chart: --utc-offset: seconds east of UTC\n");
			return 2;
		}
		c->o.utc_offset_s = (int32_t)x;
		c->have_off = 1;
	} else {
		fprintf(stderr, "monbot-chart: unknown option %s\n", a);
		usage(stderr);
		return 2;
	}
	return -1;
}

/* -1 to go on, else the exit code (0 after --help). */
static int parse_args(int argc, char **argv, struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = "cpu";
	c->limit = NAN;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "monbot-chart: %s needs a value (or is unknown)\n", a);
			usage(stderr);
			return 2;
		}
		i++;
		int rc = parse_opt(c, a, v);
		if (rc >= 0)
			return rc;
	}
	if (!c->out || (!c->csv == !c->key)) {
		fprintf(stderr, "monbot-chart: need --out and one of --csv or --key\n");
		usage(stderr);
		return 2;
	}
	c->is_stab = !strcmp(c->kind, "stability");
	return -1;
}

/* The chart kind (or /plot request) and the range's length; 0 or 2. */
static int build_req(const struct cli *c, struct chart_req *q, struct chart_plot *pl, int64_t *span)
{
	char err[160];
	if (c->plot) {
		q->kind = CHART_K_CUSTOM;
		if (chart_plot_set(pl, c->plot, c->unit, c->limit, 0, c->o.lang, err, sizeof(err))) {
			fprintf(stderr, "monbot-chart: %s\n", err);
			return 2;
		}
		q->plot = pl;
	} else if (c->unit || !isnan(c->limit)) {
		fprintf(stderr, "monbot-chart: --unit and --limit go with --plot\n");
		return 2;
	} else if (!strcmp(c->kind, "net")) {
		q->kind = CHART_K_NET;
	} else if (!strcmp(c->kind, "all")) {
		q->kind = CHART_K_ALL;
	} else if (c->is_stab) {
		q->kind = CHART_K_STABILITY;
	} else {
		int m = chart_metric_from_name(c->kind);
		if (m < 0) {
			fprintf(stderr, "monbot-chart: unknown --kind %s\n", c->kind);
			return 2;
		}
		q->kind = CHART_K_METRIC;
		q->metric = (enum chart_metric)m;
	}
	*span = 0;
	if (c->range && (*span = chart_parse_span(c->range)) < 0) {
		fprintf(stderr, "monbot-chart: --range: expected tokens like 10m, 24h, 7d, 1d12h\n");
		return 2;
	}
	return 0;
}

/* The zone's offset at t, unless --utc-offset gave one. */
static void local_offset(struct cli *c, int64_t t)
{
	if (c->have_off)
		return;
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm))
		c->o.utc_offset_s = (int32_t)tm.tm_gmtoff;
}

/* --key: the metrics the kind draws over --range (default 24 h) to --end
 * (default now), from the database. Exit code. */
static int from_key(struct cli *c, struct chart_req *q, const struct chart_plot *pl, int64_t span,
                    struct chart_data *d, struct store_series *ser, char *nick, size_t nick_len)
{
	if (c->is_stab) {
		fprintf(stderr, "monbot-chart: stability results are not stored; use --csv\n");
		return 2;
	}
	int want[CHART_M_COUNT] = {0};
	if (q->kind == CHART_K_METRIC)
		want[q->metric] = 1;
	else if (q->kind == CHART_K_NET)
		want[CHART_M_NET_UP] = want[CHART_M_NET_DOWN] = 1;
	else if (q->kind == CHART_K_ALL)
		want[CHART_M_CPU] = want[CHART_M_RAM] = want[CHART_M_GPU] = want[CHART_M_VRAM] = 1;
	else
		for (int k = 0; k < pl->nmetrics; k++)
			want[pl->metric[k]] = 1;
	int64_t to = c->end ? strtoll(c->end, NULL, 10) : (int64_t)time(NULL);
	c->o.to = to;
	c->o.from = to - (span > 0 ? span : 86400);
	int rc = load_key(c->key, c->o.from, c->o.to, want, d, ser, nick, nick_len);
	if (rc)
		return rc;
	if (!c->o.host)
		c->o.host = nick;
	local_offset(c, to);
	if (q->kind != CHART_K_STABILITY)
		q->data = d;
	return 0;
}

/* --csv: the file's rows; the range ends at --end or the last ts. Exit code. */
static int from_csv(struct cli *c, struct chart_req *q, int64_t span, struct table *t,
                    struct chart_data *d, struct chart_rtt *rt)
{
	int rc = load_csv(c->csv, t);
	if (rc)
		return rc;
	int64_t last = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->ts[i] > last || i == 0)
			last = t->ts[i];
	if (c->end) {
		char *e;
		long long x = strtoll(c->end, &e, 10);
		if (e == c->end || *e) {
			fprintf(stderr, "monbot-chart: --end: unix seconds\n");
			return 2;
		}
		last = x;
	}
	local_offset(c, last); /* local time at the end of the range */
	if (c->is_stab) {
		if (!t->rtt.v || t->n == 0) {
			fprintf(stderr, "monbot-chart: stability needs ts and rtt columns\n");
			return t->n == 0 ? 1 : 2;
		}
		rt->start_ms = (int64_t)llround(t->tsf[0] * 1000);
		rt->interval_ms = t->n > 1 ? (int32_t)llround((t->tsf[t->n - 1] - t->tsf[0]) * 1000 / (double)(t->n - 1))
		                           : 1000;
		if (rt->interval_ms <= 0) {
			fprintf(stderr, "monbot-chart: stability rows must be at a regular, rising interval\n");
			return 2;
		}
		rt->rtt_ms = t->rtt.v;
		rt->n = t->n;
		q->rtt = rt;
		return 0;
	}
	d->ts = t->ts;
	d->n = t->n;
	for (int m = 0; m < CHART_M_COUNT; m++) {
		d->col[m].v = t->col[m].present ? t->col[m].v : NULL;
		d->col[m].vmin = t->cmin[m].present ? t->cmin[m].v : NULL;
		d->col[m].vmax = t->cmax[m].present ? t->cmax[m].v : NULL;
	}
	q->data = d;
	if (span > 0 || c->end) {
		c->o.to = last;
		c->o.from = last - (span > 0 ? span : last - (t->n ? t->ts[0] : last));
		if (c->o.from >= c->o.to)
			c->o.from = c->o.to - 60;
	}
	return 0;
}

/* Renders and writes the PNG; the exit code. */
static int render_to_file(const struct chart_opts *o, const struct chart_req *q, const char *out)
{
	int rc = 0;
	struct chart_result r;
	chart_result_init(&r);
	int crc = chart_render(o, q, &r);
	if (crc == CHART_ENODATA) {
		fprintf(stderr, "monbot-chart: no data: %s\n", r.err);
		rc = 1;
	} else if (crc != CHART_OK) {
		fprintf(stderr, "monbot-chart: %s\n", r.err);
		rc = crc == CHART_ENOMEM || crc == CHART_EPNG ? 3 : 2;
	} else {
		FILE *f = fopen(out, "wb");
		if (!f || fwrite(r.png, 1, r.png_len, f) != r.png_len || fclose(f) != 0) {
			fprintf(stderr, "monbot-chart: %s: %s\n", out, strerror(errno));
			rc = 3;
		} else {
			printf("%s: %dx%d, %zu bytes, %d series, y in %s\n", out, r.width, r.height, r.png_len,
			       r.nseries, r.unit);
		}
	}
	chart_result_free(&r);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c;
	int rc = parse_args(argc, argv, &c);
	if (rc >= 0)
		return rc;
	struct chart_req q = {0};
	struct chart_plot pl;
	int64_t span;
	rc = build_req(&c, &q, &pl, &span);
	if (rc)
		return rc;

	struct table t = {0};
	struct chart_data d = {0};
	struct chart_rtt rt = {0};
	struct store_series ser[CHART_M_COUNT];
	memset(ser, 0, sizeof(ser));
	char nick[STORE_NAME_MAX + 1] = "";
	if (c.key)
		rc = from_key(&c, &q, &pl, span, &d, ser, nick, sizeof(nick));
	else
		rc = from_csv(&c, &q, span, &t, &d, &rt);
	if (!rc)
		rc = render_to_file(&c.o, &q, c.out);
	table_free(&t);
	for (int m = 0; m < CHART_M_COUNT; m++)
		store_series_free(&ser[m]);
	return rc;
}
