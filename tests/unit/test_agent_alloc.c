/* No heap allocation per sampling cycle (SPEC §4, STYLE "the agent calls no
 * malloc after start-up"). After port_init and a first cycle, 1000 cycles
 * (collect_sample + sample_to_json into a static buffer; every 10th a full
 * one: process baseline, then a sample with top processes) must make no
 * malloc/calloc/realloc/free call, neither from our objects (linker --wrap,
 * every build) nor inside the C library (malloc replaced, not under ASan):
 * see alloc_count.c. Runs on the live /proc and on every fixture root under
 * tests/fixtures (MONBOT_FIXTURES) that has proc/stat. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <execinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-min/collect.h"
#include "agent-min/fleet_poll.h"
#include "port/port.h"
#include "tests/unit/agent_cycle.h"
#include "tests/unit/alloc_count.h"
#include "wire/sample.h"

#define CYCLES 1000

static struct collector coll;
static struct sample smp;
static char json[16384 + FLEET_JSON_MAX];

static void one_cycle(int i)
{
	assert_int_equal(agent_cycle(&coll, &smp, json, sizeof(json), i), JSON_OK);
}

/* port_init and the first cycle may allocate (start-up); then none. */
static void run_cycles(const char *root)
{
	void *warm[4];
	backtrace(warm, 4); /* loads libgcc's unwinder now, not in the window */
	assert_int_equal(port_init(root), PORT_OK);
	collect_init(&coll, NULL);
	one_cycle(0);
	assert_true(smp.ndisks >= 0 && strlen(json) > 2);
	alloc_wrap_calls = alloc_libc_calls = 0;
	alloc_counting = 1;
	for (int i = 1; i <= CYCLES; i++)
		one_cycle(i);
	alloc_counting = 0;
	port_fini();
	print_message("# %s: %lu calls from our code (--wrap), %lu in all (%s)\n", root ? root : "live /proc",
	              alloc_wrap_calls, alloc_libc_calls, alloc_replaced ? "malloc replaced" : "not counted: ASan build");
	assert_int_equal(alloc_wrap_calls, 0);
	assert_int_equal(alloc_libc_calls, 0);
}

/* The counters see what they must: a malloc in our code (both), one made
 * inside the C library (the replaced malloc only). */
static void test_counters_work(void **state)
{
	FILE *f;
	char *volatile p;
	(void)state;
	alloc_quiet = 1; /* no backtraces for these */
	alloc_wrap_calls = alloc_libc_calls = 0;
	alloc_counting = 1;
	p = malloc(16);
	free(p);
	f = fopen("/proc/self/stat", "r");
	if (f)
		fclose(f);
	alloc_counting = 0;
	alloc_quiet = 0;
	print_message("# self-check: %lu calls seen through --wrap, %lu by the replaced malloc\n", alloc_wrap_calls, alloc_libc_calls);
	assert_int_equal(alloc_wrap_calls, 2);
	if (alloc_replaced)
		assert_true(alloc_libc_calls >= 4); /* malloc, free, fopen's FILE and its free */
}

static void test_live(void **state)
{
	(void)state;
	run_cycles(NULL);
}

/* Fixture roots: any directory up to three levels under the fixtures folder
 * that holds proc/stat. */
static char roots[64][512];
static int nroots;

static void find_roots(const char *dir, int depth)
{
	char path[512];
	struct stat st;
	DIR *d;
	struct dirent *e;
	if (depth > 3 || nroots >= 64)
		return;
	if (snprintf(path, sizeof(path), "%s/proc/stat", dir) < (int)sizeof(path) && stat(path, &st) == 0) {
		snprintf(roots[nroots++], sizeof(roots[0]), "%s", dir);
		return;
	}
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			find_roots(path, depth + 1);
	}
	closedir(d);
}

static void test_fixtures(void **state)
{
	const char *top = getenv("MONBOT_FIXTURES");
	(void)state;
	find_roots(top && *top ? top : "tests/fixtures", 0);
	if (nroots == 0) {
		/* Not cmocka's skip(): its TAP line reads "not ok". */
		print_message("# no fixture root with proc/stat under tests/fixtures: nothing to run\n");
		return;
	}
	for (int i = 0; i < nroots; i++)
		run_cycles(roots[i]);
}

/* ---- the fleet collectors on: a Docker Engine and a NUT server on
 * threads of this process that allocate nothing (canned replies, made
 * before counting), the textfile fixture, busctl and smartctl asked on
 * PATH (there or not). Every source's cadence is forced each cycle. */

static struct fleet_poll fpoll;
static struct fleet fleet;
static char dk_list[8192], dk_stats[1024], dk_insp[512], nut_ups[256], nut_vars[1024];

static void *serve(void *arg)
{
	int ls = *(int *)arg;
	char req[2048];
	for (;;) {
		int c = accept(ls, NULL, NULL);
		ssize_t n;
		const char *r;
		if (c < 0)
			return NULL;
		n = read(c, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = '\0';
		r = strstr(req, "/containers/json") ? dk_list : strstr(req, "/stats") ? dk_stats
		  : strstr(req, "GET ") ? dk_insp : strstr(req, "LIST UPS") ? nut_ups : nut_vars;
		if (write(c, r, strlen(r)) < 0)
			break;
		close(c);
	}
	return NULL;
}

static void http_reply(char *out, size_t cap, const char *body)
{
	snprintf(out, cap, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	         strlen(body), body);
}

static void test_fleet_on(void **state)
{
	static char body[4096];
	struct fleet_cfg cfg;
	struct sockaddr_un su;
	struct sockaddr_in si;
	socklen_t sl = sizeof(si);
	static int dk_fd, nut_fd;
	pthread_t t1, t2;
	size_t len, o = 0;
	(void)state;
	o += (size_t)snprintf(body + o, sizeof(body) - o, "[");
	for (int i = 0; i < 5; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		                      "%s{\"Id\":\"%064d\",\"Names\":[\"/c%d\"],\"State\":\"running\",\"Status\":\"Up (healthy)\"}",
		                      i ? "," : "", i, i);
	snprintf(body + o, sizeof(body) - o, "]");
	http_reply(dk_list, sizeof(dk_list), body);
	http_reply(dk_stats, sizeof(dk_stats),
	           "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":1000},\"system_cpu_usage\":90000},"
	           "\"memory_stats\":{\"usage\":52428800,\"stats\":{\"inactive_file\":10485760}}}");
	http_reply(dk_insp, sizeof(dk_insp), "{\"RestartCount\":2}");
	snprintf(nut_ups, sizeof(nut_ups), "BEGIN LIST UPS\nUPS ups \"x\"\nEND LIST UPS\n");
	snprintf(nut_vars, sizeof(nut_vars), "BEGIN LIST VAR ups\nVAR ups battery.charge \"87\"\n"
	                                     "VAR ups ups.status \"OL\"\nEND LIST VAR ups\n");

	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	snprintf(su.sun_path, sizeof(su.sun_path), "/tmp/monbot-alloc-%d.sock", (int)getpid());
	unlink(su.sun_path);
	dk_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(dk_fd, (struct sockaddr *)&su, sizeof(su)), 0);
	assert_int_equal(listen(dk_fd, 16), 0);
	nut_fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&si, 0, sizeof(si));
	si.sin_family = AF_INET;
	si.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(nut_fd, (struct sockaddr *)&si, sizeof(si)), 0);
	assert_int_equal(listen(nut_fd, 16), 0);
	assert_int_equal(getsockname(nut_fd, (struct sockaddr *)&si, &sl), 0);
	assert_int_equal(pthread_create(&t1, NULL, serve, &dk_fd), 0);
	assert_int_equal(pthread_create(&t2, NULL, serve, &nut_fd), 0);

	fleet_cfg_defaults(&cfg);
	snprintf(cfg.docker_socket, sizeof(cfg.docker_socket), "%s", su.sun_path);
	snprintf(cfg.nut, sizeof(cfg.nut), "127.0.0.1:%u", (unsigned)ntohs(si.sin_port));
	snprintf(cfg.apcupsd, sizeof(cfg.apcupsd), "127.0.0.1:1"); /* refused */
	snprintf(cfg.textfile_dir, sizeof(cfg.textfile_dir), "tests/fixtures/fleet/textfile");
	assert_int_equal(port_init(NULL), PORT_OK);
	fleet_poll_init(&fpoll, &cfg);
	collect_init(&coll, NULL);
	fleet_poll(&fpoll, &fleet, 2000);
	one_cycle(0);
	assert_int_equal(fleet.ncontainers, 5);
	assert_true(fleet.has_ups && fleet.ups.charge == 87);
	assert_true(fleet.has_custom && fleet.ncustom == 3);
	alloc_wrap_calls = alloc_libc_calls = 0;
	alloc_counting = 1;
	for (int i = 1; i <= 200; i++) {
		fpoll.ups_next = fpoll.units_next = fpoll.smart_next = 0;
		fpoll.nut_rest_until = fpoll.apc_rest_until = 0;
		one_cycle(i);
		fleet_poll(&fpoll, &fleet, 200);
		assert_int_equal(fleet_sample_to_json(&smp, &fleet, json, sizeof(json), &len), JSON_OK);
	}
	alloc_counting = 0;
	fleet_poll_stop(&fpoll);
	port_fini();
	print_message("# fleet on (5 containers, NUT, textfile, busctl/smartctl tried): %lu calls from our code, "
	              "%lu in all (%s); last sample %zu bytes\n", alloc_wrap_calls, alloc_libc_calls,
	              alloc_replaced ? "malloc replaced" : "not counted: ASan build", len);
	assert_int_equal(fleet.ncontainers, 5);
	assert_true(!isnan(fleet.containers[0].mem));
	assert_int_equal(alloc_wrap_calls, 0);
	assert_int_equal(alloc_libc_calls, 0);
	close(dk_fd);
	close(nut_fd);
	unlink(su.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_work),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fleet_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
