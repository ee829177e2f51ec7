/* test_conn.c — the connection layer over loopback (plain and TLS, both
 * ends in one thread, non-blocking), the generated server certificate, the
 * CA/host name checks of "force", the agent's TLS arena, and the pin file
 * rules of SPEC §4. Runs with whichever back-end the build chose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wire/conn.h"
#include "wire/tls_arena.h"
#include "wire/tls_pin.h"

static char tmpdir[256];

static const char *tmp(const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) & 3;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
	return buf[k];
}

static int setup_dir(void **st)
{
	(void)st;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_conn.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_dir(void **st)
{
	char cmd[300];
	(void)st;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- loopback helpers ---- */

static int listen_local(unsigned *port)
{
	char err[200];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = conn_listen("127.0.0.1", 0, 16, err, sizeof err);

	if (fd < 0)
		fail_msg("listen: %s", err);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void local_addr(unsigned port, struct port_addr *a)
{
	assert_int_equal(port_addr_parse("127.0.0.1", port, a), PORT_OK);
}

static void wait_for(struct conn *a, int arc, struct conn *b, int brc)
{
	struct pollfd p[2];
	int n = 0;

	if (arc == CONN_EAGAIN)
		p[n++] = (struct pollfd){ conn_fd(a), (short)((conn_want(a) & CONN_WANT_READ ? POLLIN : 0) | (conn_want(a) & CONN_WANT_WRITE ? POLLOUT : 0)), 0 };
	if (brc == CONN_EAGAIN)
		p[n++] = (struct pollfd){ conn_fd(b), (short)((conn_want(b) & CONN_WANT_READ ? POLLIN : 0) | (conn_want(b) & CONN_WANT_WRITE ? POLLOUT : 0)), 0 };
	if (n)
		poll(p, (nfds_t)n, 100);
}

/* Connects cl to a listener and accepts sv (no handshake yet). */
static void connect_accept(struct conn *cl, struct conn_tls *ct, struct conn *sv,
                           struct conn_tls *stc, const char *name)
{
	unsigned port;
	int lfd = listen_local(&port);
	struct port_addr ss;

	conn_init(cl);
	conn_init(sv);
	local_addr(port, &ss);
	assert_int_equal(conn_connect(cl, ct, &ss, name), CONN_OK);
	for (int i = 0; i < 100; i++) {
		int r = conn_accept(sv, stc, lfd);
		if (r == CONN_OK)
			break;
		assert_int_equal(r, CONN_EAGAIN);
		poll(&(struct pollfd){ lfd, POLLIN, 0 }, 1, 100);
	}
	close(lfd);
	assert_true(conn_fd(sv) >= 0);
}

/* connect_accept, then both handshakes to the end. Returns the client's
 * result (the server's in *srv_rc). */
static int pair(struct conn *cl, struct conn_tls *ct, struct conn *sv, struct conn_tls *stc,
                const char *name, int *srv_rc)
{
	int crc = CONN_EAGAIN, src = CONN_EAGAIN;

	connect_accept(cl, ct, sv, stc, name);
	/* until both are done or one failed (the other would wait forever) */
	for (int i = 0; i < 2000 && (crc == CONN_EAGAIN || src == CONN_EAGAIN) &&
	                (crc == CONN_OK || crc == CONN_EAGAIN) && (src == CONN_OK || src == CONN_EAGAIN); i++) {
		if (crc == CONN_EAGAIN)
			crc = conn_handshake(cl);
		if (src == CONN_EAGAIN)
			src = conn_handshake(sv);
		wait_for(cl, crc, sv, src);
	}
	*srv_rc = src;
	return crc;
}

/* Sends len bytes from a to b and checks them, both sides non-blocking. */
static void pump(struct conn *a, struct conn *b, size_t len)
{
	uint8_t *out = malloc(len), *in = malloc(len);
	size_t sent = 0, got = 0;

	assert_non_null(out);
	assert_non_null(in);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(i * 13 + 1);
	for (int spins = 0; got < len && spins < 100000; spins++) {
		ssize_t w = CONN_OK, r;
		if (sent < len) {
			w = conn_write(a, out + sent, len - sent);
			if (w > 0)
				sent += (size_t)w;
			else
				assert_int_equal(w, CONN_EAGAIN);
		}
		do {
			r = conn_read(b, in + got, len - got);
			if (r > 0)
				got += (size_t)r;
			/* decrypted bytes may wait in the TLS layer */
		} while (r > 0 && got < len && conn_pending(b) > 0);
		if (r <= 0)
			assert_int_equal(r, CONN_EAGAIN);
		if (w == CONN_EAGAIN || r == CONN_EAGAIN)
			wait_for(a, sent < len ? CONN_EAGAIN : CONN_OK, b, CONN_EAGAIN);
	}
	assert_int_equal(got, len);
	assert_memory_equal(in, out, len);
	free(out);
	free(in);
}

static void expect_eof(struct conn *b)
{
	uint8_t x[16];
	ssize_t r = CONN_EAGAIN;

	for (int i = 0; i < 100 && r == CONN_EAGAIN; i++) {
		r = conn_read(b, x, sizeof x);
		if (r == CONN_EAGAIN)
			poll(&(struct pollfd){ conn_fd(b), POLLIN, 0 }, 1, 100);
	}
	assert_int_equal(r, 0);
}

static struct conn_tls *server_ctx(const char *cert, const char *key, int *gen)
{
	struct conn_tls *t = NULL;
	char err[300] = "";
	int rc = conn_tls_server_new(&t, tmp(cert), tmp(key), "monbot-test", gen, err, sizeof err);

	if (rc != CONN_OK)
		fail_msg("server ctx: %d %s", rc, err);
	return t;
}

/* ---- tests ---- */

static void test_plain(void **st)
{
	struct conn c, s;
	int src;
	uint8_t h[32];

	(void)st;
	assert_int_equal(pair(&c, NULL, &s, NULL, NULL, &src), CONN_OK);
	assert_int_equal(src, CONN_OK);
	assert_int_equal(conn_is_tls(&c), 0);
	assert_int_equal(conn_peer_hashes(&c, h, h), CONN_EINVAL);
	pump(&c, &s, 3 << 20);
	pump(&s, &c, 100);
	assert_int_equal(conn_pending(&s), 0);
	assert_int_equal(conn_shutdown(&c), CONN_OK);
	expect_eof(&s);
	conn_close(&c);
	conn_close(&c); /* twice is fine */
	conn_close(&s);
	assert_int_equal(conn_read(&c, h, 1), CONN_ECLOSED);
	assert_int_equal(conn_fd(&c), -1);
}

static void test_connect_refused(void **st)
{
	struct conn c;
	unsigned port;
	int lfd = listen_local(&port), rc = CONN_EAGAIN;
	struct port_addr ss;
	char eb[100];

	(void)st;
	close(lfd); /* nobody listens there now */
	local_addr(port, &ss);
	conn_init(&c);
	rc = conn_connect(&c, NULL, &ss, NULL);
	for (int i = 0; i < 100 && (rc == CONN_OK || rc == CONN_EAGAIN); i++) {
		rc = conn_handshake(&c);
		if (rc == CONN_EAGAIN)
			poll(&(struct pollfd){ conn_fd(&c), POLLOUT, 0 }, 1, 100);
	}
	assert_int_equal(rc, CONN_EIO);
	assert_int_equal(c.sys_errno, ECONNREFUSED);
	assert_non_null(strstr(conn_strerror(&c, rc, eb, sizeof eb), "refused"));
	conn_close(&c);
}

static void test_resolve(void **st)
{
	struct port_addr ss;
	char err[200];

	(void)st;
	assert_int_equal(conn_resolve("127.0.0.1", 8000, &ss, err, sizeof err), CONN_OK);
	assert_int_equal(ss.len, sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)(void *)ss.u.b)->sin_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)(void *)ss.u.b)->sin_port), 8000);
	assert_int_equal(conn_resolve("localhost", 1, &ss, err, sizeof err), CONN_OK);
	assert_int_equal(conn_resolve("no-such-host.invalid", 80, &ss, err, sizeof err), CONN_ERESOLVE);
	assert_non_null(strstr(err, "no-such-host.invalid"));
	assert_int_equal(conn_resolve("h", 0, &ss, err, sizeof err), CONN_EINVAL);
}

static void test_generated_cert(void **st)
{
	struct conn_tls *t;
	struct stat sb;
	int gen = -1, rc;
	char err[300];

	(void)st;
	t = server_ctx("g_cert.pem", "g_key.pem", &gen);
	assert_int_equal(gen, 1);
	conn_tls_free(t);
	assert_int_equal(stat(tmp("g_key.pem"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(tmp("g_cert.pem"), &sb), 0);
	/* second start loads, does not make new ones */
	t = server_ctx("g_cert.pem", "g_key.pem", &gen);
	assert_int_equal(gen, 0);
	conn_tls_free(t);
	/* one of the two missing: refused, nothing overwritten */
	rc = conn_tls_server_new(&t, tmp("g_cert.pem"), tmp("nokey.pem"), NULL, &gen, err, sizeof err);
	assert_int_equal(rc, CONN_ECONFIG);
	assert_null(t);
	assert_non_null(strstr(err, "nokey.pem"));
	assert_int_equal(stat(tmp("nokey.pem"), &sb), -1);
	/* a key that is not the certificate's */
	t = server_ctx("h_cert.pem", "h_key.pem", &gen);
	conn_tls_free(t);
	rc = conn_tls_server_new(&t, tmp("g_cert.pem"), tmp("h_key.pem"), NULL, &gen, err, sizeof err);
	assert_int_equal(rc, CONN_ECONFIG);
	/* garbage */
	{
		FILE *f = fopen(tmp("bad.pem"), "w");
		fputs("not a certificate\n", f);
		fclose(f);
	}
	rc = conn_tls_server_new(&t, tmp("bad.pem"), tmp("g_key.pem"), NULL, &gen, err, sizeof err);
	assert_int_equal(rc, CONN_ECONFIG);
	/* an unwritable place */
	rc = conn_tls_server_new(&t, "/nonexistent/dir/c.pem", "/nonexistent/dir/k.pem", NULL, &gen, err, sizeof err);
	assert_int_equal(rc, CONN_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent/dir/k.pem"));
}

static void test_tls_pin_mode(void **st)
{
	struct conn_tls *sctx = server_ctx("p_cert.pem", "p_key.pem", NULL), *cctx = NULL;
	struct conn c, s;
	uint8_t fp[32], spki[32], fp2[32], spki2[32];
	char err[300];
	int src;

	(void)st;
	assert_int_equal(conn_tls_client_new(&cctx, CONN_VERIFY_PIN, NULL, err, sizeof err), CONN_OK);
	assert_int_equal(pair(&c, cctx, &s, sctx, "localhost", &src), CONN_OK);
	assert_int_equal(src, CONN_OK);
	assert_int_equal(conn_is_tls(&c), 1);
	assert_int_equal(conn_peer_hashes(&c, fp, spki), CONN_OK);
	assert_int_equal(conn_peer_hashes(&s, fp2, spki2), CONN_EINVAL); /* no client cert */
	assert_memory_not_equal(fp, spki, 32);
	/* both directions, more than one TLS record, then close_notify */
	pump(&c, &s, (1 << 20) + 17);
	pump(&s, &c, 70000);
	assert_int_equal(conn_shutdown(&c), CONN_OK);
	expect_eof(&s);
	conn_close(&c);
	conn_close(&s);
	/* same server, same hashes */
	assert_int_equal(pair(&c, cctx, &s, sctx, "localhost", &src), CONN_OK);
	assert_int_equal(conn_peer_hashes(&c, fp2, spki2), CONN_OK);
	assert_memory_equal(fp, fp2, 32);
	assert_memory_equal(spki, spki2, 32);
	conn_close(&c);
	conn_close(&s);
	conn_tls_free(cctx);
	conn_tls_free(sctx);
}

static void test_tls_force(void **st)
{
	struct conn_tls *sctx = server_ctx("f_cert.pem", "f_key.pem", NULL), *cctx = NULL, *sys = NULL;
	struct conn c, s;
	char err[300], eb[300];
	int src, rc;

	(void)st;
	/* the server's own certificate as the CA: name must match its SAN */
	assert_int_equal(conn_tls_client_new(&cctx, CONN_VERIFY_FORCE, tmp("f_cert.pem"), err, sizeof err), CONN_OK);
	assert_int_equal(pair(&c, cctx, &s, sctx, "localhost", &src), CONN_OK);
	conn_close(&c);
	conn_close(&s);
	assert_int_equal(pair(&c, cctx, &s, sctx, "monbot-test", &src), CONN_OK);
	conn_close(&c);
	conn_close(&s);
	rc = pair(&c, cctx, &s, sctx, "other.example", &src);
	assert_int_equal(rc, CONN_EVERIFY);
	conn_strerror(&c, rc, eb, sizeof eb);
	assert_true(strlen(eb) > 5);
	conn_close(&c);
	conn_close(&s);
	/* the system's CAs do not know a self-signed certificate */
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		assert_int_equal(conn_tls_client_new(&sys, CONN_VERIFY_FORCE, NULL, err, sizeof err), CONN_OK);
		assert_int_equal(pair(&c, sys, &s, sctx, "localhost", &src), CONN_EVERIFY);
		conn_close(&c);
		conn_close(&s);
		conn_tls_free(sys);
	}
	/* a CA file that is not there */
	assert_int_equal(conn_tls_client_new(&sys, CONN_VERIFY_FORCE, tmp("none.pem"), err, sizeof err), CONN_ECONFIG);
	assert_null(sys);
	assert_non_null(strstr(err, "none.pem"));
	conn_tls_free(cctx);
	conn_tls_free(sctx);
}

static void test_tls_to_plain(void **st)
{
	/* a TLS client at a plain server (and the reverse) fails, never hangs */
	struct conn_tls *cctx = NULL, *sctx = server_ctx("q_cert.pem", "q_key.pem", NULL);
	struct conn c, s;
	char err[200];
	int src, rc;

	(void)st;
	assert_int_equal(conn_tls_client_new(&cctx, CONN_VERIFY_NONE, NULL, err, sizeof err), CONN_OK);
	connect_accept(&c, cctx, &s, NULL, NULL);
	assert_int_equal(conn_handshake(&s), CONN_OK);
	for (int i = 0; i < 100 && (rc = conn_handshake(&c)) == CONN_EAGAIN && !(conn_want(&c) & CONN_WANT_READ); i++)
		poll(&(struct pollfd){ conn_fd(&c), POLLOUT, 0 }, 1, 100);
	assert_int_equal(rc, CONN_EAGAIN); /* ClientHello sent, waiting */
	{
		uint8_t buf[64];
		ssize_t r = CONN_EAGAIN;
		for (int i = 0; i < 50 && r == CONN_EAGAIN; i++) {
			r = conn_read(&s, buf, sizeof buf); /* the ClientHello */
			if (r == CONN_EAGAIN)
				poll(&(struct pollfd){ conn_fd(&s), POLLIN, 0 }, 1, 100);
		}
		assert_true(r > 0);
		assert_int_equal(buf[0], 0x16);
		assert_int_equal(conn_write(&s, "HTTP/1.1 400 Bad Request\r\n\r\n", 28), 28);
	}
	for (int i = 0; i < 100 && rc == CONN_EAGAIN; i++) {
		rc = conn_handshake(&c);
		if (rc == CONN_EAGAIN)
			poll(&(struct pollfd){ conn_fd(&c), POLLIN, 0 }, 1, 100);
	}
	assert_true(rc == CONN_ETLS || rc == CONN_EIO);
	conn_close(&c);
	conn_close(&s);
	/* a plain client at a TLS server: the server's handshake fails */
	connect_accept(&c, NULL, &s, sctx, NULL);
	assert_int_equal(conn_handshake(&c), CONN_OK);
	src = conn_handshake(&s);
	assert_int_equal(src, CONN_EAGAIN);
	assert_int_equal(conn_write(&c, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	for (int i = 0; i < 100 && src == CONN_EAGAIN; i++) {
		src = conn_handshake(&s);
		if (src == CONN_EAGAIN)
			poll(&(struct pollfd){ conn_fd(&s), POLLIN, 0 }, 1, 100);
	}
	assert_true(src == CONN_ETLS || src == CONN_EIO);
	conn_close(&c);
	conn_close(&s);
	conn_tls_free(cctx);
	conn_tls_free(sctx);
}

static void test_random(void **st)
{
	uint8_t a[2000], b[2000];

	(void)st;
	assert_int_equal(conn_random(NULL, a, sizeof a), 0);
	assert_int_equal(conn_random(NULL, b, sizeof b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_non_null(strstr(conn_tls_backend(), "."));
}

/* Last: it turns the arena on for the rest of the process. */
static void test_arena(void **st)
{
	static uint8_t arena[2048 << 10], small[24 << 10];
	struct conn_arena_stats as;
	struct conn_tls *sctx, *cctx = NULL;
	struct conn c, s;
	char err[200];
	int src;
	void *p, *q, *r;
#if defined(__GLIBC__)
	struct mallinfo2 before, after;
#endif

	(void)st;
	/* the allocator alone: split, coalesce, reuse, realloc */
	assert_int_equal(tls_arena_set(small, sizeof small), CONN_OK);
	assert_int_equal(tls_arena_set(small, sizeof small), CONN_EINVAL);
	p = tls_calloc(1, 100);
	q = tls_malloc(5000);
	r = tls_calloc(10, 10);
	assert_non_null(p);
	assert_non_null(q);
	assert_non_null(r);
	assert_true(tls_arena_owns(p) && tls_arena_owns(q) && tls_arena_owns(r));
	assert_int_equal(((uint8_t *)r)[99], 0);
	assert_null(tls_malloc(30000)); /* too big: refused, counted */
	conn_tls_arena_stats(&as);
	assert_int_equal(as.fails, 1);
	assert_int_equal(as.allocs, 3);
	tls_free(q);
	q = tls_realloc(p, 3000);
	assert_non_null(q);
	tls_free(r);
	tls_free(q);
	conn_tls_arena_stats(&as);
	assert_int_equal(as.used, 0);
	/* all free again: one block as big as before */
	p = tls_malloc(20000);
	assert_non_null(p);
	tls_free(p);
	assert_null(tls_calloc((size_t)-1, 16));
	tls_arena_reset();

	/* a whole TLS connection (both ends, since the arena is per process)
	 * with no C-library heap use */
	assert_int_equal(conn_tls_arena_init(arena, sizeof arena), CONN_OK);
	conn_random(NULL, (uint8_t[4]){ 0 }, 4);
#if defined(__GLIBC__)
	before = mallinfo2();
#endif
	sctx = server_ctx("p_cert.pem", "p_key.pem", NULL);
	assert_int_equal(conn_tls_client_new(&cctx, CONN_VERIFY_PIN, NULL, err, sizeof err), CONN_OK);
	{
		int crc = pair(&c, cctx, &s, sctx, "localhost", &src);
		conn_tls_arena_stats(&as);
		if (crc != CONN_OK || src != CONN_OK)
			fail_msg("handshake on the arena: %d/%d, arena peak %zu fails %zu", crc, src, as.peak, as.fails);
	}
	pump(&c, &s, 100000);
	conn_close(&c);
	conn_close(&s);
	conn_tls_free(cctx);
	conn_tls_free(sctx);
#if defined(__GLIBC__)
	after = mallinfo2();
	/* pump's own test buffers are freed again; nothing else may remain
	 * (less is fine: wolfSSL gives back blocks it took before the arena) */
	assert_true(after.uordblks <= before.uordblks);
#endif
	conn_tls_arena_stats(&as);
	print_message("# TLS arena: peak %zu bytes (client and server together), %zu allocations\n",
	              as.peak, as.allocs);
	assert_true(as.allocs > 10);
	assert_true(as.peak > 20000);
	assert_int_equal(as.fails, 0);
	assert_int_equal(as.used, 0); /* everything given back */
	tls_arena_reset();

	/* an arena too small fails cleanly */
	assert_int_equal(conn_tls_arena_init(small, sizeof small), CONN_OK);
	if (conn_tls_client_new(&cctx, CONN_VERIFY_PIN, NULL, err, sizeof err) == CONN_OK) {
		struct port_addr ss;
		unsigned port;
		int lfd = listen_local(&port), rc;
		local_addr(port, &ss);
		conn_init(&c);
		rc = conn_connect(&c, cctx, &ss, "localhost");
		for (int i = 0; i < 100 && (rc == CONN_OK || rc == CONN_EAGAIN); i++) {
			rc = conn_handshake(&c);
			if (rc == CONN_EAGAIN)
				poll(&(struct pollfd){ conn_fd(&c), POLLOUT, 0 }, 1, 100);
		}
		assert_int_equal(rc, CONN_ENOMEM);
		conn_close(&c);
		close(lfd);
		conn_tls_free(cctx);
	}
	conn_tls_arena_stats(&as);
	assert_true(as.fails > 0);
	assert_int_equal(as.used, 0);
	tls_arena_reset();
}

/* An arena that holds the session but not what the handshake needs later:
 * against a real server (a child process, off the arena) the failure is
 * CONN_ENOMEM with the arena's size, not the library's own code (wolfSSL's
 * signature check runs out as MP_MEM, "unknown error number (-2)"). */
static void test_arena_exhausted_mid_handshake(void **st)
{
	/* wolfSSL: the ClientHello fits, the first ECDSA check's fixed-point
	 * cache (two ~830 KB entries) does not; mbedTLS: the record buffers
	 * fit, the certificate and key exchange do not */
	static uint8_t arena[256 << 10] __attribute__((aligned(16)));
	size_t size = strncmp(conn_tls_backend(), "wolfssl", 7) == 0 ? sizeof arena : 40u << 10;
	struct conn_tls *cctx = NULL;
	struct conn_arena_stats as;
	struct port_addr ss;
	struct conn c;
	char err[200], want[120];
	unsigned port;
	int lfd = listen_local(&port), rc, status;
	pid_t pid;

	(void)st;
	/* made here, before the fork, so the child only loads them */
	conn_tls_free(server_ctx("x_cert.pem", "x_key.pem", NULL));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct conn_tls *sctx = NULL;
		struct conn s;
		int r = CONN_EAGAIN;
		if (conn_tls_server_new(&sctx, tmp("x_cert.pem"), tmp("x_key.pem"), "monbot-test", NULL, err,
		                        sizeof err) != CONN_OK)
			_exit(2);
		conn_init(&s);
		for (int i = 0; i < 100 && r == CONN_EAGAIN; i++) {
			r = conn_accept(&s, sctx, lfd);
			if (r == CONN_EAGAIN)
				poll(&(struct pollfd){ lfd, POLLIN, 0 }, 1, 100);
		}
		for (int i = 0; i < 100 && (r == CONN_OK || r == CONN_EAGAIN); i++) {
			r = conn_handshake(&s);
			if (r == CONN_EAGAIN)
				poll(&(struct pollfd){ conn_fd(&s), POLLIN, 0 }, 1, 100);
		}
		conn_close(&s);
		_exit(0);
	}
	close(lfd);
	assert_int_equal(conn_tls_arena_init(arena, size), CONN_OK);
	assert_int_equal(conn_tls_client_new(&cctx, CONN_VERIFY_PIN, NULL, err, sizeof err), CONN_OK);
	local_addr(port, &ss);
	conn_init(&c);
	rc = conn_connect(&c, cctx, &ss, "localhost");
	for (int i = 0; i < 100 && (rc == CONN_OK || rc == CONN_EAGAIN); i++) {
		rc = conn_handshake(&c);
		if (rc == CONN_EAGAIN)
			poll(&(struct pollfd){ conn_fd(&c), conn_want(&c) & CONN_WANT_WRITE ? POLLOUT : POLLIN, 0 }, 1, 100);
	}
	conn_tls_arena_stats(&as);
	if (rc != CONN_ENOMEM)
		fail_msg("handshake on a %zu-byte arena: %d (%s), peak %zu, %zu refused", size, rc,
		         conn_strerror(&c, rc, err, sizeof err), as.peak, as.fails);
	assert_true(as.fails > 0);
	snprintf(want, sizeof want, "TLS arena exhausted (%zu bytes)", size);
	assert_string_equal(conn_strerror(&c, rc, err, sizeof err), want);
	conn_close(&c);
	conn_tls_free(cctx);
	conn_tls_arena_stats(&as);
	assert_int_equal(as.used, 0);
	waitpid(pid, &status, 0);
	tls_arena_reset();
}

/* ---- pin file ---- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_text(const char *path)
{
	static char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_pin_rules(void **st)
{
	uint8_t certA[32], keyA[32], certA2[32], certB[32], keyB[32];
	char err[600], hex[65], want[300];
	const char *pf = tmp("pin.json");
	struct stat sb;

	(void)st;
	memset(certA, 0xA1, 32), memset(keyA, 0x0A, 32), memset(certA2, 0xA2, 32);
	memset(certB, 0xB1, 32), memset(keyB, 0x0B, 32);
	unlink(pf);
	/* first use */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_CREATED);
	snprintf(want, sizeof want, "{\"fp\": \"%s\", \"spki\": \"", (tls_pin_hex(certA, hex), hex));
	assert_true(strncmp(read_text(pf), want, strlen(want)) == 0);
	assert_int_equal(stat(pf, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* same certificate */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_MATCH);
	/* renewed certificate, same key: accepted and re-pinned */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA2, keyA, err, sizeof err), TLS_PIN_REPINNED);
	assert_non_null(strstr(read_text(pf), (tls_pin_hex(certA2, hex), hex)));
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA2, keyA, err, sizeof err), TLS_PIN_MATCH);
	/* the old certificate is no longer the pinned one but its key still is */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_REPINNED);
	/* a different key: refused, file untouched, message says what to do */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certB, keyB, err, sizeof err), TLS_PIN_EMISMATCH);
	assert_non_null(strstr(err, "delete"));
	assert_non_null(strstr(err, pf));
	assert_non_null(strstr(read_text(pf), (tls_pin_hex(certA, hex), hex)));
	/* a different key with the same certificate hash cannot happen; a file
	 * saying so is refused too */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyB, err, sizeof err), TLS_PIN_EMISMATCH);
	/* other modes leave the file alone */
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_NONE, certB, keyB, err, sizeof err), TLS_PIN_SKIPPED);
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_FORCE, certB, keyB, err, sizeof err), TLS_PIN_SKIPPED);

	/* the original agent's file: only fp, upper-case hex, other layout */
	tls_pin_hex(certA, hex);
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	snprintf(want, sizeof want, "{\n  \"fp\":\"%s\"\n}", hex);
	write_text(pf, want);
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_UPGRADED);
	assert_non_null(strstr(read_text(pf), "\"spki\""));
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_MATCH);
	/* an fp-only file and another certificate: cannot tell the key, refused */
	write_text(pf, want);
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA2, keyA, err, sizeof err), TLS_PIN_EMISMATCH);
	assert_non_null(strstr(err, "delete"));
	/* garbled files are refused, never overwritten */
	write_text(pf, "{\"fp\": \"abc\"}");
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_EPARSE);
	assert_string_equal(read_text(pf), "{\"fp\": \"abc\"}");
	write_text(pf, "");
	assert_int_equal(tls_pin_check(pf, CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_EPARSE);
	/* an unwritable place */
	assert_int_equal(tls_pin_check("/nonexistent/dir/pin.json", CONN_VERIFY_PIN, certA, keyA, err, sizeof err), TLS_PIN_EIO);
	assert_non_null(strstr(err, "/nonexistent/dir/pin.json"));
}

/* The clock floor (conn.h): before 2026-01-01 the clock is taken as not
 * set, from that second on as set. */
static void test_clock_unset(void **st)
{
	(void)st;
	assert_int_equal(conn_clock_unset(0), 1);          /* 1970: a router before NTP */
	assert_int_equal(conn_clock_unset(1686000000), 1); /* 2023-06: a firmware's build date */
	assert_int_equal(conn_clock_unset(1767225599), 1); /* 2025-12-31T23:59:59Z */
	assert_int_equal(conn_clock_unset(1767225600), 0); /* 2026-01-01T00:00:00Z */
	assert_int_equal(conn_clock_unset(1796347742), 0); /* 2026-12 */
	assert_int_equal(conn_clock_unset(-1), 1);
}

static void test_pin_parse(void **st)
{
	static const char h64[] = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
	static const struct {
		const char *text;
		int rc, fp, spki;
	} c[] = {
		{ "{}", 0, 0, 0 },
		{ " { \"fp\" : \"%s\" } \n", 0, 1, 0 },
		{ "{\"spki\": \"%s\", \"fp\": \"%s\"}", 0, 1, 1 },
		{ "{\"x\": [1, {\"y\": null}, \"z\\\"\"], \"fp\": \"%s\", \"n\": -1.5e3, \"t\": true}", 0, 1, 0 },
		{ "{\"fp\": \"%s\", \"fp\": \"%s\"}", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\": \"%s\"", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\": \"%s\"} x", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\": 12}", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\": \"%sa\"}", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\": \"zz%s\"}", TLS_PIN_EPARSE, 0, 0 },
		{ "[\"%s\"]", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"fp\" \"%s\"}", TLS_PIN_EPARSE, 0, 0 },
		{ "{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", TLS_PIN_EPARSE, 0, 0 },
		{ "", TLS_PIN_EPARSE, 0, 0 },
	};
	uint8_t fp[32], spki[32];
	char text[400];

	(void)st;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int hf, hs, rc;
		/* every %s becomes the 64 hex digits */
		size_t o = 0;
		for (const char *q = c[i].text; *q && o < sizeof text - 70; q++) {
			if (q[0] == '%' && q[1] == 's') {
				memcpy(text + o, h64, 64);
				o += 64;
				q++;
			} else {
				text[o++] = *q;
			}
		}
		text[o] = '\0';
		rc = tls_pin_parse(text, strlen(text), fp, &hf, spki, &hs);
		if (rc != c[i].rc || (rc == 0 && (hf != c[i].fp || hs != c[i].spki)))
			fail_msg("case %zu: rc %d fp %d spki %d", i, rc, hf, hs);
		if (rc == 0 && hf)
			assert_int_equal(fp[31], 0xFF);
	}
}

/* Session tickets: a client context's next connection resumes (mbedTLS),
 * on the same server context and on a new one made from the same key files
 * (a server restart); a server with another key cannot open the ticket and
 * does a full handshake, as the wolfSSL back-end always does; nor is a
 * session offered under another server name (force checks the name in the
 * full handshake only). After a
 * resumption the client still sees the server's certificate (pinning). */
static void resume_to(struct conn_tls *ct, struct conn_tls *stc, const char *name, int want, const char *what)
{
	struct conn c, s;
	int src, crc = pair(&c, ct, &s, stc, name, &src);
	uint8_t fp[32], spki[32], ofp[32], ospki[32];

	if (crc != CONN_OK || src != CONN_OK)
		fail_msg("%s: handshake %d/%d", what, crc, src);
	if (conn_resumed(&c) != want || conn_resumed(&s) != want)
		fail_msg("%s: resumed client %d server %d, expected %d", what, conn_resumed(&c), conn_resumed(&s), want);
	assert_int_equal(conn_peer_hashes(&c, fp, spki), CONN_OK);
	assert_int_equal(conn_tls_own_hashes(stc, ofp, ospki), CONN_OK);
	assert_memory_equal(fp, ofp, 32);
	assert_memory_equal(spki, ospki, 32);
	pump(&c, &s, 3000);
	pump(&s, &c, 3000);
	conn_close(&c);
	conn_close(&s);
}

static void resume_step(struct conn_tls *ct, struct conn_tls *stc, int want, const char *what)
{
	resume_to(ct, stc, "localhost", want, what);
}

static void test_tls_resume(void **st)
{
	struct conn_tls *ct = NULL, *a, *a2, *b;
	char err[200];
	int r = strncmp(conn_tls_backend(), "mbedtls", 7) == 0;
	(void)st;

	a = server_ctx("res_cert.pem", "res_key.pem", NULL);
	b = server_ctx("res2_cert.pem", "res2_key.pem", NULL);
	assert_int_equal(conn_tls_client_new(&ct, CONN_VERIFY_PIN, NULL, err, sizeof err), CONN_OK);
	resume_step(ct, a, 0, "first connection");
	resume_step(ct, a, r, "second connection");
	resume_step(ct, a, r, "third connection (the renewed ticket)");
	a2 = server_ctx("res_cert.pem", "res_key.pem", NULL);
	resume_step(ct, a2, r, "the same key files, a new server context");
	resume_step(ct, b, 0, "another key: the ticket does not open");
	resume_step(ct, b, r, "then resumed there");
	resume_step(ct, a, 0, "back: the other server's ticket does not open");
	/* a session is offered to the server name it was made with only */
	resume_to(ct, a, "monbot-test", 0, "another server name: a full handshake");
	resume_to(ct, a, "monbot-test", r, "then resumed under that name");
	conn_tls_free(ct);
	conn_tls_free(a);
	conn_tls_free(a2);
	conn_tls_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_rules),
		cmocka_unit_test(test_pin_parse),
		cmocka_unit_test(test_clock_unset),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_generated_cert),
		cmocka_unit_test(test_tls_pin_mode),
		cmocka_unit_test(test_tls_force),
		cmocka_unit_test(test_tls_to_plain),
		cmocka_unit_test(test_tls_resume),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_arena_exhausted_mid_handshake),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
