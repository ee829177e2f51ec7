/* loadgen.c — monbot-loadgen: one process, one epoll loop, N real
 * WebSocket sessions (TLS by default) to monbot-server, each sending a
 * sample at a set rate with its own key, as agents do. Reports samples
 * sent, acknowledged (the server's "ack" covers their ts) and failed, and
 * the send-to-ack latency (p50, p99, max): the server acks a sample once
 * the database has committed it, so this is send-to-stored plus one hop.
 * A storm (--storm N --storm-at S) kills N sessions at once S seconds into
 * the send phase and reconnects each after the agent's own first delay
 * (AGENT_RECONNECT_DELAY 5 s less up to a quarter of jitter), then reports
 * how long until every one is back and storing, and the latency of the
 * sessions that stayed meanwhile. --resume gives each session its own TLS
 * context, so a reconnect resumes its session from its ticket as the real
 * agent's does; without it every handshake is a full one. More than one
 * --host address (comma-separated, the server listening on all) gives more
 * than one address's ephemeral ports (about 28 000 each). */
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
#define HOSTS_MAX 16

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
	struct conn_tls *ctx;   /* --resume: this session's own */
	uint8_t stormed, back;  /* killed by the storm; stored again since */
	struct ev_timer reopen;
};

static struct {
	const char *host;
	unsigned port;
	int tls, n, rate_ms, duration_s, ramp, json, resume;
	const char *keys_file;
	struct port_addr sa[HOSTS_MAX];
	int nsa;
	struct conn_tls *ctx;
	struct ev_loop *loop;
	struct sess *s;
	int opened, open_now, connect_failed, dropped, next_to_open;
	int connecting, inflight_max; /* handshakes under way; at most (0 = any) */
	uint64_t sent, acked, send_skipped;
	uint64_t t_start, t_send, t_stop, t_end;
	int ramp_timeout_s;
	int sending;
	float *lat;
	size_t nlat, caplat;
	uint64_t replies, bytes_in, bytes_out;
	int resumed;            /* sessions whose handshake resumed */
	/* the storm */
	int storm_n, storm_at_s, storm_back, storm_retries;
	uint64_t storm_t0, storm_t_back, storm_lost;
	float *slat;            /* latencies of the others while the storm lasts */
	size_t nslat, capslat;
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

static void storm_reopen_later(struct sess *s, uint64_t ms);

static void sess_fail(struct sess *s, const char *why)
{
	int retry;
	if (s->st == S_DONE || s->st == S_IDLE)
		return;
	/* a storm's session that is not back yet tries again, as an agent does */
	retry = s->stormed && !s->back && G.sending;
	if (s->st != S_OPEN)
		G.connecting--;
	if (s->st == S_OPEN) {
		G.open_now--;
		if (!retry)
			G.dropped++;
	} else if (!retry) {
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
	if (retry) {
		G.storm_retries++;
		storm_reopen_later(s, 1000 + (uint64_t)(rand() % 250));
	}
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

static void push_lat(float **v, size_t *n, size_t *cap, uint64_t ms)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 65536;
		float *nl = realloc(*v, nc * sizeof(*nl));
		if (!nl)
			return;
		*v = nl;
		*cap = nc;
	}
	(*v)[(*n)++] = (float)ms;
}

static void record_latency(const struct sess *s, uint64_t ms)
{
	push_lat(&G.lat, &G.nlat, &G.caplat, ms);
	if (G.storm_t0 && !G.storm_t_back && !s->stormed)
		push_lat(&G.slat, &G.nslat, &G.capslat, ms);
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
		record_latency(s, mono_ms() - s->f_ms[s->f_head]);
		s->f_head = (s->f_head + 1) % FIFO;
		s->f_n--;
		G.acked++;
		if (s->stormed && !s->back) {
			s->back = 1;
			if (++G.storm_back == G.storm_n)
				G.storm_t_back = mono_ms();
		}
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
	if (ws_client_request("localhost", G.port, path, nonce, req, sizeof(req), &n, s->key_b64) != WS_OK) {
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
			G.connecting--;
			if (!s->stormed)
				G.opened++;
			G.open_now++;
			G.resumed += conn_resumed(&s->c);
			/* spread the sessions' send phases over one interval; a
			 * reconnect sends at once (an agent's spooled samples) */
			ev_timer_start(G.loop, &s->tick, s->stormed ? 0 : (uint64_t)(rand() % G.rate_ms));
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
	char err[256];
	conn_init(&s->c);
	obuf_init(&s->out, 1u << 20);
	ev_timer_init(&s->tick, on_tick, s);
	s->st = S_CONNECT;
	G.connecting++;
	s->fd = -1;
	s->resp_len = 0;
	if (G.tls && G.resume && !s->ctx &&
	    conn_tls_client_new(&s->ctx, CONN_VERIFY_NONE, NULL, err, sizeof(err)) != CONN_OK) {
		sess_fail(s, "TLS context");
		return;
	}
	rc = conn_connect(&s->c, G.resume ? s->ctx : G.ctx, &G.sa[s->idx % G.nsa], "localhost");
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
	for (int i = 0; i < k && G.next_to_open < G.n && (!G.inflight_max || G.connecting < G.inflight_max); i++)
		open_one(&G.s[G.next_to_open++]);
	if (G.next_to_open < G.n)
		ev_timer_start(loop, t, 100);
}

static void on_reopen(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	open_one(arg);
}

static void storm_reopen_later(struct sess *s, uint64_t ms)
{
	s->st = S_IDLE;
	ev_timer_init(&s->reopen, on_reopen, s);
	ev_timer_start(G.loop, &s->reopen, ms);
}

/* Kills storm_n sessions spread over all of them (a closed socket, as
 * when an agent's process or its server goes away), each to reconnect
 * after the agent's first delay. */
static void storm_start(void)
{
	G.storm_t0 = mono_ms();
	for (int i = 0; i < G.storm_n; i++) {
		struct sess *s = &G.s[(int)((int64_t)i * G.n / G.storm_n)];
		if (s->st != S_OPEN)
			continue;
		ev_timer_stop(G.loop, &s->tick);
		ev_fd_del(G.loop, s->fd);
		conn_close(&s->c);
		s->fd = -1;
		G.open_now--;
		G.storm_lost += s->f_n;
		s->f_n = s->f_head = 0;
		obuf_free(&s->out);
		s->stormed = 1;
		storm_reopen_later(s, 3750 + (uint64_t)(rand() % 1251));
	}
}

static int cmp_f(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static double pct_of(const float *v, size_t n, double p)
{
	size_t i;
	if (n == 0)
		return NAN;
	i = (size_t)ceil(p * (double)n) - 1;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static double pct(double p)
{
	return pct_of(G.lat, G.nlat, p);
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
	printf("usage: monbot-loadgen --keys FILE [--agents N] [--host H[,H...]] [--port P] [--tls 0|1]\n"
	       "                      [--interval-ms MS] [--duration S] [--ramp N/s] [--ramp-timeout S]\n"
	       "                      [--inflight N] [--resume] [--storm N --storm-at S] [--json]\n"
	       "Opens N WebSocket sessions (one key per line of FILE, one key each; at most --ramp\n"
	       "new ones a second, at most --inflight handshakes at once), then sends a sample on each every interval for the duration,\n"
	       "then waits up to 15 s for the last acks. Latency counts from the send phase only.\n"
	       "--storm: S s into the send phase N sessions are killed at once and reconnect\n"
	       "after 3.75-5 s each (the agent's first delay); --resume: each session resumes its\n"
	       "own TLS session on a reconnect.\n");
}

static int parse_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' }, { "tls", 1, NULL, 't' },
		{ "agents", 1, NULL, 'n' }, { "keys", 1, NULL, 'k' }, { "interval-ms", 1, NULL, 'i' },
		{ "duration", 1, NULL, 'd' }, { "ramp", 1, NULL, 'r' }, { "json", 0, NULL, 'j' },
		{ "ramp-timeout", 1, NULL, 'T' }, { "resume", 0, NULL, 'R' }, { "storm", 1, NULL, 's' },
		{ "storm-at", 1, NULL, 'a' }, { "inflight", 1, NULL, 'I' }, { "help", 0, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	G.host = "127.0.0.1";
	G.port = 8000;
	G.tls = 1;
	G.n = 100;
	G.rate_ms = 1000;
	G.duration_s = 60;
	G.ramp = 500;
	G.ramp_timeout_s = 300;
	while ((o = getopt_long(argc, argv, "H:p:t:n:k:i:d:r:T:Rs:a:I:jh", opts, NULL)) != -1) {
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
		case 'R': G.resume = 1; break;
		case 's': G.storm_n = atoi(optarg); break;
		case 'a': G.storm_at_s = atoi(optarg); break;
		case 'I': G.inflight_max = atoi(optarg); break;
		default: usage(); return o == 'h' ? 0 : 2;
		}
	}
	if (!G.keys_file || G.n <= 0 || G.rate_ms <= 0 || G.duration_s <= 0 || G.ramp <= 0 || G.storm_n < 0 ||
	    (G.storm_n && G.storm_at_s >= G.duration_s)) {
		usage();
		return 2;
	}
	return -1;
}

/* Every address of --host (a comma-separated list). */
static int resolve_hosts(void)
{
	char list[512], err[256], *save = NULL;
	snprintf(list, sizeof(list), "%s", G.host);
	for (char *h = strtok_r(list, ",", &save); h && G.nsa < HOSTS_MAX; h = strtok_r(NULL, ",", &save)) {
		if (conn_resolve(h, G.port, &G.sa[G.nsa], err, sizeof(err)) != CONN_OK) {
			fprintf(stderr, "monbot-loadgen: %s\n", err);
			return -1;
		}
		G.nsa++;
	}
	return G.nsa ? 0 : -1;
}

/* ", \"key\": v" in the JSON line; null for no figure (NaN). */
static void jnum(const char *key, double v)
{
	if (isnan(v))
		printf(", \"%s\": null", key);
	else
		printf(", \"%s\": %.2f", key, v);
}

static void report(uint64_t t_open_done)
{
	uint64_t unacked = 0;
	double secs = (double)(mono_ms() - G.t_send) / 1000.0;
	double back = G.storm_t_back ? (double)(G.storm_t_back - G.storm_t0) / 1000.0 : NAN;
	for (int i = 0; i < G.n; i++)
		unacked += G.s[i].f_n;
	qsort(G.lat, G.nlat, sizeof(*G.lat), cmp_f);
	qsort(G.slat, G.nslat, sizeof(*G.slat), cmp_f);
	if (G.json) {
		double ramp = t_open_done ? (double)(t_open_done - G.t_start) / 1000.0 : NAN;
		printf("{\"agents\": %d, \"opened\": %d, \"connect_failed\": %d, \"dropped\": %d, "
		       "\"held_at_end\": %d, \"sent\": %llu, \"acked\": %llu, \"failed\": %llu, "
		       "\"skipped\": %llu, \"resumed\": %d, \"storm\": %d, \"storm_back\": %d, "
		       "\"storm_retries\": %d, \"storm_lost\": %llu",
		       G.n, G.opened, G.connect_failed, G.dropped, G.open_now,
		       (unsigned long long)G.sent, (unsigned long long)G.acked,
		       (unsigned long long)unacked, (unsigned long long)G.send_skipped, G.resumed, G.storm_n,
		       G.storm_back, G.storm_retries, (unsigned long long)G.storm_lost);
		jnum("p50_ms", pct(0.50));
		jnum("p99_ms", pct(0.99));
		jnum("max_ms", G.nlat ? (double)G.lat[G.nlat - 1] : NAN);
		jnum("seconds", secs);
		jnum("ramp_seconds", ramp);
		jnum("storm_back_s", back);
		jnum("storm_p50_ms", pct_of(G.slat, G.nslat, 0.50));
		jnum("storm_p99_ms", pct_of(G.slat, G.nslat, 0.99));
		printf("}\n");
		return;
	}
	printf("agents %d: opened %d in %.1f s, connect failed %d, dropped %d, still open %d\n",
	       G.n, G.opened, (double)(t_open_done - G.t_start) / 1000.0, G.connect_failed,
	       G.dropped, G.open_now);
	printf("samples: sent %llu, acknowledged %llu, failed (never acked) %llu, "
	       "not sent (server behind) %llu\n",
	       (unsigned long long)G.sent, (unsigned long long)G.acked,
	       (unsigned long long)unacked, (unsigned long long)G.send_skipped);
	printf("send->ack ms: p50 %.0f, p99 %.0f, max %.0f over %.1f s\n", pct(0.50),
	       pct(0.99), G.nlat ? (double)G.lat[G.nlat - 1] : NAN, secs);
	if (G.storm_n)
		printf("storm: %d killed, %d back and storing in %.2f s (%d retries, %llu samples lost in "
		       "flight); the others meanwhile p50 %.0f, p99 %.0f ms\n", G.storm_n, G.storm_back, back,
		       G.storm_retries, (unsigned long long)G.storm_lost, pct_of(G.slat, G.nslat, 0.50),
		       pct_of(G.slat, G.nslat, 0.99));
}

/* Phase 1: open every session (TLS handshakes cost the server most);
 * phase 2: send for the duration, all sessions held (the storm in it);
 * then the last acks. */
static uint64_t run(void)
{
	uint64_t t_open_done = 0;
	G.t_start = mono_ms();
	ev_timer_init(&ramp_timer, on_ramp, NULL);
	ev_timer_start(G.loop, &ramp_timer, 0);
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
		if (G.storm_n && !G.storm_t0 && now >= G.t_send + (uint64_t)G.storm_at_s * 1000u) {
			storm_start();
			fprintf(stderr, "storm: %d sessions killed\n", G.storm_n);
			fflush(stderr);
		}
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
	return t_open_done;
}

int main(int argc, char **argv)
{
	char err[256];
	struct rlimit rl;
	int rc, nkeys;

	if ((rc = parse_opts(argc, argv)) >= 0)
		return rc;
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
	if (G.storm_n > G.n)
		G.storm_n = G.n;
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
	if (resolve_hosts() != 0)
		return 1;
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
	report(run());
	for (int i = 0; i < G.n; i++) {
		if (G.s[i].st != S_DONE && G.s[i].st != S_IDLE) {
			ev_timer_stop(G.loop, &G.s[i].tick);
			if (G.s[i].fd >= 0)
				ev_fd_del(G.loop, G.s[i].fd);
			conn_close(&G.s[i].c);
			obuf_free(&G.s[i].out);
			free(G.s[i].msg);
		}
		conn_tls_free(G.s[i].ctx);
	}
	ev_loop_free(G.loop);
	conn_tls_free(G.ctx);
	free(G.s);
	free(G.lat);
	free(G.slat);
	return G.opened > 0 ? 0 : 1;
}
