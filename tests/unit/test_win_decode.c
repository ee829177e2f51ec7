/* Unit tests for port/windows on Linux: win_decode.c fed the numbers the
 * Win32 calls return (FILETIME halves, GlobalMemoryStatusEx's page file,
 * GetLogicalDriveStrings' list, GetDriveType's codes, Toolhelp32 entries),
 * expected values worked out by hand; then a fake Windows machine under
 * agent-min/collect.c (port.h's readers below built on win_decode.c as
 * metrics.c builds them), so the CPU percentage, the disks kept and the
 * processes merged by name are the agent's own. No windows.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "port/windows/win_decode.h"
#include "wire/sample.h"

#define GIB (1024ull * 1024ull * 1024ull)
#define MIB (1024ull * 1024ull)

static void filetime(void **st)
{
	(void)st;
	assert_true(wd_filetime(0x89abcdefu, 0x01234567u) == 0x0123456789abcdefull);
	assert_true(wd_filetime(0xffffffffu, 0) == 0xffffffffull);
	assert_true(wd_filetime(0, 1) == 0x100000000ull);
}

static void cpu_times(void **st)
{
	struct port_cpu a, b;
	double pct = -1;
	(void)st;
	/* kernel time includes idle: total = kernel + user */
	assert_int_equal(wd_cpu(600, 800, 200, 4, &a), PORT_OK);
	assert_true(a.total == 1000 && a.idle == 600 && a.ncpu == 4);
	assert_int_equal(wd_cpu(900, 1200, 300, 4, &b), PORT_OK);
	assert_int_equal(wd_cpu_busy(&a, &b, &pct), PORT_OK);
	assert_true(pct == 40.0); /* (500 - 300) / 500 */
	/* all idle, all busy */
	assert_int_equal(wd_cpu(1100, 1300, 200, 4, &b), PORT_OK);
	assert_int_equal(wd_cpu_busy(&a, &b, &pct), PORT_OK);
	assert_true(pct == 0.0);
	assert_int_equal(wd_cpu(600, 1300, 700, 4, &b), PORT_OK);
	assert_int_equal(wd_cpu_busy(&a, &b, &pct), PORT_OK);
	assert_true(pct == 100.0);
	/* garbled: idle beyond kernel, counters back, nothing passed */
	assert_int_equal(wd_cpu(801, 800, 200, 4, &b), PORT_EPARSE);
	assert_int_equal(wd_cpu(0, UINT64_MAX, 1, 4, &b), PORT_EPARSE);
	assert_int_equal(wd_cpu(500, 700, 200, 4, &b), PORT_OK);
	assert_int_equal(wd_cpu_busy(&a, &b, &pct), PORT_EPARSE);
	assert_int_equal(wd_cpu_busy(&a, &a, &pct), PORT_EPARSE);
}

static void memory(void **st)
{
	struct port_mem m;
	(void)st;
	/* 16 GiB RAM, 4 free; commit limit 20 GiB (a 4 GiB page file), 6 left */
	assert_int_equal(wd_mem(16 * GIB, 4 * GIB, 20 * GIB, 6 * GIB, &m), PORT_OK);
	assert_true(m.total == 16 * GIB && m.avail == 4 * GIB);
	assert_true(m.swap_total == 4 * GIB && m.swap_free == 2 * GIB);
	assert_true(m.cg_limit == PORT_NA && m.cg_usage == PORT_NA && m.cg_inactive_file == PORT_NA);
	/* no page file: commit limit == RAM */
	assert_int_equal(wd_mem(8 * GIB, 3 * GIB, 8 * GIB, 3 * GIB, &m), PORT_OK);
	assert_true(m.swap_total == 0 && m.swap_free == 0);
	/* committed beyond the free RAM: none of the page file left */
	assert_int_equal(wd_mem(8 * GIB, 3 * GIB, 10 * GIB, 2 * GIB, &m), PORT_OK);
	assert_true(m.swap_total == 2 * GIB && m.swap_free == 0);
	/* free page file beyond its size (a limit below RAM): clamped */
	assert_int_equal(wd_mem(8 * GIB, 1 * GIB, 8 * GIB + 4096, 6 * GIB, &m), PORT_OK);
	assert_true(m.swap_total == 4096 && m.swap_free == 4096);
	assert_int_equal(wd_mem(0, 0, 0, 0, &m), PORT_EPARSE);
	assert_int_equal(wd_mem(4 * GIB, 5 * GIB, 8 * GIB, 1 * GIB, &m), PORT_EPARSE);
	assert_int_equal(wd_mem(4 * GIB, 1 * GIB, 8 * GIB, 9 * GIB, &m), PORT_EPARSE);
}

static void drive_list(void **st)
{
	static const char list[] = "C:\\\0D:\\\0Z:\\\0"; /* and the final NUL */
	size_t pos = 0;
	const char *r;
	(void)st;
	r = wd_drive_next(list, sizeof list, &pos);
	assert_string_equal(r, "C:\\");
	r = wd_drive_next(list, sizeof list, &pos);
	assert_string_equal(r, "D:\\");
	r = wd_drive_next(list, sizeof list, &pos);
	assert_string_equal(r, "Z:\\");
	assert_null(wd_drive_next(list, sizeof list, &pos));
	/* cut inside a root: the unterminated tail is not returned */
	pos = 0;
	assert_non_null(wd_drive_next(list, 6, &pos));
	assert_null(wd_drive_next(list, 6, &pos));
	pos = 0;
	assert_null(wd_drive_next("", 1, &pos));
}

static void drives(void **st)
{
	struct port_fs f;
	(void)st;
	assert_int_equal(wd_drive("C:\\", WD_DRIVE_FIXED, "NTFS", 90 * GIB, 500 * GIB, 100 * GIB, &f), 1);
	assert_string_equal(f.mount, "C:\\");
	assert_string_equal(f.dev, "C:\\");
	assert_string_equal(f.fstype, "NTFS");
	assert_int_equal(f.physical, 1);
	assert_true(f.total == 500 * GIB && f.used == 400 * GIB && f.avail == 90 * GIB);
	/* the original on Windows: fixed drives only */
	assert_int_equal(wd_drive("D:\\", WD_DRIVE_CDROM, "CDFS", 0, 700 * MIB, 0, &f), 0);
	assert_int_equal(wd_drive("E:\\", WD_DRIVE_REMOVABLE, "FAT32", GIB, 64 * GIB, GIB, &f), 0);
	assert_int_equal(wd_drive("N:\\", WD_DRIVE_REMOTE, "NTFS", GIB, 64 * GIB, GIB, &f), 0);
	assert_int_equal(wd_drive("R:\\", WD_DRIVE_RAMDISK, "NTFS", GIB, 4 * GIB, GIB, &f), 0);
	assert_int_equal(wd_drive("X:\\", WD_DRIVE_NO_ROOT_DIR, "", 0, 0, 0, &f), 0);
	/* garbled sizes */
	assert_int_equal(wd_drive("C:\\", WD_DRIVE_FIXED, "NTFS", 0, 0, 0, &f), 0);
	assert_int_equal(wd_drive("C:\\", WD_DRIVE_FIXED, "NTFS", GIB, GIB, 2 * GIB, &f), 0);
	/* no volume information: still reported */
	assert_int_equal(wd_drive("F:\\", WD_DRIVE_FIXED, "", 2 * GIB, 4 * GIB, 2 * GIB, &f), 1);
	assert_string_equal(f.fstype, "unknown");
}

static void interfaces(void **st)
{
	char b[8];
	(void)st;
	assert_int_equal(wd_if_wanted(0, "Ethernet"), 1);
	assert_int_equal(wd_if_wanted(1, "Ethernet-WFP Native MAC Layer LightWeight Filter-0000"), 0);
	assert_int_equal(wd_if_wanted(0, ""), 0);
	assert_int_equal(wd_if_wanted(0, NULL), 0);
	assert_int_equal(wd_if_wanted(0, "Loopback Pseudo-Interface 1"), 1); /* AGENT_NET_IGNORE's */
	/* cut on a character: "Сеть" is 8 bytes of UTF-8 */
	wd_utf8_copy(b, 4, "Сеть");
	assert_string_equal(b, "С");
	wd_utf8_copy(b, 5, "Сеть");
	assert_string_equal(b, "Се");
	wd_utf8_copy(b, sizeof b, "Wi-Fi");
	assert_string_equal(b, "Wi-Fi");
	wd_utf8_copy(b, 3, "Wi-Fi");
	assert_string_equal(b, "Wi");
}

static void proc_entry(void **st)
{
	struct port_proc p;
	char longname[80];
	(void)st;
	assert_int_equal(wd_proc(0, "[System Process]", 0, 5, 5, 0, &p), PORT_ENOTAVAIL);
	assert_int_equal(wd_proc(1234, "chrome.exe", 133000000000000000ull, 1000, 500, 100 * MIB, &p), PORT_OK);
	assert_int_equal(p.pid, 1234);
	assert_true(p.start == 133000000000000000ull && p.ticks == 1500 && p.rss == 100 * MIB);
	assert_string_equal(p.name, "chrome.exe");
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(wd_proc(7, longname, 1, 0, 0, 0, &p), PORT_OK);
	assert_int_equal(strlen(p.name), sizeof(p.name) - 1);
	assert_int_equal(wd_proc(8, "", 1, 0, 0, 0, &p), PORT_OK);
	assert_string_equal(p.name, "8");
	assert_int_equal(wd_proc(9, "x.exe", 1, UINT64_MAX, 1, 0, &p), PORT_ENOTAVAIL);
}

static void os_name(void **st)
{
	char os[128], k[64];
	(void)st;
	wd_os_name("Windows 10 Pro", 10, 0, 19045, os, sizeof os, k, sizeof k);
	assert_string_equal(os, "Windows 10 Pro (build 19045)");
	assert_string_equal(k, "10.0.19045");
	wd_os_name("Windows 10 Pro", 10, 0, 22631, os, sizeof os, k, sizeof k);
	assert_string_equal(os, "Windows 11 Pro (build 22631)");
	wd_os_name("Windows Server 2019 Standard", 10, 0, 17763, os, sizeof os, k, sizeof k);
	assert_string_equal(os, "Windows Server 2019 Standard (build 17763)");
	wd_os_name("", 6, 1, 7601, os, sizeof os, k, sizeof k);
	assert_string_equal(os, "Windows 6.1 (build 7601)");
	assert_string_equal(k, "6.1.7601");
	wd_os_name(NULL, 10, 0, 22000, os, sizeof os, k, sizeof k);
	assert_string_equal(os, "Windows 11 (build 22000)");
}

static void cmdline(void **st)
{
	char c[64];
	size_t n = 0;
	static const char *const drop[] = {"AGENT_SECRET", NULL};
	(void)st;
	assert_int_equal(wd_cmdline_append(c, sizeof c, &n, "systeminfo"), PORT_OK);
	assert_string_equal(c, "\"systeminfo\"");
	assert_int_equal(wd_cmdline_append(c, sizeof c, &n, "a b"), PORT_OK);
	assert_string_equal(c, "\"systeminfo\" \"a b\"");
	/* MSDN's examples: a"b, a\b, a\\"b, trailing backslashes, empty */
	n = 0;
	wd_cmdline_append(c, sizeof c, &n, "a\"b");
	assert_string_equal(c, "\"a\\\"b\"");
	n = 0;
	wd_cmdline_append(c, sizeof c, &n, "a\\b");
	assert_string_equal(c, "\"a\\b\"");
	n = 0;
	wd_cmdline_append(c, sizeof c, &n, "a\\\"b");
	assert_string_equal(c, "\"a\\\\\\\"b\"");
	n = 0;
	wd_cmdline_append(c, sizeof c, &n, "C:\\dir\\");
	assert_string_equal(c, "\"C:\\dir\\\\\"");
	n = 0;
	wd_cmdline_append(c, sizeof c, &n, "");
	assert_string_equal(c, "\"\"");
	/* too long: refused, what was there kept */
	n = 0;
	wd_cmdline_append(c, 8, &n, "abc");
	assert_int_equal(wd_cmdline_append(c, 8, &n, "defgh"), PORT_ENOSPC);
	assert_string_equal(c, "\"abc\"");
	assert_int_equal(n, 5);
	assert_int_equal(wd_env_dropped("AGENT_SECRET=x", drop), 1);
	assert_int_equal(wd_env_dropped("agent_secret=x", drop), 1);
	assert_int_equal(wd_env_dropped("AGENT_SECRETS=x", drop), 0);
	assert_int_equal(wd_env_dropped("AGENT_SECRE=x", drop), 0);
	assert_int_equal(wd_env_dropped("PATH=C:\\Windows", drop), 0);
	assert_int_equal(wd_env_dropped("AGENT_SECRET=x", NULL), 0);
}

/* ---- a fake Windows machine under agent-min/collect.c ------------------
 * What the Win32 calls would return at two moments, turned into port.h's
 * structures exactly as metrics.c does. */
struct fake_drive { const char *root; unsigned type; const char *fs; uint64_t caller, total, tfree; };
struct fake_proc { uint32_t pid; const char *exe; uint64_t creation, kernel, user, ws; };
static struct {
	uint64_t idle, kernel, user;
	const struct fake_drive *drives;
	int ndrives;
	const struct fake_proc *procs;
	int nprocs;
	uint64_t rx, tx;
	double uptime;
} M;

int port_cpu_read(struct port_cpu *c) { return wd_cpu(M.idle, M.kernel, M.user, 4, c); }
int port_mem_read(struct port_mem *m) { return wd_mem(16 * GIB, 4 * GIB, 20 * GIB, 6 * GIB, m); }
int port_fs_list(struct port_fs *fs, int max, int *n)
{
	*n = 0;
	for (int i = 0; i < M.ndrives && *n < max; i++) {
		const struct fake_drive *d = &M.drives[i];
		*n += wd_drive(d->root, d->type, d->fs, d->caller, d->total, d->tfree, &fs[*n]);
	}
	return PORT_OK;
}
int port_if_list(struct port_if *ifs, int max, int *n)
{
	static const struct { int filter; const char *name; } rows[] = {
	    {0, "Ethernet"}, {1, "Ethernet-WFP Native MAC Layer LightWeight Filter-0000"},
	    {0, "Loopback Pseudo-Interface 1"}};
	*n = 0;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0] && *n < max; i++) {
		if (!wd_if_wanted(rows[i].filter, rows[i].name))
			continue;
		wd_utf8_copy(ifs[*n].name, sizeof ifs[*n].name, rows[i].name);
		ifs[*n].rx = M.rx; /* the filter row and loopback would double these */
		ifs[*n].tx = M.tx;
		(*n)++;
	}
	return PORT_OK;
}
int port_uptime(double *s) { *s = M.uptime; return PORT_OK; }
int port_loadavg(double l[3]) { (void)l; return PORT_ENOTAVAIL; }
int port_cpu_temp(double *c) { (void)c; return PORT_ENOTAVAIL; }
int port_gpu_list(struct port_gpu *g, int max, int *n) { (void)g; (void)max; *n = 0; return PORT_ENOTAVAIL; }
int port_proc_fullname(uint32_t pid, char *b, size_t cap) { (void)pid; (void)b; (void)cap; return PORT_ENOTAVAIL; }
int port_proc_scan(port_proc_fn fn, void *arg)
{
	for (int i = 0; i < M.nprocs; i++) {
		const struct fake_proc *f = &M.procs[i];
		struct port_proc p;
		if (wd_proc(f->pid, f->exe, f->creation, f->kernel, f->user, f->ws, &p) == PORT_OK)
			fn(&p, arg);
	}
	return PORT_OK;
}

static struct collector coll;
static struct sample smp;

static void agent_over_windows(void **st)
{
	static const struct fake_drive drv[] = {
	    {"C:\\", WD_DRIVE_FIXED, "NTFS", 100 * GIB, 500 * GIB, 100 * GIB},
	    {"D:\\", WD_DRIVE_CDROM, "CDFS", 0, 700 * MIB, 0},
	    {"E:\\", WD_DRIVE_REMOVABLE, "exFAT", 10 * GIB, 64 * GIB, 10 * GIB},
	    {"F:\\", WD_DRIVE_FIXED, "FAT32", 100 * MIB, 512 * MIB, 100 * MIB}, /* under 1 GiB */
	    {"N:\\", WD_DRIVE_REMOTE, "NTFS", GIB, 2000 * GIB, GIB},
	};
	/* 100 ns ticks; creation times tell a reused pid */
	static const struct fake_proc p0[] = {
	    {0, "[System Process]", 0, 4000000, 0, 0},
	    {100, "chrome.exe", 10, 1000, 1000, 200 * MIB},
	    {101, "Chrome.exe", 11, 0, 0, 100 * MIB},
	    {102, "chrome.exe", 12, 0, 0, 50 * MIB},
	    {200, "svchost.exe", 20, 0, 0, 10 * MIB},
	    {300, "old.exe", 30, 0, 0, MIB},
	};
	static const struct fake_proc p1[] = {
	    {0, "[System Process]", 0, 7000000, 0, 0},
	    {100, "chrome.exe", 10, 301000, 201000, 200 * MIB}, /* +500000 */
	    {101, "Chrome.exe", 11, 250000, 0, 100 * MIB},      /* +250000 */
	    {102, "chrome.exe", 12, 0, 250000, 50 * MIB},       /* +250000 */
	    {200, "svchost.exe", 20, 500000, 0, 10 * MIB},      /* +500000 */
	    {300, "new.exe", 99, 900000, 0, 2 * MIB},           /* pid reused: no delta */
	};
	(void)st;
	M.drives = drv;
	M.ndrives = 5;
	M.idle = 6000000;
	M.kernel = 8000000;
	M.user = 2000000;
	M.procs = p0;
	M.nprocs = 6;
	M.rx = 1000;
	M.tx = 2000;
	M.uptime = 3600.5;
	collect_init(&coll, NULL);
	collect_baseline(&coll, 1000, 1);
	/* 5 000 000 ticks later (0.5 s of 4 CPUs... the unit does not matter),
	 * 3 000 000 of them idle */
	M.idle = 9000000;
	M.kernel = 12000000;
	M.user = 3000000;
	M.procs = p1;
	M.rx = 1000 + 2 * 1048576; /* 2 MiB down, 1 MiB up in 2 s */
	M.tx = 2000 + 1048576;
	collect_sample(&coll, &smp, 3000, 1);

	assert_true(fabs(smp.v[SK_CPU] - 40.0) < 0.051);
	assert_true(smp.v[SK_RAM_TOTAL] == (double)(16 * GIB));
	assert_true(fabs(smp.v[SK_RAM] - 75.0) < 0.051);
	assert_true(smp.v[SK_SWAP_TOTAL] == (double)(4 * GIB));
	assert_true(smp.v[SK_SWAP_USED] == (double)(2 * GIB));
	assert_true(fabs(smp.v[SK_SWAP] - 50.0) < 0.051);
	assert_true(smp.v[SK_UPTIME] == 3600.0 || smp.v[SK_UPTIME] == 3600.5);
	assert_true(smp.v[SK_CORES] == 4);
	/* only the fixed drive of at least 1 GiB */
	assert_int_equal(smp.ndisks, 1);
	assert_string_equal(smp.disks[0].mount, "C:\\");
	assert_true(fabs(smp.disks[0].percent - 80.0) < 0.051);
	assert_true(smp.disks[0].total == (double)(500 * GIB));
	/* 2 MiB down and 1 MiB up in 2 s: the filter row is not counted twice,
	 * loopback is ignored by name */
	assert_true(smp.v[SK_NET_DOWN] == 1048576.0);
	assert_true(smp.v[SK_NET_UP] == 524288.0);
	/* chrome.exe merged case-blind: 1 000 000 of 5 000 000 ticks = 20 %,
	 * svchost 10 %, the reused pid 0 % */
	assert_true(smp.nprocs >= 3);
	assert_string_equal(smp.procs[0].name, "chrome.exe (3)");
	assert_true(fabs(smp.procs[0].cpu - 20.0) < 1e-9);
	assert_true(smp.procs[0].ram == (double)(350 * MIB));
	assert_string_equal(smp.procs[1].name, "svchost.exe");
	assert_true(fabs(smp.procs[1].cpu - 10.0) < 1e-9);
	assert_string_equal(smp.procs[2].name, "new.exe");
	assert_true(smp.procs[2].cpu == 0.0);
	for (int i = 0; i < smp.nprocs; i++)
		assert_true(strstr(smp.procs[i].name, "System Process") == NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(filetime),   cmocka_unit_test(cpu_times),  cmocka_unit_test(memory),
	    cmocka_unit_test(drive_list), cmocka_unit_test(drives),     cmocka_unit_test(interfaces),
	    cmocka_unit_test(proc_entry), cmocka_unit_test(os_name),    cmocka_unit_test(cmdline),
	    cmocka_unit_test(agent_over_windows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
