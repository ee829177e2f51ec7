/* ev_backend.h — the private set each readiness backend implements
 * (ev_epoll.c, ev_kqueue.c); only ev.c includes it. Masks are EV_READ and
 * EV_WRITE bits; old is what the backend was last told for fd. */
#ifndef MONBOT_EV_BACKEND_H
#define MONBOT_EV_BACKEND_H

#include <stdint.h>

struct evb;

struct evb_fired {
	int fd;
	int mask;
};

int evb_create(struct evb **out, int setsize);
void evb_free(struct evb *b);
/* Starts, changes or (new == 0) stops watching fd. */
int evb_set(struct evb *b, int fd, int old, int new_mask);
/* Waits up to timeout_ms (-1 forever) and fills out[0..max); returns the
 * count, 0 on timeout or EINTR, -1 on error (errno set). */
int evb_poll(struct evb *b, int timeout_ms, struct evb_fired *out, int max);
const char *evb_name(void);

#endif
