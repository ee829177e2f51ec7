/* board_check.c — what a board's binary must get right whatever its CPU,
 * run under qemu-user by tests/integration/agent_boards.sh (and natively for
 * BOARD=x86_64). No cmocka: the boards' C library is musl, built here, and
 * cmocka is not; the checks print TAP themselves.
 *   1. WebSocket frames, exact bytes: RFC 6455 §5.7's masked "Hello", the
 *      16-bit (256 bytes) and 64-bit (65 536 and 70 000 bytes) length forms,
 *      a client frame masked in pieces, and each decoded back by the other
 *      side. On big-endian mips this is the byte-order proof of the codec.
 *   2. Sample JSON: a sample with 64-bit byte counts, fractions and a
 *      timestamp, written exactly as on x86_64.
 *   3. No heap allocation per sampling cycle in the static binary: every
 *      malloc/calloc/realloc/free reference of the link, the C library's own
 *      included (a static link resolves musl's internal calls through
 *      --wrap too), is counted over 1000 cycles on the live /proc, after
 *      port_init and a first cycle. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "tests/unit/agent_cycle.h"
#include "tests/unit/alloc_count.h"
#include "wire/sample.h"
#include "wire/ws.h"

static int failures, count;

static void check(int ok, const char *what)
{
	count++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", count, what);
	if (!ok)
		failures++;
}

/* ---- allocation counters: tests/unit/alloc_count.c (--wrap at the link) ---- */

/* ---- 1. WebSocket frames ---- */
static const uint8_t rfc_mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

static int fixed_mask(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = rfc_mask[i % 4];
	return 0;
}

static uint8_t frame[70100], payload[70000];

/* Decodes one whole frame; 1 if it yields exactly want[0..len) as one
 * complete message. */
static int decodes_to(enum ws_role role, uint8_t *in, size_t in_len, const uint8_t *want, size_t len)
{
	struct ws ws;
	struct ws_event ev;
	size_t used, got = 0, off = 0;
	int fin = 0;

	ws_init(&ws, role, 0, role == WS_ROLE_CLIENT ? fixed_mask : NULL, NULL);
	while (off < in_len) {
		if (ws_decode(&ws, in + off, in_len - off, &used, &ev) == WS_EV_DATA) {
			if (got + ev.len > len || memcmp(ev.data, want + got, ev.len) != 0)
				return 0;
			got += ev.len;
			fin = ev.fin;
		} else if (ev.type != WS_EV_NONE) {
			return 0;
		}
		off += used;
		if (used == 0)
			break;
	}
	return fin && got == len && off == in_len;
}

static void check_ws(void)
{
	static const uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ws cli, srv;
	uint8_t hdr[WS_HDR_MAX], mask[4];
	size_t n, hl;
	int masked;

	ws_init(&cli, WS_ROLE_CLIENT, 0, fixed_mask, NULL);
	ws_init(&srv, WS_ROLE_SERVER, 0, NULL, NULL);
	check(ws_frame_encode(&cli, WS_OP_TEXT, 1, "Hello", 5, frame, sizeof frame, &n) == 0 && n == sizeof hello &&
	              memcmp(frame, hello, n) == 0,
	      "ws: the client's masked \"Hello\" is RFC 6455 5.7's 11 bytes");
	check(decodes_to(WS_ROLE_SERVER, frame, n, (const uint8_t *)"Hello", 5), "ws: a server decodes it to \"Hello\"");

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	check(ws_frame_encode(&srv, WS_OP_BINARY, 1, payload, 256, frame, sizeof frame, &n) == 0 && n == 260 &&
	              frame[0] == 0x82 && frame[1] == 0x7e && frame[2] == 0x01 && frame[3] == 0x00 &&
	              memcmp(frame + 4, payload, 256) == 0,
	      "ws: 256 bytes from the server: 82 7e 01 00, 16-bit length in network order");
	check(decodes_to(WS_ROLE_CLIENT, frame, n, payload, 256), "ws: the client decodes the 256 bytes");
	check(ws_frame_encode(&srv, WS_OP_BINARY, 1, payload, 65536, frame, sizeof frame, &n) == 0 && n == 65546 &&
	              memcmp(frame, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) == 0,
	      "ws: 65536 bytes: 82 7f 00 00 00 00 00 01 00 00, 64-bit length in network order");
	check(decodes_to(WS_ROLE_CLIENT, frame, n, payload, 65536), "ws: the client decodes the 65536 bytes");

	/* A client frame of 70 000 bytes, header and payload masked apart and
	 * the payload in two pieces (as the agent sends a large message). */
	check(ws_frame_header(&cli, WS_OP_TEXT, 1, 70000, hdr, &hl, mask, &masked) == 0 && hl == 14 && masked == 1 &&
	              memcmp(hdr, "\x81\xff\x00\x00\x00\x00\x00\x01\x11\x70\x37\xfa\x21\x3d", 14) == 0,
	      "ws: a 70000-byte client header: 81 ff, 00 00 00 00 00 01 11 70, the mask");
	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)('a' + i % 26);
	memcpy(frame, hdr, hl);
	memcpy(frame + hl, payload, 70000);
	ws_mask(frame + hl, 33333, mask, 0);
	ws_mask(frame + hl + 33333, 70000 - 33333, mask, 33333);
	check(frame[hl] == ('a' ^ 0x37) && frame[hl + 1] == ('b' ^ 0xfa) && frame[hl + 33333] == (payload[33333] ^ 0xfa) &&
	              frame[hl + 69999] == (payload[69999] ^ 0x3d),
	      "ws: masking in two pieces keeps the key's position (byte i with key[i % 4])");
	check(decodes_to(WS_ROLE_SERVER, frame, hl + 70000, payload, 70000), "ws: a server unmasks the 70000 bytes");
}

/* ---- 2. sample JSON ---- */
static void check_json(void)
{
	static struct sample s;
	static char buf[4096];
	size_t len;
	/* ram has one decimal: 37.25 is exactly halfway and printf rounds it
	 * to even, 37.2, on every C library the boards use. */
	const char *want =
		"{\"ts\":1796347742.125,\"cpu\":12.5,\"ram\":37.2,\"ram_used\":9415467008,\"ram_total\":25276071936,"
		"\"net_up\":1048576,\"net_down\":4294967296,\"uptime\":3600,\"cores\":4,\"load\":[0.5,1.25,2],"
		"\"disks\":[{\"mount\":\"/\",\"percent\":19.5,\"used\":52758069248,\"total\":270553174016}]}";

	sample_clear(&s);
	s.ts = 1796347742.125;
	s.v[SK_CPU] = 12.5;
	s.v[SK_RAM] = 37.25;
	s.v[SK_RAM_USED] = 9415467008.0;
	s.v[SK_RAM_TOTAL] = 25276071936.0;
	s.v[SK_NET_UP] = 1048576;
	s.v[SK_NET_DOWN] = 4294967296.0;
	s.v[SK_UPTIME] = 3600;
	s.v[SK_CORES] = 4;
	s.load[0] = 0.5, s.load[1] = 1.25, s.load[2] = 2;
	s.has_disks = 1;
	s.ndisks = 1;
	strcpy(s.disks[0].mount, "/");
	s.disks[0].percent = 19.5;
	s.disks[0].used = 52758069248.0;
	s.disks[0].total = 270553174016.0;
	check(sample_to_json(&s, buf, sizeof buf, &len) == JSON_OK && len == strlen(want) && strcmp(buf, want) == 0,
	      "json: the sample's numbers (64-bit byte counts, fractions, the timestamp) exactly as on x86_64");
	if (strcmp(buf, want) != 0)
		printf("# got  %s\n# want %s\n", buf, want);
}

/* ---- 3. allocations per cycle ---- */
static struct collector coll;
static struct sample smp;
static char json[65536];

static void one_cycle(int i)
{
	if (agent_cycle(&coll, &smp, json, sizeof json, i) != JSON_OK)
		json[0] = 0;
}

static void check_allocs(void)
{
	char what[160];
	FILE *f;
	char *volatile p;
	int i;

	/* The counters see a call in this file and one inside the C library. */
	alloc_quiet = 1;
	alloc_wrap_calls = 0;
	alloc_counting = 1;
	p = malloc(16);
	free(p);
	f = fopen("/proc/self/stat", "r");
	if (f)
		fclose(f);
	alloc_counting = 0;
	alloc_quiet = 0;
	snprintf(what, sizeof what, "alloc: the counters see malloc and free here and fopen's inside the C library (%lu)",
	         alloc_wrap_calls);
	check(alloc_wrap_calls >= 3, what);

	check(port_init(NULL) == PORT_OK, "alloc: port_init on the live /proc");
	collect_init(&coll, NULL);
	one_cycle(0);
	check(json[0] == '{' && smp.v[SK_RAM_TOTAL] > 0, "alloc: a first cycle gives a sample");
	alloc_wrap_calls = 0;
	alloc_counting = 1;
	for (i = 1; i <= 1000; i++)
		one_cycle(i);
	alloc_counting = 0;
	port_fini();
	snprintf(what, sizeof what, "alloc: 1000 sampling cycles (every 10th with processes) allocate nothing (%lu calls)",
	         alloc_wrap_calls);
	check(alloc_wrap_calls == 0, what);
}

int main(void)
{
	check_ws();
	check_json();
	check_allocs();
	printf("1..%d\n", count);
	return failures ? 1 : 0;
}
