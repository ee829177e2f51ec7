/* fuzz_ws_frame.c — the frame decoder in both roles. The first byte picks
 * the role, a small message limit or the default, and how the rest is cut
 * into pieces; the event log must not depend on the cuts, and every
 * finished message must survive an encode/decode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/sha1.h"
#include "wire/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int zero_rnd(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	memset(buf, 0x5A, len);
	return 0;
}

struct log {
	struct sha1 h;     /* everything the decoder said */
	struct sha1 msg;   /* the message in progress */
	size_t events;
};

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void note(struct log *l, const struct ws_event *ev)
{
	uint8_t t = (uint8_t)ev->type;

	if (ev->type == WS_EV_NONE)
		return; /* how often input ran out depends on the cuts */
	l->events++;
	if (ev->type == WS_EV_DATA) {
		sha1_update(&l->msg, ev->data, ev->len);
		if (ev->fin) {
			uint8_t d[SHA1_LEN];
			sha1_final(&l->msg, d);
			sha1_init(&l->msg);
			sha1_update(&l->h, &t, 1);
			sha1_update(&l->h, &ev->opcode, 1);
			sha1_update(&l->h, d, sizeof d);
		}
		return;
	}
	sha1_update(&l->h, &t, 1);
	sha1_update(&l->h, &ev->close_code, sizeof ev->close_code);
	sha1_update(&l->h, ev->data, ev->len);
	sha1_update(&l->h, ev->reply, ev->reply_len);
	check(ev->len <= WS_CTRL_MAX && ev->reply_len <= WS_CTRL_FRAME_MAX);
	if (ev->type == WS_EV_ERROR)
		check(ev->close_code == 1002 || ev->close_code == 1007 || ev->close_code == 1009);
}

/* Decodes buf cut into pieces of 1..step bytes (0 = whole); returns the log. */
static void run(enum ws_role role, uint64_t max, uint8_t *buf, size_t n, unsigned step,
                uint8_t out[SHA1_LEN], struct ws *ws_out)
{
	struct ws ws;
	struct ws_event ev;
	struct log l;
	size_t pos = 0, k = 0;

	sha1_init(&l.h);
	sha1_init(&l.msg);
	l.events = 0;
	ws_init(&ws, role, max, zero_rnd, NULL);
	while (pos < n) {
		size_t end = step ? pos + 1 + (k++ % step) : n;
		if (end > n)
			end = n;
		while (pos < end) {
			size_t used;
			enum ws_ev_type t = ws_decode(&ws, buf + pos, end - pos, &used, &ev);
			check(used <= end - pos);
			check(t != WS_EV_NONE || used == end - pos);
			note(&l, &ev);
			pos += used;
		}
	}
	sha1_final(&l.h, out);
	*ws_out = ws;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ws_role role;
	uint64_t max;
	unsigned step;
	uint8_t *a, *b, ha[SHA1_LEN], hb[SHA1_LEN];
	struct ws wa, wb;

	if (size < 1)
		return 0;
	role = data[0] & 1 ? WS_ROLE_SERVER : WS_ROLE_CLIENT;
	max = data[0] & 2 ? 300 : 0;
	step = (data[0] >> 2) % 17 + 1;
	data++, size--;
	a = malloc(size + 1);
	b = malloc(size + 1);
	if (!a || !b)
		abort();
	memcpy(a, data, size);
	memcpy(b, data, size);
	run(role, max, a, size, 0, ha, &wa);
	run(role, max, b, size, step, hb, &wb);
	check(memcmp(ha, hb, sizeof ha) == 0);
	check(ws_is_closed(&wa) == ws_is_closed(&wb));

	/* the same bytes as a payload: encode in both roles, decode back */
	{
		size_t cap = size + WS_HDR_MAX, n, used;
		uint8_t *f = malloc(cap);
		struct ws enc, dec;
		struct ws_event ev;
		size_t got = 0;
		enum ws_role r2 = role == WS_ROLE_SERVER ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
		if (!f)
			abort();
		ws_init(&enc, role, 0, zero_rnd, NULL);
		ws_init(&dec, r2, 0, zero_rnd, NULL);
		check(ws_frame_encode(&enc, WS_OP_BINARY, 1, data, size, f, cap, &n) == WS_OK);
		for (size_t pos = 0; pos < n; pos += used) {
			enum ws_ev_type t = ws_decode(&dec, f + pos, n - pos, &used, &ev);
			check(t == WS_EV_DATA || t == WS_EV_NONE);
			if (t == WS_EV_DATA) {
				check(got + ev.len <= size && memcmp(ev.data, data + got, ev.len) == 0);
				got += ev.len;
			}
		}
		check(got == size);
		free(f);
	}
	free(a);
	free(b);
	return 0;
}
