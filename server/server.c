/* server.c — the owner of the server core's layers: it sets the transport's
 * handlers (dispatching by the connection's phase to HTTP or the agent
 * session), watches the store's fd, takes calls posted from other threads,
 * and runs set-up and the graceful shutdown (SPEC §5). */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/commands.h"
#include "server/http_serve.h"
#include "server/log.h"
#include "server/session.h"

/* ---- the transport's handlers ---- */

static void on_readable(struct client *c)
{
	switch (c->st) {
	case CL_HEAD:
	case CL_BODY: http_serve_read(c); break;
	case CL_WS: session_read(c); break;
	default: break;
	}
}

static void on_timeout(struct client *c)
{
	if (c->st == CL_WS) {
		session_timeout(c);
	} else if (c->st == CL_BODY) {
		/* too slow, or past SPEEDTEST_TIMEOUT */
		http_serve_error(c, 408);
		transport_kick(c);
	} else if (c->st == CL_KEYCHECK) {
		/* the database did not answer in time */
		http_serve_error(c, 503);
		transport_kick(c);
	}
}

static void on_closing(struct client *c)
{
	session_detach(c);
	http_serve_release(c);
}

static const struct transport_ops client_ops = {
	.ready = http_serve_start,
	.readable = on_readable,
	.timeout = on_timeout,
	.closing = on_closing,
	.may_resume = session_may_resume,
};

/* ---- calls from other threads ---- */

struct server_post {
	server_post_fn fn;
	void *arg;
	struct server_post *next;
};

int server_post(struct server *s, server_post_fn fn, void *arg)
{
	struct server_post *p = malloc(sizeof(*p));
	char b = 1;
	if (!p)
		return -1;
	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&s->post_mu);
	if (s->post_tail)
		s->post_tail->next = p;
	else
		s->post_head = p;
	s->post_tail = p;
	pthread_mutex_unlock(&s->post_mu);
	if (write(s->post_fd[1], &b, 1) < 0) {
		/* full pipe: a wake-up is pending already */
	}
	return 0;
}

static void on_post_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct server *s = arg;
	struct server_post *p;
	char buf[256];
	(void)loop;
	(void)events;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&s->post_mu);
	p = s->post_head;
	s->post_head = s->post_tail = NULL;
	pthread_mutex_unlock(&s->post_mu);
	while (p) {
		struct server_post *n = p->next;
		p->fn(s, p->arg);
		free(p);
		p = n;
	}
}

static int post_pipe_open(struct server *s)
{
	if (pipe(s->post_fd) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (fcntl(s->post_fd[i], F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(s->post_fd[i], F_SETFD, FD_CLOEXEC) != 0)
			return -1;
	return ev_fd_set(s->loop, s->post_fd[0], EV_READ, on_post_fd, s) == EV_OK ? 0 : -1;
}

static void post_pipe_close(struct server *s)
{
	struct server_post *p = s->post_head;
	if (s->post_fd[0] < 0)
		return;
	ev_fd_del(s->loop, s->post_fd[0]);
	close(s->post_fd[0]);
	close(s->post_fd[1]);
	s->post_fd[0] = s->post_fd[1] = -1;
	while (p) {
		struct server_post *n = p->next;
		free(p);
		p = n;
	}
	s->post_head = s->post_tail = NULL;
	pthread_mutex_destroy(&s->post_mu);
}

/* ---- set-up, shutdown ---- */

int server_init(struct server *s, const struct server_config *cfg, struct ev_loop *loop,
                struct conn_tls *tls, struct store_async *store, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->loop = loop;
	s->store = store;
	s->started = server_wall_now();
	s->ws_upgrade = commands_keycheck;
	s->post_fd[0] = s->post_fd[1] = -1;
	agents_init(&s->agents);
	guard_init(&s->guard, cfg->key_guess_limit);
	ev_timer_init(&s->expire_timer, commands_expire_tick, s);
	ev_timer_init(&s->poll_timer, commands_poll_tick, s);
	ev_timer_init(&s->hold_timer, session_hold_tick, s);
	if (transport_init(&s->tr, loop, tls, &client_ops, s, cfg->max_connections,
	                   cfg->handshake_timeout_ms, err, errlen) != 0)
		return -1;
	pthread_mutex_init(&s->post_mu, NULL);
	if (post_pipe_open(s) != 0) {
		snprintf(err, errlen, "post pipe: %s", strerror(errno));
		return -1;
	}
	if (ev_fd_set(loop, store_async_fd(store), EV_READ, session_on_store_fd, s) != EV_OK) {
		snprintf(err, errlen, "cannot watch the store's fd");
		return -1;
	}
	ev_timer_start(loop, &s->expire_timer, 2000);
	if (cfg->command_poll_ms)
		ev_timer_start(loop, &s->poll_timer, cfg->command_poll_ms);
	return 0;
}

int server_listen(struct server *s, char *err, size_t errlen)
{
	return transport_listen(&s->tr, s->cfg->listen_addr[0] ? s->cfg->listen_addr : NULL,
	                        s->cfg->port, err, errlen);
}

void server_set_hook(struct server *s, agent_hook_fn fn, void *ctx)
{
	s->hook = fn;
	s->hook_ctx = ctx;
}

static void close_sessions(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	struct client *c = s->tr.clients, *n;
	(void)loop;
	(void)t;
	for (; c; c = n) {
		n = c->next;
		if (c->st == CL_WS) {
			session_close_with(c, 1001, "server shutting down");
			transport_kick(c);
		}
	}
	s->flushed = 1;
}

static void flush_done(void *arg, int rc)
{
	struct server *s = arg;
	if (rc != STORE_OK)
		log_warn("shutdown: the store could not confirm every sample yet (%s)",
		         store_strerror(rc));
	/* Acks for the last commits come in this same dispatch: close on the
	 * next turn, after they are queued. */
	ev_timer_start(s->loop, &s->close_timer, 0);
}

void server_begin_shutdown(struct server *s)
{
	struct client *c, *n;
	if (s->stopping)
		return;
	s->stopping = 1;
	ev_timer_stop(s->loop, &s->expire_timer);
	ev_timer_stop(s->loop, &s->poll_timer);
	ev_timer_stop(s->loop, &s->hold_timer);
	transport_stop(&s->tr);
	ev_timer_init(&s->close_timer, close_sessions, s);
	for (c = s->tr.clients; c; c = n) {
		n = c->next;
		if (c->st == CL_WS) {
			/* what the agents already sent is "received": take it */
			c->reading = 1;
			session_read(c);
			if (c->dead)
				continue;
			c->reading = 0;
			ev_timer_stop(s->loop, &c->resume);
			transport_kick(c);
		} else if (c->st != CL_SEND && c->st != CL_CLOSING) {
			transport_close(c);
		}
	}
	if (store_async_flush(s->store, flush_done, s) != STORE_OK)
		flush_done(s, STORE_ESTOPPED);
}

int server_shutdown_done(const struct server *s)
{
	return s->flushed && s->tr.nclients == 0;
}

void server_free(struct server *s)
{
	transport_free(&s->tr);
	ev_timer_stop(s->loop, &s->expire_timer);
	ev_timer_stop(s->loop, &s->poll_timer);
	ev_timer_stop(s->loop, &s->hold_timer);
	ev_timer_stop(s->loop, &s->close_timer);
	if (s->store)
		ev_fd_del(s->loop, store_async_fd(s->store));
	agents_free(&s->agents);
	dist_free(&s->dist);
	post_pipe_close(s);
}
