/* http_serve.c — HTTP requests on the server's connections: the head, the
 * endpoints (/healthz, /metrics, /speedtest) and error responses; the
 * WebSocket upgrade goes to the owner's handler after routing. */
#include "server/http_serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include "server/log.h"
#include "server/metrics.h"
#include "server/metrics_page.h"
#include "server/server.h"
#include "server/net/transport.h"

#define READ_CHUNK     (64u << 10)
#define READS_PER_WAKE 64          /* then yield to other peers */
#define METRICS_MAX    (64u << 20) /* a /metrics page of many thousands of agents */
#define SPEEDTEST_WINDOW_MS 2000   /* SPEEDTEST_MIN_RATE is checked over this */

static uint8_t rbuf[READ_CHUNK];

/* After a response: the output is the rest of the connection's life. */
static void send_phase(struct client *c)
{
	c->close_after = 1;
	c->reading = 0;
	transport_set_state(c, CL_SEND);
	c->xfer_seen = c->xfer;
	http_serve_drop_head(c);
	ev_timer_start(c->tr->loop, &c->timer,
	               c->xfer_window_ms ? c->xfer_window_ms : CLIENT_XFER_STALL_MS);
}

void http_serve_reply(struct client *c, int status, const char *ctype, const void *body,
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
	if (transport_append(c, head, hl) != 0 || transport_append(c, body, len) != 0)
		return;
	send_phase(c);
}

void http_serve_error(struct client *c, int status)
{
	char buf[512];
	size_t n;
	if (ws_http_error_response(status, buf, sizeof(buf), &n) != WS_OK)
		return;
	if (transport_append(c, buf, n) != 0)
		return;
	send_phase(c);
}

void http_serve_release(struct client *c)
{
	if (c->speedtest) {
		c->srv->speedtests--;
		c->speedtest = 0;
	}
	if (c->agent_dl) {
		c->srv->agent_dls--;
		c->agent_dl = 0;
	}
	free(c->early);
	c->early = NULL;
	c->early_len = 0;
	free(c->head);
	c->head = NULL;
	free(c->req);
	c->req = NULL;
}

void http_serve_drop_head(struct client *c)
{
	free(c->head);
	c->head = NULL;
}

/* ---- endpoints ---- */

/* METRICS_TOKEN set: the bearer token from anyone (401 without it);
 * unset: loopback peers only (403), since the page names every agent. */
static int metrics_refused(struct client *c)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	const char *tok = c->srv->cfg->metrics_token;

	if (tok[0])
		return http_bearer_ok(c->head->buf, c->req->head.head_len, tok) ? 0 : 401;
	if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) != 0 ||
	    !http_addr_loopback((struct sockaddr *)&peer))
		return 403;
	return 0;
}

static void serve_metrics(struct client *c)
{
	static const char no[] = "unauthorized\n", forbidden[] = "forbidden\n";
	struct obuf body;
	int why = metrics_refused(c);

	if (why == 401) {
		char head[512];
		size_t hl;
		mx.rejected[MX_REJ_METRICS_AUTH]++;
		/* RFC 6750 §3: a 401 names the scheme */
		if (http_response_head(401, "text/plain; charset=utf-8", sizeof(no) - 1, head,
		                       sizeof(head) - 32, &hl) != WS_OK)
			return;
		hl -= 2;
		hl += (size_t)snprintf(head + hl, sizeof(head) - hl, "WWW-Authenticate: Bearer\r\n\r\n");
		if (transport_append(c, head, hl) == 0 && transport_append(c, no, sizeof(no) - 1) == 0)
			send_phase(c);
		return;
	}
	if (why) {
		mx.rejected[MX_REJ_METRICS_AUTH]++;
		http_serve_reply(c, 403, "text/plain; charset=utf-8", forbidden, sizeof(forbidden) - 1);
		return;
	}
	obuf_init(&body, METRICS_MAX);
	if (server_metrics_page(c->srv, &body) != 0) {
		obuf_free(&body);
		http_serve_error(c, 500);
		return;
	}
	http_serve_reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", obuf_peek(&body),
	                 obuf_len(&body));
	obuf_free(&body);
}

/* Only for a connected agent's key, within the caps: 0, or the status to
 * refuse with. Admitted: counted, with its deadline and minimum rate. */
static int speedtest_admit(struct client *c)
{
	struct server *s = c->srv;
	const struct server_config *cfg = s->cfg;
	struct agent *a = c->req->secret[0] ? agents_find(&s->agents, c->req->secret) : NULL;

	if (!a || a->nconns == 0) {
		mx.rejected[MX_REJ_FORBIDDEN]++;
		log_debug("client %d: /speedtest without a connected agent's key: 403", c->fd);
		return 403;
	}
	if (c->req->bytes > cfg->speedtest_max_bytes)
		return 413;
	if (s->speedtests >= cfg->speedtest_max_concurrent) {
		log_info("/speedtest for %s refused: %u transfer(s) under way", a->nickname,
		         s->speedtests);
		return 503;
	}
	s->speedtests++;
	c->speedtest = 1;
	c->xfer_deadline = ev_now(c->tr->loop) + cfg->speedtest_timeout_ms;
	c->xfer_window_ms = SPEEDTEST_WINDOW_MS;
	c->xfer_min_bytes = (uint64_t)cfg->speedtest_min_rate * SPEEDTEST_WINDOW_MS / 1000;
	return 0;
}

static void speedtest_down(struct client *c)
{
	char head[512];
	size_t hl;
	if (http_response_head(200, "application/octet-stream", c->req->bytes, head, sizeof(head),
	                       &hl) != WS_OK || transport_append(c, head, hl) != 0)
		return;
	transport_stream(c, c->req->bytes, c->srv->cfg->speedtest_max_rate);
	send_phase(c);
}

/* POST /speedtest: the body was taken whole. */
static void upload_done(struct client *c)
{
	char b[128];
	int n = snprintf(b, sizeof(b), "{\"bytes\": %llu, \"ms\": %llu}\n",
	                 (unsigned long long)c->req->bytes,
	                 (unsigned long long)(ev_now(c->tr->loop) - c->t0));
	http_serve_reply(c, 200, "application/json", b, (size_t)n);
}

/* rest_len: body bytes that came with the head. */
static void speedtest_up(struct client *c, size_t rest_len)
{
	uint64_t k;
	c->body_left = c->req->bytes;
	c->t0 = ev_now(c->tr->loop);
	transport_set_state(c, CL_BODY);
	c->xfer_seen = c->xfer;
	http_serve_drop_head(c);
	ev_timer_start(c->tr->loop, &c->timer, c->xfer_window_ms);
	k = rest_len < c->body_left ? rest_len : c->body_left;
	c->body_left -= k;
	mx.speedtest_bytes_up += k;
	if (c->body_left == 0)
		upload_done(c);
}

/* The one-line install (server/dist.h): everything is in memory. */
static void serve_dist(struct client *c)
{
	const struct dist *d = &c->srv->dist;
	const struct dist_file *f;
	char script[DIST_SCRIPT_MAX];
	size_t n;

	if (!dist_enabled(d)) {
		mx.rejected[MX_REJ_NOT_FOUND]++;
		http_serve_error(c, 404);
		return;
	}
	if (c->req->route == HTTP_ROUTE_INSTALL) {
		if (dist_script(d, c->req->head.host, script, sizeof(script), &n) != 0) {
			http_serve_error(c, 500);
			return;
		}
		http_serve_reply(c, 200, "text/x-shellscript; charset=utf-8", script, n);
		return;
	}
	f = dist_find(d, c->req->arch);
	if (!f) {
		mx.rejected[MX_REJ_NOT_FOUND]++;
		http_serve_error(c, 404);
		return;
	}
	if (c->srv->agent_dls >= DIST_DOWNLOADS_MAX) {
		log_info("/agent/%s refused: %u downloads under way", f->arch, c->srv->agent_dls);
		http_serve_error(c, 503);
		return;
	}
	c->srv->agent_dls++;
	c->agent_dl = 1;
	http_serve_reply(c, 200, "application/octet-stream", f->data, f->len);
}

static void on_head_done(struct client *c, int rc, size_t rest_len)
{
	static const char ok[] = "ok\n";
	struct http_req *q = c->req;

	if (rc > 1) {
		mx.rejected[rc == 431 ? MX_REJ_HEAD_TOO_LARGE : MX_REJ_BAD_REQUEST]++;
		log_debug("client %d: bad request head (%d)", c->fd, rc);
		http_serve_error(c, rc);
		return;
	}
	mx.http_requests[q->route]++;
	switch (q->route) {
	case HTTP_ROUTE_WS:
		if (c->srv->stopping)
			http_serve_error(c, 503);
		else
			c->srv->ws_upgrade(c);
		return;
	case HTTP_ROUTE_HEALTHZ:
		http_serve_reply(c, 200, "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
		return;
	case HTTP_ROUTE_METRICS:
		serve_metrics(c);
		return;
	case HTTP_ROUTE_INSTALL:
	case HTTP_ROUTE_AGENT:
		serve_dist(c);
		return;
	case HTTP_ROUTE_SPEEDTEST_DOWN:
	case HTTP_ROUTE_SPEEDTEST_UP:
		rc = speedtest_admit(c);
		if (rc != 0)
			http_serve_error(c, rc);
		else if (q->route == HTTP_ROUTE_SPEEDTEST_DOWN)
			speedtest_down(c);
		else
			speedtest_up(c, rest_len);
		return;
	default:
		if (q->status == 403)
			mx.rejected[MX_REJ_FORBIDDEN]++;
		else
			mx.rejected[MX_REJ_NOT_FOUND]++;
		http_serve_error(c, q->status);
		return;
	}
}

/* ---- reading ---- */

static void read_body(struct client *c)
{
	size_t budget = CLIENT_IO_BUDGET;
	while (budget > 0 && c->body_left > 0 && !c->dead) {
		ssize_t n = transport_recv(c, rbuf, budget < sizeof(rbuf) ? budget : sizeof(rbuf));
		uint64_t k;
		if (n == 0)
			return;
		c->xfer += (uint64_t)n;
		budget -= (size_t)n;
		k = (uint64_t)n < c->body_left ? (uint64_t)n : c->body_left;
		c->body_left -= k;
		mx.speedtest_bytes_up += k;
	}
	if (c->body_left == 0 && !c->dead)
		upload_done(c);
	else if (!c->dead && conn_pending(&c->c) > 0)
		transport_resume_soon(c);
}

/* A client may send its first frames without waiting for the 101: keep
 * them for the session (session_start decodes them). */
static int keep_early(struct client *c, size_t n, size_t used)
{
	size_t inhead = c->head->len - c->req->head.head_len, rest = n - used;
	c->early = malloc(inhead + rest);
	if (!c->early) {
		transport_close(c);
		return -1;
	}
	memcpy(c->early, c->head->buf + c->req->head.head_len, inhead);
	memcpy(c->early + inhead, rbuf + used, rest);
	c->early_len = inhead + rest;
	return 0;
}

static void read_head(struct client *c)
{
	for (int i = 0; i < READS_PER_WAKE && c->st == CL_HEAD && !c->dead; i++) {
		size_t room = HTTP_HEAD_MAX - c->head->len, used, extra = 0;
		ssize_t n;
		int rc;
		if (room == 0)
			room = 1; /* let the feed say 431 */
		n = transport_recv(c, rbuf, room < sizeof(rbuf) ? room : sizeof(rbuf));
		if (n == 0)
			return;
		rc = http_head_feed(c->head, rbuf, (size_t)n, &used, c->req);
		if (rc == HTTP_MORE)
			continue;
		/* bytes after the head: in the head buffer and the unused read */
		if (rc == HTTP_DONE) {
			extra = c->head->len - c->req->head.head_len + ((size_t)n - used);
			if (extra > 0 && c->req->route == HTTP_ROUTE_WS && keep_early(c, (size_t)n, used) != 0)
				return;
		}
		on_head_done(c, rc, extra);
		/* an upload's body may already sit in the TLS layer */
		if (!c->dead && c->st == CL_BODY)
			read_body(c);
		return;
	}
}

void http_serve_read(struct client *c)
{
	if (c->st == CL_HEAD)
		read_head(c);
	else if (c->st == CL_BODY)
		read_body(c);
}

void http_serve_start(struct client *c)
{
	c->head = malloc(sizeof(*c->head));
	c->req = malloc(sizeof(*c->req));
	if (!c->head || !c->req) {
		transport_close(c);
		return;
	}
	http_head_init(c->head);
	transport_set_state(c, CL_HEAD);
	c->reading = 1;
	c->rd_want = CONN_WANT_READ;
	ev_timer_start(c->tr->loop, &c->timer, c->srv->cfg->header_timeout_ms);
	/* The request may already sit in the TLS layer. */
	read_head(c);
}
