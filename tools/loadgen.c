/* loadgen.c — monbot-loadgen: one process, one epoll loop, N real
 * WebSocket sessions (TLS by default) to monbot-server, each sending a
 * sample at a set rate with its own key, as agents do. Reports samples
 * sent, acknowledged (the server's "ack" covers their ts) and failed, and
 * the send-to-ack latency (p50, p99, max): the server acks a sample once
 * the database has committed it, so this is send-to-stored plus one hop. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/ev/ev.h"
#include "server/net/obuf.h"
#include "wire/conn.h"
#include "wire/jsonr.h"
#include "wire/ws.h"

#define FIFO 128
#define RESP_MAX 4096

enum { S_IDLE, S_CONNECT, S_REQ, S_RESP, S_OPEN, S_DONE };

struct sess {
	struct conn c;
	struct ws ws;
	int idx, st, fd;
	char secret[65];
	char key_b64[WS_KEY_B64_LEN + 1];
	char resp[RESP_MAX];
	size_t resp_len;
	struct obuf out;
	char *msg;
	size_t msg_len, msg_cap;
	struct ev_timer tick;
	int64_t last_ts;
	/* samples sent, waiting for an ack: ts and send time */
	int64_t f_ts[FIFO];
	uint64_t f_ms[FIFO];
	unsigned f_head, f_n;
	uint8_t rd_want, wr_want;
};

static struct {
	const char *host;
	unsigned port;
	int tls, n, rate_ms, duration_s, ramp, json;
	const char *keys_file;
	struct port_addr sa;
	struct conn_tls *ctx;
	struct ev_loop *loop;
	struct sess *s;
	int opened, open_now, connect_failed, dropped, next_to_open;
	uint64_t sent, acked, send_skipped;
	uint64_t t_start, t_send, t_stop, t_end;
	int ramp_timeout_s;
	int sending;
	float *lat;
	size_t nlat, caplat;
	uint64_t replies, bytes_in, bytes_out;
} G;

static volatile sig_atomic_t g_stop;
static void on_sig(int s) { (void)s; g_stop = 1; }

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sess_update(struct sess *s);
static void on_io(struct ev_loop *loop, int fd, int events, void *arg);

static void sess_fail(struct sess *s, const char *why)
{
	if (s->st == S_DONE || s->st == S_IDLE)
		return;
	if (s->st == S_OPEN) {
		G.dropped++;
		G.open_now--;
	} else {
		G.connect_failed++;
	}
	if (getenv("LOADGEN_DEBUG"))
		fprintf(stderr, "session %d: %s\n", s->idx, why);
	ev_timer_stop(G.loop, &s->tick);
	if (s->fd >= 0)
		ev_fd_del(G.loop, s->fd);
	conn_close(&s->c);
	s->fd = -1;
	s->st = S_DONE;
	obuf_free(&s->out);
	free(s->msg);
	s->msg = NULL;
	s->msg_cap = s->msg_len = 0;
}

static int mask_of(int want)
{
	return ((want & CONN_WANT_READ) ? EV_READ : 0) | ((want & CONN_WANT_WRITE) ? EV_WRITE : 0);
}

static void sess_update(struct sess *s)
{
	int m;
	if (s->st == S_DONE || s->fd < 0)
		return;
	if (s->st == S_CONNECT) {
		m = mask_of(conn_want(&s->c));
	} else {
		m = mask_of(s->rd_want ? s->rd_want : CONN_WANT_READ);
		if (obuf_len(&s->out))
			m |= mask_of(s->wr_want ? s->wr_want : CONN_WANT_WRITE);
	}
	ev_fd_mask(G.loop, s->fd, m ? m : EV_READ);
}

static int sess_flush(struct sess *s)
{
	while (obuf_len(&s->out)) {
		ssize_t n = conn_write(&s->c, obuf_peek(&s->out), obuf_len(&s->out));
		if (n == CONN_EAGAIN) {
			s->wr_want = (uint8_t)conn_want(&s->c);
			return 0;
		}
		if (n <= 0) {
			sess_fail(s, "write failed");
			return -1;
		}
		s->wr_want = 0;
		G.bytes_out += (uint64_t)n;
		obuf_consume(&s->out, (size_t)n);
	}
	return 0;
}

/* A plausible agent sample (the original's keys plus ts). */
static void send_sample(struct sess *s)
{
	char js[1024];
	int64_t now = (int64_t)time(NULL), ts;
	char *d;
	size_t ol;
	int n;

	if (s->f_n == FIFO) {
		G.send_skipped++; /* the server is not keeping up: do not pile on */
		return;
	}
	ts = now > s->last_ts ? now : s->last_ts + 1;
	s->last_ts = ts;
	n = snprintf(js, sizeof(js),
	             "{\"ts\": %lld, \"cpu\": %.1f, \"ram\": %.1f, \"ram_used\": %llu, "
	             "\"ram_total\": 17179869184, \"swap\": 0.0, \"swap_used\": 0, "
	             "\"swap_total\": 2147479552, \"cpu_temp\": 45.0, \"uptime\": %lld, "
	             "\"net_up\": %d, \"net_down\": %d, \"disks\": [], \"top_procs\": []}",
	             (long long)ts, (double)(rand() % 1000) / 10.0, 30.0 + (s->idx % 50),
	             8000000000ull + (unsigned long long)(rand() % 100000), (long long)(100000 + ts % 100000),
	             rand() % 100000, rand() % 1000000);
	d = obuf_reserve(&s->out, (size_t)n + WS_HDR_MAX);
	if (!d || ws_frame_encode(&s->ws, WS_OP_TEXT, 1, js, (size_t)n, (uint8_t *)d,
	                          (size_t)n + WS_HDR_MAX, &ol) != WS_OK) {
		sess_fail(s, "cannot encode");
		return;
	}
	obuf_commit(&s->out, ol);
	s->f_ts[(s->f_head + s->f_n) % FIFO] = ts;
	s->f_ms[(s->f_head + s->f_n) % FIFO] = mono_ms();
	s->f_n++;
	G.sent++;
}

static void on_tick(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct sess *s = arg;
	if (s->st != S_OPEN)
		return;
	if (G.sending) {
		send_sample(s);
		if (s->st != S_OPEN)
			return;
		if (sess_flush(s) == 0)
			sess_update(s);
	}
	ev_timer_start(loop, t, (uint64_t)G.rate_ms);
}

static void record_latency(uint64_t ms)
{
	if (G.nlat == G.caplat) {
		size_t nc = G.caplat ? G.caplat * 2 : 65536;
		float *nl = realloc(G.lat, nc * sizeof(*nl));
		if (!nl)
			return;
		G.lat = nl;
		G.caplat = nc;
	}
	G.lat[G.nlat++] = (float)ms;
}

static void on_reply(struct sess *s, const char *p, size_t n)
{
	static jsmntok_t tok[256];
	struct jsonr r;
	int64_t ack;
	int k;
	G.replies++;
	if (jsonr_parse(&r, p, n, tok, 256, 4) != JSONR_OK)
		return;
	k = jsonr_get(&r, 0, "ack");
	if (k < 0 || jsonr_int(&r, k, 0, INT64_MAX / 2, &ack) != JSONR_OK)
		return;
	while (s->f_n > 0 && s->f_ts[s->f_head] <= ack) {
		record_latency(mono_ms() - s->f_ms[s->f_head]);
		s->f_head = (s->f_head + 1) % FIFO;
		s->f_n--;
		G.acked++;
	}
}

static void on_ws_bytes(struct sess *s, uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (off < n && s->st == S_OPEN) {
		struct ws_event ev;
		size_t used = 0;
		enum ws_ev_type t = ws_decode(&s->ws, buf + off, n - off, &used, &ev);
		off += used;
		if (ev.reply_len && obuf_append(&s->out, ev.reply, ev.reply_len) != OBUF_OK) {
			sess_fail(s, "output full");
			return;
		}
		if (t == WS_EV_NONE) {
			if (used == 0)
				return;
		} else if (t == WS_EV_DATA) {
			if (ev.first)
				s->msg_len = 0;
			if (ev.first && ev.fin) {
				on_reply(s, (const char *)ev.data, ev.len);
				continue;
			}
			if (s->msg_len + ev.len > s->msg_cap) {
				size_t nc = (s->msg_len + ev.len) * 2;
				char *m = realloc(s->msg, nc);
				if (!m) {
					sess_fail(s, "oom");
					return;
				}
				s->msg = m;
				s->msg_cap = nc;
			}
			memcpy(s->msg + s->msg_len, ev.data, ev.len);
			s->msg_len += ev.len;
			if (ev.fin)
				on_reply(s, s->msg, s->msg_len);
		} else if (t == WS_EV_CLOSE || t == WS_EV_ERROR) {
			sess_flush(s);
			sess_fail(s, t == WS_EV_CLOSE ? "server closed" : "protocol error");
			return;
		}
	}
}

static void start_ws(struct sess *s)
{
	uint8_t nonce[16];
	char req[1024];
	size_t n;
	conn_random(NULL, nonce, sizeof(nonce));
	char path[128];
	snprintf(path, sizeof(path), "/ws/%s", s->secret);
	if (ws_client_request(G.host, G.port, path, nonce, req, sizeof(req), &n, s->key_b64) != WS_OK) {
		sess_fail(s, "request");
		return;
	}
	obuf_append(&s->out, req, n);
	s->st = S_RESP;
	s->rd_want = CONN_WANT_READ;
}

static void on_io(struct ev_loop *loop, int fd, int events, void *arg)
{
	static uint8_t buf[65536];
	struct sess *s = arg;
	(void)loop;
	(void)fd;
	(void)events;
	if (s->st == S_CONNECT) {
		int rc = conn_handshake(&s->c);
		if (rc == CONN_EAGAIN) {
			sess_update(s);
			return;
		}
		if (rc != CONN_OK) {
			sess_fail(s, "connect/handshake failed");
			return;
		}
		start_ws(s);
		if (s->st == S_DONE)
			return;
	}
	for (int i = 0; i < 16 && s->st != S_DONE; i++) {
		ssize_t n;
		if (s->st == S_RESP) {
			n = conn_read(&s->c, s->resp + s->resp_len, RESP_MAX - s->resp_len);
		} else {
			n = conn_read(&s->c, buf, sizeof(buf));
		}
		if (n == CONN_EAGAIN) {
			s->rd_want = (uint8_t)conn_want(&s->c);
			break;
		}
		if (n <= 0) {
			sess_fail(s, n == 0 ? "server closed the connection" : "read failed");
			return;
		}
		s->rd_want = CONN_WANT_READ;
		G.bytes_in += (uint64_t)n;
		if (s->st == S_RESP) {
			size_t used;
			int status = 0, rc;
			s->resp_len += (size_t)n;
			rc = ws_client_check_response(s->resp, s->resp_len, s->key_b64, &used, &status);
			if (rc == WS_EAGAIN) {
				if (s->resp_len == RESP_MAX) {
					sess_fail(s, "response head too long");
					return;
				}
				continue;
			}
			if (rc != WS_OK) {
				char why[64];
				snprintf(why, sizeof(why), "upgrade refused (HTTP %d)", status);
				sess_fail(s, why);
				return;
			}
			ws_init(&s->ws, WS_ROLE_CLIENT, 0, conn_random, NULL);
			s->st = S_OPEN;
			G.opened++;
			G.open_now++;
			/* spread the sessions' send phases over one interval */
			ev_timer_start(G.loop, &s->tick, (uint64_t)(rand() % G.rate_ms));
			if (used < s->resp_len)
				on_ws_bytes(s, (uint8_t *)s->resp + used, s->resp_len - used);
		} else {
			on_ws_bytes(s, buf, (size_t)n);
		}
	}
	if (s->st == S_DONE)
		return;
	if (sess_flush(s) == 0)
		sess_update(s);
}

static void open_one(struct sess *s)
{
	int rc;
	conn_init(&s->c);
	obuf_init(&s->out, 1u << 20);
	ev_timer_init(&s->tick, on_tick, s);
	s->st = S_CONNECT;
	s->fd = -1;
	rc = conn_connect(&s->c, G.ctx, &G.sa, G.host);
	if (rc != CONN_OK && rc != CONN_EAGAIN) {
		sess_fail(s, "connect");
		return;
	}
	s->fd = conn_fd(&s->c);
	if (ev_fd_set(G.loop, s->fd, EV_WRITE | EV_READ, on_io, s) != EV_OK) {
		sess_fail(s, "fd over the loop size");
		return;
	}
}

static struct ev_timer ramp_timer;
static void on_ramp(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	int k = G.ramp / 10 > 0 ? G.ramp / 10 : 1;
	(void)arg;
	for (int i = 0; i < k && G.next_to_open < G.n; i++)
		open_one(&G.s[G.next_to_open++]);
	if (G.next_to_open < G.n)
		ev_timer_start(loop, t, 100);
}

static int cmp_f(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	size_t i;
	if (G.nlat == 0)
		return NAN;
	i = (size_t)ceil(p * (double)G.nlat) - 1;
	if (i >= G.nlat)
		i = G.nlat - 1;
	return G.lat[i];
}

static int load_keys(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;
	if (!f) {
		fprintf(stderr, "monbot-loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (n < G.n && fgets(line, sizeof(line), f)) {
		char *p = strtok(line, " \t\r\n");
		if (!p || *p == '#' || strlen(p) > 64)
			continue;
		snprintf(G.s[n].secret, sizeof(G.s[n].secret), "%s", p);
		n++;
	}
	fclose(f);
	return n;
}

static void usage(void)
{
	printf("usage: monbot-loadgen --keys FILE [--agents N] [--host H] [--port P] [--tls 0|1]\n"
	       "                      [--interval-ms MS] [--duration S] [--ramp N/s] [--ramp-timeout S] [--json]\n"
	       "Opens N WebSocket sessions (one key per line of FILE, one key each; at most --ramp\n"
	       "new ones a second), then sends a sample on each every interval for the duration,\n"
	       "then waits up to 15 s for the last acks. Latency counts from the send phase only.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' }, { "tls", 1, NULL, 't' },
		{ "agents", 1, NULL, 'n' }, { "keys", 1, NULL, 'k' }, { "interval-ms", 1, NULL, 'i' },
		{ "duration", 1, NULL, 'd' }, { "ramp", 1, NULL, 'r' }, { "json", 0, NULL, 'j' },
		{ "ramp-timeout", 1, NULL, 'T' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char err[256];
	struct rlimit rl;
	int o, nkeys;
	uint64_t t_open_done = 0;

	G.host = "127.0.0.1";
	G.port = 8000;
	G.tls = 1;
	G.n = 100;
	G.rate_ms = 1000;
	G.duration_s = 60;
	G.ramp = 500;
	G.ramp_timeout_s = 300;
	while ((o = getopt_long(argc, argv, "H:p:t:n:k:i:d:r:T:jh", opts, NULL)) != -1) {
		switch (o) {
		case 'H': G.host = optarg; break;
		case 'p': G.port = (unsigned)atoi(optarg); break;
		case 't': G.tls = atoi(optarg); break;
		case 'n': G.n = atoi(optarg); break;
		case 'k': G.keys_file = optarg; break;
		case 'i': G.rate_ms = atoi(optarg); break;
		case 'd': G.duration_s = atoi(optarg); break;
		case 'r': G.ramp = atoi(optarg); break;
		case 'j': G.json = 1; break;
		case 'T': G.ramp_timeout_s = atoi(optarg); break;
		default: usage(); return o == 'h' ? 0 : 2;
		}
	}
	if (!G.keys_file || G.n <= 0 || G.rate_ms <= 0 || G.duration_s <= 0 || G.ramp <= 0) {
		usage();
		return 2;
	}
	G.s = calloc((size_t)G.n, sizeof(*G.s));
	if (!G.s)
		return 1;
	nkeys = load_keys(G.keys_file);
	if (nkeys <= 0)
		return 2;
	if (nkeys < G.n) {
		fprintf(stderr, "monbot-loadgen: %d keys for %d agents: using %d\n", nkeys, G.n, nkeys);
		G.n = nkeys;
	}
	for (int i = 0; i < G.n; i++) {
		G.s[i].idx = i;
		G.s[i].fd = -1;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	srand((unsigned)getpid());
	if (conn_resolve(G.host, G.port, &G.sa, err, sizeof(err)) != CONN_OK) {
		fprintf(stderr, "monbot-loadgen: %s\n", err);
		return 1;
	}
	if (G.tls && conn_tls_client_new(&G.ctx, CONN_VERIFY_NONE, NULL, err, sizeof(err)) != CONN_OK) {
		fprintf(stderr, "monbot-loadgen: TLS: %s\n", err);
		return 1;
	}
	if (G.ctx) /* each session a full handshake, as a new agent's */
		conn_tls_client_resume(G.ctx, 0);
	if (ev_loop_new(&G.loop, G.n + 256, err, sizeof(err)) != EV_OK) {
		fprintf(stderr, "monbot-loadgen: %s\n", err);
		return 1;
	}
	G.t_start = mono_ms();
	ev_timer_init(&ramp_timer, on_ramp, NULL);
	ev_timer_start(G.loop, &ramp_timer, 0);
	/* Phase 1: open every session (TLS handshakes cost the server most);
	 * phase 2: send for the duration, all sessions held. */
	while (!g_stop && !t_open_done) {
		ev_run_once(G.loop, 100);
		if (G.next_to_open == G.n && G.opened + G.connect_failed >= G.n)
			t_open_done = mono_ms();
		else if (mono_ms() - G.t_start > (uint64_t)G.ramp_timeout_s * 1000u)
			t_open_done = mono_ms(); /* go with what is open */
	}
	G.sending = 1;
	G.t_send = mono_ms();
	fprintf(stderr, "sending: %d sessions open\n", G.open_now);
	fflush(stderr);
	G.t_stop = G.t_send + (uint64_t)G.duration_s * 1000u;
	while (!g_stop) {
		uint64_t now;
		ev_run_once(G.loop, 100);
		now = mono_ms();
		if (G.sending && now >= G.t_stop) {
			G.sending = 0;
			fprintf(stderr, "stopped sending\n");
			fflush(stderr);
			G.t_end = now + 15000;
		}
		if (!G.sending) {
			int waiting = 0;
			for (int i = 0; i < G.n && !waiting; i++)
				waiting = G.s[i].st == S_OPEN && G.s[i].f_n > 0;
			if (!waiting || now >= G.t_end)
				break;
		}
	}
	{
		uint64_t unacked = 0;
		double secs = (double)(mono_ms() - G.t_send) / 1000.0;
		for (int i = 0; i < G.n; i++)
			unacked += G.s[i].f_n;
		qsort(G.lat, G.nlat, sizeof(*G.lat), cmp_f);
		if (G.json) {
			printf("{\"agents\": %d, \"opened\": %d, \"connect_failed\": %d, \"dropped\": %d, "
			       "\"held_at_end\": %d, \"sent\": %llu, \"acked\": %llu, \"failed\": %llu, "
			       "\"skipped\": %llu, \"p50_ms\": %.0f, \"p99_ms\": %.0f, \"max_ms\": %.0f, "
			       "\"seconds\": %.1f, \"ramp_seconds\": %.1f}\n",
			       G.n, G.opened, G.connect_failed, G.dropped, G.open_now,
			       (unsigned long long)G.sent, (unsigned long long)G.acked,
			       (unsigned long long)unacked, (unsigned long long)G.send_skipped,
			       pct(0.50), pct(0.99), G.nlat ? (double)G.lat[G.nlat - 1] : NAN, secs,
			       t_open_done ? (double)(t_open_done - G.t_start) / 1000.0 : NAN);
		} else {
			printf("agents %d: opened %d in %.1f s, connect failed %d, dropped %d, still open %d\n",
			       G.n, G.opened, (double)(t_open_done - G.t_start) / 1000.0, G.connect_failed,
			       G.dropped, G.open_now);
			printf("samples: sent %llu, acknowledged %llu, failed (never acked) %llu, "
			       "not sent (server behind) %llu\n",
			       (unsigned long long)G.sent, (unsigned long long)G.acked,
			       (unsigned long long)unacked, (unsigned long long)G.send_skipped);
			printf("send->ack ms: p50 %.0f, p99 %.0f, max %.0f over %.1f s\n", pct(0.50),
			       pct(0.99), G.nlat ? (double)G.lat[G.nlat - 1] : NAN, secs);
		}
	}
	for (int i = 0; i < G.n; i++)
		if (G.s[i].st != S_DONE && G.s[i].st != S_IDLE) {
			ev_timer_stop(G.loop, &G.s[i].tick);
			if (G.s[i].fd >= 0)
				ev_fd_del(G.loop, G.s[i].fd);
			conn_close(&G.s[i].c);
			obuf_free(&G.s[i].out);
			free(G.s[i].msg);
		}
	ev_loop_free(G.loop);
	conn_tls_free(G.ctx);
	free(G.s);
	free(G.lat);
	return G.opened > 0 ? 0 : 1;
}
