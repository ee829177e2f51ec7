/* stab.c — the stability test (see stab.h). Datagram idx is due at
 * t0 + idx * interval and has a reply window of 1 s from its sending; a chunk
 * of STAB_CHUNK indices is reported once its last datagram's window is over.
 * Send times and RTTs live in one static ring indexed by idx, which holds the
 * chunk being settled plus what is sent meanwhile, so a day at 1 ms (86.4 M
 * datagrams) runs in fixed memory. */
#include "agent-min/stab.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire/json.h"

#define STAB_WINDOW_MS 1000u /* late replies collected for 1 s (SPEC §4) */
#define STAB_RING      16384u
#define STAB_BURST     100u  /* datagrams sent in one step at most when behind */
#define STAB_READ_MAX  4096u /* datagrams read in one step at most: a flood cannot hold the loop */
#define STAB_DGRAM_MAX 33    /* 10 + 1 + 12 + 1 + 9: the echo's longest well-formed datagram */
#define STAB_IDX_DIGITS 10

_Static_assert((STAB_RING & (STAB_RING - 1)) == 0, "the ring is indexed by idx & (STAB_RING - 1)");
/* Room for a chunk and the 1 s (1000 datagrams at 1 ms, plus a burst) sent
 * while it settles; under two chunks, so at most two are ever live and
 * settle_ms needs two slots. */
_Static_assert(STAB_RING > STAB_CHUNK + 1000u + STAB_BURST && STAB_RING < 2u * STAB_CHUNK, "ring size");
/* A value is at most "1000.000," (RTTs over the window are dropped). */
_Static_assert(STAB_CHUNK * 9u + 512u <= STAB_MSG_MAX, "a chunk fits in STAB_MSG_MAX");

static struct {
	int active;
	int fd;
	int more;              /* the last read stopped at STAB_READ_MAX */
	struct port_addr to;
	unsigned interval_ms;
	uint32_t total;        /* datagrams in the test */
	uint32_t next;         /* next idx to send */
	uint32_t chunk;        /* first idx not yet reported */
	uint64_t t0_ms;
	uint64_t end_ms;       /* t0_ms + the duration */
	uint64_t settle_ms[2]; /* by chunk number & 1: when its last datagram's window ends */
	double start_ts;       /* unix seconds at the start: one test on the server (agents_stab_add) */
} st = { .fd = -1 };

/* The ring apart from st: zero-initialised, so in .bss and not 192 KiB of
 * the binary's .data (st's initialiser would put all of it there). */
static struct {
	uint64_t sent_us[STAB_RING]; /* port_mono_us at sending; 0 = never sent (skipped, refused) */
	float rtt[STAB_RING];  /* ms; NAN = no reply (yet) */
} ring;

/* ---- arguments -------------------------------------------------------- */

/* The next blank-separated word of *p (NULL when none is left). */
static const char *word(const char **p, size_t *n)
{
	const char *s = *p, *t;
	while (*s == ' ' || *s == '\t')
		s++;
	t = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*n = (size_t)(s - t);
	*p = s;
	return *n ? t : NULL;
}

/* Digits only (no sign, exponent or fraction), value in [lo, hi]. */
static int plain_uint(const char *t, size_t n, unsigned long lo, unsigned long hi, unsigned long *v)
{
	*v = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long)(t[i] - '0');
	}
	return *v >= lo && *v <= hi ? 0 : -1;
}

/* A word of the server's text, cut and made printable, for a message. */
static const char *shown(const char *t, size_t n, char *buf, size_t cap)
{
	size_t i;
	if (n > 16)
		n = 16;
	for (i = 0; i < n && i + 1 < cap; i++)
		buf[i] = t[i] > ' ' && t[i] < 0x7f && t[i] != '"' ? t[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int parse_args(const char *args, unsigned long *iv, unsigned long *dur, char *err, size_t errlen)
{
	const char *p = args ? args : "", *wi, *wd;
	size_t ni = 0, nd = 0, nx = 0;
	char b[20];

	wi = word(&p, &ni);
	wd = word(&p, &nd);
	if (!wi || !wd || word(&p, &nx)) {
		snprintf(err, errlen, "usage: stability <interval_ms 1..1000> <duration_s 1..86400>");
		return -1;
	}
	if (plain_uint(wi, ni, 1, 1000, iv) < 0) {
		snprintf(err, errlen, "bad interval \"%s\": a whole number of milliseconds from 1 to 1000",
		         shown(wi, ni, b, sizeof b));
		return -1;
	}
	if (plain_uint(wd, nd, 1, 86400, dur) < 0) {
		snprintf(err, errlen, "bad duration \"%s\": a whole number of seconds from 1 to 86400",
		         shown(wd, nd, b, sizeof b));
		return -1;
	}
	return 0;
}

/* ---- the test --------------------------------------------------------- */

static uint64_t due_ms(uint32_t idx)
{
	return st.t0_ms + (uint64_t)idx * st.interval_ms;
}

static uint32_t chunk_end(uint32_t first)
{
	return st.total - first > STAB_CHUNK ? first + STAB_CHUNK : st.total;
}

static void close_socket(void)
{
	port_sock_close(st.fd);
	st.fd = -1;
	st.active = 0;
	st.more = 0;
}

int stab_start(const char *args, const struct port_addr *server_udp, uint64_t now_ms, char *err, size_t errlen)
{
	unsigned long iv, dur;
	int fd = -1, os_err = 0;
	char eb[96];

	if (st.active) {
		snprintf(err, errlen, "a stability test is already running");
		return -1;
	}
	if (parse_args(args, &iv, &dur, err, errlen) < 0)
		return -1;
	if (!server_udp || server_udp->len == 0) {
		snprintf(err, errlen, "no UDP address for the server's echo");
		return -1;
	}
	if (port_udp_open(server_udp, &fd, &os_err) != PORT_OK) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", port_strerror(os_err, eb, sizeof eb));
		port_sock_close(fd);
		return -1;
	}
	st.fd = fd;
	st.to = *server_udp;
	st.interval_ms = (unsigned)iv;
	/* every datagram due inside the duration: 20 ms x 1 s = 50, 3 ms x 1 s = 334 */
	st.total = (uint32_t)((dur * 1000u + iv - 1) / iv);
	st.next = st.chunk = 0;
	st.t0_ms = now_ms;
	st.end_ms = now_ms + dur * 1000u;
	st.more = 0;
	st.start_ts = (double)port_wall_ms() / 1000.0;
	st.active = 1;
	return 0;
}

int stab_running(void)
{
	return st.active;
}

int stab_fd(void)
{
	return st.active ? st.fd : -1;
}

void stab_stop(void)
{
	if (st.active)
		close_socket();
}

static void send_due(uint64_t now_ms)
{
	unsigned burst = 0;
	char pkt[48];

	while (st.next < st.total && st.next - st.chunk < STAB_RING && due_ms(st.next) <= now_ms) {
		uint32_t i = st.next, slot = i & (STAB_RING - 1);
		/* Catch-up: a loop that woke late sends what it missed, at most
		 * STAB_BURST a step; what is more than a reply window overdue is
		 * skipped and counts as lost (the host could not send it: a burst
		 * of them would measure the burst, not the link). */
		int skip = now_ms - due_ms(i) > STAB_WINDOW_MS;
		if (!skip && burst == STAB_BURST)
			break;
		ring.rtt[slot] = NAN;
		ring.sent_us[slot] = 0;
		if (!skip) {
			int64_t w = port_wall_ms();
			int os_err = 0, len;
			uint64_t t;
			if (w < 0)
				w = 0;
			len = snprintf(pkt, sizeof pkt, "%" PRIu32 ":%" PRId64 ".%03d", i, w / 1000, (int)(w % 1000));
			burst++;
			t = port_mono_us();
			/* a refused send (buffer full, no route) is a lost datagram */
			if (len > 0 && (size_t)len < sizeof pkt &&
			    port_udp_send(st.fd, &st.to, pkt, (size_t)len, &os_err) == PORT_OK)
				ring.sent_us[slot] = t ? t : 1;
		}
		if (i + 1 == chunk_end(i - i % STAB_CHUNK)) {
			uint64_t from = now_ms;
			if (i + 1 == st.total && st.end_ms > from)
				from = st.end_ms; /* the last chunk: duration over, then the window */
			st.settle_ms[(i / STAB_CHUNK) & 1] = from + STAB_WINDOW_MS;
		}
		st.next++;
	}
}

/* `<idx>:<secs>[.<fraction>]` as the echo returns it; *idx. */
static int parse_reply(const char *b, size_t n, uint64_t *idx)
{
	size_t i = 0, d;

	*idx = 0;
	for (d = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++, d++)
		*idx = *idx * 10 + (uint64_t)(b[i] - '0');
	/* we never send a leading zero: "007:..." is not ours */
	if (d < 1 || d > STAB_IDX_DIGITS || (d > 1 && b[0] == '0') || i == n || b[i++] != ':')
		return -1;
	for (d = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++)
		d++;
	if (d < 1 || d > 12)
		return -1;
	if (i == n)
		return 0;
	if (b[i++] != '.')
		return -1;
	for (d = 0; i < n && b[i] >= '0' && b[i] <= '9'; i++)
		d++;
	return d >= 1 && d <= 9 && i == n ? 0 : -1;
}

static void read_replies(void)
{
	char buf[STAB_DGRAM_MAX + 1]; /* one byte more: a longer datagram shows as longer */

	for (unsigned k = 0; k < STAB_READ_MAX; k++) {
		struct port_addr from;
		size_t n = 0;
		uint64_t idx, d;
		uint32_t slot;
		int os_err = 0, rc = port_udp_recv(st.fd, buf, sizeof buf, &n, &from, &os_err);

		if (rc != PORT_OK) {
			st.more = 0; /* would block, or an error the next step meets again */
			return;
		}
		/* only the address we sent to, well formed, an idx sent and not yet
		 * reported or answered (a duplicate counts once) */
		if (n > STAB_DGRAM_MAX || !port_addr_equal(&from, &st.to) || parse_reply(buf, n, &idx) < 0)
			continue;
		if (idx < st.chunk || idx >= st.next)
			continue;
		slot = (uint32_t)idx & (STAB_RING - 1);
		if (ring.sent_us[slot] == 0 || !isnan(ring.rtt[slot]))
			continue;
		d = port_mono_us() - ring.sent_us[slot];
		if (d > STAB_WINDOW_MS * 1000u)
			continue; /* late: lost */
		ring.rtt[slot] = (float)((double)d / 1000.0);
	}
	st.more = 1;
}

/* {"stability":{...}} with the values of [from, end); 0 when it does not fit. */
static size_t write_chunk(char *out, size_t cap, uint32_t from, uint32_t end, int done, const char *error)
{
	struct json_w w;
	size_t len = 0;

	json_init(&w, out, cap);
	json_obj_open(&w);
	json_key(&w, "stability");
	json_obj_open(&w);
	json_key(&w, "start_ts");
	json_num(&w, st.start_ts, 3);
	json_key(&w, "interval_ms");
	json_uint(&w, st.interval_ms);
	json_key(&w, "rtts");
	json_arr_open(&w);
	for (uint32_t i = from; i < end; i++)
		json_num(&w, ring.rtt[i & (STAB_RING - 1)], 3); /* NAN: null = lost */
	json_arr_close(&w);
	json_key(&w, "done");
	json_bool(&w, done);
	if (error) {
		json_key(&w, "error");
		json_str(&w, error);
	}
	json_obj_close(&w);
	json_obj_close(&w);
	return json_finish(&w, &len) == JSON_OK ? len : 0;
}

size_t stab_step(uint64_t now_ms, int readable, char *out, size_t cap)
{
	uint32_t end;
	int ready, done;
	size_t len;

	if (!st.active)
		return 0;
	end = chunk_end(st.chunk);
	ready = st.next >= end && now_ms >= st.settle_ms[(st.chunk / STAB_CHUNK) & 1];
	/* before a chunk is sealed its late replies are read even unpolled */
	if (readable || st.more || ready)
		read_replies();
	send_due(now_ms);
	if (!ready)
		return 0;
	done = end == st.total;
	len = write_chunk(out, cap, st.chunk, end, done, NULL);
	if (len == 0) {
		/* the caller's buffer is under STAB_MSG_MAX: say so and end */
		len = write_chunk(out, cap, end, end, 1, "result buffer too small");
		done = 1;
	}
	st.chunk = end;
	if (done)
		close_socket();
	return len;
}

uint64_t stab_next_wake(uint64_t now_ms)
{
	uint64_t t = UINT64_MAX;

	if (!st.active)
		return UINT64_MAX;
	if (st.more)
		return now_ms;
	if (st.next >= chunk_end(st.chunk))
		t = st.settle_ms[(st.chunk / STAB_CHUNK) & 1];
	if (st.next < st.total && st.next - st.chunk < STAB_RING && due_ms(st.next) < t)
		t = due_ms(st.next);
	return t < now_ms ? now_ms : t;
}
