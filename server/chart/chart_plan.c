/* chart_plan.c — what each chart kind of SPEC §8 draws: its series (with
 * labels and the original's colour cycle), the axis family and mode, the
 * unit and the title's subject. */
#include "server/chart/chart_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The colour cycle of matplotlib's "dark_background", as the original. */
static const uint32_t palette[CHART_MAX_SERIES] = {0x8dd3c7, 0xfeffb3, 0xbfbbd9, 0xfa8174,
                                                   0x81b1d2, 0xfdb462, 0xb3de69, 0xbc82bd};

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

/* Column c as a series; d (may be NULL) has the ts a column without its
 * own shares. */
static int add_col(struct chart_plan *p, const struct chart_data *d, const struct chart_col *c, double to_base,
                   const char *label, uint32_t color)
{
	const int64_t *ts = c->ts ? c->ts : d ? d->ts : NULL;
	size_t n = c->ts ? c->n : d ? d->n : 0;
	if (!c->v || !ts || !n)
		return 0;
	struct chart_series *s = &p->s[p->ns++];
	s->ts = ts;
	s->ts_stride = c->ts ? c->ts_stride : d->ts_stride;
	if (!s->ts_stride)
		s->ts_stride = sizeof(int64_t);
	s->n = n;
	s->v = c->v;
	s->vmin = c->vmin;
	s->vmax = c->vmax;
	s->stride = c->stride ? c->stride : sizeof(double);
	s->to_base = to_base;
	s->color = color;
	snprintf(s->label, sizeof(s->label), "%s", label);
	return 1;
}

static int add_series(struct chart_plan *p, const struct chart_data *d, enum chart_metric m,
                      const char *label, uint32_t color)
{
	return add_col(p, d, &d->col[m], minfo[m].to_base, label, color);
}

/* CHART_K_SERIES: the caller's series, its family and unit. */
static int plan_named(struct chart_plan *p, const struct chart_named *nm, struct chart_result *r)
{
	if (!nm || !nm->label || (unsigned)nm->fam > CHART_F_PLAIN || nm->fam == CHART_F_BITS ||
	    nm->fam == CHART_F_MS)
		return chart_set_err(r, CHART_EINVAL, "bad named series");
	add_col(p, NULL, &nm->col, 1, nm->label, palette[0]);
	p->fam = nm->fam;
	p->unit_scale = nm->fam == CHART_F_BYTES ? 0 : 1;
	if (nm->fam == CHART_F_PLAIN)
		snprintf(p->unit, sizeof(p->unit), "%s", nm->unit ? nm->unit : "");
	if (isfinite(nm->limit) && nm->limit > 0) {
		p->ymode = CHART_Y_LIMIT;
		p->limit = nm->limit;
	} else {
		p->ymode = nm->fam == CHART_F_PERCENT ? CHART_Y_PERCENT : CHART_Y_AUTO;
	}
	snprintf(p->what, sizeof(p->what), "%s", nm->label);
	return CHART_OK;
}

int chart_plan_build(struct chart_plan *p, const struct chart_req *q, int lang, struct chart_result *r)
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
		struct chart_series *s = &p->s[p->ns++];
		s->n = t->n;
		s->v = t->rtt_ms;
		s->stride = sizeof(double);
		s->to_base = 1;
		s->color = palette[0];
		snprintf(s->label, sizeof(s->label), "%s", l_rtt[lang]);
		p->ymode = CHART_Y_AUTO;
		p->fam = CHART_F_MS;
		p->unit_scale = 1;
		snprintf(p->unit, sizeof(p->unit), lang ? "мс" : "ms");
		snprintf(p->what, sizeof(p->what), "%s", t_stab[lang]);
		p->stability = 1;
		p->interval_ms = t->interval_ms;
		return CHART_OK;
	}
	if (q->kind == CHART_K_SERIES) {
		int rc = plan_named(p, q->named, r);
		if (rc != CHART_OK)
			return rc;
		goto units;
	}
	const struct chart_data *d = q->data;
	if (!d)
		return CHART_ENODATA;
	switch (q->kind) {
	case CHART_K_METRIC: {
		if ((unsigned)q->metric >= CHART_M_COUNT)
			return chart_set_err(r, CHART_EINVAL, "unknown metric");
		const struct metric_info *mi = &minfo[q->metric];
		add_series(p, d, q->metric, mi->label[lang], palette[0]);
		p->fam = mi->fam;
		p->ymode = mi->fam == CHART_F_PERCENT ? CHART_Y_PERCENT : CHART_Y_AUTO;
		p->unit_scale = mi->fam == CHART_F_PERCENT || mi->fam == CHART_F_TEMP ? 1 : 0;
		snprintf(p->what, sizeof(p->what), "%s", mi->label[lang]);
		break;
	}
	case CHART_K_NET:
		add_series(p, d, CHART_M_NET_UP, l_up[lang], palette[0]);
		add_series(p, d, CHART_M_NET_DOWN, l_down[lang], palette[1]);
		p->fam = CHART_F_BITS;
		p->ymode = CHART_Y_AUTO;
		snprintf(p->what, sizeof(p->what), "%s", t_net[lang]);
		break;
	case CHART_K_ALL: {
		static const enum chart_metric all[4] = {CHART_M_CPU, CHART_M_RAM, CHART_M_GPU, CHART_M_VRAM};
		for (int i = 0; i < 4; i++)
			add_series(p, d, all[i], minfo[all[i]].label[lang], palette[i]);
		p->fam = CHART_F_PERCENT;
		p->ymode = CHART_Y_PERCENT;
		p->unit_scale = 1;
		snprintf(p->what, sizeof(p->what), "%s", t_all[lang]);
		break;
	}
	case CHART_K_CUSTOM: {
		const struct chart_plot *pl = q->plot;
		if (!pl || pl->nmetrics <= 0 || pl->nmetrics > CHART_MAX_SERIES)
			return chart_set_err(r, CHART_EINVAL, "empty /plot request");
		size_t len = 0;
		for (int i = 0; i < pl->nmetrics; i++) {
			enum chart_metric m = pl->metric[i];
			if ((unsigned)m >= CHART_M_COUNT)
				return chart_set_err(r, CHART_EINVAL, "unknown metric");
			if (minfo[m].fam != pl->family)
				return chart_set_err(r, CHART_EUNITS, lang ? "Единицы метрик не совпадают" : "Metric units do not match");
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
			p->ymode = CHART_Y_LIMIT;
			p->limit = pl->limit;
		} else {
			p->ymode = pl->family == CHART_F_PERCENT ? CHART_Y_PERCENT : CHART_Y_AUTO;
		}
		break;
	}
	default:
		return chart_set_err(r, CHART_EINVAL, "unknown chart kind");
	}
units:
	if (p->fam == CHART_F_PERCENT)
		snprintf(p->unit, sizeof(p->unit), "%%");
	else if (p->fam == CHART_F_TEMP)
		snprintf(p->unit, sizeof(p->unit), "\xc2\xb0" "C");
	return CHART_OK;
}
