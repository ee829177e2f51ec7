/* async.c — the database thread behind store_async.h: one
 * FIFO of samples and calls from the event loop, a write buffer that holds
 * samples while the database is away (bounded), batched transactions, and
 * completions handed back through an eventfd. The loop never waits on it
 * except in store_async_stop. */
#include "server/store/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WRITE_BATCH 1000   /* rows per transaction */
#define FOLD_SLICE 250     /* minutes folded per tick (~60 ms) */
#define PURGE_SLICE 100    /* keys purged per tick */

enum { Q_SAMPLE, Q_CALL, Q_FLUSH };

struct qnode {
	struct qnode *next;
	int kind;
	int rc;
	uint64_t tag;
	store_call_fn fn;
	store_done_fn done;
	void *arg;
	size_t bytes;
	struct store_row row;
	char data[];
};

struct store_async {
	struct store_config cfg;
	int allow_down;
	pthread_t th;
	pthread_mutex_t mu;          /* queue, bounds, stats snapshot, stop flag */
	pthread_cond_t cv;
	struct qnode *qh, *qt;
	size_t rows, bytes;          /* queued + buffered samples */
	int stopping;
	int ready, open_rc;
	char err[STORE_ERR_LEN];
	struct store_stats snap;
	uint64_t dropped_full, requests_done;
	int efd;
	pthread_mutex_t cmu;         /* completions */
	struct store_ev *evs;
	size_t nev, cev;
	struct qnode *dh, *dt;
	/* database thread only */
	struct store *st;
	struct qnode *bh, *bt;       /* write buffer, submission order */
	size_t bn;
	int64_t last_try_ms;
	int64_t started;
	int64_t unwritten;
	int64_t purge_at;            /* the purge in progress, by its "now" */
	struct store_row *rows_buf;  /* WRITE_BATCH rows handed to store_insert */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake_loop(struct store_async *a)
{
	uint64_t one = 1;
	ssize_t r;
	do
		r = write(a->efd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
}

/* ---- completions (database thread -> loop) ----------------------------------- */

static void push_events(struct store_async *a, const struct store_ev *ev, size_t n)
{
	if (!n)
		return;
	pthread_mutex_lock(&a->cmu);
	if (a->nev + n > a->cev) {
		size_t nc = a->cev ? a->cev : 256;
		while (nc < a->nev + n)
			nc *= 2;
		struct store_ev *p = realloc(a->evs, nc * sizeof(*p));
		if (!p) {
			/* Losing an event only delays an ack: the agent resends. */
			pthread_mutex_unlock(&a->cmu);
			return;
		}
		a->evs = p;
		a->cev = nc;
	}
	memcpy(a->evs + a->nev, ev, n * sizeof(*ev));
	a->nev += n;
	pthread_mutex_unlock(&a->cmu);
	wake_loop(a);
}

static void push_done(struct store_async *a, struct qnode *q)
{
	q->next = NULL;
	pthread_mutex_lock(&a->cmu);
	if (a->dt)
		a->dt->next = q;
	else
		a->dh = q;
	a->dt = q;
	pthread_mutex_unlock(&a->cmu);
	pthread_mutex_lock(&a->mu);
	a->requests_done++;
	pthread_mutex_unlock(&a->mu);
	wake_loop(a);
}

/* ---- writing the buffer --------------------------------------------------------- */

struct grp {
	const struct qnode *q;
	size_t i;      /* index into the batch */
	int status;    /* 0 stored, else the refusal code */
};

static int grp_cmp(const void *x, const void *y)
{
	const struct grp *a = x, *b = y;
	const struct qnode *p = a->q, *q = b->q;
	int c;
	if (p->tag != q->tag)
		return p->tag < q->tag ? -1 : 1;
	if ((c = strcmp(p->row.secret, q->row.secret)))
		return c;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* One event per (tag, secret, outcome) of a batch. */
static void report(struct store_async *a, struct qnode **nodes, const int *res, size_t n)
{
	struct grp *g = malloc(n * sizeof(*g));
	struct store_ev *ev = malloc(n * sizeof(*ev));
	size_t ne = 0;
	if (!g || !ev)
		goto out;
	for (size_t i = 0; i < n; i++) {
		g[i].q = nodes[i];
		g[i].i = i;
		g[i].status = res[i] == 0 ? 0 : res[i];
	}
	qsort(g, n, sizeof(*g), grp_cmp);
	for (size_t i = 0; i < n;) {
		const struct qnode *q = nodes[g[i].i];
		struct store_ev *e = &ev[ne++];
		size_t j = i;
		memset(e, 0, sizeof(*e));
		e->kind = g[i].status == 0 ? STORE_EV_STORED : STORE_EV_REFUSED;
		e->tag = q->tag;
		memcpy(e->secret, q->row.secret, sizeof(e->secret));
		e->rc = g[i].status;
		e->ts = q->row.ts;
		while (j < n && nodes[g[j].i]->tag == q->tag && !strcmp(nodes[g[j].i]->row.secret, q->row.secret) &&
		       g[j].status == g[i].status) {
			int64_t ts = nodes[g[j].i]->row.ts;
			if (e->kind == STORE_EV_STORED ? ts > e->ts : ts < e->ts)
				e->ts = ts;
			e->count++;
			j++;
		}
		i = j;
	}
	push_events(a, ev, ne);
out:
	free(g);
	free(ev);
}

static void release_rows(struct store_async *a, size_t rows, size_t bytes)
{
	pthread_mutex_lock(&a->mu);
	a->rows -= rows;
	a->bytes -= bytes;
	pthread_mutex_unlock(&a->mu);
}

static void write_buffer(struct store_async *a)
{
	struct qnode *nodes[WRITE_BATCH];
	struct store_row *rows = a->rows_buf;
	int res[WRITE_BATCH];
	while (a->bn && store_connected(a->st)) {
		size_t n = 0, bytes = 0;
		int rc;
		for (struct qnode *q = a->bh; q && n < WRITE_BATCH; q = q->next) {
			nodes[n] = q;
			rows[n] = q->row;
			n++;
		}
		rc = store_insert(a->st, rows, n, res);
		if (rc == STORE_EDOWN)
			return; /* kept, in order, for after the reconnect */
		/* the room first: a loop woken by the report sees it
		 * (store_async_fill, the sessions held back by it) */
		for (size_t i = 0; i < n; i++)
			bytes += nodes[i]->bytes;
		release_rows(a, n, bytes);
		report(a, nodes, res, n);
		for (size_t i = 0; i < n; i++) {
			struct qnode *q = a->bh;
			a->bh = q->next;
			free(q);
		}
		if (!a->bh)
			a->bt = NULL;
		a->bn -= n;
	}
}

static void try_reconnect(struct store_async *a, int force)
{
	int64_t t = now_ms();
	if (store_connected(a->st))
		return;
	if (!force && t - a->last_try_ms < a->cfg.reconnect_ms)
		return;
	a->last_try_ms = t;
	store_reconnect(a->st);
}

static void snapshot(struct store_async *a)
{
	struct store_stats s;
	store_get_stats(a->st, &s);
	pthread_mutex_lock(&a->mu);
	a->snap = s;
	pthread_mutex_unlock(&a->mu);
}

static void process(struct store_async *a, struct qnode *q)
{
	while (q) {
		struct qnode *next = q->next;
		q->next = NULL;
		if (q->kind == Q_SAMPLE) {
			if (a->bt)
				a->bt->next = q;
			else
				a->bh = q;
			a->bt = q;
			a->bn++;
		} else {
			write_buffer(a);
			if (q->kind == Q_CALL) {
				try_reconnect(a, 0);
				q->rc = store_connected(a->st) ? q->fn(a->st, q->arg) : STORE_EDOWN;
				release_rows(a, 1, q->bytes);
			} else {
				/* A flush is worth one immediate reconnect attempt. */
				if (a->bn) {
					try_reconnect(a, 1);
					write_buffer(a);
				}
				q->rc = a->bn ? STORE_EDOWN : 0;
			}
			if (q->done)
				push_done(a, q);
			else
				free(q);
		}
		q = next;
	}
	write_buffer(a);
}

static void tick(struct store_async *a)
{
	int64_t now = (int64_t)time(NULL);
	try_reconnect(a, 0);
	if (store_connected(a->st)) {
		write_buffer(a);
		/* Slices, so samples wait at most one slice: every agent's minute
		 * ends at the same moment. */
		store_rollup_some(a->st, now, 0, FOLD_SLICE);
		/* Daily purge, not in the first minute so start-up stays quick. */
		if (a->purge_at || (now - a->st->last_purge >= 86400 && now_ms() - a->started > 60000)) {
			if (!a->purge_at)
				a->purge_at = now;
			if (store_purge_step(a->st, a->purge_at, PURGE_SLICE) != 0)
				a->purge_at = 0;
		}
	}
	snapshot(a);
}

static struct qnode *take_queue(struct store_async *a)
{
	struct qnode *q = a->qh;
	a->qh = a->qt = NULL;
	return q;
}

static void finish(struct store_async *a)
{
	int64_t deadline = now_ms() + a->cfg.shutdown_wait_ms;
	struct qnode *q;
	pthread_mutex_lock(&a->mu);
	q = take_queue(a);
	pthread_mutex_unlock(&a->mu);
	process(a, q);
	while (a->bn && now_ms() < deadline) {
		struct timespec ts = {0, 100 * 1000000L};
		try_reconnect(a, 0);
		write_buffer(a);
		if (a->bn)
			nanosleep(&ts, NULL);
	}
	if (store_connected(a->st))
		store_rollup_run(a->st, (int64_t)time(NULL), 1);
	a->unwritten = (int64_t)a->bn;
	if (a->bn) {
		/* Not acked: the agents still hold these in their spools. */
		struct qnode **nodes = malloc(a->bn * sizeof(*nodes));
		int *res = malloc(a->bn * sizeof(*res));
		size_t n = 0, bytes = 0;
		store_log(a->st, 3, "shutdown: %zu samples could not be written (the database is away)", a->bn);
		for (struct qnode *p = a->bh; p; p = p->next) {
			if (nodes && res) {
				nodes[n] = p;
				res[n] = STORE_EDOWN;
			}
			n++;
		}
		if (nodes && res)
			report(a, nodes, res, n);
		while (a->bh) {
			struct qnode *p = a->bh;
			a->bh = p->next;
			bytes += p->bytes;
			free(p);
		}
		a->bt = NULL;
		release_rows(a, a->bn, bytes);
		a->bn = 0;
		free(nodes);
		free(res);
	}
	snapshot(a);
}

static void *db_thread(void *p)
{
	struct store_async *a = p;
	int rc;
	char err[STORE_ERR_LEN] = "";
	int64_t next_tick;
	int period = a->cfg.reconnect_ms < 1000 ? a->cfg.reconnect_ms : 1000;
	a->st = store_new(&a->cfg);
	rc = a->st ? store_connect(a->st, err) : STORE_ENOMEM;
	if (rc != 0 && !(a->allow_down && rc == STORE_EDOWN)) {
		pthread_mutex_lock(&a->mu);
		a->open_rc = rc;
		snprintf(a->err, sizeof(a->err), "%s", err[0] ? err : store_strerror(rc));
		a->ready = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		store_close(a->st);
		a->st = NULL;
		return NULL;
	}
	if (rc != 0)
		store_log(a->st, 2, "database unavailable at start, retrying: %s", err);
	a->last_try_ms = now_ms();
	a->started = now_ms();
	snapshot(a);
	pthread_mutex_lock(&a->mu);
	a->ready = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	next_tick = now_ms() + period;
	for (;;) {
		struct qnode *q;
		int stopping;
		pthread_mutex_lock(&a->mu);
		while (!a->qh && !a->stopping && now_ms() < next_tick) {
			struct timespec ts;
			int64_t wait = next_tick - now_ms();
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&a->cv, &a->mu, &ts);
		}
		stopping = a->stopping;
		q = stopping ? NULL : take_queue(a);
		pthread_mutex_unlock(&a->mu);
		if (stopping)
			break;
		process(a, q);
		if (now_ms() >= next_tick) {
			tick(a);
			next_tick = now_ms() + period;
		}
	}
	finish(a);
	return NULL;
}

/* ---- the loop's side --------------------------------------------------------------- */

int store_async_start(struct store_async **out, const struct store_config *cfg, int allow_down,
                      char err[STORE_ERR_LEN])
{
	struct store_async *a = calloc(1, sizeof(*a));
	sigset_t all, old;
	int rc;
	*out = NULL;
	if (!a) {
		if (err)
			snprintf(err, STORE_ERR_LEN, "out of memory");
		return STORE_ENOMEM;
	}
	a->cfg = *cfg;
	if (!a->cfg.max_buffered_rows)
		a->cfg.max_buffered_rows = 200000;
	if (!a->cfg.max_buffered_bytes)
		a->cfg.max_buffered_bytes = 96u << 20;
	if (a->cfg.reconnect_ms <= 0)
		a->cfg.reconnect_ms = 1000;
	if (a->cfg.shutdown_wait_ms < 0)
		a->cfg.shutdown_wait_ms = 0;
	a->allow_down = allow_down;
	a->rows_buf = malloc(WRITE_BATCH * sizeof(*a->rows_buf));
	if (!a->rows_buf) {
		free(a);
		return STORE_ENOMEM;
	}
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->efd < 0) {
		if (err)
			snprintf(err, STORE_ERR_LEN, "eventfd: %s", strerror(errno));
		free(a->rows_buf);
		free(a);
		return STORE_EDB;
	}
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->cmu, NULL);
	pthread_cond_init(&a->cv, NULL);
	/* Signals belong to the loop, not to the database thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->th, NULL, db_thread, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		if (err)
			snprintf(err, STORE_ERR_LEN, "pthread_create: %s", strerror(rc));
		close(a->efd);
		free(a->rows_buf);
		free(a);
		return STORE_ENOMEM;
	}
	pthread_mutex_lock(&a->mu);
	while (!a->ready)
		pthread_cond_wait(&a->cv, &a->mu);
	rc = a->open_rc;
	pthread_mutex_unlock(&a->mu);
	if (rc != 0) {
		if (err)
			snprintf(err, STORE_ERR_LEN, "%s", a->err);
		pthread_join(a->th, NULL);
		close(a->efd);
		free(a->rows_buf);
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int store_async_fd(const struct store_async *a)
{
	return a->efd;
}

static void enqueue(struct store_async *a, struct qnode *q)
{
	int was_empty = !a->qh;
	q->next = NULL;
	if (a->qt)
		a->qt->next = q;
	else
		a->qh = q;
	a->qt = q;
	if (was_empty)
		pthread_cond_signal(&a->cv);
}

unsigned store_async_fill(struct store_async *a)
{
	size_t r, b;
	unsigned pr, pb;
	pthread_mutex_lock(&a->mu);
	r = a->rows;
	b = a->bytes;
	pthread_mutex_unlock(&a->mu);
	pr = a->cfg.max_buffered_rows ? (unsigned)(r * 100 / a->cfg.max_buffered_rows) : 100;
	pb = a->cfg.max_buffered_bytes ? (unsigned)(b * 100 / a->cfg.max_buffered_bytes) : 100;
	pr = pr > pb ? pr : pb;
	return pr > 100 ? 100 : pr;
}

int store_async_sample(struct store_async *a, uint64_t tag, const struct store_row *row)
{
	size_t ld = row->disks ? strlen(row->disks) + 1 : 0;
	size_t lp = row->top_procs ? strlen(row->top_procs) + 1 : 0;
	size_t lg = row->gpus ? strlen(row->gpus) + 1 : 0;
	size_t lf = row->fleet ? strlen(row->fleet) + 1 : 0;
	size_t bytes = sizeof(struct qnode) + ld + lp + lg + lf;
	struct qnode *q;
	char *d;
	pthread_mutex_lock(&a->mu);
	if (a->stopping) {
		pthread_mutex_unlock(&a->mu);
		return STORE_ESTOPPED;
	}
	if (a->rows + 1 > a->cfg.max_buffered_rows || a->bytes + bytes > a->cfg.max_buffered_bytes) {
		a->dropped_full++;
		pthread_mutex_unlock(&a->mu);
		return STORE_EFULL;
	}
	a->rows++;
	a->bytes += bytes;
	pthread_mutex_unlock(&a->mu);
	q = malloc(bytes);
	if (!q) {
		release_rows(a, 1, bytes);
		return STORE_ENOMEM;
	}
	memset(q, 0, sizeof(*q));
	q->kind = Q_SAMPLE;
	q->tag = tag;
	q->bytes = bytes;
	q->row = *row;
	d = q->data;
	if (ld) {
		memcpy(d, row->disks, ld);
		q->row.disks = d;
		d += ld;
	}
	if (lp) {
		memcpy(d, row->top_procs, lp);
		q->row.top_procs = d;
		d += lp;
	}
	if (lg) {
		memcpy(d, row->gpus, lg);
		q->row.gpus = d;
		d += lg;
	}
	if (lf) {
		memcpy(d, row->fleet, lf);
		q->row.fleet = d;
	}
	pthread_mutex_lock(&a->mu);
	if (a->stopping) {
		a->rows--;
		a->bytes -= bytes;
		pthread_mutex_unlock(&a->mu);
		free(q);
		return STORE_ESTOPPED;
	}
	enqueue(a, q);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

/* A call counts against the same bound as the samples (one row plus the
 * bytes its caller declared) from submission until it has run; a flush is
 * not counted (the shutdown's one must always go through). */
static int submit(struct store_async *a, int kind, store_call_fn fn, store_done_fn done, void *arg,
                  size_t carried)
{
	size_t bytes = sizeof(struct qnode) + carried;
	struct qnode *q = calloc(1, sizeof(*q));
	if (!q)
		return STORE_ENOMEM;
	q->kind = kind;
	q->fn = fn;
	q->done = done;
	q->arg = arg;
	pthread_mutex_lock(&a->mu);
	if (a->stopping) {
		pthread_mutex_unlock(&a->mu);
		free(q);
		return STORE_ESTOPPED;
	}
	if (kind == Q_CALL) {
		if (a->rows + 1 > a->cfg.max_buffered_rows || a->bytes + bytes > a->cfg.max_buffered_bytes) {
			a->dropped_full++;
			pthread_mutex_unlock(&a->mu);
			free(q);
			return STORE_EFULL;
		}
		q->bytes = bytes;
		a->rows++;
		a->bytes += bytes;
	}
	enqueue(a, q);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

int store_async_call_sized(struct store_async *a, store_call_fn fn, store_done_fn done, void *arg,
                           size_t carried)
{
	if (!fn)
		return STORE_EINVAL;
	return submit(a, Q_CALL, fn, done, arg, carried);
}

int store_async_call(struct store_async *a, store_call_fn fn, store_done_fn done, void *arg)
{
	return store_async_call_sized(a, fn, done, arg, 0);
}

int store_async_flush(struct store_async *a, store_done_fn done, void *arg)
{
	return submit(a, Q_FLUSH, NULL, done, arg, 0);
}

int store_async_dispatch(struct store_async *a, store_ev_fn on_ev, void *ctx)
{
	uint64_t v;
	struct store_ev *evs;
	struct qnode *d;
	size_t nev, count = 0;
	ssize_t r;
	do
		r = read(a->efd, &v, sizeof(v));
	while (r < 0 && errno == EINTR);
	pthread_mutex_lock(&a->cmu);
	evs = a->evs;
	nev = a->nev;
	a->evs = NULL;
	a->nev = a->cev = 0;
	d = a->dh;
	a->dh = a->dt = NULL;
	pthread_mutex_unlock(&a->cmu);
	if (nev && on_ev)
		on_ev(ctx, evs, nev);
	count += nev;
	free(evs);
	while (d) {
		struct qnode *next = d->next;
		d->done(d->arg, d->rc);
		free(d);
		d = next;
		count++;
	}
	return (int)count;
}

void store_async_stats(struct store_async *a, struct store_stats *out)
{
	pthread_mutex_lock(&a->mu);
	*out = a->snap;
	out->rows_dropped_full = a->dropped_full;
	out->queued_rows = a->rows;
	out->queued_bytes = a->bytes;
	out->requests_done = a->requests_done;
	pthread_mutex_unlock(&a->mu);
}

int64_t store_async_stop(struct store_async *a)
{
	pthread_mutex_lock(&a->mu);
	if (a->stopping) {
		pthread_mutex_unlock(&a->mu);
		return a->unwritten;
	}
	a->stopping = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	store_close(a->st);
	a->st = NULL;
	return a->unwritten;
}

void store_async_free(struct store_async *a)
{
	if (!a)
		return;
	store_async_stop(a);
	free(a->evs);
	while (a->dh) {
		struct qnode *n = a->dh->next;
		free(a->dh);
		a->dh = n;
	}
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->cmu);
	pthread_cond_destroy(&a->cv);
	close(a->efd);
	free(a->rows_buf);
	free(a);
}
