/* wire_ws_peer.c — test helper: our WebSocket client or server (wire/ws.h over
 * wire/conn.h, plain or TLS) for the Python interop scripts. After the
 * opening handshake it echoes data messages and obeys text commands:
 *   !ping <payload>             send a ping; its pong is reported as "pong:<payload>"
 *   !close <code> [reason]      start the close handshake (code 0: empty body)
 *   !send <n> <text|binary> <f> send an n-byte message in frames of f bytes
 *                               (0: one frame) with a ping between fragments
 * Everything it sees is printed to stdout, one line per event.
 *
 *   ws_peer server [--tls --cert C --key K] [--port P] [--once] [--max N]
 *   ws_peer client --port P [--host H] [--path /ws/x] [--tls [--verify 0|1|force]
 *                  [--ca F] [--pin F] [--name N]] [--max N] [--ask-close]
 * (--ask-close: once open, ask the server to close, for one-shot checks)
 * Exit: 0 clean close, 3 pin mismatch, 4 HTTP refusal, 5 protocol error
 * (close code printed), 1 anything else. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire/conn.h"
#include "wire/tls_pin.h"
#include "wire/ws.h"

#define IDLE_MS 30000

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			perror("realloc");
			exit(1);
		}
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- one connection, either role ---- */

enum phase { PH_TLS, PH_HTTP, PH_OPEN, PH_DONE };

struct peer {
	struct conn c;
	struct ws ws;
	enum ws_role role;
	enum phase ph;
	struct buf out;        /* bytes queued for the peer */
	size_t out_off;
	struct buf in;         /* unparsed input (HTTP head, then frames) */
	struct buf msg;        /* message being assembled */
	uint8_t msg_op;
	char key[WS_KEY_B64_LEN + 1];
	uint64_t max;
	int exit_code;
	int closing;           /* close handshake done or failed: flush, then end */
	/* client */
	const char *host, *path, *pin;
	unsigned port;
	enum conn_verify verify;
	int ask_close;
};

static void queue(struct peer *p, const void *d, size_t n)
{
	buf_add(&p->out, d, n);
}

static void send_frame(struct peer *p, unsigned op, int fin, const void *d, size_t n)
{
	uint8_t hdr[WS_HDR_MAX], mask[4];
	size_t hl;
	int masked, rc = ws_frame_header(&p->ws, op, fin, n, hdr, &hl, mask, &masked);

	if (rc != WS_OK) {
		say("send-refused %d", rc);
		return;
	}
	queue(p, hdr, hl);
	queue(p, d, n);
	if (masked)
		ws_mask(p->out.p + p->out.len - n, n, mask, 0);
}

static void send_generated(struct peer *p, size_t n, int text, size_t frag)
{
	uint8_t *d = malloc(n ? n : 1);
	size_t off = 0;

	if (!d)
		exit(1);
	for (size_t i = 0; i < n; i++)
		d[i] = text ? (uint8_t)('a' + i % 26) : (uint8_t)(i * 7 + (i >> 8));
	if (frag == 0 || frag >= n) {
		send_frame(p, text ? WS_OP_TEXT : WS_OP_BINARY, 1, d, n);
	} else {
		while (off < n) {
			size_t k = n - off < frag ? n - off : frag;
			send_frame(p, off == 0 ? (text ? WS_OP_TEXT : WS_OP_BINARY) : WS_OP_CONT,
			           off + k == n, d + off, k);
			if (off == 0)
				send_frame(p, WS_OP_PING, 1, "mid", 3);
			off += k;
		}
	}
	free(d);
}

static void command(struct peer *p, const char *cmd, size_t n)
{
	char line[256];
	size_t l = n < sizeof line - 1 ? n : sizeof line - 1;

	memcpy(line, cmd, l);
	line[l] = '\0';
	if (strncmp(line, "!ping ", 6) == 0 || strcmp(line, "!ping") == 0) {
		const char *pl = line[5] ? line + 6 : "";
		send_frame(p, WS_OP_PING, 1, pl, strlen(pl));
	} else if (strncmp(line, "!close ", 7) == 0) {
		char *end;
		unsigned long code = strtoul(line + 7, &end, 10);
		const char *reason = *end == ' ' ? end + 1 : "";
		uint8_t f[WS_CTRL_FRAME_MAX];
		size_t fl;
		if (ws_close_encode(&p->ws, (uint16_t)code, reason, strlen(reason), f, sizeof f, &fl) == WS_OK)
			queue(p, f, fl);
		else
			say("close-refused");
	} else if (strncmp(line, "!send ", 6) == 0) {
		unsigned long long sz = 0, fr = 0;
		char kind[16] = "";
		if (sscanf(line + 6, "%llu %15s %llu", &sz, kind, &fr) == 3)
			send_generated(p, (size_t)sz, strcmp(kind, "text") == 0, (size_t)fr);
		else
			say("bad-command");
	} else {
		say("bad-command");
	}
}

static void on_message(struct peer *p)
{
	say("message %s %zu", p->msg_op == WS_OP_TEXT ? "text" : "binary", p->msg.len);
	if (p->msg_op == WS_OP_TEXT && p->msg.len > 0 && p->msg.p[0] == '!')
		command(p, (const char *)p->msg.p, p->msg.len);
	else
		send_frame(p, p->msg_op, 1, p->msg.p, p->msg.len);
	p->msg.len = 0;
}

/* Feeds p->in to the codec. */
static void frames(struct peer *p)
{
	size_t pos = 0;

	while (pos < p->in.len) {
		struct ws_event ev;
		size_t used;
		enum ws_ev_type t = ws_decode(&p->ws, p->in.p + pos, p->in.len - pos, &used, &ev);
		pos += used;
		if (ev.reply_len)
			queue(p, ev.reply, ev.reply_len);
		switch (t) {
		case WS_EV_NONE:
			break;
		case WS_EV_DATA:
			if (ev.first)
				p->msg_op = ev.opcode;
			buf_add(&p->msg, ev.data, ev.len);
			if (ev.fin)
				on_message(p);
			break;
		case WS_EV_PING:
			say("ping %.*s", (int)ev.len, (const char *)ev.data);
			break;
		case WS_EV_PONG: {
			char txt[140];
			int n = snprintf(txt, sizeof txt, "pong:%.*s", (int)ev.len, (const char *)ev.data);
			say("pong %.*s", (int)ev.len, (const char *)ev.data);
			/* pongs for "!ping" are reported to the peer; those for the
			 * pings between !send's fragments are not */
			if (!p->ws.close_sent && !(ev.len == 3 && memcmp(ev.data, "mid", 3) == 0))
				send_frame(p, WS_OP_TEXT, 1, txt, (size_t)n);
			break;
		}
		case WS_EV_CLOSE:
			say("close %u %.*s", ev.close_code, (int)ev.len, (const char *)ev.data);
			p->closing = 1;
			p->exit_code = 0;
			break;
		case WS_EV_ERROR:
			say("error %u", ev.close_code);
			p->closing = 1;
			p->exit_code = 5;
			break;
		}
	}
	p->in.len = 0;
}

static int http_phase(struct peer *p)
{
	char out[1024];
	size_t used = 0, ol;
	int rc, st;

	if (p->role == WS_ROLE_SERVER) {
		struct ws_http_request req;
		rc = ws_http_parse_request((const char *)p->in.p, p->in.len, &req, &used);
		if (rc == WS_EAGAIN)
			return 0;
		st = rc != WS_OK ? rc : strcmp(req.target, "/ws/forbidden") == 0 ? 403 : ws_http_check_upgrade(&req);
		if (st != 0) {
			say("http-refused %d", st);
			ws_http_error_response(st, out, sizeof out, &ol);
			queue(p, out, ol);
			p->closing = 1;
			p->exit_code = 4;
			p->in.len = 0;
			return 0;
		}
		ws_server_accept_response(&req, out, sizeof out, &ol);
		queue(p, out, ol);
		say("open %s", req.target);
	} else {
		rc = ws_client_check_response((const char *)p->in.p, p->in.len, p->key, &used, &st);
		if (rc == WS_EAGAIN)
			return 0;
		if (rc != WS_OK) {
			say("http %d", st);
			p->exit_code = 4;
			return -1;
		}
		say("open");
		if (p->ask_close) /* the server then starts the close handshake */
			send_frame(p, WS_OP_TEXT, 1, "!close 1000 done", 16);
	}
	p->ph = PH_OPEN;
	memmove(p->in.p, p->in.p + used, p->in.len - used);
	p->in.len -= used;
	frames(p);
	return 0;
}

static int start_http(struct peer *p)
{
	if (p->c.tls && p->role == WS_ROLE_CLIENT) {
		uint8_t fp[32], spki[32];
		char err[600], hex[65];
		int r;
		if (conn_peer_hashes(&p->c, fp, spki) != CONN_OK) {
			say("no-peer-cert");
			return -1;
		}
		say("cert %s", (tls_pin_hex(fp, hex), hex));
		say("spki %s", (tls_pin_hex(spki, hex), hex));
		if (p->pin) {
			r = tls_pin_check(p->pin, p->verify, fp, spki, err, sizeof err);
			say("pin %d %s", r, err);
			if (r < 0) {
				p->exit_code = r == TLS_PIN_EMISMATCH ? 3 : 1;
				return -1;
			}
		}
	}
	p->ph = PH_HTTP;
	if (p->role == WS_ROLE_CLIENT) {
		uint8_t nonce[16];
		char req[1024];
		size_t n;
		if (conn_random(NULL, nonce, sizeof nonce) != 0 ||
		    ws_client_request(p->host, p->port, p->path, nonce, req, sizeof req, &n, p->key) != WS_OK)
			return -1;
		queue(p, req, n);
	}
	return 0;
}

/* Runs one connection until it ends; returns the exit code. */
static int run(struct peer *p)
{
	uint8_t rbuf[65536];
	uint64_t last = now_ms();
	char eb[300];

	p->exit_code = 1;
	p->ph = PH_TLS;
	ws_init(&p->ws, p->role, p->max, conn_random, NULL);
	for (;;) {
		struct pollfd pf = { conn_fd(&p->c), 0, 0 };
		int progress = 0, rc;
		if (p->ph == PH_TLS) {
			rc = conn_handshake(&p->c);
			if (rc == CONN_OK) {
				if (start_http(p) != 0)
					return p->exit_code;
				progress = 1;
			} else if (rc != CONN_EAGAIN) {
				say("conn-error %s", conn_strerror(&p->c, rc, eb, sizeof eb));
				return 1;
			}
		}
		/* write what is queued */
		while (p->ph != PH_TLS && p->out_off < p->out.len) {
			ssize_t w = conn_write(&p->c, p->out.p + p->out_off, p->out.len - p->out_off);
			if (w == CONN_EAGAIN)
				break;
			if (w < 0) {
				say("write-error %s", conn_strerror(&p->c, (int)w, eb, sizeof eb));
				return p->closing ? p->exit_code : 1;
			}
			p->out_off += (size_t)w;
			progress = 1;
		}
		if (p->out_off == p->out.len)
			p->out_off = p->out.len = 0;
		/* the end: everything sent after the close handshake (or failure) */
		if (p->closing && p->out.len == 0) {
			if (p->role == WS_ROLE_SERVER || p->exit_code != 0) {
				conn_shutdown(&p->c); /* RFC 6455 §7.1.1: the server closes first */
				return p->exit_code;
			}
			/* a client waits for the server's TCP close, below */
		}
		/* read */
		while (p->ph != PH_TLS) {
			ssize_t r = conn_read(&p->c, rbuf, sizeof rbuf);
			if (r == CONN_EAGAIN)
				break;
			if (r == 0) {
				if (p->closing && p->exit_code == 0) {
					say("eof");
					return 0;
				}
				say("eof-unexpected");
				return p->closing ? p->exit_code : 1;
			}
			if (r < 0) {
				say("read-error %s", conn_strerror(&p->c, (int)r, eb, sizeof eb));
				return p->closing ? p->exit_code : 1;
			}
			progress = 1;
			buf_add(&p->in, rbuf, (size_t)r);
			if (p->ph == PH_HTTP) {
				if (http_phase(p) != 0)
					return p->exit_code;
			} else if (p->ph == PH_OPEN) {
				frames(p);
			} else {
				p->in.len = 0;
			}
			if (p->out.len > (8u << 20))
				break; /* let writes drain before reading more */
		}
		if (progress) {
			last = now_ms();
			continue;
		}
		if (now_ms() - last > IDLE_MS) {
			say("timeout");
			return 1;
		}
		if (p->ph == PH_TLS)
			pf.events = (short)((conn_want(&p->c) & CONN_WANT_WRITE ? POLLOUT : 0) | POLLIN);
		else
			pf.events = (short)(POLLIN | (p->out.len ? POLLOUT : 0));
		poll(&pf, 1, 200);
	}
}

static void peer_reset(struct peer *p)
{
	conn_close(&p->c);
	conn_init(&p->c);
	p->out.len = p->out_off = p->in.len = p->msg.len = 0;
	p->closing = 0;
}

int main(int argc, char **argv)
{
	struct peer p;
	const char *cert = "cert.pem", *key = "key.pem", *ca = NULL, *name = NULL;
	int tls = 0, once = 0, i;
	struct conn_tls *ctx = NULL;
	char err[400];

	memset(&p, 0, sizeof p);
	conn_init(&p.c);
	p.host = "127.0.0.1";
	p.path = "/ws/test";
	p.verify = CONN_VERIFY_PIN;
	if (argc < 2 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
		fprintf(stderr, "usage: ws_peer server|client [options]\n");
		return 1;
	}
	p.role = argv[1][0] == 's' ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(a, "--tls"))
			tls = 1;
		else if (!strcmp(a, "--once"))
			once = 1;
		else if (!strcmp(a, "--ask-close"))
			p.ask_close = 1;
		else if (!strcmp(a, "--port"))
			p.port = (unsigned)atoi(v), i++;
		else if (!strcmp(a, "--host"))
			p.host = v, i++;
		else if (!strcmp(a, "--path"))
			p.path = v, i++;
		else if (!strcmp(a, "--cert"))
			cert = v, i++;
		else if (!strcmp(a, "--key"))
			key = v, i++;
		else if (!strcmp(a, "--ca"))
			ca = v, i++;
		else if (!strcmp(a, "--pin"))
			p.pin = v, i++;
		else if (!strcmp(a, "--name"))
			name = v, i++;
		else if (!strcmp(a, "--max"))
			p.max = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--verify")) {
			p.verify = !strcmp(v, "force") ? CONN_VERIFY_FORCE : !strcmp(v, "0") ? CONN_VERIFY_NONE : CONN_VERIFY_PIN;
			i++;
		} else {
			fprintf(stderr, "ws_peer: unknown option %s\n", a);
			return 1;
		}
	}
	if (tls) {
		int rc = p.role == WS_ROLE_SERVER ? conn_tls_server_new(&ctx, cert, key, NULL, NULL, err, sizeof err)
		                                  : conn_tls_client_new(&ctx, p.verify, ca, err, sizeof err);
		if (rc != CONN_OK) {
			say("tls-config-error %s", err);
			return 1;
		}
	}
	say("backend %s", conn_tls_backend());
	if (p.role == WS_ROLE_SERVER) {
		int lfd = conn_listen("127.0.0.1", p.port, 16, err, sizeof err), rc = 1;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (lfd < 0) {
			say("listen-error %s", err);
			return 1;
		}
		getsockname(lfd, (struct sockaddr *)&ss, &sl);
		say("listening %u", ntohs(((struct sockaddr_in *)&ss)->sin_port));
		for (;;) {
			struct pollfd pf = { lfd, POLLIN, 0 };
			poll(&pf, 1, -1);
			if (conn_accept(&p.c, ctx, lfd) != CONN_OK)
				continue;
			rc = run(&p);
			say("end %d", rc);
			peer_reset(&p);
			if (once)
				break;
		}
		close(lfd);
		conn_tls_free(ctx);
		return rc;
	} else {
		struct port_addr ss;
		int rc;
		if (conn_resolve(p.host, p.port, &ss, err, sizeof err) != CONN_OK) {
			say("resolve-error %s", err);
			return 1;
		}
		if ((rc = conn_connect(&p.c, ctx, &ss, name ? name : p.host)) != CONN_OK) {
			say("connect-error %s", conn_strerror(&p.c, rc, err, sizeof err));
			return 1;
		}
		rc = run(&p);
		say("end %d", rc);
		peer_reset(&p);
		conn_tls_free(ctx);
		free(p.out.p);
		free(p.in.p);
		free(p.msg.p);
		return rc;
	}
}
