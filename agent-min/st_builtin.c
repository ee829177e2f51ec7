/* st_builtin.c — the built-in speed test (st_builtin.h). A connection and
 * its TLS session live only while the test runs: the TLS arena holds the
 * link's session and this one side by side. */
#include "agent-min/st_builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent-min/st_parse.h"
#include "wire/jsonr.h"

#define STEP_BYTES (512u << 10) /* moved per turn of the loop at most */
#define UP_MIN_BYTES (256u << 10)
#define UP_SECONDS 8u           /* the upload is sized to take about this at the download's rate */

enum sb_state { SB_IDLE, SB_CONNECT, SB_SEND, SB_HEAD, SB_BODY };

static struct {
	enum sb_state st;
	int up;                    /* 0 download, 1 upload */
	struct stb_target t;
	struct conn c;
	char req[640];
	size_t req_len, req_off;
	uint64_t total;            /* bytes to move this phase */
	uint64_t moved;
	char head[4096];
	size_t head_len;
	uint64_t clen;             /* response Content-Length */
	char body[256];            /* the upload's JSON answer */
	size_t body_len;
	uint64_t t_req, t_first, deadline;
	uint64_t t_req_us;  /* the ping: request out to first answer byte, on the µs clock */
	int cut_down, cut_up;
	int again;                 /* the last turn stopped at its budget: go on at once */
	double ping_ms, down_bps, up_bps;
	char err[256];
} S;

static uint8_t buf[64u << 10];
/* never written; not const, which would put 16 KiB of zeros in the binary
 * (.rodata) instead of .bss */
static uint8_t zeros[16u << 10];

int stb_running(void)
{
	return S.st != SB_IDLE;
}

void stb_abort(void)
{
	conn_close(&S.c);
	conn_init(&S.c);
	S.st = SB_IDLE;
}

static int phase_open(uint64_t now)
{
	int rc;
	conn_init(&S.c);
	rc = conn_connect(&S.c, S.t.tls, S.t.addr, S.t.tls ? S.t.host : NULL);
	if (rc != CONN_OK && rc != CONN_EAGAIN) {
		conn_strerror(&S.c, rc, S.err, sizeof(S.err));
		return -1;
	}
	S.st = SB_CONNECT;
	S.moved = S.head_len = S.body_len = S.req_off = 0;
	S.clen = UINT64_MAX;
	S.deadline = now + STB_PHASE_MS;
	if (S.up)
		S.req_len = (size_t)snprintf(S.req, sizeof(S.req),
		                             "POST /speedtest?key=%s HTTP/1.1\r\nHost: %s:%u\r\n"
		                             "Content-Type: application/octet-stream\r\nContent-Length: %llu\r\n"
		                             "Connection: close\r\n\r\n",
		                             S.t.secret, S.t.host, S.t.port, (unsigned long long)S.total);
	else
		S.req_len = (size_t)snprintf(S.req, sizeof(S.req),
		                             "GET /speedtest?key=%s&bytes=%llu HTTP/1.1\r\nHost: %s:%u\r\n"
		                             "Connection: close\r\n\r\n",
		                             S.t.secret, (unsigned long long)S.total, S.t.host, S.t.port);
	if (S.req_len >= sizeof(S.req)) {
		snprintf(S.err, sizeof(S.err), "request too long");
		return -1;
	}
	return 0;
}

int stb_start(const struct stb_target *t, uint64_t now, char *err, size_t errlen)
{
	if (S.st != SB_IDLE) {
		snprintf(err, errlen, "already running");
		return -1;
	}
	memset(&S, 0, sizeof(S));
	S.t = *t;
	S.total = STB_DOWN_BYTES;
	if (phase_open(now) < 0) {
		snprintf(err, errlen, "%s", S.err);
		stb_abort();
		return -1;
	}
	return 0;
}

void stb_pollfd(struct port_pollfd *p)
{
	int w;
	p->fd = S.st == SB_IDLE ? -1 : conn_fd(&S.c);
	p->events = 0;
	if (p->fd < 0)
		return;
	w = conn_want(&S.c);
	if (S.st == SB_CONNECT && !w)
		w = CONN_WANT_WRITE;
	else if (!w)
		w = S.st == SB_SEND ? CONN_WANT_WRITE : CONN_WANT_READ;
	p->events = (w & CONN_WANT_READ ? PORT_WAIT_READ : 0) | (w & CONN_WANT_WRITE ? PORT_WAIT_WRITE : 0);
}

uint64_t stb_next_wake(uint64_t now)
{
	if (S.st == SB_IDLE)
		return UINT64_MAX;
	if (S.again || conn_pending(&S.c))
		return now;
	return S.deadline;
}

/* "HTTP/1.1 200 ..." and Content-Length; -1 with S.err. */
static int parse_head(void)
{
	const char *p = S.head, *cl;
	if (strncmp(p, "HTTP/1.", 7) != 0 || strlen(p) < 12) {
		snprintf(S.err, sizeof(S.err), "the server's answer is not HTTP");
		return -1;
	}
	if (strncmp(p + 8, " 200", 4) != 0) {
		snprintf(S.err, sizeof(S.err), "the server refused /speedtest (HTTP %.3s)", p + 9);
		return -1;
	}
	for (cl = p; (cl = strchr(cl, '\n')) != NULL;) {
		cl++;
		if (strncasecmp(cl, "Content-Length:", 15) == 0) {
			char *end;
			unsigned long long v = strtoull(cl + 15, &end, 10);
			if (end != cl + 15 && (*end == '\r' || *end == '\n'))
				S.clen = v;
		}
	}
	return 0;
}

/* The phase is over (ok, or cut at the deadline). */
static int phase_done(uint64_t now)
{
	uint64_t ms = now > S.t_first ? now - S.t_first : 1;
	conn_close(&S.c);
	conn_init(&S.c);
	if (!S.up) {
		double bps = (double)S.moved * 8.0 * 1000.0 / (double)ms;
		uint64_t up;
		S.down_bps = bps;
		/* Sized so a slow line is not held for minutes. */
		up = (uint64_t)(bps / 8.0 * UP_SECONDS);
		S.up = 1;
		S.total = up > STB_UP_BYTES ? STB_UP_BYTES : up < UP_MIN_BYTES ? UP_MIN_BYTES : up;
		return phase_open(now);
	}
	if (S.cut_up) {
		S.up_bps = (double)S.moved * 8.0 * 1000.0 / (double)(now > S.t_req ? now - S.t_req : 1);
	} else {
		struct jsonr j;
		jsmntok_t tok[16];
		double b = 0, m = 0;
		int kb, km;
		const char *js = memchr(S.body, '{', S.body_len);
		if (!js || jsonr_parse(&j, js, S.body_len - (size_t)(js - S.body), tok, 16, 2) != JSONR_OK ||
		    (kb = jsonr_get(&j, 0, "bytes")) <= 0 || (km = jsonr_get(&j, 0, "ms")) <= 0 ||
		    jsonr_num_range(&j, kb, 0, 1e15, &b) != JSONR_OK || jsonr_num_range(&j, km, 0, 1e9, &m) != JSONR_OK) {
			snprintf(S.err, sizeof(S.err), "the server's upload answer is not {\"bytes\", \"ms\"}");
			return -1;
		}
		S.up_bps = b * 8.0 * 1000.0 / (m > 0 ? m : 1);
	}
	S.st = SB_IDLE;
	return 1;
}

static int pin_ok(void)
{
	uint8_t fp[32], spki[32];
	if (!S.t.fp)
		return 1;
	if (conn_peer_hashes(&S.c, fp, spki) != CONN_OK)
		return 0;
	return memcmp(spki, S.t.spki, 32) == 0 || memcmp(fp, S.t.fp, 32) == 0;
}

/* One turn: 0 going on, 1 done, -1 failed (S.err). */
static int turn(uint64_t now)
{
	size_t budget = STEP_BYTES;
	int rc;
	if (now >= S.deadline) {
		if (S.st == SB_BODY && !S.up && S.moved > 0) {
			S.cut_down = 1;
			return phase_done(now);
		}
		if (S.up && S.moved > 0 && (S.st == SB_SEND || S.st == SB_HEAD)) {
			S.cut_up = 1;
			return phase_done(now);
		}
		snprintf(S.err, sizeof(S.err), "no answer from the server within %u s", STB_PHASE_MS / 1000);
		return -1;
	}
	if (S.st == SB_CONNECT) {
		rc = conn_handshake(&S.c);
		if (rc == CONN_EAGAIN)
			return 0;
		if (rc != CONN_OK) {
			conn_strerror(&S.c, rc, S.err, sizeof(S.err));
			return -1;
		}
		if (!pin_ok()) {
			snprintf(S.err, sizeof(S.err), "the server's certificate is not the one the link pinned");
			return -1;
		}
		S.st = SB_SEND;
	}
	if (S.st == SB_SEND) {
		while (S.req_off < S.req_len) {
			ssize_t w = conn_write(&S.c, S.req + S.req_off, S.req_len - S.req_off);
			if (w == CONN_EAGAIN)
				return 0;
			if (w < 0)
				goto io_err;
			S.req_off += (size_t)w;
		}
		if (S.t_req == 0 || S.moved == 0) {
			S.t_req = S.t_first = now;
			S.t_req_us = port_mono_us();
		}
		while (S.up && S.moved < S.total && budget > 0) {
			uint64_t left = S.total - S.moved;
			ssize_t w = conn_write(&S.c, zeros, left < sizeof(zeros) ? (size_t)left : sizeof(zeros));
			if (w == CONN_EAGAIN)
				return 0;
			if (w < 0)
				goto io_err;
			S.moved += (uint64_t)w;
			budget = budget > (size_t)w ? budget - (size_t)w : 0;
		}
		if (S.up && S.moved < S.total) {
			S.again = 1;
			return 0;
		}
		S.st = SB_HEAD;
	}
	while (budget > 0) {
		ssize_t r;
		if (S.st == SB_HEAD) {
			char *end;
			size_t rest;
			r = conn_read(&S.c, S.head + S.head_len, sizeof(S.head) - 1 - S.head_len);
			if (r == CONN_EAGAIN)
				return 0;
			if (r <= 0) {
				if (r == 0)
					snprintf(S.err, sizeof(S.err), "the server closed the connection");
				goto io_err;
			}
			if (!S.up && S.head_len == 0)
				S.ping_ms = (double)(port_mono_us() - S.t_req_us) / 1000.0;
			S.head_len += (size_t)r;
			S.head[S.head_len] = '\0';
			if ((end = strstr(S.head, "\r\n\r\n")) == NULL) {
				if (S.head_len == sizeof(S.head) - 1) {
					snprintf(S.err, sizeof(S.err), "the server's answer head is too long");
					return -1;
				}
				continue;
			}
			end[2] = '\0';
			if (parse_head() < 0)
				return -1;
			rest = S.head_len - (size_t)(end + 4 - S.head);
			S.st = SB_BODY;
			S.t_first = now;
			if (S.up) {
				memcpy(S.body, end + 4, rest < sizeof(S.body) - 1 ? rest : sizeof(S.body) - 1);
				S.body_len = rest < sizeof(S.body) - 1 ? rest : sizeof(S.body) - 1;
				S.moved = S.total;
			} else {
				S.moved = rest;
			}
		} else if (!S.up) {
			if (S.moved >= S.clen)
				return phase_done(now);
			r = conn_read(&S.c, buf, sizeof(buf));
			if (r == CONN_EAGAIN)
				return 0;
			if (r == 0)
				return S.clen == UINT64_MAX ? phase_done(now) : (snprintf(S.err, sizeof(S.err),
				         "the server closed after %llu of %llu bytes", (unsigned long long)S.moved,
				         (unsigned long long)S.clen), -1);
			if (r < 0)
				goto io_err;
			S.moved += (uint64_t)r;
			budget = budget > (size_t)r ? budget - (size_t)r : 0;
		} else {
			if (S.body_len >= S.clen || S.body_len == sizeof(S.body) - 1)
				return phase_done(now);
			r = conn_read(&S.c, S.body + S.body_len, sizeof(S.body) - 1 - S.body_len);
			if (r == CONN_EAGAIN)
				return 0;
			if (r == 0)
				return phase_done(now);
			if (r < 0)
				goto io_err;
			S.body_len += (size_t)r;
		}
	}
	S.again = 1;
	return 0;
io_err:
	if (!S.err[0])
		snprintf(S.err, sizeof(S.err), "connection to the server failed");
	return -1;
}

int stb_step(uint64_t now, char *out, size_t cap)
{
	int rc;
	struct st_result r;
	if (S.st == SB_IDLE)
		return 0;
	S.err[0] = '\0';
	S.again = 0;
	rc = turn(now);
	if (rc == 0)
		return 0;
	stb_abort();
	if (rc < 0) {
		snprintf(out, cap, "Speedtest failed: %s (%s test against the monitoring server)", S.err,
		         S.up ? "upload" : "download");
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.down_bps = S.down_bps;
	r.up_bps = S.up_bps;
	r.ping_ms = S.ping_ms;
	snprintf(r.server, sizeof(r.server), "%s:%u%s", S.t.host, S.t.port,
	         S.cut_down || S.cut_up ? ", cut at the time limit" : "");
	st_format(&r, "monitoring server", out, cap);
	return 1;
}
