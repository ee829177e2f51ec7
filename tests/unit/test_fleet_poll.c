/* test_fleet_poll.c — agent-min/fleet_poll.c's cadence and rests, without
 * timing anything: a NUT server that accepts and never answers is asked
 * once, then rests (its listener sees no second connection); an absent
 * engine socket rests a minute; a Docker reply cut short gives no key;
 * a textfile over the 64 KiB cap loses its cut line, a FIFO is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-min/fleet_poll.h"

static struct fleet_poll fp;
static struct fleet f;

static void cfg_none(struct fleet_cfg *c)
{
	fleet_cfg_defaults(c);
	strcpy(c->docker_socket, "0");
	strcpy(c->nut, "0");
	strcpy(c->apcupsd, "0");
	c->smart = c->units = 0;
}

/* Connections waiting in a listener's queue, without taking them. */
static int pending(int ls)
{
	struct pollfd p = {ls, POLLIN, 0};
	return poll(&p, 1, 0) == 1;
}

static void test_silent_nut(void **state)
{
	struct fleet_cfg c;
	struct sockaddr_in si;
	socklen_t sl = sizeof(si);
	int ls = socket(AF_INET, SOCK_STREAM, 0), cs;
	(void)state;
	memset(&si, 0, sizeof(si));
	si.sin_family = AF_INET;
	si.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&si, sizeof(si)), 0);
	assert_int_equal(listen(ls, 8), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&si, &sl), 0);
	cfg_none(&c);
	snprintf(c.nut, sizeof(c.nut), "127.0.0.1:%u/ups", (unsigned)ntohs(si.sin_port));
	fleet_poll_init(&fp, &c);
	assert_int_equal(fp.nut_on, 1);
	assert_string_equal(fp.nut_ups, "ups");
	fleet_poll(&fp, &f, 50); /* the kernel completes the handshake: connected, then silence */
	assert_int_equal(f.has_ups, 0);
	assert_true(fp.nut_rest_until > port_mono_ms() + 60000);
	assert_true(pending(ls));
	cs = accept(ls, NULL, NULL);
	assert_true(cs >= 0);
	close(cs);
	/* the next cycles ask nothing */
	for (int i = 0; i < 5; i++)
		fleet_poll(&fp, &f, 50);
	assert_false(pending(ls));
	assert_int_equal(f.has_ups, 0);
	close(ls);
}

static void test_absent_engine(void **state)
{
	struct fleet_cfg c;
	(void)state;
	cfg_none(&c);
	strcpy(c.docker_socket, "/nonexistent/docker.sock");
	fleet_poll_init(&fp, &c);
	fleet_poll(&fp, &f, 50);
	assert_int_equal(f.has_containers, 0);
	assert_true(fp.dk_rest_until >= port_mono_ms() + 50000);
	/* "0": off, never tried */
	strcpy(c.docker_socket, "0");
	fleet_poll_init(&fp, &c);
	assert_int_equal(fp.dk_on, 0);
}

static int dk_ls;
static const char *dk_reply;

static void *serve_once(void *arg)
{
	char req[1024];
	int c = accept(dk_ls, NULL, NULL);
	(void)arg;
	if (c >= 0) {
		if (read(c, req, sizeof(req)) > 0 && write(c, dk_reply, strlen(dk_reply)) < 0) {
		}
		close(c);
	}
	return NULL;
}

static void test_truncated_engine(void **state)
{
	struct fleet_cfg c;
	struct sockaddr_un su;
	pthread_t t;
	(void)state;
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	snprintf(su.sun_path, sizeof(su.sun_path), "/tmp/monbot-fleet-poll-%d.sock", (int)getpid());
	unlink(su.sun_path);
	dk_ls = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(dk_ls, (struct sockaddr *)&su, sizeof(su)), 0);
	assert_int_equal(listen(dk_ls, 4), 0);
	/* a Content-Length longer than what comes before the close */
	dk_reply = "HTTP/1.0 200 OK\r\nContent-Length: 120\r\n\r\n[{\"Id\":\"aa\",\"Names\":[\"/web\"],\"State\":\"runn";
	assert_int_equal(pthread_create(&t, NULL, serve_once, NULL), 0);
	cfg_none(&c);
	snprintf(c.docker_socket, sizeof(c.docker_socket), "%s", su.sun_path);
	fleet_poll_init(&fp, &c);
	fleet_poll(&fp, &f, 2000);
	pthread_join(t, NULL);
	assert_int_equal(f.has_containers, 0);
	/* the whole JSON, but not a list */
	dk_reply = "HTTP/1.0 200 OK\r\nContent-Length: 15\r\n\r\n{\"message\":\"x\"}";
	assert_int_equal(pthread_create(&t, NULL, serve_once, NULL), 0);
	fleet_poll(&fp, &f, 2000);
	pthread_join(t, NULL);
	assert_int_equal(f.has_containers, 0);
	/* an engine that accepts and never answers: one budget, then rest */
	dk_reply = NULL;
	fleet_poll(&fp, &f, 50);
	assert_int_equal(f.has_containers, 0);
	assert_true(fp.dk_rest_until >= port_mono_ms() + 50000);
	{
		int cs = accept(dk_ls, NULL, NULL); /* the one connection it made */
		assert_true(cs >= 0);
		close(cs);
	}
	fp.dk_rest_until = 0;
	/* and one that is: the key, an empty list */
	dk_reply = "HTTP/1.0 200 OK\r\n\r\n[]";
	assert_int_equal(pthread_create(&t, NULL, serve_once, NULL), 0);
	fleet_poll(&fp, &f, 2000);
	pthread_join(t, NULL);
	assert_int_equal(f.has_containers, 1);
	assert_int_equal(f.ncontainers, 0);
	close(dk_ls);
	unlink(su.sun_path);
}

static void test_textfile_caps(void **state)
{
	struct fleet_cfg c;
	char dir[64], path[128];
	FILE *o;
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/monbot-fleet-tf-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/big.prom", dir);
	o = fopen(path, "w");
	assert_non_null(o);
	fprintf(o, "first 1\n");
	/* the 64 KiB cap falls inside "cut_here 2": that line is dropped */
	for (int i = 0; i < FP_TEXT_MAX - 8 - 5; i++)
		fputc(i % 64 == 63 ? '\n' : '#', o);
	fprintf(o, "\ncut_here 2\nlast 3\n");
	fclose(o);
	snprintf(path, sizeof(path), "%s/pipe.prom", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	cfg_none(&c);
	snprintf(c.textfile_dir, sizeof(c.textfile_dir), "%s", dir);
	fleet_poll_init(&fp, &c);
	fleet_poll(&fp, &f, 50);
	assert_int_equal(f.has_custom, 1);
	assert_int_equal(f.ncustom, 1);
	assert_string_equal(f.custom[0].key, "first");
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.prom", dir);
	unlink(path);
	rmdir(dir);
	/* a directory that is not there: no key */
	fleet_poll(&fp, &f, 50);
	assert_int_equal(f.has_custom, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_nut),
		cmocka_unit_test(test_absent_engine),
		cmocka_unit_test(test_truncated_engine),
		cmocka_unit_test(test_textfile_caps),
	};
	port_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
