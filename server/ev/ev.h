/* ev.h — the server's event loop: file descriptors (readable/writable) and
 * timers on one thread. ev.c is portable; the readiness backend (epoll on
 * Linux, kqueue on BSD) sits behind ev_backend.h and is picked by the build.
 * Functions return EV_OK (0) or a negative EV_E* code. */
#ifndef MONBOT_EV_H
#define MONBOT_EV_H

#include <stddef.h>
#include <stdint.h>

#define EV_OK      0
#define EV_ERANGE (-1) /* fd outside the loop's set size */
#define EV_ESYS   (-2) /* the backend's system call failed (errno kept) */
#define EV_ENOMEM (-3)
#define EV_EINVAL (-4)

#define EV_READ  1
#define EV_WRITE 2

struct ev_loop;

/* Called with the events that fired (EV_READ and/or EV_WRITE; an error or
 * hang-up is reported as both, so the owner's read or write sees it). */
typedef void (*ev_fd_fn)(struct ev_loop *loop, int fd, int events, void *arg);

struct ev_timer;
typedef void (*ev_timer_fn)(struct ev_loop *loop, struct ev_timer *t, void *arg);

/* A timer owned by the caller (inside its connection struct); the loop keeps
 * a binary heap of pointers to armed timers. */
struct ev_timer {
	uint64_t when_ms;  /* monotonic deadline */
	size_t heap_idx;   /* private; (size_t)-1 when not armed */
	uint64_t seq;      /* private: arming order */
	ev_timer_fn fn;
	void *arg;
};

/* setsize: highest fd + 1 the loop will watch (RLIMIT_NOFILE). err gets the
 * reason on failure. */
int ev_loop_new(struct ev_loop **out, int setsize, char *err, size_t errlen);
/* Frees the loop; the caller closes its own fds. NULL is fine. */
void ev_loop_free(struct ev_loop *loop);
const char *ev_backend_name(void);
int ev_setsize(const struct ev_loop *loop);

/* Watches fd for mask (EV_READ|EV_WRITE); replaces the callback and mask if
 * fd was watched. mask 0 is ev_fd_del. */
int ev_fd_set(struct ev_loop *loop, int fd, int mask, ev_fd_fn fn, void *arg);
/* Changes only the mask of a watched fd (EV_EINVAL when not watched). */
int ev_fd_mask(struct ev_loop *loop, int fd, int mask);
/* Stops watching fd (call before closing it). Unwatched fd: no-op. */
void ev_fd_del(struct ev_loop *loop, int fd);
int ev_fd_get_mask(const struct ev_loop *loop, int fd);

/* Timers. init cannot fail; a timer may be re-armed from its own callback. */
void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg);
/* Arms (or re-arms) t to fire after ms milliseconds. */
int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t ms);
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);
int ev_timer_armed(const struct ev_timer *t);

/* The loop's cached monotonic clock (refreshed once per iteration), ms. */
uint64_t ev_now(const struct ev_loop *loop);
void ev_now_update(struct ev_loop *loop);

/* One iteration: waits up to max_wait_ms (-1 = until the next timer or
 * event), runs the fd callbacks and the due timers. Returns the number of
 * callbacks run, or EV_ESYS (EINTR is not an error: 0). */
int ev_run_once(struct ev_loop *loop, int max_wait_ms);
/* Runs until ev_stop(); returns EV_OK or EV_ESYS. */
int ev_run(struct ev_loop *loop);
void ev_stop(struct ev_loop *loop);

/* Clock source, replaceable for tests (NULL restores the monotonic clock). */
void ev_set_clock(struct ev_loop *loop, uint64_t (*now_ms)(void));

#endif
