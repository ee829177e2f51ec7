/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput (built with gcc)
 * over its kept corpus and crash inputs: tests/fuzz/fuzz_<name>/{corpus,
 * crashes}, <name> taken from this program's name test_replay_<name>.
 * FUZZ_DIR moves tests/fuzz. A crash input that crashes again fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char target[128];

static size_t run_dir(const char *sub)
{
	char dir[512], path[1024];
	const char *root = getenv("FUZZ_DIR") ? getenv("FUZZ_DIR") : "tests/fuzz";
	DIR *d;
	struct dirent *e;
	size_t count = 0;

	snprintf(dir, sizeof dir, "%s/%s/%s", root, target, sub);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		FILE *f;
		uint8_t *buf;
		long n;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
			fclose(f);
			continue;
		}
		buf = malloc((size_t)n + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
		count++;
	}
	closedir(d);
	return count;
}

static void test_corpus(void **st)
{
	(void)st;
	print_message("# %s: %zu corpus inputs\n", target, run_dir("corpus"));
}

static void test_crashes(void **st)
{
	(void)st;
	print_message("# %s: %zu crash inputs\n", target, run_dir("crashes"));
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_crashes),
	};

	(void)argc;
	if (strncmp(base, "test_replay_", 12) != 0)
		return 2;
	snprintf(target, sizeof target, "fuzz_%s", base + 12);
	return cmocka_run_group_tests_name(target, tests, NULL, NULL);
}
