/* commands.c — what the loop asks the database thread for on agents'
 * behalf, above the sessions: the key check when /ws/<secret> asks to
 * upgrade (with the ack to start from and the commands queued meanwhile),
 * commands from the bot (sent at once or queued), delivery of what was
 * queued, give-back when the peer left, and the sweep of expired commands. */
#include "server/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http_serve.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/session.h"
#include "server/net/transport.h"

#define KEYCHECK_MS     30000
#define EXPIRE_EVERY_MS 30000
#define POLL_BATCH      64     /* new queued commands looked at per poll */

struct hello_job {
	struct server *srv;
	uint64_t tag;
	char secret[STORE_SECRET_MAX + 1];
	int64_t now;
	int exists;
	char nickname[STORE_NAME_MAX + 1];
	int64_t newest;
	int ncmds, nexpired;
	struct store_cmd cmds[SESSION_CMDS_MAX];
	struct store_cmd expired[16];
};

struct cmd_job {
	struct server *srv;
	char secret[STORE_SECRET_MAX + 1];
	char command[STORE_CMD_MAX + 1];
	int64_t requested_by, chat_id, now, id;
	int64_t ids[SESSION_CMDS_MAX];
	int ttl, delivered, n;
};

static void report_expired(struct server *s, const struct store_cmd *cmds, int n)
{
	for (int i = 0; i < n; i++) {
		const struct store_cmd *k = &cmds[i];
		struct agent_event ev = { .kind = AGENT_EV_CMD_EXPIRED, .cmd = k };
		mx.commands_expired++;
		log_warn("command %lld '%s' for %.4s... expired undelivered (asked by %lld at %lld)",
		         (long long)k->id, k->command, k->secret, (long long)k->requested_by,
		         (long long)k->requested_at);
		ev.agent = agents_find(&s->agents, k->secret);
		server_notify(s, &ev);
	}
}

static int requeue_fn(struct store *st, void *arg)
{
	struct cmd_job *j = arg;
	for (int i = 0; i < j->n; i++)
		store_cmd_requeue(st, j->ids[i]);
	return 0;
}

static void free_done(void *arg, int rc)
{
	struct cmd_job *j = arg;
	(void)rc;
	free(j);
}

static void requeue_cmds(struct server *s, const struct store_cmd *cmds, int n)
{
	struct cmd_job *j;
	if (n <= 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->srv = s;
	j->n = n;
	for (int i = 0; i < n; i++)
		j->ids[i] = cmds[i].id;
	if (store_async_call(s->store, requeue_fn, free_done, j) != STORE_OK)
		free(j);
}

/* MAX_SESSIONS_PER_KEY: the extra session is refused (429) before the
 * upgrade rather than the oldest closed: a second host on the key cannot
 * push the first one off (no flapping between them), and the agent retries
 * with its back-off. The default 2 leaves room for an agent reconnecting
 * while its half-open old session waits for IDLE_TIMEOUT. Returns 1 when
 * c was refused. */
static int key_full(struct server *s, struct client *c, const char *secret)
{
	struct agent *a = agents_find(&s->agents, secret);
	int64_t now;
	if (!a || a->nconns < s->cfg->max_sessions_per_key)
		return 0;
	now = server_wall_now();
	a->sessions_refused++;
	mx.rejected[MX_REJ_KEY_SESSIONS]++;
	if (now - a->refused_reported >= 60) {
		/* once a minute per key: the log and the owner hear of it, not of
		 * every retry */
		struct agent_event ev = { .kind = AGENT_EV_KEY_SHARED, .agent = a };
		a->refused_reported = now;
		log_warn("key %s: session refused, %u open is MAX_SESSIONS_PER_KEY (429; %llu refused "
		         "since start): a second host on one key?", a->nickname[0] ? a->nickname : a->id,
		         a->nconns, (unsigned long long)a->sessions_refused);
		server_notify(s, &ev);
	}
	http_serve_error(c, 429);
	transport_kick(c);
	return 1;
}

static int hello_fn(struct store *st, void *arg)
{
	struct hello_job *j = arg;
	struct store_key k;
	int rc;

	rc = store_key_exists(st, j->secret);
	if (rc < 0)
		return rc;
	j->exists = rc;
	if (!rc)
		return STORE_OK;
	memset(&k, 0, sizeof(k));
	if (store_key_get(st, j->secret, &k) == STORE_OK) {
		snprintf(j->nickname, sizeof(j->nickname), "%s", k.nickname);
		store_key_free(&k);
	}
	if (store_newest_ts(st, j->secret, &j->newest) != STORE_OK)
		j->newest = 0;
	rc = store_cmd_expire(st, j->now, j->expired, 16);
	j->nexpired = rc > 0 ? rc : 0;
	rc = store_cmd_take(st, j->secret, j->now, j->cmds, SESSION_CMDS_MAX);
	j->ncmds = rc > 0 ? rc : 0;
	store_agent_seen(st, j->secret, j->now, NULL);
	return STORE_OK;
}

static void hello_done(void *arg, int rc)
{
	struct hello_job *j = arg;
	struct server *s = j->srv;
	struct client *c = transport_by_tag(&s->tr, j->tag);

	report_expired(s, j->expired, j->nexpired);
	if (!c || c->st != CL_KEYCHECK) {
		/* the peer left while the key was checked: give the commands back */
		requeue_cmds(s, j->cmds, j->ncmds);
		free(j);
		return;
	}
	if (key_full(s, c, j->secret)) {
		requeue_cmds(s, j->cmds, j->ncmds);
		free(j);
		return;
	}
	if (rc != STORE_OK) {
		/* Database away: a key seen since start may still come in. */
		struct agent *a = agents_find(&s->agents, j->secret);
		if (a) {
			session_start(c, NULL, 0, NULL, 0);
		} else {
			log_warn("key check failed (%s): 503", store_strerror(rc));
			http_serve_error(c, 503);
			transport_kick(c);
		}
		free(j);
		return;
	}
	if (!j->exists) {
		struct agent *a = agents_find(&s->agents, j->secret);
		if (a && a->nconns == 0)
			agents_remove(&s->agents, a);
		mx.rejected[MX_REJ_FORBIDDEN]++;
		guard_refused(&s->guard, c->peer, ev_now(s->loop));
		http_serve_error(c, 403);
		transport_kick(c);
		free(j);
		return;
	}
	session_start(c, j->nickname, j->newest, j->cmds, j->ncmds);
	free(j);
}

void commands_keycheck(struct client *c)
{
	struct server *s = c->srv;
	struct hello_job *j;

	/* a source that guessed too many keys waits out its minute */
	if (guard_blocked(&s->guard, c->peer, ev_now(s->loop))) {
		http_serve_error(c, 429);
		return;
	}
	if (key_full(s, c, c->req->secret))
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		http_serve_error(c, 503);
		return;
	}
	j->srv = s;
	j->tag = transport_tag(c);
	snprintf(j->secret, sizeof(j->secret), "%s", c->req->secret);
	j->now = server_wall_now();
	transport_set_state(c, CL_KEYCHECK);
	c->reading = 0;
	ev_timer_start(s->loop, &c->timer, KEYCHECK_MS);
	if (store_async_call(s->store, hello_fn, hello_done, j) != STORE_OK) {
		free(j);
		http_serve_error(c, 503);
	}
}

static int enqueue_fn(struct store *st, void *arg)
{
	struct cmd_job *j = arg;
	return store_cmd_enqueue(st, j->secret, j->command, j->requested_by, j->chat_id,
	                         j->now, j->ttl, j->delivered, &j->id);
}

static int take_fn(struct store *st, void *arg)
{
	struct hello_job *j = arg;
	int rc = store_cmd_take(st, j->secret, j->now, j->cmds, SESSION_CMDS_MAX);
	j->ncmds = rc > 0 ? rc : 0;
	return rc < 0 ? rc : STORE_OK;
}

static void take_done(void *arg, int rc)
{
	struct hello_job *j = arg;
	struct server *s = j->srv;
	struct agent *a = agents_find(&s->agents, j->secret);
	const char *texts[SESSION_CMDS_MAX];
	(void)rc;
	if (j->ncmds > 0) {
		if (!a || !a->conn || a->conn->st != CL_WS) {
			requeue_cmds(s, j->cmds, j->ncmds);
		} else {
			for (int i = 0; i < j->ncmds; i++)
				texts[i] = j->cmds[i].command;
			if (session_send_reply(a->conn, texts, (size_t)j->ncmds) == 0)
				transport_kick(a->conn);
		}
	}
	free(j);
}

/* Takes what is queued for secret when it has a session here. */
static void take_for(struct server *s, const char *secret)
{
	struct agent *a = agents_find(&s->agents, secret);
	struct hello_job *h;
	if (!a || !a->conn || a->conn->st != CL_WS || s->stopping)
		return;
	h = calloc(1, sizeof(*h));
	if (!h)
		return;
	h->srv = s;
	snprintf(h->secret, sizeof(h->secret), "%s", secret);
	h->now = server_wall_now();
	if (store_async_call(s->store, take_fn, take_done, h) != STORE_OK)
		free(h);
}

static void enqueue_done(void *arg, int rc)
{
	struct cmd_job *j = arg;
	struct server *s = j->srv;

	if (rc != STORE_OK) {
		log_error("command '%s' could not be recorded: %s", j->command, store_strerror(rc));
	} else if (!j->delivered) {
		/* It may have connected while the command was written. */
		take_for(s, j->secret);
	}
	free(j);
}

int commands_send(struct server *s, const char *secret, const char *command,
                  int64_t requested_by, int64_t chat_id)
{
	struct agent *a = agents_find(&s->agents, secret);
	struct cmd_job *j;
	int sent = 0, rc;

	if (strlen(command) > STORE_CMD_MAX || strlen(secret) > STORE_SECRET_MAX)
		return STORE_EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return STORE_ENOMEM;
	j->srv = s;
	strcpy(j->secret, secret);
	strcpy(j->command, command);
	j->requested_by = requested_by;
	j->chat_id = chat_id;
	j->now = server_wall_now();
	j->ttl = store_cmd_ttl(command, (int)s->cfg->command_ttl);
	if (a && a->conn && a->conn->st == CL_WS && !s->stopping) {
		const char *t[1] = { command };
		if (session_send_reply(a->conn, t, 1) == 0) {
			transport_kick(a->conn);
			sent = 1;
		}
	}
	j->delivered = sent;
	if (!sent)
		mx.commands_queued++;
	rc = store_async_call(s->store, enqueue_fn, enqueue_done, j);
	if (rc != STORE_OK) {
		free(j);
		return sent ? 1 : rc;
	}
	return sent;
}

static int expire_fn(struct store *st, void *arg)
{
	struct hello_job *j = arg;
	int rc = store_cmd_expire(st, j->now, j->expired, 16);
	j->nexpired = rc > 0 ? rc : 0;
	return rc < 0 ? rc : STORE_OK;
}

static void expire_done(void *arg, int rc)
{
	struct hello_job *j = arg;
	(void)rc;
	j->srv->cmd_expiring = 0;
	report_expired(j->srv, j->expired, j->nexpired);
	free(j);
}

void commands_expire_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	struct hello_job *j;
	if (s->stopping)
		return;
	/* one sweep at a time: a locked database must not pile them up */
	j = s->cmd_expiring ? NULL : calloc(1, sizeof(*j));
	if (j) {
		j->srv = s;
		j->now = server_wall_now();
		s->cmd_expiring = 1;
		if (store_async_call(s->store, expire_fn, expire_done, j) != STORE_OK) {
			s->cmd_expiring = 0;
			free(j);
		}
	}
	ev_timer_start(loop, t, EXPIRE_EVERY_MS);
}

struct poll_job {
	struct server *srv;
	int64_t since, now;
	int n;
	struct store_cmd cmds[POLL_BATCH];
};

static int poll_fn(struct store *st, void *arg)
{
	struct poll_job *j = arg;
	int rc = store_cmd_queued_since(st, j->since, j->now, j->cmds, POLL_BATCH);
	j->n = rc > 0 ? rc : 0;
	return rc < 0 ? rc : STORE_OK;
}

/* The since-id moves past every command seen, delivered here or not: one
 * for a key that is offline is taken at its next connection (hello_fn),
 * one for a key with a session on another instance is that one's to take. */
static void poll_done(void *arg, int rc)
{
	struct poll_job *j = arg;
	struct server *s = j->srv;
	s->cmd_polling = 0;
	for (int i = 0; rc == STORE_OK && i < j->n; i++) {
		int dup = 0;
		if (j->cmds[i].id > s->cmd_seen_id)
			s->cmd_seen_id = j->cmds[i].id;
		for (int k = 0; k < i && !dup; k++)
			dup = strcmp(j->cmds[k].secret, j->cmds[i].secret) == 0;
		if (!dup)
			take_for(s, j->cmds[i].secret);
	}
	/* a full batch: more may be waiting, look again at once */
	if (rc == STORE_OK && j->n == POLL_BATCH && !s->stopping)
		ev_timer_start(s->loop, &s->poll_timer, 0);
	free(j);
}

void commands_poll_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	struct poll_job *j;
	if (s->stopping)
		return;
	ev_timer_start(loop, t, s->cfg->command_poll_ms);
	if (s->cmd_polling || s->nsessions == 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->srv = s;
	j->since = s->cmd_seen_id;
	j->now = server_wall_now();
	s->cmd_polling = 1;
	if (store_async_call(s->store, poll_fn, poll_done, j) != STORE_OK) {
		s->cmd_polling = 0;
		free(j);
	}
}
