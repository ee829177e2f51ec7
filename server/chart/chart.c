/* chart.c — the chart kinds of SPEC §8 and their layout: axes with round
 * ticks, time labels fitted to the range, legend, title, gaps hatched, and
 * the per-pixel-column reduction that keeps a render's cost and memory tied
 * to the canvas. Dark theme after the original's matplotlib
 * "dark_background" style and its colour cycle. */
#include "server/chart/chart.h"
#include "server/chart/chart_raster.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BG        0x000000u
#define FG        0xffffffu
#define DIM       0xb0b0b0u
#define GAP_HATCH 0xffffffu
#define OUTAGE    0xff3b30u
static const uint32_t palette[CHART_MAX_SERIES] = {0x8dd3c7, 0xfeffb3, 0xbfbbd9, 0xfa8174,
                                                   0x81b1d2, 0xfdb462, 0xb3de69, 0xbc82bd};

/* Losses shorter than this are marked along the bottom edge, not hatched. */
#define OUTAGE_MIN_MS 1000
/* The stability report counts outages of 3 s or more (SPEC §7). */
#define OUTAGE_REPORT_MS 3000

struct metric_info {
	const char *label[2]; /* one-metric title and legend (en, ru) */
	const char *shortl;   /* /plot title and legend */
	enum chart_family fam;
	double to_base;       /* native value -> family base unit (B, bit/s) */
};

static const struct metric_info minfo[CHART_M_COUNT] = {
	[CHART_M_CPU] = {{"CPU %", "CPU %"}, "CPU", CHART_F_PERCENT, 1},
	[CHART_M_RAM] = {{"RAM %", "RAM %"}, "RAM", CHART_F_PERCENT, 1},
	[CHART_M_GPU] = {{"GPU %", "GPU %"}, "GPU", CHART_F_PERCENT, 1},
	[CHART_M_VRAM] = {{"VRAM %", "VRAM %"}, "VRAM", CHART_F_PERCENT, 1},
	[CHART_M_SWAP] = {{"Swap %", "Swap %"}, "Swap", CHART_F_PERCENT, 1},
	[CHART_M_NET_UP] = {{"Net Up", "Net Up"}, "Up", CHART_F_BITS, 8},
	[CHART_M_NET_DOWN] = {{"Net Down", "Net Down"}, "Down", CHART_F_BITS, 8},
	[CHART_M_RAM_USED] = {{"RAM used", "RAM занято"}, "RAM", CHART_F_BYTES, 1},
	[CHART_M_VRAM_USED] = {{"VRAM used", "VRAM занято"}, "VRAM", CHART_F_BYTES, 1048576.0},
	[CHART_M_CPU_TEMP] = {{"CPU temp", "Темп. CPU"}, "CPU temp", CHART_F_TEMP, 1},
	[CHART_M_GPU_TEMP] = {{"GPU temp", "Темп. GPU"}, "GPU temp", CHART_F_TEMP, 1},
};

/* Per pixel column of one series. */
struct col {
	uint32_t n;
	uint8_t brk;    /* not joined to the previous non-empty column */
	uint8_t linked; /* joined on either side (else drawn as a dot) */
	uint8_t gap;    /* inside a gap of this series' samples */
	double sum, mn, mx, xs;
};

struct series {
	const int64_t *ts; /* NULL: the plan's regular grid */
	size_t ts_stride, n;
	double thr;        /* gap threshold, seconds; INFINITY = none */
	const double *v, *vmin, *vmax;
	size_t stride;
	double to_base; /* native -> base unit */
	double mul;     /* base unit -> axis unit */
	uint32_t color;
	char label[48];
	size_t finite;
	double mn, mx;  /* base units */
	struct col *col;
	size_t i0, i1;  /* samples inside the x range */
};

enum ymode { Y_PERCENT, Y_LIMIT, Y_AUTO };

struct plan {
	int ns;
	struct series s[CHART_MAX_SERIES];
	/* time: each series' array of unix seconds, or a regular grid */
	int grid;
	double g_t0, g_step; /* seconds */
	enum ymode ymode;
	double limit;
	enum chart_family fam;
	double unit_scale; /* 0 = choose from the data */
	char unit[16];
	char what[96];     /* "CPU %", "Net", "CPU/RAM" */
	int stability;
	int32_t interval_ms;
	struct chart_rtt_stats st; /* gathered while reducing */
};

struct layout {
	double s, fs_title, fs, lw, pad, tick;
	int px, py, pw, ph;
};

struct render {
	const struct chart_opts *o;
	struct plan *p;
	struct chart_result *r;
	struct chart_mem mem;
	struct chart_canvas cv;
	struct chart_font font;
	struct layout L;
	double t_lo, t_hi, y_lo, y_hi;
	uint8_t *hatch;        /* per plot column: 1 gap, 2 outage, 4 loss mark */
	int lang;
};

static int set_err(struct chart_result *r, int rc, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s", msg);
	return rc;
}

void chart_result_init(struct chart_result *r)
{
	memset(r, 0, sizeof(*r));
}

void chart_result_free(struct chart_result *r)
{
	free(r->png);
	r->png = NULL;
	r->png_len = 0;
}

/* ---- time ------------------------------------------------------------- */

/* Days since 1970-01-01 -> civil date (H. Hinnant's algorithm). */
static void civil(int64_t days, int *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static const char *const mon[2][12] = {
	{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	{"янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"},
};

enum tfmt { T_HMS, T_HM, T_DATE, T_DATE_HM, T_DATE_HMS };

static void fmt_time(char *b, size_t n, double t, int32_t off, enum tfmt f, int lang)
{
	int64_t lt = (int64_t)floor(t) + off;
	int64_t day = floor_div(lt, 86400), sod = lt - day * 86400;
	int y, m, d;
	civil(day, &y, &m, &d);
	int hh = (int)(sod / 3600), mm = (int)(sod / 60 % 60), ss = (int)(sod % 60);
	const char *mn = mon[lang][m - 1];
	switch (f) {
	case T_HMS: snprintf(b, n, "%02d:%02d:%02d", hh, mm, ss); break;
	case T_HM: snprintf(b, n, "%02d:%02d", hh, mm); break;
	case T_DATE: snprintf(b, n, "%d %s", d, mn); break;
	case T_DATE_HM: snprintf(b, n, "%d %s %02d:%02d", d, mn, hh, mm); break;
	case T_DATE_HMS: snprintf(b, n, "%d %s %02d:%02d:%02d", d, mn, hh, mm, ss); break;
	}
}

/* "10 min", "24 h", "7 d", "1 h 30 min" (ru: "10 мин", "24 ч", "7 д"). */
static void fmt_span(char *b, size_t n, double secs, int lang)
{
	static const char *const u[2][4] = {{"d", "h", "min", "s"}, {"д", "ч", "мин", "с"}};
	int64_t s = (int64_t)(secs + 0.5);
	int64_t parts[4] = {s / 86400, s / 3600 % 24, s / 60 % 60, s % 60};
	int first;
	if (s >= 2 * 86400) {
		first = 0;
	} else if (s >= 3600) {
		first = 1;
		parts[1] = s / 3600;
	} else if (s >= 60) {
		first = 2;
		parts[2] = s / 60;
	} else {
		first = 3;
	}
	size_t len = 0;
	b[0] = 0;
	for (int i = first; i < 4 && i <= first + 1; i++) {
		if (i > first && parts[i] == 0)
			continue;
		int w = snprintf(b + len, n - len, "%s%lld %s", len ? " " : "", (long long)parts[i], u[lang][i]);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

/* ---- numbers ---------------------------------------------------------- */

static double nice_step(double raw)
{
	if (!(raw > 0) || !isfinite(raw))
		return 1;
	double mag = pow(10, floor(log10(raw)));
	static const double m[] = {1, 2, 2.5, 5, 10};
	for (int i = 0; i < 5; i++)
		if (m[i] * mag >= raw * (1 - 1e-9))
			return m[i] * mag;
	return 10 * mag;
}

static int decimals_for(double step)
{
	for (int d = 0; d < 8; d++) {
		double v = step * pow(10, d);
		if (fabs(v - floor(v + 0.5)) < 1e-6 * fmax(1, v))
			return d;
	}
	return 8;
}

static void fmt_num(char *b, size_t n, double v, int dec)
{
	if (fabs(v) >= 1e7) {
		snprintf(b, n, "%.3g", v);
		return;
	}
	snprintf(b, n, "%.*f", dec, v);
	if (!strncmp(b, "-0", 2) && strspn(b + 2, ".0") == strlen(b + 2))
		memmove(b, b + 1, strlen(b)); /* no "-0" */
}

/* ---- plans for each kind ---------------------------------------------- */

static int add_series(struct plan *p, const struct chart_data *d, enum chart_metric m,
                      const char *label, uint32_t color)
{
	const struct chart_col *c = &d->col[m];
	const int64_t *ts = c->ts ? c->ts : d->ts;
	size_t n = c->ts ? c->n : d->n;
	if (!c->v || !ts || !n)
		return 0;
	struct series *s = &p->s[p->ns++];
	s->ts = ts;
	s->ts_stride = c->ts ? c->ts_stride : d->ts_stride;
	if (!s->ts_stride)
		s->ts_stride = sizeof(int64_t);
	s->n = n;
	s->v = d->col[m].v;
	s->vmin = d->col[m].vmin;
	s->vmax = d->col[m].vmax;
	s->stride = d->col[m].stride ? d->col[m].stride : sizeof(double);
	s->to_base = minfo[m].to_base;
	s->color = color;
	snprintf(s->label, sizeof(s->label), "%s", label);
	return 1;
}

static int plan_build(struct plan *p, const struct chart_req *q, int lang, struct chart_result *r)
{
	memset(p, 0, sizeof(*p));
	p->limit = NAN;
	static const char *const t_all[2] = {"All metrics", "Все метрики"};
	static const char *const t_net[2] = {"Net", "Net"};
	static const char *const t_stab[2] = {"Stability", "Стабильность"};
	static const char *const l_rtt[2] = {"RTT", "Пинг"};
	static const char *const l_up[2] = {"Up", "Up"}, *const l_down[2] = {"Down", "Down"};
	if (q->kind == CHART_K_STABILITY) {
		const struct chart_rtt *t = q->rtt;
		if (!t || !t->rtt_ms || t->n == 0 || t->interval_ms <= 0)
			return CHART_ENODATA;
		p->grid = 1;
		p->g_t0 = (double)t->start_ms / 1000.0;
		p->g_step = t->interval_ms / 1000.0;
		struct series *s = &p->s[p->ns++];
		s->n = t->n;
		s->v = t->rtt_ms;
		s->stride = sizeof(double);
		s->to_base = 1;
		s->color = palette[0];
		snprintf(s->label, sizeof(s->label), "%s", l_rtt[lang]);
		p->ymode = Y_AUTO;
		p->fam = CHART_F_MS;
		p->unit_scale = 1;
		snprintf(p->unit, sizeof(p->unit), lang ? "мс" : "ms");
		snprintf(p->what, sizeof(p->what), "%s", t_stab[lang]);
		p->stability = 1;
		p->interval_ms = t->interval_ms;
		return CHART_OK;
	}
	const struct chart_data *d = q->data;
	if (!d)
		return CHART_ENODATA;
	switch (q->kind) {
	case CHART_K_METRIC: {
		if ((unsigned)q->metric >= CHART_M_COUNT)
			return set_err(r, CHART_EINVAL, "unknown metric");
		const struct metric_info *mi = &minfo[q->metric];
		add_series(p, d, q->metric, mi->label[lang], palette[0]);
		p->fam = mi->fam;
		p->ymode = mi->fam == CHART_F_PERCENT ? Y_PERCENT : Y_AUTO;
		p->unit_scale = mi->fam == CHART_F_PERCENT || mi->fam == CHART_F_TEMP ? 1 : 0;
		snprintf(p->what, sizeof(p->what), "%s", mi->label[lang]);
		break;
	}
	case CHART_K_NET:
		add_series(p, d, CHART_M_NET_UP, l_up[lang], palette[0]);
		add_series(p, d, CHART_M_NET_DOWN, l_down[lang], palette[1]);
		p->fam = CHART_F_BITS;
		p->ymode = Y_AUTO;
		snprintf(p->what, sizeof(p->what), "%s", t_net[lang]);
		break;
	case CHART_K_ALL: {
		static const enum chart_metric all[4] = {CHART_M_CPU, CHART_M_RAM, CHART_M_GPU, CHART_M_VRAM};
		for (int i = 0; i < 4; i++)
			add_series(p, d, all[i], minfo[all[i]].label[lang], palette[i]);
		p->fam = CHART_F_PERCENT;
		p->ymode = Y_PERCENT;
		p->unit_scale = 1;
		snprintf(p->what, sizeof(p->what), "%s", t_all[lang]);
		break;
	}
	case CHART_K_CUSTOM: {
		const struct chart_plot *pl = q->plot;
		if (!pl || pl->nmetrics <= 0 || pl->nmetrics > CHART_MAX_SERIES)
			return set_err(r, CHART_EINVAL, "empty /plot request");
		size_t len = 0;
		for (int i = 0; i < pl->nmetrics; i++) {
			enum chart_metric m = pl->metric[i];
			if ((unsigned)m >= CHART_M_COUNT)
				return set_err(r, CHART_EINVAL, "unknown metric");
			if (minfo[m].fam != pl->family)
				return set_err(r, CHART_EUNITS, lang ? "Единицы метрик не совпадают" : "Metric units do not match");
			add_series(p, d, m, minfo[m].shortl, palette[i]);
			int w = snprintf(p->what + len, sizeof(p->what) - len, "%s%s", i ? "/" : "", minfo[m].shortl);
			if (w > 0 && (size_t)w < sizeof(p->what) - len)
				len += (size_t)w;
		}
		p->fam = pl->family;
		p->unit_scale = pl->unit_scale;
		if (pl->unit_scale > 0)
			snprintf(p->unit, sizeof(p->unit), "%s", pl->unit_label);
		if (isfinite(pl->limit) && pl->limit > 0) {
			p->ymode = Y_LIMIT;
			p->limit = pl->limit;
		} else {
			p->ymode = pl->family == CHART_F_PERCENT ? Y_PERCENT : Y_AUTO;
		}
		break;
	}
	default:
		return set_err(r, CHART_EINVAL, "unknown chart kind");
	}
	if (p->fam == CHART_F_PERCENT)
		snprintf(p->unit, sizeof(p->unit), "%%");
	else if (p->fam == CHART_F_TEMP)
		snprintf(p->unit, sizeof(p->unit), "\xc2\xb0" "C");
	return CHART_OK;
}

/* Stability figures, accumulated one packet at a time (the chart gathers
 * them in its single pass; chart_rtt_stats runs the same over a whole test). */
struct rtt_acc {
	double sum, jsum, prev;
	size_t sent, got, jn, run, lost, outages;
	int32_t interval_ms;
};

static void rtt_begin(struct rtt_acc *a, int32_t interval_ms)
{
	memset(a, 0, sizeof(*a));
	a->prev = NAN;
	a->interval_ms = interval_ms;
}

static inline void rtt_add(struct rtt_acc *a, double v)
{
	a->sent++;
	if (!isfinite(v)) {
		a->lost++;
		a->run++;
		return;
	}
	if (a->run && (double)a->run * a->interval_ms >= OUTAGE_REPORT_MS)
		a->outages++;
	a->run = 0;
	a->sum += v;
	a->got++;
	if (isfinite(a->prev)) {
		a->jsum += fabs(v - a->prev);
		a->jn++;
	}
	a->prev = v;
}

static void rtt_end(struct rtt_acc *a, struct chart_rtt_stats *st)
{
	if (a->run && (double)a->run * a->interval_ms >= OUTAGE_REPORT_MS)
		a->outages++;
	a->run = 0;
	st->sent = a->sent;
	st->lost = a->lost;
	st->outages = a->outages;
	st->loss_pct = a->sent ? 100.0 * (double)a->lost / (double)a->sent : 0;
	st->avg_ms = a->got ? a->sum / (double)a->got : 0;
	st->jitter_ms = a->jn ? a->jsum / (double)a->jn : 0;
}

void chart_rtt_stats(const struct chart_rtt *t, struct chart_rtt_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!t || !t->rtt_ms)
		return;
	struct rtt_acc a;
	rtt_begin(&a, t->interval_ms);
	for (size_t i = 0; i < t->n; i++)
		rtt_add(&a, t->rtt_ms[i]);
	rtt_end(&a, st);
}

/* ---- data passes ------------------------------------------------------ */

/* The gap rule needs the median interval; it is taken from at most this
 * many evenly spread intervals (all of them up to that), which is exact for
 * regular data and keeps the cost and memory independent of the samples. */
#define MED_SAMPLES 4096

static int64_t ts_i(const struct series *s, size_t i)
{
	return *(const int64_t *)(const void *)((const char *)s->ts + i * s->ts_stride);
}

/* [i0, i1): the samples of s inside [t_lo, t_hi]; timestamps ascend, so two
 * binary searches. */
static void series_bounds(const struct render *R, struct series *s)
{
	const struct plan *p = R->p;
	if (!s->ts) {
		double a = ceil((R->t_lo - p->g_t0) / p->g_step - 1e-9), b = floor((R->t_hi - p->g_t0) / p->g_step + 1e-9);
		s->i0 = a < 0 ? 0 : a > (double)s->n ? s->n : (size_t)a;
		s->i1 = b < 0 ? 0 : b + 1 > (double)s->n ? s->n : (size_t)b + 1;
		if (s->i1 < s->i0)
			s->i1 = s->i0;
		return;
	}
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if ((double)ts_i(s, m) < R->t_lo)
			lo = m + 1;
		else
			hi = m;
	}
	s->i0 = lo;
	hi = s->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if ((double)ts_i(s, m) <= R->t_hi)
			lo = m + 1;
		else
			hi = m;
	}
	s->i1 = lo;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int gap_threshold(struct render *R, struct series *s)
{
	s->thr = INFINITY;
	if (!s->ts || s->i1 - s->i0 < 2)
		return 0;
	size_t nint = s->i1 - s->i0 - 1, m = nint < MED_SAMPLES ? nint : MED_SAMPLES;
	int64_t *dt = chart_mem_alloc(&R->mem, m * sizeof(*dt)), dmax = 0;
	if (!dt)
		return -1;
	for (size_t k = 0; k < m; k++) {
		size_t j = s->i0 + (size_t)((double)k * (double)nint / (double)m);
		dt[k] = ts_i(s, j + 1) - ts_i(s, j);
		if (dt[k] > dmax)
			dmax = dt[k];
	}
	qsort(dt, m, sizeof(*dt), cmp_i64);
	double med = ((double)dt[(m - 1) / 2] + (double)dt[m / 2]) / 2;
	chart_mem_free(&R->mem, dt, m * sizeof(*dt));
	if (med <= 0)
		med = (double)dmax; /* the original: all duplicates -> the largest interval */
	if (med > 0)
		s->thr = 2 * med;
	return 0;
}

static double t2x(const struct render *R, double t)
{
	return (t - R->t_lo) / (R->t_hi - R->t_lo) * R->L.pw;
}

static void col_range(const struct render *R, double xa, double xb, int *a, int *b)
{
	*a = (int)floor(xa + 0.5);
	*b = (int)floor(xb + 0.5);
	if (*a < 0)
		*a = 0;
	if (*b > R->L.pw)
		*b = R->L.pw;
}

static void mark(struct render *R, double xa, double xb, uint8_t bit)
{
	int a, b;
	col_range(R, xa, xb, &a, &b);
	for (int c = a; c < b; c++)
		R->hatch[c] |= bit;
}

static void mark_gap(struct render *R, struct series *s, double xa, double xb)
{
	int a, b;
	col_range(R, xa, xb, &a, &b);
	for (int c = a; c < b; c++)
		s->col[c].gap = 1;
}

/* Pass 2, per series: every sample into its pixel column; gaps, and the
 * losses of a stability test, marked. */
static void reduce_series(struct render *R, struct series *s)
{
	struct plan *p = R->p;
	const char *tp = (const char *)s->ts, *vp = (const char *)s->v + s->i0 * s->stride;
	const char *ap = (const char *)s->vmin, *bp = (const char *)s->vmax;
	const double xs = R->L.pw / (R->t_hi - R->t_lo), t_lo = R->t_lo, t_hi = R->t_hi, thr = s->thr;
	const int last_col = R->L.pw - 1, stab = p->stability;
	double prev = NAN, loss_t0 = 0, smn = INFINITY, smx = -INFINITY;
	size_t loss_run = 0, fin = 0;
	int pending = 0, last_c = -1;
	struct rtt_acc acc;
	rtt_begin(&acc, p->interval_ms);
	s->finite = 0;
	if (s->i1 <= s->i0)
		return;
	for (size_t i = s->i0; i < s->i1; i++, vp += s->stride) {
		double t = tp ? (double)*(const int64_t *)(const void *)(tp + i * s->ts_stride)
		              : p->g_t0 + (double)i * p->g_step;
		double x = (t - t_lo) * xs;
		int c = x < last_col ? (int)x : last_col;
		if (t - prev > thr) { /* false while prev is NaN */
			mark_gap(R, s, (prev - t_lo) * xs, x);
			pending = 1;
		}
		prev = t;
		double v = *(const double *)(const void *)vp;
		if (stab) {
			rtt_add(&acc, v);
			if (!isfinite(v)) {
				if (!loss_run++)
					loss_t0 = t;
				R->hatch[c] |= 4;
			} else if (loss_run) {
				if ((double)loss_run * p->interval_ms >= OUTAGE_MIN_MS)
					mark(R, (loss_t0 - t_lo) * xs, x, 2);
				loss_run = 0;
			}
		}
		if (!isfinite(v)) {
			pending = 1;
			continue;
		}
		double mn = v, mx = v;
		if (ap) {
			double a = *(const double *)(const void *)(ap + i * s->stride);
			if (a < mn && isfinite(a))
				mn = a;
		}
		if (bp) {
			double a = *(const double *)(const void *)(bp + i * s->stride);
			if (a > mx && isfinite(a))
				mx = a;
		}
		if (mn < smn)
			smn = mn;
		if (mx > smx)
			smx = mx;
		fin++;
		struct col *cl = &s->col[c];
		if (cl->n == 0) {
			if (pending && c != last_c)
				cl->brk = 1;
			cl->mn = mn;
			cl->mx = mx;
		} else {
			if (mn < cl->mn)
				cl->mn = mn;
			if (mx > cl->mx)
				cl->mx = mx;
		}
		pending = 0;
		last_c = c;
		cl->n++;
		cl->sum += v;
		cl->xs += x;
	}
	s->finite = fin;
	s->mn = smn * s->to_base;
	s->mx = smx * s->to_base;
	double last = tp ? (double)ts_i(s, s->i1 - 1) : p->g_t0 + (double)(s->i1 - 1) * p->g_step;
	if (stab) {
		rtt_end(&acc, &p->st);
		if (loss_run && (double)loss_run * p->interval_ms >= OUTAGE_MIN_MS)
			mark(R, (loss_t0 - t_lo) * xs, (last + p->g_step - t_lo) * xs, 2);
	}
	/* Silence for longer than a gap at the end of an asked-for range is a
	 * host that stopped reporting: hatched. Before the first sample is left
	 * plain: for a new agent it is only time before it existed. */
	if (tp && isfinite(thr) && R->o->to > R->o->from && t_hi - last > thr)
		mark_gap(R, s, (last - t_lo) * xs, R->L.pw);
}

/* A column is hatched as a gap when every series drawn has a gap there. */
static void reduce(struct render *R)
{
	struct plan *p = R->p;
	int drawn = 0;
	for (int k = 0; k < p->ns; k++) {
		reduce_series(R, &p->s[k]);
		drawn += p->s[k].finite > 0;
	}
	for (int c = 0; c < R->L.pw && drawn; c++) {
		int all = 1;
		for (int k = 0; k < p->ns && all; k++)
			if (p->s[k].finite && !p->s[k].col[c].gap)
				all = 0;
		if (all)
			R->hatch[c] |= 1;
	}
}

/* ---- drawing ---------------------------------------------------------- */

static double y2px(const struct render *R, double v)
{
	double y = R->L.py + R->L.ph - (v - R->y_lo) / (R->y_hi - R->y_lo) * R->L.ph;
	/* Far off-plot values only need to stay finite; segments are clipped. */
	if (y < -1e7)
		y = -1e7;
	if (y > 1e7)
		y = 1e7;
	return y;
}

static void draw_hatches(struct render *R)
{
	const struct layout *L = &R->L;
	for (int bit = 1; bit <= 2; bit <<= 1) {
		for (int c = 0; c < L->pw;) {
			if (!(R->hatch[c] & bit)) {
				c++;
				continue;
			}
			int e = c;
			while (e < L->pw && (R->hatch[e] & bit))
				e++;
			if (bit == 1) {
				chart_cv_hatch(&R->cv, L->px + c, L->py, L->px + e, L->py + L->ph, 14 * L->s,
				               fmax(1.2, 1.6 * L->s), GAP_HATCH, 0.35);
			} else {
				chart_cv_rect(&R->cv, L->px + c, L->py, L->px + e, L->py + L->ph, OUTAGE, 0.22);
				chart_cv_hatch(&R->cv, L->px + c, L->py, L->px + e, L->py + L->ph, 14 * L->s,
				               fmax(1.2, 1.6 * L->s), OUTAGE, 0.7);
			}
			c = e;
		}
	}
	/* Short losses: a red mark along the bottom edge. */
	double hgt = fmax(3, 8 * L->s);
	for (int c = 0; c < L->pw; c++)
		if ((R->hatch[c] & 4) && !(R->hatch[c] & 2))
			chart_cv_rect(&R->cv, L->px + c, L->py + L->ph - hgt, L->px + c + 1, L->py + L->ph, OUTAGE, 0.9);
}

static void draw_series(struct render *R, struct chart_mask *mk)
{
	struct plan *p = R->p;
	const struct layout *L = &R->L;
	/* Envelopes (min..max per column) under every line, on whole pixels
	 * (crisp, and far smaller in the PNG), fainter when series overlap. */
	int drawn = 0;
	for (int k = 0; k < p->ns; k++)
		drawn += p->s[k].finite > 0;
	double ea = drawn <= 1 ? 0.33 : drawn == 2 ? 0.22 : 0.15;
	for (int k = 0; k < p->ns; k++) {
		struct series *s = &p->s[k];
		if (!s->finite)
			continue;
		for (int c = 0; c < L->pw; c++) {
			struct col *cl = &s->col[c];
			if (!cl->n)
				continue;
			double ya = y2px(R, cl->mx * s->to_base * s->mul), yb = y2px(R, cl->mn * s->to_base * s->mul);
			if (yb - ya > L->lw * 0.5) {
				double top = floor(fmax(ya, L->py) + 0.5), bot = floor(fmin(yb, L->py + L->ph) + 0.5);
				chart_cv_rect(&R->cv, L->px + c, top, L->px + c + 1, bot, s->color, ea);
			}
		}
	}
	/* Lines through each column's mean, at the mean time of its samples. */
	for (int k = 0; k < p->ns; k++) {
		struct series *s = &p->s[k];
		if (!s->finite)
			continue;
		double f = s->to_base * s->mul, r = L->lw / 2;
		int prev = -1;
		double px = 0, py = 0;
		for (int c = 0; c < L->pw; c++) {
			struct col *cl = &s->col[c];
			if (!cl->n)
				continue;
			double x = L->px + cl->xs / cl->n, y = y2px(R, cl->sum / cl->n * f);
			if (prev >= 0 && !cl->brk) {
				chart_mask_segment(mk, px, py, x, y, r);
				s->col[prev].linked = 1;
				cl->linked = 1;
			}
			prev = c;
			px = x;
			py = y;
		}
		for (int c = 0; c < L->pw; c++) {
			struct col *cl = &s->col[c];
			if (cl->n && !cl->linked)
				chart_mask_dot(mk, L->px + cl->xs / cl->n, y2px(R, cl->sum / cl->n * f), fmax(r * 1.6, 2));
		}
		chart_mask_paint(mk, &R->cv, s->color, 1.0);
	}
}

static const double tsteps[] = {1,     2,     5,     10,    15,     30,     60,     120,    300,
                                600,   900,   1800,  3600,  7200,   10800,  21600,  43200,  86400,
                                172800, 345600, 604800, 1209600, 2592000};

static void draw_axes(struct render *R, double ystep, int ydec)
{
	const struct layout *L = &R->L;
	struct chart_canvas *cv = &R->cv;
	struct chart_font *f = &R->font;
	double asc, desc;
	chart_font_vmetrics(f, L->fs, &asc, &desc);
	double gw = fmax(1, L->s * 1.1), dash = 7 * L->s, gap = 5 * L->s;
	/* y: grid, ticks, labels */
	char b[64];
	for (double v = ceil(R->y_lo / ystep - 1e-9) * ystep; v <= R->y_hi + ystep * 1e-9; v += ystep) {
		double y = floor(y2px(R, v)) + 0.5;
		if (y < L->py - 0.5 || y > L->py + L->ph + 0.5)
			continue;
		chart_cv_dashed(cv, L->px, y, L->px + L->pw, y, gw, dash, gap, FG, 0.28);
		chart_cv_line(cv, L->px - L->tick, y, L->px, y, gw * 1.3, FG, 1);
		fmt_num(b, sizeof(b), fabs(v) < ystep * 1e-9 ? 0 : v, ydec);
		double w = chart_text_width(f, b, L->fs);
		chart_text_draw(cv, f, b, L->px - L->tick - L->pad * 0.5 - w, y + (asc - desc) / 2, L->fs, FG);
	}
	/* x: the smallest round step whose labels do not crowd */
	double range = R->t_hi - R->t_lo;
	int multi_day = range > 26 * 3600;
	double lw_hm = chart_text_width(f, "00:00", L->fs), lw_hms = chart_text_width(f, "00:00:00", L->fs);
	double lw_date = chart_text_width(f, R->lang ? "30 ноя" : "30 May", L->fs);
	double step = tsteps[sizeof(tsteps) / sizeof(tsteps[0]) - 1];
	for (size_t i = 0; i < sizeof(tsteps) / sizeof(tsteps[0]); i++) {
		double st = tsteps[i];
		double lw = st < 60 ? lw_hms : st >= 86400 ? lw_date : multi_day ? fmax(lw_hm, lw_date) : lw_hm;
		if (range / st * (lw + 1.6 * L->fs) <= L->pw) {
			step = st;
			break;
		}
	}
	int32_t off = R->o->utc_offset_s;
	/* Align to local time; week steps to Mondays (1970-01-05 was one). */
	double anchor = step >= 604800 ? 4 * 86400.0 : 0;
	double t0 = ceil((R->t_lo + off - anchor) / step - 1e-9) * step + anchor - off;
	double base = L->py + L->ph + L->tick + L->pad * 0.4 + asc;
	for (double t = t0; t <= R->t_hi + 1e-6; t += step) {
		double x = floor(L->px + t2x(R, t)) + 0.5;
		if (x < L->px - 0.5 || x > L->px + L->pw + 0.5)
			continue;
		chart_cv_dashed(cv, x, L->py, x, L->py + L->ph, gw, dash, gap, FG, 0.28);
		chart_cv_line(cv, x, L->py + L->ph, x, L->py + L->ph + L->tick, gw * 1.3, FG, 1);
		int64_t lt = (int64_t)floor(t + 0.5) + off;
		enum tfmt tf = step < 60 ? T_HMS : step >= 86400 ? T_DATE
		             : (multi_day && floor_div(lt, 86400) * 86400 == lt) ? T_DATE : T_HM;
		fmt_time(b, sizeof(b), t + 0.5, off, tf, R->lang);
		double w = chart_text_width(f, b, L->fs), lx = x - w / 2;
		if (lx + w > R->cv.w - 2)
			lx = R->cv.w - 2 - w;
		chart_text_draw(cv, f, b, lx, base, L->fs, tf == T_DATE ? FG : DIM);
	}
	/* frame */
	double fw = fmax(1, 1.4 * L->s);
	chart_cv_line(cv, L->px, L->py, L->px + L->pw, L->py, fw, FG, 1);
	chart_cv_line(cv, L->px, L->py + L->ph, L->px + L->pw, L->py + L->ph, fw, FG, 1);
	chart_cv_line(cv, L->px, L->py, L->px, L->py + L->ph, fw, FG, 1);
	chart_cv_line(cv, L->px + L->pw, L->py, L->px + L->pw, L->py + L->ph, fw, FG, 1);
}

static void box_set(int *b, double x, double y, double w, double h)
{
	b[0] = (int)floor(x);
	b[1] = (int)floor(y);
	b[2] = (int)ceil(x + w) - b[0];
	b[3] = (int)ceil(y + h) - b[1];
}

/* Title; below it one row: unit (left), legend, time span or test summary
 * (right). The legend moves into the plot when the row is too narrow. */
static void draw_header(struct render *R, double row_base)
{
	struct plan *p = R->p;
	const struct layout *L = &R->L;
	struct chart_canvas *cv = &R->cv;
	struct chart_font *f = &R->font;
	struct chart_result *r = R->r;
	double ta, td, a, d;
	chart_font_vmetrics(f, L->fs_title, &ta, &td);
	chart_font_vmetrics(f, L->fs, &a, &d);

	double tw = chart_text_width(f, r->title, L->fs_title);
	double tx = (cv->w - tw) / 2;
	chart_text_draw(cv, f, r->title, tx, L->pad + ta, L->fs_title, FG);
	box_set(r->title_box, tx, L->pad, tw, ta + td);

	double ux = L->pad;
	double uw = chart_text_width(f, p->unit, L->fs);
	chart_text_draw(cv, f, p->unit, ux, row_base, L->fs, FG);
	box_set(r->unit_box, ux, row_base - a, uw, a + d);

	char right[128];
	if (p->stability) {
		char avg[24], jit[24];
		fmt_num(avg, sizeof(avg), p->st.avg_ms, p->st.avg_ms < 10 ? 2 : 1);
		fmt_num(jit, sizeof(jit), p->st.jitter_ms, p->st.jitter_ms < 10 ? 2 : 1);
		snprintf(right, sizeof(right),
		         R->lang ? "потери %.1f%% \xc2\xb7 пинг %s мс \xc2\xb7 джиттер %s мс"
		                 : "loss %.1f%% \xc2\xb7 avg %s ms \xc2\xb7 jitter %s ms",
		         p->st.loss_pct, avg, jit);
	} else {
		char a1[40], b1[40];
		enum tfmt tf = R->t_hi - R->t_lo < 3600 ? T_DATE_HMS : T_DATE_HM;
		fmt_time(a1, sizeof(a1), R->t_lo, R->o->utc_offset_s, tf, R->lang);
		fmt_time(b1, sizeof(b1), R->t_hi, R->o->utc_offset_s, tf, R->lang);
		snprintf(right, sizeof(right), "%s \xe2\x80\x93 %s", a1, b1);
	}
	double rw = chart_text_width(f, right, L->fs);

	/* Legend entries: a line swatch and the label. */
	double sw = 30 * L->s, sg = 8 * L->s, eg = 26 * L->s, lw_total = 0;
	int drawn = 0;
	for (int k = 0; k < p->ns; k++) {
		if (!p->s[k].finite)
			continue;
		lw_total += (drawn ? eg : 0) + sw + sg + chart_text_width(f, p->s[k].label, L->fs);
		drawn++;
	}
	int legend = drawn >= 2;
	double left = ux + uw + eg, right_x = cv->w - L->pad - rw;
	int show_right = 1;
	int inside = 0;
	if (legend && lw_total > right_x - eg - left) {
		show_right = 0;
		right_x = cv->w - L->pad;
		if (lw_total > right_x - left)
			inside = 1;
	}
	if (show_right || !legend)
		chart_text_draw(cv, f, right, cv->w - L->pad - rw, row_base, L->fs, DIM);
	if (!legend)
		return;
	if (!inside) {
		double x = left + fmax(0, ((show_right ? right_x - eg : right_x) - left - lw_total) / 2);
		box_set(r->legend_box, x, row_base - a, lw_total, a + d);
		for (int k = 0; k < p->ns; k++) {
			struct series *s = &p->s[k];
			if (!s->finite)
				continue;
			double cy = row_base - (a - d) / 2;
			chart_cv_line(cv, x, cy, x + sw, cy, fmax(2, L->lw), s->color, 1);
			x = chart_text_draw(cv, f, s->label, x + sw + sg, row_base, L->fs, FG) + eg;
		}
		return;
	}
	/* Inside the plot, upper left, one entry per row on a dark box. */
	double rowh = (a + d) * 1.25, maxw = 0;
	for (int k = 0; k < p->ns; k++)
		if (p->s[k].finite)
			maxw = fmax(maxw, chart_text_width(f, p->s[k].label, L->fs));
	double bx = L->px + L->pad, by = L->py + L->pad, bw = sw + sg + maxw + 2 * L->pad,
	       bh = rowh * drawn + L->pad;
	chart_cv_rect(cv, bx, by, bx + bw, by + bh, BG, 0.75);
	box_set(r->legend_box, bx, by, bw, bh);
	double yb = by + L->pad / 2 + a;
	for (int k = 0; k < p->ns; k++) {
		struct series *s = &p->s[k];
		if (!s->finite)
			continue;
		double cy = yb - (a - d) / 2;
		chart_cv_line(cv, bx + L->pad, cy, bx + L->pad + sw, cy, fmax(2, L->lw), s->color, 1);
		chart_text_draw(cv, f, s->label, bx + L->pad + sw + sg, yb, L->fs, FG);
		yb += rowh;
	}
}

/* ---- the y axis ------------------------------------------------------ */

/* Round ticks, about one per 3.3 label heights. */
static double y_ticks(struct render *R, int *dec)
{
	double a, d;
	chart_font_vmetrics(&R->font, R->L.fs, &a, &d);
	double want = fmin(10, fmax(3, R->L.ph / ((a + d) * 3.3)));
	double step = nice_step((R->y_hi - R->y_lo) / want);
	*dec = decimals_for(step);
	return step;
}

static double ylabel_width(struct render *R)
{
	int dec;
	double step = y_ticks(R, &dec), w = 0;
	char b[64];
	for (double v = ceil(R->y_lo / step - 1e-9) * step; v <= R->y_hi + step * 1e-9; v += step) {
		fmt_num(b, sizeof(b), fabs(v) < step * 1e-9 ? 0 : v, dec);
		w = fmax(w, chart_text_width(&R->font, b, R->L.fs));
		if (w > R->cv.w / 3.0 || w > 4096)
			break;
	}
	return w;
}

/* Once the data is reduced: the unit (best_unit for bit/s, binary prefixes
 * for bytes, unless one was asked for), the y range of an automatic axis
 * (0 or the minimum, to the maximum plus the original's 10%), the ticks. */
static void y_axis(struct render *R, double *step, int *dec)
{
	struct plan *p = R->p;
	struct chart_result *r = R->r;
	double mn = INFINITY, mx = -INFINITY;
	for (int k = 0; k < p->ns; k++) {
		if (!p->s[k].finite)
			continue;
		mn = fmin(mn, p->s[k].mn);
		mx = fmax(mx, p->s[k].mx);
	}
	double us = p->unit_scale;
	if (!(us > 0)) {
		const char *u = "";
		double big = fmax(fabs(mn), fabs(mx));
		if (p->fam == CHART_F_BITS) {
			chart_best_unit(big / 8, &us, &u); /* takes bytes/s; the base unit here is bit/s */
			us *= 8;
		} else {
			chart_best_unit_bytes(big, &us, &u);
		}
		snprintf(p->unit, sizeof(p->unit), "%s", u);
	}
	for (int k = 0; k < p->ns; k++)
		p->s[k].mul = 1 / us;
	snprintf(r->unit, sizeof(r->unit), "%s", p->unit);
	if (p->ymode == Y_AUTO) {
		double a = mn / us, b = mx / us;
		R->y_lo = a < 0 ? a * 1.1 : 0;
		R->y_hi = b > 0 ? b * 1.1 : 0;
		if (!(R->y_hi - R->y_lo > fmax(fabs(R->y_hi), 1) * 1e-9)) /* flat at zero */
			R->y_hi = R->y_lo + 1;
		if (!isfinite(R->y_lo) || !isfinite(R->y_hi) || R->y_hi - R->y_lo > 1e300) {
			R->y_lo = -1e300;
			R->y_hi = 1e300;
		}
	}
	r->t_lo = R->t_lo;
	r->t_hi = R->t_hi;
	r->y_lo = R->y_lo;
	r->y_hi = R->y_hi;
	*step = y_ticks(R, dec);
}

/* ---- the render ------------------------------------------------------- */

static int finish(struct render *R, int rc)
{
	chart_font_free(&R->font);
	R->r->peak_bytes = R->mem.peak;
	return rc;
}

int chart_render(const struct chart_opts *o, const struct chart_req *q, struct chart_result *r)
{
	static const char *const e_nodata[2] = {"No data for this period.", "Данных за этот период нет."};
	struct chart_opts defo = {0};
	if (!o)
		o = &defo;
	int lang = o->lang == CHART_RU;
	chart_result_free(r);
	chart_result_init(r);
	int W = o->width ? o->width : CHART_DEFAULT_W, H = o->height ? o->height : CHART_DEFAULT_H;
	if (W < CHART_MIN_W || H < CHART_MIN_H || W > CHART_MAX_W || H > CHART_MAX_H ||
	    (long)W * H > CHART_MAX_PIXELS) {
		snprintf(r->err, sizeof(r->err), "chart size %dx%d is outside %dx%d..%dx%d (at most %ld pixels)",
		         W, H, CHART_MIN_W, CHART_MIN_H, CHART_MAX_W, CHART_MAX_H, (long)CHART_MAX_PIXELS);
		return CHART_ESIZE;
	}
	if (!q)
		return set_err(r, CHART_EINVAL, "no request");
	struct plan plan;
	struct render Rs, *R = &Rs;
	memset(R, 0, sizeof(*R));
	R->o = o;
	R->p = &plan;
	R->r = r;
	R->lang = lang;
	r->width = W;
	r->height = H;
	int rc = plan_build(&plan, q, lang, r);
	if (rc == CHART_ENODATA)
		return set_err(r, rc, e_nodata[lang]);
	if (rc)
		return rc;
	if (plan.ns == 0)
		return set_err(r, CHART_ENODATA, e_nodata[lang]);

	/* x range: the asked-for one, else the data's own (first..last) */
	if (!plan.grid && o->to > o->from) {
		R->t_lo = (double)o->from;
		R->t_hi = (double)o->to;
	} else {
		R->t_lo = INFINITY;
		R->t_hi = -INFINITY;
		for (int k = 0; k < plan.ns; k++) {
			struct series *s = &plan.s[k];
			double a = s->ts ? (double)ts_i(s, 0) : plan.g_t0;
			double b = s->ts ? (double)ts_i(s, s->n - 1) : plan.g_t0 + (double)s->n * plan.g_step;
			R->t_lo = fmin(R->t_lo, a);
			R->t_hi = fmax(R->t_hi, b);
		}
		if (R->t_hi - R->t_lo < 1) { /* one instant: a minute around it */
			R->t_lo -= 30;
			R->t_hi += 30;
		}
	}
	for (int k = 0; k < plan.ns; k++) {
		series_bounds(R, &plan.s[k]);
		if (gap_threshold(R, &plan.s[k]))
			return finish(R, set_err(r, CHART_ENOMEM, "out of memory"));
	}

	/* title */
	char span[48];
	fmt_span(span, sizeof(span), R->t_hi - R->t_lo, lang);
	if (o->host && *o->host)
		snprintf(r->title, sizeof(r->title), lang ? "%s: %s за %s" : "%s: %s, %s", o->host, plan.what, span);
	else
		snprintf(r->title, sizeof(r->title), lang ? "%s за %s" : "%s, %s", plan.what, span);

	/* layout */
	R->cv.w = W;
	R->cv.h = H;
	struct layout *L = &R->L;
	L->s = fmin(W / 1600.0, H / 800.0);
	L->fs_title = fmax(14, 40 * L->s);
	L->fs = fmax(12, 30 * L->s);
	L->lw = fmax(1.5, (plan.stability ? 2.2 : 3.0) * L->s);
	L->pad = fmax(5, 14 * L->s);
	L->tick = fmax(3, 8 * L->s);
	if (chart_font_init(&R->font, &R->mem))
		return finish(R, set_err(r, CHART_ENOMEM, "font"));
	double ta, td, a, d;
	chart_font_vmetrics(&R->font, L->fs_title, &ta, &td);
	chart_font_vmetrics(&R->font, L->fs, &a, &d);
	chart_text_fit(&R->font, r->title, sizeof(r->title), L->fs_title, W - 2 * L->pad);
	double row_base = L->pad + ta + td + L->pad * 0.6 + a;
	L->py = (int)ceil(row_base + d + L->pad * 0.8);
	int bottom = (int)ceil(L->tick + L->pad * 0.4 + a + d + L->pad);
	L->ph = H - L->py - bottom;
	/* Fixed axes know their labels now. An automatic one is scaled after
	 * the single pass over the data, so its labels get a fixed width: best
	 * units keep them to four digits, "00000" leaves room for a fifth. */
	double ylw;
	if (plan.ymode == Y_AUTO) {
		ylw = chart_text_width(&R->font, "00000", L->fs);
	} else {
		R->y_lo = 0;
		R->y_hi = plan.ymode == Y_PERCENT ? 100 : plan.limit;
		ylw = ylabel_width(R);
	}
	L->px = (int)ceil(L->pad + ylw + L->pad * 0.5 + L->tick);
	L->pw = W - L->px - (int)ceil(L->pad * 2 + L->fs);
	if (L->pw < 50 || L->ph < 50)
		return finish(R, set_err(r, CHART_ESIZE, "chart too small for its labels"));
	r->plot[0] = L->px;
	r->plot[1] = L->py;
	r->plot[2] = L->pw;
	r->plot[3] = L->ph;

	/* buffers: canvas, columns, hatch marks, line mask */
	size_t cvbytes = (size_t)W * (size_t)H * 3, colbytes = (size_t)L->pw * sizeof(struct col);
	R->cv.px = chart_mem_alloc_raw(&R->mem, cvbytes, 0); /* cleared to the background below */
	R->hatch = chart_mem_alloc(&R->mem, (size_t)L->pw);
	int ok = R->cv.px && R->hatch;
	for (int k = 0; k < plan.ns && ok; k++)
		ok = (plan.s[k].col = chart_mem_alloc(&R->mem, colbytes)) != NULL;
	struct chart_mask mk = {0};
	if (ok)
		ok = chart_mask_init(&mk, &R->mem, L->px, L->py, L->pw, L->ph) == 0;
	size_t finite = 0;
	double ystep = 1;
	int ydec = 0;
	if (ok) {
		reduce(R);
		for (int k = 0; k < plan.ns; k++)
			finite += plan.s[k].finite;
		if (!finite)
			rc = set_err(r, CHART_ENODATA, e_nodata[lang]);
		else
			y_axis(R, &ystep, &ydec);
	}
	if (ok && finite) {
		chart_cv_clear(&R->cv, BG);
		draw_hatches(R);
		draw_axes(R, ystep, ydec);
		draw_series(R, &mk);
		draw_header(R, row_base);
		for (int k = 0, j = 0; k < plan.ns; k++)
			if (plan.s[k].finite && j < CHART_MAX_SERIES)
				r->color[j++] = plan.s[k].color, r->nseries = j;
		r->missing_glyphs = R->font.missing;
		/* Encoding runs with everything above still held, plus stb's
		 * filtered rows and our token block and output. */
		size_t enc = (size_t)(W * 3 + 1) * (size_t)H + (size_t)W * 3 + 65536 * 4;
		if (chart_png_encode(&R->cv, &r->png, &r->png_len, CHART_MAX_PNG) != 0) {
			r->png = NULL;
			r->png_len = 0;
			rc = set_err(r, CHART_EPNG, "PNG encoding failed");
		}
		enc += r->png_len * 2; /* deflate output, then the file */
		if (R->mem.cur + enc > R->mem.peak)
			R->mem.peak = R->mem.cur + enc;
	} else if (!ok) {
		rc = set_err(r, CHART_ENOMEM, "out of memory");
	}
	chart_mask_free(&mk, &R->mem);
	for (int k = 0; k < plan.ns; k++)
		chart_mem_free(&R->mem, plan.s[k].col, colbytes);
	chart_mem_free(&R->mem, R->hatch, (size_t)L->pw);
	chart_mem_free(&R->mem, R->cv.px, cvbytes);
	return finish(R, rc);
}
