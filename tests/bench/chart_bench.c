/* chart_bench — render+encode time, PNG size and memory of every chart kind
 * at 10 min, 24 h, 7 d and 30 d, fed the way storage's AUTO resolution
 * feeds them (raw 5 s samples up to 3 h... see server/store/store.h: raw, then
 * per-minute, then per-hour rollups with min/max), plus the worst case of 30
 * days of raw 5 s samples (518 400 points) and long stability tests.
 * Prints rows of the `make bench` table.
 * Usage: chart_bench [WxH] [repeats] [name filter]; CHART_BENCH_DUMP=DIR keeps the PNGs. */
#include "server/chart/chart.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pt { /* laid out like storage's struct store_point */
	int64_t ts;
	double avg, min, max;
	uint32_t n;
};

static uint32_t lcg = 12345;
static double rnd(void)
{
	lcg = lcg * 1664525u + 1013904223u;
	return lcg / 4294967296.0;
}

enum shape { NOISY, WILD, SMOOTH, BURSTY, STEPPED };

/* n points ending at `end`, step seconds apart, shaped like a metric:
 * NOISY mean-reverting noise around a daily curve with bursts (CPU, net),
 * WILD a random walk (the worst case for PNG size), SMOOTH a slow drift (RAM),
 * BURSTY idle with one busy stretch (GPU), STEPPED two levels (VRAM).
 * Rollups (per > 1) get a min/max spread around the average. cap > 0 keeps
 * values within 0..cap (percent). */
static struct pt *gen(size_t n, int64_t end, int step, int per, enum shape sh, double base, double amp,
                      double noise, double cap)
{
	struct pt *p = malloc(n * sizeof(*p));
	double v = base;
	for (size_t i = 0; i < n; i++) {
		double ph = (double)i / (double)n, m;
		int busy = ph > 0.35 && ph < 0.55;
		switch (sh) {
		case NOISY: {
			double day = 0.5 + 0.5 * sin(ph * 6.2832 * fmax(1, (double)n * step / 86400) - 1.2);
			v += 0.15 * (base + amp * day - v) + (rnd() - 0.5) * noise;
			if (v < 0)
				v = 0;
			m = v * (rnd() < 0.01 ? 1.8 : 1);
			break;
		}
		case WILD:
			v += (rnd() - 0.5) * noise;
			if (v < 0)
				v = 0;
			if (cap > 0 && v > cap - amp)
				v = cap - amp;
			m = v + amp * (0.5 + 0.5 * sin(ph * 20)) * (rnd() < 0.02 ? 1.6 : 1);
			break;
		case SMOOTH: m = base + amp * ph + 3 * sin(ph * 9) + rnd() * noise; break;
		case BURSTY: m = busy ? base + amp + rnd() * noise : rnd() * 3; break;
		default: m = base + (busy ? amp : 0) + rnd() * noise; break;
		}
		double spread = per > 1 ? noise * (1 + rnd() * 3) : 0;
		p[i].ts = end - (int64_t)(n - 1 - i) * step;
		p[i].avg = m;
		p[i].min = m - spread * rnd();
		p[i].max = m + spread * (1 + rnd() * (rnd() < 0.01 ? 20 : 1));
		p[i].n = (uint32_t)per;
		if (cap > 0) {
			p[i].avg = fmin(fmax(p[i].avg, 0), cap);
			p[i].min = fmin(fmax(p[i].min, 0), cap);
			p[i].max = fmin(fmax(p[i].max, 0), cap);
		}
	}
	return p;
}

static void col_set(struct chart_col *c, const struct pt *p, size_t n, int rollup)
{
	memset(c, 0, sizeof(*c));
	c->v = &p[0].avg;
	if (rollup) {
		c->vmin = &p[0].min;
		c->vmax = &p[0].max;
	}
	c->stride = sizeof(*p);
	c->ts = &p[0].ts;
	c->ts_stride = sizeof(*p);
	c->n = n;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int W = 1600, H = 800, REP = 7;
static const char *only; /* run the cases whose name contains this */

static void run(const char *what, const struct chart_opts *o, const struct chart_req *q, const char *pts)
{
	double t[64];
	if (only && !strstr(what, only))
		return;
	struct chart_result r;
	chart_result_init(&r);
	int rc = 0;
	for (int i = 0; i < REP; i++) {
		double a = now_ms();
		rc = chart_render(o, q, &r);
		t[i] = now_ms() - a;
		if (rc)
			break;
	}
	if (rc) {
		printf("| chart %s | FAILED | %s |\n", what, r.err);
		chart_result_free(&r);
		return;
	}
	const char *dump = getenv("CHART_BENCH_DUMP"); /* a folder: keep the pictures */
	if (dump) {
		char fn[512];
		int k = snprintf(fn, sizeof(fn), "%s/", dump);
		for (const char *c = what; *c && k < (int)sizeof(fn) - 5; c++)
			fn[k++] = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ? *c : '_';
		snprintf(fn + k, sizeof(fn) - (size_t)k, ".png");
		FILE *f = fopen(fn, "wb");
		if (f) {
			fwrite(r.png, 1, r.png_len, f);
			fclose(f);
		}
	}
	qsort(t, (size_t)REP, sizeof(t[0]), cmp_d);
	printf("| chart %s %dx%d | %.1f ms | median of %d; PNG %.0f KB; %s; render memory %.1f MiB |\n", what, W,
	       H, t[REP / 2], REP, r.png_len / 1024.0, pts, r.peak_bytes / 1048576.0);
	chart_result_free(&r);
}

int main(int argc, char **argv)
{
	if (argc > 1 && sscanf(argv[1], "%dx%d", &W, &H) != 2) {
		fprintf(stderr, "usage: chart_bench [WxH] [repeats]\n");
		return 2;
	}
	if (argc > 2)
		REP = atoi(argv[2]) > 0 && atoi(argv[2]) <= 64 ? atoi(argv[2]) : 7;
	if (argc > 3)
		only = argv[3];
	const int64_t end = 1764000000;
	static const struct {
		const char *name;
		int64_t span;
		int step, per;
		const char *res;
	} ranges[] = {
		{"10 min", 600, 5, 1, "raw 5 s"},
		{"24 h", 86400, 60, 12, "minute rollups"},
		{"24 h raw", 86400, 5, 1, "raw 5 s"},
		{"7 d", 7 * 86400, 60, 12, "minute rollups"},
		{"30 d", 30 * 86400, 3600, 720, "hour rollups"},
		{"30 d raw", 30 * 86400, 5, 1, "raw 5 s"},
	};
	struct chart_opts o = {.width = W, .height = H, .host = "bench-host"};
	for (size_t ri = 0; ri < sizeof(ranges) / sizeof(ranges[0]); ri++) {
		size_t n = (size_t)(ranges[ri].span / ranges[ri].step);
		int roll = ranges[ri].per > 1;
		int st = ranges[ri].step, per = ranges[ri].per;
		struct pt *cpu = gen(n, end, st, per, NOISY, 20, 30, 6, 100);
		struct pt *ram = gen(n, end, st, per, SMOOTH, 40, 20, 1, 100);
		struct pt *gpu = gen(n, end, st, per, BURSTY, 0, 85, 12, 100);
		struct pt *vram = gen(n, end, st, per, STEPPED, 10, 50, 1, 100);
		struct pt *up = gen(n, end, st, per, NOISY, 2e5, 4e5, 9e4, 0);
		struct pt *down = gen(n, end, st, per, NOISY, 3e6, 8e6, 9e5, 0);
		/* The worst case for size: four independent noisy series. */
		struct pt *n1 = gen(n, end, st, per, WILD, 20, 30, 8, 100);
		struct pt *n2 = gen(n, end, st, per, WILD, 40, 30, 8, 100);
		struct pt *n3 = gen(n, end, st, per, WILD, 30, 30, 8, 100);
		struct pt *n4 = gen(n, end, st, per, WILD, 50, 30, 8, 100);
		struct chart_data d = {0};
		col_set(&d.col[CHART_M_CPU], cpu, n, roll);
		col_set(&d.col[CHART_M_RAM], ram, n, roll);
		col_set(&d.col[CHART_M_GPU], gpu, n, roll);
		col_set(&d.col[CHART_M_VRAM], vram, n, roll);
		col_set(&d.col[CHART_M_NET_UP], up, n, roll);
		col_set(&d.col[CHART_M_NET_DOWN], down, n, roll);
		o.to = end;
		o.from = end - ranges[ri].span;
		char pts[96], what[64];
		snprintf(pts, sizeof(pts), "%zu points per series (%s)", n, ranges[ri].res);
		struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &d};
		snprintf(what, sizeof(what), "cpu %s", ranges[ri].name);
		run(what, &o, &q, pts);
		q.kind = CHART_K_NET;
		snprintf(what, sizeof(what), "net %s", ranges[ri].name);
		run(what, &o, &q, pts);
		q.kind = CHART_K_ALL;
		snprintf(what, sizeof(what), "all %s", ranges[ri].name);
		run(what, &o, &q, pts);
		struct chart_data dn = d;
		col_set(&dn.col[CHART_M_CPU], n1, n, roll);
		col_set(&dn.col[CHART_M_RAM], n2, n, roll);
		col_set(&dn.col[CHART_M_GPU], n3, n, roll);
		col_set(&dn.col[CHART_M_VRAM], n4, n, roll);
		q.data = &dn;
		snprintf(what, sizeof(what), "all, 4 random walks (worst case) %s", ranges[ri].name);
		run(what, &o, &q, pts);
		q.data = &d;
		struct chart_plot pl;
		char err[160];
		chart_plot_set(&pl, "net", "mbit", NAN, ranges[ri].span, CHART_EN, err, sizeof(err));
		q.kind = CHART_K_CUSTOM;
		q.plot = &pl;
		snprintf(what, sizeof(what), "/plot net mbit %s", ranges[ri].name);
		run(what, &o, &q, pts);
		free(cpu);
		free(ram);
		free(gpu);
		free(vram);
		free(up);
		free(down);
		free(n1);
		free(n2);
		free(n3);
		free(n4);
	}
	/* Stability tests: the bot offers 5 min .. 1 d at 1 .. 500 ms. */
	static const struct {
		const char *name;
		int interval_ms;
		int64_t secs;
	} st[] = {{"15 min @ 100 ms", 100, 900}, {"1 h @ 1 ms", 1, 3600}, {"24 h @ 100 ms", 100, 86400}};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		size_t n = (size_t)(st[i].secs * 1000 / st[i].interval_ms);
		double *rtt = malloc(n * sizeof(*rtt));
		for (size_t k = 0; k < n; k++) {
			double ph = (double)k / (double)n;
			int out = (ph > 0.3 && ph < 0.31) || rnd() < 0.003;
			rtt[k] = out ? NAN : 20 + 8 * rnd() + (rnd() < 0.01 ? 60 * rnd() : 0);
		}
		struct chart_rtt rt = {(end - st[i].secs) * 1000, st[i].interval_ms, rtt, n};
		struct chart_req q = {.kind = CHART_K_STABILITY, .rtt = &rt};
		char pts[64], what[64];
		snprintf(pts, sizeof(pts), "%zu packets", n);
		snprintf(what, sizeof(what), "stability %s", st[i].name);
		run(what, &o, &q, pts);
		free(rtt);
	}
	return 0;
}
