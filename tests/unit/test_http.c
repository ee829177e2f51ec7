/* test_http.c — server/http.c (request heads fed split at every byte,
 * routing, limits, responses) and the Prometheus text writer of
 * server/metrics.c (escaping, HELP/TYPE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/net/http.h"
#include "server/net/obuf.h"
#include "server/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static struct http_head head;
static struct http_req req;

static const char ws_req[] =
	"GET /ws/AbCdEfGhIj0123456789 HTTP/1.1\r\n"
	"Host: 127.0.0.1:8000\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Version: 13\r\n\r\n";

static int feed_all(const char *s, size_t len, size_t chunk)
{
	size_t off = 0;
	int rc = HTTP_MORE;
	http_head_init(&head);
	while (off < len && rc == HTTP_MORE) {
		size_t k = len - off < chunk ? len - off : chunk, used;
		rc = http_head_feed(&head, s + off, k, &used, &req);
		off += used;
	}
	return rc;
}

static void test_ws_route_every_split(void **st)
{
	size_t len = strlen(ws_req);
	(void)st;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		assert_int_equal(feed_all(ws_req, len, chunk), HTTP_DONE);
		assert_int_equal(req.route, HTTP_ROUTE_WS);
		assert_string_equal(req.secret, "AbCdEfGhIj0123456789");
		assert_int_equal(req.head.head_len, len);
	}
}

static void test_routes(void **st)
{
	static const struct {
		const char *req;
		int route, status;
		uint64_t bytes;
	} t[] = {
		{ "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_HEALTHZ, 200, 0 },
		{ "GET /metrics HTTP/1.0\r\n\r\n", HTTP_ROUTE_METRICS, 200, 0 },
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", HTTP_ROUTE_ERROR, 405, 0 },
		{ "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 404, 0 },
		{ "GET /speedtest HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_SPEEDTEST_DOWN, 200, HTTP_SPEEDTEST_DEFAULT },
		{ "GET /speedtest?bytes=1000 HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_SPEEDTEST_DOWN, 200, 1000 },
		{ "GET /speedtest?bytes=99999999999 HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 400, 0 },
		{ "GET /speedtest?bytes=x HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 400, 0 },
		{ "POST /speedtest HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", HTTP_ROUTE_SPEEDTEST_UP, 200, 5 },
		{ "POST /speedtest HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 411, 0 },
		{ "POST /speedtest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_ROUTE_ERROR, 411, 0 },
		{ "POST /speedtest HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", HTTP_ROUTE_ERROR, 413, 0 },
		/* a WebSocket request without the upgrade headers */
		{ "GET /ws/abc HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 400, 0 },
		{ "GET /ws/ HTTP/1.1\r\nHost: x\r\n\r\n", HTTP_ROUTE_ERROR, 404, 0 },
	};
	(void)st;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(feed_all(t[i].req, strlen(t[i].req), 4096), HTTP_DONE);
		assert_int_equal(req.route, t[i].route);
		assert_int_equal(req.status, t[i].status);
		assert_true(req.bytes == t[i].bytes);
	}
}

static void test_bad_secret_is_403(void **st)
{
	char r[512];
	(void)st;
	snprintf(r, sizeof(r), "GET /ws/bad%%20secret HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	         "Sec-WebSocket-Version: 13\r\n\r\n");
	assert_int_equal(feed_all(r, strlen(r), 4096), HTTP_DONE);
	assert_int_equal(req.route, HTTP_ROUTE_ERROR);
	assert_int_equal(req.status, 403);
	assert_true(http_secret_valid("abc_-XYZ09", 10));
	assert_false(http_secret_valid("", 0));
	assert_false(http_secret_valid("a/b", 3));
}

static void test_garbage(void **st)
{
	static const char *const g[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello on a plain port */
		"hello world how are you today\r\n\r\n",
		"{\"cpu\": 1}\r\n\r\n",
		"\r\n\r\n",
	};
	(void)st;
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		int rc = feed_all(g[i], strlen(g[i]), 1);
		assert_true(rc >= 400 && rc < 600);
	}
	/* a long token without a space is no method */
	assert_int_equal(feed_all("AAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 29, 1), 400);
}

static void test_head_too_large(void **st)
{
	char *big = malloc(65536 + 64);
	size_t n;
	(void)st;
	n = (size_t)sprintf(big, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	while (n < 65536)
		n += (size_t)sprintf(big + n, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	memcpy(big + n, "\r\n", 3);
	n += 2;
	assert_int_equal(feed_all(big, n, 1000), 431);
	assert_true(head.len <= HTTP_HEAD_MAX);
	assert_int_equal(feed_all(big, n, 1), 431);
	free(big);
}

static void test_responses(void **st)
{
	char out[512];
	size_t n;
	(void)st;
	assert_int_equal(http_response(200, "text/plain", "ok\n", 3, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(out, "Content-Length: 3\r\n"));
	assert_non_null(strstr(out, "Connection: close\r\n\r\nok\n"));
	assert_int_equal(http_response(200, "text/plain", "ok\n", 3, out, 20, &n), WS_ENOSPC);
	assert_int_equal(http_response_head(411, "text/plain", 0, out, sizeof(out), &n), 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "411 Length Required"));
}

static void test_obuf(void **st)
{
	struct obuf b;
	(void)st;
	obuf_init(&b, 10);
	assert_int_equal(obuf_append(&b, "12345", 5), OBUF_OK);
	assert_int_equal(obuf_append(&b, "123456", 6), OBUF_EFULL);
	assert_int_equal(obuf_len(&b), 5);
	obuf_consume(&b, 3);
	assert_memory_equal(obuf_peek(&b), "45", 2);
	assert_int_equal(obuf_append(&b, "abcdefgh", 8), OBUF_OK);
	assert_memory_equal(obuf_peek(&b), "45abcdefgh", 10);
	assert_int_equal(obuf_printf(&b, "x"), OBUF_EFULL);
	obuf_consume(&b, 100);
	assert_int_equal(obuf_len(&b), 0);
	obuf_shrink(&b, 0);
	assert_null(b.data);
	obuf_free(&b);
}

static void test_prom_escaping(void **st)
{
	struct obuf o;
	struct prom p;
	char esc[64];
	const char *l[4] = { "agent", "a\"b\\c\nd", "id", "x" };
	char *txt;
	(void)st;
	assert_int_equal(prom_escape_label("a\"b\\c\nd", esc, sizeof(esc)), 10);
	assert_string_equal(esc, "a\\\"b\\\\c\\nd");
	assert_int_equal(prom_escape_label("abcdef", esc, 4), -1);
	obuf_init(&o, 1 << 20);
	prom_init(&p, &o);
	prom_family(&p, "monbot_x", "gauge", "Help with \\ and\nnewline.");
	prom_sample(&p, "monbot_x", l, 2, 1.5);
	prom_u64(&p, "monbot_y", 18446744073709551615ull);
	assert_int_equal(obuf_append(&o, "", 1), OBUF_OK);
	txt = (char *)obuf_peek(&o);
	assert_string_equal(txt,
	                    "# HELP monbot_x Help with \\\\ and\\nnewline.\n"
	                    "# TYPE monbot_x gauge\n"
	                    "monbot_x{agent=\"a\\\"b\\\\c\\nd\",id=\"x\"} 1.5\n"
	                    "monbot_y 18446744073709551615\n");
	obuf_free(&o);
	/* the counters page is well-formed: every sample's family was declared */
	obuf_init(&o, 1 << 20);
	prom_init(&p, &o);
	metrics_reset();
	mx.rejected[MX_REJ_BAD_REQUEST] = 3;
	metrics_write_counters(&p);
	assert_int_equal(p.err, 0);
	assert_int_equal(obuf_append(&o, "", 1), OBUF_OK);
	txt = (char *)obuf_peek(&o);
	assert_non_null(strstr(txt, "monbot_connections_rejected_total{reason=\"bad_request\"} 3\n"));
	assert_non_null(strstr(txt, "# TYPE monbot_connections_rejected_total counter\n"));
	obuf_free(&o);
}

static void test_metrics_auth(void **state)
{
	static const char h[] =
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Authorization: Bearer nope\r\n"
		"authorization:   Bearer  tok-123 \r\nAuthorization: Bearer other\r\n\r\n";
	static const char none[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char basic[] = "GET /metrics HTTP/1.1\r\nAuthorization: Basic tok-123\r\n\r\n";
	const char *v;
	size_t vl;
	struct sockaddr_in a4;
	struct sockaddr_in6 a6;
	(void)state;
	assert_int_equal(ws_http_header(h, sizeof(h) - 1, "Authorization", &v, &vl), 1);
	assert_int_equal(vl, 15);
	assert_memory_equal(v, "Bearer  tok-123", 15);
	assert_int_equal(ws_http_header(h, sizeof(h) - 1, "Host", &v, &vl), 1);
	assert_int_equal(vl, 1);
	assert_int_equal(ws_http_header(none, sizeof(none) - 1, "Authorization", &v, &vl), 0);
	assert_int_equal(http_bearer_ok(h, sizeof(h) - 1, "tok-123"), 1);
	assert_int_equal(http_bearer_ok(h, sizeof(h) - 1, "tok-12"), 0);
	assert_int_equal(http_bearer_ok(h, sizeof(h) - 1, "tok-1234"), 0);
	assert_int_equal(http_bearer_ok(h, sizeof(h) - 1, "other"), 0);
	assert_int_equal(http_bearer_ok(h, sizeof(h) - 1, ""), 0);
	assert_int_equal(http_bearer_ok(none, sizeof(none) - 1, "tok-123"), 0);
	assert_int_equal(http_bearer_ok(basic, sizeof(basic) - 1, "tok-123"), 0);
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	inet_pton(AF_INET, "127.3.2.1", &a4.sin_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a4), 1);
	inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a4), 0);
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a6), 1);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a6), 1);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &a6.sin6_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a6), 0);
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	assert_int_equal(http_addr_loopback((struct sockaddr *)&a6), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_route_every_split),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_bad_secret_is_403),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_head_too_large),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_obuf),
		cmocka_unit_test(test_prom_escaping),
		cmocka_unit_test(test_metrics_auth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
