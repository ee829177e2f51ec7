/* client.h — one connection on the server's loop, as every layer of the
 * server core sees it (private to server/): the transport's fields (socket,
 * TLS, output, timers), the HTTP request being read, and the agent session
 * it may become. The states are the connection's phases in order. */
#ifndef MONBOT_SERVER_CLIENT_H
#define MONBOT_SERVER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "server/ev/ev.h"
#include "server/net/http.h"
#include "server/net/obuf.h"
#include "port/port.h"
#include "wire/conn.h"
#include "wire/ws.h"

#define CLIENT_OUT_MAX       (8u << 20)  /* output a peer may leave unread */
#define CLIENT_OUT_PAUSE     (1u << 20)  /* stop reading a session that does not read */
#define CLIENT_OUT_RESUME    (256u << 10)
#define CLIENT_XFER_STALL_MS 30000       /* /speedtest and responses: no progress */
#define CLIENT_CLOSING_MS    5000
/* Work per connection per loop turn: then the loop serves the others (a
 * fast reader of a long transfer must not hold it). */
#define CLIENT_IO_BUDGET     (64u << 10)

enum cl_state { CL_TLS, CL_HEAD, CL_KEYCHECK, CL_BODY, CL_SEND, CL_WS, CL_CLOSING, CL__N };

struct server;
struct transport;
struct agent;

struct client {
	struct server *srv;
	struct transport *tr;
	struct conn c;
	int fd;
	uint32_t gen;
	uint8_t st;
	uint8_t dead;
	uint8_t reading;       /* read side enabled */
	uint8_t close_after;   /* close when the output is written */
	uint8_t rd_want, wr_want, hs_want;
	uint8_t msg_op;
	char peer[PORT_PEER_MAX]; /* the peer's address, for the log and the guard */
	struct ev_timer timer;  /* phase deadline, or ping/idle in a session */
	struct ev_timer resume; /* read again: TLS holds decrypted bytes */
	/* HTTP (server/http_serve.c) */
	struct http_head *head;
	struct http_req *req;
	uint64_t body_left, t0;
	uint8_t *early;         /* bytes after an upgrade request's head: the first frames */
	size_t early_len;
	uint8_t speedtest;      /* counted in the server's transfers */
	uint8_t agent_dl;       /* counted in the server's agent downloads */
	/* transport (server/transport.c) */
	struct obuf out;
	uint64_t stream_left, xfer, xfer_seen;
	uint64_t stream_rate;        /* filler bytes/s at most (0: as fast as the peer reads) */
	uint64_t stream_t0, stream_sent; /* loop ms the filler began; filler bytes written */
	uint8_t stream_held;         /* ahead of its rate: waits for the resume timer */
	/* CL_BODY/CL_SEND rules: 0 = the stall timer only */
	uint64_t xfer_deadline;      /* loop ms */
	uint32_t xfer_window_ms;     /* check period (0: CLIENT_XFER_STALL_MS) */
	uint64_t xfer_min_bytes;     /* to move in each window */
	/* agent session (server/session.c) */
	struct ws ws;
	char *msg;
	size_t msg_len, msg_cap;
	struct agent *agent;
	uint64_t last_rx, last_ping;
	uint32_t pending;       /* samples given to the store, reply owed */
	uint32_t dbwork;        /* its other calls at the database thread */
	int64_t *ack_q;         /* their ids (agent ts in ms, -1 none): pending from ack_head */
	uint32_t ack_head, ack_cap; /* a ring of ack_cap, grown to SESSION_PENDING_MAX */
	uint8_t held;           /* not read while the storage queue drains (session.c) */
	struct client *prev, *next;
	struct client *dnext;   /* reaper list */
};

#endif
