/* session.h — the server's connections on one event loop: TLS handshake,
 * HTTP requests (/ws/<secret>, /healthz, /metrics, /speedtest) and agent
 * WebSocket sessions (SPEC §3): samples to the store, a {"commands": [...],
 * "ack": <ts>} reply after every agent message, commands, results kept for
 * the bot, pings, limits on what a peer may cost, graceful shutdown. */
#ifndef MONBOT_SESSION_H
#define MONBOT_SESSION_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "server/agent.h"
#include "server/config.h"
#include "server/ev.h"
#include "server/store/store.h"

struct conn_tls;
struct client;

#define SESSION_OUT_MAX      (8u << 20) /* output a peer may leave unread */
#define SESSION_PENDING_MAX  512        /* samples awaiting the store before reading pauses */
#define SESSION_CMDS_MAX     32         /* queued commands handed out per connect */

struct server {
	const struct server_config *cfg;
	struct ev_loop *loop;
	struct conn_tls *tls;          /* NULL: plain TCP (TLS=0) */
	struct store_async *store;
	int listen_fd;
	struct client **by_fd;         /* fd -> client */
	int nfd;
	struct client *clients;        /* every open connection */
	unsigned nclients, nsessions, max_clients;
	unsigned nstate[8];            /* connections per state */
	struct agent_table agents;
	agent_hook_fn hook;
	void *hook_ctx;
	struct ev_timer expire_timer;  /* periodic sweep of expired commands */
	int stopping;                  /* shutdown began */
	int flushed;                   /* the store flushed after stopping */
	int64_t started;               /* unix s */
	uint32_t gen;
	/* calls posted from other threads (server_post) */
	pthread_mutex_t post_mu;
	struct server_post *post_head, *post_tail;
	int post_fd[2];
};

/* Runs fn(s, arg) on the loop thread soon; safe from any thread (the bot's,
 * a render worker's). The way for other threads to reach server_command()
 * and the agent table. Returns 0, or -1 when out of memory. */
typedef void (*server_post_fn)(struct server *s, void *arg);
int server_post(struct server *s, server_post_fn fn, void *arg);

/* Sets up (does not listen yet). tls NULL = plain. store must be started. */
int server_init(struct server *s, const struct server_config *cfg, struct ev_loop *loop,
                struct conn_tls *tls, struct store_async *store, char *err, size_t errlen);
/* Opens the listening socket on cfg->listen_addr:cfg->port. */
int server_listen(struct server *s, char *err, size_t errlen);
void server_set_hook(struct server *s, agent_hook_fn fn, void *ctx);

/* Loop thread only (other threads: server_post). A command for a key from
 * the bot (requested_by: Telegram user, chat_id: where to report). Sent at once to a connected agent (and recorded as
 * delivered), otherwise queued in the store with COMMAND_TTL for
 * reboot/shutdown. Returns 1 sent now, 0 queued, or a negative STORE_E*. */
int server_command(struct server *s, const char *secret, const char *command,
                   int64_t requested_by, int64_t chat_id);

/* Shutdown (SIGTERM): stop accepting, read what agents already sent, wait
 * for the store to commit it and send the last acks, close sessions with
 * 1001. Then run the loop until server_shutdown_done() or a deadline. */
void server_begin_shutdown(struct server *s);
int server_shutdown_done(const struct server *s);
/* Closes every connection left and frees everything (not the store). */
void server_free(struct server *s);

/* GET /metrics body (exposed for tests). */
struct obuf;
int server_metrics_page(struct server *s, struct obuf *o);

#endif
