/* test_ev_kqueue_emul.c — kqueue(2)/kevent(2) over epoll, for running
 * server/ev_kqueue.c in the event-loop tests on Linux (test_ev_kqueue).
 * Read and write filters are registered separately, as on BSD; an fd ready
 * for both is reported as two events; a hang-up sets EV_EOF; deleting a
 * filter that is not registered fails with ENOENT, as kevent(2) does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/event.h>
#include <unistd.h>

#define EMUL_FDS 4096

struct emul {
	int ep;
	unsigned char filt[EMUL_FDS]; /* bit 1 read, bit 2 write */
};

static struct emul *emul_of[EMUL_FDS];

int kqueue(void)
{
	struct emul *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->ep = epoll_create1(EPOLL_CLOEXEC);
	if (e->ep < 0 || e->ep >= EMUL_FDS) {
		free(e);
		errno = EMFILE;
		return -1;
	}
	free(emul_of[e->ep]); /* a closed kqueue's state under the same number */
	emul_of[e->ep] = e;
	return e->ep;
}

static int apply(struct emul *e, const struct kevent *k)
{
	int fd = (int)k->ident, bit, old, now, op;
	struct epoll_event ev;
	if (fd < 0 || fd >= EMUL_FDS || (k->filter != EVFILT_READ && k->filter != EVFILT_WRITE)) {
		errno = EINVAL;
		return -1;
	}
	bit = k->filter == EVFILT_READ ? 1 : 2;
	old = e->filt[fd];
	if (k->flags & EV_ADD) {
		now = old | bit;
	} else if (k->flags & EV_DELETE) {
		if (!(old & bit)) {
			errno = ENOENT;
			return -1;
		}
		now = old & ~bit;
	} else {
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	ev.events = ((now & 1) ? EPOLLIN : 0) | ((now & 2) ? EPOLLOUT : 0);
	op = !old ? EPOLL_CTL_ADD : !now ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (old == now)
		return 0;
	if (epoll_ctl(e->ep, op, fd, &ev) != 0)
		return -1;
	e->filt[fd] = (unsigned char)now;
	return 0;
}

int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *out, int nout,
           const struct timespec *timeout)
{
	struct emul *e = kq >= 0 && kq < EMUL_FDS ? emul_of[kq] : NULL;
	struct epoll_event evs[256];
	int n, k = 0, ms;
	if (!e) {
		errno = EBADF;
		return -1;
	}
	for (int i = 0; i < nchanges; i++)
		if (apply(e, &changes[i]) != 0)
			return -1;
	if (nout == 0)
		return 0;
	ms = timeout ? (int)(timeout->tv_sec * 1000 + timeout->tv_nsec / 1000000) : -1;
	n = epoll_wait(e->ep, evs, nout / 2 > 0 ? (nout / 2 < 256 ? nout / 2 : 256) : 1, ms);
	if (n < 0)
		return -1;
	for (int i = 0; i < n && k < nout; i++) {
		int fd = evs[i].data.fd;
		unsigned hup = evs[i].events & (EPOLLHUP | EPOLLERR);
		if ((e->filt[fd] & 1) && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
			EV_SET(&out[k], (uintptr_t)fd, EVFILT_READ, hup ? EV_EOF : 0, 0, 0, NULL);
			k++;
		}
		if ((e->filt[fd] & 2) && k < nout && (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
			EV_SET(&out[k], (uintptr_t)fd, EVFILT_WRITE, hup ? EV_EOF : 0, 0, 0, NULL);
			k++;
		}
	}
	return k;
}
