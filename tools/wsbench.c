/* wsbench.c — loopback benchmarks of the wire layer: a forked server and a
 * client in two processes, on whichever TLS back-end the build has.
 *   wsbench msg <size> <count> [tls]   client->server messages: msgs/s, MB/s
 *   wsbench hs <count>                  sequential TLS handshakes/s (ECDHE-ECDSA P-256)
 *   wsbench hsr <count>                 the same, each resuming the last session (ticket)
 *   wsbench arena                       the client's TLS arena peak (agent-like)
 * Prints one line of numbers; tools/wsbench.sh turns them into table rows. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire/conn.h"
#include "wire/ws.h"

static char dir[] = "/tmp/wsbench.XXXXXX";
static char cert[600], key[600];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, struct conn *c, int rc)
{
	char eb[200];
	fprintf(stderr, "wsbench: %s: %s\n", what, c ? conn_strerror(c, rc, eb, sizeof eb) : "failed");
	exit(1);
}

static void wait_io(struct conn *c)
{
	struct pollfd p = { conn_fd(c), (short)((conn_want(c) & CONN_WANT_WRITE ? POLLOUT : 0) |
	                                        (conn_want(c) & CONN_WANT_READ ? POLLIN : 0)), 0 };
	if (!p.events)
		p.events = POLLIN;
	poll(&p, 1, 1000);
}

static void handshake(struct conn *c)
{
	int rc;
	while ((rc = conn_handshake(c)) == CONN_EAGAIN)
		wait_io(c);
	if (rc != CONN_OK)
		die("handshake", c, rc);
}

static void write_all(struct conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = conn_write(c, p, n);
		if (w == CONN_EAGAIN) {
			wait_io(c);
			continue;
		}
		if (w < 0)
			die("write", c, (int)w);
		p += w;
		n -= (size_t)w;
	}
}

static size_t read_some(struct conn *c, uint8_t *buf, size_t cap)
{
	for (;;) {
		ssize_t r = conn_read(c, buf, cap);
		if (r > 0)
			return (size_t)r;
		if (r == 0)
			return 0;
		if (r != CONN_EAGAIN)
			die("read", c, (int)r);
		wait_io(c);
	}
}

/* ---- server side (child) ---- */

static void serve_ws(struct conn *c, long count)
{
	static uint8_t buf[1 << 17];
	struct ws ws;
	struct ws_http_request req;
	size_t have = 0, used, n;
	long got = 0;
	char out[512];

	for (;;) {
		int rc;
		n = read_some(c, buf + have, sizeof buf - have);
		if (n == 0)
			exit(1);
		have += n;
		rc = ws_http_parse_request((char *)buf, have, &req, &used);
		if (rc == WS_OK)
			break;
		if (rc != WS_EAGAIN)
			exit(1);
	}
	ws_server_accept_response(&req, out, sizeof out, &n);
	write_all(c, (uint8_t *)out, n);
	ws_init(&ws, WS_ROLE_SERVER, 0, NULL, NULL);
	memmove(buf, buf + used, have - used);
	have -= used;
	while (got < count) {
		size_t pos = 0;
		while (pos < have) {
			struct ws_event ev;
			enum ws_ev_type t = ws_decode(&ws, buf + pos, have - pos, &used, &ev);
			pos += used;
			if (t == WS_EV_DATA && ev.fin)
				got++;
			else if (t == WS_EV_ERROR || t == WS_EV_CLOSE)
				exit(1);
		}
		if (got >= count)
			break;
		have = read_some(c, buf, sizeof buf);
		if (have == 0)
			exit(1);
	}
	ws_frame_encode(&ws, WS_OP_TEXT, 1, "done", 4, buf, sizeof buf, &n);
	write_all(c, buf, n);
}

static pid_t server(int lfd, struct conn_tls *tls, long count, int per_conn_msgs)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	for (long i = 0; count < 0 || i < count; i++) {
		struct conn c;
		int rc;
		conn_init(&c);
		while ((rc = conn_accept(&c, tls, lfd)) == CONN_EAGAIN)
			poll(&(struct pollfd){ lfd, POLLIN, 0 }, 1, 1000);
		if (rc != CONN_OK)
			die("accept", &c, rc);
		while ((rc = conn_handshake(&c)) == CONN_EAGAIN)
			wait_io(&c);
		if (rc == CONN_OK && per_conn_msgs >= 0)
			serve_ws(&c, per_conn_msgs);
		/* handshake mode: done once the handshake is (a TLS 1.3 client
		 * may already have gone, which is fine) */
		conn_close(&c);
	}
	_exit(0);
}

/* ---- client side ---- */

static int listen_any(unsigned *port)
{
	char err[200];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = conn_listen("127.0.0.1", 0, 128, err, sizeof err);

	if (fd < 0) {
		fprintf(stderr, "wsbench: %s\n", err);
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void client_connect(struct conn *c, struct conn_tls *tls, unsigned port)
{
	struct port_addr ss;
	char err[200];
	int rc;

	conn_init(c);
	if (conn_resolve("127.0.0.1", port, &ss, err, sizeof err) != CONN_OK)
		die(err, NULL, 0);
	if ((rc = conn_connect(c, tls, &ss, "localhost")) != CONN_OK)
		die("connect", c, rc);
	handshake(c);
}

/* Opening handshake; leftover bytes after the 101 are not expected here. */
static void client_upgrade(struct conn *c, struct ws *ws)
{
	uint8_t nonce[16], buf[2048];
	char req[512], k[WS_KEY_B64_LEN + 1];
	size_t n, have = 0, used;
	int st, rc;

	conn_random(NULL, nonce, sizeof nonce);
	ws_client_request("localhost", 8000, "/ws/bench", nonce, req, sizeof req, &n, k);
	write_all(c, (uint8_t *)req, n);
	do {
		n = read_some(c, buf + have, sizeof buf - have);
		if (n == 0)
			die("server closed", NULL, 0);
		have += n;
	} while ((rc = ws_client_check_response((char *)buf, have, k, &used, &st)) == WS_EAGAIN);
	if (rc != WS_OK)
		die("upgrade refused", NULL, 0);
	ws_init(ws, WS_ROLE_CLIENT, 0, conn_random, NULL);
}

static void wait_done(struct conn *c, struct ws *ws)
{
	uint8_t buf[256];
	size_t n, used, pos;

	for (;;) {
		n = read_some(c, buf, sizeof buf);
		if (n == 0)
			die("no answer", NULL, 0);
		for (pos = 0; pos < n; pos += used) {
			struct ws_event ev;
			if (ws_decode(ws, buf + pos, n - pos, &used, &ev) == WS_EV_DATA && ev.fin)
				return;
		}
	}
}

static struct conn_tls *tls_pair(struct conn_tls **srv)
{
	struct conn_tls *cl = NULL;
	char err[300];

	if (conn_tls_server_new(srv, cert, key, "localhost", NULL, err, sizeof err) != CONN_OK ||
	    conn_tls_client_new(&cl, CONN_VERIFY_PIN, NULL, err, sizeof err) != CONN_OK) {
		fprintf(stderr, "wsbench: %s\n", err);
		exit(1);
	}
	return cl;
}

/* count messages of size bytes, batched into 256 KiB writes as an event
 * loop would; returns seconds from the first byte to the server's "done". */
static double run_msgs(size_t size, long count, int tls)
{
	struct conn_tls *stls = NULL, *ctls = tls ? tls_pair(&stls) : NULL;
	unsigned port;
	int lfd = listen_any(&port), status;
	pid_t pid = server(lfd, tls ? stls : NULL, 1, (int)count);
	struct conn c;
	struct ws ws;
	size_t cap = (256u << 10) + size + WS_HDR_MAX, fill = 0, n;
	uint8_t *out = malloc(cap), *payload = malloc(size ? size : 1);
	double t0, t;

	for (size_t i = 0; i < size; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	client_connect(&c, ctls, port);
	client_upgrade(&c, &ws);
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		if (ws_frame_encode(&ws, WS_OP_TEXT, 1, payload, size, out + fill, cap - fill, &n) != WS_OK)
			die("encode", NULL, 0);
		fill += n;
		if (fill >= (256u << 10) || i == count - 1) {
			write_all(&c, out, fill);
			fill = 0;
		}
	}
	wait_done(&c, &ws);
	t = now_s() - t0;
	conn_close(&c);
	waitpid(pid, &status, 0);
	close(lfd);
	conn_tls_free(ctls);
	conn_tls_free(stls);
	free(out);
	free(payload);
	return t;
}

static double run_handshakes(long count, int resume)
{
	struct conn_tls *stls = NULL, *ctls = tls_pair(&stls);
	unsigned port;
	int lfd = listen_any(&port), status;
	pid_t pid;
	double t0, t;

	conn_tls_client_resume(ctls, resume);
	if (resume) { /* the first connection gets the ticket, untimed */
		struct conn c;
		pid = server(lfd, stls, 1, -1);
		client_connect(&c, ctls, port);
		conn_shutdown(&c);
		conn_close(&c);
		waitpid(pid, &status, 0);
	}
	pid = server(lfd, stls, count, -1);
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		struct conn c;
		client_connect(&c, ctls, port);
		conn_shutdown(&c);
		conn_close(&c);
	}
	waitpid(pid, &status, 0);
	t = now_s() - t0;
	close(lfd);
	conn_tls_free(ctls);
	conn_tls_free(stls);
	return t;
}

int main(int argc, char **argv)
{
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return 2;
	if (!mkdtemp(dir))
		return 1;
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	if (!strcmp(argv[1], "msg") && argc >= 4) {
		size_t size = strtoul(argv[2], NULL, 10);
		long count = strtol(argv[3], NULL, 10);
		double t = run_msgs(size, count, argc > 4);
		printf("%.0f %.1f\n", count / t, (double)count * (double)size / t / 1e6);
	} else if (!strcmp(argv[1], "hs") && argc >= 3) {
		long count = strtol(argv[2], NULL, 10);
		printf("%.0f\n", count / run_handshakes(count, 0));
	} else if (!strcmp(argv[1], "hsr") && argc >= 3) {
		long count = strtol(argv[2], NULL, 10);
		printf("%.0f\n", count / run_handshakes(count, 1));
	} else if (!strcmp(argv[1], "arena")) {
		/* the client alone on an arena, as in the agent; the server is the
		 * forked child on the C library's heap */
		static uint8_t arena[4 << 20];
		struct conn_tls *stls = NULL, *ctls = NULL;
		struct conn_arena_stats st;
		unsigned port;
		int lfd = listen_any(&port), status;
		char err[300];
		pid_t pid;
		if (conn_tls_server_new(&stls, cert, key, "localhost", NULL, err, sizeof err) != CONN_OK)
			return 1;
		pid = server(lfd, stls, 1, 100);
		conn_tls_arena_init(arena, sizeof arena);
		if (conn_tls_client_new(&ctls, CONN_VERIFY_PIN, NULL, err, sizeof err) != CONN_OK)
			return 1;
		{
			struct conn c;
			struct ws ws;
			uint8_t f[256];
			size_t n;
			client_connect(&c, ctls, port);
			client_upgrade(&c, &ws);
			for (int i = 0; i < 100; i++) {
				ws_frame_encode(&ws, WS_OP_TEXT, 1, "{\"cpu\": 12.5, \"ram\": 40.1}", 26, f, sizeof f, &n);
				write_all(&c, f, n);
			}
			wait_done(&c, &ws);
			conn_close(&c);
		}
		conn_tls_free(ctls);
		conn_tls_arena_stats(&st);
		waitpid(pid, &status, 0);
		printf("%zu %zu\n", st.peak, st.used);
	} else {
		rc = 2;
	}
	unlink(cert);
	unlink(key);
	rmdir(dir);
	return rc;
}
