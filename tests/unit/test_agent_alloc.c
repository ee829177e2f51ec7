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
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "tests/unit/agent_cycle.h"
#include "tests/unit/alloc_count.h"
#include "wire/sample.h"

#define CYCLES 1000

static struct collector coll;
static struct sample smp;
static char json[65536];

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_work),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_fixtures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
