/* chart_reduce.c — the single pass over the samples: every sample into its
 * pixel column of the plot (count, sum, min, max, mean x), gaps and
 * stability losses marked, so a render's cost and memory follow the canvas,
 * not the number of samples. Also the stability test's summary figures. */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Losses shorter than this are marked along the bottom edge, not hatched. */
#define OUTAGE_MIN_MS 1000
/* The stability report counts outages of 3 s or more (SPEC §7). */
#define OUTAGE_REPORT_MS 3000

/* Stability figures, accumulated one packet at a time (the chart gathers
 * them in its single pass; chart_rtt_stats runs the same over a whole test). */
struct rtt_acc {
	double sum, jsum, prev;
	size_t sent, got, jn, run, lost, outages;
	int32_t interval_ms;
	struct chart_rtt_stats *list; /* NULL, or where the first outages go */
};

/* A run of loss ending before packet `end` (exclusive), counted when long enough. */
static void rtt_run_end(struct rtt_acc *a, size_t end)
{
	if (!a->run || (double)a->run * a->interval_ms < OUTAGE_REPORT_MS) {
		a->run = 0;
		return;
	}
	if (a->list && a->outages < CHART_RTT_OUTAGES_LISTED) {
		a->list->outage[a->outages].first = end - a->run;
		a->list->outage[a->outages].n = a->run;
	}
	a->outages++;
	a->run = 0;
}

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
	rtt_run_end(a, a->sent - 1);
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
	rtt_run_end(a, a->sent);
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
	a.list = st;
	for (size_t i = 0; i < t->n; i++)
		rtt_add(&a, t->rtt_ms[i]);
	rtt_end(&a, st);
}

void chart_rtt_stats_f(const float *rtt_ms, size_t n, int32_t interval_ms, struct chart_rtt_stats *st)
{
	struct rtt_acc a;
	memset(st, 0, sizeof(*st));
	rtt_begin(&a, interval_ms);
	a.list = st;
	for (size_t i = 0; i < n; i++)
		rtt_add(&a, rtt_ms[i] < 0 ? NAN : (double)rtt_ms[i]);
	rtt_end(&a, st);
}

/* ---- data passes ------------------------------------------------------ */

/* The gap rule needs the median interval; it is taken from at most this
 * many evenly spread intervals (all of them up to that), which is exact for
 * regular data and keeps the cost and memory independent of the samples. */
#define MED_SAMPLES 4096

/* [i0, i1): the samples of s inside [t_lo, t_hi]; timestamps ascend, so two
 * binary searches. */
void chart_reduce_bounds(const struct chart_ctx *R, struct chart_series *s)
{
	const struct chart_plan *p = R->p;
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
		if ((double)chart_ts_at(s, m) < R->t_lo)
			lo = m + 1;
		else
			hi = m;
	}
	s->i0 = lo;
	hi = s->n;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if ((double)chart_ts_at(s, m) <= R->t_hi)
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

int chart_reduce_gap_threshold(struct chart_ctx *R, struct chart_series *s)
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
		dt[k] = chart_ts_at(s, j + 1) - chart_ts_at(s, j);
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

static void col_range(const struct chart_ctx *R, double xa, double xb, int *a, int *b)
{
	*a = (int)floor(xa + 0.5);
	*b = (int)floor(xb + 0.5);
	if (*a < 0)
		*a = 0;
	if (*b > R->L.pw)
		*b = R->L.pw;
}

static void mark(struct chart_ctx *R, double xa, double xb, uint8_t bit)
{
	int a, b;
	col_range(R, xa, xb, &a, &b);
	for (int c = a; c < b; c++)
		R->hatch[c] |= bit;
}

static void mark_gap(struct chart_ctx *R, struct chart_series *s, double xa, double xb)
{
	int a, b;
	col_range(R, xa, xb, &a, &b);
	for (int c = a; c < b; c++)
		s->col[c].gap = 1;
}

/* Pass 2, per series: every sample into its pixel column; gaps, and the
 * losses of a stability test, marked. */
static void reduce_series(struct chart_ctx *R, struct chart_series *s)
{
	struct chart_plan *p = R->p;
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
		struct chart_pxcol *cl = &s->col[c];
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
	double last = tp ? (double)chart_ts_at(s, s->i1 - 1) : p->g_t0 + (double)(s->i1 - 1) * p->g_step;
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
void chart_reduce(struct chart_ctx *R)
{
	struct chart_plan *p = R->p;
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
