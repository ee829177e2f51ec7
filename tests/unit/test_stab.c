/* Unit tests for agent-min/stab.c against an echo this test answers itself on
 * 127.0.0.1 between stab_step calls, with made-up now_ms values: packet
 * counts and send times, lost and foreign replies, duplicates, garbage,
 * catch-up after a late wake-up, chunking, and the argument checks. Chunks
 * are read with wire/jsonr as the server reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-min/stab.h"
#include "port/port.h"
#include "wire/jsonr.h"

#define MAXV 30000

/* ---- the echo ---------------------------------------------------------- */

static struct {
	int fd, other;              /* the echo, and a stranger on another port */
	struct port_addr to;        /* the echo's address for stab_start */
	struct sockaddr_storage agent;
	socklen_t agent_len;
	uint32_t got;               /* datagrams received */
	int64_t last_idx;
	uint64_t at[MAXV];          /* now_ms of the step that sent idx, 0 = never */
	uint64_t step_now;
	/* behaviour */
	int drop_mod;               /* no reply when idx % drop_mod == drop_mod - 1 */
	int64_t foreign_idx;        /* answered from the stranger only */
	int64_t both_idx;           /* from the stranger, then from the echo */
	int64_t dup_idx;            /* answered again two rounds later, after a pause */
	int64_t garbage_before;     /* the garbage goes out before answering this idx */
	int64_t withhold[4];
	char dup_text[48];
	int dup_rounds;
} e;

static void garbage(void);

static int bound_udp(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void to_agent(int fd, const void *b, size_t n)
{
	assert_true(e.agent_len > 0);
	assert_int_equal(sendto(fd, b, n, 0, (struct sockaddr *)&e.agent, e.agent_len), (ssize_t)n);
}

static int withheld(int64_t idx)
{
	for (size_t i = 0; i < sizeof e.withhold / sizeof e.withhold[0]; i++)
		if (e.withhold[i] == idx)
			return 1;
	return 0;
}

/* A datagram as stab.c sends it: `<idx>:<secs>.<3 digits>`, now-ish. */
static int64_t check_packet(const char *b, size_t n)
{
	char t[64], *end;
	unsigned long long idx, secs;
	assert_true(n > 0 && n < sizeof t);
	memcpy(t, b, n);
	t[n] = '\0';
	errno = 0;
	idx = strtoull(t, &end, 10);
	assert_true(end > t && *end == ':' && errno == 0 && t[0] != '-');
	secs = strtoull(end + 1, &end, 10);
	assert_true(*end == '.' && strlen(end + 1) == 3);
	assert_true(end[1] >= '0' && end[1] <= '9' && end[2] >= '0' && end[2] <= '9' && end[3] >= '0' && end[3] <= '9');
	assert_true(llabs((long long)secs - (long long)(port_wall_ms() / 1000)) <= 5);
	return (int64_t)idx;
}

/* Answers what has arrived, as the echo was told to. */
static void echo_serve(void)
{
	char b[256];
	if (e.dup_rounds > 0 && --e.dup_rounds == 0) {
		port_sleep_ms(300); /* a duplicate counted would show as an RTT of 300 ms or more */
		to_agent(e.fd, e.dup_text, strlen(e.dup_text));
	}
	for (;;) {
		e.agent_len = sizeof e.agent;
		ssize_t r = recvfrom(e.fd, b, sizeof b, 0, (struct sockaddr *)&e.agent, &e.agent_len);
		int64_t idx;
		if (r < 0) {
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			return;
		}
		idx = check_packet(b, (size_t)r);
		assert_true(idx > e.last_idx); /* in order, each once */
		assert_true(idx < MAXV);
		e.last_idx = idx;
		e.at[idx] = e.step_now;
		e.got++;
		if (idx == e.garbage_before)
			garbage();
		if ((e.drop_mod && idx % e.drop_mod == e.drop_mod - 1) || withheld(idx))
			continue;
		if (idx == e.foreign_idx || idx == e.both_idx)
			to_agent(e.other, b, (size_t)r);
		if (idx == e.foreign_idx)
			continue;
		to_agent(e.fd, b, (size_t)r);
		if (idx == e.dup_idx) {
			memcpy(e.dup_text, b, (size_t)r);
			e.dup_text[r] = '\0';
			e.dup_rounds = 2;
		}
	}
}

static int setup(void **state)
{
	unsigned port, other;
	memset(&e, 0, sizeof e);
	e.last_idx = e.foreign_idx = e.both_idx = e.dup_idx = e.garbage_before = -1;
	for (size_t i = 0; i < sizeof e.withhold / sizeof e.withhold[0]; i++)
		e.withhold[i] = -1;
	e.fd = bound_udp(&port);
	e.other = bound_udp(&other);
	assert_int_equal(port_addr_parse("127.0.0.1", port, &e.to), PORT_OK);
	return 0;
}

static int teardown(void **state)
{
	stab_stop();
	close(e.fd);
	close(e.other);
	return 0;
}

/* ---- the driver ---------------------------------------------------------- */

static char out[STAB_MSG_MAX];
static jsmntok_t tok[STAB_CHUNK + 64];

struct chunk {
	size_t first, n;  /* its values in vals[first .. first + n) */
	int done;
	double start_ts;
	int64_t interval_ms;
	uint64_t now;     /* when stab_step returned it */
	char error[64];
};
static float vals[MAXV];
static size_t nvals;
static struct chunk chunks[8];
static size_t nchunks;

/* One message read as results_stability reads it, strictly. */
static void take_chunk(const char *m, size_t len, uint64_t now)
{
	struct jsonr r;
	struct chunk *c = &chunks[nchunks];
	int top, obj, k;

	assert_true(nchunks < sizeof chunks / sizeof chunks[0]);
	assert_int_equal(strlen(m), len);
	assert_int_equal(jsonr_parse(&r, m, len, tok, sizeof tok / sizeof tok[0], 8), JSONR_OK);
	top = 0;
	assert_int_equal(jsonr_count(&r, top), 1);
	obj = jsonr_get(&r, top, "stability");
	assert_int_equal(jsonr_type(&r, obj), JSONR_T_OBJECT);
	memset(c, 0, sizeof *c);
	c->first = nvals;
	c->now = now;
	assert_int_equal(jsonr_num_range(&r, jsonr_get(&r, obj, "start_ts"), 0, 1e11, &c->start_ts), JSONR_OK);
	assert_int_equal(jsonr_int(&r, jsonr_get(&r, obj, "interval_ms"), 1, 1000, &c->interval_ms), JSONR_OK);
	assert_int_equal(jsonr_bool(&r, jsonr_get(&r, obj, "done"), &c->done), JSONR_OK);
	if ((k = jsonr_get(&r, obj, "error")) >= 0)
		assert_int_equal(jsonr_str(&r, k, c->error, sizeof c->error, NULL), JSONR_OK);
	k = jsonr_get(&r, obj, "rtts");
	assert_int_equal(jsonr_type(&r, k), JSONR_T_ARRAY);
	assert_true(jsonr_count(&r, k) <= (int)STAB_CHUNK);
	for (int v = jsonr_first(&r, k); v > 0; v = jsonr_after(&r, k, v)) {
		double d;
		assert_true(nvals < MAXV);
		if (jsonr_is_null(&r, v)) {
			vals[nvals++] = NAN;
			continue;
		}
		assert_int_equal(jsonr_num_range(&r, v, 0, 1000, &d), JSONR_OK);
		vals[nvals++] = (float)d;
	}
	c->n = nvals - c->first;
	nchunks++;
}

/* Starts args at now = t0 and steps at every stab_next_wake until the module
 * is idle. jumps holds njumps pairs {at, to}: at the first wake at or after
 * `at`, the clock reads `to` instead (a loop that woke late). */
static void drive(const char *args, uint64_t t0, const uint64_t *jumps, size_t njumps, size_t cap)
{
	char err[128] = "";
	uint64_t now = t0;
	size_t steps = 0, j = 0;

	nvals = nchunks = 0;
	assert_int_equal(stab_start(args, &e.to, t0, err, sizeof err), 0);
	assert_string_equal(err, "");
	assert_true(stab_running());
	assert_true(stab_fd() >= 0);
	assert_int_equal(stab_next_wake(t0), t0);
	while (stab_running()) {
		size_t n;
		uint64_t w;
		assert_true(++steps < 1000000);
		echo_serve();
		e.step_now = now;
		n = stab_step(now, 1, out, cap);
		if (n)
			take_chunk(out, n, now);
		w = stab_next_wake(now);
		if (!stab_running()) {
			assert_true(w == UINT64_MAX);
			break;
		}
		assert_true(w >= now && w != UINT64_MAX);
		now = w;
		if (j < njumps && now >= jumps[2 * j]) {
			now = jumps[2 * j + 1];
			j++;
		}
	}
	echo_serve();
	assert_int_equal(stab_fd(), -1);
	assert_true(stab_next_wake(now) == UINT64_MAX);
	assert_int_equal(stab_step(now, 1, out, cap), 0);
}

static size_t count_null(size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++)
		n += isnan(vals[i]) ? 1 : 0;
	return n;
}

/* ---- tests --------------------------------------------------------------- */

static void test_20ms_1s(void **state)
{
	int64_t before = port_wall_ms(), after;
	drive("20 1", 5000, NULL, 0, sizeof out);
	after = port_wall_ms();
	assert_int_equal(e.got, 50);
	for (int i = 0; i < 50; i++)
		assert_int_equal(e.at[i], 5000 + 20 * i); /* each at its time */
	assert_int_equal(nchunks, 1);
	assert_int_equal(chunks[0].n, 50);
	assert_true(chunks[0].done);
	assert_int_equal(chunks[0].interval_ms, 20);
	assert_string_equal(chunks[0].error, "");
	/* the duration (to 6000), then 1 s of late replies */
	assert_int_equal(chunks[0].now, 7000);
	assert_true(chunks[0].start_ts >= (double)before / 1000 - 0.001 && chunks[0].start_ts <= (double)after / 1000 + 0.001);
	assert_int_equal(count_null(0, 50), 0);
}

static void test_drop_every_10th(void **state)
{
	e.drop_mod = 10;
	drive("20 1", 1, NULL, 0, sizeof out);
	assert_int_equal(e.got, 50);
	assert_int_equal(nvals, 50);
	assert_int_equal(count_null(0, 50), 5);
	for (int i = 9; i < 50; i += 10)
		assert_true(isnan(vals[i]));
}

static void test_foreign_source(void **state)
{
	e.foreign_idx = 7; /* a valid idx from another port: not ours */
	e.both_idx = 8;    /* the stranger first, then the echo: the echo's counts */
	drive("20 1", 1000, NULL, 0, sizeof out);
	assert_int_equal(nvals, 50);
	assert_true(isnan(vals[7]));
	assert_false(isnan(vals[8]));
	assert_int_equal(count_null(0, 50), 1);
}

static void test_duplicate_once(void **state)
{
	e.dup_idx = 5;
	drive("20 1", 1000, NULL, 0, sizeof out);
	assert_int_equal(nvals, 50);
	assert_int_equal(count_null(0, 50), 0);
	assert_true(vals[5] < 300.0f); /* the first reply's, not the late copy's */
}

/* From the echo's own address, before idx 3 is answered: none may count. */
static void garbage(void)
{
	static const char *const g[] = {
		"", "abc", "3", "3:", ":3", "3:abc", "3:1.", "3:.5", "3:1.1234567890", "03:1", "-3:1", "+3:1",
		" 3:1", "3:1 ", "3:1700000000.123\n", "3:1700000000.123.4", "3:1234567890123", "3;1",
		"3:17000000000.123456789xyz", "12345678901:1", "3:1700000000.12345678901234567890",
		"4:1700000000.123",  /* not sent yet */
		"49:1700000000.123", /* not sent yet */
		"9999999999:1",
	};
	for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
		to_agent(e.fd, g[i], strlen(g[i]));
	to_agent(e.fd, "3:1\0", 4);
}

static void test_garbage_ignored(void **state)
{
	e.garbage_before = 3;
	e.withhold[0] = 3;
	e.withhold[1] = 4;
	e.withhold[2] = 49;
	drive("20 1", 1000, NULL, 0, sizeof out);
	assert_int_equal(e.got, 50);
	assert_int_equal(nvals, 50);
	assert_true(isnan(vals[3]) && isnan(vals[4]) && isnan(vals[49]));
	assert_int_equal(count_null(0, 50), 3);
}

/* 1 ms x 25 s: 10 000, 10 000 and 5 000 values; one start_ts for the whole
 * test (the server starts a new test when it changes: agents_stab_add). */
static void test_chunks(void **state)
{
	drive("1 25", 100000, NULL, 0, sizeof out);
	assert_int_equal(e.got, 25000);
	assert_int_equal(nchunks, 3);
	assert_int_equal(chunks[0].n, 10000);
	assert_int_equal(chunks[1].n, 10000);
	assert_int_equal(chunks[2].n, 5000);
	assert_false(chunks[0].done);
	assert_false(chunks[1].done);
	assert_true(chunks[2].done);
	/* each once its last datagram's reply window is over */
	assert_int_equal(chunks[0].now, 100000 + 9999 + 1000);
	assert_int_equal(chunks[1].now, 100000 + 19999 + 1000);
	assert_int_equal(chunks[2].now, 100000 + 25000 + 1000);
	for (size_t i = 0; i < 3; i++) {
		assert_true(chunks[i].start_ts == chunks[0].start_ts);
		assert_int_equal(chunks[i].interval_ms, 1);
	}
	assert_int_equal(nvals, 25000);
	assert_int_equal(count_null(0, 25000), 0);
}

/* A late wake-up: what is within the reply window is sent, 100 a step;
 * what is more than a window overdue is skipped as lost. */
static void test_catch_up(void **state)
{
	/* t0 = 1000; at the wake for idx 1 the clock reads 1500 (idx 1..500
	 * due), later at the wake for idx 501 it reads 2800 (idx 501..799 more
	 * than 1 s overdue, 800..1800 due) */
	const uint64_t jumps[] = { 1001, 1500, 1501, 2800 };
	drive("1 2", 1000, jumps, 2, sizeof out);
	assert_int_equal(nvals, 2000);
	assert_int_equal(e.got, 2000 - 299);
	for (int i = 0; i < 2000; i++) {
		if (i >= 501 && i < 800) {
			assert_true(isnan(vals[i]));
			assert_int_equal(e.at[i], 0);
		} else {
			assert_false(isnan(vals[i]));
		}
	}
	assert_int_equal(e.at[1], 1500);
	assert_int_equal(e.at[500], 1500);
	assert_int_equal(e.at[800], 2800);
	assert_int_equal(e.at[1800], 2800);
	assert_int_equal(e.at[1801], 2801);
	assert_int_equal(chunks[0].now, 1000 + 2000 + 1000);
}

static void test_small_buffer(void **state)
{
	drive("20 1", 1000, NULL, 0, 256);
	assert_int_equal(nchunks, 1);
	assert_true(chunks[0].done);
	assert_int_equal(chunks[0].n, 0);
	assert_string_equal(chunks[0].error, "result buffer too small");
}

static void refused(const char *args, const char *why)
{
	char err[160] = "";
	assert_int_equal(stab_start(args, &e.to, 1000, err, sizeof err), -1);
	if (!strstr(err, why))
		fail_msg("\"%s\": \"%s\" has no \"%s\"", args ? args : "(null)", err, why);
	assert_false(stab_running());
	assert_int_equal(stab_fd(), -1);
}

static void test_bad_args(void **state)
{
	char err[160] = "";
	refused("0 10", "bad interval \"0\"");
	refused("10 0", "bad duration \"0\"");
	refused("5 864000", "bad duration \"864000\"");
	refused("-1 5", "bad interval \"-1\"");
	refused("abc 5", "bad interval \"abc\"");
	refused("10", "usage");
	refused("10 5 x", "usage");
	refused("1e3 5", "bad interval \"1e3\"");
	refused("1001 5", "bad interval");
	refused("10 86401", "bad duration");
	refused("+5 5", "bad interval");
	refused("5.0 5", "bad interval");
	refused("5 1.5", "bad duration");
	refused("0x10 5", "bad interval");
	refused("99999999999999999999 5", "bad interval");
	refused("5 5\"", "bad duration \"5?\"");
	refused("", "usage");
	refused(NULL, "usage");
	assert_int_equal(stab_start("10 5", NULL, 1000, err, sizeof err), -1);
	assert_false(stab_running());
	/* the limits themselves are fine; a second test is refused */
	assert_int_equal(stab_start("1000 86400", &e.to, 1000, err, sizeof err), 0);
	assert_true(stab_running());
	err[0] = '\0';
	assert_int_equal(stab_start("20 1", &e.to, 1000, err, sizeof err), -1);
	assert_string_equal(err, "a stability test is already running");
	assert_true(stab_running());
	stab_stop();
	assert_false(stab_running());
	assert_int_equal(stab_fd(), -1);
	assert_int_equal(stab_start(" 1  1 ", &e.to, 1000, err, sizeof err), 0);
	stab_stop();
}

static void test_stop_midway(void **state)
{
	char err[64];
	assert_int_equal(stab_start("10 5", &e.to, 0, err, sizeof err), 0);
	for (uint64_t now = 0; now < 100; now += 10)
		assert_int_equal(stab_step(now, 1, out, sizeof out), 0);
	stab_stop();
	assert_false(stab_running());
	assert_true(stab_next_wake(100) == UINT64_MAX);
	assert_int_equal(stab_step(110, 1, out, sizeof out), 0);
	echo_serve(); /* the first test's 10 datagrams, answered to a closed socket */
	assert_int_equal(e.got, 10);
	/* a new test starts afresh */
	e.last_idx = -1;
	e.got = 0;
	drive("20 1", 200, NULL, 0, sizeof out);
	assert_int_equal(nvals, 50);
	assert_int_equal(count_null(0, 50), 0);
}

static void test_addr_equal(void **state)
{
	struct port_addr a, b, c, d;
	assert_int_equal(port_addr_parse("127.0.0.1", 9999, &a), PORT_OK);
	assert_int_equal(port_addr_parse("::ffff:127.0.0.1", 9999, &b), PORT_OK);
	assert_int_equal(port_addr_parse("127.0.0.1", 9998, &c), PORT_OK);
	assert_int_equal(port_addr_parse("::1", 9999, &d), PORT_OK);
	assert_true(port_addr_equal(&a, &a));
	assert_true(port_addr_equal(&a, &b));
	assert_false(port_addr_equal(&a, &c));
	assert_false(port_addr_equal(&a, &d));
	memset(&c, 0, sizeof c);
	assert_false(port_addr_equal(&a, &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_20ms_1s, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_every_10th, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_midway, setup, teardown),
		cmocka_unit_test(test_addr_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
