/* GPU back-ends of port/linux in process (so the sanitizer build covers
 * them): nvidia-smi CSV parsing with hostile input, the nvidia-smi run
 * itself through tests/fakes/nvidia-smi on PATH, and NVML through the fake
 * libnvidia-ml.so.1 (tests/fakes/fake_nvml.c). dlopen reads LD_LIBRARY_PATH
 * only at process start, so main() re-executes the test with it pointing at
 * <this binary's folder>/fakenvml. The port runs on an empty root so no
 * real card or sysfs file takes part. The flat gpu/vram keys are checked
 * through collect_sample, the agent's own arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-min/collect.h"
#include "port/linux/linux.h"
#include "port/port.h"

static char empty_root[] = "/tmp/monbot-test-gpu-XXXXXX";
static char bin_dir[PATH_MAX];
static char smi_dir[PATH_MAX + 16];
static int have_fake_nvml;

/* ---- nvidia-smi CSV ---------------------------------------------------- */

static int parse(const char *csv, struct port_gpu *g, int max)
{
	int n = 0;
	memset(g, 0xA5, sizeof(*g) * (size_t)max); /* garbage the parser must overwrite */
	int rc = lx_smi_parse(csv, g, max, &n);
	return rc == PORT_OK ? n : -1 - n;
}

static void test_smi_two(void **state)
{
	struct port_gpu g[8];
	(void)state;
	assert_int_equal(parse("0, NVIDIA GeForce RTX 4090, 37, 8190, 24564, 61, 215.50\n"
	                       "1, NVIDIA RTX A2000, 5, 1234, 6138, 44, [N/A]\n",
	                       g, 8),
	                 2);
	assert_string_equal(g[0].name, "NVIDIA GeForce RTX 4090");
	assert_string_equal(g[0].vendor, "nvidia");
	assert_true(g[0].util == 37.0);
	assert_int_equal(g[0].vram_used, 8190);
	assert_int_equal(g[0].vram_total, 24564);
	assert_true(g[0].temp == 61.0);
	assert_true(g[0].power_w == 215.5);
	assert_string_equal(g[1].name, "NVIDIA RTX A2000");
	assert_int_equal(g[1].vram_used, 1234);
	assert_int_equal(g[1].vram_total, 6138);
	assert_true(isnan(g[1].power_w));
}

static void test_smi_formats(void **state)
{
	struct port_gpu g[8];
	(void)state;
	/* CRLF, no final newline, blank lines, [Not Supported], spaces. */
	assert_int_equal(parse("0, A, 37, 1, 2, 61, 215.50\r\n\n1,B,[Not Supported],3,4,[N/A],  9 \r\n", g, 8), 2);
	assert_string_equal(g[0].name, "A");
	assert_true(g[0].power_w == 215.5);
	assert_string_equal(g[1].name, "B");
	assert_true(isnan(g[1].util) && isnan(g[1].temp));
	assert_true(g[1].power_w == 9.0);
	assert_int_equal(parse("0, A, 37, 1, 2, 61, 215.50", g, 8), 1);
	assert_int_equal(parse("", g, 8), 0);
	assert_int_equal(parse("\n\n", g, 8), 0);
	/* A name longer than the field is cut, still terminated. */
	char csv[400];
	snprintf(csv, sizeof(csv), "0, %0200d, 1, 2, 3, 4, 5\n", 7);
	assert_int_equal(parse(csv, g, 8), 1);
	assert_int_equal(strlen(g[0].name), sizeof(g[0].name) - 1);
	/* Over 100 % is not a utilisation; negative, nan and inf are no values. */
	assert_int_equal(parse("0, A, 101, 1, 2, -5, nan\n1, B, inf, 1, 2, 1e400, -0.5\n", g, 8), 2);
	assert_true(isnan(g[0].util) && isnan(g[0].temp) && isnan(g[0].power_w));
	assert_true(isnan(g[1].util) && isnan(g[1].temp) && isnan(g[1].power_w));
}

static void test_smi_cap(void **state)
{
	struct port_gpu g[3];
	char csv[1024] = "";
	(void)state;
	for (int i = 0; i < 12; i++)
		snprintf(csv + strlen(csv), sizeof(csv) - strlen(csv), "%d, GPU%d, %d, 100, 81559, 40, 70.00\n", i, i, i);
	assert_int_equal(parse(csv, g, 3), 3);
	assert_string_equal(g[2].name, "GPU2");
	/* Appends after what the caller already has (AMD cards come later). */
	int n = 1;
	memset(g, 0, sizeof(g));
	assert_int_equal(lx_smi_parse("0, A, 1, 1, 2, 3, 4\n", g, 3, &n), PORT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(g[1].name, "A");
}

/* Anything that is not nvidia-smi's answer yields no GPU at all. */
static void test_smi_garbage(void **state)
{
	static const char *const bad[] = {
		"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
		"0, NVIDIA GeForce RTX 4090, 37, 8190, 24564, 61, 215.50\nUnknown Error\n",
		"index, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, power.draw [W]\n"
		"0, NVIDIA GeForce RTX 4090, 37, 8190, 24564, 61, 215.50\n",
		"0, NVIDIA GeForce RTX 4090, 37\n",
		"0, NVIDIA GeForce RTX 4090, 37, 8190, 24564, 61, 215.50, 1, 2\n",
		"0, A, 37, -8190, 24564, 61, 215.50\n",
		"0, A, 37, 30000, 24564, 61, 215.50\n", /* used > total */
		"0, A, 37, 0, 0, 61, 215.50\n",         /* total 0 */
		"0, A, 37, [N/A], 24564, 61, 215.50\n",
		"x, A, 37, 1, 2, 61, 215.50\n",
		",,,,,,\n",
		"0, A, 37, 99999999999999999999999999999999999, 1e999, 61, 1\n",
		"\033[31m0,,,,,,\n",
	};
	struct port_gpu g[8];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = 0;
		if (lx_smi_parse(bad[i], g, 8, &n) != PORT_EPARSE || n != 0)
			fail_msg("accepted: %s", bad[i]);
	}
	/* On garbage, entries the caller had before stay, nothing is added. */
	int n = 1;
	assert_int_equal(lx_smi_parse("0, A, 1, 1, 2, 3, 4\nboom\n", g, 8, &n), PORT_EPARSE);
	assert_int_equal(n, 1);
}

/* ---- the port with the fakes ------------------------------------------- */

static int gpus(struct port_gpu *g, int max)
{
	int n = -1;
	port_gpu_list(g, max, &n);
	return n;
}

/* Not cmocka's skip() where a fake is missing: its TAP line reads "not ok". */
#define NEEDS(cond, what)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			print_message("# %s missing: not run\n", what);    \
			return;                                             \
		}                                                           \
	} while (0)

static int use_smi(const char *mode)
{
	char path[PATH_MAX + 64];
	setenv("PATH", smi_dir, 1);
	setenv("FAKE_SMI", mode, 1);
	setenv("MONBOT_NO_NVML", "1", 1);
	snprintf(path, sizeof(path), "%s/nvidia-smi", smi_dir);
	return access(path, X_OK) == 0;
}

static void test_port_smi(void **state)
{
	struct port_gpu g[8];
	(void)state;
	NEEDS(use_smi("two"), "tests/fakes/nvidia-smi");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "nvidia-smi");
	assert_int_equal(gpus(g, 8), 2);
	assert_string_equal(g[0].name, "NVIDIA GeForce RTX 4090");
	assert_int_equal(g[0].vram_used, 8190);
	assert_true(isnan(g[1].power_w));
	/* nvidia-smi is slow: within its period the same answer is reused, so a
	 * changed answer is not seen yet. */
	setenv("FAKE_SMI", "driver-error", 1);
	assert_int_equal(gpus(g, 8), 2);
	/* A fresh start runs it again: a failing run is no GPU, the next is fine. */
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 0);
	setenv("FAKE_SMI", "nonzero", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 0);
	setenv("FAKE_SMI", "binary", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 0);
	setenv("FAKE_SMI", "many", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 8);
	setenv("FAKE_SMI", "two", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 1), 1);
	port_fini();
	/* Not on PATH: the back-end is none. */
	setenv("PATH", empty_root, 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "none");
	assert_int_equal(gpus(g, 8), 0);
	port_fini();
}

static int use_nvml(const char *mode)
{
	setenv("PATH", empty_root, 1);
	unsetenv("MONBOT_NO_NVML");
	setenv("FAKE_NVML", mode, 1);
	return have_fake_nvml;
}

static void test_nvml_two(void **state)
{
	struct port_gpu g[8];
	static struct collector c;
	static struct sample s;
	(void)state;
	NEEDS(use_nvml("two"), "fake libnvidia-ml.so.1");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "nvml");
	assert_int_equal(gpus(g, 8), 2);
	assert_string_equal(g[0].name, "NVIDIA GeForce RTX 4090");
	assert_string_equal(g[0].vendor, "nvidia");
	assert_true(g[0].util == 37.0);
	assert_int_equal(g[0].vram_used, 8190); /* 8190 MiB in bytes */
	assert_int_equal(g[0].vram_total, 24564);
	assert_true(g[0].temp == 61.0);
	assert_true(g[0].power_w == 215.5); /* 215500 mW */
	assert_string_equal(g[1].name, "NVIDIA RTX A2000");
	assert_int_equal(g[1].vram_used, 1234); /* 1234 MiB + 700 KiB: whole MiB, as nvidia-smi */
	assert_int_equal(g[1].vram_total, 6138);
	assert_true(fabs(g[1].power_w - 22.345) < 1e-9);

	collect_init(&c, NULL);
	collect_sample(&c, &s, 1000, 0);
	assert_int_equal(s.ngpus, 2);
	assert_int_equal(s.gpus[1].index, 1);
	assert_true(s.v[SK_GPU] == 37.0);
	assert_true(s.v[SK_VRAM_USED] == 8190.0 && s.v[SK_VRAM_TOTAL] == 24564.0);
	assert_true(fabs(s.v[SK_VRAM] - 8190.0 * 100.0 / 24564.0) < 1e-9);
	assert_true(s.v[SK_GPU_TEMP] == 61.0);
	port_fini();
	assert_string_equal(port_gpu_backend(), "none");
}

static void test_nvml_partial(void **state)
{
	struct port_gpu g[8];
	static struct collector c;
	static struct sample s;
	(void)state;
	/* Not supported: util, temperature, power; names and memory remain. */
	NEEDS(use_nvml("na"), "fake libnvidia-ml.so.1");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 2);
	assert_true(isnan(g[0].util) && isnan(g[0].temp) && isnan(g[0].power_w));
	assert_int_equal(g[0].vram_used, 8190);
	port_fini();
	/* GPU 0 lost its memory call: its VRAM is absent, so are flat vram*. */
	use_nvml("memfail");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 2);
	assert_true(g[0].vram_used == PORT_NA && g[0].vram_total == PORT_NA);
	assert_int_equal(g[1].vram_used, 1234);
	collect_init(&c, NULL);
	collect_sample(&c, &s, 1000, 0);
	assert_true(s.v[SK_GPU] == 37.0);
	assert_true(isnan(s.v[SK_VRAM]) && isnan(s.v[SK_VRAM_USED]) && isnan(s.v[SK_VRAM_TOTAL]));
	port_fini();
	/* Impossible values: utilisation 250 %, used above total. */
	use_nvml("badvals");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 2);
	assert_true(isnan(g[0].util));
	assert_true(g[0].vram_used == PORT_NA && g[0].vram_total == PORT_NA);
	port_fini();
}

static void test_nvml_hostile(void **state)
{
	struct port_gpu g[8];
	(void)state;
	/* A name filling the whole buffer without a NUL. */
	NEEDS(use_nvml("longname"), "fake libnvidia-ml.so.1");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 2);
	assert_int_equal(strlen(g[0].name), sizeof(g[0].name) - 1);
	port_fini();
	/* Twelve GPUs: the first eight. */
	use_nvml("many");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_int_equal(gpus(g, 8), 8);
	assert_int_equal(gpus(g, 3), 3);
	port_fini();
	/* nvmlInit fails or no device: not NVML, and no nvidia-smi either. */
	use_nvml("init_fail");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "none");
	assert_int_equal(gpus(g, 8), 0);
	port_fini();
	use_nvml("zero");
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "none");
	assert_int_equal(gpus(g, 8), 0);
	port_fini();
	/* MONBOT_NO_NVML=1 leaves the library alone. */
	use_nvml("two");
	setenv("MONBOT_NO_NVML", "1", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "none");
	port_fini();
	unsetenv("MONBOT_NO_NVML");
}

/* NVML loads: nvidia-smi on PATH is not run. */
static void test_nvml_before_smi(void **state)
{
	struct port_gpu g[8];
	(void)state;
	NEEDS(use_nvml("one"), "fake libnvidia-ml.so.1");
	setenv("PATH", smi_dir, 1);
	setenv("FAKE_SMI", "two", 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "nvml");
	assert_int_equal(gpus(g, 8), 1);
	port_fini();
	/* NVML fails: the fallback takes over. */
	use_nvml("init_fail");
	setenv("PATH", smi_dir, 1);
	assert_int_equal(port_init(empty_root), PORT_OK);
	assert_string_equal(port_gpu_backend(), "nvidia-smi");
	assert_int_equal(gpus(g, 8), 2);
	port_fini();
}

/* ---- set-up ------------------------------------------------------------ */

static int setup(void **state)
{
	char cwd[PATH_MAX], link[PATH_MAX + 64], target[PATH_MAX + 64];
	(void)state;
	if (!mkdtemp(empty_root))
		return -1;
	snprintf(smi_dir, sizeof(smi_dir), "%s/bin", empty_root);
	if (mkdir(smi_dir, 0755) != 0 || !getcwd(cwd, sizeof(cwd)))
		return -1;
	/* The fake is run from the source tree (tests run from the top). */
	snprintf(target, sizeof(target), "%s/tests/fakes/nvidia-smi", cwd);
	snprintf(link, sizeof(link), "%s/nvidia-smi", smi_dir);
	if (access(target, X_OK) == 0 && symlink(target, link) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char path[PATH_MAX + 64];
	(void)state;
	snprintf(path, sizeof(path), "%s/nvidia-smi", smi_dir);
	unlink(path);
	rmdir(smi_dir);
	rmdir(empty_root);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smi_two),
		cmocka_unit_test(test_smi_formats),
		cmocka_unit_test(test_smi_cap),
		cmocka_unit_test(test_smi_garbage),
		cmocka_unit_test(test_port_smi),
		cmocka_unit_test(test_nvml_two),
		cmocka_unit_test(test_nvml_partial),
		cmocka_unit_test(test_nvml_hostile),
		cmocka_unit_test(test_nvml_before_smi),
	};
	char exe[PATH_MAX], lib[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *ld = getenv("LD_LIBRARY_PATH");
	(void)argc;
	if (n > 0) {
		exe[n] = '\0';
		snprintf(bin_dir, sizeof(bin_dir), "%s", exe);
		if (strrchr(bin_dir, '/'))
			*strrchr(bin_dir, '/') = '\0';
		snprintf(lib, sizeof(lib), "%s/fakenvml", bin_dir);
		if (ld && strcmp(ld, lib) == 0) {
			have_fake_nvml = 1;
		} else {
			char so[PATH_MAX + 96];
			snprintf(so, sizeof(so), "%s/libnvidia-ml.so.1", lib);
			if (access(so, R_OK) == 0) {
				setenv("LD_LIBRARY_PATH", lib, 1);
				execv(exe, argv);
				perror("test_gpu: re-exec with LD_LIBRARY_PATH");
			}
		}
	}
	if (!have_fake_nvml)
		fprintf(stderr, "# fake libnvidia-ml.so.1 not found beside the test: NVML tests skipped\n");
	return cmocka_run_group_tests(tests, setup, teardown);
}
