/* sys/event.h for Linux test builds only: the subset of FreeBSD's kqueue(2)
 * interface server/ev_kqueue.c uses (names and semantics from the FreeBSD
 * manual page), implemented over epoll by test_ev_kqueue_emul.c so that the
 * kqueue backend runs the event-loop tests here. Not for production. */
#ifndef MONBOT_TEST_SYS_EVENT_H
#define MONBOT_TEST_SYS_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
	uintptr_t ident;
	short filter;
	unsigned short flags;
	unsigned int fflags;
	intptr_t data;
	void *udata;
};

#define EVFILT_READ  (-1)
#define EVFILT_WRITE (-2)

#define EV_ADD    0x0001
#define EV_DELETE 0x0002
#define EV_ERROR  0x4000
#define EV_EOF    0x8000

#define EV_SET(kevp, a, b, c, d, e, f) do {                                   \
		struct kevent *ev_set_p_ = (kevp);                            \
		ev_set_p_->ident = (a); ev_set_p_->filter = (b);              \
		ev_set_p_->flags = (c); ev_set_p_->fflags = (d);              \
		ev_set_p_->data = (e); ev_set_p_->udata = (f);                \
	} while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
           int nevents, const struct timespec *timeout);

#endif
