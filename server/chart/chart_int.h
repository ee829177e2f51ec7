/* chart_int.h — private to the chart module: what the parts of a render
 * share. A render (struct chart_ctx, one per chart_render call) goes
 * chart_plan_build (chart_plan.c: the series a kind draws), chart_reduce
 * (chart_reduce.c: one pass of the samples into per-pixel-column min/avg/max),
 * chart_axes_scale (chart_axes.c), then the drawing (chart_axes.c,
 * chart_draw.c), with the texts of chart_fmt.c; chart.c runs it. */
#ifndef MONBOT_CHART_INT_H
#define MONBOT_CHART_INT_H

#include "server/chart/chart.h"
#include "server/chart/chart_raster.h"

#include <stdint.h>
#include <stdio.h>

/* Dark theme after the original's matplotlib "dark_background" style. */
#define CHART_BG        0x000000u
#define CHART_FG        0xffffffu
#define CHART_DIM       0xb0b0b0u

/* Per pixel column of one series. */
struct chart_pxcol {
	uint32_t n;
	uint8_t brk;    /* not joined to the previous non-empty column */
	uint8_t linked; /* joined on either side (else drawn as a dot) */
	uint8_t gap;    /* inside a gap of this series' samples */
	double sum, mn, mx, xs;
};

struct chart_series {
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
	struct chart_pxcol *col;
	size_t i0, i1;  /* samples inside the x range */
};

enum chart_ymode { CHART_Y_PERCENT, CHART_Y_LIMIT, CHART_Y_AUTO };

struct chart_plan {
	int ns;
	struct chart_series s[CHART_MAX_SERIES];
	/* time: each series' array of unix seconds, or a regular grid */
	int grid;
	double g_t0, g_step; /* seconds */
	enum chart_ymode ymode;
	double limit;
	enum chart_family fam;
	double unit_scale; /* 0 = choose from the data */
	char unit[16];
	char what[96];     /* "CPU %", "Net", "CPU/RAM" */
	int stability;
	int32_t interval_ms;
	struct chart_rtt_stats st; /* gathered while reducing */
};

struct chart_layout {
	double s, fs_title, fs, lw, pad, tick;
	int px, py, pw, ph;
};

struct chart_ctx {
	const struct chart_opts *o;
	struct chart_plan *p;
	struct chart_result *r;
	struct chart_mem mem;
	struct chart_canvas cv;
	struct chart_font font;
	struct chart_layout L;
	double t_lo, t_hi, y_lo, y_hi;
	uint8_t *hatch;        /* per plot column: 1 gap, 2 outage, 4 loss mark */
	int lang;
};

static inline int chart_set_err(struct chart_result *r, int rc, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s", msg);
	return rc;
}

static inline int64_t chart_ts_at(const struct chart_series *s, size_t i)
{
	return *(const int64_t *)(const void *)((const char *)s->ts + i * s->ts_stride);
}

static inline int64_t chart_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline double chart_y2px(const struct chart_ctx *R, double v)
{
	double y = R->L.py + R->L.ph - (v - R->y_lo) / (R->y_hi - R->y_lo) * R->L.ph;
	/* Far off-plot values only need to stay finite; segments are clipped. */
	if (y < -1e7)
		y = -1e7;
	if (y > 1e7)
		y = 1e7;
	return y;
}

/* chart_plan.c: the series and axis of the request's kind; CHART_ENODATA
 * when it has nothing to draw, else CHART_OK or an error set in r. */
int chart_plan_build(struct chart_plan *p, const struct chart_req *q, int lang, struct chart_result *r);

/* chart_reduce.c, in this order: each series' samples inside the x range,
 * its gap threshold (-1: out of memory), then the pass over all series into
 * their pixel columns and the hatch marks. */
void chart_reduce_bounds(const struct chart_ctx *R, struct chart_series *s);
int chart_reduce_gap_threshold(struct chart_ctx *R, struct chart_series *s);
void chart_reduce(struct chart_ctx *R);

/* chart_axes.c: the width of the y labels of a fixed axis (for the layout);
 * once reduced, the unit and range of the axis and its tick step and
 * decimals; the grid, ticks, labels and frame. */
double chart_axes_label_width(struct chart_ctx *R);
void chart_axes_scale(struct chart_ctx *R, double *step, int *dec);
void chart_axes_draw(struct chart_ctx *R, double ystep, int ydec);

/* chart_draw.c: gaps and outages hatched, the series (envelopes, then
 * lines through each column's mean), the title, unit, legend and span. */
void chart_draw_hatches(struct chart_ctx *R);
void chart_draw_series(struct chart_ctx *R, struct chart_mask *mk);
void chart_draw_header(struct chart_ctx *R, double row_base);

/* chart_fmt.c: texts of times, spans and numbers. */
enum chart_tfmt { CHART_T_HMS, CHART_T_HM, CHART_T_DATE, CHART_T_DATE_HM, CHART_T_DATE_HMS };
void chart_fmt_time(char *b, size_t n, double t, int32_t off, enum chart_tfmt f, int lang);
/* "10 min", "24 h", "7 d", "1 h 30 min" (ru: "10 мин", "24 ч", "7 д"). */
void chart_fmt_span(char *b, size_t n, double secs, int lang);
/* dec decimals; "%.3g" from 1e7 on; never "-0". */
void chart_fmt_num(char *b, size_t n, double v, int dec);

#endif
