/* test_udpecho.c — server/net/udpecho.c: which datagrams the stability
 * test's echo answers (format, size, own and privileged source ports, the
 * per-source rate with given times, the bounded source table) and a real
 * socket on 127.0.0.1 answering with the exact bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/metrics.h"
#include "server/net/udpecho.h"

static struct sockaddr_in from4(const char *ip, unsigned port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static enum udpecho_verdict judge(struct udpecho *e, const char *ip, unsigned port,
                                  const char *msg, uint64_t now)
{
	struct sockaddr_in a = from4(ip, port);
	return udpecho_judge(e, (struct sockaddr *)&a, msg, strlen(msg), now);
}

static void test_format(void **state)
{
	static const char *const good[] = {
		"0:1700000000.123456", "12:1700000000", "4294967295:1700000000.1234567",
		"7:123.456", "0:0", "1234567890:123456789012.123456789",
	};
	static const char *const bad[] = {
		"", ":1", "1:", "1:2.", "a:1", "1:2.3x", "1:2:3", "1;2", " 1:2", "1:2 ", "1:2\n",
		"12345678901:1", "1:1234567890123", "1:1.1234567890", "-1:2", "1:-2", "1:1e9",
		"1:.5", "1:2..3",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(udpecho_well_formed(good[i], strlen(good[i])), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(udpecho_well_formed(bad[i], strlen(bad[i])), 0);
	/* the longest well-formed one is exactly UDPECHO_MAX_LEN */
	assert_int_equal(strlen(good[5]), UDPECHO_MAX_LEN);
}

static void test_sources(void **state)
{
	static char big[65000];
	struct udpecho e;
	struct sockaddr_in a = from4("127.0.0.1", 40000);
	(void)state;
	metrics_reset();
	udpecho_init(&e, 0);
	e.port = 9999;
	/* from the echo's own port: a spoofed datagram would make it answer itself */
	assert_int_equal(judge(&e, "127.0.0.1", 9999, "1:1700000000.5", 1000), UDPECHO_REF_LOOP);
	assert_int_equal(judge(&e, "192.0.2.7", 9999, "1:1700000000.5", 1000), UDPECHO_REF_LOOP);
	assert_int_equal(judge(&e, "192.0.2.7", 7, "1:1700000000.5", 1000), UDPECHO_REF_PRIVILEGED);
	assert_int_equal(judge(&e, "192.0.2.7", 1023, "1:1700000000.5", 1000), UDPECHO_REF_PRIVILEGED);
	assert_int_equal(judge(&e, "192.0.2.7", 0, "1:1700000000.5", 1000), UDPECHO_REF_PRIVILEGED);
	assert_int_equal(judge(&e, "192.0.2.7", 1024, "1:1700000000.5", 1000), UDPECHO_ANSWER);
	assert_int_equal(judge(&e, "192.0.2.7", 40000, "hello", 1000), UDPECHO_REF_FORMAT);
	memset(big, '1', sizeof(big));
	big[1] = ':';
	assert_int_equal(udpecho_judge(&e, (struct sockaddr *)&a, big, sizeof(big), 1000),
	                 UDPECHO_REF_SIZE);
	assert_int_equal(udpecho_judge(&e, (struct sockaddr *)&a, big, UDPECHO_MAX_LEN + 1, 1000),
	                 UDPECHO_REF_SIZE);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_LOOP - 1], 2);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_PRIVILEGED - 1], 3);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_FORMAT - 1], 1);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_SIZE - 1], 2);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_RATE - 1], 0);
}

static int burst(struct udpecho *e, const char *ip, int n, uint64_t now)
{
	int answered = 0;
	for (int i = 0; i < n; i++)
		answered += judge(e, ip, 40000, "3:1700000000.25", now) == UDPECHO_ANSWER;
	return answered;
}

static void test_rate(void **state)
{
	struct udpecho e;
	char ip[32];
	(void)state;
	metrics_reset();
	udpecho_init(&e, 5);
	e.port = 9999;
	assert_int_equal(burst(&e, "192.0.2.1", 12, 1000), 5);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_RATE - 1], 7);
	/* another source has its own bucket */
	assert_int_equal(burst(&e, "192.0.2.2", 6, 1000), 5);
	/* at 5/s, 199 ms is not a whole token, 200 ms is one (the fraction kept) */
	assert_int_equal(burst(&e, "192.0.2.1", 3, 1199), 0);
	assert_int_equal(burst(&e, "192.0.2.1", 3, 1200), 1);
	assert_int_equal(burst(&e, "192.0.2.1", 3, 1399), 0);
	assert_int_equal(burst(&e, "192.0.2.1", 3, 1400), 1);
	/* a long pause refills to the burst, no more */
	assert_int_equal(burst(&e, "192.0.2.1", 9, 60000), 5);
	/* the table is bounded: 64 other sources push the least recent out,
	 * and it comes back with a full bucket */
	for (int i = 0; i < UDPECHO_SOURCES; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i + 1);
		assert_int_equal(burst(&e, ip, 1, 60001 + (uint64_t)i), 1);
	}
	assert_int_equal(burst(&e, "192.0.2.1", 9, 60100), 5);
}

static void test_socket(void **state)
{
	static char big[65000];
	struct udpecho e;
	struct sockaddr_in to;
	char err[256], got[2048];
	const char msg[] = "42:1700000000.654321";
	int c;
	ssize_t r;
	(void)state;
	metrics_reset();
	udpecho_init(&e, 100);
	assert_true(udpecho_open(&e, "127.0.0.1", 0, err, sizeof(err)) >= 0);
	assert_true(e.port >= 1024);
	c = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(c >= 0);
	to = from4("127.0.0.1", e.port);
	memset(big, '7', sizeof(big));
	big[2] = ':';
	/* loopback delivery is done when sendto returns */
	assert_int_equal(sendto(c, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)sizeof(big));
	assert_int_equal(sendto(c, "nope", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	assert_int_equal(sendto(c, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)strlen(msg));
	assert_int_equal(udpecho_serve(&e, 256, 5000), 3);
	r = recv(c, got, sizeof(got), MSG_DONTWAIT);
	assert_int_equal(r, (ssize_t)strlen(msg));
	assert_memory_equal(got, msg, strlen(msg));
	r = recv(c, got, sizeof(got), MSG_DONTWAIT);
	assert_int_equal(r, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	assert_int_equal(mx.udp_echoed, 1);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_SIZE - 1], 1);
	assert_int_equal(mx.udp_refused[UDPECHO_REF_FORMAT - 1], 1);
	close(c);
	udpecho_close(&e);
	assert_int_equal(e.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
