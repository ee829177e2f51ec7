/* ev.c — portable half of the event loop: fd table, timer heap, dispatch.
 * The readiness backend (ev_backend.h) is linked in by the build. */
#include "server/ev/ev.h"
#include "server/ev/ev_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EV_FIRED_MAX 1024
#define EV_NOT_ARMED ((size_t)-1)

struct ev_fdent {
	int mask;
	ev_fd_fn fn;
	void *arg;
};

struct ev_loop {
	struct evb *b;
	int setsize;
	struct ev_fdent *fds;
	struct evb_fired *fired;
	struct ev_timer **heap;
	size_t nheap, capheap;
	uint64_t now;
	uint64_t seq;
	uint64_t (*clock)(void);
	int stop;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ev_loop_new(struct ev_loop **out, int setsize, char *err, size_t errlen)
{
	struct ev_loop *l;
	int rc = EV_ENOMEM;

	*out = NULL;
	if (setsize <= 0) {
		snprintf(err, errlen, "event loop: bad set size %d", setsize);
		return EV_EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		goto fail;
	l->setsize = setsize;
	l->clock = mono_ms;
	l->fds = calloc((size_t)setsize, sizeof(*l->fds));
	l->fired = calloc(EV_FIRED_MAX, sizeof(*l->fired));
	if (!l->fds || !l->fired)
		goto fail;
	if (evb_create(&l->b, setsize) != 0) {
		rc = EV_ESYS;
		goto fail;
	}
	l->now = l->clock();
	*out = l;
	return EV_OK;
fail:
	snprintf(err, errlen, "event loop (%s): %s", evb_name(),
	         rc == EV_ESYS ? strerror(errno) : "out of memory");
	ev_loop_free(l);
	return rc;
}

void ev_loop_free(struct ev_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nheap; i++)
		l->heap[i]->heap_idx = EV_NOT_ARMED;
	if (l->b)
		evb_free(l->b);
	free(l->fds);
	free(l->fired);
	free(l->heap);
	free(l);
}

const char *ev_backend_name(void)
{
	return evb_name();
}

int ev_setsize(const struct ev_loop *l)
{
	return l->setsize;
}

int ev_fd_set(struct ev_loop *l, int fd, int mask, ev_fd_fn fn, void *arg)
{
	struct ev_fdent *e;

	if (fd < 0 || fd >= l->setsize)
		return EV_ERANGE;
	mask &= EV_READ | EV_WRITE;
	if (mask == 0) {
		ev_fd_del(l, fd);
		return EV_OK;
	}
	e = &l->fds[fd];
	if (e->mask != mask && evb_set(l->b, fd, e->mask, mask) != 0)
		return EV_ESYS;
	e->mask = mask;
	e->fn = fn;
	e->arg = arg;
	return EV_OK;
}

int ev_fd_mask(struct ev_loop *l, int fd, int mask)
{
	struct ev_fdent *e;

	if (fd < 0 || fd >= l->setsize)
		return EV_ERANGE;
	e = &l->fds[fd];
	if (!e->fn)
		return EV_EINVAL;
	mask &= EV_READ | EV_WRITE;
	if (mask == e->mask)
		return EV_OK;
	if (mask == 0) {
		/* Keep the owner, watch nothing (a connection paused on both sides). */
		if (evb_set(l->b, fd, e->mask, 0) != 0)
			return EV_ESYS;
		e->mask = 0;
		return EV_OK;
	}
	if (evb_set(l->b, fd, e->mask, mask) != 0)
		return EV_ESYS;
	e->mask = mask;
	return EV_OK;
}

void ev_fd_del(struct ev_loop *l, int fd)
{
	struct ev_fdent *e;

	if (fd < 0 || fd >= l->setsize)
		return;
	e = &l->fds[fd];
	if (e->mask)
		evb_set(l->b, fd, e->mask, 0);
	e->mask = 0;
	e->fn = NULL;
	e->arg = NULL;
}

int ev_fd_get_mask(const struct ev_loop *l, int fd)
{
	if (fd < 0 || fd >= l->setsize)
		return 0;
	return l->fds[fd].mask;
}

/* ---- timers: a binary min-heap on when_ms ---- */

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg)
{
	t->when_ms = 0;
	t->heap_idx = EV_NOT_ARMED;
	t->fn = fn;
	t->arg = arg;
}

int ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx != EV_NOT_ARMED;
}

static void heap_place(struct ev_loop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct ev_loop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (l->heap[p]->when_ms <= t->when_ms)
			break;
		heap_place(l, i, l->heap[p]);
		i = p;
	}
	heap_place(l, i, t);
}

static void heap_down(struct ev_loop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->when_ms < l->heap[c]->when_ms)
			c++;
		if (t->when_ms <= l->heap[c]->when_ms)
			break;
		heap_place(l, i, l->heap[c]);
		i = c;
	}
	heap_place(l, i, t);
}

void ev_timer_stop(struct ev_loop *l, struct ev_timer *t)
{
	size_t i = t->heap_idx;
	struct ev_timer *last;

	if (i == EV_NOT_ARMED || i >= l->nheap || l->heap[i] != t)
		return;
	t->heap_idx = EV_NOT_ARMED;
	last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_place(l, i, last);
	heap_up(l, i);
	heap_down(l, last->heap_idx);
}

int ev_timer_start(struct ev_loop *l, struct ev_timer *t, uint64_t ms)
{
	ev_timer_stop(l, t);
	if (l->nheap == l->capheap) {
		size_t nc = l->capheap ? l->capheap * 2 : 64;
		struct ev_timer **nh = realloc(l->heap, nc * sizeof(*nh));
		if (!nh)
			return EV_ENOMEM;
		l->heap = nh;
		l->capheap = nc;
	}
	t->when_ms = l->now + ms;
	t->seq = ++l->seq;
	l->heap[l->nheap] = t;
	t->heap_idx = l->nheap++;
	heap_up(l, t->heap_idx);
	return EV_OK;
}

uint64_t ev_now(const struct ev_loop *l)
{
	return l->now;
}

void ev_now_update(struct ev_loop *l)
{
	l->now = l->clock();
}

void ev_set_clock(struct ev_loop *l, uint64_t (*now_ms)(void))
{
	l->clock = now_ms ? now_ms : mono_ms;
	l->now = l->clock();
}

static int run_timers(struct ev_loop *l)
{
	int n = 0;
	/* Timers armed by a callback run on a later iteration, so a zero-delay
	 * re-arm cannot spin here forever. */
	uint64_t now = l->now, last = l->seq;
	while (l->nheap > 0 && l->heap[0]->when_ms <= now && l->heap[0]->seq <= last) {
		struct ev_timer *t = l->heap[0];
		ev_timer_stop(l, t);
		t->fn(l, t, t->arg);
		n++;
	}
	return n;
}

int ev_run_once(struct ev_loop *l, int max_wait_ms)
{
	int timeout = max_wait_ms, nf, ran = 0;

	ev_now_update(l);
	if (l->nheap > 0) {
		uint64_t when = l->heap[0]->when_ms;
		int64_t d = when > l->now ? (int64_t)(when - l->now) : 0;
		if (timeout < 0 || d < timeout)
			timeout = d > 0x7fffffff ? 0x7fffffff : (int)d;
	}
	nf = evb_poll(l->b, timeout, l->fired, EV_FIRED_MAX);
	if (nf < 0)
		return errno == EINTR ? 0 : EV_ESYS;
	ev_now_update(l);
	for (int i = 0; i < nf; i++) {
		int fd = l->fired[i].fd;
		struct ev_fdent *e;
		int m;
		if (fd < 0 || fd >= l->setsize)
			continue;
		e = &l->fds[fd];
		/* The fd may have been removed or changed by an earlier callback. */
		m = l->fired[i].mask & e->mask;
		if (m && e->fn) {
			e->fn(l, fd, m, e->arg);
			ran++;
		}
	}
	ran += run_timers(l);
	return ran;
}

int ev_run(struct ev_loop *l)
{
	l->stop = 0;
	while (!l->stop) {
		int rc = ev_run_once(l, -1);
		if (rc < 0)
			return rc;
	}
	return EV_OK;
}

void ev_stop(struct ev_loop *l)
{
	l->stop = 1;
}
