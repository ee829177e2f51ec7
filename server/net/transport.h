/* transport.h — the lowest layer of the server core: accepting connections,
 * the TLS handshake, reading, a bounded output queue per client, phase
 * deadlines and freeing closed clients. It knows nothing of HTTP or agents:
 * it calls upward only through the table of handlers its owner sets (the
 * way libubox's ustream notifies), so the layers above depend on it and
 * never the other way round. Loop thread only. */
#ifndef MONBOT_SERVER_TRANSPORT_H
#define MONBOT_SERVER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/net/client.h"
#include "server/ev/ev.h"

struct conn_tls;

/* What the owner is told. Every handler is required. */
struct transport_ops {
	/* The TLS handshake finished (or a plain connection was accepted):
	 * the request may be read. */
	void (*ready)(struct client *c);
	/* c->reading is set and the peer sent bytes (or TLS holds some):
	 * pull them with transport_recv(). */
	void (*readable)(struct client *c);
	/* The deadline of CL_KEYCHECK or CL_WS ran out, or a request body
	 * (CL_BODY) broke its transfer rules (client.h xfer_*): answer it. The
	 * other phases' deadlines close the connection here. */
	void (*timeout)(struct client *c);
	/* c is being closed: let go of what the layers above hold. */
	void (*closing)(struct client *c);
	/* A session's output drained below CLIENT_OUT_RESUME while its reading
	 * was paused: may reading start again? */
	int (*may_resume)(const struct client *c);
};

struct transport {
	struct ev_loop *loop;
	struct conn_tls *tls;          /* NULL: plain TCP (TLS=0) */
	const struct transport_ops *ops;
	struct server *owner;          /* given to each client as c->srv */
	int listen_fd;
	struct client **by_fd;         /* fd -> client */
	int nfd;
	struct client *clients;        /* every open connection */
	unsigned nclients, max_clients;
	unsigned nstate[CL__N];        /* connections per state */
	uint32_t gen;
	int stopping;                  /* accepts no more, resumes no reading */
	struct client *dead;           /* closed, freed by the reaper */
	struct ev_timer reap_timer, accept_timer;
	unsigned handshake_ms;         /* HANDSHAKE_TIMEOUT */
};

/* Sets up (does not listen yet); max_connections 0 = as many as the loop's
 * set size allows. Returns 0, or -1 with err set. */
int transport_init(struct transport *t, struct ev_loop *loop, struct conn_tls *tls,
                   const struct transport_ops *ops, struct server *owner,
                   unsigned max_connections, unsigned handshake_ms,
                   char *err, size_t errlen);
int transport_listen(struct transport *t, const char *addr, unsigned port, char *err, size_t errlen);
/* Stops accepting (shutdown). */
void transport_stop(struct transport *t);
/* Closes every connection left and frees everything. */
void transport_free(struct transport *t);

/* A client's tag survives its fd being reused: for replies that come back
 * from another thread. transport_by_tag() is NULL once the client is gone. */
uint64_t transport_tag(const struct client *c);
struct client *transport_by_tag(struct transport *t, uint64_t tag);

void transport_set_state(struct client *c, enum cl_state st);
/* Closes now (the memory goes on the next turn: callers check c->dead). */
void transport_close(struct client *c);
/* Queues output; past the client's limit the client is closed (-1). */
int transport_append(struct client *c, const void *p, size_t n);
/* Room for n bytes at the output's tail, NULL past the limit (then
 * obuf_commit on c->out). */
char *transport_reserve(struct client *c, size_t n);
/* After the queued output, n filler bytes written as the peer reads them
 * (GET /speedtest), from one static block: no memory per peer; at most
 * rate bytes/s (0 = as fast as the peer reads). */
void transport_stream(struct client *c, uint64_t n, uint64_t rate);
/* Writes what it can and updates what the loop waits for. */
void transport_kick(struct client *c);
/* One read: > 0 bytes; 0 when nothing more now (or the client is gone). */
ssize_t transport_recv(struct client *c, void *buf, size_t cap);
/* Reading starts again on the next turn of the loop (TLS may hold
 * decrypted bytes epoll will not report). */
void transport_resume_soon(struct client *c);

#endif
