/* session.c — connections on the server's loop: accept, TLS handshake,
 * HTTP requests, agent WebSocket sessions (SPEC §3, §5), and the glue to the
 * store's database thread. Everything here runs on the loop thread; the
 * store reports commits through its fd. A client is freed only from the
 * reaper timer, so code that may close one checks c->dead and returns. */
#include "server/session.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/http.h"
#include "server/http_buf.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/store/store_async.h"
#include "server/store/store_keys.h"
#include "wire/conn.h"
#include "wire/json.h"
#include "wire/jsonr.h"
#include "wire/sample_parse.h"
#include "wire/ws.h"

#define READ_CHUNK       (64u << 10)
#define READS_PER_WAKE   64          /* then yield to other peers */
#define TOKENS_MAX       32768       /* a stability chunk of 10 000 values fits */
#define MSG_DEPTH_MAX    SAMPLE_JSON_MAX_DEPTH
#define MSG_BUDGET       (256u << 20)/* message assembly over all peers */
#define OUT_PAUSE        (1u << 20)  /* stop reading a peer that does not read */
#define OUT_RESUME       (256u << 10)
#define STREAM_LOW       (256u << 10)/* refill /speedtest output below this */
#define XFER_STALL_MS    30000       /* /speedtest and responses: no progress */
#define KEYCHECK_MS      30000
#define CLOSING_MS       5000
#define TS_FUTURE_SLACK  120         /* s an agent's clock may run ahead */
#define EXPIRE_EVERY_MS  30000
#define ANSWER_MAX       (16u << 10)

enum cl_state { CL_TLS, CL_HEAD, CL_KEYCHECK, CL_BODY, CL_SEND, CL_WS, CL_CLOSING, CL__N };
static const char *const cl_state_names[CL__N] = {
	"tls_handshake", "http_head", "key_check", "http_body", "http_send", "session", "closing",
};

struct client {
	struct server *srv;
	struct conn c;
	int fd;
	uint32_t gen;
	uint8_t st;
	uint8_t dead;
	uint8_t reading;       /* read side enabled */
	uint8_t close_after;   /* close when the output is written */
	uint8_t rd_want, wr_want, hs_want;
	uint8_t msg_op;
	struct ev_timer timer;  /* phase deadline, or ping/idle in a session */
	struct ev_timer resume; /* read again: TLS holds decrypted bytes */
	struct http_head *head;
	struct http_req *req;
	struct obuf out;
	uint64_t body_left, stream_left, xfer, xfer_seen;
	uint64_t t0;
	struct ws ws;
	char *msg;
	size_t msg_len, msg_cap;
	struct agent *agent;
	uint64_t last_rx, last_ping;
	uint32_t pending;       /* samples given to the store, reply owed */
	int64_t acked;
	struct client *prev, *next;
	struct client *dnext;   /* reaper list */
};

/* Loop-thread scratch: one message is handled at a time. */
static uint8_t rbuf[READ_CHUNK];
static jsmntok_t tokpool[TOKENS_MAX];
static struct sample smp;
static char rowbuf[256u << 10];
static char stream_block[64u << 10];

static struct client *dead_list;
static struct ev_timer reap_timer;
static struct ev_timer accept_timer;
static size_t msg_total;

static void client_close(struct client *c);
static void client_kick(struct client *c);
static void update_mask(struct client *c);
static void client_read(struct client *c);
static void read_body(struct client *c);
static void on_fd(struct ev_loop *loop, int fd, int events, void *arg);

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static uint64_t client_tag(const struct client *c)
{
	return ((uint64_t)(uint32_t)c->fd << 32) | c->gen;
}

static struct client *client_by_tag(struct server *s, uint64_t tag)
{
	int fd = (int)(tag >> 32);
	struct client *c;
	if (fd < 0 || fd >= s->nfd)
		return NULL;
	c = s->by_fd[fd];
	if (!c || c->dead || c->gen != (uint32_t)tag)
		return NULL;
	return c;
}

static void set_state(struct client *c, enum cl_state st)
{
	c->srv->nstate[c->st]--;
	c->st = (uint8_t)st;
	c->srv->nstate[st]++;
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
		if (obuf_len(&c->out) > 0)
			m |= want_mask(c->wr_want ? c->wr_want : CONN_WANT_WRITE);
	}
	ev_fd_mask(c->srv->loop, c->fd, m);
}

/* ---- reaping ---- */

static void reap(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	(void)arg;
	while (dead_list) {
		struct client *c = dead_list;
		dead_list = c->dnext;
		free(c);
	}
}

static void msg_release(struct client *c)
{
	msg_total -= c->msg_cap;
	free(c->msg);
	c->msg = NULL;
	c->msg_len = c->msg_cap = 0;
}

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
		for (struct client *o = s->clients; o && a->nconns > 0; o = o->next)
			if (o != c && o->agent == a && o->st == CL_WS) {
				a->conn = o;
				break;
			}
	}
	if (a->nconns == 0 && s->hook) {
		struct agent_event ev = { .kind = AGENT_EV_DISCONNECTED, .agent = a };
		s->hook(s->hook_ctx, &ev);
	}
}

static void client_close(struct client *c)
{
	struct server *s = c->srv;
	if (c->dead)
		return;
	c->dead = 1;
	if (c->st == CL_WS || c->st == CL_CLOSING) {
		if (c->agent)
			s->nsessions--;
		agent_detach(c);
	}
	ev_timer_stop(s->loop, &c->timer);
	ev_timer_stop(s->loop, &c->resume);
	ev_fd_del(s->loop, c->fd);
	conn_close(&c->c);
	if (c->fd >= 0 && c->fd < s->nfd && s->by_fd[c->fd] == c)
		s->by_fd[c->fd] = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nstate[c->st]--;
	s->nclients--;
	free(c->head);
	c->head = NULL;
	free(c->req);
	c->req = NULL;
	obuf_free(&c->out);
	msg_release(c);
	c->dnext = dead_list;
	dead_list = c;
	if (!ev_timer_armed(&reap_timer))
		ev_timer_start(s->loop, &reap_timer, 0);
	if (s->listen_fd >= 0 && !s->stopping && ev_fd_get_mask(s->loop, s->listen_fd) == 0 &&
	    !ev_timer_armed(&accept_timer))
		ev_fd_mask(s->loop, s->listen_fd, EV_READ);
}

/* ---- output ---- */

static int out_append(struct client *c, const void *p, size_t n)
{
	if (obuf_append(&c->out, p, n) != OBUF_OK) {
		mx.output_overflow++;
		log_debug("client %d: output over its limit, dropped", c->fd);
		client_close(c);
		return -1;
	}
	return 0;
}

static void stream_refill(struct client *c)
{
	while (c->stream_left > 0 && obuf_len(&c->out) < STREAM_LOW) {
		size_t k = c->stream_left < sizeof(stream_block) ? (size_t)c->stream_left
		                                                  : sizeof(stream_block);
		if (obuf_append(&c->out, stream_block, k) != OBUF_OK)
			break;
		c->stream_left -= k;
		mx.speedtest_bytes_down += k;
	}
}

/* Writes what it can. Returns -1 when the client was closed. */
static int client_flush(struct client *c)
{
	if (c->dead)
		return -1;
	stream_refill(c);
	while (obuf_len(&c->out) > 0) {
		ssize_t n = conn_write(&c->c, obuf_peek(&c->out), obuf_len(&c->out));
		if (n == CONN_EAGAIN) {
			c->wr_want = (uint8_t)conn_want(&c->c);
			break;
		}
		if (n <= 0) {
			client_close(c);
			return -1;
		}
		c->wr_want = 0;
		obuf_consume(&c->out, (size_t)n);
		mx.bytes_out += (uint64_t)n;
		c->xfer += (uint64_t)n;
		stream_refill(c);
	}
	if (obuf_len(&c->out) == 0) {
		if (c->close_after) {
			conn_shutdown(&c->c);
			client_close(c);
			return -1;
		}
		obuf_shrink(&c->out, 4096);
	}
	/* Backpressure: a peer that does not read stops being read. */
	if (c->st == CL_WS && obuf_len(&c->out) > OUT_PAUSE)
		c->reading = 0;
	else if (c->st == CL_WS && !c->reading && obuf_len(&c->out) < OUT_RESUME &&
	         c->pending < SESSION_PENDING_MAX && !c->srv->stopping) {
		c->reading = 1;
		ev_timer_start(c->srv->loop, &c->resume, 0);
	}
	return 0;
}

static void client_kick(struct client *c)
{
	if (client_flush(c) == 0)
		update_mask(c);
}

/* An HTTP response, then close. */
static void http_reply(struct client *c, int status, const char *ctype, const void *body,
                       size_t len)
{
	char head[512];
	size_t hl;
	if (http_response_head(status, ctype, len, head, sizeof(head), &hl) != WS_OK)
		return;
	/* A response is bounded by its producer (/metrics: 64 MiB), not by
	 * the per-connection output limit of a session. */
	if (len + hl > c->out.max)
		c->out.max = len + hl;
	if (out_append(c, head, hl) != 0 || out_append(c, body, len) != 0)
		return;
	c->close_after = 1;
	c->reading = 0;
	set_state(c, CL_SEND);
	c->xfer_seen = c->xfer;
	ev_timer_start(c->srv->loop, &c->timer, XFER_STALL_MS);
}

static void http_error(struct client *c, int status)
{
	char buf[512];
	size_t n;
	if (ws_http_error_response(status, buf, sizeof(buf), &n) != WS_OK)
		return;
	if (out_append(c, buf, n) != 0)
		return;
	c->close_after = 1;
	c->reading = 0;
	set_state(c, CL_SEND);
	c->xfer_seen = c->xfer;
	ev_timer_start(c->srv->loop, &c->timer, XFER_STALL_MS);
}

/* ---- WebSocket output ---- */

static int close_idx(unsigned code)
{
	switch (code) {
	case 1001: return MX_CLOSE_1001;
	case 1002: return MX_CLOSE_1002;
	case 1007: return MX_CLOSE_1007;
	case 1008: return MX_CLOSE_1008;
	case 1009: return MX_CLOSE_1009;
	case 1013: return MX_CLOSE_1013;
	default: return MX_CLOSE_1011;
	}
}

static int ws_send(struct client *c, unsigned op, const void *p, size_t n)
{
	char *d;
	size_t ol;
	if (c->dead)
		return -1;
	d = obuf_reserve(&c->out, n + WS_HDR_MAX);
	if (!d) {
		mx.output_overflow++;
		client_close(c);
		return -1;
	}
	if (ws_frame_encode(&c->ws, op, 1, p, n, (uint8_t *)d, n + WS_HDR_MAX, &ol) != WS_OK)
		return -1; /* after our close: nothing more goes out */
	obuf_commit(&c->out, ol);
	return 0;
}

/* Our close frame; the connection goes once it is written. */
static void ws_close_with(struct client *c, unsigned code, const char *reason)
{
	uint8_t fr[WS_CTRL_FRAME_MAX];
	size_t n;
	if (c->dead || c->st == CL_CLOSING)
		return;
	if (ws_close_encode(&c->ws, (uint16_t)code, reason, strlen(reason), fr, sizeof(fr), &n) == WS_OK) {
		mx.ws_closed[close_idx(code)]++;
		if (out_append(c, fr, n) != 0)
			return;
	}
	set_state(c, CL_CLOSING);
	c->reading = 0;
	c->close_after = 1;
	ev_timer_start(c->srv->loop, &c->timer, CLOSING_MS);
}

/* {"commands": [...], "ack": <ts>} */
static int send_reply(struct client *c, const char *const *cmds, size_t n)
{
	char buf[SESSION_CMDS_MAX * (STORE_CMD_MAX * 2 + 8) + 128];
	struct json_w w;
	size_t len;

	json_init(&w, buf, sizeof(buf));
	json_obj_open(&w);
	json_key(&w, "commands");
	json_arr_open(&w);
	for (size_t i = 0; i < n; i++)
		json_str(&w, cmds[i]);
	json_arr_close(&w);
	json_key(&w, "ack");
	json_int(&w, c->acked);
	json_obj_close(&w);
	if (json_finish(&w, &len) != JSON_OK)
		return -1;
	if (ws_send(c, WS_OP_TEXT, buf, len) != 0)
		return -1;
	mx.replies_sent++;
	mx.commands_sent += n;
	return 0;
}

/* ---- store calls ---- */

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
	char *answer;
	char prefix[16];
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
		ev.agent = agent_find(&s->agents, k->secret);
		if (s->hook)
			s->hook(s->hook_ctx, &ev);
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
	free(j->answer);
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

static void session_start(struct client *c, const char *nickname, int64_t newest,
                          const struct store_cmd *cmds, int ncmds)
{
	struct server *s = c->srv;
	char resp[512];
	size_t n;
	const char *texts[SESSION_CMDS_MAX] = { NULL };
	struct agent *a;

	if (ws_server_accept_response(&c->req->head, resp, sizeof(resp), &n) != WS_OK) {
		client_close(c);
		return;
	}
	a = agent_get(&s->agents, c->req->secret);
	if (!a) {
		http_error(c, 503);
		return;
	}
	if (out_append(c, resp, n) != 0)
		return;
	if (nickname && *nickname)
		snprintf(a->nickname, sizeof(a->nickname), "%s", nickname);
	ws_init(&c->ws, WS_ROLE_SERVER, WS_MAX_MESSAGE_DEFAULT, NULL, NULL);
	set_state(c, CL_WS);
	free(c->head);
	c->head = NULL;
	c->agent = a;
	a->nconns++;
	a->conn = c;
	a->connected_since = wall_now();
	if (newest > a->acked)
		a->acked = newest;
	c->acked = a->acked;
	s->nsessions++;
	mx.sessions_opened++;
	c->last_rx = c->last_ping = ev_now(s->loop);
	c->reading = 1;
	c->rd_want = CONN_WANT_READ;
	ev_timer_start(s->loop, &c->timer, s->cfg->ping_interval_ms < s->cfg->idle_timeout_ms
	                                     ? s->cfg->ping_interval_ms : s->cfg->idle_timeout_ms);
	for (int i = 0; i < ncmds; i++)
		texts[i] = cmds[i].command;
	/* The first reply carries the ack (so a reconnecting agent can drop
	 * what is stored) and what was queued while it was away. */
	if (send_reply(c, texts, (size_t)ncmds) != 0)
		return;
	if (ncmds > 0)
		log_info("session %s: delivered %d queued command(s)", a->nickname, ncmds);
	log_info("agent %s connected (%u session(s))", a->nickname[0] ? a->nickname : a->id,
	         a->nconns);
	if (s->hook) {
		struct agent_event ev = { .kind = AGENT_EV_CONNECTED, .agent = a };
		s->hook(s->hook_ctx, &ev);
	}
	client_kick(c);
}

static void hello_done(void *arg, int rc)
{
	struct hello_job *j = arg;
	struct server *s = j->srv;
	struct client *c = client_by_tag(s, j->tag);

	report_expired(s, j->expired, j->nexpired);
	if (!c || c->st != CL_KEYCHECK) {
		/* the peer left while the key was checked: give the commands back */
		requeue_cmds(s, j->cmds, j->ncmds);
		free(j);
		return;
	}
	if (rc != STORE_OK) {
		/* Database away: a key seen since start may still come in. */
		struct agent *a = agent_find(&s->agents, j->secret);
		if (a) {
			session_start(c, NULL, a->acked, NULL, 0);
		} else {
			log_warn("key check failed (%s): 503", store_strerror(rc));
			http_error(c, 503);
			client_kick(c);
		}
		free(j);
		return;
	}
	if (!j->exists) {
		struct agent *a = agent_find(&s->agents, j->secret);
		if (a && a->nconns == 0)
			agent_remove(&s->agents, a);
		mx.rejected[MX_REJ_FORBIDDEN]++;
		log_info("refused /ws/ with an unknown key (403)");
		http_error(c, 403);
		client_kick(c);
		free(j);
		return;
	}
	session_start(c, j->nickname, j->newest, j->cmds, j->ncmds);
	free(j);
}

static void keycheck_start(struct client *c)
{
	struct server *s = c->srv;
	struct hello_job *j = calloc(1, sizeof(*j));
	if (!j) {
		http_error(c, 503);
		return;
	}
	j->srv = s;
	j->tag = client_tag(c);
	snprintf(j->secret, sizeof(j->secret), "%s", c->req->secret);
	j->now = wall_now();
	set_state(c, CL_KEYCHECK);
	c->reading = 0;
	ev_timer_start(s->loop, &c->timer, KEYCHECK_MS);
	if (store_async_call(s->store, hello_fn, hello_done, j) != STORE_OK) {
		free(j);
		http_error(c, 503);
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
	struct agent *a = agent_find(&s->agents, j->secret);
	const char *texts[SESSION_CMDS_MAX];
	(void)rc;
	if (j->ncmds > 0) {
		if (!a || !a->conn || a->conn->st != CL_WS) {
			requeue_cmds(s, j->cmds, j->ncmds);
		} else {
			for (int i = 0; i < j->ncmds; i++)
				texts[i] = j->cmds[i].command;
			if (send_reply(a->conn, texts, (size_t)j->ncmds) == 0)
				client_kick(a->conn);
		}
	}
	free(j);
}

static void enqueue_done(void *arg, int rc)
{
	struct cmd_job *j = arg;
	struct server *s = j->srv;
	struct agent *a;

	if (rc != STORE_OK) {
		log_error("command '%s' could not be recorded: %s", j->command, store_strerror(rc));
	} else if (!j->delivered) {
		/* It may have connected while the command was written. */
		a = agent_find(&s->agents, j->secret);
		if (a && a->conn && a->conn->st == CL_WS) {
			struct hello_job *h = calloc(1, sizeof(*h));
			if (h) {
				h->srv = s;
				snprintf(h->secret, sizeof(h->secret), "%s", j->secret);
				h->now = wall_now();
				if (store_async_call(s->store, take_fn, take_done, h) != STORE_OK)
					free(h);
			}
		}
	}
	free(j);
}

int server_command(struct server *s, const char *secret, const char *command,
                   int64_t requested_by, int64_t chat_id)
{
	struct agent *a = agent_find(&s->agents, secret);
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
	j->now = wall_now();
	j->ttl = store_cmd_ttl(command, (int)s->cfg->command_ttl);
	if (a && a->conn && a->conn->st == CL_WS && !s->stopping) {
		const char *t[1] = { command };
		if (send_reply(a->conn, t, 1) == 0) {
			client_kick(a->conn);
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

static int answer_fn(struct store *st, void *arg)
{
	struct cmd_job *j = arg;
	return store_cmd_answer_pending(st, j->secret, j->prefix, j->now, j->answer, NULL);
}

/* Records an agent's answer to the oldest delivered command starting with
 * prefix ("" = any). */
static void record_answer(struct client *c, const char *prefix, const char *text, size_t len)
{
	struct cmd_job *j = calloc(1, sizeof(*j));
	size_t n = agent_utf8_cut(text, len, ANSWER_MAX);
	if (!j)
		return;
	j->answer = malloc(n + 1);
	if (!j->answer) {
		free(j);
		return;
	}
	memcpy(j->answer, text, n);
	j->answer[n] = '\0';
	j->srv = c->srv;
	snprintf(j->secret, sizeof(j->secret), "%s", c->agent->secret);
	snprintf(j->prefix, sizeof(j->prefix), "%s", prefix);
	j->now = wall_now();
	if (store_async_call(c->srv->store, answer_fn, free_done, j) != STORE_OK)
		free_done(j, 0);
}

static int seen_fn(struct store *st, void *arg)
{
	struct cmd_job *j = arg;
	return store_agent_seen(st, j->secret, j->now, j->answer);
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
	report_expired(j->srv, j->expired, j->nexpired);
	free(j);
}

static void expire_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	struct hello_job *j;
	if (s->stopping)
		return;
	j = calloc(1, sizeof(*j));
	if (j) {
		j->srv = s;
		j->now = wall_now();
		if (store_async_call(s->store, expire_fn, expire_done, j) != STORE_OK)
			free(j);
	}
	ev_timer_start(loop, t, EXPIRE_EVERY_MS);
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

/* Which command a text answers (the original's and ours). NULL: progress. */
static const char *text_prefix(const char *t)
{
	static const struct { const char *needle, *prefix; } map[] = {
		{ "speedtest", "speedtest" }, { "reboot", "reboot" }, { "shutting down", "shutdown" },
		{ "shutdown", "shutdown" }, { "diag", "diag" }, { "\xd0\x94\xd0\xb8\xd0\xb0\xd0\xb3", "diag" },
		{ "stability", "stability" }, { "\xd1\x81\xd1\x82\xd0\xb0\xd0\xb1\xd0\xb8\xd0\xbb", "stability" },
		{ "not supported", "" },
	};
	if (strncmp(t, "\xe2\x8f\xb3", 3) == 0) /* "⏳" opens a progress note */
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasestr(t, map[i].needle))
			return map[i].prefix;
	return NULL;
}

static void on_text(struct client *c, const struct jsonr *r, int k)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	size_t cap = jsonr_str_cap(r, k), n;
	char *t = malloc(cap);
	const char *pfx;
	if (!t)
		return;
	if (jsonr_str(r, k, t, cap, &n) == JSONR_OK) {
		mx.texts++;
		agent_set_text(a, t, n, wall_now());
		pfx = text_prefix(a->text);
		if (pfx)
			record_answer(c, pfx, a->text, strlen(a->text));
		if (s->hook) {
			struct agent_event ev = { .kind = AGENT_EV_TEXT, .agent = a };
			s->hook(s->hook_ctx, &ev);
		}
	} else {
		mx.sample_fields_bad++;
	}
	free(t);
}

static void on_diag(struct client *c, const struct jsonr *r, int kok, int kd)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	int ok = 0;
	char *t = NULL;
	size_t n = 0;

	if (jsonr_bool(r, kok, &ok) != JSONR_OK) {
		mx.sample_fields_bad++;
		return;
	}
	if (kd >= 0 && jsonr_type(r, kd) == JSONR_T_STRING) {
		size_t cap = jsonr_str_cap(r, kd);
		t = malloc(cap);
		if (t && jsonr_str(r, kd, t, cap, &n) != JSONR_OK)
			n = 0;
	}
	mx.diags++;
	agent_set_diag(a, t ? t : "", n, ok, wall_now());
	if (ok)
		record_answer(c, "diag", a->diag, strlen(a->diag));
	else
		record_answer(c, "diag", "diagnostics failed", 18);
	free(t);
	if (s->hook) {
		struct agent_event ev = { .kind = AGENT_EV_DIAG, .agent = a };
		s->hook(s->hook_ctx, &ev);
	}
}

static void on_stability(struct client *c, const struct jsonr *r, int obj)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	static float vals[TOKENS_MAX];
	double start = NAN, iv = 0;
	int done = 0, k;
	size_t n = 0;
	char err[256] = "";

	if ((k = jsonr_get(r, obj, "start_ts")) >= 0)
		jsonr_num_range(r, k, 0, 1e11, &start);
	if ((k = jsonr_get(r, obj, "interval_ms")) >= 0)
		jsonr_num_range(r, k, 0, 86400000, &iv);
	if ((k = jsonr_get(r, obj, "done")) >= 0)
		jsonr_bool(r, k, &done);
	if ((k = jsonr_get(r, obj, "error")) >= 0 && jsonr_type(r, k) == JSONR_T_STRING) {
		if (jsonr_str(r, k, err, sizeof(err), NULL) != JSONR_OK)
			snprintf(err, sizeof(err), "(unreadable error)");
		done = 1;
	}
	if ((k = jsonr_get(r, obj, "rtts")) >= 0 && jsonr_type(r, k) == JSONR_T_ARRAY) {
		for (int e = jsonr_first(r, k); e > 0 && n < TOKENS_MAX; e = jsonr_after(r, k, e)) {
			double v;
			if (jsonr_num_range(r, e, 0, 1e7, &v) == JSONR_OK)
				vals[n++] = (float)v;
			else
				vals[n++] = NAN; /* null = lost; garbage counts as lost too */
		}
	}
	if (isnan(start))
		start = isnan(a->stab.start_ts) ? 0 : a->stab.start_ts;
	mx.stability_chunks++;
	agent_stab_add(&s->agents, a, start, (unsigned)iv, vals, n, done, err, wall_now());
	if (done) {
		char ans[128];
		int l = snprintf(ans, sizeof(ans), "%zu values%s%s", a->stab.n,
		                 err[0] ? ", error: " : "", err);
		record_answer(c, "stability", ans, (size_t)l < sizeof(ans) ? (size_t)l : sizeof(ans) - 1);
	}
	if (s->hook) {
		struct agent_event ev = { .kind = AGENT_EV_STABILITY, .agent = a };
		s->hook(s->hook_ctx, &ev);
	}
}

static void host_update(struct client *c, const struct sample *sm)
{
	char host[2048];
	struct cmd_job *j;
	if (store_host_json(sm, host, sizeof(host)) < 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->answer = strdup(host);
	j->srv = c->srv;
	snprintf(j->secret, sizeof(j->secret), "%s", c->agent->secret);
	j->now = wall_now();
	if (!j->answer || store_async_call(c->srv->store, seen_fn, free_done, j) != STORE_OK)
		free_done(j, 0);
}

/* A metric sample to the store. Returns 1 when the reply waits for the
 * commit, 0 to reply now, -1 when the session was closed. */
static int on_sample(struct client *c)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	struct store_row row;
	int64_t now = wall_now(), ts;
	int64_t oldest = now - (int64_t)s->cfg->store.retention_days * 86400;
	int rc;

	mx.samples_received++;
	/* SPEC §5: keep the agent's ts when sane, else stamp it here. */
	if (!isnan(smp.ts) && smp.ts <= (double)(now + TS_FUTURE_SLACK) && smp.ts >= (double)oldest) {
		ts = (int64_t)floor(smp.ts);
	} else {
		/* Stamped here: one second apart at least, so an old agent sending
		 * twice within a second loses nothing to (secret, ts) uniqueness
		 * (bounded: never more than 2 s ahead). */
		ts = now;
		if (ts <= a->last_stamp && a->last_stamp < now + 2)
			ts = a->last_stamp + 1;
		a->last_stamp = ts;
		mx.samples_ts_stamped++;
	}
	if (smp.has_host)
		host_update(c, &smp);
	if (ts >= a->latest_ts || !a->has_latest)
		agent_set_latest(a, &smp, ts);
	a->last_seen = now;
	if (s->hook) {
		struct agent_event ev = { .kind = AGENT_EV_SAMPLE, .agent = a, .sample = &smp };
		s->hook(s->hook_ctx, &ev);
	}
	rc = store_row_from_sample(&row, a->secret, ts, &smp, rowbuf, sizeof(rowbuf));
	if (rc == STORE_OK)
		rc = store_async_sample(s->store, client_tag(c), &row);
	if (rc == STORE_OK) {
		c->pending++;
		if (c->pending >= SESSION_PENDING_MAX)
			c->reading = 0;
		return 1;
	}
	if (rc == STORE_ESTOPPED)
		return 0;
	/* Full (or unusable): no ack; the agent resends after reconnecting. */
	mx.samples_refused++;
	log_warn("agent %s: sample refused by the store (%s), closing 1013", a->nickname,
	         store_strerror(rc));
	ws_close_with(c, 1013, "storage busy");
	return -1;
}

static void on_message(struct client *c, uint8_t *data, size_t len, unsigned op)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	struct jsonr r;
	int rc, handled = 0, deferred = 0, k, kok;

	mx.messages_received++;
	a->last_seen = wall_now();
	if (op != WS_OP_TEXT) {
		mx.messages_bad[MX_BAD_TYPE]++;
		goto reply;
	}
	rc = jsonr_parse(&r, (const char *)data, len, tokpool, TOKENS_MAX, MSG_DEPTH_MAX);
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
		on_text(c, &r, k);
		handled = 1;
	}
	kok = jsonr_get(&r, 0, "diag_ok");
	if (kok >= 0 && !jsonr_is_null(&r, kok)) {
		on_diag(c, &r, kok, jsonr_get(&r, 0, "diag"));
		handled = 1;
		goto reply;
	}
	k = jsonr_get(&r, 0, "stability");
	if (k >= 0 && jsonr_type(&r, k) == JSONR_T_OBJECT) {
		on_stability(c, &r, k);
		handled = 1;
	}
	sample_clear(&smp);
	mx.sample_fields_bad += (uint64_t)sample_from_json(&smp, &r, 0);
	if (sample_is_metric(&smp)) {
		handled = 1;
		if (smp.oneshot) {
			mx.oneshots++;
			agent_set_oneshot(a, &smp, wall_now());
			agent_set_latest(a, &smp, wall_now());
			record_answer(c, "status", "sample", 6);
			if (s->hook) {
				struct agent_event ev = { .kind = AGENT_EV_ONESHOT, .agent = a, .sample = &smp };
				s->hook(s->hook_ctx, &ev);
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
		send_reply(c, NULL, 0);
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
		if (msg_total - c->msg_cap + nc > MSG_BUDGET) {
			log_warn("message memory budget reached: closing a session (1013)");
			ws_close_with(c, 1013, "server busy");
			return;
		}
		nm = realloc(c->msg, nc);
		if (!nm) {
			ws_close_with(c, 1011, "out of memory");
			return;
		}
		msg_total += nc - c->msg_cap;
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
		if (ev.reply_len && out_append(c, ev.reply, ev.reply_len) != 0)
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
			set_state(c, CL_CLOSING);
			c->reading = 0;
			c->close_after = 1;
			ev_timer_start(c->srv->loop, &c->timer, CLOSING_MS);
			return;
		case WS_EV_ERROR:
			mx.ws_closed[close_idx(ev.close_code)]++;
			log_info("agent %s: protocol error, closing %u",
			         c->agent ? c->agent->nickname : "?", ev.close_code);
			set_state(c, CL_CLOSING);
			c->reading = 0;
			c->close_after = 1;
			ev_timer_start(c->srv->loop, &c->timer, CLOSING_MS);
			return;
		}
	}
}

/* ---- reading by state ---- */

static void on_head_done(struct client *c, int rc, const uint8_t *rest, size_t rest_len)
{
	struct server *s = c->srv;
	struct http_req *q = c->req;

	if (rc > 1) {
		mx.rejected[rc == 431 ? MX_REJ_HEAD_TOO_LARGE : MX_REJ_BAD_REQUEST]++;
		log_debug("client %d: bad request head (%d)", c->fd, rc);
		http_error(c, rc);
		return;
	}
	mx.http_requests[q->route]++;
	switch (q->route) {
	case HTTP_ROUTE_WS:
		if (s->stopping) {
			http_error(c, 503);
			return;
		}
		keycheck_start(c);
		return;
	case HTTP_ROUTE_HEALTHZ: {
		static const char ok[] = "ok\n";
		http_reply(c, 200, "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
		return;
	}
	case HTTP_ROUTE_METRICS: {
		struct obuf body;
		obuf_init(&body, 64u << 20);
		if (server_metrics_page(s, &body) != 0) {
			obuf_free(&body);
			http_error(c, 500);
			return;
		}
		http_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8",
		           obuf_peek(&body), obuf_len(&body));
		obuf_free(&body);
		return;
	}
	case HTTP_ROUTE_SPEEDTEST_DOWN: {
		char head[512];
		size_t hl;
		if (http_response_head(200, "application/octet-stream", q->bytes, head,
		                       sizeof(head), &hl) != WS_OK || out_append(c, head, hl) != 0)
			return;
		c->stream_left = q->bytes;
		c->close_after = 1;
		c->reading = 0;
		set_state(c, CL_SEND);
		c->xfer_seen = c->xfer;
		ev_timer_start(s->loop, &c->timer, XFER_STALL_MS);
		return;
	}
	case HTTP_ROUTE_SPEEDTEST_UP:
		c->body_left = q->bytes;
		c->t0 = ev_now(s->loop);
		set_state(c, CL_BODY);
		c->xfer_seen = c->xfer;
		ev_timer_start(s->loop, &c->timer, XFER_STALL_MS);
		{
			uint64_t k = rest_len < c->body_left ? rest_len : c->body_left;
			c->body_left -= k;
			mx.speedtest_bytes_up += k;
		}
		(void)rest;
		if (c->body_left == 0) {
			char b[128];
			int n = snprintf(b, sizeof(b), "{\"bytes\": %llu, \"ms\": %llu}\n",
			                 (unsigned long long)q->bytes,
			                 (unsigned long long)(ev_now(s->loop) - c->t0));
			http_reply(c, 200, "application/json", b, (size_t)n);
		}
		return;
	default:
		if (q->status == 403)
			mx.rejected[MX_REJ_FORBIDDEN]++;
		else
			mx.rejected[MX_REJ_NOT_FOUND]++;
		http_error(c, q->status);
		return;
	}
}

/* One read from the peer: > 0 bytes read; 0 when nothing more now (would
 * block, with what the connection waits for noted) or the client is gone. */
static ssize_t client_recv(struct client *c, void *buf, size_t cap)
{
	ssize_t n = conn_read(&c->c, buf, cap);
	if (n == CONN_EAGAIN) {
		c->rd_want = (uint8_t)conn_want(&c->c);
		return 0;
	}
	if (n <= 0) {
		client_close(c);
		return 0;
	}
	c->rd_want = CONN_WANT_READ;
	mx.bytes_in += (uint64_t)n;
	return n;
}

static void read_head(struct client *c)
{
	for (int i = 0; i < READS_PER_WAKE && c->st == CL_HEAD && !c->dead; i++) {
		size_t room = HTTP_HEAD_MAX - c->head->len, used;
		ssize_t n;
		int rc;
		if (room == 0)
			room = 1; /* let the feed say 431 */
		n = client_recv(c, rbuf, room < sizeof(rbuf) ? room : sizeof(rbuf));
		if (n == 0)
			return;
		rc = http_head_feed(c->head, rbuf, (size_t)n, &used, c->req);
		if (rc == HTTP_MORE)
			continue;
		{
			/* bytes after the head: in the head buffer and the unused read */
			size_t extra = 0;
			if (rc == HTTP_DONE)
				extra = c->head->len - c->req->head.head_len + ((size_t)n - used);
			on_head_done(c, rc, NULL, extra);
		}
		/* an upload's body may already sit in the TLS layer */
		if (!c->dead && c->st == CL_BODY)
			read_body(c);
		return;
	}
}

static void read_body(struct client *c)
{
	struct server *s = c->srv;
	for (int i = 0; i < READS_PER_WAKE && c->body_left > 0 && !c->dead; i++) {
		ssize_t n = client_recv(c, rbuf, sizeof(rbuf));
		uint64_t k;
		if (n == 0)
			return;
		c->xfer += (uint64_t)n;
		k = (uint64_t)n < c->body_left ? (uint64_t)n : c->body_left;
		c->body_left -= k;
		mx.speedtest_bytes_up += k;
	}
	if (c->body_left == 0 && !c->dead) {
		char b[128];
		int n = snprintf(b, sizeof(b), "{\"bytes\": %llu, \"ms\": %llu}\n",
		                 (unsigned long long)c->req->bytes,
		                 (unsigned long long)(ev_now(s->loop) - c->t0));
		http_reply(c, 200, "application/json", b, (size_t)n);
	} else if (!c->dead && conn_pending(&c->c) > 0) {
		ev_timer_start(s->loop, &c->resume, 0);
	}
}

static void read_ws(struct client *c)
{
	struct server *s = c->srv;
	int i;
	for (i = 0; i < READS_PER_WAKE && c->reading && !c->dead && c->st == CL_WS; i++) {
		ssize_t n = client_recv(c, rbuf, sizeof(rbuf));
		if (n == 0)
			return;
		c->last_rx = ev_now(s->loop);
		feed_ws(c, rbuf, (size_t)n);
	}
	/* Yielded with bytes the TLS layer already decrypted: epoll will not
	 * report them, so come back on the next turn of the loop. */
	if (!c->dead && c->reading && conn_pending(&c->c) > 0)
		ev_timer_start(s->loop, &c->resume, 0);
}

static void client_read(struct client *c)
{
	switch (c->st) {
	case CL_HEAD: read_head(c); break;
	case CL_BODY: read_body(c); break;
	case CL_WS: read_ws(c); break;
	default: break;
	}
}

static void do_handshake(struct client *c)
{
	struct server *s = c->srv;
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
		client_close(c);
		return;
	}
	c->head = malloc(sizeof(*c->head));
	c->req = malloc(sizeof(*c->req));
	if (!c->head || !c->req) {
		client_close(c);
		return;
	}
	http_head_init(c->head);
	set_state(c, CL_HEAD);
	c->reading = 1;
	c->rd_want = CONN_WANT_READ;
	ev_timer_start(s->loop, &c->timer, s->cfg->header_timeout_ms);
	/* The request may already sit in the TLS layer. */
	read_head(c);
	if (!c->dead)
		client_kick(c);
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
		client_read(c);
		if (c->dead)
			return;
	}
	client_kick(c);
}

static void on_resume(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	on_fd(loop, -1, EV_READ, arg);
	(void)t;
}

static void on_timer(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct client *c = arg;
	struct server *s = c->srv;
	uint64_t now = ev_now(loop);

	switch (c->st) {
	case CL_TLS:
		mx.rejected[MX_REJ_TLS_TIMEOUT]++;
		client_close(c);
		return;
	case CL_HEAD:
		mx.rejected[MX_REJ_HEADER_TIMEOUT]++;
		log_debug("client %d: request head not complete in time", c->fd);
		client_close(c);
		return;
	case CL_KEYCHECK:
		http_error(c, 503);
		client_kick(c);
		return;
	case CL_BODY:
	case CL_SEND:
		if (c->xfer == c->xfer_seen) {
			mx.rejected[MX_REJ_BODY_TIMEOUT]++;
			client_close(c);
			return;
		}
		c->xfer_seen = c->xfer;
		ev_timer_start(loop, t, XFER_STALL_MS);
		return;
	case CL_CLOSING:
		client_close(c);
		return;
	case CL_WS: {
		uint64_t pi = s->cfg->ping_interval_ms, idle = s->cfg->idle_timeout_ms, next;
		if (now - c->last_rx >= idle) {
			mx.sessions_idle_dropped++;
			log_info("agent %s: silent for %llu s, dropped", c->agent ? c->agent->nickname : "?",
			         (unsigned long long)((now - c->last_rx) / 1000));
			client_close(c);
			return;
		}
		if (now - c->last_ping >= pi) {
			if (ws_send(c, WS_OP_PING, NULL, 0) != 0)
				return;
			c->last_ping = now;
			client_kick(c);
			if (c->dead)
				return;
		}
		next = c->last_ping + pi;
		if (c->last_rx + idle < next)
			next = c->last_rx + idle;
		ev_timer_start(loop, t, next > now ? next - now : 1);
		return;
	}
	default:
		return;
	}
}

/* ---- accepting ---- */

static void on_accept_resume(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	(void)t;
	if (s->listen_fd >= 0 && !s->stopping)
		ev_fd_mask(loop, s->listen_fd, EV_READ);
}

static void on_listen(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct server *s = arg;
	(void)events;
	for (int i = 0; i < 256 && !s->stopping; i++) {
		struct client *c = calloc(1, sizeof(*c));
		int rc, cfd;
		if (!c)
			return;
		conn_init(&c->c);
		rc = conn_accept(&c->c, s->tls, fd);
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
			ev_timer_start(loop, &accept_timer, 200);
			return;
		}
		cfd = conn_fd(&c->c);
		mx.connections_accepted++;
		if (cfd >= s->nfd || s->nclients >= s->max_clients) {
			mx.rejected[MX_REJ_CONN_LIMIT]++;
			conn_close(&c->c);
			free(c);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		c->gen = ++s->gen;
		c->st = CL_TLS;
		s->nstate[CL_TLS]++;
		obuf_init(&c->out, SESSION_OUT_MAX);
		ev_timer_init(&c->timer, on_timer, c);
		ev_timer_init(&c->resume, on_resume, c);
		s->by_fd[cfd] = c;
		c->next = s->clients;
		if (s->clients)
			s->clients->prev = c;
		s->clients = c;
		s->nclients++;
		if (ev_fd_set(loop, cfd, EV_READ, on_fd, c) != EV_OK) {
			client_close(c);
			continue;
		}
		ev_timer_start(loop, &c->timer, s->cfg->handshake_timeout_ms);
		do_handshake(c);
	}
}

/* ---- the store's completions ---- */

static void on_store_events(void *ctx, const struct store_ev *evs, size_t n)
{
	struct server *s = ctx;
	for (size_t i = 0; i < n; i++) {
		const struct store_ev *e = &evs[i];
		struct client *c = client_by_tag(s, e->tag);
		struct agent *a;
		if (e->kind == STORE_EV_STORED) {
			mx.samples_stored += e->count;
			a = c ? c->agent : agent_find(&s->agents, e->secret);
			if (a && e->ts > a->acked)
				a->acked = e->ts;
			if (!c || (c->st != CL_WS && c->st != CL_CLOSING))
				continue;
			if (e->ts > c->acked)
				c->acked = e->ts;
			for (uint32_t k = 0; k < e->count && c->pending > 0; k++) {
				c->pending--;
				if (c->st == CL_WS && send_reply(c, NULL, 0) != 0)
					break;
			}
			if (!c->dead && c->st == CL_WS && !c->reading && c->pending < SESSION_PENDING_MAX &&
			    obuf_len(&c->out) < OUT_RESUME && !s->stopping) {
				c->reading = 1;
				ev_timer_start(s->loop, &c->resume, 0);
			}
			if (!c->dead)
				client_kick(c);
		} else {
			mx.samples_refused += e->count;
			log_warn("store refused %u sample(s) of %.4s...: %s", e->count, e->secret,
			         store_strerror(e->rc));
			if (!c || c->st != CL_WS)
				continue;
			c->pending = 0;
			if (e->rc == STORE_ENOKEY) {
				/* key deleted while connected */
				ws_close_with(c, 1008, "unknown key");
			} else {
				ws_close_with(c, 1013, "storage busy");
			}
			if (!c->dead)
				client_kick(c);
		}
	}
}

static void on_store_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct server *s = arg;
	(void)loop;
	(void)fd;
	(void)events;
	store_async_dispatch(s->store, on_store_events, s);
}

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

/* ---- set-up, shutdown ---- */

int server_init(struct server *s, const struct server_config *cfg, struct ev_loop *loop,
                struct conn_tls *tls, struct store_async *store, char *err, size_t errlen)
{
	unsigned lim;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->loop = loop;
	s->tls = tls;
	s->store = store;
	s->listen_fd = -1;
	s->started = wall_now();
	s->nfd = ev_setsize(loop);
	s->by_fd = calloc((size_t)s->nfd, sizeof(*s->by_fd));
	if (!s->by_fd) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lim = (unsigned)s->nfd > 64 ? (unsigned)s->nfd - 64 : 1;
	s->max_clients = cfg->max_connections && cfg->max_connections < lim ? cfg->max_connections : lim;
	agent_table_init(&s->agents);
	memset(stream_block, 'x', sizeof(stream_block));
	ev_timer_init(&reap_timer, reap, NULL);
	ev_timer_init(&accept_timer, on_accept_resume, s);
	ev_timer_init(&s->expire_timer, expire_tick, s);
	pthread_mutex_init(&s->post_mu, NULL);
	s->post_fd[0] = s->post_fd[1] = -1;
	if (pipe(s->post_fd) != 0 || fcntl(s->post_fd[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(s->post_fd[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(s->post_fd[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(s->post_fd[1], F_SETFD, FD_CLOEXEC) != 0 ||
	    ev_fd_set(loop, s->post_fd[0], EV_READ, on_post_fd, s) != EV_OK) {
		snprintf(err, errlen, "post pipe: %s", strerror(errno));
		return -1;
	}
	if (ev_fd_set(loop, store_async_fd(store), EV_READ, on_store_fd, s) != EV_OK) {
		snprintf(err, errlen, "cannot watch the store's fd");
		return -1;
	}
	ev_timer_start(loop, &s->expire_timer, 2000);
	return 0;
}

int server_listen(struct server *s, char *err, size_t errlen)
{
	int fd = conn_listen(s->cfg->listen_addr[0] ? s->cfg->listen_addr : NULL, s->cfg->port,
	                     4096, err, errlen);
	if (fd < 0)
		return -1;
	if (ev_fd_set(s->loop, fd, EV_READ, on_listen, s) != EV_OK) {
		close(fd);
		snprintf(err, errlen, "listening socket %d is past the loop's set size", fd);
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

void server_set_hook(struct server *s, agent_hook_fn fn, void *ctx)
{
	s->hook = fn;
	s->hook_ctx = ctx;
}

static void close_sessions(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct server *s = arg;
	struct client *c = s->clients, *n;
	(void)loop;
	(void)t;
	for (; c; c = n) {
		n = c->next;
		if (c->st == CL_WS) {
			ws_close_with(c, 1001, "server shutting down");
			client_kick(c);
		}
	}
	s->flushed = 1;
}

static struct ev_timer close_timer;

static void flush_done(void *arg, int rc)
{
	struct server *s = arg;
	if (rc != STORE_OK)
		log_warn("shutdown: the store could not confirm every sample yet (%s)",
		         store_strerror(rc));
	/* Acks for the last commits come in this same dispatch: close on the
	 * next turn, after they are queued. */
	ev_timer_init(&close_timer, close_sessions, s);
	ev_timer_start(s->loop, &close_timer, 0);
}

void server_begin_shutdown(struct server *s)
{
	struct client *c, *n;
	if (s->stopping)
		return;
	s->stopping = 1;
	ev_timer_stop(s->loop, &s->expire_timer);
	ev_timer_stop(s->loop, &accept_timer);
	if (s->listen_fd >= 0) {
		ev_fd_del(s->loop, s->listen_fd);
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	for (c = s->clients; c; c = n) {
		n = c->next;
		if (c->st == CL_WS) {
			/* what the agents already sent is "received": take it */
			c->reading = 1;
			read_ws(c);
			if (c->dead)
				continue;
			c->reading = 0;
			ev_timer_stop(s->loop, &c->resume);
			client_kick(c);
		} else if (c->st != CL_SEND && c->st != CL_CLOSING) {
			client_close(c);
		}
	}
	if (store_async_flush(s->store, flush_done, s) != STORE_OK)
		flush_done(s, STORE_ESTOPPED);
}

int server_shutdown_done(const struct server *s)
{
	return s->flushed && s->nclients == 0;
}

void server_free(struct server *s)
{
	while (s->clients)
		client_close(s->clients);
	reap(s->loop, NULL, NULL);
	ev_timer_stop(s->loop, &reap_timer);
	ev_timer_stop(s->loop, &accept_timer);
	ev_timer_stop(s->loop, &s->expire_timer);
	ev_timer_stop(s->loop, &close_timer);
	if (s->store)
		ev_fd_del(s->loop, store_async_fd(s->store));
	if (s->listen_fd >= 0) {
		ev_fd_del(s->loop, s->listen_fd);
		close(s->listen_fd);
		s->listen_fd = -1;
	}
	agent_table_free(&s->agents);
	free(s->by_fd);
	s->by_fd = NULL;
	if (s->post_fd[0] >= 0) {
		struct server_post *p = s->post_head;
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
}

/* ---- /metrics ---- */

struct agent_gauge {
	const char *name, *help;
	int key;       /* SK_* or -1 */
	double scale;
};

int server_metrics_page(struct server *s, struct obuf *o)
{
	static const struct agent_gauge g[] = {
		{ "monbot_agent_cpu_percent", "Agent CPU use, percent.", SK_CPU, 1 },
		{ "monbot_agent_ram_percent", "Agent RAM use, percent.", SK_RAM, 1 },
		{ "monbot_agent_swap_percent", "Agent swap use, percent.", SK_SWAP, 1 },
		{ "monbot_agent_gpu_percent", "Agent GPU 0 utilisation, percent.", SK_GPU, 1 },
		{ "monbot_agent_vram_percent", "Agent GPU 0 memory use, percent.", SK_VRAM, 1 },
		{ "monbot_agent_ram_used_bytes", "Agent RAM used.", SK_RAM_USED, 1 },
		{ "monbot_agent_ram_total_bytes", "Agent RAM size.", SK_RAM_TOTAL, 1 },
		{ "monbot_agent_swap_used_bytes", "Agent swap used.", SK_SWAP_USED, 1 },
		{ "monbot_agent_swap_total_bytes", "Agent swap size.", SK_SWAP_TOTAL, 1 },
		{ "monbot_agent_vram_used_bytes", "Agent GPU 0 memory used.", SK_VRAM_USED, 1048576 },
		{ "monbot_agent_vram_total_bytes", "Agent GPU 0 memory size.", SK_VRAM_TOTAL, 1048576 },
		{ "monbot_agent_cpu_temp_celsius", "Agent CPU temperature.", SK_CPU_TEMP, 1 },
		{ "monbot_agent_gpu_temp_celsius", "Agent GPU 0 temperature.", SK_GPU_TEMP, 1 },
		{ "monbot_agent_net_up_bytes_per_second", "Agent network upload rate.", SK_NET_UP, 1 },
		{ "monbot_agent_net_down_bytes_per_second", "Agent network download rate.", SK_NET_DOWN, 1 },
		{ "monbot_agent_uptime_seconds", "Agent host uptime.", SK_UPTIME, 1 },
		{ "monbot_agent_load1", "Agent 1-minute load average.", -1, 1 },
		{ "monbot_agent_disk_max_percent", "Agent's fullest disk, percent.", -2, 1 },
	};
	struct prom p;
	struct store_stats st;
	struct rusage ru;
	const char *lbl[4];
	char ver[64];

	prom_init(&p, o);
	snprintf(ver, sizeof(ver), "%s", SERVER_VERSION);
	lbl[0] = "version";
	lbl[1] = ver;
	lbl[2] = "tls";
	lbl[3] = s->tls ? conn_tls_backend() : "off";
	prom_family(&p, "monbot_build_info", "gauge", "Server version and TLS back-end.");
	prom_sample(&p, "monbot_build_info", lbl, 2, 1);
	prom_family(&p, "monbot_start_time_seconds", "gauge", "Unix time the server started.");
	prom_sample(&p, "monbot_start_time_seconds", NULL, 0, (double)s->started);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		prom_family(&p, "monbot_cpu_seconds_total", "counter", "CPU time used by the server.");
		prom_sample(&p, "monbot_cpu_seconds_total", NULL, 0,
		            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		prom_family(&p, "monbot_max_resident_bytes", "gauge", "Peak resident memory of the server.");
		prom_sample(&p, "monbot_max_resident_bytes", NULL, 0, (double)ru.ru_maxrss * 1024.0);
	}
	prom_family(&p, "monbot_agents_connected", "gauge", "Keys with at least one open agent session.");
	{
		unsigned n = 0;
		uint64_t pend = 0;
		for (struct agent *a = s->agents.all; a; a = a->next)
			n += a->nconns > 0;
		prom_sample(&p, "monbot_agents_connected", NULL, 0, n);
		prom_family(&p, "monbot_sessions_open", "gauge", "Open agent WebSocket sessions.");
		prom_sample(&p, "monbot_sessions_open", NULL, 0, s->nsessions);
		prom_family(&p, "monbot_connections_open", "gauge", "Open connections by state.");
		for (int i = 0; i < CL__N; i++) {
			const char *l[2] = { "state", cl_state_names[i] };
			prom_sample(&p, "monbot_connections_open", l, 1, s->nstate[i]);
		}
		for (struct client *c = s->clients; c; c = c->next)
			pend += c->pending;
		prom_family(&p, "monbot_replies_pending", "gauge",
		            "Samples given to the store whose reply waits for the commit.");
		prom_sample(&p, "monbot_replies_pending", NULL, 0, (double)pend);
	}
	store_async_stats(s->store, &st);
	prom_family(&p, "monbot_store_queue_rows", "gauge",
	            "Samples waiting for the database (queue and outage buffer).");
	prom_sample(&p, "monbot_store_queue_rows", NULL, 0, (double)st.queued_rows);
	prom_family(&p, "monbot_store_queue_bytes", "gauge", "Bytes of samples waiting for the database.");
	prom_sample(&p, "monbot_store_queue_bytes", NULL, 0, (double)st.queued_bytes);
	prom_family(&p, "monbot_store_connected", "gauge", "1 while the database connection is up.");
	prom_sample(&p, "monbot_store_connected", NULL, 0, st.connected ? 1 : 0);
	prom_family(&p, "monbot_store_rows_inserted_total", "counter", "Rows the database committed.");
	prom_sample(&p, "monbot_store_rows_inserted_total", NULL, 0, (double)st.rows_inserted);
	prom_family(&p, "monbot_store_rows_duplicate_total", "counter",
	            "Samples already stored (same key and ts), ignored.");
	prom_sample(&p, "monbot_store_rows_duplicate_total", NULL, 0, (double)st.rows_duplicate);
	prom_family(&p, "monbot_store_rows_dropped_total", "counter",
	            "Samples refused at the buffer bound.");
	prom_sample(&p, "monbot_store_rows_dropped_total", NULL, 0, (double)st.rows_dropped_full);
	prom_family(&p, "monbot_store_commits_total", "counter", "Database transactions committed.");
	prom_sample(&p, "monbot_store_commits_total", NULL, 0, (double)st.commits);
	prom_family(&p, "monbot_store_reconnects_total", "counter", "Database reconnections.");
	prom_sample(&p, "monbot_store_reconnects_total", NULL, 0, (double)st.reconnects);
	prom_family(&p, "monbot_store_errors_total", "counter", "Database errors.");
	prom_sample(&p, "monbot_store_errors_total", NULL, 0, (double)st.db_errors);
	metrics_write_counters(&p);

	/* Each agent's latest values, labelled by nickname (label values are
	 * escaped by prom_sample) and an id that is not the secret. */
	prom_family(&p, "monbot_agent_connected", "gauge", "1 while the agent has a session.");
	for (struct agent *a = s->agents.all; a; a = a->next) {
		const char *l[4] = { "agent", a->nickname, "id", a->id };
		prom_sample(&p, "monbot_agent_connected", l, 2, a->nconns > 0);
	}
	prom_family(&p, "monbot_agent_last_sample_timestamp_seconds", "gauge",
	            "Unix time of the agent's latest sample.");
	for (struct agent *a = s->agents.all; a; a = a->next) {
		const char *l[4] = { "agent", a->nickname, "id", a->id };
		if (a->has_latest)
			prom_sample(&p, "monbot_agent_last_sample_timestamp_seconds", l, 2,
			            (double)a->latest_ts);
	}
	for (size_t k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		int any = 0;
		for (struct agent *a = s->agents.all; a; a = a->next) {
			const char *l[4] = { "agent", a->nickname, "id", a->id };
			double v;
			if (!a->has_latest)
				continue;
			v = g[k].key >= 0 ? a->latest[g[k].key]
			  : g[k].key == -1 ? a->latest_load1 : a->latest_disk_pct;
			if (isnan(v))
				continue;
			if (!any) {
				prom_family(&p, g[k].name, "gauge", g[k].help);
				any = 1;
			}
			prom_sample(&p, g[k].name, l, 2, v * g[k].scale);
		}
	}
	return p.err ? -1 : 0;
}
