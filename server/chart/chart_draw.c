/* chart_draw.c — what goes on the axes: gaps hatched white, outages red,
 * each series as a faint min..max envelope under a line through its
 * columns' means, and the header (title, unit, legend, span or summary). */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdio.h>

#define GAP_HATCH 0xffffffu
#define OUTAGE    0xff3b30u

void chart_draw_hatches(struct chart_ctx *R)
{
	const struct chart_layout *L = &R->L;
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

void chart_draw_series(struct chart_ctx *R, struct chart_mask *mk)
{
	struct chart_plan *p = R->p;
	const struct chart_layout *L = &R->L;
	/* Envelopes (min..max per column) under every line, on whole pixels
	 * (crisp, and far smaller in the PNG), fainter when series overlap. */
	int drawn = 0;
	for (int k = 0; k < p->ns; k++)
		drawn += p->s[k].finite > 0;
	double ea = drawn <= 1 ? 0.33 : drawn == 2 ? 0.22 : 0.15;
	for (int k = 0; k < p->ns; k++) {
		struct chart_series *s = &p->s[k];
		if (!s->finite)
			continue;
		for (int c = 0; c < L->pw; c++) {
			struct chart_pxcol *cl = &s->col[c];
			if (!cl->n)
				continue;
			double ya = chart_y2px(R, cl->mx * s->to_base * s->mul), yb = chart_y2px(R, cl->mn * s->to_base * s->mul);
			if (yb - ya > L->lw * 0.5) {
				double top = floor(fmax(ya, L->py) + 0.5), bot = floor(fmin(yb, L->py + L->ph) + 0.5);
				chart_cv_rect(&R->cv, L->px + c, top, L->px + c + 1, bot, s->color, ea);
			}
		}
	}
	/* Lines through each column's mean, at the mean time of its samples. */
	for (int k = 0; k < p->ns; k++) {
		struct chart_series *s = &p->s[k];
		if (!s->finite)
			continue;
		double f = s->to_base * s->mul, r = L->lw / 2;
		int prev = -1;
		double px = 0, py = 0;
		for (int c = 0; c < L->pw; c++) {
			struct chart_pxcol *cl = &s->col[c];
			if (!cl->n)
				continue;
			double x = L->px + cl->xs / cl->n, y = chart_y2px(R, cl->sum / cl->n * f);
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
			struct chart_pxcol *cl = &s->col[c];
			if (cl->n && !cl->linked)
				chart_mask_dot(mk, L->px + cl->xs / cl->n, chart_y2px(R, cl->sum / cl->n * f), fmax(r * 1.6, 2));
		}
		chart_mask_paint(mk, &R->cv, s->color, 1.0);
	}
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
void chart_draw_header(struct chart_ctx *R, double row_base)
{
	struct chart_plan *p = R->p;
	const struct chart_layout *L = &R->L;
	struct chart_canvas *cv = &R->cv;
	struct chart_font *f = &R->font;
	struct chart_result *r = R->r;
	double ta, td, a, d;
	chart_font_vmetrics(f, L->fs_title, &ta, &td);
	chart_font_vmetrics(f, L->fs, &a, &d);

	double tw = chart_text_width(f, r->title, L->fs_title);
	double tx = (cv->w - tw) / 2;
	chart_text_draw(cv, f, r->title, tx, L->pad + ta, L->fs_title, CHART_FG);
	box_set(r->title_box, tx, L->pad, tw, ta + td);

	double ux = L->pad;
	double uw = chart_text_width(f, p->unit, L->fs);
	chart_text_draw(cv, f, p->unit, ux, row_base, L->fs, CHART_FG);
	box_set(r->unit_box, ux, row_base - a, uw, a + d);

	char right[128];
	if (p->stability) {
		char avg[24], jit[24];
		chart_fmt_num(avg, sizeof(avg), p->st.avg_ms, p->st.avg_ms < 10 ? 2 : 1);
		chart_fmt_num(jit, sizeof(jit), p->st.jitter_ms, p->st.jitter_ms < 10 ? 2 : 1);
		snprintf(right, sizeof(right),
		         R->lang ? "потери %.1f%% \xc2\xb7 пинг %s мс \xc2\xb7 джиттер %s мс"
		                 : "loss %.1f%% \xc2\xb7 avg %s ms \xc2\xb7 jitter %s ms",
		         p->st.loss_pct, avg, jit);
	} else {
		char a1[40], b1[40];
		enum chart_tfmt tf = R->t_hi - R->t_lo < 3600 ? CHART_T_DATE_HMS : CHART_T_DATE_HM;
		chart_fmt_time(a1, sizeof(a1), R->t_lo, R->o->utc_offset_s, tf, R->lang);
		chart_fmt_time(b1, sizeof(b1), R->t_hi, R->o->utc_offset_s, tf, R->lang);
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
		chart_text_draw(cv, f, right, cv->w - L->pad - rw, row_base, L->fs, CHART_DIM);
	if (!legend)
		return;
	if (!inside) {
		double x = left + fmax(0, ((show_right ? right_x - eg : right_x) - left - lw_total) / 2);
		box_set(r->legend_box, x, row_base - a, lw_total, a + d);
		for (int k = 0; k < p->ns; k++) {
			struct chart_series *s = &p->s[k];
			if (!s->finite)
				continue;
			double cy = row_base - (a - d) / 2;
			chart_cv_line(cv, x, cy, x + sw, cy, fmax(2, L->lw), s->color, 1);
			x = chart_text_draw(cv, f, s->label, x + sw + sg, row_base, L->fs, CHART_FG) + eg;
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
	chart_cv_rect(cv, bx, by, bx + bw, by + bh, CHART_BG, 0.75);
	box_set(r->legend_box, bx, by, bw, bh);
	double yb = by + L->pad / 2 + a;
	for (int k = 0; k < p->ns; k++) {
		struct chart_series *s = &p->s[k];
		if (!s->finite)
			continue;
		double cy = yb - (a - d) / 2;
		chart_cv_line(cv, bx + L->pad, cy, bx + L->pad + sw, cy, fmax(2, L->lw), s->color, 1);
		chart_text_draw(cv, f, s->label, bx + L->pad + sw + sg, yb, L->fs, CHART_FG);
		yb += rowh;
	}
}
