/* server.h — the server as a whole: connections (server/transport.h), HTTP
 * (server/http_serve.h) and agent WebSocket sessions (server/session.h,
 * SPEC §3) on one event loop, the agents' table, the store's database
 * thread, commands for agents (server/commands.h), calls from other threads,
 * and graceful shutdown. The owner of every layer: it sets their handlers. */
#ifndef MONBOT_SERVER_SERVER_H
#define MONBOT_SERVER_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "server/agents.h"
#include "server/config.h"
#include "server/dist.h"
#include "server/ev/ev.h"
#include "server/guard.h"
#include "server/store/store.h"
#include "server/store/store_async.h"
#include "server/net/transport.h"

struct conn_tls;
struct client;

struct server {
	const struct server_config *cfg;
	struct ev_loop *loop;
	struct store_async *store;
	struct transport tr;           /* the connections */
	void (*ws_upgrade)(struct client *c); /* GET /ws/<secret> routed */
	unsigned nsessions;            /* agent sessions open */
	unsigned held;                 /* sessions not read until the storage queue drains */
	struct ev_timer hold_timer;    /* looks at the queue while some are held */
	unsigned speedtests;           /* /speedtest transfers under way */
	unsigned agent_dls;            /* /agent/<board> responses being sent (DIST_DOWNLOADS_MAX) */
	size_t msg_total;              /* message assembly memory over all sessions */
	struct agent_table agents;
	struct dist dist;              /* /install.sh, /agent/<arch> (read-only after start) */
	struct guard guard;            /* key guessing per source */
	agent_hook_fn hook;
	void *hook_ctx;
	struct ev_timer expire_timer;  /* periodic sweep of expired commands */
	struct ev_timer poll_timer;    /* commands queued by another process (COMMAND_POLL) */
	int64_t cmd_seen_id;           /* the newest queued command id the poll has seen */
	int cmd_polling, cmd_expiring; /* a poll / a sweep is at the database thread */
	struct ev_timer close_timer;   /* shutdown: close sessions after the last acks */
	int stopping;                  /* shutdown began */
	int flushed;                   /* the store flushed after stopping */
	int64_t started;               /* unix s */
	/* calls posted from other threads (server_post) */
	pthread_mutex_t post_mu;
	struct server_post *post_head, *post_tail;
	int post_fd[2];
};

/* Unix seconds: the wall clock the sessions stamp and store by. */
static inline int64_t server_wall_now(void)
{
	return (int64_t)time(NULL);
}

/* The bot's hook, when set, hears of an agent event. */
static inline void server_notify(struct server *s, const struct agent_event *ev)
{
	if (s->hook)
		s->hook(s->hook_ctx, ev);
}

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

/* Shutdown (SIGTERM): stop accepting, read what agents already sent, wait
 * for the store to commit it and send the last acks, close sessions with
 * 1001. Then run the loop until server_shutdown_done() or a deadline. */
void server_begin_shutdown(struct server *s);
int server_shutdown_done(const struct server *s);
/* Closes every connection left and frees everything (not the store). */
void server_free(struct server *s);

#endif
