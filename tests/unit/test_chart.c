/* Unit tests for the chart module: every PNG is decoded with stb_image and
 * checked for structure — the line passes through the pixels its values map
 * to, gaps are unjoined and hatched, titles and legends carry text, the axis
 * unit is best_unit's, Cyrillic renders — plus the edge cases (no data, one
 * point, nulls, constants, negative/NaN/inf, 518 400 points, bad sizes),
 * thread safety and the deflate encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/chart/chart.h"
#include "server/chart/chart_raster.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_STDIO
#include <stb/stb_image.h>

#define T0 1764000000LL /* 2025-11-24 16:00 UTC */

struct img {
	unsigned char *p;
	int w, h;
};

static struct img decode(const struct chart_result *r)
{
	struct img im = {0};
	int comp = 0;
	assert_non_null(r->png);
	im.p = stbi_load_from_memory(r->png, (int)r->png_len, &im.w, &im.h, &comp, 3);
	assert_non_null(im.p);
	assert_int_equal(im.w, r->width);
	assert_int_equal(im.h, r->height);
	assert_int_equal(comp, 3);
	return im;
}

static uint32_t px(const struct img *im, int x, int y)
{
	assert_true(x >= 0 && x < im->w && y >= 0 && y < im->h);
	const unsigned char *p = im->p + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static int count_non_bg(const struct img *im, const int box[4])
{
	int n = 0;
	for (int y = box[1]; y < box[1] + box[3]; y++)
		for (int x = box[0]; x < box[0] + box[2]; x++)
			n += px(im, x, y) != 0;
	return n;
}

static int count_color(const struct img *im, const int box[4], uint32_t c)
{
	int n = 0;
	for (int y = box[1]; y < box[1] + box[3]; y++)
		for (int x = box[0]; x < box[0] + box[2]; x++)
			n += px(im, x, y) == c;
	return n;
}

/* Where a time maps to; a sample at the very end of the range maps onto the
 * right frame, and its line ends in the last column of the plot. */
static double xmap(const struct chart_result *r, double t)
{
	double x = r->plot[0] + (t - r->t_lo) / (r->t_hi - r->t_lo) * r->plot[2];
	return x < r->plot[0] + r->plot[2] - 1 ? x : r->plot[0] + r->plot[2] - 1;
}

static double ymap(const struct chart_result *r, double v)
{
	return r->plot[1] + r->plot[3] - (v - r->y_lo) / (r->y_hi - r->y_lo) * r->plot[3];
}

/* A data set with up to four columns over one time array. */
struct fx {
	size_t n;
	int64_t *ts;
	double *v[4];
	struct chart_data d;
};

static void fx_init(struct fx *f, size_t n, int64_t t0, int step)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	f->ts = calloc(n ? n : 1, sizeof(int64_t));
	for (int k = 0; k < 4; k++)
		f->v[k] = calloc(n ? n : 1, sizeof(double));
	for (size_t i = 0; i < n; i++)
		f->ts[i] = t0 + (int64_t)i * step;
	f->d.ts = f->ts;
	f->d.n = n;
}

static void fx_free(struct fx *f)
{
	free(f->ts);
	for (int k = 0; k < 4; k++)
		free(f->v[k]);
}

/* r must be initialised (zero is); a PNG it still holds is released by the
 * next render, as callers reusing one result rely on. */
static int render(const struct chart_opts *o, struct chart_req *q, struct chart_result *r)
{
	return chart_render(o, q, r);
}

/* ---- structure -------------------------------------------------------- */

static void test_line_through_values(void **state)
{
	struct fx f;
	fx_init(&f, 121, T0, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = 50 + 40 * sin((double)i / 7);
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_opts o = {.from = T0, .to = T0 + 600};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	assert_string_equal(r.unit, "%");
	assert_true(r.y_lo == 0 && r.y_hi == 100);
	assert_int_equal(r.nseries, 1);
	assert_int_equal(r.legend_box[2], 0); /* one series: no legend */
	struct img im = decode(&r);
	/* the y labels ("100" the widest) fit: the first columns stay empty */
	int edge[4] = {0, r.plot[1] - 10, 4, r.plot[3] + 20};
	assert_int_equal(count_non_bg(&im, edge), 0);
	int labels[4] = {4, r.plot[1] - 10, r.plot[0] - 14, r.plot[3] + 20};
	assert_true(count_non_bg(&im, labels) > 300);
	uint32_t c = r.color[0];
	for (size_t i = 0; i < f.n; i += 6) {
		double x = xmap(&r, (double)f.ts[i]), y = ymap(&r, f.v[0][i]);
		/* The pixel the sample maps to is fully the series' colour. */
		assert_int_equal(px(&im, (int)x, (int)y), c);
		/* ... and 40 px above or below is not on the line. */
		if (y - 40 > r.plot[1])
			assert_int_not_equal(px(&im, (int)x, (int)(y - 40)), c);
		if (y + 40 < r.plot[1] + r.plot[3])
			assert_int_not_equal(px(&im, (int)x, (int)(y + 40)), c);
	}
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

/* Many samples per column: the line goes through each column's mean and
 * a fainter envelope covers min..max. */
static void test_dense_envelope(void **state)
{
	struct fx f;
	fx_init(&f, 17280, T0, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = i % 2 ? 80 : 20;
	f.d.col[CHART_M_RAM].v = f.v[0];
	struct chart_opts o = {.from = T0, .to = T0 + 86400};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_RAM, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	struct img im = decode(&r);
	uint32_t c = r.color[0];
	for (int x = r.plot[0] + 50; x < r.plot[0] + r.plot[2] - 50; x += 97) {
		/* The mean of ~12 alternating samples is 50 +- 30/12. */
		int found = 0;
		for (int y = (int)ymap(&r, 53); y <= (int)ymap(&r, 47); y++)
			found |= px(&im, x, y) == c;
		assert_true(found);
		uint32_t e1 = px(&im, x, (int)ymap(&r, 25)), e2 = px(&im, x, (int)ymap(&r, 75));
		/* tinted like the series (teal: green and blue over red), not the line */
		assert_int_not_equal(e1, c);
		assert_true(((e1 >> 8) & 255) > ((e1 >> 16) & 255) + 10);
		assert_true(((e2 >> 8) & 255) > ((e2 >> 16) & 255) + 10);
		uint32_t out = px(&im, x, (int)ymap(&r, 90));
		assert_false(((out >> 8) & 255) > ((out >> 16) & 255) + 10);
	}
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

/* 60 % CPU every 5 s over T0..T0+600, kept where keep(t) says, rendered. */
static void render_cpu_600(struct fx *f, int (*keep)(int64_t t), struct chart_result *r)
{
	size_t m = 0;
	fx_init(f, 121, T0, 5);
	for (size_t i = 0; i < 121; i++) {
		int64_t t = T0 + 5 * (int64_t)i;
		if (!keep(t))
			continue;
		f->ts[m] = t;
		f->v[0][m++] = 60;
	}
	f->d.n = m;
	f->d.col[CHART_M_CPU].v = f->v[0];
	struct chart_opts o = {.from = T0, .to = T0 + 600};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f->d};
	assert_int_equal(render(&o, &q, r), CHART_OK);
}

static int away_200_400(int64_t t)
{
	return !(t > T0 + 200 && t < T0 + 400); /* the agent was away */
}

static int only_200_400(int64_t t)
{
	return t >= T0 + 200 && t <= T0 + 400; /* born at +200 s, silent after +400 s */
}

static void test_gap_unjoined_and_hatched(void **state)
{
	struct fx f;
	struct chart_result r = {0};
	render_cpu_600(&f, away_200_400, &r);
	struct img im = decode(&r);
	uint32_t c = r.color[0];
	int x0 = (int)xmap(&r, T0 + 200) + 6, x1 = (int)xmap(&r, T0 + 400) - 6;
	int gap[4] = {x0, r.plot[1] + 2, x1 - x0, r.plot[3] - 4};
	assert_true(x1 - x0 > 100);
	/* not joined: no line colour anywhere across the gap */
	assert_int_equal(count_color(&im, gap, c), 0);
	/* hatched: far more non-background than an empty stretch with data */
	int hatched = count_non_bg(&im, gap);
	int xa = (int)xmap(&r, T0 + 20), xb = (int)xmap(&r, T0 + 20) + (x1 - x0);
	int calm[4] = {xa, r.plot[1] + 2, xb - xa, (int)ymap(&r, 60) - 10 - r.plot[1]};
	int calm_n = count_non_bg(&im, calm) * gap[3] / calm[3];
	assert_true(hatched > gap[2] * gap[3] / 10);
	assert_true(hatched > 3 * calm_n);
	/* and the line is there on both sides */
	assert_int_equal(px(&im, (int)xmap(&r, T0 + 100), (int)ymap(&r, 60)), c);
	assert_int_equal(px(&im, (int)xmap(&r, T0 + 500), (int)ymap(&r, 60)), c);
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

/* An agent that appeared during the range: the time before its first
 * sample is plain background (it did not exist), while a host that went
 * silent before the end of the range is hatched there. */
static void test_range_ends(void **state)
{
	struct fx f;
	struct chart_result r = {0};
	render_cpu_600(&f, only_200_400, &r);
	struct img im = decode(&r);
	int a0 = (int)xmap(&r, T0) + 6, a1 = (int)xmap(&r, T0 + 200) - 6;
	int b0 = (int)xmap(&r, T0 + 400) + 6, b1 = (int)xmap(&r, T0 + 600) - 6;
	/* Between the dashed grid lines: the top third of the plot, where the
	 * line (at 60 %) is not. */
	int before[4] = {a0, r.plot[1] + 2, a1 - a0, (int)ymap(&r, 60) - 10 - r.plot[1]};
	int after[4] = {b0, r.plot[1] + 2, b1 - b0, before[3]};
	int n_before = count_non_bg(&im, before), n_after = count_non_bg(&im, after);
	assert_true(a1 - a0 > 100 && b1 - b0 > 100);
	/* the trailing silence is hatched: dense non-background */
	assert_true(n_after > after[2] * after[3] / 10);
	/* the leading stretch holds at most the dashed grid: far less */
	assert_true(n_before * 3 < n_after);
	assert_int_equal(px(&im, (int)xmap(&r, T0 + 300), (int)ymap(&r, 60)), r.color[0]);
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

/* A missing value (NULL) breaks the line but is not hatched. */
static void test_nan_breaks_line(void **state)
{
	struct fx f;
	fx_init(&f, 121, T0, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = (i >= 40 && i < 80) ? NAN : 30;
	f.d.col[CHART_M_GPU].v = f.v[0];
	struct chart_opts o = {.from = T0, .to = T0 + 600};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_GPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	struct img im = decode(&r);
	int x0 = (int)xmap(&r, T0 + 205) + 4, x1 = (int)xmap(&r, T0 + 395) - 4;
	int box[4] = {x0, r.plot[1] + 2, x1 - x0, r.plot[3] - 4};
	assert_int_equal(count_color(&im, box, r.color[0]), 0);
	assert_true(count_non_bg(&im, box) < box[2] * box[3] / 20); /* grid only, no hatching */
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

static void test_title_has_text(void **state)
{
	struct fx f;
	fx_init(&f, 60, T0, 60);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = 10;
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_opts o = {.host = "web-1"};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	assert_string_equal(r.title, "web-1: CPU %, 59 min");
	struct img im = decode(&r);
	assert_true(r.title_box[2] > 100 && r.title_box[3] > 10);
	assert_true(count_non_bg(&im, r.title_box) > 400);
	assert_true(r.title_box[1] + r.title_box[3] <= r.plot[1]);
	assert_int_equal(r.missing_glyphs, 0);
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

static void test_legend_with_two_series(void **state)
{
	struct fx f;
	fx_init(&f, 120, T0, 5);
	for (size_t i = 0; i < f.n; i++) {
		f.v[0][i] = 1e5 + 1e3 * (double)i;
		f.v[1][i] = 2e6;
	}
	f.d.col[CHART_M_NET_UP].v = f.v[0];
	f.d.col[CHART_M_NET_DOWN].v = f.v[1];
	struct chart_opts o = {0};
	struct chart_req q = {.kind = CHART_K_NET, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	assert_int_equal(r.nseries, 2);
	assert_true(r.legend_box[2] > 50);
	struct img im = decode(&r);
	assert_true(count_color(&im, r.legend_box, r.color[0]) > 20);
	assert_true(count_color(&im, r.legend_box, r.color[1]) > 20);
	assert_true(count_non_bg(&im, r.legend_box) > 400); /* the labels */
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

static void crop_eq(const struct img *a, const struct img *b, const int box[4], int *equal)
{
	*equal = 1;
	for (int y = box[1]; y < box[1] + box[3]; y++)
		for (int x = box[0]; x < box[0] + box[2]; x++)
			if (px(a, x, y) != px(b, x, y))
				*equal = 0;
}

/* The y unit is best_unit's: 100 Mbit/s peak -> "Mbit/s", drawn exactly as a
 * chart whose unit was asked for as mbit, and unlike one in kbit. */
static void test_unit_is_best_unit(void **state)
{
	struct fx f;
	fx_init(&f, 120, T0, 5);
	for (size_t i = 0; i < f.n; i++) {
		f.v[0][i] = 12.5e6 * (double)i / 119; /* up to 12.5 MB/s = 100 Mbit/s */
		f.v[1][i] = 1e6;
	}
	f.d.col[CHART_M_NET_UP].v = f.v[0];
	f.d.col[CHART_M_NET_DOWN].v = f.v[1];
	double scale;
	const char *u;
	chart_best_unit(12.5e6, &scale, &u);
	assert_string_equal(u, "Mbit/s");
	struct chart_opts o = {0};
	struct chart_req q = {.kind = CHART_K_NET, .data = &f.d};
	struct chart_result r = {0}, rm = {0}, rk = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	assert_string_equal(r.unit, "Mbit/s");
	assert_true(r.y_hi > 100 && r.y_hi < 111); /* the original's 10% headroom */
	struct chart_plot pm, pk;
	char err[160];
	assert_int_equal(chart_plot_set(&pm, "net", "mbit", 110, 600, CHART_EN, err, sizeof(err)), 0);
	assert_int_equal(chart_plot_set(&pk, "net", "kbit", 110, 600, CHART_EN, err, sizeof(err)), 0);
	struct chart_req qm = {.kind = CHART_K_CUSTOM, .plot = &pm, .data = &f.d};
	struct chart_req qk = {.kind = CHART_K_CUSTOM, .plot = &pk, .data = &f.d};
	assert_int_equal(render(&o, &qm, &rm), CHART_OK);
	assert_int_equal(render(&o, &qk, &rk), CHART_OK);
	assert_string_equal(rm.unit, "Mbit/s");
	assert_string_equal(rk.unit, "Kbit/s");
	struct img a = decode(&r), b = decode(&rm), k = decode(&rk);
	assert_memory_equal(r.unit_box, rm.unit_box, sizeof(r.unit_box));
	assert_true(count_non_bg(&a, r.unit_box) > 100);
	int eq;
	crop_eq(&a, &b, r.unit_box, &eq);
	assert_true(eq);
	crop_eq(&a, &k, r.unit_box, &eq);
	assert_false(eq);
	stbi_image_free(a.p);
	stbi_image_free(b.p);
	stbi_image_free(k.p);
	chart_result_free(&r);
	chart_result_free(&rm);
	chart_result_free(&rk);
	fx_free(&f);
}

static void test_best_unit_table(void **state)
{
	static const struct {
		double bytes;
		const char *unit;
		double scale;
	} t[] = {
		{0, "bit/s", 0.125},        {124, "bit/s", 0.125},       {125, "Kbit/s", 125},
		{124999, "Kbit/s", 125},    {125000, "Mbit/s", 125000},  {1.25e8, "Gbit/s", 1.25e8},
		{1.25e11, "Tbit/s", 1.25e11}, {1.25e14, "Pbit/s", 1.25e14}, {1.25e20, "Pbit/s", 1.25e14},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double s;
		const char *u;
		chart_best_unit(t[i].bytes, &s, &u);
		assert_string_equal(u, t[i].unit);
		assert_true(fabs(s - t[i].scale) < 1e-9 * t[i].scale);
	}
	double s;
	const char *u;
	chart_best_unit_bytes(1023, &s, &u);
	assert_string_equal(u, "B");
	chart_best_unit_bytes(16e9, &s, &u);
	assert_string_equal(u, "GiB");
	assert_true(s == 1073741824.0);
}

static void test_cyrillic_host(void **state)
{
	struct fx f;
	fx_init(&f, 60, T0, 60);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = 40;
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_opts o0 = {.lang = CHART_RU};
	struct chart_opts o1 = {.host = "сервер-Москва", .lang = CHART_RU};
	struct chart_opts o2 = {.host = "東京"};
	struct chart_result r0 = {0}, r1 = {0}, r2 = {0};
	assert_int_equal(render(&o0, &q, &r0), CHART_OK);
	assert_int_equal(render(&o1, &q, &r1), CHART_OK);
	assert_int_equal(render(&o2, &q, &r2), CHART_OK);
	assert_string_equal(r1.title, "сервер-Москва: CPU % за 59 мин");
	assert_int_equal(r1.missing_glyphs, 0);
	assert_int_equal(r2.missing_glyphs, 2); /* no CJK in DejaVu Sans: counted, drawn as boxes */
	struct img a = decode(&r0), b = decode(&r1);
	int n0 = count_non_bg(&a, r0.title_box), n1 = count_non_bg(&b, r1.title_box);
	/* the Cyrillic name adds about as much ink as its 13 letters */
	assert_true(r1.title_box[2] > r0.title_box[2] + 150);
	assert_true(n1 > n0 + 800);
	stbi_image_free(a.p);
	stbi_image_free(b.p);
	chart_result_free(&r0);
	chart_result_free(&r1);
	chart_result_free(&r2);
	fx_free(&f);
}

static void test_all_kind_drops_absent(void **state)
{
	struct fx f;
	fx_init(&f, 100, T0, 5);
	for (size_t i = 0; i < f.n; i++) {
		f.v[0][i] = 20;
		f.v[1][i] = 50;
		f.v[2][i] = NAN; /* a GPU column that is all NULL */
	}
	f.d.col[CHART_M_CPU].v = f.v[0];
	f.d.col[CHART_M_RAM].v = f.v[1];
	f.d.col[CHART_M_GPU].v = f.v[2];
	struct chart_req q = {.kind = CHART_K_ALL, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_int_equal(r.nseries, 2);
	assert_true(r.legend_box[2] > 0);
	struct img im = decode(&r);
	assert_int_equal(count_color(&im, r.legend_box, 0xbfbbd9), 0); /* no GPU swatch */
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

/* An outage still running when the test ends is listed too. */
static void test_stability_outage_at_end(void **state)
{
	(void)state;
	double rtt[100];
	for (size_t i = 0; i < 100; i++)
		rtt[i] = i >= 60 ? NAN : 5.0;
	struct chart_rtt rt = {T0 * 1000, 100, rtt, 100};
	struct chart_rtt_stats st;
	chart_rtt_stats(&rt, &st);
	assert_int_equal(st.lost, 40);
	assert_int_equal(st.outages, 1);
	assert_int_equal(st.outage[0].first, 60);
	assert_int_equal(st.outage[0].n, 40);
	/* the same from floats, -1 counting as lost too */
	float f[100];
	for (size_t i = 0; i < 100; i++)
		f[i] = i >= 60 ? (i % 2 ? NAN : -1.0f) : 5.0f;
	struct chart_rtt_stats sf;
	chart_rtt_stats_f(f, 100, 100, &sf);
	assert_int_equal(sf.sent, 100);
	assert_int_equal(sf.lost, 40);
	assert_int_equal(sf.outages, 1);
	assert_int_equal(sf.outage[0].first, 60);
	assert_int_equal(sf.outage[0].n, 40);
	assert_true(sf.avg_ms == 5.0);
}

static void test_stability_outage_hatched_red(void **state)
{
	size_t n = 6000; /* 10 min at 100 ms */
	double *rtt = malloc(n * sizeof(*rtt));
	for (size_t i = 0; i < n; i++)
		rtt[i] = 20 + (double)(i % 7);
	for (size_t i = 1000; i < 1100; i++)
		rtt[i] = NAN; /* 10 s outage */
	for (size_t i = 3000; i < 3040; i++)
		rtt[i] = NAN; /* 4 s */
	rtt[5000] = NAN;  /* one lost packet */
	struct chart_rtt rt = {T0 * 1000, 100, rtt, n};
	struct chart_rtt_stats st;
	chart_rtt_stats(&rt, &st);
	assert_int_equal(st.sent, n);
	assert_int_equal(st.lost, 141);
	assert_int_equal(st.outages, 2);
	assert_int_equal(st.outage[0].first, 1000); /* listed: first packet, packets lost */
	assert_int_equal(st.outage[0].n, 100);
	assert_int_equal(st.outage[1].first, 3000);
	assert_int_equal(st.outage[1].n, 40);
	assert_true(fabs(st.loss_pct - 141.0 * 100 / 6000) < 1e-9);
	assert_true(st.avg_ms > 20 && st.avg_ms < 26);
	struct chart_req q = {.kind = CHART_K_STABILITY, .rtt = &rt};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_string_equal(r.unit, "ms");
	struct img im = decode(&r);
	int x0 = (int)xmap(&r, T0 + 100.5), x1 = (int)xmap(&r, T0 + 109.5);
	int red = 0, tot = 0;
	for (int x = x0; x <= x1; x++)
		for (int y = r.plot[1] + 2; y < r.plot[1] + r.plot[3] - 2; y++) {
			uint32_t c = px(&im, x, y);
			tot++;
			red += ((c >> 16) & 255) > 2 * ((c >> 8) & 255) + 20;
		}
	assert_true(red > tot * 9 / 10);
	/* the single lost packet: a red mark on the bottom edge, no hatching */
	int xl = (int)xmap(&r, T0 + 500.05), yb = r.plot[1] + r.plot[3] - 2;
	uint32_t m = px(&im, xl, yb), above = px(&im, xl, r.plot[1] + r.plot[3] / 3);
	assert_true(((m >> 16) & 255) > 150 && ((m >> 8) & 255) < 100);
	assert_false(((above >> 16) & 255) > 2 * ((above >> 8) & 255) + 20);
	stbi_image_free(im.p);
	chart_result_free(&r);
	free(rtt);
}

/* ---- edge cases ------------------------------------------------------- */

static void test_no_data(void **state)
{
	struct fx f;
	fx_init(&f, 0, T0, 5);
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_ENODATA);
	assert_null(r.png);
	assert_string_equal(r.err, "No data for this period.");
	struct chart_opts ru = {.lang = CHART_RU};
	assert_int_equal(render(&ru, &q, &r), CHART_ENODATA);
	assert_string_equal(r.err, "Данных за этот период нет.");
	fx_free(&f);
	/* samples exist, but none in the asked-for range */
	fx_init(&f, 10, T0, 5);
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_opts o = {.from = T0 + 1000, .to = T0 + 2000};
	assert_int_equal(render(&o, &q, &r), CHART_ENODATA);
	assert_null(r.png);
	/* the host has no such metric at all */
	q.metric = CHART_M_GPU;
	assert_int_equal(render(NULL, &q, &r), CHART_ENODATA);
	q.data = NULL;
	assert_int_equal(render(NULL, &q, &r), CHART_ENODATA);
	struct chart_req qs = {.kind = CHART_K_STABILITY};
	assert_int_equal(render(NULL, &qs, &r), CHART_ENODATA);
	fx_free(&f);
}

static void test_all_null(void **state)
{
	struct fx f;
	fx_init(&f, 500, T0, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = NAN;
	f.d.col[CHART_M_CPU].v = f.v[0];
	f.d.col[CHART_M_NET_UP].v = f.v[0];
	f.d.col[CHART_M_NET_DOWN].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_ENODATA);
	q.kind = CHART_K_NET; /* automatic axis: found before layout */
	assert_int_equal(render(NULL, &q, &r), CHART_ENODATA);
	assert_null(r.png);
	fx_free(&f);
}

static void test_one_point(void **state)
{
	struct fx f;
	fx_init(&f, 1, T0, 5);
	f.v[0][0] = 42;
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_true(r.t_lo < (double)T0 && r.t_hi > (double)T0); /* a minute around it */
	struct img im = decode(&r);
	/* drawn as a dot where it belongs */
	assert_int_equal(px(&im, (int)xmap(&r, (double)T0), (int)ymap(&r, 42)), r.color[0]);
	stbi_image_free(im.p);
	/* the same within a 24 h range */
	struct chart_opts o = {.from = T0 - 86400 + 1000, .to = T0 + 1000};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	im = decode(&r);
	assert_int_equal(px(&im, (int)xmap(&r, (double)T0), (int)ymap(&r, 42)), r.color[0]);
	stbi_image_free(im.p);
	chart_result_free(&r);
	fx_free(&f);
}

static void test_constant(void **state)
{
	struct fx f;
	fx_init(&f, 200, T0, 5);
	for (size_t i = 0; i < f.n; i++) {
		f.v[0][i] = 1000; /* 8 Kbit/s, flat */
		f.v[1][i] = 0;
	}
	f.d.col[CHART_M_NET_UP].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_NET_UP, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_string_equal(r.unit, "Kbit/s");
	assert_true(r.y_lo == 0 && fabs(r.y_hi - 8.8) < 1e-9);
	struct img im = decode(&r);
	for (size_t i = 0; i < f.n; i += 37)
		assert_int_equal(px(&im, (int)xmap(&r, (double)f.ts[i]), (int)ymap(&r, 8)), r.color[0]);
	stbi_image_free(im.p);
	/* constant zero: the axis still has a height */
	f.d.col[CHART_M_NET_UP].v = f.v[1];
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_true(r.y_hi > r.y_lo);
	assert_string_equal(r.unit, "bit/s");
	chart_result_free(&r);
	fx_free(&f);
}

static void test_negative_nan_inf(void **state)
{
	struct fx f;
	fx_init(&f, 300, T0, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = i % 50 == 3 ? NAN : i % 50 == 9 ? INFINITY : i % 50 == 17 ? -INFINITY
		          : 5000.0 * sin((double)i / 20); /* negative half the time */
	f.d.col[CHART_M_NET_DOWN].v = f.v[0];
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_NET_DOWN, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_true(r.y_lo < 0 && r.y_hi > 0);
	assert_true(isfinite(r.y_lo) && isfinite(r.y_hi));
	assert_string_equal(r.unit, "Kbit/s");
	struct img im = decode(&r);
	size_t i = 80; /* a negative sample, far from the non-finite ones */
	double v = f.v[0][i] * 8 / 1000;
	assert_true(v < 0);
	assert_int_equal(px(&im, (int)xmap(&r, (double)f.ts[i]), (int)ymap(&r, v)), r.color[0]);
	stbi_image_free(im.p);
	/* percent axis: out-of-range values are clipped to the plot */
	q.metric = CHART_M_CPU;
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	assert_true(r.y_lo == 0 && r.y_hi == 100);
	/* huge but finite values stay drawable */
	for (size_t k = 0; k < f.n; k++)
		f.v[1][k] = k % 2 ? 1e300 : -1e300;
	f.d.col[CHART_M_NET_UP].v = f.v[1];
	q.metric = CHART_M_NET_UP;
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	chart_result_free(&r);
	fx_free(&f);
}

/* 30 days of 5 s samples: the same memory as 10 minutes. */
static void test_month_of_5s(void **state)
{
	struct fx f, g;
	fx_init(&f, 518400, T0 - 30 * 86400, 5);
	fx_init(&g, 120, T0 - 600, 5);
	for (size_t i = 0; i < f.n; i++)
		f.v[0][i] = 50 + 30 * sin((double)i / 5000) + (double)(i % 13);
	for (size_t i = 0; i < g.n; i++)
		g.v[0][i] = 50;
	f.d.col[CHART_M_CPU].v = f.v[0];
	g.d.col[CHART_M_CPU].v = g.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	struct chart_req qg = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &g.d};
	struct chart_opts o = {.from = T0 - 30 * 86400, .to = T0};
	struct chart_opts og = {.from = T0 - 600, .to = T0};
	struct chart_result r = {0}, rg = {0};
	assert_int_equal(render(&o, &q, &r), CHART_OK);
	assert_int_equal(render(&og, &qg, &rg), CHART_OK);
	assert_true(r.png_len < 300 * 1024);
	/* bounded by the canvas: apart from its PNG (counted twice: deflate
	 * output, then the file) the month holds at most the median sample
	 * buffer (32 KiB) and some glyphs more than ten minutes do */
	assert_true(r.peak_bytes - 2 * r.png_len < rg.peak_bytes - 2 * rg.png_len + 96 * 1024);
	assert_true(r.peak_bytes < (size_t)r.width * (size_t)r.height * 3 * 3);
	struct img im = decode(&r);
	int mid = r.plot[0] + r.plot[2] / 2, hits = 0;
	for (int y = r.plot[1]; y < r.plot[1] + r.plot[3]; y++)
		hits += px(&im, mid, y) == r.color[0];
	assert_true(hits > 0);
	stbi_image_free(im.p);
	chart_result_free(&r);
	chart_result_free(&rg);
	fx_free(&f);
	fx_free(&g);
}

static void test_mixed_units(void **state)
{
	struct chart_plot p;
	char err[160];
	const char *argv[] = {"cpu;net", "1h"};
	assert_int_equal(chart_plot_parse(2, argv, CHART_EN, &p, err, sizeof(err)), CHART_EUNITS);
	assert_string_equal(err, "Metric units do not match");
	/* a request built by hand with a metric outside its family */
	struct fx f;
	fx_init(&f, 10, T0, 5);
	f.d.col[CHART_M_CPU].v = f.v[0];
	f.d.col[CHART_M_NET_UP].v = f.v[0];
	assert_int_equal(chart_plot_set(&p, "cpu", NULL, NAN, 600, CHART_EN, err, sizeof(err)), 0);
	p.metric[p.nmetrics++] = CHART_M_NET_UP;
	struct chart_req q = {.kind = CHART_K_CUSTOM, .plot = &p, .data = &f.d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_EUNITS);
	assert_null(r.png);
	assert_string_equal(r.err, "Metric units do not match");
	fx_free(&f);
}

static void test_absurd_sizes(void **state)
{
	struct fx f;
	fx_init(&f, 10, T0, 5);
	f.d.col[CHART_M_CPU].v = f.v[0];
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &f.d};
	static const int sz[][2] = {{10, 10},  {-5, 800},    {1600, -1},   {319, 800},     {1600, 199},
	                            {4097, 800}, {1600, 4097}, {4096, 4096}, {100000, 100000}, {2147483647, 2}};
	struct chart_result r = {0};
	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		struct chart_opts o = {.width = sz[i][0], .height = sz[i][1]};
		assert_int_equal(render(&o, &q, &r), CHART_ESIZE);
		assert_null(r.png);
		assert_non_null(strstr(r.err, "chart size"));
	}
	/* the extremes that are allowed render, text and all */
	struct chart_opts small = {.width = CHART_MIN_W, .height = CHART_MIN_H, .host = "a-rather-long-host-name-that-will-not-fit"};
	assert_int_equal(render(&small, &q, &r), CHART_OK);
	struct img im = decode(&r);
	assert_true(r.title_box[0] >= 0 && r.title_box[0] + r.title_box[2] <= r.width);
	stbi_image_free(im.p);
	struct chart_opts big = {.width = 4096, .height = 2304};
	assert_int_equal(render(&big, &q, &r), CHART_OK);
	chart_result_free(&r);
	fx_free(&f);
}

/* ---- threads, determinism --------------------------------------------- */

struct job {
	const struct chart_req *q;
	const struct chart_opts *o;
	unsigned char *png;
	size_t len;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	for (int k = 0; k < 3; k++) {
		struct chart_result r = {0};
		chart_result_init(&r);
		if (chart_render(j->o, j->q, &r) == CHART_OK) {
			free(j->png);
			j->png = r.png;
			j->len = r.png_len;
			r.png = NULL;
		}
		chart_result_free(&r);
	}
	return NULL;
}

static void test_threads_same_bytes(void **state)
{
	struct fx f;
	fx_init(&f, 2000, T0, 30);
	for (size_t i = 0; i < f.n; i++) {
		f.v[0][i] = 50 + 40 * sin((double)i / 30);
		f.v[1][i] = 30 + (double)(i % 17);
	}
	f.d.col[CHART_M_CPU].v = f.v[0];
	f.d.col[CHART_M_RAM].v = f.v[1];
	struct chart_opts o = {.host = "сервер"};
	struct chart_req q = {.kind = CHART_K_ALL, .data = &f.d};
	struct chart_result ref = {0};
	assert_int_equal(render(&o, &q, &ref), CHART_OK);
	struct job jobs[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){&q, &o, NULL, 0};
		assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].len, ref.png_len);
		assert_memory_equal(jobs[i].png, ref.png, ref.png_len);
		free(jobs[i].png);
	}
	chart_result_free(&ref);
	fx_free(&f);
}

/* Rows of a ts/value struct read through strides, as storage returns them. */
static void test_strided_rollups(void **state)
{
	struct row {
		int64_t ts;
		double avg, min, max;
		uint32_t n;
	} rows[300];
	for (int i = 0; i < 300; i++)
		rows[i] = (struct row){T0 + 60LL * i, 50, 30, 70 + (i == 150 ? 29 : 0), 12};
	struct chart_data d = {0};
	d.col[CHART_M_CPU] = (struct chart_col){.v = &rows[0].avg, .vmin = &rows[0].min, .vmax = &rows[0].max,
	                                        .stride = sizeof(rows[0]), .ts = &rows[0].ts,
	                                        .ts_stride = sizeof(rows[0]), .n = 300};
	struct chart_req q = {.kind = CHART_K_METRIC, .metric = CHART_M_CPU, .data = &d};
	struct chart_result r = {0};
	assert_int_equal(render(NULL, &q, &r), CHART_OK);
	struct img im = decode(&r);
	int x = (int)xmap(&r, (double)rows[150].ts);
	assert_int_equal(px(&im, x, (int)ymap(&r, 50)), r.color[0]);
	/* the spike in one bucket's max shows in the envelope */
	uint32_t spike = px(&im, x, (int)ymap(&r, 95)), calm = px(&im, x + 30, (int)ymap(&r, 95));
	assert_true(((spike >> 8) & 255) > ((spike >> 16) & 255) + 10);
	assert_false(((calm >> 8) & 255) > ((calm >> 16) & 255) + 10);
	stbi_image_free(im.p);
	chart_result_free(&r);
}

/* ---- the encoder -------------------------------------------------------- */

static void test_deflate_roundtrip(void **state)
{
	uint32_t s = 7;
	for (int k = 0; k < 40; k++) {
		size_t n = k == 0 ? 0 : (size_t)(k * 7919) % 300000 + (size_t)k;
		unsigned char *b = malloc(n + 1);
		for (size_t i = 0; i < n; i++) {
			s = s * 1664525u + 1013904223u;
			switch (k % 4) {
			case 0: b[i] = (unsigned char)(s >> 24); break;                     /* noise */
			case 1: b[i] = (s >> 28) ? (i ? b[i - 1] : 0) : (unsigned char)(s >> 20); break; /* runs */
			case 2: b[i] = (unsigned char)("abcabcabd"[i % 9] ^ ((s >> 30) == 0)); break;
			default: b[i] = i > 300 && (s >> 30) ? b[i - 300 + (s >> 8) % 3] : (unsigned char)(s >> 29); break;
			}
		}
		size_t zl = 0;
		unsigned char *z = chart_png_deflate(b, n, &zl);
		assert_non_null(z);
		int ol = -1;
		char *o = stbi_zlib_decode_malloc((const char *)z, (int)zl, &ol);
		assert_non_null(o);
		assert_int_equal(ol, (int)n);
		assert_memory_equal(o, b, n);
		free(o);
		free(z);
		free(b);
	}
}

static void test_utf8_decoder(void **state)
{
	const char *s = "A\xd0\x96\xe2\x82\xac\xf0\x9f\x99\x82\xc0\xaf\xed\xa0\x80Z";
	/* an overlong "/" and a UTF-16 surrogate: one U+FFFD each */
	uint32_t want[] = {'A', 0x416, 0x20ac, 0x1f642, 0xfffd, 0xfffd, 'Z'};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(chart_utf8_next(&s), want[i]);
	assert_int_equal(*s, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_through_values),
		cmocka_unit_test(test_dense_envelope),
		cmocka_unit_test(test_gap_unjoined_and_hatched),
		cmocka_unit_test(test_range_ends),
		cmocka_unit_test(test_nan_breaks_line),
		cmocka_unit_test(test_title_has_text),
		cmocka_unit_test(test_legend_with_two_series),
		cmocka_unit_test(test_unit_is_best_unit),
		cmocka_unit_test(test_best_unit_table),
		cmocka_unit_test(test_cyrillic_host),
		cmocka_unit_test(test_all_kind_drops_absent),
		cmocka_unit_test(test_stability_outage_hatched_red),
		cmocka_unit_test(test_stability_outage_at_end),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_all_null),
		cmocka_unit_test(test_one_point),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_negative_nan_inf),
		cmocka_unit_test(test_month_of_5s),
		cmocka_unit_test(test_mixed_units),
		cmocka_unit_test(test_absurd_sizes),
		cmocka_unit_test(test_threads_same_bytes),
		cmocka_unit_test(test_strided_rollups),
		cmocka_unit_test(test_deflate_roundtrip),
		cmocka_unit_test(test_utf8_decoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
