/* transport.c — connections on the server's loop: accept, TLS handshake,
 * reads, bounded output with backpressure, phase deadlines, reaping. A
 * client is freed only from the reaper timer, so code that may close one
 * checks c->dead and returns. Upward only through t->ops. */
#include "server/net/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"
#include "server/metrics.h"
#include "wire/conn.h"

/* GET /speedtest's filler is written straight from this block once the
 * queued output is gone: a peer that does not read holds no copy of it
 * (the queue used to be refilled to 256 KiB, a 512 KiB allocation each). */
static char stream_block[64u << 10];

uint64_t transport_tag(const struct client *c)
{
	return ((uint64_t)(uint32_t)c->fd << 32) | c->gen;
}

struct client *transport_by_tag(struct transport *t, uint64_t tag)
{
	int fd = (int)(tag >> 32);
	struct client *c;
	if (fd < 0 || fd >= t->nfd)
		return NULL;
	c = t->by_fd[fd];
	if (!c || c->dead || c->gen != (uint32_t)tag)
		return NULL;
	return c;
}

void transport_set_state(struct client *c, enum cl_state st)
{
	c->tr->nstate[c->st]--;
	c->st = (uint8_t)st;
	c->tr->nstate[st]++;
}

static int want_mask(int want)
{
	int m = 0;
	if (want & CONN_WANT_READ)
		m |= EV_READ;
	if (want & CONN_WANT_WRITE)
		m |= EV_WRITE;
	return m;
}

static void update_mask(struct client *c)
{
	int m = 0;
	if (c->dead)
		return;
	if (c->st == CL_TLS) {
		m = want_mask(c->hs_want ? c->hs_want : CONN_WANT_READ);
	} else {
		if (c->reading)
			m |= want_mask(c->rd_want ? c->rd_want : CONN_WANT_READ);
		if (obuf_len(&c->out) > 0 || (c->stream_left > 0 && !c->stream_held))
			m |= want_mask(c->wr_want ? c->wr_want : CONN_WANT_WRITE);
	}
	ev_fd_mask(c->tr->loop, c->fd, m);
}

void transport_resume_soon(struct client *c)
{
	ev_timer_start(c->tr->loop, &c->resume, 0);
}

/* ---- closing and reaping ---- */

static void reap(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct transport *t = arg;
	(void)loop;
	(void)timer;
	while (t->dead) {
		struct client *c = t->dead;
		t->dead = c->dnext;
		free(c);
	}
}

void transport_close(struct client *c)
{
	struct transport *t = c->tr;
	if (c->dead)
		return;
	c->dead = 1;
	t->ops->closing(c);
	ev_timer_stop(t->loop, &c->timer);
	ev_timer_stop(t->loop, &c->resume);
	ev_fd_del(t->loop, c->fd);
	conn_close(&c->c);
	if (c->fd >= 0 && c->fd < t->nfd && t->by_fd[c->fd] == c)
		t->by_fd[c->fd] = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	t->nstate[c->st]--;
	t->nclients--;
	obuf_free(&c->out);
	c->dnext = t->dead;
	t->dead = c;
	if (!ev_timer_armed(&t->reap_timer))
		ev_timer_start(t->loop, &t->reap_timer, 0);
	if (t->listen_fd >= 0 && !t->stopping && ev_fd_get_mask(t->loop, t->listen_fd) == 0 &&
	    !ev_timer_armed(&t->accept_timer))
		ev_fd_mask(t->loop, t->listen_fd, EV_READ);
}

/* ---- output ---- */

int transport_append(struct client *c, const void *p, size_t n)
{
	if (obuf_append(&c->out, p, n) != OBUF_OK) {
		mx.output_overflow++;
		log_debug("client %d: output over its limit, dropped", c->fd);
		transport_close(c);
		return -1;
	}
	return 0;
}

char *transport_reserve(struct client *c, size_t n)
{
	char *d = obuf_reserve(&c->out, n);
	if (!d) {
		mx.output_overflow++;
		transport_close(c);
	}
	return d;
}

void transport_stream(struct client *c, uint64_t n, uint64_t rate)
{
	c->stream_left = n;
	c->stream_rate = rate;
	c->stream_t0 = ev_now(c->tr->loop);
	c->stream_sent = 0;
}

/* Filler bytes the stream's rate allows now (a burst of one budget); 0 sets
 * the resume timer for when the next budget is due and holds the stream, so
 * a fast reader cannot take the loop's CPU from the agents. */
static size_t stream_allowance(struct client *c)
{
	uint64_t now, due, wait;
	if (!c->stream_rate)
		return SIZE_MAX;
	now = ev_now(c->tr->loop);
	due = c->stream_rate * (now - c->stream_t0) / 1000 + CLIENT_IO_BUDGET;
	if (due > c->stream_sent)
		return (size_t)(due - c->stream_sent < SIZE_MAX ? due - c->stream_sent : SIZE_MAX);
	wait = (c->stream_sent - due + CLIENT_IO_BUDGET) * 1000 / c->stream_rate + 1;
	c->stream_held = 1;
	ev_timer_start(c->tr->loop, &c->resume, wait);
	return 0;
}

/* Writes what it can, CLIENT_IO_BUDGET bytes at most: the rest goes on a
 * later turn (the write mask stays set, epoll is level-triggered). After
 * CONN_EAGAIN the same bytes are offered again, as TLS requires: the queue's
 * head, or the constant filler block with the same length. Returns -1 when
 * the client was closed. */
static int flush(struct client *c)
{
	size_t budget = CLIENT_IO_BUDGET, allow;
	if (c->dead)
		return -1;
	c->stream_held = 0;
	while (budget > 0 && (obuf_len(&c->out) > 0 || c->stream_left > 0)) {
		int from_queue = obuf_len(&c->out) > 0;
		size_t len = from_queue ? obuf_len(&c->out) : sizeof(stream_block);
		ssize_t n;
		if (!from_queue && c->stream_left < len)
			len = (size_t)c->stream_left;
		if (!from_queue && (allow = stream_allowance(c)) < len) {
			if (allow == 0)
				break;
			len = allow;
		}
		n = conn_write(&c->c, from_queue ? obuf_peek(&c->out) : stream_block, len);
		if (n == CONN_EAGAIN) {
			c->wr_want = (uint8_t)conn_want(&c->c);
			break;
		}
		if (n <= 0) {
			transport_close(c);
			return -1;
		}
		c->wr_want = 0;
		if (from_queue) {
			obuf_consume(&c->out, (size_t)n);
		} else {
			c->stream_left -= (uint64_t)n;
			c->stream_sent += (uint64_t)n;
			mx.speedtest_bytes_down += (uint64_t)n;
		}
		mx.bytes_out += (uint64_t)n;
		c->xfer += (uint64_t)n;
		budget = (size_t)n < budget ? budget - (size_t)n : 0;
	}
	if (obuf_len(&c->out) == 0 && c->stream_left == 0) {
		if (c->close_after) {
			conn_shutdown(&c->c);
			transport_close(c);
			return -1;
		}
		obuf_shrink(&c->out, 4096);
	}
	/* Backpressure: a peer that does not read stops being read. */
	if (c->st == CL_WS && obuf_len(&c->out) > CLIENT_OUT_PAUSE)
		c->reading = 0;
	else if (c->st == CL_WS && !c->reading && obuf_len(&c->out) < CLIENT_OUT_RESUME &&
	         !c->tr->stopping && c->tr->ops->may_resume(c)) {
		c->reading = 1;
		transport_resume_soon(c);
	}
	return 0;
}

void transport_kick(struct client *c)
{
	if (flush(c) == 0)
		update_mask(c);
}

/* ---- input ---- */

ssize_t transport_recv(struct client *c, void *buf, size_t cap)
{
	ssize_t n = conn_read(&c->c, buf, cap);
	if (n == CONN_EAGAIN) {
		c->rd_want = (uint8_t)conn_want(&c->c);
		return 0;
	}
	if (n <= 0) {
		transport_close(c);
		return 0;
	}
	c->rd_want = CONN_WANT_READ;
	mx.bytes_in += (uint64_t)n;
	return n;
}

static void do_handshake(struct client *c)
{
	int rc = conn_handshake(&c->c);
	if (rc == CONN_EAGAIN) {
		c->hs_want = (uint8_t)conn_want(&c->c);
		update_mask(c);
		return;
	}
	if (rc != CONN_OK) {
		char eb[160];
		mx.rejected[MX_REJ_TLS_FAILED]++;
		log_debug("client %d: TLS handshake failed: %s", c->fd,
		          conn_strerror(&c->c, rc, eb, sizeof(eb)));
		transport_close(c);
		return;
	}
	if (conn_is_tls(&c->c))
		mx.tls_handshakes[conn_resumed(&c->c) ? 1 : 0]++;
	c->tr->ops->ready(c);
	if (!c->dead)
		transport_kick(c);
}

static void on_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct client *c = arg;
	(void)loop;
	(void)fd;
	(void)events;
	if (c->dead)
		return;
	if (c->st == CL_TLS) {
		do_handshake(c);
		return;
	}
	if (c->reading) {
		c->tr->ops->readable(c);
		if (c->dead)
			return;
	}
	transport_kick(c);
}

static void on_resume(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	on_fd(loop, -1, EV_READ, arg);
	(void)t;
}

/* A transfer's rules: progress in every window (at least xfer_min_bytes
 * when set), and its overall deadline. A request body that breaks them is
 * the owner's to answer (408); a response under way is closed. */
static void xfer_check(struct client *c)
{
	uint64_t now = ev_now(c->tr->loop), moved = c->xfer - c->xfer_seen;
	uint64_t next = c->xfer_window_ms ? c->xfer_window_ms : CLIENT_XFER_STALL_MS;

	if (moved == 0 || moved < c->xfer_min_bytes ||
	    (c->xfer_deadline && now >= c->xfer_deadline)) {
		mx.rejected[MX_REJ_BODY_TIMEOUT]++;
		log_debug("client %d: transfer too slow or past its deadline (%llu bytes in the last "
		          "window)", c->fd, (unsigned long long)moved);
		if (c->st == CL_BODY) {
			c->xfer_deadline = 0;
			c->xfer_min_bytes = 0;
			c->tr->ops->timeout(c);
		} else {
			transport_close(c);
		}
		return;
	}
	c->xfer_seen = c->xfer;
	if (c->xfer_deadline && c->xfer_deadline - now < next)
		next = c->xfer_deadline - now;
	ev_timer_start(c->tr->loop, &c->timer, next);
}

/* A phase's deadline. */
static void on_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct client *c = arg;

	switch (c->st) {
	case CL_TLS:
		mx.rejected[MX_REJ_TLS_TIMEOUT]++;
		transport_close(c);
		return;
	case CL_HEAD:
		mx.rejected[MX_REJ_HEADER_TIMEOUT]++;
		log_debug("client %d: request head not complete in time", c->fd);
		transport_close(c);
		return;
	case CL_BODY:
	case CL_SEND:
		xfer_check(c);
		return;
	case CL_CLOSING:
		transport_close(c);
		return;
	case CL_KEYCHECK:
	case CL_WS:
		c->tr->ops->timeout(c);
		return;
	default:
		return;
	}
}

/* ---- accepting ---- */

static void on_accept_resume(struct ev_loop *loop, struct ev_timer *timer, void *arg)
{
	struct transport *t = arg;
	(void)timer;
	if (t->listen_fd >= 0 && !t->stopping)
		ev_fd_mask(loop, t->listen_fd, EV_READ);
}

/* A new client in CL_TLS, on the lists; 0, or -1 when it was refused. */
static int client_add(struct transport *t, struct client *c)
{
	int cfd = conn_fd(&c->c);
	mx.connections_accepted++;
	if (cfd >= t->nfd || t->nclients >= t->max_clients) {
		mx.rejected[MX_REJ_CONN_LIMIT]++;
		conn_close(&c->c);
		free(c);
		return -1;
	}
	c->srv = t->owner;
	c->tr = t;
	c->fd = cfd;
	c->gen = ++t->gen;
	if (port_sock_peer(cfd, c->peer, sizeof c->peer, &c->c.sys_errno) != PORT_OK)
		snprintf(c->peer, sizeof c->peer, "?");
	c->st = CL_TLS;
	t->nstate[CL_TLS]++;
	obuf_init(&c->out, CLIENT_OUT_MAX);
	ev_timer_init(&c->timer, on_timer, c);
	ev_timer_init(&c->resume, on_resume, c);
	t->by_fd[cfd] = c;
	c->next = t->clients;
	if (t->clients)
		t->clients->prev = c;
	t->clients = c;
	t->nclients++;
	if (ev_fd_set(t->loop, cfd, EV_READ, on_fd, c) != EV_OK) {
		transport_close(c);
		return -1;
	}
	return 0;
}

static void on_listen(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct transport *t = arg;
	(void)events;
	for (int i = 0; i < 256 && !t->stopping; i++) {
		struct client *c = calloc(1, sizeof(*c));
		int rc;
		if (!c)
			return;
		conn_init(&c->c);
		rc = conn_accept(&c->c, t->tls, fd);
		if (rc == CONN_EAGAIN) {
			free(c);
			return;
		}
		if (rc != CONN_OK) {
			/* EMFILE and friends: pause accepting a moment, or the
			 * level-triggered listener would spin. */
			log_warn("accept: %s", strerror(c->c.sys_errno));
			conn_close(&c->c);
			free(c);
			ev_fd_mask(loop, fd, 0);
			ev_timer_start(loop, &t->accept_timer, 200);
			return;
		}
		if (client_add(t, c) != 0)
			continue;
		ev_timer_start(loop, &c->timer, t->handshake_ms);
		do_handshake(c);
	}
}

/* ---- set-up ---- */

int transport_init(struct transport *t, struct ev_loop *loop, struct conn_tls *tls,
                   const struct transport_ops *ops, struct server *owner,
                   unsigned max_connections, unsigned handshake_ms,
                   char *err, size_t errlen)
{
	unsigned lim;

	memset(t, 0, sizeof(*t));
	t->loop = loop;
	t->tls = tls;
	t->ops = ops;
	t->owner = owner;
	t->listen_fd = -1;
	t->handshake_ms = handshake_ms;
	ev_timer_init(&t->reap_timer, reap, t);
	ev_timer_init(&t->accept_timer, on_accept_resume, t);
	memset(stream_block, 'x', sizeof(stream_block));
	t->nfd = ev_setsize(loop);
	t->by_fd = calloc((size_t)t->nfd, sizeof(*t->by_fd));
	if (!t->by_fd) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lim = (unsigned)t->nfd > 64 ? (unsigned)t->nfd - 64 : 1;
	t->max_clients = max_connections && max_connections < lim ? max_connections : lim;
	return 0;
}

int transport_listen(struct transport *t, const char *addr, unsigned port, char *err, size_t errlen)
{
	int fd = conn_listen(addr, port, 4096, err, errlen);
	if (fd < 0)
		return -1;
	if (ev_fd_set(t->loop, fd, EV_READ, on_listen, t) != EV_OK) {
		close(fd);
		snprintf(err, errlen, "listening socket %d is past the loop's set size", fd);
		return -1;
	}
	t->listen_fd = fd;
	return 0;
}

void transport_stop(struct transport *t)
{
	t->stopping = 1;
	ev_timer_stop(t->loop, &t->accept_timer);
	if (t->listen_fd >= 0) {
		ev_fd_del(t->loop, t->listen_fd);
		close(t->listen_fd);
		t->listen_fd = -1;
	}
}

void transport_free(struct transport *t)
{
	if (!t->by_fd)
		return;
	while (t->clients)
		transport_close(t->clients);
	reap(t->loop, NULL, t);
	ev_timer_stop(t->loop, &t->reap_timer);
	transport_stop(t);
	free(t->by_fd);
	t->by_fd = NULL;
}
