/* ev_epoll.c — Linux readiness backend for ev.c (epoll(7), level-triggered). */
#include "server/ev/ev.h"
#include "server/ev/ev_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVB_BATCH 1024

struct evb {
	int epfd;
	struct epoll_event ev[EVB_BATCH];
};

int evb_create(struct evb **out, int setsize)
{
	struct evb *b = calloc(1, sizeof(*b));
	(void)setsize;
	if (!b)
		return -1;
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->epfd < 0) {
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
	close(b->epfd);
	free(b);
}

int evb_set(struct evb *b, int fd, int old, int new_mask)
{
	struct epoll_event e = {0};
	int op;

	if (new_mask == 0)
		return old ? epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, &e) : 0;
	op = old ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (new_mask & EV_READ)
		e.events |= EPOLLIN;
	if (new_mask & EV_WRITE)
		e.events |= EPOLLOUT;
	e.data.fd = fd;
	return epoll_ctl(b->epfd, op, fd, &e);
}

int evb_poll(struct evb *b, int timeout_ms, struct evb_fired *out, int max)
{
	int n;

	if (max > EVB_BATCH)
		max = EVB_BATCH;
	n = epoll_wait(b->epfd, b->ev, max, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		uint32_t r = b->ev[i].events;
		int m = 0;
		if (r & EPOLLIN)
			m |= EV_READ;
		if (r & EPOLLOUT)
			m |= EV_WRITE;
		if (r & (EPOLLERR | EPOLLHUP))
			m |= EV_READ | EV_WRITE;
		out[i].fd = b->ev[i].data.fd;
		out[i].mask = m;
	}
	return n;
}

const char *evb_name(void)
{
	return "epoll";
}
