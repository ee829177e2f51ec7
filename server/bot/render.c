/* render.c — the chart workers: GRAPH_WORKERS threads, each with its own
 * synchronous store connection, taking jobs from a bounded queue, reading
 * the ranges (rollups for long ones), rendering with server/chart/ and
 * handing the PNG back to the bot thread as BOT_EV_RENDERED, which sends it.
 * The bot thread only queues and sends: it never waits for a render.
 * The buttons and /plot that make the jobs are in render_cmd.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/bot/render_int.h"
#include "server/config.h"
#include "server/log.h"


struct render_job *render_job_new(struct bot *b, int64_t chat, int64_t user)
{
	struct render_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->chat = chat;
	j->user = user;
	j->lang = b->lang == BOT_RU ? CHART_RU : CHART_EN;
	chart_result_init(&j->res);
	return j;
}

void render_job_free(struct render_job *j)
{
	if (!j)
		return;
	chart_result_free(&j->res);
	free(j->rtt);
	free(j);
}

/* ---- accounting (under r->mu) ------------------------------------------------ */

static unsigned *user_slot(struct bot_render *r, int64_t user, int add)
{
	size_t i, free_i = RENDER_QUEUE_MAX;

	for (i = 0; i < RENDER_QUEUE_MAX; i++) {
		if (r->users[i].n && r->users[i].user == user)
			return &r->users[i].n;
		if (!r->users[i].n && free_i == RENDER_QUEUE_MAX)
			free_i = i;
	}
	if (!add || free_i == RENDER_QUEUE_MAX)
		return NULL;
	r->users[free_i].user = user;
	return &r->users[free_i].n;
}

static void release_locked(struct bot_render *r, const struct render_job *j)
{
	unsigned *n = user_slot(r, j->user, 0);

	if (n && *n)
		(*n)--;
	if (r->pending)
		r->pending--;
}

int render_submit(struct bot *b, struct render_job *j)
{
	struct bot_render *r = b->render;
	unsigned *n;
	int rc = -1;

	if (!r) {
		render_job_free(j);
		return -1;
	}
	pthread_mutex_lock(&r->mu);
	/* Jobs count until the bot thread has sent their answer, so one user
	 * pressing buttons in a burst cannot fill the queue for everyone. */
	n = r->pending < RENDER_QUEUE_MAX ? user_slot(r, j->user, 1) : NULL;
	if (!n || *n >= RENDER_USER_MAX) {
		r->busy++;
		goto out;
	}
	(*n)++;
	r->pending++;
	j->queued_ms = bot_mono_ms();
	j->next = NULL;
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	pthread_cond_signal(&r->cv);
	rc = 0;
out:
	pthread_mutex_unlock(&r->mu);
	if (rc)
		render_job_free(j);
	return rc;
}

/* ---- the workers ----------------------------------------------------------------- */

/* The metrics a kind draws. */
static void wanted(const struct render_job *j, int want[CHART_M_COUNT])
{
	int k;

	memset(want, 0, CHART_M_COUNT * sizeof(*want));
	switch (j->kind) {
	case CHART_K_METRIC:
		want[j->metric] = 1;
		break;
	case CHART_K_NET:
		want[CHART_M_NET_UP] = want[CHART_M_NET_DOWN] = 1;
		break;
	case CHART_K_ALL:
		want[CHART_M_CPU] = want[CHART_M_RAM] = want[CHART_M_GPU] = want[CHART_M_VRAM] = 1;
		break;
	case CHART_K_CUSTOM:
		for (k = 0; k < j->plot.nmetrics; k++)
			want[j->plot.metric[k]] = 1;
		break;
	default:
		break;
	}
}

/* Reads the job's series into d (pointing into ser). 0, or a STORE_E* code. */
static int read_series(struct store *st, const struct render_job *j, int64_t from, int64_t to,
                       struct chart_data *d, struct store_series ser[CHART_M_COUNT])
{
	int want[CHART_M_COUNT], m, sm, rc = 0;

	wanted(j, want);
	for (m = 0; m < CHART_M_COUNT && rc == 0; m++) {
		if (!want[m])
			continue;
		sm = store_metric_from_name(chart_metric_name((enum chart_metric)m));
		if (sm < 0)
			continue;
		rc = store_range(st, j->secret, (enum store_metric)sm, from, to, STORE_RES_AUTO, &ser[m]);
		if (rc == 0 && ser[m].n) {
			const struct store_point *pt = ser[m].pts;
			d->col[m] = (struct chart_col){ .v = &pt[0].avg, .vmin = &pt[0].min,
			                                .vmax = &pt[0].max, .stride = sizeof(*pt),
			                                .ts = &pt[0].ts, .ts_stride = sizeof(*pt),
			                                .n = ser[m].n };
		}
	}
	return rc;
}

/* A usable connection, opened or reconnected on demand; NULL when the
 * database is away (the job then answers so). */
static struct store *worker_store(struct bot_render *r, struct store **st)
{
	char err[STORE_ERR_LEN];

	if (*st && !store_connected(*st) && store_reconnect(*st) != STORE_OK)
		return NULL;
	if (!*st && store_open(st, &r->b->cfg->store, err) != STORE_OK) {
		log_warn("bot: chart worker: database: %s", err);
		*st = NULL;
	}
	return *st;
}

static void job_run(struct bot_render *r, struct store **stp, struct render_job *j)
{
	struct chart_opts o;
	struct chart_req q;
	struct chart_data d;
	struct chart_rtt rtt;
	struct chart_named named;
	struct store_series ser[CHART_M_COUNT];
	struct store *st;
	struct tm tm;
	time_t now = time(NULL);
	int m;

	memset(&o, 0, sizeof(o));
	memset(&q, 0, sizeof(q));
	memset(&d, 0, sizeof(d));
	memset(ser, 0, sizeof(ser));
	o.lang = j->lang;
	o.host = j->host[0] ? j->host : NULL;
	if (localtime_r(&now, &tm))
		o.utc_offset_s = (int32_t)tm.tm_gmtoff;
	q.kind = j->kind;
	q.metric = j->metric;
	q.plot = &j->plot;
	if (j->kind == CHART_K_STABILITY) {
		rtt = (struct chart_rtt){ .start_ms = j->start_ms, .interval_ms = j->interval_ms,
		                          .rtt_ms = j->rtt, .n = j->nrtt };
		q.rtt = &rtt;
	} else if (j->kind == CHART_K_SERIES) {
		const struct store_point *pt;
		o.to = (int64_t)now;
		o.from = o.to - j->span;
		st = worker_store(r, stp);
		if (!st || store_fleet_range(st, j->secret, j->series, o.from, o.to, STORE_RES_AUTO, &ser[0]) != 0) {
			j->rc = RENDER_EDB;
			goto out;
		}
		pt = ser[0].pts;
		named = (struct chart_named){ .label = j->series, .fam = j->series_fam, .unit = j->series_unit,
		                              .limit = j->series_limit };
		if (ser[0].n)
			named.col = (struct chart_col){ .v = &pt[0].avg, .vmin = &pt[0].min, .vmax = &pt[0].max,
			                                .stride = sizeof(*pt), .ts = &pt[0].ts,
			                                .ts_stride = sizeof(*pt), .n = ser[0].n };
		q.named = &named;
	} else {
		o.to = (int64_t)now;
		o.from = o.to - j->span;
		st = worker_store(r, stp);
		if (!st || read_series(st, j, o.from, o.to, &d, ser) != 0) {
			j->rc = RENDER_EDB;
			goto out;
		}
		q.data = &d;
	}
	j->rc = chart_render(&o, &q, &j->res);
out:
	for (m = 0; m < CHART_M_COUNT; m++)
		store_series_free(&ser[m]);
}

static void stats_add(struct bot_render *r, const struct render_job *j)
{
	r->jobs++;
	if (j->rc == CHART_ENODATA)
		r->nodata++;
	else if (j->rc != CHART_OK)
		r->failed++;
	r->ms[r->ms_pos] = (uint32_t)(j->render_ms > 0 ? j->render_ms : 0);
	r->ms_pos = (r->ms_pos + 1) % RENDER_RING;
	if (r->ms_n < RENDER_RING)
		r->ms_n++;
}

static void *worker_main(void *arg)
{
	struct bot_render *r = arg;
	struct store *st = NULL;
	struct render_job *j;
	struct bot_ev *ev;
	int64_t t0;

	worker_store(r, &st);
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (!r->head && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		j = r->head;
		r->head = j->next;
		if (!r->head)
			r->tail = NULL;
		pthread_mutex_unlock(&r->mu);

		t0 = bot_mono_ms();
		job_run(r, &st, j);
		j->render_ms = bot_mono_ms() - t0;
		log_debug("bot: chart kind %d over %lld s: rc %d, %lld ms (%lld ms queued), %zu bytes",
		          (int)j->kind, (long long)j->span, j->rc, (long long)j->render_ms,
		          (long long)(t0 - j->queued_ms), j->res.png_len);
		ev = calloc(1, sizeof(*ev));
		pthread_mutex_lock(&r->mu);
		stats_add(r, j);
		if (!ev)
			release_locked(r, j);
		pthread_mutex_unlock(&r->mu);
		if (!ev) {
			render_job_free(j);
			continue;
		}
		ev->kind = BOT_EV_RENDERED;
		snprintf(ev->secret, sizeof(ev->secret), "%s", j->secret);
		ev->render = j;
		if (bot_post(r->b, ev) != 0) { /* ev is freed; the job is ours again */
			pthread_mutex_lock(&r->mu);
			release_locked(r, j);
			pthread_mutex_unlock(&r->mu);
			render_job_free(j);
		}
	}
	if (st)
		store_close(st);
	return NULL;
}

int bot_render_init(struct bot *b)
{
	struct bot_render *r = calloc(1, sizeof(*r));
	unsigned i, n = b->cfg && b->cfg->graph_workers ? b->cfg->graph_workers : 1;

	if (!r)
		return -1;
	r->b = b;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->threads = calloc(n, sizeof(*r->threads));
	b->render = r;
	if (!r->threads)
		goto fail;
	for (i = 0; i < n; i++) {
		if (pthread_create(&r->threads[i], NULL, worker_main, r) != 0)
			goto fail;
		r->nthreads++;
	}
	return 0;
fail:
	log_error("bot: could not start the chart workers");
	bot_render_free(b);
	return -1;
}

void bot_render_free(struct bot *b)
{
	struct bot_render *r = b->render;
	struct render_job *j, *next;
	struct bot_ev *ev;
	unsigned i;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	for (j = r->head; j; j = next) {
		next = j->next;
		render_job_free(j);
	}
	/* Renders that finished after the bot thread stopped wait in its
	 * queue, which bot.c frees without knowing what they hold. */
	pthread_mutex_lock(&b->mu);
	for (ev = b->q_head; ev; ev = ev->next) {
		if (ev->kind == BOT_EV_RENDERED) {
			render_job_free(ev->render);
			ev->render = NULL;
		}
	}
	pthread_mutex_unlock(&b->mu);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->threads);
	free(r);
	b->render = NULL;
}

/* The job's answer was sent: its places in the queue's counts are free. */
void render_release(struct bot *b, const struct render_job *j)
{
	if (!b->render)
		return;
	pthread_mutex_lock(&b->render->mu);
	release_locked(b->render, j);
	pthread_mutex_unlock(&b->render->mu);
}

void bot_render_stats(struct bot *b, struct bot_render_stats *out)
{
	struct bot_render *r = b->render;
	uint32_t ms[RENDER_RING], t;
	size_t n, i, k;

	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	out->jobs = r->jobs;
	out->nodata = r->nodata;
	out->failed = r->failed;
	out->busy = r->busy;
	out->pending = r->pending;
	n = r->ms_n;
	memcpy(ms, r->ms, n * sizeof(*ms));
	pthread_mutex_unlock(&r->mu);
	if (!n)
		return;
	for (i = 1; i < n; i++) { /* insertion sort: 256 at most */
		t = ms[i];
		for (k = i; k > 0 && ms[k - 1] > t; k--)
			ms[k] = ms[k - 1];
		ms[k] = t;
	}
	out->p50_ms = ms[(n - 1) / 2];
	out->p99_ms = ms[(n * 99 + 99) / 100 - 1];
	out->max_ms = ms[n - 1];
}
