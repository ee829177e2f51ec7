/* Unit tests for port/posix/child.c and port_waitv: output and exit status,
 * stderr merged into stdout, stdin at end of file, a program missing from
 * PATH, the names of drop_env left out of the child's environment, a kill
 * reaching the child's own children, and waiting on two pipes at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port/port.h"

static char out[65536];

/* Reads everything the child prints, then its exit status. */
static size_t run(const char *const argv[], const char *const drop[], int *code)
{
	struct port_child c;
	size_t len = 0, n;
	int os_err = 0;
	assert_int_equal(port_child_start(&c, argv, drop, &os_err), PORT_OK);
	for (;;) {
		struct port_pollfd p = { c.fd, PORT_WAIT_READ, 0 };
		int rc = port_child_read(&c, out + len, sizeof(out) - 1 - len, &n, &os_err);
		if (rc == PORT_EAGAIN) {
			assert_int_equal(port_waitv(&p, 1, 5000, &os_err), PORT_OK);
			assert_true(p.ready & PORT_WAIT_READ);
			continue;
		}
		assert_int_equal(rc, PORT_OK);
		if (n == 0)
			break;
		len += n;
	}
	assert_int_equal(c.fd, -1);
	assert_int_equal(port_child_reap(&c, 1, code, &os_err), PORT_OK);
	assert_true(c.pid == 0);
	out[len] = '\0';
	return len;
}

static void test_output_and_status(void **state)
{
	static const char *const echo[] = { "printf", "a%sb\\n", "x", NULL };
	static const char *const both[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	static const char *const cat[] = { "cat", NULL };
	int code = -1;
	(void)state;
	assert_int_equal(run(echo, NULL, &code), 4);
	assert_string_equal(out, "axb\n");
	assert_int_equal(code, 0);
	run(both, NULL, &code);
	assert_string_equal(out, "out\nerr\n");
	assert_int_equal(code, 3);
	/* stdin is /dev/null: cat ends at once */
	assert_int_equal(run(cat, NULL, &code), 0);
	assert_int_equal(code, 0);
}

static void test_missing(void **state)
{
	static const char *const none[] = { "monbot-no-such-program", NULL };
	struct port_child c;
	int os_err = 0;
	(void)state;
	assert_int_equal(port_child_start(&c, none, NULL, &os_err), PORT_ENOTAVAIL);
	assert_true(c.pid == 0 && c.fd == -1);
}

static void test_drop_env(void **state)
{
	static const char *const env[] = { "env", NULL };
	static const char *const drop[] = { "AGENT_SECRET", NULL };
	int code = -1;
	(void)state;
	setenv("AGENT_SECRET", "s3cret", 1);
	setenv("MONBOT_KEEP_ME", "1", 1);
	run(env, drop, &code);
	assert_int_equal(code, 0);
	assert_null(strstr(out, "s3cret"));
	assert_non_null(strstr(out, "MONBOT_KEEP_ME=1\n"));
	/* the parent's own environment is untouched */
	assert_string_equal(getenv("AGENT_SECRET"), "s3cret");
}

/* A child still running while another ends: waiting on both pipes wakes
 * for the one that printed; the kill (of the process group: the shell's
 * sleep holds the pipe too) ends the other with SIGKILL. */
static void test_kill_group(void **state)
{
	static const char *const sh[] = { "sh", "-c", "sleep 100; echo never", NULL };
	static const char *const quick[] = { "sh", "-c", "echo hi", NULL };
	struct port_child c, q;
	struct port_pollfd p[3];
	size_t n;
	int os_err = 0, code = 0, rc;
	(void)state;
	assert_int_equal(port_child_start(&c, sh, NULL, &os_err), PORT_OK);
	assert_int_equal(port_child_start(&q, quick, NULL, &os_err), PORT_OK);
	/* two pipes and a skipped entry: only the quick one becomes readable */
	p[0] = (struct port_pollfd){ c.fd, PORT_WAIT_READ, 0 };
	p[1] = (struct port_pollfd){ -1, PORT_WAIT_READ, 7 };
	p[2] = (struct port_pollfd){ q.fd, PORT_WAIT_READ, 0 };
	assert_int_equal(port_waitv(p, 3, 5000, &os_err), PORT_OK);
	assert_int_equal(p[0].ready, 0);
	assert_int_equal(p[1].ready, 0);
	assert_int_equal(p[2].ready, PORT_WAIT_READ);
	while ((rc = port_child_read(&q, out, sizeof(out), &n, &os_err)) == PORT_OK && n > 0)
		;
	assert_int_equal(port_child_reap(&q, 1, &code, &os_err), PORT_OK);
	assert_int_equal(port_child_read(&c, out, sizeof(out), &n, &os_err), PORT_EAGAIN);
	assert_int_equal(port_child_reap(&c, 0, &code, &os_err), PORT_EAGAIN);
	port_child_kill(&c);
	assert_int_equal(port_child_reap(&c, 1, &code, &os_err), PORT_OK);
	assert_int_equal(code, -SIGKILL);
	assert_int_equal(c.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_drop_env),
		cmocka_unit_test(test_kill_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
