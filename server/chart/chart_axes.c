/* chart_axes.c — the axes: a y range, unit and round ticks fitted to the
 * data (or fixed: 0..100 %, 0..limit), time ticks at the smallest round step
 * whose labels do not crowd, aligned to local time, the grid and the frame. */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdio.h>

static double t2x(const struct chart_ctx *R, double t)
{
	return (t - R->t_lo) / (R->t_hi - R->t_lo) * R->L.pw;
}

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

/* Round ticks, about one per 3.3 label heights. */
static double y_ticks(struct chart_ctx *R, int *dec)
{
	double a, d;
	chart_font_vmetrics(&R->font, R->L.fs, &a, &d);
	double want = fmin(10, fmax(3, R->L.ph / ((a + d) * 3.3)));
	double step = nice_step((R->y_hi - R->y_lo) / want);
	*dec = decimals_for(step);
	return step;
}

double chart_axes_label_width(struct chart_ctx *R)
{
	int dec;
	double step = y_ticks(R, &dec), w = 0;
	char b[64];
	for (double v = ceil(R->y_lo / step - 1e-9) * step; v <= R->y_hi + step * 1e-9; v += step) {
		chart_fmt_num(b, sizeof(b), fabs(v) < step * 1e-9 ? 0 : v, dec);
		w = fmax(w, chart_text_width(&R->font, b, R->L.fs));
		if (w > R->cv.w / 3.0 || w > 4096)
			break;
	}
	return w;
}

/* Once the data is reduced: the unit (best_unit for bit/s, binary prefixes
 * for bytes, unless one was asked for), the y range of an automatic axis
 * (0 or the minimum, to the maximum plus the original's 10%), the ticks. */
void chart_axes_scale(struct chart_ctx *R, double *step, int *dec)
{
	struct chart_plan *p = R->p;
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
	if (p->ymode == CHART_Y_AUTO) {
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

static const double tsteps[] = {1,     2,     5,     10,    15,     30,     60,     120,    300,
                                600,   900,   1800,  3600,  7200,   10800,  21600,  43200,  86400,
                                172800, 345600, 604800, 1209600, 2592000};

void chart_axes_draw(struct chart_ctx *R, double ystep, int ydec)
{
	const struct chart_layout *L = &R->L;
	struct chart_canvas *cv = &R->cv;
	struct chart_font *f = &R->font;
	double asc, desc;
	chart_font_vmetrics(f, L->fs, &asc, &desc);
	double gw = fmax(1, L->s * 1.1), dash = 7 * L->s, gap = 5 * L->s;
	/* y: grid, ticks, labels */
	char b[64];
	for (double v = ceil(R->y_lo / ystep - 1e-9) * ystep; v <= R->y_hi + ystep * 1e-9; v += ystep) {
		double y = floor(chart_y2px(R, v)) + 0.5;
		if (y < L->py - 0.5 || y > L->py + L->ph + 0.5)
			continue;
		chart_cv_dashed(cv, L->px, y, L->px + L->pw, y, gw, dash, gap, CHART_FG, 0.28);
		chart_cv_line(cv, L->px - L->tick, y, L->px, y, gw * 1.3, CHART_FG, 1);
		chart_fmt_num(b, sizeof(b), fabs(v) < ystep * 1e-9 ? 0 : v, ydec);
		double w = chart_text_width(f, b, L->fs);
		chart_text_draw(cv, f, b, L->px - L->tick - L->pad * 0.5 - w, y + (asc - desc) / 2, L->fs, CHART_FG);
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
		chart_cv_dashed(cv, x, L->py, x, L->py + L->ph, gw, dash, gap, CHART_FG, 0.28);
		chart_cv_line(cv, x, L->py + L->ph, x, L->py + L->ph + L->tick, gw * 1.3, CHART_FG, 1);
		int64_t lt = (int64_t)floor(t + 0.5) + off;
		enum chart_tfmt tf = step < 60 ? CHART_T_HMS : step >= 86400 ? CHART_T_DATE
		             : (multi_day && chart_floor_div(lt, 86400) * 86400 == lt) ? CHART_T_DATE : CHART_T_HM;
		chart_fmt_time(b, sizeof(b), t + 0.5, off, tf, R->lang);
		double w = chart_text_width(f, b, L->fs), lx = x - w / 2;
		if (lx + w > R->cv.w - 2)
			lx = R->cv.w - 2 - w;
		chart_text_draw(cv, f, b, lx, base, L->fs, tf == CHART_T_DATE ? CHART_FG : CHART_DIM);
	}
	/* frame */
	double fw = fmax(1, 1.4 * L->s);
	chart_cv_line(cv, L->px, L->py, L->px + L->pw, L->py, fw, CHART_FG, 1);
	chart_cv_line(cv, L->px, L->py + L->ph, L->px + L->pw, L->py + L->ph, fw, CHART_FG, 1);
	chart_cv_line(cv, L->px, L->py, L->px, L->py + L->ph, fw, CHART_FG, 1);
	chart_cv_line(cv, L->px + L->pw, L->py, L->px + L->pw, L->py + L->ph, fw, CHART_FG, 1);
}
