/* chart.c — chart_render (SPEC §8): checks the request, lays the picture
 * out, runs the parts of a render (see chart_int.h) over buffers sized by
 * the canvas, and encodes the PNG. */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int finish(struct chart_ctx *R, int rc)
{
	chart_font_free(&R->font);
	R->r->peak_bytes = R->mem.peak;
	return rc;
}

static int size_ok(int W, int H, struct chart_result *r)
{
	if (W < CHART_MIN_W || H < CHART_MIN_H || W > CHART_MAX_W || H > CHART_MAX_H ||
	    (long)W * H > CHART_MAX_PIXELS) {
		snprintf(r->err, sizeof(r->err), "chart size %dx%d is outside %dx%d..%dx%d (at most %ld pixels)",
		         W, H, CHART_MIN_W, CHART_MIN_H, CHART_MAX_W, CHART_MAX_H, (long)CHART_MAX_PIXELS);
		return 0;
	}
	return 1;
}

/* The asked-for x range, else the data's own (first..last). */
static void x_range(struct chart_ctx *R)
{
	const struct chart_opts *o = R->o;
	const struct chart_plan *p = R->p;
	if (!p->grid && o->to > o->from) {
		R->t_lo = (double)o->from;
		R->t_hi = (double)o->to;
		return;
	}
	R->t_lo = INFINITY;
	R->t_hi = -INFINITY;
	for (int k = 0; k < p->ns; k++) {
		const struct chart_series *s = &p->s[k];
		double a = s->ts ? (double)chart_ts_at(s, 0) : p->g_t0;
		double b = s->ts ? (double)chart_ts_at(s, s->n - 1) : p->g_t0 + (double)s->n * p->g_step;
		R->t_lo = fmin(R->t_lo, a);
		R->t_hi = fmax(R->t_hi, b);
	}
	if (R->t_hi - R->t_lo < 1) { /* one instant: a minute around it */
		R->t_lo -= 30;
		R->t_hi += 30;
	}
}

static void set_title(struct chart_ctx *R)
{
	const struct chart_opts *o = R->o;
	struct chart_result *r = R->r;
	char span[48];
	chart_fmt_span(span, sizeof(span), R->t_hi - R->t_lo, R->lang);
	if (o->host && *o->host)
		snprintf(r->title, sizeof(r->title), R->lang ? "%s: %s за %s" : "%s: %s, %s", o->host, R->p->what,
		         span);
	else
		snprintf(r->title, sizeof(r->title), R->lang ? "%s за %s" : "%s, %s", R->p->what, span);
}

/* Sizes from the canvas, the font (whose glyph cache the render keeps), the
 * title fitted, and the plot area; *row_base is the header row's baseline.
 * CHART_OK, or an error set in the result. */
static int lay_out(struct chart_ctx *R, int W, int H, double *row_base)
{
	const struct chart_plan *p = R->p;
	struct chart_result *r = R->r;
	R->cv.w = W;
	R->cv.h = H;
	struct chart_layout *L = &R->L;
	L->s = fmin(W / 1600.0, H / 800.0);
	L->fs_title = fmax(14, 40 * L->s);
	L->fs = fmax(12, 30 * L->s);
	L->lw = fmax(1.5, (p->stability ? 2.2 : 3.0) * L->s);
	L->pad = fmax(5, 14 * L->s);
	L->tick = fmax(3, 8 * L->s);
	if (chart_font_init(&R->font, &R->mem))
		return chart_set_err(r, CHART_ENOMEM, "font");
	double ta, td, a, d;
	chart_font_vmetrics(&R->font, L->fs_title, &ta, &td);
	chart_font_vmetrics(&R->font, L->fs, &a, &d);
	chart_text_fit(&R->font, r->title, sizeof(r->title), L->fs_title, W - 2 * L->pad);
	*row_base = L->pad + ta + td + L->pad * 0.6 + a;
	L->py = (int)ceil(*row_base + d + L->pad * 0.8);
	int bottom = (int)ceil(L->tick + L->pad * 0.4 + a + d + L->pad);
	L->ph = H - L->py - bottom;
	/* Fixed axes know their labels now. An automatic one is scaled after
	 * the single pass over the data, so its labels get a fixed width: best
	 * units keep them to four digits, "00000" leaves room for a fifth. */
	double ylw;
	if (p->ymode == CHART_Y_AUTO) {
		ylw = chart_text_width(&R->font, "00000", L->fs);
	} else {
		R->y_lo = 0;
		R->y_hi = p->ymode == CHART_Y_PERCENT ? 100 : p->limit;
		ylw = chart_axes_label_width(R);
	}
	L->px = (int)ceil(L->pad + ylw + L->pad * 0.5 + L->tick);
	L->pw = W - L->px - (int)ceil(L->pad * 2 + L->fs);
	if (L->pw < 50 || L->ph < 50)
		return chart_set_err(r, CHART_ESIZE, "chart too small for its labels");
	r->plot[0] = L->px;
	r->plot[1] = L->py;
	r->plot[2] = L->pw;
	r->plot[3] = L->ph;
	return CHART_OK;
}

/* Everything drawn onto the reduced data, then the PNG. */
static int draw_encode(struct chart_ctx *R, struct chart_mask *mk, double row_base, double ystep, int ydec)
{
	const struct chart_plan *p = R->p;
	struct chart_result *r = R->r;
	int rc = CHART_OK;
	chart_cv_clear(&R->cv, CHART_BG);
	chart_draw_hatches(R);
	chart_axes_draw(R, ystep, ydec);
	chart_draw_series(R, mk);
	chart_draw_header(R, row_base);
	for (int k = 0, j = 0; k < p->ns; k++)
		if (p->s[k].finite && j < CHART_MAX_SERIES)
			r->color[j++] = p->s[k].color, r->nseries = j;
	r->missing_glyphs = R->font.missing;
	/* Encoding runs with everything above still held, plus stb's
	 * filtered rows and our token block and output. */
	size_t W = (size_t)R->cv.w, H = (size_t)R->cv.h;
	size_t enc = (W * 3 + 1) * H + W * 3 + 65536 * 4;
	if (chart_png_encode(&R->cv, &r->png, &r->png_len, CHART_MAX_PNG) != 0) {
		r->png = NULL;
		r->png_len = 0;
		rc = chart_set_err(r, CHART_EPNG, "PNG encoding failed");
	}
	enc += r->png_len * 2; /* deflate output, then the file */
	if (R->mem.cur + enc > R->mem.peak)
		R->mem.peak = R->mem.cur + enc;
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
	if (!size_ok(W, H, r))
		return CHART_ESIZE;
	if (!q)
		return chart_set_err(r, CHART_EINVAL, "no request");
	struct chart_plan plan;
	struct chart_ctx Rs, *R = &Rs;
	memset(R, 0, sizeof(*R));
	R->o = o;
	R->p = &plan;
	R->r = r;
	R->lang = lang;
	r->width = W;
	r->height = H;
	int rc = chart_plan_build(&plan, q, lang, r);
	if (rc == CHART_ENODATA)
		return chart_set_err(r, rc, e_nodata[lang]);
	if (rc)
		return rc;
	if (plan.ns == 0)
		return chart_set_err(r, CHART_ENODATA, e_nodata[lang]);

	x_range(R);
	for (int k = 0; k < plan.ns; k++) {
		chart_reduce_bounds(R, &plan.s[k]);
		if (chart_reduce_gap_threshold(R, &plan.s[k]))
			return finish(R, chart_set_err(r, CHART_ENOMEM, "out of memory"));
	}
	set_title(R);
	double row_base;
	rc = lay_out(R, W, H, &row_base);
	if (rc)
		return finish(R, rc);

	/* buffers: canvas, columns, hatch marks, line mask */
	const struct chart_layout *L = &R->L;
	size_t cvbytes = (size_t)W * (size_t)H * 3, colbytes = (size_t)L->pw * sizeof(struct chart_pxcol);
	R->cv.px = chart_mem_alloc_raw(&R->mem, cvbytes, 0); /* cleared to the background when drawn */
	R->hatch = chart_mem_alloc(&R->mem, (size_t)L->pw);
	int ok = R->cv.px && R->hatch;
	for (int k = 0; k < plan.ns && ok; k++)
		ok = (plan.s[k].col = chart_mem_alloc(&R->mem, colbytes)) != NULL;
	struct chart_mask mk = {0};
	if (ok)
		ok = chart_mask_init(&mk, &R->mem, L->px, L->py, L->pw, L->ph) == 0;
	if (!ok) {
		rc = chart_set_err(r, CHART_ENOMEM, "out of memory");
		goto out;
	}
	chart_reduce(R);
	size_t finite = 0;
	for (int k = 0; k < plan.ns; k++)
		finite += plan.s[k].finite;
	if (!finite) {
		rc = chart_set_err(r, CHART_ENODATA, e_nodata[lang]);
		goto out;
	}
	double ystep;
	int ydec;
	chart_axes_scale(R, &ystep, &ydec);
	rc = draw_encode(R, &mk, row_base, ystep, ydec);
out:
	chart_mask_free(&mk, &R->mem);
	for (int k = 0; k < plan.ns; k++)
		chart_mem_free(&R->mem, plan.s[k].col, colbytes);
	chart_mem_free(&R->mem, R->hatch, (size_t)L->pw);
	chart_mem_free(&R->mem, R->cv.px, cvbytes);
	return finish(R, rc);
}
