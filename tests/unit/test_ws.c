/* test_ws.c — the RFC 6455 codec and handshake: §5.7 examples byte-exact,
 * every stream fed split at every byte, each close-code case, UTF-8 edge
 * cases across fragments, and the HTTP heads of §4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wire/base64.h"
#include "wire/sha1.h"
#include "wire/ws.h"

/* RFC 6455 §5.7 uses the masking key 37 fa 21 3d. */
static int fixed_rnd(void *ctx, uint8_t *buf, size_t len)
{
	static const uint8_t k[4] = { 0x37, 0xfa, 0x21, 0x3d };
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = k[i & 3];
	return 0;
}

/* Varying keys for round trips. */
static int counter_rnd(void *ctx, uint8_t *buf, size_t len)
{
	static uint32_t x = 12345;
	(void)ctx;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	return 0;
}

static int failing_rnd(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return -1;
}

/* ---- an event log: what a decoder said, independent of how input was split */

struct log {
	char *s;
	size_t len, cap;
	uint8_t *msg; /* current message being assembled */
	size_t mlen, mcap;
	int in_msg;
};

static void log_add(struct log *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(l->s + l->len, l->cap - l->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < l->cap - l->len)
			break;
		l->cap = l->cap * 2 + (size_t)n + 64;
		l->s = realloc(l->s, l->cap);
		assert_non_null(l->s);
	}
	l->len += (size_t)n;
}

static void log_hex(struct log *l, const uint8_t *p, size_t n)
{
	/* long messages: length and a checksum keep logs short */
	if (n > 64) {
		uint8_t d[SHA1_LEN];
		sha1(p, n, d);
		log_add(l, "#%zu:%02x%02x%02x%02x", n, d[0], d[1], d[2], d[3]);
		return;
	}
	for (size_t i = 0; i < n; i++)
		log_add(l, "%02x", p[i]);
}

static void log_init(struct log *l)
{
	memset(l, 0, sizeof *l);
	l->cap = 256;
	l->s = calloc(1, l->cap);
	assert_non_null(l->s);
}

static void log_event(struct log *l, const struct ws_event *ev)
{
	switch (ev->type) {
	case WS_EV_DATA:
		assert_int_equal(ev->first, !l->in_msg);
		if (ev->first)
			l->mlen = 0;
		l->in_msg = !ev->fin;
		if (l->mlen + ev->len > l->mcap) {
			l->mcap = (l->mlen + ev->len) * 2;
			l->msg = realloc(l->msg, l->mcap);
			assert_non_null(l->msg);
		}
		if (ev->len)
			memcpy(l->msg + l->mlen, ev->data, ev->len);
		l->mlen += ev->len;
		if (ev->fin) {
			log_add(l, "%s:", ev->opcode == WS_OP_TEXT ? "TEXT" : "BIN");
			log_hex(l, l->msg, l->mlen);
			log_add(l, "\n");
		}
		return;
	case WS_EV_PING:
	case WS_EV_PONG:
		log_add(l, "%s:", ev->type == WS_EV_PING ? "PING" : "PONG");
		log_hex(l, ev->data, ev->len);
		break;
	case WS_EV_CLOSE:
		log_add(l, "CLOSE:%u:", ev->close_code);
		log_hex(l, ev->data, ev->len);
		break;
	case WS_EV_ERROR:
		log_add(l, "ERROR:%u", ev->close_code);
		break;
	case WS_EV_NONE:
		return;
	}
	log_add(l, " reply=");
	log_hex(l, ev->reply, ev->reply_len);
	log_add(l, "\n");
}

/* Feeds in[0..n) cut at the given points; returns the log text (caller frees). */
static char *decode_split(enum ws_role role, uint64_t max, const uint8_t *in, size_t n,
                          const size_t *cuts, size_t ncuts)
{
	struct ws ws;
	struct ws_event ev;
	struct log l;
	uint8_t *buf = malloc(n ? n : 1);
	size_t start = 0;

	assert_non_null(buf);
	memcpy(buf, in, n);
	log_init(&l);
	ws_init(&ws, role, max, fixed_rnd, NULL);
	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n;
		size_t pos = start;
		while (pos < end) {
			size_t used = 999999;
			enum ws_ev_type t = ws_decode(&ws, buf + pos, end - pos, &used, &ev);
			assert_int_equal(t, ev.type);
			assert_true(used <= end - pos);
			/* no event means all input was taken */
			if (t == WS_EV_NONE)
				assert_int_equal(used, end - pos);
			log_event(&l, &ev);
			pos += used;
		}
		start = end;
	}
	free(buf);
	free(l.msg);
	return l.s;
}

static char *decode_all(enum ws_role role, uint64_t max, const uint8_t *in, size_t n)
{
	return decode_split(role, max, in, n, NULL, 0);
}

/* Split points tried: every offset for streams up to 4 KiB; for one long
 * frame (a 64-bit length) every offset through the header and the first and
 * last 300 bytes, and every 1021st in between (the same code path). */
static int try_split(size_t s, size_t n)
{
	return n <= 4096 || s < 300 || n - s < 300 || s % 1021 == 0;
}

/* The stream must give the same log whole, split once at each offset, and
 * cut at all of them at once; returns the log. */
static char *decode_every_split(enum ws_role role, uint64_t max, const uint8_t *in, size_t n)
{
	char *whole = decode_all(role, max, in, n);
	size_t *cuts = malloc((n + 1) * sizeof *cuts);

	assert_non_null(cuts);
	for (size_t s = 1; s < n; s++) {
		if (!try_split(s, n))
			continue;
		char *got = decode_split(role, max, in, n, &s, 1);
		if (strcmp(got, whole) != 0)
			fail_msg("split at %zu of %zu:\n%s\nvs whole:\n%s", s, n, got, whole);
		free(got);
	}
	{
		size_t k = 0;
		for (size_t s = 1; s < n; s++)
			if (try_split(s, n))
				cuts[k++] = s;
		char *got = decode_split(role, max, in, n, cuts, k);
		assert_string_equal(got, whole);
		free(got);
	}
	free(cuts);
	return whole;
}

static void expect_log(enum ws_role role, const uint8_t *in, size_t n, const char *want)
{
	char *got = decode_every_split(role, 0, in, n);
	assert_string_equal(got, want);
	free(got);
}

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })
#define EXPECT(role, want, ...) \
	expect_log(role, B(__VA_ARGS__), sizeof(B(__VA_ARGS__)), want)

/* ---- RFC 6455 §5.7 examples ---- */

static void test_rfc_single_unmasked(void **st)
{
	(void)st;
	EXPECT(WS_ROLE_CLIENT, "TEXT:48656c6c6f\n", 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
}

static void test_rfc_single_masked(void **st)
{
	(void)st;
	EXPECT(WS_ROLE_SERVER, "TEXT:48656c6c6f\n",
	       0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
}

static void test_rfc_fragmented(void **st)
{
	(void)st;
	EXPECT(WS_ROLE_CLIENT, "TEXT:48656c6c6f\n", 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f);
}

static void test_rfc_ping_pong(void **st)
{
	(void)st;
	/* unmasked ping to a client: the codec's pong is the §5.7 masked pong */
	EXPECT(WS_ROLE_CLIENT, "PING:48656c6c6f reply=8a8537fa213d7f9f4d5158\n",
	       0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
	/* the masked pong at a server */
	EXPECT(WS_ROLE_SERVER, "PONG:48656c6c6f reply=\n",
	       0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
}

static void test_rfc_encode_exact(void **st)
{
	struct ws c, s;
	uint8_t out[64];
	size_t n;

	(void)st;
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 1, "Hello", 5, out, sizeof out, &n), WS_OK);
	assert_int_equal(n, 7);
	assert_memory_equal(out, B(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), 7);
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 1, "Hello", 5, out, sizeof out, &n), WS_OK);
	assert_int_equal(n, 11);
	assert_memory_equal(out, B(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58), 11);
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 0, "Hel", 3, out, sizeof out, &n), WS_OK);
	assert_memory_equal(out, B(0x01, 0x03, 0x48, 0x65, 0x6c), 5);
	assert_int_equal(ws_frame_encode(&s, WS_OP_CONT, 1, "lo", 2, out, sizeof out, &n), WS_OK);
	assert_memory_equal(out, B(0x80, 0x02, 0x6c, 0x6f), 4);
	assert_int_equal(ws_frame_encode(&s, WS_OP_PING, 1, "Hello", 5, out, sizeof out, &n), WS_OK);
	assert_memory_equal(out, B(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), 7);
	assert_int_equal(ws_frame_encode(&c, WS_OP_PONG, 1, "Hello", 5, out, sizeof out, &n), WS_OK);
	assert_memory_equal(out, B(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58), 11);
}

static void test_rfc_binary_lengths(void **st)
{
	/* 256 bytes: 0x82 0x7E 0x0100; 64 KiB: 0x82 0x7F 0x0000000000010000 */
	static uint8_t buf[4 + 256], big[10 + 65536];
	struct ws s;
	uint8_t hdr[WS_HDR_MAX], mask[4];
	size_t n;
	int masked;
	char *got;

	(void)st;
	for (int i = 0; i < 256; i++)
		buf[4 + i] = (uint8_t)i;
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_BINARY, 1, buf + 4, 256, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(n, 260);
	assert_memory_equal(buf, B(0x82, 0x7E, 0x01, 0x00), 4);
	for (int i = 0; i < 256; i++)
		assert_int_equal(buf[4 + i], i);
	got = decode_every_split(WS_ROLE_CLIENT, 0, buf, n);
	free(got);

	assert_int_equal(ws_frame_header(&s, WS_OP_BINARY, 1, 65536, hdr, &n, mask, &masked), WS_OK);
	assert_int_equal(masked, 0);
	assert_int_equal(n, 10);
	assert_memory_equal(hdr, B(0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0), 10);
	memcpy(big, hdr, 10);
	for (size_t i = 0; i < 65536; i++)
		big[10 + i] = (uint8_t)(i * 7);
	got = decode_all(WS_ROLE_CLIENT, 0, big, sizeof big);
	{
		uint8_t d[SHA1_LEN];
		char want[64];
		sha1(big + 10, 65536, d);
		snprintf(want, sizeof want, "BIN:#65536:%02x%02x%02x%02x\n", d[0], d[1], d[2], d[3]);
		assert_string_equal(got, want);
	}
	free(got);
}

/* ---- streams split at every byte ---- */

/* Client-to-server stream: every length class, fragments with control
 * frames between them, then a close. Built with the encoder. */
static size_t build_client_stream(uint8_t *out, size_t cap)
{
	static const size_t sizes[] = { 0, 1, 125, 126, 127, 1000 };
	static uint8_t payload[1000];
	struct ws c;
	size_t n = 0, k;

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(ws_frame_encode(&c, i & 1 ? WS_OP_BINARY : WS_OP_TEXT, 1, payload,
		                                 sizes[i], out + n, cap - n, &k), WS_OK);
		n += k;
	}
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 0, "frag", 4, out + n, cap - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&c, WS_OP_PING, 1, "p1", 2, out + n, cap - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&c, WS_OP_CONT, 0, NULL, 0, out + n, cap - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&c, WS_OP_PONG, 1, NULL, 0, out + n, cap - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&c, WS_OP_CONT, 1, "ment", 4, out + n, cap - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_close_encode(&c, 1000, "bye", 3, out + n, cap - n, &k), WS_OK);
	n += k;
	return n;
}

static void test_split_client_stream(void **st)
{
	static uint8_t stream[4096];
	size_t n = build_client_stream(stream, sizeof stream);
	char *got;

	(void)st;
	assert_true(n <= 4096);
	got = decode_every_split(WS_ROLE_SERVER, 0, stream, n);
	assert_non_null(strstr(got, "TEXT:\n"));
	assert_non_null(strstr(got, "BIN:61\n"));
	assert_non_null(strstr(got, "PING:7031 reply=8a027031\n"));
	assert_non_null(strstr(got, "PONG: reply=\n"));
	assert_non_null(strstr(got, "TEXT:667261676d656e74\n"));
	assert_non_null(strstr(got, "CLOSE:1000:627965 reply=880203e8\n"));
	free(got);
}

static void test_split_long_frames(void **st)
{
	/* 16- and 64-bit lengths at their edges, each followed by a short text */
	static const size_t sizes[] = { 65535, 65536, 70001 };
	static uint8_t payload[70001], stream[70100];
	struct ws c;
	size_t n, k;

	(void)st;
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 31);
	for (size_t i = 0; i < 3; i++) {
		char *got;
		ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
		assert_int_equal(ws_frame_encode(&c, WS_OP_BINARY, 1, payload, sizes[i], stream, sizeof stream, &n), WS_OK);
		assert_int_equal(n, sizes[i] + (sizes[i] > 65535 ? 14 : 8));
		assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 1, "ok", 2, stream + n, sizeof stream - n, &k), WS_OK);
		n += k;
		got = decode_every_split(WS_ROLE_SERVER, 0, stream, n);
		assert_non_null(strstr(got, "BIN:#"));
		assert_non_null(strstr(got, "TEXT:6f6b\n"));
		free(got);
	}
}

static void test_split_server_stream(void **st)
{
	/* server-to-client: unmasked, with a 16-bit and a 64-bit length, a
	 * fragmented binary message around a ping, and a close without code */
	static uint8_t stream[80000];
	struct ws s;
	size_t n = 0, k;
	char *got;

	(void)st;
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	memset(stream + 40000, 'x', 39000);
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 1, "{\"commands\":[]}", 15, stream, 40000, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&s, WS_OP_BINARY, 1, stream + 40000, 300, stream + n, 40000 - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&s, WS_OP_BINARY, 0, "ab", 2, stream + n, 40000 - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&s, WS_OP_PING, 1, NULL, 0, stream + n, 40000 - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&s, WS_OP_CONT, 1, "cd", 2, stream + n, 40000 - n, &k), WS_OK);
	n += k;
	assert_int_equal(ws_close_encode(&s, 0, NULL, 0, stream + n, 40000 - n, &k), WS_OK);
	n += k;
	got = decode_every_split(WS_ROLE_CLIENT, 0, stream, n);
	assert_non_null(strstr(got, "TEXT:7b22636f6d6d616e6473223a5b5d7d\n"));
	assert_non_null(strstr(got, "PING: reply=8a8037fa213d\n"));
	assert_non_null(strstr(got, "BIN:61626364\n"));
	assert_non_null(strstr(got, "CLOSE:1005: reply=888037fa213d\n"));
	free(got);
}

static void test_roundtrip_sizes(void **st)
{
	static const size_t sizes[] = { 0, 1, 7, 8, 9, 125, 126, 65535, 65536, 1u << 20, 4u << 20 };
	uint8_t *payload = malloc((4u << 20) + WS_HDR_MAX);
	uint8_t *frame = malloc((4u << 20) + WS_HDR_MAX);
	struct ws c, s;
	struct ws_event ev;

	(void)st;
	assert_non_null(payload);
	assert_non_null(frame);
	for (size_t i = 0; i < (4u << 20); i++)
		payload[i] = (uint8_t)(i * 131 + 7);
	ws_init(&c, WS_ROLE_CLIENT, 0, counter_rnd, NULL);
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n, used, got = 0;
		assert_int_equal(ws_frame_encode(&c, WS_OP_BINARY, 1, payload, sizes[i], frame,
		                                 (4u << 20) + WS_HDR_MAX, &n), WS_OK);
		for (size_t pos = 0; pos < n; pos += used) {
			enum ws_ev_type t = ws_decode(&s, frame + pos, n - pos, &used, &ev);
			if (t == WS_EV_DATA) {
				assert_memory_equal(ev.data, payload + got, ev.len);
				got += ev.len;
			} else {
				assert_int_equal(t, WS_EV_NONE);
			}
		}
		assert_int_equal(got, sizes[i]);
	}
	free(payload);
	free(frame);
}

/* ---- violations and their close codes ---- */

struct violation {
	const char *what;
	enum ws_role role; /* the decoding side */
	uint8_t in[24];
	size_t n;
	uint16_t code;
};

static void test_close_codes(void **st)
{
	static const struct violation v[] = {
		{ "RSV1", WS_ROLE_CLIENT, { 0xC1, 0x00 }, 2, 1002 },
		{ "RSV2", WS_ROLE_CLIENT, { 0xA1, 0x00 }, 2, 1002 },
		{ "RSV3", WS_ROLE_CLIENT, { 0x91, 0x00 }, 2, 1002 },
		{ "opcode 3", WS_ROLE_CLIENT, { 0x83, 0x00 }, 2, 1002 },
		{ "opcode 7", WS_ROLE_CLIENT, { 0x87, 0x00 }, 2, 1002 },
		{ "opcode B", WS_ROLE_CLIENT, { 0x8B, 0x00 }, 2, 1002 },
		{ "opcode F", WS_ROLE_CLIENT, { 0x8F, 0x00 }, 2, 1002 },
		{ "unmasked at server", WS_ROLE_SERVER, { 0x81, 0x01, 'a' }, 3, 1002 },
		{ "masked at client", WS_ROLE_CLIENT, { 0x81, 0x81, 1, 2, 3, 4, 'a' }, 7, 1002 },
		{ "continuation first", WS_ROLE_CLIENT, { 0x80, 0x01, 'a' }, 3, 1002 },
		{ "text inside fragments", WS_ROLE_CLIENT, { 0x01, 0x01, 'a', 0x81, 0x01, 'b' }, 6, 1002 },
		{ "binary inside fragments", WS_ROLE_CLIENT, { 0x02, 0x00, 0x02, 0x00 }, 4, 1002 },
		{ "fragmented ping", WS_ROLE_CLIENT, { 0x09, 0x00 }, 2, 1002 },
		{ "fragmented close", WS_ROLE_CLIENT, { 0x08, 0x00 }, 2, 1002 },
		{ "ping of 126", WS_ROLE_CLIENT, { 0x89, 0x7E, 0x00, 0x7E }, 4, 1002 },
		{ "16-bit length < 126", WS_ROLE_CLIENT, { 0x82, 0x7E, 0x00, 0x05 }, 4, 1002 },
		{ "64-bit length < 65536", WS_ROLE_CLIENT, { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF }, 10, 1002 },
		{ "64-bit length MSB", WS_ROLE_CLIENT, { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 10, 1002 },
		{ "close of 1 byte", WS_ROLE_CLIENT, { 0x88, 0x01, 0x03 }, 3, 1002 },
		{ "close code 999", WS_ROLE_CLIENT, { 0x88, 0x02, 0x03, 0xE7 }, 4, 1002 },
		{ "close code 1004", WS_ROLE_CLIENT, { 0x88, 0x02, 0x03, 0xEC }, 4, 1002 },
		{ "close code 1005", WS_ROLE_CLIENT, { 0x88, 0x02, 0x03, 0xED }, 4, 1002 },
		{ "close code 1006", WS_ROLE_CLIENT, { 0x88, 0x02, 0x03, 0xEE }, 4, 1002 },
		{ "close code 1015", WS_ROLE_CLIENT, { 0x88, 0x02, 0x03, 0xF7 }, 4, 1002 },
		{ "close code 2999", WS_ROLE_CLIENT, { 0x88, 0x02, 0x0B, 0xB7 }, 4, 1002 },
		{ "close code 5000", WS_ROLE_CLIENT, { 0x88, 0x02, 0x13, 0x88 }, 4, 1002 },
		{ "close reason bad UTF-8", WS_ROLE_CLIENT, { 0x88, 0x03, 0x03, 0xE8, 0xFF }, 5, 1007 },
		{ "close reason cut UTF-8", WS_ROLE_CLIENT, { 0x88, 0x03, 0x03, 0xE8, 0xC3 }, 5, 1007 },
		{ "text bad UTF-8", WS_ROLE_CLIENT, { 0x81, 0x02, 'a', 0xFE }, 4, 1007 },
		{ "text ends mid-character", WS_ROLE_CLIENT, { 0x81, 0x02, 'a', 0xE2 }, 4, 1007 },
		{ "fragments end mid-character", WS_ROLE_CLIENT, { 0x01, 0x01, 0xE2, 0x80, 0x01, 0x82 }, 6, 1007 },
		{ "bad UTF-8 in 2nd fragment", WS_ROLE_CLIENT, { 0x01, 0x01, 'a', 0x80, 0x01, 0xC0 }, 6, 1007 },
		{ "overlong in fragment", WS_ROLE_CLIENT, { 0x01, 0x01, 0xE0, 0x80, 0x02, 0x80, 0x80 }, 7, 1007 },
		{ "frame over limit", WS_ROLE_CLIENT, { 0x82, 0x7E, 0x01, 0x01 }, 4, 1009 },
	};
	uint8_t buf[24];

	(void)st;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct ws ws;
		struct ws_event ev;
		size_t pos = 0, used;
		enum ws_ev_type t = WS_EV_NONE;
		memcpy(buf, v[i].in, v[i].n);
		ws_init(&ws, v[i].role, 256, fixed_rnd, NULL);
		while (pos < v[i].n && (t = ws_decode(&ws, buf + pos, v[i].n - pos, &used, &ev)) != WS_EV_ERROR)
			pos += used;
		if (t != WS_EV_ERROR || ev.close_code != v[i].code)
			fail_msg("%s: event %d code %u, want error %u", v[i].what, t, ev.close_code, v[i].code);
		/* the reply is our close frame with that code */
		assert_true(ev.reply_len >= 4);
		{
			uint8_t body[2];
			size_t off = v[i].role == WS_ROLE_CLIENT ? 6 : 2;
			assert_int_equal(ev.reply[0], 0x88);
			assert_int_equal(ev.reply[1] & 0x7F, 2);
			memcpy(body, ev.reply + off, 2);
			if (v[i].role == WS_ROLE_CLIENT)
				ws_mask(body, 2, ev.reply + 2, 0);
			assert_int_equal(body[0] << 8 | body[1], v[i].code);
		}
		/* afterwards the codec is done: input ignored, nothing to send */
		assert_int_equal(ws_is_closed(&ws), 1);
		assert_int_equal(ws_decode(&ws, buf, v[i].n, &used, &ev), WS_EV_NONE);
		assert_int_equal(used, v[i].n);
		assert_int_equal(ws_frame_encode(&ws, WS_OP_TEXT, 1, "x", 1, buf, sizeof buf, &used), WS_ESTATE);
	}
}

/* A 200-byte first fragment and a final one of last bytes, limit 256;
 * header_only cuts the stream after the final frame's header. */
static char *fragments_at_limit(size_t last, int header_only)
{
	uint8_t in[600];
	size_t n = 0, k;
	struct ws c;

	ws_init(&c, WS_ROLE_SERVER, 0, NULL, NULL);
	memset(in + 300, 'z', 250);
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 0, in + 300, 200, in, sizeof in, &k), WS_OK);
	n += k;
	assert_int_equal(ws_frame_encode(&c, WS_OP_CONT, 1, in + 300, last, in + n, 300 - n, &k), WS_OK);
	n += header_only ? k - last : k;
	return decode_every_split(WS_ROLE_CLIENT, 256, in, n);
}

static void test_too_big(void **st)
{
	char *got;

	(void)st;
	/* 200 + 56 = the limit: passes */
	got = fragments_at_limit(56, 0);
	assert_int_equal(strncmp(got, "TEXT:#256:", 10), 0);
	assert_null(strstr(got, "ERROR"));
	free(got);
	/* 200 + 57: 1009 at the header, before any of its payload arrives;
	 * our masked close is 88 82, the key, 1009 ^ key */
	got = fragments_at_limit(57, 1);
	assert_string_equal(got, "ERROR:1009 reply=888237fa213d340b\n");
	free(got);
}

static void test_valid_close_codes(void **st)
{
	static const uint16_t ok[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999 };

	(void)st;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint8_t in[4] = { 0x88, 0x02, (uint8_t)(ok[i] >> 8), (uint8_t)ok[i] };
		char want[64];
		char *got = decode_all(WS_ROLE_CLIENT, 0, in, 4);
		snprintf(want, sizeof want, "CLOSE:%u: reply=888237fa213d%02x%02x\n", ok[i],
		         (ok[i] >> 8) ^ 0x37, (ok[i] & 0xFF) ^ 0xfa);
		assert_string_equal(got, want);
		free(got);
		assert_int_equal(ws_close_code_valid(ok[i]), 1);
	}
	assert_int_equal(ws_close_code_valid(1005), 0);
	assert_int_equal(ws_close_code_valid(0), 0);
}

/* ---- UTF-8 ---- */

static int utf8_ok(const char *s, size_t n)
{
	uint32_t st = 0;
	return ws_utf8_check(&st, (const uint8_t *)s, n) == 0 && st == 0;
}

#define U8(lit) utf8_ok(lit, sizeof(lit) - 1)

static void test_utf8_edges(void **st)
{
	(void)st;
	/* valid boundaries: U+0, U+7F, U+80, U+7FF, U+800, U+D7FF, U+E000,
	 * U+FFFF, U+10000, U+10FFFF */
	assert_true(utf8_ok("\0", 1));
	assert_true(U8("\x7F"));
	assert_true(U8("\xC2\x80"));
	assert_true(U8("\xDF\xBF"));
	assert_true(U8("\xE0\xA0\x80"));
	assert_true(U8("\xED\x9F\xBF"));
	assert_true(U8("\xEE\x80\x80"));
	assert_true(U8("\xEF\xBF\xBF"));
	assert_true(U8("\xF0\x90\x80\x80"));
	assert_true(U8("\xF4\x8F\xBF\xBF"));
	assert_true(U8("Привет, κόσμε 😀 and plain ASCII long enough for the fast path"));
	/* overlong forms */
	assert_false(U8("\xC0\x80"));
	assert_false(U8("\xC1\xBF"));
	assert_false(U8("\xE0\x80\x80"));
	assert_false(U8("\xE0\x9F\xBF"));
	assert_false(U8("\xF0\x80\x80\x80"));
	assert_false(U8("\xF0\x8F\xBF\xBF"));
	/* surrogates */
	assert_false(U8("\xED\xA0\x80"));
	assert_false(U8("\xED\xBF\xBF"));
	assert_false(U8("\xED\xA0\x80\xED\xB0\x80")); /* a CESU-8 pair */
	/* past U+10FFFF */
	assert_false(U8("\xF4\x90\x80\x80"));
	assert_false(U8("\xF5\x80\x80\x80"));
	assert_false(U8("\xF7\xBF\xBF\xBF"));
	assert_false(U8("\xF8\x88\x80\x80\x80"));
	assert_false(U8("\xFF"));
	/* stray continuation, truncated sequences */
	assert_false(U8("\x80"));
	assert_false(U8("abc\xBF"));
	assert_false(U8("\xC2"));
	assert_false(U8("\xE2\x82"));
	assert_false(U8("\xF0\x9F\x98"));
	assert_false(U8("\xE2\x28\xA1"));
	/* a failed state stays failed */
	{
		uint32_t s = 0;
		assert_int_equal(ws_utf8_check(&s, (const uint8_t *)"\xFF", 1), -1);
		assert_int_equal(ws_utf8_check(&s, (const uint8_t *)"a", 1), -1);
	}
}

static void test_utf8_across_fragments(void **st)
{
	/* 😀 = F0 9F 98 80, cut at each place into two fragments, with a ping
	 * between them; then one byte per fragment; then an invalid cut (the
	 * 4th byte replaced) failing in the second fragment */
	static const uint8_t ch[4] = { 0xF0, 0x9F, 0x98, 0x80 };
	uint8_t in[64];

	(void)st;
	for (size_t cut = 1; cut < 4; cut++) {
		size_t n = 0;
		in[n++] = 0x01;
		in[n++] = (uint8_t)cut;
		memcpy(in + n, ch, cut);
		n += cut;
		in[n++] = 0x89;
		in[n++] = 0x00;
		in[n++] = 0x80;
		in[n++] = (uint8_t)(4 - cut);
		memcpy(in + n, ch + cut, 4 - cut);
		n += 4 - cut;
		expect_log(WS_ROLE_CLIENT, in, n, "PING: reply=8a8037fa213d\nTEXT:f09f9880\n");
		in[n - 1] = 0x41; /* no longer a continuation byte */
		{
			char *got = decode_every_split(WS_ROLE_CLIENT, 0, in, n);
			assert_non_null(strstr(got, "ERROR:1007"));
			free(got);
		}
	}
	{
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			in[n++] = (uint8_t)(i == 0 ? 0x01 : i == 3 ? 0x80 : 0x00);
			in[n++] = 1;
			in[n++] = ch[i];
		}
		expect_log(WS_ROLE_CLIENT, in, n, "TEXT:f09f9880\n");
	}
	{
		/* the same bytes in a binary message are not checked */
		size_t n = 0;
		in[n++] = 0x02, in[n++] = 1, in[n++] = 0xF0;
		in[n++] = 0x80, in[n++] = 1, in[n++] = 0xFF;
		expect_log(WS_ROLE_CLIENT, in, n, "BIN:f0ff\n");
	}
}

/* ---- close handshake and encoder rules ---- */

static void test_close_handshake(void **st)
{
	struct ws c, s;
	struct ws_event ev;
	uint8_t buf[64], echo[WS_CTRL_FRAME_MAX];
	size_t n, used, echo_len;

	(void)st;
	ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	assert_int_equal(ws_close_encode(&c, 1001, "going", 5, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(ws_close_encode(&c, 1000, NULL, 0, buf + n, sizeof buf - n, &used), WS_ESTATE);
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 1, "x", 1, buf + n, sizeof buf - n, &used), WS_ESTATE);
	assert_int_equal(ws_frame_encode(&c, WS_OP_PING, 1, "x", 1, buf + n, sizeof buf - n, &used), WS_ESTATE);
	assert_int_equal(ws_decode(&s, buf, n, &used, &ev), WS_EV_CLOSE);
	assert_int_equal(ev.close_code, 1001);
	assert_int_equal(ev.len, 5);
	assert_memory_equal(ev.data, "going", 5);
	assert_int_equal(ws_is_closed(&s), 1);
	memcpy(echo, ev.reply, ev.reply_len);
	echo_len = ev.reply_len;
	assert_int_equal(echo_len, 4);
	assert_memory_equal(echo, B(0x88, 0x02, 0x03, 0xE9), 4);
	/* the server may not send after the echo */
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 1, "x", 1, buf, sizeof buf, &used), WS_ESTATE);
	assert_int_equal(ws_is_closed(&c), 0);
	assert_int_equal(ws_decode(&c, echo, echo_len, &used, &ev), WS_EV_CLOSE);
	assert_int_equal(ev.reply_len, 0); /* we had sent ours */
	assert_int_equal(ws_is_closed(&c), 1);
	/* a ping after our close gets no pong */
	ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
	assert_int_equal(ws_close_encode(&c, 0, NULL, 0, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(n, 6);
	memcpy(buf, B(0x89, 0x01, 'x'), 3);
	assert_int_equal(ws_decode(&c, buf, 3, &used, &ev), WS_EV_PING);
	assert_int_equal(ev.reply_len, 0);
}

static void test_encoder_rules(void **st)
{
	struct ws s, c;
	uint8_t buf[300], big[200];
	size_t n;
	uint8_t hdr[WS_HDR_MAX], mask[4];
	int masked;

	(void)st;
	memset(big, 'b', sizeof big);
	ws_init(&s, WS_ROLE_SERVER, 0, NULL, NULL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_CONT, 1, "x", 1, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_PING, 1, big, 126, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_PING, 0, "x", 1, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_CLOSE, 1, NULL, 0, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, 3, 1, NULL, 0, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_PING, 1, big, 125, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(n, 127);
	/* too small: nothing written, no state change */
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 0, big, 10, buf, 11, &n), WS_ENOSPC);
	assert_int_equal(n, 0);
	assert_int_equal(ws_frame_encode(&s, WS_OP_CONT, 1, "x", 1, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_TEXT, 0, big, 10, buf, 12, &n), WS_OK);
	assert_int_equal(ws_frame_encode(&s, WS_OP_BINARY, 1, big, 10, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_frame_encode(&s, WS_OP_PONG, 1, NULL, 0, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(ws_frame_encode(&s, WS_OP_CONT, 1, "x", 1, buf, sizeof buf, &n), WS_OK);
	/* close codes we may send */
	assert_int_equal(ws_close_encode(&s, 1005, NULL, 0, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_close_encode(&s, 0, "r", 1, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_close_encode(&s, 1000, (const char *)big, 124, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_close_encode(&s, 1000, "\xFF", 1, buf, sizeof buf, &n), WS_EINVAL);
	assert_int_equal(ws_close_encode(&s, 1000, (const char *)big, 123, buf, 10, &n), WS_ENOSPC);
	assert_int_equal(ws_close_encode(&s, 1000, (const char *)big, 123, buf, sizeof buf, &n), WS_OK);
	assert_int_equal(n, 127);
	/* a client without a working random source cannot mask */
	ws_init(&c, WS_ROLE_CLIENT, 0, failing_rnd, NULL);
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 1, "x", 1, buf, sizeof buf, &n), WS_ERANDOM);
	assert_int_equal(ws_frame_header(&c, WS_OP_TEXT, 0, 1, hdr, &n, mask, &masked), WS_ERANDOM);
	assert_int_equal(ws_frame_encode(&c, WS_OP_TEXT, 1, "x", 1, buf, sizeof buf, &n), WS_ERANDOM);
	/* zero-copy header + ws_mask in pieces == ws_frame_encode */
	ws_init(&c, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
	assert_int_equal(ws_frame_header(&c, WS_OP_BINARY, 1, sizeof big, hdr, &n, mask, &masked), WS_OK);
	assert_int_equal(masked, 1);
	assert_int_equal(n, 8);
	{
		uint8_t piece[200], whole[220];
		size_t wn;
		struct ws c2;
		memcpy(piece, big, sizeof big);
		ws_mask(piece, 3, mask, 0);
		ws_mask(piece + 3, 101, mask, 3);
		ws_mask(piece + 104, 96, mask, 104);
		ws_init(&c2, WS_ROLE_CLIENT, 0, fixed_rnd, NULL);
		assert_int_equal(ws_frame_encode(&c2, WS_OP_BINARY, 1, big, sizeof big, whole, sizeof whole, &wn), WS_OK);
		assert_int_equal(wn, n + sizeof big);
		assert_memory_equal(whole, hdr, n);
		assert_memory_equal(whole + n, piece, sizeof big);
	}
}

/* ---- handshake ---- */

static void test_sha1_base64(void **st)
{
	uint8_t d[SHA1_LEN], raw[8];
	char out[16];
	size_t n;
	static const char *b64v[][2] = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	                                 { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };

	(void)st;
	sha1("abc", 3, d);
	assert_memory_equal(d, B(0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e,
	                          0x25, 0x71, 0x78, 0x50, 0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d), 20);
	sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	assert_memory_equal(d, B(0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae,
	                          0x4a, 0xa1, 0xf9, 0x51, 0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1), 20);
	sha1("", 0, d);
	assert_memory_equal(d, B(0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55,
	                          0xbf, 0xef, 0x95, 0x60, 0x18, 0x90, 0xaf, 0xd8, 0x07, 0x09), 20);
	for (size_t i = 0; i < 7; i++) {
		size_t l = strlen(b64v[i][0]);
		assert_int_equal(base64_encode((const uint8_t *)b64v[i][0], l, out, sizeof out), 0);
		assert_string_equal(out, b64v[i][1]);
		assert_int_equal(base64_decode(out, strlen(out), raw, sizeof raw, &n), 0);
		assert_int_equal(n, l);
		assert_memory_equal(raw, b64v[i][0], l);
	}
	assert_int_equal(base64_encode((const uint8_t *)"foo", 3, out, 4), -1);
	assert_int_equal(base64_decode("Zm9", 3, raw, sizeof raw, &n), -1);
	assert_int_equal(base64_decode("Zm=v", 4, raw, sizeof raw, &n), -1);
	assert_int_equal(base64_decode("Zh==", 4, raw, sizeof raw, &n), -1); /* pad bits set */
	assert_int_equal(base64_decode("Zm9v", 4, raw, 2, &n), -1);
	assert_int_equal(base64_decode("Zm 9", 4, raw, sizeof raw, &n), -1);
}

static void test_accept_key(void **st)
{
	char acc[WS_ACCEPT_LEN + 1];

	(void)st;
	/* RFC 6455 §1.3 */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc);
	assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char rfc_request[] =
	"GET /chat HTTP/1.1\r\n"
	"Host: server.example.com\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Origin: http://example.com\r\n"
	"Sec-WebSocket-Protocol: chat, superchat\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"\r\n";

static void test_server_parse(void **st)
{
	struct ws_http_request req;
	size_t used, n;
	char out[512];
	char buf[sizeof rfc_request + 8];

	(void)st;
	/* every prefix is incomplete */
	for (size_t i = 0; i < sizeof rfc_request - 1; i++)
		assert_int_equal(ws_http_parse_request(rfc_request, i, &req, &used), WS_EAGAIN);
	memcpy(buf, rfc_request, sizeof rfc_request - 1);
	memcpy(buf + sizeof rfc_request - 1, "\x81\x85", 2);
	assert_int_equal(ws_http_parse_request(buf, sizeof rfc_request + 1, &req, &used), WS_OK);
	assert_int_equal(used, sizeof rfc_request - 1);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.target, "/chat");
	assert_string_equal(req.host, "server.example.com");
	assert_string_equal(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_int_equal(req.ws_version, 13);
	assert_int_equal(req.version_minor, 1);
	assert_int_equal(req.content_length, -1);
	assert_int_equal(ws_http_check_upgrade(&req), 0);
	assert_int_equal(ws_server_accept_response(&req, out, sizeof out, &n), WS_OK);
	assert_string_equal(out, "HTTP/1.1 101 Switching Protocols\r\n"
	                         "Upgrade: websocket\r\n"
	                         "Connection: Upgrade\r\n"
	                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
	assert_int_equal(n, strlen(out));
	assert_int_equal(ws_server_accept_response(&req, out, 20, &n), WS_ENOSPC);
}

struct req_case {
	const char *head; /* request line + headers, without the final CRLF */
	int parse;        /* expected ws_http_parse_request result */
	int check;        /* expected ws_http_check_upgrade (when parse is 0) */
};

#define STD_HDRS "Host: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"

static void test_server_checks(void **st)
{
	static const struct req_case c[] = {
		/* tokens are case-insensitive and may sit in lists */
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "upgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-version:13\r\n", 0, 0 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13  \r\n", 0, 0 },
		{ "GET /ws/k HTTP/1.2\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 0 },
		/* missing pieces */
		{ "GET /ws/k HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\r\nSec-WebSocket-Key: Zm9vYmFy\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		{ "GET /ws/k HTTP/1.0\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 400 },
		/* version */
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n", 0, 426 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\n", 0, 426 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13, 8\r\n", 0, 426 },
		{ "GET /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n", 0, 426 },
		/* method */
		{ "POST /ws/k HTTP/1.1\r\n" STD_HDRS "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 0, 405 },
		/* plain HTTP requests parse fine (the server routes them) */
		{ "GET /healthz HTTP/1.1\r\nHost: h\r\n", 0, 400 },
		{ "POST /speedtest HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n", 0, 405 },
		/* malformed heads */
		{ "GET /ws/k HTTP/1.1\r\nHost : h\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\r\n folded\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nno colon\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\r\nHost: i\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nHost: h\nX: y\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nContent-Length: 12x\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n", 400, 0 },
		{ "GET  /ws/k HTTP/1.1\r\n", 400, 0 },
		{ "GET /ws/k\r\n", 400, 0 },
		{ "GET /ws/k HTTP/1.1 \r\n", 400, 0 },
		{ "G(T /ws/k HTTP/1.1\r\n", 400, 0 },
		{ "GET /ws/k HTTP/2.0\r\n", 505, 0 },
		{ "GET /ws/k HTTQ/1.1\r\n", 400, 0 },
		{ "\r\n", 400, 0 },
	};
	struct ws_http_request req;
	char buf[2048];
	size_t used;

	(void)st;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int n = snprintf(buf, sizeof buf, "%s\r\n", c[i].head), r;
		r = ws_http_parse_request(buf, (size_t)n, &req, &used);
		if (r != c[i].parse)
			fail_msg("case %zu: parse %d, want %d", i, r, c[i].parse);
		if (r == 0 && (r = ws_http_check_upgrade(&req)) != c[i].check)
			fail_msg("case %zu: check %d, want %d", i, r, c[i].check);
	}
	/* the speedtest request's length is reported */
	snprintf(buf, sizeof buf, "POST /speedtest HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n");
	assert_int_equal(ws_http_parse_request(buf, strlen(buf), &req, &used), 0);
	assert_int_equal(req.content_length, 1000);
	assert_int_equal(req.connection_close, 0);
}

static void test_server_limits(void **st)
{
	static char buf[WS_HTTP_HEAD_MAX + 2048];
	struct ws_http_request req;
	size_t used;
	int n;

	(void)st;
	/* a head that never ends within the limit is 431 */
	n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX: ");
	memset(buf + n, 'a', sizeof buf - (size_t)n);
	assert_int_equal(ws_http_parse_request(buf, WS_HTTP_HEAD_MAX - 1, &req, &used), WS_EAGAIN);
	assert_int_equal(ws_http_parse_request(buf, WS_HTTP_HEAD_MAX, &req, &used), 431);
	/* a long target is 414 */
	n = snprintf(buf, sizeof buf, "GET /");
	memset(buf + n, 'a', 2000);
	n += 2000;
	n += snprintf(buf + n, sizeof buf - (size_t)n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(ws_http_parse_request(buf, (size_t)n, &req, &used), 414);
	/* a long Host is 400 */
	n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: ");
	memset(buf + n, 'h', 300);
	n += 300;
	n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n\r\n");
	assert_int_equal(ws_http_parse_request(buf, (size_t)n, &req, &used), 400);
}

static void test_error_responses(void **st)
{
	char out[512];
	size_t n;

	(void)st;
	assert_int_equal(ws_http_error_response(403, out, sizeof out, &n), WS_OK);
	assert_true(strncmp(out, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n403 Forbidden\n"));
	assert_non_null(strstr(out, "Content-Length: 14\r\n"));
	assert_int_equal(n, strlen(out));
	assert_int_equal(ws_http_error_response(426, out, sizeof out, &n), WS_OK);
	assert_non_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
	assert_int_equal(ws_http_error_response(405, out, sizeof out, &n), WS_OK);
	assert_non_null(strstr(out, "\r\nAllow: GET\r\n"));
	assert_int_equal(ws_http_error_response(400, out, 30, &n), WS_ENOSPC);
	assert_int_equal(n, 0);
}

static void test_client_request(void **st)
{
	static const uint8_t nonce[16] = { 't', 'h', 'e', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e' };
	char out[512], key[WS_KEY_B64_LEN + 1];
	size_t n, used;
	struct ws_http_request req;

	(void)st;
	assert_int_equal(ws_client_request("example.org", 8000, "/ws/secret", nonce, out, sizeof out, &n, key), WS_OK);
	assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
	assert_string_equal(out, "GET /ws/secret HTTP/1.1\r\n"
	                         "Host: example.org:8000\r\n"
	                         "Upgrade: websocket\r\n"
	                         "Connection: Upgrade\r\n"
	                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	                         "Sec-WebSocket-Version: 13\r\n\r\n");
	/* our own server side accepts it */
	assert_int_equal(ws_http_parse_request(out, n, &req, &used), WS_OK);
	assert_int_equal(ws_http_check_upgrade(&req), 0);
	assert_string_equal(req.host, "example.org:8000");
	assert_int_equal(ws_client_request("::1", 443, "/ws/s", nonce, out, sizeof out, &n, key), WS_OK);
	assert_non_null(strstr(out, "\r\nHost: [::1]\r\n"));
	assert_int_equal(ws_client_request("h", 80, "ws/s", nonce, out, sizeof out, &n, key), WS_EINVAL);
	assert_int_equal(ws_client_request("h", 80, "/a b", nonce, out, sizeof out, &n, key), WS_EINVAL);
	assert_int_equal(ws_client_request("h\r\nX: y", 80, "/", nonce, out, sizeof out, &n, key), WS_EINVAL);
	assert_int_equal(ws_client_request("h", 0, "/", nonce, out, sizeof out, &n, key), WS_EINVAL);
	assert_int_equal(ws_client_request("h", 80, "/", nonce, out, 40, &n, key), WS_ENOSPC);
}

static void test_client_response(void **st)
{
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	                         "Upgrade: websocket\r\n"
	                         "Connection: Upgrade\r\n"
	                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const struct {
		const char *resp;
		int rc, status;
	} c[] = {
		{ "HTTP/1.1 101 OK\r\nupgrade: WEBSOCKET\r\nconnection: upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_OK, 101 },
		{ "HTTP/1.1 101\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: x\r\n\r\n", WS_OK, 101 },
		{ "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", WS_EPROTO, 403 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: S3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_EPROTO, 101 },
		{ "HTTP/1.1 1O1 Switching Protocols\r\n\r\n", WS_EPROTO, 0 },
		{ "HTTP/1.1 101x\r\n\r\n", WS_EPROTO, 0 },
		{ "ICY 200 OK\r\n\r\n", WS_EPROTO, 0 },
	};
	char buf[512];
	size_t used;
	int status;

	(void)st;
	for (size_t i = 0; i < sizeof ok - 1; i++)
		assert_int_equal(ws_client_check_response(ok, i, "dGhlIHNhbXBsZSBub25jZQ==", &used, &status), WS_EAGAIN);
	/* frames may follow the head in the same read */
	memcpy(buf, ok, sizeof ok - 1);
	memcpy(buf + sizeof ok - 1, "\x81\x00", 2);
	assert_int_equal(ws_client_check_response(buf, sizeof ok + 1, "dGhlIHNhbXBsZSBub25jZQ==", &used, &status), WS_OK);
	assert_int_equal(used, sizeof ok - 1);
	assert_int_equal(status, 101);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int r = ws_client_check_response(c[i].resp, strlen(c[i].resp), "dGhlIHNhbXBsZSBub25jZQ==", &used, &status);
		if (r != c[i].rc || status != c[i].status)
			fail_msg("case %zu: rc %d status %d, want %d %d", i, r, status, c[i].rc, c[i].status);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_single_unmasked),
		cmocka_unit_test(test_rfc_single_masked),
		cmocka_unit_test(test_rfc_fragmented),
		cmocka_unit_test(test_rfc_ping_pong),
		cmocka_unit_test(test_rfc_encode_exact),
		cmocka_unit_test(test_rfc_binary_lengths),
		cmocka_unit_test(test_split_client_stream),
		cmocka_unit_test(test_split_long_frames),
		cmocka_unit_test(test_split_server_stream),
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_close_codes),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_valid_close_codes),
		cmocka_unit_test(test_utf8_edges),
		cmocka_unit_test(test_utf8_across_fragments),
		cmocka_unit_test(test_close_handshake),
		cmocka_unit_test(test_encoder_rules),
		cmocka_unit_test(test_sha1_base64),
		cmocka_unit_test(test_accept_key),
		cmocka_unit_test(test_server_parse),
		cmocka_unit_test(test_server_checks),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_error_responses),
		cmocka_unit_test(test_client_request),
		cmocka_unit_test(test_client_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
