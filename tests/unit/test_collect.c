/* Unit tests for agent-min/collect.c over the Linux port, against the fixture
 * trees in tests/fixtures/ (README.md there): a baseline on <host>/t0 at 0 ms,
 * a full sample on <host>/t1 at 5000 ms, and every value the sample gives
 * computed by hand beside its assertion. Hostile trees (tests/fixtures/hostile)
 * check that garbled input leaves exactly the values concerned absent and the
 * JSON valid. Run from the repository root (tests/run-tests.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "wire/sample.h"

#define FIXTURES "tests/fixtures"

static struct collector coll; /* ~1.5 MB: not on the stack */
static struct sample smp;
static char json[16384];
static double pg; /* bytes per page (sysconf), 4096 on x86-64: rss = pages * pg */

/* ---- helpers ------------------------------------------------------------ */

/* Baseline (CPU, net, process table) on <case>/t0 at 0 ms, then the full
 * sample on <case>/t1 at 5000 ms: every rate below divides by 5 s. */
static const struct sample *load(const char *fixture)
{
	char r0[256], r1[256];
	snprintf(r0, sizeof(r0), FIXTURES "/%s/t0", fixture);
	snprintf(r1, sizeof(r1), FIXTURES "/%s/t1", fixture);
	if (access(r0, R_OK) != 0 || access(r1, R_OK) != 0)
		fail_msg("fixture %s missing (run from the repository root)", r0);
	assert_int_equal(port_init(r0), PORT_OK);
	collect_init(&coll, NULL);
	collect_baseline(&coll, 0, 1);
	assert_int_equal(port_init(r1), PORT_OK);
	collect_sample(&coll, &smp, 5000, 1);
	port_fini();
	return &smp;
}

static void near_at(double got, double want, const char *what, const char *file, int line)
{
	if (isnan(got) || fabs(got - want) > 1e-9 * fabs(want) + 1e-12) {
		print_error("%s = %.17g, want %.17g\n", what, got, want);
		_fail(file, line);
	}
}
#define assert_near(got, want) near_at((got), (want), #got, __FILE__, __LINE__)

static void absent_at(double v, const char *what, const char *file, int line)
{
	if (!isnan(v)) {
		print_error("%s = %.17g, want absent\n", what, v);
		_fail(file, line);
	}
}
#define assert_absent(v) absent_at((v), #v, __FILE__, __LINE__)

static void disk_at(const struct sample *s, int i, const char *mount, double used, double total,
                    double percent, const char *file, int line)
{
	if (i >= s->ndisks) {
		print_error("disk %d (%s) missing: %d disks\n", i, mount, s->ndisks);
		_fail(file, line);
	}
	if (strcmp(s->disks[i].mount, mount) != 0) {
		print_error("disk %d is \"%s\", want \"%s\"\n", i, s->disks[i].mount, mount);
		_fail(file, line);
	}
	near_at(s->disks[i].used, used, "used", file, line);
	near_at(s->disks[i].total, total, "total", file, line);
	near_at(s->disks[i].percent, percent, "percent", file, line);
}
#define assert_disk(s, i, m, u, t, p) disk_at((s), (i), (m), (u), (t), (p), __FILE__, __LINE__)

static int has_disk(const struct sample *s, const char *mount)
{
	for (int i = 0; i < s->ndisks; i++)
		if (strcmp(s->disks[i].mount, mount) == 0)
			return 1;
	return 0;
}

static void proc_at(const struct sample *s, int i, const char *name, double cpu, double ram,
                    const char *file, int line)
{
	if (i >= s->nprocs) {
		print_error("process %d (%s) missing: %d processes\n", i, name, s->nprocs);
		_fail(file, line);
	}
	if (strcmp(s->procs[i].name, name) != 0) {
		print_error("process %d is \"%s\", want \"%s\"\n", i, s->procs[i].name, name);
		_fail(file, line);
	}
	near_at(s->procs[i].cpu, cpu, "cpu", file, line);
	near_at(s->procs[i].ram, ram, "ram", file, line);
}
#define assert_proc(s, i, n, c, r) proc_at((s), (i), (n), (c), (r), __FILE__, __LINE__)

/* A strict RFC 8259 checker: one value, nothing after it, no control
 * characters in strings, only the defined escapes. */
static const char *jv_value(const char *p, int depth);

static const char *jv_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *jv_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL; /* also the end of the text */
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *jv_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

static const char *jv_members(const char *p, int depth, char close, int keyed)
{
	p = jv_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			if (!(p = jv_string(p)))
				return NULL;
			p = jv_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = jv_value(p, depth + 1)))
			return NULL;
		p = jv_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = jv_ws(p);
	}
}

static const char *jv_value(const char *p, int depth)
{
	p = jv_ws(p);
	if (depth > 32)
		return NULL;
	switch (*p) {
	case '{': return jv_members(p, depth, '}', 1);
	case '[': return jv_members(p, depth, ']', 0);
	case '"': return jv_string(p);
	case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default: return jv_number(p);
	}
}

static int json_valid(const char *text)
{
	const char *end = jv_value(text, 0);
	return end && *jv_ws(end) == '\0';
}

static void test_json_checker(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\":[1,-0.5,2e3,true,false,null,\"x\\n\\u00e9\"],\"b\":{}}"));
	assert_false(json_valid("{\"a\":1,}"));
	assert_false(json_valid("{\"a\":01}"));
	assert_false(json_valid("{\"a\":nan}"));
	assert_false(json_valid("{\"a\":\"tab\there\"}"));
	assert_false(json_valid("{\"a\":\"\\x\"}"));
	assert_false(json_valid("{\"a\":1} {}"));
	assert_false(json_valid("{\"a\":\"open"));
	assert_false(json_valid("[1 2]"));
}

/* The sample as JSON: always valid; equal to want where the page size is the
 * one the expectations were computed with (rss bytes depend on it). */
static void check_json(const struct sample *s, const char *want)
{
	size_t len;
	assert_int_equal(sample_to_json(s, json, sizeof(json), &len), JSON_OK);
	assert_int_equal(strlen(json), len);
	if (!json_valid(json))
		fail_msg("invalid JSON: %s", json);
	if (pg != 4096) {
		print_message("page size %.0f: exact JSON text not compared\n", pg);
		return;
	}
	assert_string_equal(json, want);
}

static int setup(void **state)
{
	(void)state;
	/* No NVIDIA back-end: NVML and nvidia-smi read the real machine, not the
	 * fixture root, and would add this host's GPUs to every fixture. */
	setenv("MONBOT_NO_NVML", "1", 1);
	setenv("PATH", "/nonexistent-monbot-test", 1);
	pg = (double)sysconf(_SC_PAGESIZE);
	return 0;
}

/* ---- thishost: this machine's own files (capture-thishost.sh) ----------- */

static void test_thishost_values(void **state)
{
	const struct sample *s = load("thishost");
	(void)state;
	/* /proc/stat "cpu" line, fields user nice system idle iowait irq softirq steal:
	 * t0 3290 0 1878 187802 786 0 73 8 = 193837, idle+iowait 187802+786 = 188588
	 * t1 3600 0 1886 188100 786 0 73 8 = 194453, idle+iowait 188100+786 = 188886
	 * total 194453-193837 = 616, idle 188886-188588 = 298
	 * cpu = (616-298)*100/616 = 31800/616 = 51.623376...% */
	assert_near(s->v[SK_CPU], 31800.0 / 616.0);
	assert_near(s->v[SK_CORES], 2); /* cpu0, cpu1 */
	/* meminfo t1: MemTotal 24684084 kB, MemAvailable 24311404 kB.
	 * The v1 memory cgroup's limit 9223372036854771712 is above MemTotal: no
	 * container limit, the host's figures stand.
	 * used = 24684084-24311404 = 372680 kB = 372680*1024 = 381624320 B
	 * total = 24684084*1024 = 25276502016 B; ram = 372680*100/24684084 = 1.509798...% */
	assert_near(s->v[SK_RAM_USED], 381624320.0);
	assert_near(s->v[SK_RAM_TOTAL], 25276502016.0);
	assert_near(s->v[SK_RAM], 372680.0 * 100 / 24684084.0);
	/* SwapTotal 0 kB, SwapFree 0 kB: 0 of 0, 0 % (psutil's answer). */
	assert_near(s->v[SK_SWAP_TOTAL], 0);
	assert_near(s->v[SK_SWAP_USED], 0);
	assert_near(s->v[SK_SWAP], 0);
	/* /proc/uptime t1 "974.67 ..." -> 974; loadavg "0.16 0.06 0.01 ..." */
	assert_near(s->v[SK_UPTIME], 974);
	assert_near(s->load[0], 0.16);
	assert_near(s->load[1], 0.06);
	assert_near(s->load[2], 0.01);
	/* net/dev: lo (ignored), ifb0, ifb1, eth0 all unchanged between t0 and t1:
	 * eth0 rx 28234867 -> 28234867, tx 33752 -> 33752: 0 B/s both ways. */
	assert_near(s->v[SK_NET_UP], 0);
	assert_near(s->v[SK_NET_DOWN], 0);
	/* No /sys/class/hwmon, an empty /sys/class/thermal, no drm cards. */
	assert_absent(s->v[SK_CPU_TEMP]);
	assert_int_equal(s->ngpus, 0);
	assert_absent(s->v[SK_GPU]);
	assert_absent(s->v[SK_VRAM]);
	assert_absent(s->v[SK_GPU_TEMP]);
}

static void test_thishost_disks(void **state)
{
	const struct sample *s = load("thishost");
	(void)state;
	/* mounts: proc, sysfs, devpts, cgroup, cgroup2 are "nodev" in
	 * /proc/filesystems (not physical); devtmpfs /dev and tmpfs /dev/shm,
	 * /sys/fs/cgroup are excluded by type. Left: /dev/vda on / (ext4).
	 * statvfs t1 "/ 4096 66053021 61845433 20876709":
	 * total = 66053021*4096 = 270553174016, used = (66053021-61845433)*4096 =
	 * 4207588*4096 = 17234280448, avail = 20876709*4096,
	 * percent = 4207588*100/(4207588+20876709) = 420758800/25084297 = 16.7737...% */
	assert_int_equal(s->ndisks, 1);
	assert_disk(s, 0, "/", 17234280448.0, 270553174016.0, 420758800.0 / 25084297.0);
}

static void test_thishost_procs(void **state)
{
	const struct sample *s = load("thishost");
	(void)state;
	/* All-CPU ticks between the snapshots: 616 (see _values). Per process
	 * utime+stime (stat fields 14, 15), rss (field 24) in pages:
	 * 9279 monbot-fixture- t0 100+1  t1 404+5 -> 308 ticks, 425 pages
	 * 9276 bash            t0 0+0    t1 0+1   -> 1 tick,    801 pages
	 * 9280, 9281 sleep     0 ticks, 393 + 391 = 784 pages -> "sleep (2)"
	 * 14 ksoftirqd/0, 2 kthreadd, 3 pool_workqueue_release, 15 rcu_preempt:
	 *   kernel threads, 0 ticks, 0 pages: ties broken by name.
	 * monbot-fixture- is cut at 15 characters: /proc/9279/cmdline's argv[0]
	 * ".../monbot-fixture-busy" starts with it, so the full name is shown. */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "monbot-fixture-busy", 308.0 * 100 / 616, 425 * pg); /* 50 %, 1740800 B */
	assert_proc(s, 1, "bash", 1.0 * 100 / 616, 801 * pg);                    /* 0.162 %, 3280896 B */
	assert_proc(s, 2, "sleep (2)", 0, 784 * pg);                             /* 3211264 B */
	assert_proc(s, 3, "ksoftirqd/0", 0, 0);
	assert_proc(s, 4, "kthreadd", 0, 0);
}

static void test_thishost_json(void **state)
{
	const struct sample *s = load("thishost");
	(void)state;
	/* Decimals on the wire: percentages and rates 1, load 2, bytes 0. */
	check_json(s, "{\"cpu\":51.6,\"ram\":1.5,\"swap\":0,\"ram_used\":381624320,\"ram_total\":25276502016,"
	              "\"swap_used\":0,\"swap_total\":0,\"net_up\":0,\"net_down\":0,\"uptime\":974,\"cores\":2,"
	              "\"load\":[0.16,0.06,0.01],"
	              "\"disks\":[{\"mount\":\"/\",\"percent\":16.8,\"used\":17234280448,\"total\":270553174016}],"
	              "\"top_procs\":[{\"name\":\"monbot-fixture-busy\",\"cpu\":50,\"ram\":1740800},"
	              "{\"name\":\"bash\",\"cpu\":0.2,\"ram\":3280896},{\"name\":\"sleep (2)\",\"cpu\":0,\"ram\":3211264},"
	              "{\"name\":\"ksoftirqd/0\",\"cpu\":0,\"ram\":0},{\"name\":\"kthreadd\",\"cpu\":0,\"ram\":0}]}");
}

/* ---- container: Docker, cgroup v2 limit 512 MiB, host's /proc ----------- */

static void test_container_values(void **state)
{
	const struct sample *s = load("container");
	(void)state;
	/* cpu t0 118734512 1204331 31876220 812345678 2109876 0 1987654 102345 = 968360616
	 *    t1 118735124 1204331 31876368 812348874 2109888 0 1987682 102349 = 968364616
	 * total 4000; idle+iowait (812348874+2109888)-(812345678+2109876) = 3196+12 = 3208
	 * cpu = (4000-3208)*100/4000 = 19.8 % */
	assert_near(s->v[SK_CPU], 19.8);
	assert_near(s->v[SK_CORES], 8);
	/* /proc/self/cgroup "0::/" -> /sys/fs/cgroup/memory.max 536870912, below
	 * MemTotal 16303780 kB: the container's RAM is the limit.
	 * memory.current 312475648, memory.stat inactive_file 71303168 (page cache
	 * that can be dropped, not "used" as docker stats counts it):
	 * used = 312475648-71303168 = 241172480 B (230 MiB of 512 MiB)
	 * ram = 241172480*100/536870912 = 44.921875 % */
	assert_near(s->v[SK_RAM_USED], 241172480.0);
	assert_near(s->v[SK_RAM_TOTAL], 536870912.0);
	assert_near(s->v[SK_RAM], 44.921875);
	/* Swap is the host's (meminfo): SwapTotal 4194300 kB, SwapFree 3801084 kB
	 * used = 393216 kB = 402653184 B, total = 4294963200 B,
	 * swap = 393216*100/4194300 = 9.375008...% */
	assert_near(s->v[SK_SWAP_USED], 402653184.0);
	assert_near(s->v[SK_SWAP_TOTAL], 4294963200.0);
	assert_near(s->v[SK_SWAP], 393216.0 * 100 / 4194300);
	/* No hwmon; thermal_zone0 "acpitz" 27800, thermal_zone1 "x86_pkg_temp"
	 * 54000: the package zone wins over the lower-numbered ACPI one. */
	assert_near(s->v[SK_CPU_TEMP], 54.0);
	/* eth0 rx 8123456789 -> 8124980245 (+1523456), tx 912345678 -> 912444443
	 * (+98765); lo ignored. down = 1523456/5 = 304691.2, up = 98765/5 = 19753 */
	assert_near(s->v[SK_NET_DOWN], 304691.2);
	assert_near(s->v[SK_NET_UP], 19753);
	assert_near(s->v[SK_UPTIME], 1234572); /* "1234572.43" */
	assert_near(s->load[0], 1.25);
	assert_near(s->load[1], 0.98);
	assert_near(s->load[2], 0.87);
	assert_int_equal(s->ngpus, 0);
}

static void test_container_disks(void **state)
{
	const struct sample *s = load("container");
	(void)state;
	/* overlay / and the tmpfs masks are excluded by type, proc/sysfs/cgroup2/
	 * devpts/mqueue are nodev. /data is a host directory on /dev/sdb1 (xfs):
	 * statvfs t1 4096 488378368 301234567 301234567
	 * total = 488378368*4096 = 2000397795328, used = 187143801*4096 = 766541008896,
	 * percent = 187143801*100/488378368 = 38.319...% (xfs reserves nothing) */
	assert_disk(s, 0, "/data", 766541008896.0, 2000397795328.0, 187143801.0 * 100 / 488378368);
	/* Docker bind-mounts /etc/resolv.conf, /etc/hostname, /etc/hosts, in that
	 * order, from the host's /dev/nvme0n1p2 (4096 122940816 73211455 66957310):
	 * total = 122940816*4096 = 503565582336, used = 49729361*4096 = 203691462656,
	 * percent = 49729361*100/(49729361+66957310) = 42.617...%.
	 * collect.c keeps one line per device, the shortest mount point (as df):
	 * /etc/hosts. (The original agent, which only de-duplicated mount points,
	 * listed all three.) Three mounts of one device, longest first, once
	 * reported both /etc/hostname and /etc/hosts. */
	assert_disk(s, 1, "/etc/hosts", 203691462656.0, 503565582336.0, 49729361.0 * 100 / 116686671);
	assert_false(has_disk(s, "/etc/resolv.conf"));
	assert_false(has_disk(s, "/etc/hostname"));
	assert_int_equal(s->ndisks, 2);
}

static void test_container_procs(void **state)
{
	const struct sample *s = load("container");
	(void)state;
	/* All-CPU ticks: 4000. utime+stime deltas, rss pages:
	 * gunicorn 7: 1+1=2, 7458; 9: 120+11=131, 24576; 10: 88+6=94, 24001;
	 *          11: 101+9=110, 25090 -> "gunicorn (4)" 337 ticks, 81125 pages
	 * python3 21: 36+4=40, 20480;  monbot-agent 14: 0+1=1, 204
	 * sh 33: 0, 230;  tini 1: 0, 219 (ties at 0 ticks: more memory first) */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "gunicorn (4)", 337.0 * 100 / 4000, 81125 * pg); /* 8.425 %, 332288000 B */
	assert_proc(s, 1, "python3", 40.0 * 100 / 4000, 20480 * pg);       /* 1 %, 83886080 B */
	assert_proc(s, 2, "monbot-agent", 1.0 * 100 / 4000, 204 * pg);     /* 0.025 %, 835584 B */
	assert_proc(s, 3, "sh", 0, 230 * pg);                              /* 942080 B */
	assert_proc(s, 4, "tini", 0, 219 * pg);                            /* 897024 B */
}

static void test_container_json(void **state)
{
	const struct sample *s = load("container");
	(void)state;
	/* One line per device: /etc/hosts only (see test_container_disks). */
	check_json(s, "{\"cpu\":19.8,\"ram\":44.9,\"swap\":9.4,\"ram_used\":241172480,\"ram_total\":536870912,"
	              "\"swap_used\":402653184,\"swap_total\":4294963200,\"cpu_temp\":54,\"net_up\":19753,"
	              "\"net_down\":304691.2,\"uptime\":1234572,\"cores\":8,\"load\":[1.25,0.98,0.87],"
	              "\"disks\":[{\"mount\":\"/data\",\"percent\":38.3,\"used\":766541008896,\"total\":2000397795328},"
	              "{\"mount\":\"/etc/hosts\",\"percent\":42.6,\"used\":203691462656,\"total\":503565582336}],"
	              "\"top_procs\":[{\"name\":\"gunicorn (4)\",\"cpu\":8.4,\"ram\":332288000},"
	              "{\"name\":\"python3\",\"cpu\":1,\"ram\":83886080},{\"name\":\"monbot-agent\",\"cpu\":0,\"ram\":835584},"
	              "{\"name\":\"sh\",\"cpu\":0,\"ram\":942080},{\"name\":\"tini\",\"cpu\":0,\"ram\":897024}]}");
}

/* ---- armboard: Raspberry Pi 4, 4 cores, cpu_thermal, no swap ------------ */

static void test_armboard_values(void **state)
{
	const struct sample *s = load("armboard");
	(void)state;
	/* cpu t0 20123456 34567 6543210 316789012 1234567 0 456789 0 = 345181601
	 *    t1 20123706 34567 6543270 316790665 1234588 0 456805 0 = 345183601
	 * total 2000; idle+iowait (316790665+1234588)-(316789012+1234567) = 1653+21 = 1674
	 * cpu = (2000-1674)*100/2000 = 16.3 % */
	assert_near(s->v[SK_CPU], 16.3);
	assert_near(s->v[SK_CORES], 4);
	/* MemTotal 3885404 kB, MemAvailable 2934076 kB; the service's cgroup
	 * memory.max is "max" (no limit).
	 * used = 951328 kB = 974159872 B, total = 3978653696 B,
	 * ram = 951328*100/3885404 = 24.4846...% */
	assert_near(s->v[SK_RAM_USED], 974159872.0);
	assert_near(s->v[SK_RAM_TOTAL], 3978653696.0);
	assert_near(s->v[SK_RAM], 951328.0 * 100 / 3885404);
	/* SwapTotal: 0 kB -> 0 of 0, 0 % */
	assert_near(s->v[SK_SWAP_TOTAL], 0);
	assert_near(s->v[SK_SWAP_USED], 0);
	assert_near(s->v[SK_SWAP], 0);
	/* hwmon0 "cpu_thermal" temp1_input 48686 m°C (thermal_zone0 cpu-thermal
	 * reads the same sensor) -> 48.686 °C */
	assert_near(s->v[SK_CPU_TEMP], 48.686);
	/* eth0 rx +2500000 tx +150000, wlan0 rx +4096 tx +2048, lo ignored:
	 * down = 2504096/5 = 500819.2, up = 152048/5 = 30409.6 */
	assert_near(s->v[SK_NET_DOWN], 500819.2);
	assert_near(s->v[SK_NET_UP], 30409.6);
	assert_near(s->v[SK_UPTIME], 864005); /* "864005.13" */
	assert_near(s->load[0], 0.68);
	assert_near(s->load[1], 0.61);
	assert_near(s->load[2], 0.55);
	assert_int_equal(s->ngpus, 0);
}

static void test_armboard_disks(void **state)
{
	const struct sample *s = load("armboard");
	(void)state;
	/* / on /dev/mmcblk0p2 (ext4): 4096 7620086 5123456 4812345
	 *   total = 7620086*4096 = 31211872256, used = 2496630*4096 = 10226196480,
	 *   percent = 2496630*100/(2496630+4812345) = 249663000/7308975 = 34.158...%
	 * /media/pi/USB\040DISK on /dev/sda1 (vfat, 32 KiB clusters): 32768 945536 612345 612345
	 *   total = 945536*32768 = 30983323648, used = 333191*32768 = 10918002688,
	 *   percent = 333191*100/945536 = 35.238...%
	 * Left out: /boot/firmware (under /boot, and 130811*4096 = 535801856 B
	 * < 1 GiB), devtmpfs, tmpfs, and the nodev kinds (autofs, rpc_pipefs...). */
	assert_int_equal(s->ndisks, 2);
	assert_disk(s, 0, "/", 10226196480.0, 31211872256.0, 249663000.0 / 7308975);
	assert_disk(s, 1, "/media/pi/USB DISK", 10918002688.0, 30983323648.0, 33319100.0 / 945536);
	assert_false(has_disk(s, "/boot/firmware"));
}

static void test_armboard_procs(void **state)
{
	const struct sample *s = load("armboard");
	(void)state;
	/* All-CPU ticks: 2000. Deltas (utime+stime) and rss pages:
	 * python3 530: 150+30 = 180, 61234;  node-red 531: 80+16 = 96, 30123
	 * systemd-journal 245: 8+4 = 12, 6021 (15 characters: cmdline
	 *   /lib/systemd/systemd-journald gives the full name)
	 * ksoftirqd/0 12: 0+4 = 4, 0 (kernel thread)
	 * avahi-daemon 412: 1+1 = 2, 850 + 418: 0, 78 -> "avahi-daemon (2)" 2 ticks, 928 pages
	 * kworker/1:2 37: 2, 0 pages -> ties with avahi at 2 ticks, less memory: 6th
	 * systemd 1, systemd-timesyn 612: 0 ticks */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "python3", 180.0 * 100 / 2000, 61234 * pg);         /* 9 %, 250814464 B */
	assert_proc(s, 1, "node-red", 96.0 * 100 / 2000, 30123 * pg);         /* 4.8 %, 123383808 B */
	assert_proc(s, 2, "systemd-journald", 12.0 * 100 / 2000, 6021 * pg);  /* 0.6 %, 24662016 B */
	assert_proc(s, 3, "ksoftirqd/0", 4.0 * 100 / 2000, 0);                /* 0.2 % */
	assert_proc(s, 4, "avahi-daemon (2)", 2.0 * 100 / 2000, 928 * pg);    /* 0.1 %, 3801088 B */
}

static void test_armboard_json(void **state)
{
	const struct sample *s = load("armboard");
	(void)state;
	check_json(s, "{\"cpu\":16.3,\"ram\":24.5,\"swap\":0,\"ram_used\":974159872,\"ram_total\":3978653696,"
	              "\"swap_used\":0,\"swap_total\":0,\"cpu_temp\":48.7,\"net_up\":30409.6,\"net_down\":500819.2,"
	              "\"uptime\":864005,\"cores\":4,\"load\":[0.68,0.61,0.55],"
	              "\"disks\":[{\"mount\":\"/\",\"percent\":34.2,\"used\":10226196480,\"total\":31211872256},"
	              "{\"mount\":\"/media/pi/USB DISK\",\"percent\":35.2,\"used\":10918002688,\"total\":30983323648}],"
	              "\"top_procs\":[{\"name\":\"python3\",\"cpu\":9,\"ram\":250814464},"
	              "{\"name\":\"node-red\",\"cpu\":4.8,\"ram\":123383808},"
	              "{\"name\":\"systemd-journald\",\"cpu\":0.6,\"ram\":24662016},"
	              "{\"name\":\"ksoftirqd/0\",\"cpu\":0.2,\"ram\":0},"
	              "{\"name\":\"avahi-daemon (2)\",\"cpu\":0.1,\"ram\":3801088}]}");
}

/* ---- router: OpenWrt, 1 core, 128 MB, overlay root, many interfaces ----- */

static void test_router_values(void **state)
{
	const struct sample *s = load("router");
	(void)state;
	/* cpu t0 1234567 0 2345678 28765432 12345 0 2209778 0 = 34567800
	 *    t1 1234604 0 2345736 28765753 12345 0 2209862 0 = 34568300
	 * total 500 (one CPU, 100 Hz, 5 s); idle 28765753-28765432 = 321 (iowait +0)
	 * cpu = (500-321)*100/500 = 35.8 % (softirq 84 of it: routing) */
	assert_near(s->v[SK_CPU], 35.8);
	assert_near(s->v[SK_CORES], 1);
	/* MemTotal 124620 kB, MemAvailable 63844 kB: used 60776 kB = 62234624 B,
	 * total 127610880 B, ram = 60776*100/124620 = 48.769...% */
	assert_near(s->v[SK_RAM_USED], 62234624.0);
	assert_near(s->v[SK_RAM_TOTAL], 127610880.0);
	assert_near(s->v[SK_RAM], 60776.0 * 100 / 124620);
	assert_near(s->v[SK_SWAP_TOTAL], 0);
	assert_near(s->v[SK_SWAP_USED], 0);
	assert_near(s->v[SK_SWAP], 0);
	/* No hwmon, no thermal zone. */
	assert_absent(s->v[SK_CPU_TEMP]);
	/* Counted (rx delta, tx delta):
	 *   eth0 5200000 1300000, eth0.1 1250000 5000000, eth0.2 5100000 1280000,
	 *   br-lan 1240000 4950000, pppoe-wan 5000000 1250000, wlan0 30000 400000,
	 *   wlan1 8000 60000, wlan1-guest-iot (15 characters) 1500 2500
	 * Ignored: lo, wg0 ("wg"), tun0 ("tun").
	 * rx: 5200000+1250000+5100000+1240000+5000000+30000+8000+1500 = 17829500
	 * tx: 1300000+5000000+1280000+4950000+1250000+400000+60000+2500 = 14242500
	 * down = 17829500/5 = 3565900, up = 14242500/5 = 2848500 (the original's
	 * rule sums every interface left, bridges and VLANs included) */
	assert_near(s->v[SK_NET_DOWN], 3565900);
	assert_near(s->v[SK_NET_UP], 2848500);
	assert_near(s->v[SK_UPTIME], 345683); /* "345683.13" */
	assert_near(s->load[0], 0.42);
	assert_near(s->load[1], 0.35);
	assert_near(s->load[2], 0.30);
	assert_int_equal(s->ngpus, 0);
}

static void test_router_disks(void **state)
{
	const struct sample *s = load("router");
	(void)state;
	/* /rom squashfs (type), /overlay ubifs (nodev, and 22123*4096 = 90615808 B
	 * < 1 GiB), / overlay (type), /tmp and /dev tmpfs: all left out.
	 * /mnt/sda1 USB disk (ext4): 4096 15237120 9876543 9114567
	 *   total = 15237120*4096 = 62411243520, used = 5360577*4096 = 21956923392,
	 *   percent = 5360577*100/(5360577+9114567) = 536057700/14475144 = 37.033...% */
	assert_int_equal(s->ndisks, 1);
	assert_disk(s, 0, "/mnt/sda1", 21956923392.0, 62411243520.0, 536057700.0 / 14475144);
	assert_false(has_disk(s, "/"));
	assert_false(has_disk(s, "/overlay"));
	assert_false(has_disk(s, "/rom"));
}

static void test_router_procs(void **state)
{
	const struct sample *s = load("router");
	(void)state;
	/* All-CPU ticks: 500. Deltas and rss pages:
	 * ksoftirqd/0 3: 0+70 = 70, 0;  hostapd 1350: 2+4 = 6, 1340
	 * dropbear 1800: 0+1 = 1, 180 + 2345: 1+3 = 4, 210 -> "dropbear (2)" 5, 390
	 * netifd 1400: 1+2 = 3, 480;  dnsmasq 1201: 1+1 = 2, 512;  ubusd 465: 1 (6th) */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "ksoftirqd/0", 70.0 * 100 / 500, 0);        /* 14 % */
	assert_proc(s, 1, "hostapd", 6.0 * 100 / 500, 1340 * pg);     /* 1.2 %, 5488640 B */
	assert_proc(s, 2, "dropbear (2)", 5.0 * 100 / 500, 390 * pg); /* 1 %, 1597440 B */
	assert_proc(s, 3, "netifd", 3.0 * 100 / 500, 480 * pg);       /* 0.6 %, 1966080 B */
	assert_proc(s, 4, "dnsmasq", 2.0 * 100 / 500, 512 * pg);      /* 0.4 %, 2097152 B */
}

static void test_router_json(void **state)
{
	const struct sample *s = load("router");
	(void)state;
	check_json(s, "{\"cpu\":35.8,\"ram\":48.8,\"swap\":0,\"ram_used\":62234624,\"ram_total\":127610880,"
	              "\"swap_used\":0,\"swap_total\":0,\"net_up\":2848500,\"net_down\":3565900,\"uptime\":345683,"
	              "\"cores\":1,\"load\":[0.42,0.35,0.3],"
	              "\"disks\":[{\"mount\":\"/mnt/sda1\",\"percent\":37,\"used\":21956923392,\"total\":62411243520}],"
	              "\"top_procs\":[{\"name\":\"ksoftirqd/0\",\"cpu\":14,\"ram\":0},"
	              "{\"name\":\"hostapd\",\"cpu\":1.2,\"ram\":5488640},{\"name\":\"dropbear (2)\",\"cpu\":1,\"ram\":1597440},"
	              "{\"name\":\"netifd\",\"cpu\":0.6,\"ram\":1966080},{\"name\":\"dnsmasq\",\"cpu\":0.4,\"ram\":2097152}]}");
}

/* Identity from a fixture root: what port_host_read gives on <fixture>/t1. */
static void host_at(const char *fixture, const char *hostname, const char *os, const char *kernel,
                    const char *arch)
{
	char root[256];
	struct port_host h;
	snprintf(root, sizeof(root), FIXTURES "/%s/t1", fixture);
	assert_int_equal(port_init(root), PORT_OK);
	assert_int_equal(port_host_read(&h), PORT_OK);
	port_fini();
	assert_string_equal(h.hostname, hostname);
	assert_string_equal(h.os, os);
	assert_string_equal(h.kernel, kernel);
	assert_string_equal(h.arch, arch);
}

/* ---- router-3.18: OpenWrt 15.05, AR9331, 64 MB, 45 s after boot at 1970 -- */

static void test_router318_values(void **state)
{
	const struct sample *s = load("router-3.18");
	(void)state;
	/* cpu t0 412 0 1203 2155 18 0 187 0 = 3975, idle+iowait 2155+18 = 2173
	 *    t1 508 0 1345 2358 21 0 243 0 = 4475, idle+iowait 2358+21 = 2379
	 * total 500 (one CPU, 5 s), idle 206: cpu = (500-206)*100/500 = 58.8 %
	 * (boot: netifd, pppd and jffs2's garbage collector at work) */
	assert_near(s->v[SK_CPU], 58.8);
	assert_near(s->v[SK_CORES], 1);
	/* 3.18 meminfo has MemAvailable (3.14+). MemTotal 61112 kB, MemAvailable
	 * 31644 kB: used 29468 kB = 30175232 B, total 62578688 B,
	 * ram = 29468*100/61112 = 48.2196...%. No /proc/self/cgroup (no cgroups
	 * in this kernel): no limit looked for. */
	assert_near(s->v[SK_RAM_USED], 30175232.0);
	assert_near(s->v[SK_RAM_TOTAL], 62578688.0);
	assert_near(s->v[SK_RAM], 29468.0 * 100 / 61112);
	assert_near(s->v[SK_SWAP_TOTAL], 0);
	assert_near(s->v[SK_SWAP_USED], 0);
	assert_near(s->v[SK_SWAP], 0);
	/* No /sys/class/hwmon, no /sys/class/thermal at all. */
	assert_absent(s->v[SK_CPU_TEMP]);
	/* Counted (rx delta, tx delta): eth0 (WAN) 612340 105400, eth1 (LAN)
	 * 98200 590300, br-lan 96800 585600, wlan0 2100 14300, pppoe-wan 598760
	 * 99850; lo (+1560 both ways) ignored.
	 * rx 612340+98200+96800+2100+598760 = 1408200 -> down 281640
	 * tx 105400+590300+585600+14300+99850 = 1395450 -> up 279090 */
	assert_near(s->v[SK_NET_DOWN], 281640);
	assert_near(s->v[SK_NET_UP], 279090);
	/* /proc/uptime "45.13": the clock at 1970 (btime 0, NTP not yet run)
	 * changes nothing, uptime is read, never derived from the wall clock. */
	assert_near(s->v[SK_UPTIME], 45);
	assert_near(s->load[0], 0.94);
	assert_near(s->load[1], 0.27);
	assert_near(s->load[2], 0.09);
	assert_int_equal(s->ngpus, 0);
}

static void test_router318_disks(void **state)
{
	const struct sample *s = load("router-3.18");
	(void)state;
	/* "rootfs / rootfs" (3.18 still lists the initial rootfs, "nodev" in
	 * /proc/filesystems), /rom squashfs (type; 12*262144 B), /overlay jffs2
	 * (nodev; 3072*4096 = 12 MiB), / overlay (nodev and type), /tmp and
	 * /dev tmpfs, proc, sysfs, devpts, debugfs: no disk at all, and the two
	 * "/" lines give none. */
	assert_int_equal(s->ndisks, 0);
	assert_false(has_disk(s, "/"));
	assert_false(has_disk(s, "/overlay"));
}

static void test_router318_procs(void **state)
{
	const struct sample *s = load("router-3.18");
	(void)state;
	/* All-CPU ticks: 500. utime+stime t0 -> t1 and rss pages:
	 * jffs2_gcd_mtd3 398 (kernel thread, empty cmdline): 612 -> 713 = 101, 0
	 * netifd 601: 41+77 = 118 -> 50+96 = 146: 28, 322
	 * ksoftirqd/0 3: 44 -> 71 = 27, 0
	 * hotplug-call 1290 ("/bin/sh /sbin/hotplug-call iface": comm is the
	 *   script's name): 2+3 = 5 -> 11+20 = 31: 26, 170; 1302 started after t0
	 *   (starttime 4210 > 4012): 0, 165 -> "hotplug-call (2)" 26, 335
	 * pppd 1105: 9+31 = 40 -> 14+44 = 58: 18, 246
	 * hostapd 16, procd 8, kworker/0:1 8, dnsmasq 6... follow */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "jffs2_gcd_mtd3", 101.0 * 100 / 500, 0);          /* 20.2 % */
	assert_proc(s, 1, "netifd", 28.0 * 100 / 500, 322 * pg);            /* 5.6 %, 1318912 B */
	assert_proc(s, 2, "ksoftirqd/0", 27.0 * 100 / 500, 0);              /* 5.4 % */
	assert_proc(s, 3, "hotplug-call (2)", 26.0 * 100 / 500, 335 * pg);  /* 5.2 %, 1372160 B */
	assert_proc(s, 4, "pppd", 18.0 * 100 / 500, 246 * pg);              /* 3.6 %, 1007616 B */
}

static void test_router318_host(void **state)
{
	(void)state;
	/* proc/sys/kernel/{hostname,osrelease}; 15.05 has no os-release, its
	 * /etc/openwrt_release DISTRIB_DESCRIPTION='OpenWrt Chaos Calmer 15.05'
	 * names it; no proc/sys/kernel/arch before 6.1: the tree's uname "mips". */
	host_at("router-3.18", "OpenWrt", "OpenWrt Chaos Calmer 15.05", "3.18.20", "mips");
}

static void test_router318_json(void **state)
{
	const struct sample *s = load("router-3.18");
	(void)state;
	check_json(s, "{\"cpu\":58.8,\"ram\":48.2,\"swap\":0,\"ram_used\":30175232,\"ram_total\":62578688,"
	              "\"swap_used\":0,\"swap_total\":0,\"net_up\":279090,\"net_down\":281640,\"uptime\":45,"
	              "\"cores\":1,\"load\":[0.94,0.27,0.09],\"disks\":[],"
	              "\"top_procs\":[{\"name\":\"jffs2_gcd_mtd3\",\"cpu\":20.2,\"ram\":0},"
	              "{\"name\":\"netifd\",\"cpu\":5.6,\"ram\":1318912},{\"name\":\"ksoftirqd/0\",\"cpu\":5.4,\"ram\":0},"
	              "{\"name\":\"hotplug-call (2)\",\"cpu\":5.2,\"ram\":1372160},"
	              "{\"name\":\"pppd\",\"cpu\":3.6,\"ram\":1007616}]}");
}

/* ---- router-4.14: OpenWrt 19.07, ipq806x, 2 cores, tsens zones, VLANs --- */

static void test_router414_values(void **state)
{
	const struct sample *s = load("router-4.14");
	(void)state;
	/* cpu t0 3999999 605 3641975 228743110 8457 0 2975419 0 = 239369565
	 *    t1 4000095 606 3642052 228743809 8460 0 2975543 0 = 239370565
	 * (each the sum of cpu0 and cpu1) total 1000; idle+iowait
	 * (228743809+8460)-(228743110+8457) = 699+3 = 702
	 * cpu = (1000-702)*100/1000 = 29.8 % */
	assert_near(s->v[SK_CPU], 29.8);
	assert_near(s->v[SK_CORES], 2);
	/* 4.14 meminfo (HighTotal 0 .. LowFree, no KReclaimable): MemTotal
	 * 483572 kB, MemAvailable 360944 kB: used 122628 kB = 125571072 B,
	 * total 495177728 B, ram = 122628*100/483572 = 25.3588...%. cgroup
	 * "0::/" with no memory.max: no limit. */
	assert_near(s->v[SK_RAM_USED], 125571072.0);
	assert_near(s->v[SK_RAM_TOTAL], 495177728.0);
	assert_near(s->v[SK_RAM], 122628.0 * 100 / 483572);
	assert_near(s->v[SK_SWAP_TOTAL], 0);
	assert_near(s->v[SK_SWAP_USED], 0);
	assert_near(s->v[SK_SWAP], 0);
	/* No hwmon; thermal_zone0..10 typed tsens_tz_sensor0..10 (none names a
	 * cpu or soc, so all rank alike and the lowest zone wins; the
	 * cooling_deviceN entries are not zones): thermal_zone0 51000 -> 51 °C */
	assert_near(s->v[SK_CPU_TEMP], 51.0);
	/* Counted (rx delta, tx delta): eth0 2501300 160250, eth1 151100 2435600,
	 * br-lan 148200 2420100, eth1.1 150300 2430500, eth0.2 2500100 160100,
	 * wlan0 98700 1790400, wlan1 12400 96300; lo ignored.
	 * rx 2501300+151100+148200+150300+2500100+98700+12400 = 5562100 -> 1112420
	 * tx 160250+2435600+2420100+2430500+160100+1790400+96300 = 9493250 -> 1898650
	 * (the switch's eth0/eth1 and their VLANs eth0.2/eth1.1 carry the same
	 * bytes: the original's rule counts each interface left) */
	assert_near(s->v[SK_NET_DOWN], 1112420);
	assert_near(s->v[SK_NET_UP], 1898650);
	assert_near(s->v[SK_UPTIME], 1209618); /* "1209618.28" */
	assert_near(s->load[0], 0.19);
	assert_near(s->load[1], 0.19);
	assert_near(s->load[2], 0.16);
	assert_int_equal(s->ngpus, 0);
}

static void test_router414_disks(void **state)
{
	const struct sample *s = load("router-4.14");
	(void)state;
	/* /rom squashfs, /overlay ubifs (nodev; 17887*4096 B), / overlay, tmpfs
	 * /tmp and /dev, bpf, debugfs...: no disk. */
	assert_int_equal(s->ndisks, 0);
}

static void test_router414_procs(void **state)
{
	const struct sample *s = load("router-4.14");
	(void)state;
	/* All-CPU ticks: 1000. Deltas and rss pages:
	 * ksoftirqd/0 7: 210345 -> 210406 = 61, 0; ksoftirqd/1 15: 98765 -> 98787
	 *   = 22, 0 (different names: not merged)
	 * hostapd 2100: 6+8 = 14, 1420; 2101: 3+4 = 7, 1388 -> "hostapd (2)" 21, 2808
	 * top 31402 (busybox, cmdline "top -d 1"): 4+8 = 12, 150
	 * dnsmasq 1512: 4+5 = 9, 610
	 * dropbear 1601 (0) + 31337 (3+3) -> "dropbear (2)" 6: 6th */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "ksoftirqd/0", 61.0 * 100 / 1000, 0);          /* 6.1 % */
	assert_proc(s, 1, "ksoftirqd/1", 22.0 * 100 / 1000, 0);          /* 2.2 % */
	assert_proc(s, 2, "hostapd (2)", 21.0 * 100 / 1000, 2808 * pg);  /* 2.1 %, 11501568 B */
	assert_proc(s, 3, "top", 12.0 * 100 / 1000, 150 * pg);           /* 1.2 %, 614400 B */
	assert_proc(s, 4, "dnsmasq", 9.0 * 100 / 1000, 610 * pg);        /* 0.9 %, 2498560 B */
}

static void test_router414_host(void **state)
{
	(void)state;
	/* os-release PRETTY_NAME="OpenWrt 19.07.10"; uname "armv7l" (Krait). */
	host_at("router-4.14", "OpenWrt", "OpenWrt 19.07.10", "4.14.275", "armv7l");
}

static void test_router414_json(void **state)
{
	const struct sample *s = load("router-4.14");
	(void)state;
	check_json(s, "{\"cpu\":29.8,\"ram\":25.4,\"swap\":0,\"ram_used\":125571072,\"ram_total\":495177728,"
	              "\"swap_used\":0,\"swap_total\":0,\"cpu_temp\":51,\"net_up\":1898650,\"net_down\":1112420,"
	              "\"uptime\":1209618,\"cores\":2,\"load\":[0.19,0.19,0.16],\"disks\":[],"
	              "\"top_procs\":[{\"name\":\"ksoftirqd/0\",\"cpu\":6.1,\"ram\":0},"
	              "{\"name\":\"ksoftirqd/1\",\"cpu\":2.2,\"ram\":0},"
	              "{\"name\":\"hostapd (2)\",\"cpu\":2.1,\"ram\":11501568},"
	              "{\"name\":\"top\",\"cpu\":1.2,\"ram\":614400},{\"name\":\"dnsmasq\",\"cpu\":0.9,\"ram\":2498560}]}");
}

/* ---- router-5.4: OpenWrt 21.02, mt7621, 4 threads, 128 MB, USB disk ---- */

static void test_router54_values(void **state)
{
	const struct sample *s = load("router-5.4");
	(void)state;
	/* cpu t0 6611109 396 3475307 21824678 84553 0 1108641 0 = 33104684
	 *    t1 6611344 397 3475553 21826011 84614 0 1108765 0 = 33106684
	 * (cpu0..cpu3 summed) total 2000; idle+iowait
	 * (21826011+84614)-(21824678+84553) = 1333+61 = 1394
	 * cpu = (2000-1394)*100/2000 = 30.3 % */
	assert_near(s->v[SK_CPU], 30.3);
	assert_near(s->v[SK_CORES], 4); /* 2 cores, 4 threads: cpu0..cpu3 */
	/* MemTotal 123896 kB, MemAvailable 63480 kB: used 60416 kB = 61865984 B,
	 * total 126869504 B, ram = 60416*100/123896 = 48.763...% */
	assert_near(s->v[SK_RAM_USED], 61865984.0);
	assert_near(s->v[SK_RAM_TOTAL], 126869504.0);
	assert_near(s->v[SK_RAM], 60416.0 * 100 / 123896);
	/* Swap on the USB disk's sda2: SwapTotal 1048572 kB, SwapFree 1032188 kB:
	 * used 16384 kB = 16777216 B, total 1073737728 B,
	 * swap = 16384*100/1048572 = 1.5625...% */
	assert_near(s->v[SK_SWAP_USED], 16777216.0);
	assert_near(s->v[SK_SWAP_TOTAL], 1073737728.0);
	assert_near(s->v[SK_SWAP], 16384.0 * 100 / 1048572);
	assert_absent(s->v[SK_CPU_TEMP]); /* mt7621: no sensor */
	/* Counted (rx delta, tx delta): eth0 (the DSA conduit) 20779260 4738960,
	 * lan1 20103000 602000, lan2 1200 3400, lan3 0 0, lan4 400 2600,
	 * wan 601000 4098000, br-lan 20380000 3120000, wlan0 250000 2500000,
	 * wlan1 30000 12000, pppoe-wan 575000 4011000; lo ignored.
	 * rx 20779260+20103000+1200+0+400+601000+20380000+250000+30000+575000
	 *    = 62719860 -> down 12543972
	 * tx 4738960+602000+3400+0+2600+4098000+3120000+2500000+12000+4011000
	 *    = 19087960 -> up 3817592
	 * (eth0 carries every port's bytes again, and br-lan and pppoe-wan the
	 * ports': the original's rule sums them all) */
	assert_near(s->v[SK_NET_DOWN], 12543972);
	assert_near(s->v[SK_NET_UP], 3817592);
	assert_near(s->v[SK_UPTIME], 86417); /* "86417.45" */
	assert_near(s->load[0], 1.41);
	assert_near(s->load[1], 1.10);
	assert_near(s->load[2], 0.95);
	assert_int_equal(s->ngpus, 0);
}

static void test_router54_disks(void **state)
{
	const struct sample *s = load("router-5.4");
	(void)state;
	/* /mnt/sda1 ext4 on the USB disk: 4096 122063840 73204561 66988249
	 *   total = 122063840*4096 = 499973488640,
	 *   used = (122063840-73204561)*4096 = 48859279*4096 = 200127606784,
	 *   percent = 48859279*100/(48859279+66988249) = 4885927900/115847528 = 42.175...%
	 * Left out: /rom squashfs, /overlay jffs2, / overlay, tmpfs, cgroup2,
	 * bpf, pstore, debugfs. */
	assert_int_equal(s->ndisks, 1);
	assert_disk(s, 0, "/mnt/sda1", 200127606784.0, 499973488640.0, 4885927900.0 / 115847528);
	assert_false(has_disk(s, "/"));
	assert_false(has_disk(s, "/overlay"));
}

static void test_router54_procs(void **state)
{
	const struct sample *s = load("router-5.4");
	(void)state;
	/* All-CPU ticks: 2000 (four CPUs). Deltas and rss pages:
	 * smbd 9650 (a client writing to the disk): 1234+4567 = 5801 -> 1290+4650
	 *   = 5940: 139, 3020; 1930: 1, 2210 -> "smbd (2)" 140, 5230
	 * kworker/u8:2+flush-8:0 8012: 20123 -> 20181 = 58, 0 (since 4.18 stat
	 *   names a worker with its workqueue: 22 characters, not cut at 15)
	 * usb-storage 2101: 45678 -> 45722 = 44, 0
	 * ksoftirqd/0 9: 301234 -> 301272 = 38, 0
	 * pppd 2011: 12345+23456 = 35801 -> 12350+23467 = 35817: 16, 280
	 * ksoftirqd/1 12, hostapd 10, jbd2/sda1-8 9, ... follow */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "smbd (2)", 140.0 * 100 / 2000, 5230 * pg);           /* 7 %, 21422080 B */
	assert_proc(s, 1, "kworker/u8:2+flush-8:0", 58.0 * 100 / 2000, 0);      /* 2.9 % */
	assert_proc(s, 2, "usb-storage", 44.0 * 100 / 2000, 0);                 /* 2.2 % */
	assert_proc(s, 3, "ksoftirqd/0", 38.0 * 100 / 2000, 0);                 /* 1.9 % */
	assert_proc(s, 4, "pppd", 16.0 * 100 / 2000, 280 * pg);                 /* 0.8 %, 1146880 B */
}

static void test_router54_host(void **state)
{
	(void)state;
	host_at("router-5.4", "dir860l", "OpenWrt 21.02.7", "5.4.238", "mips");
}

static void test_router54_json(void **state)
{
	const struct sample *s = load("router-5.4");
	(void)state;
	check_json(s, "{\"cpu\":30.3,\"ram\":48.8,\"swap\":1.6,\"ram_used\":61865984,\"ram_total\":126869504,"
	              "\"swap_used\":16777216,\"swap_total\":1073737728,\"net_up\":3817592,\"net_down\":12543972,"
	              "\"uptime\":86417,\"cores\":4,\"load\":[1.41,1.1,0.95],"
	              "\"disks\":[{\"mount\":\"/mnt/sda1\",\"percent\":42.2,\"used\":200127606784,\"total\":499973488640}],"
	              "\"top_procs\":[{\"name\":\"smbd (2)\",\"cpu\":7,\"ram\":21422080},"
	              "{\"name\":\"kworker/u8:2+flush-8:0\",\"cpu\":2.9,\"ram\":0},"
	              "{\"name\":\"usb-storage\",\"cpu\":2.2,\"ram\":0},{\"name\":\"ksoftirqd/0\",\"cpu\":1.9,\"ram\":0},"
	              "{\"name\":\"pppd\",\"cpu\":0.8,\"ram\":1146880}]}");
}

/* ---- desktop: Ryzen (k10temp), several disks, an amdgpu card ------------ */

static void test_desktop_values(void **state)
{
	const struct sample *s = load("desktop");
	(void)state;
	/* cpu t0 52345678 123456 10234567 348765432 1234567 0 456789 0 = 413160489
	 *    t1 52347778 123496 10234987 348770732 1234627 0 456861 0 = 413168481
	 * total 7992; idle+iowait 5300+60 = 5360; cpu = (7992-5360)*100/7992 = 32.932...% */
	assert_near(s->v[SK_CPU], 263200.0 / 7992);
	assert_near(s->v[SK_CORES], 16);
	/* MemTotal 32780684 kB, MemAvailable 21234560 kB (the session's cgroup has
	 * memory.max "max"): used 11546124 kB = 11823230976 B, total 33567420416 B,
	 * ram = 11546124*100/32780684 = 35.222...% */
	assert_near(s->v[SK_RAM_USED], 11823230976.0);
	assert_near(s->v[SK_RAM_TOTAL], 33567420416.0);
	assert_near(s->v[SK_RAM], 11546124.0 * 100 / 32780684);
	/* SwapTotal 2097148 kB, SwapFree 1572860 kB: used 524288 kB = 536870912 B,
	 * total 2147479552 B, swap = 524288*100/2097148 = 25.00005 % */
	assert_near(s->v[SK_SWAP_USED], 536870912.0);
	assert_near(s->v[SK_SWAP_TOTAL], 2147479552.0);
	assert_near(s->v[SK_SWAP], 524288.0 * 100 / 2097148);
	/* hwmon0 nvme 38850, hwmon1 acpitz 16800, hwmon2 amdgpu 52000, hwmon3
	 * k10temp temp1_input (Tctl) 61375, temp3_input (Tccd1) 55500: k10temp's
	 * lowest input -> 61.375 °C */
	assert_near(s->v[SK_CPU_TEMP], 61.375);
	/* enp5s0 rx +12500000 tx +450000, docker0 rx +1000 tx +2000, veth3c9f1a2,
	 * wlp4s0, virbr0 +0; lo and tailscale0 (+5000/+6000) ignored:
	 * down = 12501000/5 = 2500200, up = 452000/5 = 90400 */
	assert_near(s->v[SK_NET_DOWN], 2500200);
	assert_near(s->v[SK_NET_UP], 90400);
	assert_near(s->v[SK_UPTIME], 259205); /* "259205.56" */
	assert_near(s->load[0], 2.31);
	assert_near(s->load[1], 1.87);
	assert_near(s->load[2], 1.54);
	/* card0: vendor 0x1002 (AMD), no product_name -> "AMD GPU 0x73bf";
	 * gpu_busy_percent 37; mem_info_vram_used 3456789504 B >> 20 = 3296 MiB
	 * (whole MiB), mem_info_vram_total 17163091968 B = 16368 MiB;
	 * hwmon2 temp1_input 52000 -> 52 °C, power1_average 87000000 µW -> 87 W.
	 * vram = 3296*100/16368 = 20.136...%. card0-DP-1, card0-HDMI-A-1 are
	 * connectors, renderD128 is not a card. */
	assert_int_equal(s->ngpus, 1);
	assert_int_equal(s->gpus[0].index, 0);
	assert_string_equal(s->gpus[0].name, "AMD GPU 0x73bf");
	assert_near(s->gpus[0].util, 37);
	assert_near(s->gpus[0].vram_used, 3296);
	assert_near(s->gpus[0].vram_total, 16368);
	assert_near(s->gpus[0].temp, 52);
	assert_near(s->gpus[0].power_w, 87);
	assert_near(s->v[SK_GPU], 37);
	assert_near(s->v[SK_VRAM_USED], 3296);
	assert_near(s->v[SK_VRAM_TOTAL], 16368);
	assert_near(s->v[SK_VRAM], 3296.0 * 100 / 16368);
	assert_near(s->v[SK_GPU_TEMP], 52);
}

static void test_desktop_disks(void **state)
{
	const struct sample *s = load("desktop");
	(void)state;
	/* / on nvme0n1p2: 4096 25656558 14412345 13107241
	 *   total 25656558*4096 = 105089261568, used 11244213*4096 = 46056296448,
	 *   percent 11244213*100/(11244213+13107241) = 1124421300/24351454 = 46.174...%
	 * /home on nvme0n1p3: 4096 456789012 234567890 211765432
	 *   total 1871007793152, used 222221122*4096 = 910217715712,
	 *   percent 22222112200/433986554 = 51.204...%
	 * /mnt/data on sda1 (8 TB): 4096 1953506304 987654321 889976832
	 *   total 8001561821184, used 965851983*4096 = 3956129722368,
	 *   percent 96585198300/1855828815 = 52.044...%
	 * Left out: /boot/efi (under /boot), /snap/... (loop devices, squashfs),
	 * /var/snap/firefox/common/host-hunspell (under /var/snap; nvme0n1p2
	 * again), /media/alex/BOOTSTICK (245248*4096 = 1004535808 B < 1 GiB),
	 * tmpfs, devtmpfs, fuse.gvfsd-fuse and fuse.portal (0 blocks). */
	assert_int_equal(s->ndisks, 3);
	assert_disk(s, 0, "/", 46056296448.0, 105089261568.0, 1124421300.0 / 24351454);
	assert_disk(s, 1, "/home", 910217715712.0, 1871007793152.0, 22222112200.0 / 433986554);
	assert_disk(s, 2, "/mnt/data", 3956129722368.0, 8001561821184.0, 96585198300.0 / 1855828815);
	assert_false(has_disk(s, "/boot/efi"));
	assert_false(has_disk(s, "/media/alex/BOOTSTICK"));
	assert_false(has_disk(s, "/snap/firefox/4173"));
	assert_false(has_disk(s, "/var/snap/firefox/common/host-hunspell"));
}

static void test_desktop_procs(void **state)
{
	const struct sample *s = load("desktop");
	(void)state;
	/* All-CPU ticks: 7992. Deltas and rss pages:
	 * firefox 2001: 480+80 = 560, 166400;  gnome-shell 1580: 250+70 = 320, 107520
	 * Isolated Web Co 2105: 180, 76800; 2230: 44, 46080; 2388: 0, 24320
	 *   -> "Isolated Web Co (3)" 224, 147200 (15 characters, but argv[0] is
	 *   .../firefox, which does not start with it: the name stays cut)
	 * Web Content 2150 (a space in the name): 130+10 = 140, 51200
	 * code 2600: 95, 76800; 2650: 30, 38400; 2700: 8, 25600 -> "code (3)" 133, 140800
	 * then pipewire 22, Xwayland 15, ksoftirqd/1 6, systemd-journal 3, ...
	 * cc1 4400: t0 20+2 started at 25900000, t1 180+10 started at 25900400: the
	 *   pid was reused, so its 190 ticks are not a delta against 22 (that
	 *   would be 168 and put it third); a new process counts 0. */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "firefox", 56000.0 / 7992, 166400 * pg);             /* 7.007 %, 681574400 B */
	assert_proc(s, 1, "gnome-shell", 32000.0 / 7992, 107520 * pg);         /* 4.004 %, 440401920 B */
	assert_proc(s, 2, "Isolated Web Co (3)", 22400.0 / 7992, 147200 * pg); /* 2.803 %, 602931200 B */
	assert_proc(s, 3, "Web Content", 14000.0 / 7992, 51200 * pg);          /* 1.752 %, 209715200 B */
	assert_proc(s, 4, "code (3)", 13300.0 / 7992, 140800 * pg);            /* 1.664 %, 576716800 B */
}

static void test_desktop_json(void **state)
{
	const struct sample *s = load("desktop");
	(void)state;
	check_json(s, "{\"cpu\":32.9,\"ram\":35.2,\"swap\":25,\"gpu\":37,\"vram\":20.1,\"ram_used\":11823230976,"
	              "\"ram_total\":33567420416,\"swap_used\":536870912,\"swap_total\":2147479552,\"vram_used\":3296,"
	              "\"vram_total\":16368,\"cpu_temp\":61.4,\"gpu_temp\":52,\"net_up\":90400,\"net_down\":2500200,"
	              "\"uptime\":259205,\"cores\":16,\"load\":[2.31,1.87,1.54],"
	              "\"disks\":[{\"mount\":\"/\",\"percent\":46.2,\"used\":46056296448,\"total\":105089261568},"
	              "{\"mount\":\"/home\",\"percent\":51.2,\"used\":910217715712,\"total\":1871007793152},"
	              "{\"mount\":\"/mnt/data\",\"percent\":52,\"used\":3956129722368,\"total\":8001561821184}],"
	              "\"top_procs\":[{\"name\":\"firefox\",\"cpu\":7,\"ram\":681574400},"
	              "{\"name\":\"gnome-shell\",\"cpu\":4,\"ram\":440401920},"
	              "{\"name\":\"Isolated Web Co (3)\",\"cpu\":2.8,\"ram\":602931200},"
	              "{\"name\":\"Web Content\",\"cpu\":1.8,\"ram\":209715200},"
	              "{\"name\":\"code (3)\",\"cpu\":1.7,\"ram\":576716800}],"
	              "\"gpus\":[{\"index\":0,\"name\":\"AMD GPU 0x73bf\",\"util\":37,\"vram_used\":3296,"
	              "\"vram_total\":16368,\"temp\":52,\"power_w\":87}]}");
}

/* ---- the original's name rules, directly -------------------------------- */

static void test_rules(void **state)
{
	struct port_fs f;
	(void)state;
	collect_init(&coll, NULL);
	/* AGENT_NET_IGNORE default "lo,loopback,tun,tap,wg,tailscale": substrings,
	 * any case, as the original (so "wlo1" is left out: it contains "lo"). */
	assert_true(collect_if_ignored(&coll, "lo"));
	assert_true(collect_if_ignored(&coll, "wg0"));
	assert_true(collect_if_ignored(&coll, "Tailscale0"));
	assert_true(collect_if_ignored(&coll, "wlo1"));
	assert_false(collect_if_ignored(&coll, "br-lan"));
	assert_false(collect_if_ignored(&coll, "eth0.2"));
	assert_false(collect_if_ignored(&coll, "enx00e04c680123"));
	collect_init(&coll, " eth1 ,  ,VETH");
	assert_true(collect_if_ignored(&coll, "eth1"));
	assert_true(collect_if_ignored(&coll, "veth3c9f1a2"));
	assert_false(collect_if_ignored(&coll, "lo"));

	/* Exactly 1 GiB is kept ("under 1 GiB" is left out). */
	memset(&f, 0, sizeof(f));
	snprintf(f.mount, sizeof(f.mount), "/srv");
	snprintf(f.dev, sizeof(f.dev), "/dev/sdc1");
	snprintf(f.fstype, sizeof(f.fstype), "ext4");
	f.physical = 1;
	f.total = 1073741824;
	assert_true(collect_disk_wanted(&f));
	f.total = 1073741823;
	assert_false(collect_disk_wanted(&f));
}

/* ---- hostile input: tests/fixtures/hostile/<case> ----------------------- */
/* Each case is a small 2-CPU host; t1 differs from the sound base in one
 * respect. The base gives, by hand:
 * cpu   t0 1000 0 500 8000 100 0 20 0 = 9620, idle+iowait 8100
 *       t1 1163 0 541 8781 110 0 25 0 = 10620, idle+iowait 8891
 *       -> (1000-791)*100/1000 = 20.9 %, cores 2
 * ram   MemTotal 2000000 kB, MemAvailable 1500000 kB -> 512000000 of 2048000000 B, 25 %
 * swap  SwapTotal 1000000 kB, SwapFree 750000 kB -> 256000000 of 1024000000 B, 25 %
 * net   eth0 rx +50000, tx +10000 (lo ignored) -> down 10000, up 2000 B/s
 * disk  / 4096 2621440 1310720 1179648 -> used 1310720*4096 = 5368709120 of
 *       10737418240, 1310720*100/(1310720+1179648) = 52.63 %
 * procs worker 80+20 = 100 ticks, 1000 pages -> 10 %, 4096000 B;
 *       idle-daemon 0 ticks, 500 pages -> 0 %, 2048000 B
 * uptime "5005.51" -> 5005, load 0.50 0.40 0.30 */

#define H_CPU "\"cpu\":20.9,"
#define H_MEM "\"ram\":25,\"swap\":25,\"ram_used\":512000000,\"ram_total\":2048000000,"
#define H_SWAP "\"swap_used\":256000000,\"swap_total\":1024000000,"
#define H_NET "\"net_up\":2000,\"net_down\":10000,"
#define H_UP "\"uptime\":5005,"
#define H_CORES "\"cores\":2,"
#define H_LOAD "\"load\":[0.5,0.4,0.3],"
#define H_ROOT "{\"mount\":\"/\",\"percent\":52.6,\"used\":5368709120,\"total\":10737418240}"
#define H_DISKS "\"disks\":[" H_ROOT "],"
#define H_WORKER "{\"name\":\"worker\",\"cpu\":10,\"ram\":4096000}"
#define H_IDLE "{\"name\":\"idle-daemon\",\"cpu\":0,\"ram\":2048000}"
#define H_PROCS "\"top_procs\":[" H_WORKER "," H_IDLE "]"
#define H_BASE "{" H_CPU H_MEM H_SWAP H_NET H_UP H_CORES H_LOAD H_DISKS H_PROCS "}"

static void test_hostile_base_values(void **state)
{
	const struct sample *s = load("hostile/unreadable_pid");
	(void)state;
	/* The arithmetic above, value by value, on a case whose scalars are the base's. */
	assert_near(s->v[SK_CPU], 20.9);
	assert_near(s->v[SK_CORES], 2);
	assert_near(s->v[SK_RAM], 25);
	assert_near(s->v[SK_RAM_USED], 512000000.0);
	assert_near(s->v[SK_RAM_TOTAL], 2048000000.0);
	assert_near(s->v[SK_SWAP], 25);
	assert_near(s->v[SK_SWAP_USED], 256000000.0);
	assert_near(s->v[SK_SWAP_TOTAL], 1024000000.0);
	assert_near(s->v[SK_NET_DOWN], 10000);
	assert_near(s->v[SK_NET_UP], 2000);
	assert_near(s->v[SK_UPTIME], 5005);
	assert_disk(s, 0, "/", 5368709120.0, 10737418240.0, 131072000.0 / 2490368);
	assert_int_equal(s->ndisks, 1);
}

static void test_hostile_truncated_stat(void **state)
{
	const struct sample *s = load("hostile/truncated_stat");
	(void)state;
	/* t1 /proc/stat is "cpu  1163 0 541 8781 11" and ends there, mid first
	 * line: no CPU%, no core count. Process shares have no all-CPU total to
	 * divide by and read 0 (the key stays, as the original always sent it);
	 * worker still sorts first by its 100 ticks. */
	assert_absent(s->v[SK_CPU]);
	assert_absent(s->v[SK_CORES]);
	assert_proc(s, 0, "worker", 0, 1000 * pg);
	check_json(s, "{" H_MEM H_SWAP H_NET H_UP H_LOAD H_DISKS
	              "\"top_procs\":[{\"name\":\"worker\",\"cpu\":0,\"ram\":4096000}," H_IDLE "]}");
}

static void test_hostile_meminfo_no_swaptotal(void **state)
{
	const struct sample *s = load("hostile/meminfo_no_swaptotal");
	(void)state;
	/* t1 meminfo has SwapFree but no SwapTotal line: the three swap keys are
	 * absent; RAM is unaffected. */
	assert_absent(s->v[SK_SWAP]);
	assert_absent(s->v[SK_SWAP_USED]);
	assert_absent(s->v[SK_SWAP_TOTAL]);
	assert_near(s->v[SK_RAM_USED], 512000000.0);
	check_json(s, "{" H_CPU "\"ram\":25,\"ram_used\":512000000,\"ram_total\":2048000000," H_NET H_UP H_CORES
	              H_LOAD H_DISKS H_PROCS "}");
}

static void test_hostile_mount_spaces(void **state)
{
	const struct sample *s = load("hostile/mount_spaces");
	(void)state;
	/* /proc/mounts escapes space, tab, newline and backslash as \040 \011
	 * \012 \134; the statvfs lines use the same escaped names.
	 * /mnt/my disk      4096 5242880 3932160 3670016: total 21474836480,
	 *   used 1310720*4096 = 5368709120, 1310720*100/(1310720+3670016) = 26.32 %
	 * /srv/tab<TAB>dir  4096 7864320 7340032 7340032: total 32212254720,
	 *   used 524288*4096 = 2147483648, 524288*100/7864320 = 6.67 %
	 * /data/back\slash  4096 2621440 2359296 2228224: total 10737418240,
	 *   used 262144*4096 = 1073741824, 262144*100/(262144+2228224) = 10.53 %
	 * /mnt/new<LF>line  4096 1048576 786432 733184: total 4294967296,
	 *   used 262144*4096 = 1073741824, 262144*100/(262144+733184) = 26.34 % */
	assert_int_equal(s->ndisks, 5);
	assert_disk(s, 1, "/mnt/my disk", 5368709120.0, 21474836480.0, 131072000.0 / 4980736);
	assert_disk(s, 2, "/srv/tab\tdir", 2147483648.0, 32212254720.0, 52428800.0 / 7864320);
	assert_disk(s, 3, "/data/back\\slash", 1073741824.0, 10737418240.0, 26214400.0 / 2490368);
	assert_disk(s, 4, "/mnt/new\nline", 1073741824.0, 4294967296.0, 26214400.0 / 995328);
	check_json(s, "{" H_CPU H_MEM H_SWAP H_NET H_UP H_CORES H_LOAD "\"disks\":[" H_ROOT ","
	              "{\"mount\":\"/mnt/my disk\",\"percent\":26.3,\"used\":5368709120,\"total\":21474836480},"
	              "{\"mount\":\"/srv/tab\\tdir\",\"percent\":6.7,\"used\":2147483648,\"total\":32212254720},"
	              "{\"mount\":\"/data/back\\\\slash\",\"percent\":10.5,\"used\":1073741824,\"total\":10737418240},"
	              "{\"mount\":\"/mnt/new\\nline\",\"percent\":26.3,\"used\":1073741824,\"total\":4294967296}],"
	              H_PROCS "}");
}

static void test_hostile_ifname_15(void **state)
{
	const struct sample *s = load("hostile/ifname_15");
	(void)state;
	/* Kernel names are at most 15 characters and then touch the colon:
	 * "enx00e04c680123:" rx 5000000 -> 5070000 (+70000), tx 700000 -> 730000
	 * (+30000): counted. "wg-mullvad-se01" (+80000/+90000) contains "wg": ignored.
	 * down = (50000+70000)/5 = 24000, up = (10000+30000)/5 = 8000 */
	assert_near(s->v[SK_NET_DOWN], 24000);
	assert_near(s->v[SK_NET_UP], 8000);
	check_json(s, "{" H_CPU H_MEM H_SWAP "\"net_up\":8000,\"net_down\":24000," H_UP H_CORES H_LOAD H_DISKS
	              H_PROCS "}");
}

static void test_hostile_proc_names(void **state)
{
	const struct sample *s = load("hostile/proc_names");
	(void)state;
	/* comm may hold spaces and parentheses; the fields start after the last ')'.
	 * All-CPU ticks 1000. Deltas, rss pages:
	 * "(sd-pam)"  20+10 = 30, 300            -> 3 %,   1228800 B
	 * "Web Content" 302: 10+2 = 12, 20000; 303: 7+1 = 8, 15000
	 *                     -> "Web Content (2)" 20, 35000 -> 2 %, 143360000 B
	 * "a) b (c"   12+3 = 15, 700             -> 1.5 %, 2867200 B
	 * q"uo\te     10+2 = 12, 600             -> 1.2 %, 2457600 B
	 * "evil) R 1 2" 8+1 = 9, 400             -> 0.9 %, 1638400 B
	 * worker 4+1 = 5, idle-daemon 0: 6th and 7th */
	assert_int_equal(s->nprocs, 5);
	assert_proc(s, 0, "(sd-pam)", 3, 300 * pg);
	assert_proc(s, 1, "Web Content (2)", 2, 35000 * pg);
	assert_proc(s, 2, "a) b (c", 1.5, 700 * pg);
	assert_proc(s, 3, "q\"uo\\te", 1.2, 600 * pg);
	assert_proc(s, 4, "evil) R 1 2", 0.9, 400 * pg);
	check_json(s, "{" H_CPU H_MEM H_SWAP H_NET H_UP H_CORES H_LOAD H_DISKS
	              "\"top_procs\":[{\"name\":\"(sd-pam)\",\"cpu\":3,\"ram\":1228800},"
	              "{\"name\":\"Web Content (2)\",\"cpu\":2,\"ram\":143360000},"
	              "{\"name\":\"a) b (c\",\"cpu\":1.5,\"ram\":2867200},"
	              "{\"name\":\"q\\\"uo\\\\te\",\"cpu\":1.2,\"ram\":2457600},"
	              "{\"name\":\"evil) R 1 2\",\"cpu\":0.9,\"ram\":1638400}]}");
}

static void test_hostile_cpu_backwards(void **state)
{
	const struct sample *s = load("hostile/cpu_backwards");
	(void)state;
	/* t0 holds the base's t1 counters and t1 the base's t0: the total went
	 * from 10620 down to 9620. No CPU%; the core count is still 2; process
	 * shares read 0 (no total delta), worker's 100 ticks went down too. */
	assert_absent(s->v[SK_CPU]);
	assert_near(s->v[SK_CORES], 2);
	check_json(s, "{" H_MEM H_SWAP H_NET H_UP H_CORES H_LOAD H_DISKS
	              "\"top_procs\":[{\"name\":\"worker\",\"cpu\":0,\"ram\":4096000}," H_IDLE "]}");
}

static void test_hostile_net_backwards(void **state)
{
	const struct sample *s = load("hostile/net_backwards");
	(void)state;
	/* eth0 rx wrapped at 32 bits (4294960000 -> 43000) while tx rose 200000
	 * -> 260000: the interval says nothing for eth0, left out whole.
	 * wlan0 rx +20000, tx +5000: down = 20000/5 = 4000, up = 5000/5 = 1000 */
	assert_near(s->v[SK_NET_DOWN], 4000);
	assert_near(s->v[SK_NET_UP], 1000);
	check_json(s, "{" H_CPU H_MEM H_SWAP "\"net_up\":1000,\"net_down\":4000," H_UP H_CORES H_LOAD H_DISKS
	              H_PROCS "}");
}

static void test_hostile_net_reset(void **state)
{
	const struct sample *s = load("hostile/net_reset");
	(void)state;
	/* The only counted interface, eth0, went back (driver reset: rx
	 * 987654321 -> 1200, tx 123456789 -> 800): no rate at all this time. */
	assert_absent(s->v[SK_NET_UP]);
	assert_absent(s->v[SK_NET_DOWN]);
	check_json(s, "{" H_CPU H_MEM H_SWAP H_UP H_CORES H_LOAD H_DISKS H_PROCS "}");
}

static void test_hostile_hwmon_garbage(void **state)
{
	const struct sample *s = load("hostile/hwmon_garbage");
	(void)state;
	/* hwmon0 "cpu_thermal" temp1_input reads "garbage": the next source in
	 * the order, thermal_zone0 (cpu-thermal) 51234 -> 51.234 °C. */
	assert_near(s->v[SK_CPU_TEMP], 51.234);
	check_json(s, "{" H_CPU H_MEM H_SWAP "\"cpu_temp\":51.2," H_NET H_UP H_CORES H_LOAD H_DISKS H_PROCS "}");
}

static void test_hostile_hwmon_garbage_nozone(void **state)
{
	const struct sample *s = load("hostile/hwmon_garbage_nozone");
	(void)state;
	/* The same garbage and no thermal zone: no temperature at all. */
	assert_absent(s->v[SK_CPU_TEMP]);
	check_json(s, H_BASE);
}

static void test_hostile_zone_order(void **state)
{
	const struct sample *s = load("hostile/zone_order");
	(void)state;
	/* No hwmon; thermal_zone0 "pa-therm0" 35000, thermal_zone2 "cpu-thermal0"
	 * 47000, thermal_zone10 "cpu-thermal1" 49000: the two cpu zones rank
	 * alike and the lower zone number wins, 2 before 10 (compared as text,
	 * "thermal_zone10" sorted first and 49 was reported) -> 47 °C */
	assert_near(s->v[SK_CPU_TEMP], 47.0);
	check_json(s, "{" H_CPU H_MEM H_SWAP "\"cpu_temp\":47," H_NET H_UP H_CORES H_LOAD H_DISKS H_PROCS "}");
}

static void test_hostile_unreadable_pid(void **state)
{
	const struct sample *s = load("hostile/unreadable_pid");
	(void)state;
	/* t1 /proc also holds: 300/ with no stat (the process exited), 301/stat
	 * binary junk, 302/stat cut after field 13, 303/stat empty, 304/stat
	 * without ')', and 12abc/ (not a pid). Each is skipped; worker and
	 * idle-daemon are reported as in the base. */
	assert_int_equal(s->nprocs, 2);
	check_json(s, H_BASE);
}

static void test_hostile_pid_stat_negative(void **state)
{
	const struct sample *s = load("hostile/pid_stat_negative");
	(void)state;
	/* 305/stat has utime "-50": utime is unsigned (proc(5) %lu), so the line
	 * is garbage and the process is skipped, like any other garbled stat.
	 * (The sign was once skipped on every field, reporting "neg" with utime
	 * 50.) */
	assert_int_equal(s->nprocs, 2);
	check_json(s, H_BASE);
}

static void test_hostile_fuse_network_fs(void **state)
{
	const struct sample *s = load("hostile/fuse_network_fs");
	(void)state;
	/* psutil.disk_partitions(all=False), the original's source, keeps a mount
	 * only when its fstype is listed in /proc/filesystems without "nodev".
	 * "fuseblk" (ntfs-3g on /dev/vdb1) is: /media/win 4096 26214400 13107200
	 * 13107200 -> used 13107200*4096 = 53687091200 of 107374182400, 50 %.
	 * "fuse.sshfs" is not listed at all (the kernel lists "nodev fuse"):
	 * /mnt/nas, an 8 TB share, is not a disk of this host (nor is it
	 * statvfs'ed on a live system, which would hang on a dead server). */
	assert_disk(s, 1, "/media/win", 53687091200.0, 107374182400.0, 50);
	assert_false(has_disk(s, "/mnt/nas"));
	assert_int_equal(s->ndisks, 2);
	check_json(s, "{" H_CPU H_MEM H_SWAP H_NET H_UP H_CORES H_LOAD "\"disks\":[" H_ROOT ","
	              "{\"mount\":\"/media/win\",\"percent\":50,\"used\":53687091200,\"total\":107374182400}],"
	              H_PROCS "}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_thishost_values),
		cmocka_unit_test(test_thishost_disks),
		cmocka_unit_test(test_thishost_procs),
		cmocka_unit_test(test_thishost_json),
		cmocka_unit_test(test_container_values),
		cmocka_unit_test(test_container_disks),
		cmocka_unit_test(test_container_procs),
		cmocka_unit_test(test_container_json),
		cmocka_unit_test(test_armboard_values),
		cmocka_unit_test(test_armboard_disks),
		cmocka_unit_test(test_armboard_procs),
		cmocka_unit_test(test_armboard_json),
		cmocka_unit_test(test_router_values),
		cmocka_unit_test(test_router_disks),
		cmocka_unit_test(test_router_procs),
		cmocka_unit_test(test_router_json),
		cmocka_unit_test(test_router318_values),
		cmocka_unit_test(test_router318_disks),
		cmocka_unit_test(test_router318_procs),
		cmocka_unit_test(test_router318_host),
		cmocka_unit_test(test_router318_json),
		cmocka_unit_test(test_router414_values),
		cmocka_unit_test(test_router414_disks),
		cmocka_unit_test(test_router414_procs),
		cmocka_unit_test(test_router414_host),
		cmocka_unit_test(test_router414_json),
		cmocka_unit_test(test_router54_values),
		cmocka_unit_test(test_router54_disks),
		cmocka_unit_test(test_router54_procs),
		cmocka_unit_test(test_router54_host),
		cmocka_unit_test(test_router54_json),
		cmocka_unit_test(test_desktop_values),
		cmocka_unit_test(test_desktop_disks),
		cmocka_unit_test(test_desktop_procs),
		cmocka_unit_test(test_desktop_json),
		cmocka_unit_test(test_hostile_base_values),
		cmocka_unit_test(test_hostile_truncated_stat),
		cmocka_unit_test(test_hostile_meminfo_no_swaptotal),
		cmocka_unit_test(test_hostile_mount_spaces),
		cmocka_unit_test(test_hostile_ifname_15),
		cmocka_unit_test(test_hostile_proc_names),
		cmocka_unit_test(test_hostile_cpu_backwards),
		cmocka_unit_test(test_hostile_net_backwards),
		cmocka_unit_test(test_hostile_net_reset),
		cmocka_unit_test(test_hostile_hwmon_garbage),
		cmocka_unit_test(test_hostile_hwmon_garbage_nozone),
		cmocka_unit_test(test_hostile_zone_order),
		cmocka_unit_test(test_hostile_unreadable_pid),
		cmocka_unit_test(test_hostile_pid_stat_negative),
		cmocka_unit_test(test_hostile_fuse_network_fs),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
