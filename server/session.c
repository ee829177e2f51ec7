/* session.c — agent WebSocket sessions (SPEC §3, §5), above HTTP: frames
 * in, messages assembled within a memory budget, samples to the store with
 * the reply owed until the commit, texts, diagnostics and stability
 * chunks kept for the bot, a {"commands": [...], "ack": <ts|null>} reply
 * after every message, pings and the idle drop. The ack names the one
 * sample a reply answers, by the agent's ts as sent (ms, 3 decimals), once
 * it is durably stored; null when the reply answers no sample. */
#include "server/session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/http_serve.h"
#include "server/results.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/net/transport.h"
#include "wire/json.h"
#include "wire/jsonr.h"
#include "wire/fleet.h"
#include "wire/sample_parse.h"
#include "wire/ws.h"

#define READ_CHUNK       (64u << 10)
#define SESSION_TOKENS_MAX       32768       /* a stability chunk of 10 000 values fits */
#define MSG_DEPTH_MAX    SAMPLE_JSON_MAX_DEPTH
#define MSG_BUDGET       (256u << 20)/* message assembly over all peers */
#define MSG_KEY_BUDGET   (8u << 20)  /* ... and over one key's sessions: two 4 MiB messages */
#define TS_FUTURE_SLACK  120         /* s an agent's clock may run ahead */
#define SESSION_ACK_NONE         INT64_MIN   /* a reply that acknowledges no sample */
#define ACK_Q_MIN        8           /* ids an idle session's ring holds */
/* The storage queue's fill (store_async_fill, %) at which a session that
 * submits a sample stops being read, and below which the held ones are
 * read again: its agents wait (and spool) in TCP instead of being closed
 * at the bound when the database falls behind. */
#define STORE_HOLD_PCT    50
#define STORE_RELEASE_PCT 25
#define HOLD_CHECK_MS     100

/* Loop-thread scratch: one message is handled at a time. */
static uint8_t rbuf[READ_CHUNK];
static jsmntok_t tokpool[SESSION_TOKENS_MAX];
static struct sample smp;
static struct fleet flt; /* the fleet keys of smp (wire/fleet.h) */
static char rowbuf[256u << 10];
static char fleetbuf[STORE_FLEET_TEXT_MAX]; /* the fleet series of flt */

static void feed_ws(struct client *c, uint8_t *buf, size_t n);

/* Frames that came with the upgrade request (http_serve.c keeps them). */
static void feed_early(struct client *c)
{
	uint8_t *e = c->early;
	size_t n = c->early_len;
	c->early = NULL;
	c->early_len = 0;
	feed_ws(c, e, n);
	free(e);
}

/* The agent's ts as it sent it, in ms: the identity its ack carries. */
static int64_t sample_id(const struct sample *sm)
{
	if (isnan(sm->ts) || sm->ts < -9e12 || sm->ts > 9e12)
		return SESSION_ACK_NONE;
	return (int64_t)llround(sm->ts * 1000.0);
}

void session_start(struct client *c, const char *nickname, int64_t newest,
                   const struct store_cmd *cmds, int ncmds)
{
	struct server *s = c->srv;
	char resp[512];
	size_t n;
	const char *texts[SESSION_CMDS_MAX] = { NULL };
	struct agent *a;

	if (ws_server_accept_response(&c->req->head, resp, sizeof(resp), &n) != WS_OK) {
		transport_close(c);
		return;
	}
	a = agents_get(&s->agents, c->req->secret);
	if (!a) {
		http_serve_error(c, 503);
		return;
	}
	(void)newest;
	/* an idle session holds a few ids; a burst grows the ring (ack_room) */
	if (!c->ack_q && !(c->ack_q = malloc(ACK_Q_MIN * sizeof(*c->ack_q)))) {
		http_serve_error(c, 503);
		return;
	}
	c->ack_head = 0;
	c->ack_cap = ACK_Q_MIN;
	if (transport_append(c, resp, n) != 0)
		return;
	if (nickname && *nickname)
		snprintf(a->nickname, sizeof(a->nickname), "%s", nickname);
	ws_init(&c->ws, WS_ROLE_SERVER, WS_MAX_MESSAGE_DEFAULT, NULL, NULL);
	transport_set_state(c, CL_WS);
	http_serve_drop_head(c);
	c->agent = a;
	a->nconns++;
	a->conn = c;
	a->connected_since = server_wall_now();
	s->nsessions++;
	mx.sessions_opened++;
	c->last_rx = c->last_ping = ev_now(s->loop);
	c->reading = 1;
	c->rd_want = CONN_WANT_READ;
	ev_timer_start(s->loop, &c->timer, s->cfg->ping_interval_ms < s->cfg->idle_timeout_ms
	                                     ? s->cfg->ping_interval_ms : s->cfg->idle_timeout_ms);
	for (int i = 0; i < ncmds; i++)
		texts[i] = cmds[i].command;
	/* The first reply (ack null: it tells our agent this server acks)
	 * carries what was queued while it was away. */
	if (session_send_reply(c, texts, (size_t)ncmds) != 0)
		return;
	if (ncmds > 0)
		log_info("session %s: delivered %d queued command(s)", a->nickname, ncmds);
	log_info("agent %s connected (%u session(s))", a->nickname[0] ? a->nickname : a->id,
	         a->nconns);
	{
		struct agent_event ev = { .kind = AGENT_EV_CONNECTED, .agent = a };
		server_notify(s, &ev);
	}
	if (c->early)
		feed_early(c);
	if (c->dead)
		return;
	/* TLS may hold what came after the head while the key was checked. */
	transport_resume_soon(c);
	transport_kick(c);
}

/* ---- agent messages ---- */

static void count_bad(int rc)
{
	switch (rc) {
	case JSONR_EDEPTH: mx.messages_bad[MX_BAD_DEPTH]++; break;
	case JSONR_ENOMEM: mx.messages_bad[MX_BAD_TOKENS]++; break;
	case JSONR_ETYPE: mx.messages_bad[MX_BAD_TYPE]++; break;
	default: mx.messages_bad[MX_BAD_JSON]++; break;
	}
}

/* A metric sample to the store. Returns 1 when the reply waits for the
 * commit, 0 to reply now, -1 when the session was closed. */
/* Room in the ack ring for one more id: doubled (in order, from index 0)
 * when full, up to SESSION_PENDING_MAX (reading pauses there). 0, or -1
 * out of memory. */
static int ack_room(struct client *c)
{
	int64_t *n;
	if (c->pending < c->ack_cap)
		return 0;
	if (c->ack_cap >= SESSION_PENDING_MAX || !(n = malloc(2 * c->ack_cap * sizeof(*n))))
		return -1;
	for (uint32_t k = 0; k < c->pending; k++)
		n[k] = c->ack_q[(c->ack_head + k) % c->ack_cap];
	free(c->ack_q);
	c->ack_q = n;
	c->ack_head = 0;
	c->ack_cap *= 2;
	return 0;
}

static int on_sample(struct client *c)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	struct store_row row;
	int64_t now = server_wall_now(), ts, id = sample_id(&smp);
	int64_t oldest = now - (int64_t)s->cfg->store.retention_days * 86400;
	int rc, stamped = 0;

	mx.samples_received++;
	/* SPEC §5: keep the agent's ts when sane, else stamp it here. */
	if (!isnan(smp.ts) && smp.ts <= (double)(now + TS_FUTURE_SLACK) && smp.ts >= (double)oldest) {
		ts = (int64_t)floor(smp.ts);
	} else if (id != SESSION_ACK_NONE) {
		/* Proposed here; the database thread keeps the stamp it stored
		 * for this agent ts before (a resend, across a crash too) or
		 * takes a free second at or below this one (store_insert):
		 * below the arrival second, which a sample taken live from now
		 * on may carry. */
		ts = now - 1;
		stamped = 1;
		mx.samples_ts_stamped++;
	} else {
		/* No ts (the original agent): one second apart at least, so one
		 * sending twice within a second loses nothing to (secret, ts)
		 * uniqueness (bounded: never more than 2 s ahead). */
		ts = now;
		if (ts <= a->last_stamp && a->last_stamp < now + 2)
			ts = a->last_stamp + 1;
		a->last_stamp = ts;
		mx.samples_ts_stamped++;
	}
	if (smp.has_host)
		results_host(c, &smp);
	if (ts >= a->latest_ts || !a->has_latest) {
		agents_set_latest(a, &smp, ts);
		if (agents_fleet_any(&flt) && agents_set_fleet(a, &flt, ts) != 0)
			log_warn("agent %s: out of memory for its fleet keys", a->nickname);
	}
	a->last_seen = now;
	{
		struct agent_event ev = { .kind = AGENT_EV_SAMPLE, .agent = a, .sample = &smp,
		                          .fleet = agents_fleet_any(&flt) ? &flt : NULL, .ts = ts };
		server_notify(s, &ev);
	}
	rc = store_row_from_sample(&row, a->secret, ts, &smp, rowbuf, sizeof(rowbuf));
	row.has_agent_ts = stamped;
	row.agent_ts = id;
	row.fleet = agents_fleet_any(&flt) ? store_fleet_text(&flt, fleetbuf, sizeof(fleetbuf)) : NULL;
	if (rc == STORE_OK && ack_room(c) != 0) {
		mx.samples_refused++;
		session_close_with(c, 1011, "out of memory");
		return -1;
	}
	if (rc == STORE_OK)
		rc = store_async_sample(s->store, transport_tag(c), &row);
	if (rc == STORE_OK) {
		c->ack_q[(c->ack_head + c->pending) % c->ack_cap] = id;
		c->pending++;
		if (c->pending >= SESSION_PENDING_MAX)
			c->reading = 0;
		if (!c->held && store_async_fill(s->store) >= STORE_HOLD_PCT) {
			c->held = 1;
			c->reading = 0;
			if (!s->held++) {
				log_info("storage queue over half full (STORE_BUFFER_MB): the sessions that send "
				         "are not read until it is down to a quarter");
				ev_timer_start(s->loop, &s->hold_timer, HOLD_CHECK_MS);
			}
			mx.sessions_held++;
		}
		return 1;
	}
	if (rc == STORE_ESTOPPED)
		return 0;
	/* Full (or unusable): no ack; the agent resends after reconnecting. */
	mx.samples_refused++;
	log_warn("agent %s: sample refused by the store (%s), closing 1013", a->nickname,
	         store_strerror(rc));
	session_close_with(c, 1013, "storage busy");
	return -1;
}

static void on_message(struct client *c, uint8_t *data, size_t len, unsigned op)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	struct jsonr r;
	int rc, handled = 0, deferred = 0, k, kok;
	int64_t ack = SESSION_ACK_NONE;

	mx.messages_received++;
	a->last_seen = server_wall_now();
	if (op != WS_OP_TEXT) {
		mx.messages_bad[MX_BAD_TYPE]++;
		goto reply;
	}
	rc = jsonr_parse(&r, (const char *)data, len, tokpool, SESSION_TOKENS_MAX, MSG_DEPTH_MAX);
	if (rc != JSONR_OK) {
		count_bad(rc);
		log_debug("agent %s: message ignored (%d)", a->nickname, rc);
		goto reply;
	}
	if (jsonr_type(&r, 0) != JSONR_T_OBJECT) {
		mx.messages_bad[MX_BAD_TYPE]++;
		goto reply;
	}
	/* The original server's order: text, then diag (which ends it), then
	 * the sample (stored unless it answers `status`). */
	k = jsonr_get(&r, 0, "text");
	if (k >= 0 && jsonr_type(&r, k) == JSONR_T_STRING) {
		results_text(c, &r, k);
		handled = 1;
	}
	kok = jsonr_get(&r, 0, "diag_ok");
	if (kok >= 0 && !jsonr_is_null(&r, kok)) {
		results_diag(c, &r, kok, jsonr_get(&r, 0, "diag"));
		handled = 1;
		goto reply;
	}
	k = jsonr_get(&r, 0, "stability");
	if (k >= 0 && jsonr_type(&r, k) == JSONR_T_OBJECT) {
		results_stability(c, &r, k);
		handled = 1;
	}
	sample_clear(&smp);
	mx.sample_fields_bad += (uint64_t)sample_from_json(&smp, &r, 0);
	fleet_clear(&flt);
	mx.sample_fields_bad += (uint64_t)fleet_from_json(&flt, &r, 0);
	if (sample_is_metric(&smp)) {
		handled = 1;
		if (smp.oneshot) {
			mx.oneshots++;
			agents_set_oneshot(a, &smp, server_wall_now());
			agents_set_latest(a, &smp, server_wall_now());
			results_answer(c, "status", "sample", 6);
			ack = sample_id(&smp); /* answered, never stored: taken all the same */
			{
				struct agent_event ev = { .kind = AGENT_EV_ONESHOT, .agent = a, .sample = &smp };
				server_notify(s, &ev);
			}
		} else {
			deferred = on_sample(c);
			if (deferred < 0)
				return;
		}
	}
	if (!handled)
		mx.messages_bad[MX_BAD_UNKNOWN]++;
reply:
	if (!deferred && !c->dead)
		session_reply(c, NULL, 0, ack);
}

static void msg_release(struct client *c)
{
	c->srv->msg_total -= c->msg_cap;
	if (c->agent)
		c->agent->msg_total -= c->msg_cap;
	free(c->msg);
	c->msg = NULL;
	c->msg_len = c->msg_cap = 0;
}

static void on_data(struct client *c, const struct ws_event *ev)
{
	if (ev->first) {
		c->msg_len = 0;
		c->msg_op = ev->opcode;
		if (ev->fin) {
			/* whole message in this read: no copy */
			on_message(c, (uint8_t *)ev->data, ev->len, ev->opcode);
			return;
		}
	}
	if (c->msg_len + ev->len > c->msg_cap) {
		size_t nc = c->msg_cap ? c->msg_cap : 4096;
		char *nm;
		while (nc < c->msg_len + ev->len)
			nc *= 2;
		if (c->srv->msg_total - c->msg_cap + nc > MSG_BUDGET) {
			log_warn("message memory budget reached: closing a session (1013)");
			session_close_with(c, 1013, "server busy");
			return;
		}
		if (c->agent->msg_total - c->msg_cap + nc > MSG_KEY_BUDGET) {
			log_warn("agent %s: its sessions' message memory budget reached: closing one (1013)",
			         c->agent->nickname);
			session_close_with(c, 1013, "key busy");
			return;
		}
		nm = realloc(c->msg, nc);
		if (!nm) {
			session_close_with(c, 1011, "out of memory");
			return;
		}
		c->srv->msg_total += nc - c->msg_cap;
		c->agent->msg_total += nc - c->msg_cap;
		c->msg = nm;
		c->msg_cap = nc;
	}
	memcpy(c->msg + c->msg_len, ev->data, ev->len);
	c->msg_len += ev->len;
	if (ev->fin) {
		on_message(c, (uint8_t *)c->msg, c->msg_len, c->msg_op);
		if (!c->dead && c->msg_cap > (64u << 10))
			msg_release(c);
		else if (!c->dead)
			c->msg_len = 0;
	}
}

static void feed_ws(struct client *c, uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (off < n && !c->dead && c->st == CL_WS) {
		struct ws_event ev;
		size_t used = 0;
		enum ws_ev_type t = ws_decode(&c->ws, buf + off, n - off, &used, &ev);
		off += used;
		if (ev.reply_len && transport_append(c, ev.reply, ev.reply_len) != 0)
			return;
		switch (t) {
		case WS_EV_NONE:
			if (used == 0)
				return;
			break;
		case WS_EV_DATA:
			on_data(c, &ev);
			break;
		case WS_EV_PING:
		case WS_EV_PONG:
			break;
		case WS_EV_CLOSE:
			/* Peer's close: our echo is in reply (RFC 6455 §5.5.1). */
			session_closing(c);
			return;
		case WS_EV_ERROR:
			mx.ws_closed[metrics_close_index(ev.close_code)]++;
			log_info("agent %s: protocol error, closing %u",
			         c->agent ? c->agent->nickname : "?", ev.close_code);
			session_closing(c);
			return;
		}
	}
}

/* ---- reading by state ---- */

void session_read(struct client *c)
{
	struct server *s = c->srv;
	size_t budget = CLIENT_IO_BUDGET;
	while (budget > 0 && c->reading && !c->dead && c->st == CL_WS) {
		ssize_t n = transport_recv(c, rbuf, budget < sizeof(rbuf) ? budget : sizeof(rbuf));
		if (n == 0)
			return;
		budget -= (size_t)n;
		c->last_rx = ev_now(s->loop);
		feed_ws(c, rbuf, (size_t)n);
	}
	/* Yielded with bytes the TLS layer already decrypted: epoll will not
	 * report them, so come back on the next turn of the loop. */
	if (!c->dead && c->reading && conn_pending(&c->c) > 0)
		transport_resume_soon(c);
}

/* Ping on PING_INTERVAL, drop a peer silent for IDLE_TIMEOUT. */
void session_timeout(struct client *c)
{
	struct server *s = c->srv;
	uint64_t now = ev_now(s->loop);
	uint64_t pi = s->cfg->ping_interval_ms, idle = s->cfg->idle_timeout_ms, next;

	if (now - c->last_rx >= idle) {
		mx.sessions_idle_dropped++;
		log_info("agent %s: silent for %llu s, dropped", c->agent ? c->agent->nickname : "?",
		         (unsigned long long)((now - c->last_rx) / 1000));
		transport_close(c);
		return;
	}
	if (now - c->last_ping >= pi) {
		if (session_ws_send(c, WS_OP_PING, NULL, 0) != 0)
			return;
		c->last_ping = now;
		transport_kick(c);
		if (c->dead)
			return;
	}
	next = c->last_ping + pi;
	if (c->last_rx + idle < next)
		next = c->last_rx + idle;
	ev_timer_start(s->loop, &c->timer, next > now ? next - now : 1);
}


/* ---- closing ---- */

static void agent_detach(struct client *c)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	if (!a)
		return;
	c->agent = NULL;
	a->nconns--;
	if (a->conn == c) {
		a->conn = NULL;
		/* another session with the same key speaks for it now */
		for (struct client *o = s->tr.clients; o && a->nconns > 0; o = o->next)
			if (o != c && o->agent == a && o->st == CL_WS) {
				a->conn = o;
				break;
			}
	}
	if (a->nconns == 0) {
		struct agent_event ev = { .kind = AGENT_EV_DISCONNECTED, .agent = a };
		server_notify(s, &ev);
	}
}

void session_detach(struct client *c)
{
	msg_release(c); /* before the agent lets go: its share too */
	if (c->st == CL_WS || c->st == CL_CLOSING) {
		if (c->agent)
			c->srv->nsessions--;
		agent_detach(c);
	}
	free(c->ack_q);
	c->ack_q = NULL;
	c->pending = 0;
	if (c->held) {
		c->held = 0;
		c->srv->held--;
	}
}

/* The storage queue drained: every held session is read again. */
static void release_held(struct server *s)
{
	log_info("storage queue down to a quarter: %u held sessions read again", s->held);
	ev_timer_stop(s->loop, &s->hold_timer);
	for (struct client *c = s->tr.clients; c && s->held; c = c->next) {
		if (!c->held)
			continue;
		c->held = 0;
		s->held--;
		if (!c->dead && c->st == CL_WS && !c->reading && session_may_resume(c) &&
		    obuf_len(&c->out) < CLIENT_OUT_RESUME) {
			c->reading = 1;
			transport_resume_soon(c);
		}
	}
}

/* ---- the store's completions ---- */

static void on_store_events(void *ctx, const struct store_ev *evs, size_t n)
{
	struct server *s = ctx;
	for (size_t i = 0; i < n; i++) {
		const struct store_ev *e = &evs[i];
		struct client *c = transport_by_tag(&s->tr, e->tag);
		if (e->kind == STORE_EV_STORED) {
			mx.samples_stored += e->count;
			if (!c || (c->st != CL_WS && c->st != CL_CLOSING) || !c->ack_q)
				continue;
			/* A session's rows commit in submission order: these are its
			 * oldest pending ones, each acknowledged by its own reply. */
			for (uint32_t k = 0; k < e->count && c->pending > 0; k++) {
				int64_t id = c->ack_q[c->ack_head];
				c->ack_head = (c->ack_head + 1) % c->ack_cap;
				c->pending--;
				if (c->st == CL_WS && session_reply(c, NULL, 0, id) != 0)
					break;
			}
			if (!c->dead && c->st == CL_WS && !c->reading && session_may_resume(c) &&
			    obuf_len(&c->out) < CLIENT_OUT_RESUME) {
				c->reading = 1;
				transport_resume_soon(c);
			}
			if (!c->dead)
				transport_kick(c);
		} else {
			mx.samples_refused += e->count;
			log_warn("store refused %u sample(s) of %.4s...: %s", e->count, e->secret,
			         store_strerror(e->rc));
			if (!c || c->st != CL_WS)
				continue;
			c->pending = 0;
			if (e->rc == STORE_ENOKEY) {
				/* key deleted while connected */
				session_close_with(c, 1008, "unknown key");
			} else {
				session_close_with(c, 1013, "storage busy");
			}
			if (!c->dead)
				transport_kick(c);
		}
	}
	if (s->held && store_async_fill(s->store) < STORE_RELEASE_PCT)
		release_held(s);
}

void session_hold_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	if (!s->held)
		return;
	if (store_async_fill(s->store) < STORE_RELEASE_PCT)
		release_held(s);
	else
		ev_timer_start(loop, t, HOLD_CHECK_MS);
}

void session_on_store_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct server *s = arg;
	(void)loop;
	(void)fd;
	(void)events;
	store_async_dispatch(s->store, on_store_events, s);
}
