/* Unit tests for wire/dotenv.c's writing over port/posix/file.c: the modes
 * of a new and a rewritten .env, a link planted at a temporary name left
 * alone, other lines kept. Runs in a fresh folder under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port/port.h"
#include "wire/dotenv.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/test_dotenv.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/.env", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned mode_of(const char *p)
{
	struct stat st;
	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

static void slurp(const char *p, char *buf, size_t cap)
{
	FILE *f = fopen(p, "r");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void test_new_file_0600(void **state)
{
	char err[256], buf[256];
	mode_t old = umask(022);
	(void)state;
	assert_int_equal(dotenv_save(path, "AGENT_SECRET", "s3cret", err, sizeof err), 0);
	umask(old);
	assert_int_equal(mode_of(path), 0600);
	slurp(path, buf, sizeof buf);
	assert_string_equal(buf, "AGENT_SECRET=s3cret\n");
}

static void test_rewrite_keeps_mode(void **state)
{
	char err[256], buf[256];
	FILE *f = fopen(path, "w");
	(void)state;
	assert_non_null(f);
	fputs("# mine\nAGENT_SECRET=old\nAGENT_PORT=8443", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(dotenv_save(path, "AGENT_SECRET", "new", err, sizeof err), 0);
	assert_int_equal(mode_of(path), 0600);
	slurp(path, buf, sizeof buf);
	assert_string_equal(buf, "# mine\nAGENT_SECRET=new\nAGENT_PORT=8443\n");
	/* an operator's own choice stays too */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(dotenv_save(path, "BOT_TOKEN", "t", err, sizeof err), 0);
	assert_int_equal(mode_of(path), 0640);
	slurp(path, buf, sizeof buf);
	assert_string_equal(buf, "# mine\nAGENT_SECRET=new\nAGENT_PORT=8443\nBOT_TOKEN=t\n");
}

/* Links at the old fixed name and at the first unique name: neither target
 * is written, both links are still there, .env gets the value. */
static void test_link_at_temp_name_not_followed(void **state)
{
	char err[256], buf[256], target[160], l1[160], l2[160];
	struct stat st;
	FILE *f;
	(void)state;
	snprintf(target, sizeof target, "%s/target", dir);
	snprintf(l1, sizeof l1, "%s.tmp", path);
	snprintf(l2, sizeof l2, "%s.tmp%ld.0", path, (long)getpid());
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("untouched\n", f);
	fclose(f);
	assert_int_equal(symlink(target, l1), 0);
	assert_int_equal(symlink(target, l2), 0);
	assert_int_equal(dotenv_save(path, "AGENT_SECRET", "s", err, sizeof err), 0);
	slurp(target, buf, sizeof buf);
	assert_string_equal(buf, "untouched\n");
	slurp(path, buf, sizeof buf);
	assert_string_equal(buf, "AGENT_SECRET=s\n");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(lstat(l2, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_file_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewrite_keeps_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_at_temp_name_not_followed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
