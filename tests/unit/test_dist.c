/* test_dist.c — server/dist.c: the agent binaries read at start, the
 * install script's host taken from a Host header only when it is plain
 * (it goes into a shell script), the pinned install command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/dist.h"

static char dir[64];
static char script[DIST_SCRIPT_MAX];

static void put(const char *name, const char *data, size_t n)
{
	char p[128];
	FILE *f;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static int setup(void **st)
{
	strcpy(dir, "/tmp/test_dist.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void pin(struct dist *d)
{
	uint8_t fp[32], spki[32];
	memset(fp, 0xab, sizeof(fp));
	memset(spki, 0, sizeof(spki));
	dist_set_pin(d, fp, spki);
}

static void test_load_and_find(void **st)
{
	struct dist d;
	char err[256];
	dist_init(&d);
	put("monbot-agent-mips", "MIPS", 4);
	put("monbot-agent-x86_64", "X86", 3);
	put("monbot-agent-sparc", "no", 2); /* not a board: not served */
	assert_int_equal(dist_load(&d, dir, "srv.example", 8443, 1, err, sizeof(err)), 0);
	assert_int_equal(d.n, 2);
	assert_true(dist_enabled(&d));
	assert_int_equal(dist_find(&d, "mips")->len, 4);
	assert_memory_equal(dist_find(&d, "x86_64")->data, "X86", 3);
	assert_null(dist_find(&d, "sparc"));
	assert_null(dist_find(&d, "arm64"));
	dist_free(&d);
	assert_int_equal(d.n, 0);
}

static void test_load_errors(void **st)
{
	struct dist d;
	char err[256];
	dist_init(&d);
	assert_int_equal(dist_load(&d, "", "h", 1, 1, err, sizeof(err)), 0);
	assert_false(dist_enabled(&d));
	assert_int_equal(dist_load(&d, "/nonexistent/dist", "h", 1, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "AGENT_DIST_DIR"));
	put("monbot-agent-armhf", "", 0);
	dist_init(&d);
	assert_int_equal(dist_load(&d, dir, "h", 1, 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "monbot-agent-armhf"));
	dist_free(&d);
	unlink(strcat(strcpy((char[96]){ 0 }, dir), "/monbot-agent-armhf"));
}

static void script_for(struct dist *d, const char *host)
{
	size_t n = 0;
	assert_int_equal(dist_script(d, host, script, sizeof(script), &n), 0);
	assert_int_equal(strlen(script), n);
	assert_true(strncmp(script, "#!/bin/sh\n", 10) == 0);
}

static void test_script_host(void **st)
{
	struct dist d;
	char err[256];
	dist_init(&d);
	put("monbot-agent-x86_64", "X86", 3);
	assert_int_equal(dist_load(&d, dir, "srv.example", 8443, 1, err, sizeof(err)), 0);
	pin(&d);
	script_for(&d, "10.0.0.1:9000");
	assert_non_null(strstr(script, "url='https://10.0.0.1:9000' host='10.0.0.1' port='9000' tls='1' "
	                                "pin='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' fp='abab"));
	script_for(&d, "[fd00::1]:9000");
	assert_non_null(strstr(script, "url='https://[fd00::1]:9000' host='fd00::1' port='9000'"));
	script_for(&d, "monbot.lan");
	assert_non_null(strstr(script, "host='monbot.lan' port='8443'"));
	/* a Host header that could break out of the quotes: the configured name */
	script_for(&d, "x';reboot;'");
	assert_non_null(strstr(script, "url='https://srv.example:8443' host='srv.example' port='8443'"));
	assert_null(strstr(script, "reboot;"));
	script_for(&d, "");
	assert_non_null(strstr(script, "host='srv.example'"));
	dist_free(&d);
}

static void test_command(void **st)
{
	struct dist d;
	char err[256], line[512];
	dist_init(&d);
	assert_int_equal(dist_command(&d, "k", line, sizeof(line)), -1); /* nothing to serve */
	put("monbot-agent-x86_64", "X86", 3);
	assert_int_equal(dist_load(&d, dir, "srv.example", 8443, 1, err, sizeof(err)), 0);
	pin(&d);
	assert_int_equal(dist_command(&d, "AbCdEfGhIjKlMnOpQrSt", line, sizeof(line)), 0);
	assert_string_equal(line, "curl -fsS --pinnedpubkey sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "
	                          "-k https://srv.example:8443/install.sh | sh -s -- AbCdEfGhIjKlMnOpQrSt");
	assert_int_equal(dist_command(&d, "k", line, 40), -1); /* short buffer: an error */
	dist_free(&d);
	dist_init(&d);
	assert_int_equal(dist_load(&d, dir, "fd00::2", 8000, 0, err, sizeof(err)), 0);
	assert_int_equal(dist_command(&d, "k", line, sizeof(line)), 0);
	assert_string_equal(line, "curl -fsS http://[fd00::2]:8000/install.sh | sh -s -- k");
	dist_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_find),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_script_host),
		cmocka_unit_test(test_command),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
