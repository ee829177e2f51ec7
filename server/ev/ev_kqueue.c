/* ev_kqueue.c — BSD readiness backend for ev.c (kqueue(2), kevent(2)).
 * Read and write are separate filters; one fd may fire twice per poll, and
 * ev.c merges nothing: each fired entry carries one bit. */
#include "server/ev/ev.h"
#include "server/ev/ev_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#define EVB_BATCH 1024

struct evb {
	int kq;
	struct kevent ev[EVB_BATCH];
};

int evb_create(struct evb **out, int setsize)
{
	struct evb *b = calloc(1, sizeof(*b));
	(void)setsize;
	if (!b)
		return -1;
	b->kq = kqueue();
	if (b->kq < 0) {
		int e = errno;
		free(b);
		errno = e;
		return -1;
	}
	*out = b;
	return 0;
}

void evb_free(struct evb *b)
{
	if (!b)
		return;
	close(b->kq);
	free(b);
}

int evb_set(struct evb *b, int fd, int old, int new_mask)
{
	struct kevent ch[2];
	int n = 0;

	if ((old & EV_READ) && !(new_mask & EV_READ))
		EV_SET(&ch[n++], fd, EVFILT_READ, EV_DELETE, 0, 0, NULL);
	else if (!(old & EV_READ) && (new_mask & EV_READ))
		EV_SET(&ch[n++], fd, EVFILT_READ, EV_ADD, 0, 0, NULL);
	if ((old & EV_WRITE) && !(new_mask & EV_WRITE))
		EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
	else if (!(old & EV_WRITE) && (new_mask & EV_WRITE))
		EV_SET(&ch[n++], fd, EVFILT_WRITE, EV_ADD, 0, 0, NULL);
	if (n == 0)
		return 0;
	return kevent(b->kq, ch, n, NULL, 0, NULL) < 0 ? -1 : 0;
}

int evb_poll(struct evb *b, int timeout_ms, struct evb_fired *out, int max)
{
	struct timespec ts, *tp = NULL;
	int n;

	if (max > EVB_BATCH)
		max = EVB_BATCH;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	n = kevent(b->kq, NULL, 0, b->ev, max, tp);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		int m = 0;
		if (b->ev[i].filter == EVFILT_READ)
			m = EV_READ;
		else if (b->ev[i].filter == EVFILT_WRITE)
			m = EV_WRITE;
		if (b->ev[i].flags & (EV_EOF | EV_ERROR))
			m |= EV_READ | EV_WRITE;
		out[i].fd = (int)b->ev[i].ident;
		out[i].mask = m;
	}
	return n;
}

const char *evb_name(void)
{
	return "kqueue";
}
