/* read.c — reading samples back: the newest sample of a key, its newest
 * ts (the ack on connect) and the range reads behind the charts (raw rows,
 * minute or hour rollups). */
#include "server/store/store_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_latest(struct store *st, const char *secret, struct store_sample *out)
{
	struct db_stmt *s;
	int rc;
	memset(out, 0, sizeof(*out));
	store_row_clear(&out->row);
	if (!store_secret_ok(secret))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_LATEST);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "latest sample");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	snprintf(out->row.secret, sizeof(out->row.secret), "%s", secret);
	out->row.ts = st->ops->col_int(s, 0);
	for (int c = 0; c < SC__COUNT; c++)
		out->row.v[c] = st->ops->col_null(s, 1 + c) ? NAN : st->ops->col_double(s, 1 + c);
	out->disks = store_dup_col(st, s, 1 + SC__COUNT);
	out->top_procs = store_dup_col(st, s, 2 + SC__COUNT);
	out->gpus = store_dup_col(st, s, 3 + SC__COUNT);
	out->row.disks = out->disks;
	out->row.top_procs = out->top_procs;
	out->row.gpus = out->gpus;
	st->ops->reset(s);
	return 0;
}

void store_sample_free(struct store_sample *s)
{
	free(s->disks);
	free(s->top_procs);
	free(s->gpus);
	s->disks = s->top_procs = s->gpus = NULL;
}

int store_newest_ts(struct store *st, const char *secret, int64_t *ts)
{
	*ts = 0;
	if (!store_secret_ok(secret))
		return 0;
	return store_one_int(st, STORE_ST_NEWEST, secret, ts, "newest ts");
}

/* ---- range reads ------------------------------------------------------------ */

int store_metric_from_name(const char *name)
{
	for (int m = 0; m < SM__COUNT; m++)
		if (!strcmp(name, store_metric_names[m]))
			return m;
	return STORE_EINVAL;
}

static enum store_res auto_res(int64_t from, int64_t to, enum store_res res)
{
	if (res != STORE_RES_AUTO)
		return res;
	return to - from <= STORE_RAW_MAX_SPAN      ? STORE_RES_RAW
	       : to - from <= STORE_MINUTE_MAX_SPAN ? STORE_RES_MINUTE
	                                            : STORE_RES_HOUR;
}

/* Runs range statement s (bound from parameter `first` on: from, to) and
 * reads its rows: (ts, value) raw, (bucket, n, sum, min, max) rolled up. */
static int range_rows(struct store *st, struct db_stmt *s, int first, int64_t from, int64_t to,
                      struct store_series *out)
{
	size_t cap = 0;
	int rc;
	if (out->res == STORE_RES_MINUTE)
		from -= ((from % 60) + 60) % 60;
	else if (out->res == STORE_RES_HOUR)
		from -= ((from % 3600) + 3600) % 3600;
	st->ops->bind_int(s, first, from);
	st->ops->bind_int(s, first + 1, to);
	while ((rc = store_next(st, s, "range read")) == 1) {
		struct store_point *p;
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			p = realloc(out->pts, nc * sizeof(*p));
			if (!p) {
				st->ops->reset(s);
				store_series_free(out);
				return STORE_ENOMEM;
			}
			out->pts = p;
			cap = nc;
		}
		p = &out->pts[out->n++];
		p->ts = st->ops->col_int(s, 0);
		if (out->res == STORE_RES_RAW) {
			p->avg = p->min = p->max = st->ops->col_double(s, 1);
			p->n = 1;
		} else {
			int64_t cnt = st->ops->col_int(s, 1);
			p->n = (uint32_t)cnt;
			p->avg = cnt > 0 ? st->ops->col_double(s, 2) / (double)cnt : NAN;
			p->min = st->ops->col_double(s, 3);
			p->max = st->ops->col_double(s, 4);
		}
	}
	if (rc < 0)
		store_series_free(out);
	return rc;
}

int store_range(struct store *st, const char *secret, enum store_metric m, int64_t from, int64_t to,
                enum store_res res, struct store_series *out)
{
	struct db_stmt *s;
	memset(out, 0, sizeof(*out));
	if ((int)m < 0 || m >= SM__COUNT || to < from || (int)res < 0 || res > STORE_RES_HOUR)
		return STORE_EINVAL;
	out->res = res = auto_res(from, to, res);
	if (!store_secret_ok(secret))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_RANGE_BASE + ((int)res - 1) * SM__COUNT + (int)m);
	store_bind_text(st, s, 0, secret);
	return range_rows(st, s, 1, from, to, out);
}

int store_fleet_range(struct store *st, const char *secret, const char *series, int64_t from, int64_t to,
                      enum store_res res, struct store_series *out)
{
	struct db_stmt *s;
	memset(out, 0, sizeof(*out));
	if (!series || to < from || (int)res < 0 || res > STORE_RES_HOUR)
		return STORE_EINVAL;
	out->res = res = auto_res(from, to, res);
	if (!store_secret_ok(secret) || !store_series_ok(series, strlen(series)))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_FLEET_RANGE_RAW + ((int)res - 1));
	store_bind_text(st, s, 0, secret);
	store_bind_text(st, s, 1, series);
	return range_rows(st, s, 2, from, to, out);
}

int store_fleet_series(struct store *st, const char *secret, int64_t since, char (*names)[STORE_SERIES_MAX],
                       size_t max)
{
	struct db_stmt *s;
	size_t n = 0;
	int rc;
	if (!store_secret_ok(secret) || !max)
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_FLEET_SERIES);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, since - since % 3600);
	st->ops->bind_int(s, 2, (int64_t)max);
	while ((rc = store_next(st, s, "fleet series")) == 1) {
		const char *v = st->ops->col_text(s, 0, NULL);
		if (v && n < max)
			snprintf(names[n++], STORE_SERIES_MAX, "%s", v);
	}
	return rc < 0 ? rc : (int)n;
}

void store_series_free(struct store_series *s)
{
	free(s->pts);
	s->pts = NULL;
	s->n = 0;
}
