/* Unit tests for port/bsd on Linux: every decoder fed bytes laid out as
 * FreeBSD 14.x writes them (each case names the header or manual page the
 * layout comes from), truncated and garbled buffers, and the port layer
 * (bsd.c) over a fake system-call table under agent-min/collect.c, so the
 * merged process names and the one-line-per-pool disks are the agent's.
 * The offsets written here are worked out by hand from the headers, apart
 * from the decoders' tables in port/bsd/abi.c. Nothing here includes a
 * FreeBSD header; sys_freebsd.c is not compiled on Linux. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-min/collect.h"
#include "port/bsd/bsd.h"
#include "port/port.h"
#include "wire/sample.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* ---- byte builders (little-endian, as amd64 and i386 store them) -------- */

static void put16(unsigned char *b, size_t off, uint16_t v)
{
	b[off] = (unsigned char)v;
	b[off + 1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *b, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[off + (size_t)i] = (unsigned char)(v >> (8 * i));
}

static void putstr(unsigned char *b, size_t off, const char *s)
{
	memcpy(b + off, s, strlen(s) + 1);
}

static void near_at(double got, double want, const char *what, const char *file, int line)
{
	if (isnan(got) || fabs(got - want) > 1e-9 * fabs(want) + 1e-9) {
		print_error("%s = %.17g, want %.17g\n", what, got, want);
		_fail(file, line);
	}
}
#define assert_near(got, want) near_at((got), (want), #got, __FILE__, __LINE__)

/* ---- kern.cp_time, kern.cp_times ----------------------------------------
 * sys/sys/resource.h (14.x): CPUSTATES 5, CP_USER CP_NICE CP_SYS CP_INTR
 * CP_IDLE; sysctl kern.cp_time is long[CPUSTATES], kern.cp_times
 * long[CPUSTATES * ncpu] (sys/kern/kern_clock.c). */

static void cp_time_amd64(void **state)
{
	/* user 1000, nice 20, sys 300, intr 7, idle 50000: five 8-byte longs. */
	static const unsigned char b[40] = {
	    0xe8, 0x03, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x2c, 0x01, 0, 0, 0, 0, 0, 0,
	    0x07, 0, 0, 0, 0, 0, 0, 0, 0x50, 0xc3, 0, 0, 0, 0, 0, 0,
	};
	struct port_cpu c = {1, 1, 1};
	(void)state;
	assert_int_equal(bsd_cp_time_decode(b, sizeof(b), &bsd_abi_amd64, &c), PORT_OK);
	assert_int_equal(c.total, 51327);
	assert_int_equal(c.idle, 50000);
	assert_int_equal(c.ncpu, 0);
	/* Bad sizes: four longs, six, the i386 size for an amd64 reader. */
	assert_int_equal(bsd_cp_time_decode(b, 32, &bsd_abi_amd64, &c), PORT_EPARSE);
	assert_int_equal(bsd_cp_time_decode(b, 20, &bsd_abi_amd64, &c), PORT_EPARSE);
	assert_int_equal(bsd_cp_time_decode(b, 0, &bsd_abi_amd64, &c), PORT_EPARSE);
	assert_int_equal(c.total, 51327); /* left as it was */
	/* The same bytes as i386's five 4-byte longs are 20 bytes: 0x3e8, 0, 0x14, 0, 0x12c. */
	assert_int_equal(bsd_cp_time_decode(b, 20, &bsd_abi_i386, &c), PORT_OK);
	assert_int_equal(c.total, 1000 + 20 + 300);
	assert_int_equal(c.idle, 300);
}

static void cp_time_negative(void **state)
{
	unsigned char b[40] = {0};
	struct port_cpu c;
	(void)state;
	put64(b, 32, (uint64_t)-5); /* a negative 64-bit long is garbage */
	assert_int_equal(bsd_cp_time_decode(b, sizeof(b), &bsd_abi_amd64, &c), PORT_EPARSE);
}

/* A 16-core box (TrueNAS on a Xeon D): CPU i has user 1000+i, nice i,
 * sys 200+2i, intr 10, idle 90000+100i. */
static void cp_times_16_cores(void **state)
{
	static unsigned char b[16 * 5 * 8];
	struct port_cpu c;
	uint64_t total = 0, idle = 0;
	(void)state;
	for (unsigned i = 0; i < 16; i++) {
		uint64_t v[5] = {1000 + i, i, 200 + 2 * i, 10, 90000 + 100 * i};
		for (int k = 0; k < 5; k++) {
			put64(b, (i * 5 + (unsigned)k) * 8, v[k]);
			total += v[k];
		}
		idle += v[4];
	}
	assert_int_equal(bsd_cp_times_decode(b, sizeof(b), &bsd_abi_amd64, NULL, &c), PORT_OK);
	assert_int_equal(c.ncpu, 16);
	assert_int_equal(c.total, total);
	assert_int_equal(c.idle, idle);
	assert_int_equal(idle, 16 * 90000 + 100 * 120);
	/* Truncated: one long short, half a CPU, nothing; too many CPUs. */
	assert_int_equal(bsd_cp_times_decode(b, sizeof(b) - 8, &bsd_abi_amd64, NULL, &c), PORT_EPARSE);
	assert_int_equal(bsd_cp_times_decode(b, 20, &bsd_abi_amd64, NULL, &c), PORT_EPARSE);
	assert_int_equal(bsd_cp_times_decode(b, 0, &bsd_abi_amd64, NULL, &c), PORT_EPARSE);
	assert_int_equal(bsd_cp_times_decode(b, (BSD_MAX_CPUS + 1) * 40, &bsd_abi_amd64, NULL, &c), PORT_EPARSE);
}

static void unwrap32(void **state)
{
	struct bsd_wrap w = {0, 0, 0};
	(void)state;
	assert_int_equal(bsd_unwrap32(&w, 0xfffffff0u), 0xfffffff0u);
	assert_int_equal(bsd_unwrap32(&w, 0xfffffffful), 0xffffffffu);
	assert_int_equal(bsd_unwrap32(&w, 5), 0x100000005ull);
	assert_int_equal(bsd_unwrap32(&w, 5), 0x100000005ull);
	assert_int_equal(bsd_unwrap32(&w, 2), 0x200000002ull);
}

/* i386: long is 32 bits, so kern.cp_times counters wrap (idle at stathz
 * 127 passes 2^32 after 391 days per CPU). Two CPUs, idle near 2^32, then
 * past it: the sums keep going up by what each CPU ran. */
static void cp_times_i386_wrap(void **state)
{
	static struct bsd_cpu_wrap wrap;
	unsigned char b[2 * 5 * 4] = {0};
	struct port_cpu c0, c1;
	(void)state;
	memset(&wrap, 0, sizeof(wrap));
	put32(b, 0, 100);              /* cpu0 user */
	put32(b, 16, 0xfffffe00u);     /* cpu0 idle */
	put32(b, 20, 50);              /* cpu1 user */
	put32(b, 36, 0xffffff00u);     /* cpu1 idle */
	assert_int_equal(bsd_cp_times_decode(b, sizeof(b), &bsd_abi_i386, &wrap, &c0), PORT_OK);
	assert_int_equal(c0.ncpu, 2);
	assert_int_equal(c0.total, 150ull + 0xfffffe00u + 0xffffff00u);
	put32(b, 0, 110);
	put32(b, 16, 0x00000100u); /* cpu0 idle: +0x300 through the wrap */
	put32(b, 20, 60);
	put32(b, 36, 0x00000010u); /* cpu1 idle: +0x110 */
	assert_int_equal(bsd_cp_times_decode(b, sizeof(b), &bsd_abi_i386, &wrap, &c1), PORT_OK);
	assert_int_equal(c1.total - c0.total, 20 + 0x300 + 0x110);
	assert_int_equal(c1.idle - c0.idle, 0x300 + 0x110);
	/* Without the state the same bytes go backwards (the agent would drop
	 * the interval): the reason the port keeps it. */
	assert_int_equal(bsd_cp_times_decode(b, sizeof(b), &bsd_abi_i386, NULL, &c1), PORT_OK);
	assert_true(c1.total < c0.total);
	/* A table of another size starts the state over. */
	assert_int_equal(bsd_cp_times_decode(b, 20, &bsd_abi_i386, &wrap, &c1), PORT_OK);
	assert_int_equal(wrap.ncpu, 1);
	assert_int_equal(c1.total, 110 + 0x100);
}

/* ---- kern.clockrate, vm.loadavg, kern.boottime, temperatures ----------- */

/* sys/sys/time.h (14.x) struct clockinfo: int hz, tick, spare, stathz, profhz. */
static void clockrate(void **state)
{
	unsigned char b[20] = {0};
	unsigned hz = 0;
	(void)state;
	put32(b, 0, 1000);
	put32(b, 4, 1000);
	put32(b, 12, 127);
	put32(b, 16, 8128);
	assert_int_equal(bsd_clockrate_decode(b, sizeof(b), 0, &hz), PORT_OK);
	assert_int_equal(hz, 127);
	put32(b, 12, 0); /* no separate statclock: cp_time counts at hz */
	assert_int_equal(bsd_clockrate_decode(b, sizeof(b), 0, &hz), PORT_OK);
	assert_int_equal(hz, 1000);
	assert_int_equal(bsd_clockrate_decode(b, 16, 0, &hz), PORT_EPARSE);
}

/* sys/sys/resource.h (14.x) struct loadavg { fixpt_t ldavg[3]; long fscale; }
 * with FSCALE 2048 (sys/sys/param.h FSHIFT 11). */
static void loadavg(void **state)
{
	unsigned char b[24] = {0};
	double l[3] = {0, 0, 0};
	(void)state;
	put32(b, 0, 2048 + 1024); /* 1.5 */
	put32(b, 4, 512);         /* 0.25 */
	put32(b, 8, 4096);        /* 2.0 */
	put64(b, 16, 2048);       /* after 4 bytes of padding on amd64 */
	assert_int_equal(bsd_loadavg_decode(b, 24, &bsd_abi_amd64, l), PORT_OK);
	assert_near(l[0], 1.5);
	assert_near(l[1], 0.25);
	assert_near(l[2], 2.0);
	assert_int_equal(bsd_loadavg_decode(b, 16, &bsd_abi_amd64, l), PORT_EPARSE);
	/* i386: no padding, a 4-byte long at 12. */
	memset(b + 12, 0, 12);
	put32(b, 12, 2048);
	assert_int_equal(bsd_loadavg_decode(b, 16, &bsd_abi_i386, l), PORT_OK);
	assert_near(l[0], 1.5);
	put32(b, 12, 0);
	assert_int_equal(bsd_loadavg_decode(b, 16, &bsd_abi_i386, l), PORT_EPARSE);
}

/* sys/sys/_timeval.h (14.x): time_t tv_sec; suseconds_t (long) tv_usec.
 * kern.boottime is a struct timeval (sysctl(3), KERN_BOOTTIME). */
static void boottime(void **state)
{
	unsigned char b[16] = {0};
	double up = 0;
	(void)state;
	put64(b, 0, 1700000000);
	put64(b, 8, 250000);
	assert_int_equal(bsd_uptime_decode(b, 16, &bsd_abi_amd64, 1700003600750, &up), PORT_OK);
	assert_near(up, 3600.5);
	assert_int_equal(bsd_uptime_decode(b, 8, &bsd_abi_amd64, 1700003600750, &up), PORT_EPARSE);
	assert_int_equal(bsd_uptime_decode(b, 16, &bsd_abi_amd64, 1600000000000, &up), PORT_EPARSE);
	put64(b, 8, 1000000); /* usec out of range */
	assert_int_equal(bsd_uptime_decode(b, 16, &bsd_abi_amd64, 1700003600750, &up), PORT_EPARSE);
	/* i386: 32-bit time_t and long. */
	put32(b, 0, 1700000000);
	put32(b, 4, 0);
	assert_int_equal(bsd_uptime_decode(b, 8, &bsd_abi_i386, 1700000060000, &up), PORT_OK);
	assert_near(up, 60.0);
}

/* coretemp(4), amdtemp(4): dev.cpu.N.temperature is an int in tenths of a
 * kelvin (sysctl format "IK", sysctl(8)). */
static void temperature(void **state)
{
	unsigned char b[8] = {0};
	double c = 0;
	(void)state;
	put32(b, 0, 3231);
	assert_int_equal(bsd_temp_decode(b, 4, 0, &c), PORT_OK);
	assert_near(c, 49.95);
	put32(b, 0, 2732);
	assert_int_equal(bsd_temp_decode(b, 4, 0, &c), PORT_OK);
	assert_near(c, 0.05);
	assert_int_equal(bsd_temp_decode(b, 8, 0, &c), PORT_EPARSE);
	assert_int_equal(bsd_temp_decode(b, 2, 0, &c), PORT_EPARSE);
	put32(b, 0, 0);
	assert_int_equal(bsd_temp_decode(b, 4, 0, &c), PORT_EPARSE);
	put32(b, 0, (uint32_t)-10);
	assert_int_equal(bsd_temp_decode(b, 4, 0, &c), PORT_EPARSE);
}

/* ---- memory, swap -------------------------------------------------------- */

/* sys/sys/vmmeter.h (14.x): vm.stats.vm.v_page_count, v_free_count,
 * v_inactive_count are u_int page counts; hw.pagesize an int. */
static void memory(void **state)
{
	unsigned char b[8] = {0};
	uint64_t v = 0;
	struct bsd_vm_pages pg = {4194304, 1048576, 524288, PORT_NA}; /* 16 GiB */
	struct port_mem m;
	(void)state;
	put32(b, 0, 4194304);
	assert_int_equal(bsd_uint_decode(b, 4, 0, &v), PORT_OK);
	assert_int_equal(v, 4194304);
	put64(b, 0, 0x100000000ull);
	assert_int_equal(bsd_uint_decode(b, 8, 0, &v), PORT_OK);
	assert_int_equal(v, 0x100000000ull);
	assert_int_equal(bsd_uint_decode(b, 2, 0, &v), PORT_EPARSE);
	assert_int_equal(bsd_uint_decode(b, 0, 0, &v), PORT_EPARSE);

	assert_int_equal(bsd_mem_from_pages(&pg, 4096, &m), PORT_OK);
	assert_int_equal(m.total, 16ull << 30);
	assert_int_equal(m.avail, (1048576ull + 524288) * 4096); /* free + inactive */
	assert_true(m.cg_limit == PORT_NA && m.cg_usage == PORT_NA);
	pg.cache_count = 1024; /* FreeBSD 11 still had a cache queue */
	assert_int_equal(bsd_mem_from_pages(&pg, 4096, &m), PORT_OK);
	assert_int_equal(m.avail, (1048576ull + 524288 + 1024) * 4096);
	pg.free_count = 4194305; /* more free than there is */
	assert_int_equal(bsd_mem_from_pages(&pg, 4096, &m), PORT_EPARSE);
	assert_true(m.total == PORT_NA);
	pg.free_count = 4000000; /* counters read one by one: clamped */
	assert_int_equal(bsd_mem_from_pages(&pg, 4096, &m), PORT_OK);
	assert_int_equal(m.avail, m.total);
	assert_int_equal(bsd_mem_from_pages(&pg, 0, &m), PORT_EPARSE);
}

/* vm/vm_param.h (14.x) struct xswdev { u_int xsw_version; dev_t xsw_dev;
 * int xsw_flags; int xsw_nblks; int xsw_used; }, XSWDEV_VERSION 2, dev_t
 * 64-bit since FreeBSD 12; version 1 (FreeBSD 11) had a 32-bit dev_t.
 * Counts are pages (swapinfo(8)). */
static void swap(void **state)
{
	unsigned char b[32] = {0};
	uint64_t total = 0, used = 0;
	(void)state;
	put32(b, 0, 2);
	put64(b, 8, 0x5a);
	put32(b, 20, 1048576); /* 4 GiB of pages */
	put32(b, 24, 2560);
	assert_int_equal(bsd_xswdev_add(b, 32, &bsd_abi_amd64, 4096, &total, &used), PORT_OK);
	assert_int_equal(total, 4ull << 30);
	assert_int_equal(used, 2560ull * 4096);
	/* A second device adds up; i386's packs dev_t at 4. */
	memset(b, 0, sizeof(b));
	put32(b, 0, 2);
	put32(b, 16, 262144);
	put32(b, 20, 0);
	assert_int_equal(bsd_xswdev_add(b, 24, &bsd_abi_i386, 4096, &total, &used), PORT_OK);
	assert_int_equal(total, 5ull << 30);
	/* FreeBSD 11's version 1. */
	memset(b, 0, sizeof(b));
	put32(b, 0, 1);
	put32(b, 12, 256);
	put32(b, 16, 16);
	assert_int_equal(bsd_xswdev_add(b, 20, &bsd_abi_amd64, 4096, &total, &used), PORT_OK);
	assert_int_equal(used, (2560ull + 16) * 4096);
	/* Bad: version 2 in version 1's size, truncated, used > total. */
	put32(b, 0, 2);
	assert_int_equal(bsd_xswdev_add(b, 20, &bsd_abi_amd64, 4096, &total, &used), PORT_EPARSE);
	assert_int_equal(bsd_xswdev_add(b, 3, &bsd_abi_amd64, 4096, &total, &used), PORT_EPARSE);
	memset(b, 0, sizeof(b));
	put32(b, 0, 2);
	put32(b, 20, 10);
	put32(b, 24, 11);
	assert_int_equal(bsd_xswdev_add(b, 32, &bsd_abi_amd64, 4096, &total, &used), PORT_EPARSE);
	assert_int_equal(total, (5ull << 30) + 256 * 4096); /* unchanged */
}

/* ---- getfsstat(2) / getmntinfo(3): struct statfs -------------------------
 * sys/sys/mount.h (14.x): STATFS_VERSION 0x20140518, f_flags at 8, f_bsize
 * 16, f_blocks 32, f_bfree 40, f_bavail (int64) 48, f_fstypename[16] 280,
 * f_mntfromname[1024] 296, f_mntonname[1024] 1320; 2344 bytes. MNT_LOCAL
 * 0x1000, MNT_IGNORE 0x800000. */
#define SF 2344u
#define LOCAL 0x1000u

static void sf_put(unsigned char *b, int i, const char *type, const char *from, const char *on, uint64_t flags,
                   uint64_t bsize, uint64_t blocks, uint64_t bfree, int64_t bavail)
{
	unsigned char *r = b + (size_t)i * SF;
	memset(r, 0, SF);
	put32(r, 0, 0x20140518);
	put64(r, 8, flags);
	put64(r, 16, bsize);
	put64(r, 24, 131072);
	put64(r, 32, blocks);
	put64(r, 40, bfree);
	put64(r, 48, (uint64_t)bavail);
	putstr(r, 280, type);
	putstr(r, 296, from);
	putstr(r, 1320, on);
}

/* A TrueNAS-like box: zroot (boot pool) with three datasets, pool "tank"
 * with four datasets and a mounted snapshot, a UFS data disk, and what the
 * agent must not report. */
static int mounts_fixture(unsigned char *b)
{
	int n = 0;
	const uint64_t K = 4096, Z = 131072;
	sf_put(b, n++, "zfs", "zroot/ROOT/default", "/", LOCAL, Z, 100000, 60000, 60000);
	sf_put(b, n++, "devfs", "devfs", "/dev", LOCAL, 512, 2, 0, 0);
	sf_put(b, n++, "zfs", "zroot/usr/home", "/usr/home", LOCAL, Z, 70000, 60000, 60000);
	sf_put(b, n++, "zfs", "zroot/var/log", "/var/log", LOCAL, Z, 61000, 60000, 60000);
	sf_put(b, n++, "zfs", "tank/media", "/mnt/tank/media", LOCAL, Z, 8000000, 2000000, 2000000);
	sf_put(b, n++, "zfs", "tank", "/mnt/tank", LOCAL, Z, 2100000, 2000000, 2000000);
	sf_put(b, n++, "zfs", "tank/home", "/mnt/tank/home", LOCAL, Z, 2500000, 2000000, 2000000);
	/* A quota: this dataset sees less free room than the pool has. */
	sf_put(b, n++, "zfs", "tank/backup", "/mnt/tank/backup", LOCAL, Z, 1500000, 1000000, 1000000);
	sf_put(b, n++, "zfs", "tank/media@daily", "/mnt/tank/media/.zfs/snapshot/daily", LOCAL, Z, 7000000,
	       2000000, 2000000);
	sf_put(b, n++, "ufs", "/dev/ada1p1", "/data", LOCAL, K, 125000000, 25000000, 15000000);
	sf_put(b, n++, "tmpfs", "tmpfs", "/tmp", LOCAL, K, 100000, 90000, 90000);
	sf_put(b, n++, "ufs", "/dev/md0", "/var/run", LOCAL, K, 300000, 200000, 200000);
	sf_put(b, n++, "nullfs", "/data/jail", "/jails/www/data", LOCAL, K, 125000000, 25000000, 15000000);
	sf_put(b, n++, "nfs", "nas:/export", "/net/export", 0, K, 500000000, 100000000, 100000000);
	sf_put(b, n++, "ufs", "/dev/ada2p1", "/hidden", LOCAL | 0x800000u, K, 1000000, 10, 10);
	/* Root's reserve in use: f_bavail negative, reported as 0 avail. */
	sf_put(b, n++, "ufs", "/dev/ada3p1", "/full", LOCAL, K, 1000000, 10000, -40000);
	sf_put(b, n++, "msdosfs", "/dev/ada0p1", "/boot/efi", LOCAL, 512, 532480, 520000, 520000);
	return n;
}

static unsigned char mnt[20 * SF];

static const struct port_fs *fs_find(const struct port_fs *fs, int n, const char *mount)
{
	for (int i = 0; i < n; i++)
		if (strcmp(fs[i].mount, mount) == 0)
			return &fs[i];
	return NULL;
}

static void statfs_zfs_pools(void **state)
{
	struct port_fs fs[20];
	const struct port_fs *f;
	const uint64_t Z = 131072, K = 4096;
	int n = -1, count = mounts_fixture(mnt);
	(void)state;
	assert_int_equal(bsd_fs_decode(mnt, (size_t)count * SF, 0, fs, 20, &n), PORT_OK);
	/* zroot, devfs, tank, /data, tmpfs, md0, nullfs, nfs, /full, efi: the
	 * snapshot and the MNT_IGNORE mount are gone, datasets folded. */
	assert_int_equal(n, 10);
	f = fs_find(fs, n, "/");
	assert_non_null(f);
	assert_string_equal(f->dev, "zroot");
	assert_string_equal(f->fstype, "zfs");
	assert_true(f->physical);
	assert_int_equal(f->used, (40000 + 10000 + 1000) * Z);
	assert_int_equal(f->avail, 60000 * Z);
	assert_int_equal(f->total, (51000 + 60000) * Z);
	assert_null(fs_find(fs, n, "/usr/home"));
	assert_null(fs_find(fs, n, "/var/log"));
	/* One line for tank, at its shortest mount point, whatever the order. */
	f = fs_find(fs, n, "/mnt/tank");
	assert_non_null(f);
	assert_string_equal(f->dev, "tank");
	assert_int_equal(f->used, (6000000 + 100000 + 500000 + 500000) * Z);
	assert_int_equal(f->avail, 2000000 * Z); /* the pool's, not the quota's */
	assert_int_equal(f->total, f->used + f->avail);
	for (int i = 0; i < n; i++)
		assert_true(strncmp(fs[i].mount, "/mnt/tank/", 10) != 0);
	f = fs_find(fs, n, "/data");
	assert_non_null(f);
	assert_true(f->physical);
	assert_string_equal(f->dev, "/dev/ada1p1");
	assert_int_equal(f->total, 125000000 * K);
	assert_int_equal(f->used, 100000000 * K);
	assert_int_equal(f->avail, 15000000 * K);
	assert_false(fs_find(fs, n, "/dev")->physical);
	assert_false(fs_find(fs, n, "/tmp")->physical);
	assert_false(fs_find(fs, n, "/var/run")->physical); /* md(4): RAM */
	assert_false(fs_find(fs, n, "/jails/www/data")->physical);
	assert_false(fs_find(fs, n, "/net/export")->physical);
	assert_null(fs_find(fs, n, "/hidden"));
	assert_int_equal(fs_find(fs, n, "/full")->avail, 0);
	assert_true(fs_find(fs, n, "/boot/efi")->physical);
	/* The agent's rules over them (agent-min/collect.c). */
	assert_true(collect_disk_wanted(fs_find(fs, n, "/")));
	assert_true(collect_disk_wanted(fs_find(fs, n, "/mnt/tank")));
	assert_true(collect_disk_wanted(fs_find(fs, n, "/data")));
	assert_false(collect_disk_wanted(fs_find(fs, n, "/boot/efi")));
	assert_false(collect_disk_wanted(fs_find(fs, n, "/var/run")));
}

static void statfs_bad(void **state)
{
	struct port_fs fs[4];
	int n = -1, count = mounts_fixture(mnt);
	(void)state;
	/* Truncated: a record cut short is the whole list refused. */
	assert_int_equal(bsd_fs_decode(mnt, (size_t)count * SF - 1, 0, fs, 4, &n), PORT_EPARSE);
	assert_int_equal(n, 0);
	assert_int_equal(bsd_fs_decode(mnt, 100, 0, fs, 4, &n), PORT_EPARSE);
	assert_int_equal(bsd_fs_decode(mnt, 0, 0, fs, 4, &n), PORT_OK);
	assert_int_equal(n, 0);
	/* More entries than room: the first ones and PORT_ENOSPC. */
	assert_int_equal(bsd_fs_decode(mnt, (size_t)count * SF, 0, fs, 4, &n), PORT_ENOSPC);
	assert_int_equal(n, 4);
	/* FreeBSD 11's struct (version 0x20030518) is another layout. */
	put32(mnt, 3 * SF, 0x20030518);
	assert_int_equal(bsd_fs_decode(mnt, (size_t)count * SF, 0, fs, 4, &n), PORT_EPARSE);
	/* A name without its NUL: that record is left out, not read past. */
	sf_put(mnt, 0, "ufs", "/dev/ada0", "/x", LOCAL, 4096, 1000000, 10, 10);
	memset(mnt + 1320, 'a', 1024);
	assert_int_equal(bsd_fs_decode(mnt, SF, 0, fs, 4, &n), PORT_OK);
	assert_int_equal(n, 0);
	/* bfree > blocks is garbage. */
	sf_put(mnt, 0, "ufs", "/dev/ada0", "/x", LOCAL, 4096, 10, 11, 11);
	assert_int_equal(bsd_fs_decode(mnt, SF, 0, fs, 4, &n), PORT_OK);
	assert_int_equal(n, 0);
}

/* ---- getifaddrs(3) AF_LINK: struct if_data --------------------------------
 * sys/net/if.h (14.x): uint8_t x 6, uint16_t ifi_datalen at 6, uint32_t
 * mtu, metric, then uint64_t baudrate at 16 and the counters: ipackets 24,
 * ierrors 32, opackets 40, oerrors 48, collisions 56, ibytes 64, obytes
 * 72, ...; 152 bytes. */
static void ifdata(void **state)
{
	unsigned char d[152] = {0};
	struct port_if pi;
	(void)state;
	d[0] = 6; /* IFT_ETHER */
	put16(d, 6, 152);
	put32(d, 8, 1500);
	put64(d, 16, 1000000000);
	put64(d, 24, 12345);
	/* 64-bit counters past 2^32 and just short of 2^64: read whole. */
	put64(d, 64, 0x0000000123456789ull);
	put64(d, 72, 0xfffffffffffffff0ull);
	assert_int_equal(bsd_ifdata_decode("igb0", d, sizeof(d), 0, &pi), PORT_OK);
	assert_string_equal(pi.name, "igb0");
	assert_int_equal(pi.rx, 0x0000000123456789ull);
	assert_int_equal(pi.tx, 0xfffffffffffffff0ull);
	/* The wrap itself comes to the agent as a counter that went down. */
	put64(d, 72, 0x10);
	assert_int_equal(bsd_ifdata_decode("igb0", d, sizeof(d), 0, &pi), PORT_OK);
	assert_int_equal(pi.tx, 0x10);
	/* Truncated, a datalen short of the counters, no or long names. */
	assert_int_equal(bsd_ifdata_decode("igb0", d, 79, 0, &pi), PORT_EPARSE);
	assert_int_equal(bsd_ifdata_decode("igb0", NULL, 152, 0, &pi), PORT_EPARSE);
	assert_int_equal(bsd_ifdata_decode("", d, 152, 0, &pi), PORT_EPARSE);
	assert_int_equal(bsd_ifdata_decode("a_name_longer_than_thirty_two_chars", d, 152, 0, &pi), PORT_EPARSE);
	d[6] = 0;
	d[7] = 72; /* FreeBSD 10's u_char ifi_datalen sat at 7 */
	put16(d, 6, 72);
	assert_int_equal(bsd_ifdata_decode("igb0", d, 152, 0, &pi), PORT_EPARSE);
}

/* ---- kern.proc.proc: struct kinfo_proc ------------------------------------
 * sys/sys/user.h (14.x), amd64: ki_structsize at 0, ki_pid 72, ki_rssize
 * (segsz_t, pages) 264, ki_runtime (u_int64_t, microseconds) 328, ki_start
 * (struct timeval) 336, ki_flag (long) 368, ki_comm[COMMLEN + 1 = 20] 447;
 * KINFO_PROC_SIZE 1088. i386: 40, 228 (4 bytes), 272, 280, 296, 367; 768.
 * P_SYSTEM 0x200 (sys/sys/proc.h). */
#define KP64 1088u

static void kp64_put(unsigned char *b, int i, uint32_t pid, const char *comm, uint64_t rss_pages,
                     uint64_t runtime_us, uint64_t start_s, uint64_t flag)
{
	unsigned char *r = b + (size_t)i * KP64;
	memset(r, 0, KP64);
	put32(r, 0, KP64);
	put32(r, 72, pid);
	put32(r, 76, 1); /* ki_ppid */
	put64(r, 264, rss_pages);
	put64(r, 328, runtime_us);
	put64(r, 336, start_s);
	put64(r, 344, 123456);
	put64(r, 368, flag);
	putstr(r, 447, comm);
}

struct got {
	int n;
	struct port_proc p[16];
};

static void got_cb(const struct port_proc *p, void *arg)
{
	struct got *g = arg;
	if (g->n < 16)
		g->p[g->n++] = *p;
}

static void kinfo_proc_amd64(void **state)
{
	static unsigned char b[6 * KP64];
	struct got g = {0};
	(void)state;
	kp64_put(b, 0, 0, "kernel", 0, 9000000, 1700000000, 0x200);
	kp64_put(b, 1, 11, "idle", 0, 500000000000ull, 1700000000, 0x200);
	kp64_put(b, 2, 812, "nginx", 2048, 2500000, 1700000100, 0);
	kp64_put(b, 3, 813, "nginx", 1024, 1000001, 1700000101, 0);
	kp64_put(b, 4, 90210, "a_nineteen_char_nam", 10, 0, 1700000200, 0);
	kp64_put(b, 5, 1, "init", 200, 123, 1700000000, 0);
	assert_int_equal(bsd_kp_decode(b, sizeof(b), &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_OK);
	assert_int_equal(g.n, 5); /* the idle process is left out */
	assert_int_equal(g.p[0].pid, 0);
	assert_string_equal(g.p[0].name, "kernel");
	assert_int_equal(g.p[0].ticks, 9 * 127);
	assert_int_equal(g.p[1].pid, 812);
	assert_string_equal(g.p[1].name, "nginx");
	assert_int_equal(g.p[1].rss, 2048 * 4096);
	assert_int_equal(g.p[1].ticks, 2 * 127 + 63); /* 2.5 s at 127 Hz, floored */
	assert_int_equal(g.p[1].start, 1700000100ull * 1000000 + 123456);
	assert_int_equal(g.p[2].ticks, 127);
	assert_string_equal(g.p[3].name, "a_nineteen_char_nam");
	assert_int_equal(g.p[4].ticks, 0);

	/* Truncated by a byte, by half a record: nothing reported. */
	g.n = 0;
	assert_int_equal(bsd_kp_decode(b, sizeof(b) - 1, &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_EPARSE);
	assert_int_equal(bsd_kp_decode(b, KP64 / 2, &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_EPARSE);
	assert_int_equal(g.n, 0);
	assert_int_equal(bsd_kp_decode(b, 0, &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_OK);
	/* ki_structsize of another layout (a FreeBSD 4 binary's 648) in the
	 * last record: the whole table is refused before any callback. */
	put32(b, 5 * KP64, 648);
	assert_int_equal(bsd_kp_decode(b, sizeof(b), &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_EPARSE);
	assert_int_equal(g.n, 0);
	/* ki_comm without its NUL. */
	kp64_put(b, 5, 1, "init", 200, 123, 1700000000, 0);
	memset(b + 5 * KP64 + 447, 'x', 20);
	assert_int_equal(bsd_kp_decode(b, sizeof(b), &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_EPARSE);
	/* An i386 table read as amd64 is refused by its size. */
	assert_int_equal(bsd_kp_decode(b, 768 * 2, &bsd_abi_i386, 4096, 127, got_cb, &g), PORT_EPARSE);
	assert_int_equal(g.n, 0);
}

static void kinfo_proc_i386(void **state)
{
	unsigned char b[768] = {0};
	struct got g = {0};
	(void)state;
	put32(b, 0, 768);
	put32(b, 40, 4242);
	put32(b, 228, 300);
	put64(b, 272, 3000000);
	put32(b, 280, 1700000000);
	put32(b, 284, 5);
	putstr(b, 367, "dhcpd");
	assert_int_equal(bsd_kp_decode(b, sizeof(b), &bsd_abi_i386, 4096, 128, got_cb, &g), PORT_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.p[0].pid, 4242);
	assert_string_equal(g.p[0].name, "dhcpd");
	assert_int_equal(g.p[0].rss, 300 * 4096);
	assert_int_equal(g.p[0].ticks, 3 * 128);
	assert_int_equal(g.p[0].start, 1700000000ull * 1000000 + 5);
}

/* kern.proc.args.<pid>: argv as NUL-separated strings (sysctl(3)). */
static void args_fullname(void **state)
{
	static const char a[] = "/usr/local/bin/postgres_worker_pool\0-D\0/db";
	char out[64];
	(void)state;
	assert_int_equal(bsd_args_fullname(a, sizeof(a), "postgres_worker", out, sizeof(out)), PORT_OK);
	assert_string_equal(out, "postgres_worker_pool");
	assert_int_equal(bsd_args_fullname(a, sizeof(a), "nginx", out, sizeof(out)), PORT_ENOTAVAIL);
	assert_int_equal(bsd_args_fullname(a, sizeof(a), "postgres_worker", out, 8), PORT_ENOSPC);
	assert_int_equal(bsd_args_fullname("abc", 3, "abc", out, sizeof(out)), PORT_ENOTAVAIL); /* no NUL */
	assert_int_equal(bsd_args_fullname("", 1, "", out, sizeof(out)), PORT_ENOTAVAIL);
	assert_int_equal(bsd_args_fullname("/bin/\0", 6, "", out, sizeof(out)), PORT_ENOTAVAIL);
}

/* ---- host identity: kern.hostname, kern.ostype, kern.osrelease,
 * hw.machine_arch (sysctl(3): strings), os-release(5). */
static void host(void **state)
{
	struct port_host h;
	struct bsd_host_raw r = {"nas.lan", "FreeBSD", "14.1-RELEASE-p5", "amd64", 8, 8, 16, 6, NULL};
	(void)state;
	assert_int_equal(bsd_host_fill(&r, &h), PORT_OK);
	assert_string_equal(h.hostname, "nas.lan");
	assert_string_equal(h.os, "FreeBSD 14.1-RELEASE-p5");
	assert_string_equal(h.kernel, "14.1-RELEASE-p5");
	assert_string_equal(h.arch, "amd64");
	r.os_release = "NAME=FreeBSD\nVERSION=\"14.1-RELEASE-p5\"\nPRETTY_NAME=\"FreeBSD 14.1-RELEASE-p5\"\n";
	assert_int_equal(bsd_host_fill(&r, &h), PORT_OK);
	assert_string_equal(h.os, "FreeBSD 14.1-RELEASE-p5");
	r.os_release = "PRETTY_NAME='OPNsense 24.7'";
	assert_int_equal(bsd_host_fill(&r, &h), PORT_OK);
	assert_string_equal(h.os, "OPNsense 24.7");
	/* Strings without their NUL (a length that stops short) and no os-release. */
	r.hostname_len = 3;
	r.os_release = "ID=freebsd\n";
	assert_int_equal(bsd_host_fill(&r, &h), PORT_OK);
	assert_string_equal(h.hostname, "nas");
	assert_string_equal(h.os, "FreeBSD 14.1-RELEASE-p5");
}

/* Every decoder over every truncation of a good buffer, each copied to a
 * heap block of exactly that size (so ASan sees any read past it): an
 * error for every length but the whole, never a crash. */
static unsigned char *exact(const void *src, size_t len)
{
	unsigned char *b = malloc(len ? len : 1);
	assert_non_null(b);
	memcpy(b, src, len);
	return b;
}

static void truncations(void **state)
{
	static unsigned char kp[2 * KP64], cpt16[16 * 40];
	unsigned char cp[40] = {0}, la[24] = {0}, tv[16] = {0}, sw[32] = {0}, d[152] = {0}, t4[4] = {0};
	struct port_cpu c;
	struct port_if pi;
	struct port_fs fs[20];
	struct got g;
	double x[3];
	uint64_t a, b;
	int n, count = mounts_fixture(mnt);
	(void)state;
	put64(tv, 0, 1700000000);
	put32(la, 0, 2048);
	put64(la, 16, 2048);
	put32(sw, 0, 2);
	put16(d, 6, 152);
	put32(t4, 0, 3000);
	kp64_put(kp, 0, 1, "init", 1, 1, 1700000000, 0);
	kp64_put(kp, 1, 2, "sh", 1, 1, 1700000000, 0);
	for (size_t len = 0; len < 2 * SF; len++) {
		unsigned char *t;
		if (len < 40) {
			t = exact(cp, len);
			assert_int_equal(bsd_cp_time_decode(t, len, &bsd_abi_amd64, &c), PORT_EPARSE);
			free(t);
		}
		if (len < sizeof(cpt16) && len % 40) {
			t = exact(cpt16, len);
			assert_int_equal(bsd_cp_times_decode(t, len, &bsd_abi_amd64, NULL, &c), PORT_EPARSE);
			free(t);
		}
		if (len < 24) {
			t = exact(la, len);
			assert_int_equal(bsd_loadavg_decode(t, len, &bsd_abi_amd64, x), PORT_EPARSE);
			free(t);
		}
		if (len < 16) {
			t = exact(tv, len);
			assert_int_equal(bsd_uptime_decode(t, len, &bsd_abi_amd64, 1700000001000, x), PORT_EPARSE);
			free(t);
		}
		if (len < 32) {
			t = exact(sw, len);
			a = b = 0;
			assert_int_equal(bsd_xswdev_add(t, len, &bsd_abi_amd64, 4096, &a, &b), PORT_EPARSE);
			free(t);
		}
		if (len < 80) {
			t = exact(d, len);
			assert_int_equal(bsd_ifdata_decode("em0", t, len, 0, &pi), PORT_EPARSE);
			free(t);
		}
		if (len < 4) {
			t = exact(t4, len);
			assert_int_equal(bsd_temp_decode(t, len, 0, x), PORT_EPARSE);
			assert_int_equal(bsd_uint_decode(t, len, 0, &a), PORT_EPARSE);
			free(t);
		}
		if (len < sizeof(kp) && len % KP64) {
			t = exact(kp, len);
			g.n = 0;
			assert_int_equal(bsd_kp_decode(t, len, &bsd_abi_amd64, 4096, 127, got_cb, &g), PORT_EPARSE);
			assert_int_equal(g.n, 0);
			free(t);
		}
		if (len < (size_t)count * SF && len % SF) {
			t = exact(mnt, len);
			assert_int_equal(bsd_fs_decode(t, len, 0, fs, 20, &n), PORT_EPARSE);
			free(t);
		}
	}
}

/* A big-endian LP64 reader (powerpc64 has no table in abi.c yet; this is
 * the byte order switch every decoder goes through). */
static void big_endian(void **state)
{
	struct bsd_abi be = bsd_abi_amd64;
	unsigned char cp[40] = {0}, d[152] = {0}, la[24] = {0};
	struct port_cpu c;
	struct port_if pi;
	double l[3];
	(void)state;
	be.big_endian = 1;
	cp[7] = 0x10;            /* user 16 */
	cp[32 + 6] = 0x01;       /* idle 256 */
	assert_int_equal(bsd_cp_time_decode(cp, 40, &be, &c), PORT_OK);
	assert_int_equal(c.total, 16 + 256);
	assert_int_equal(c.idle, 256);
	d[7] = 152;              /* ifi_datalen 0x0098 */
	d[64] = 0x01;            /* ibytes 2^56 */
	d[79] = 0x2a;            /* obytes 42 */
	assert_int_equal(bsd_ifdata_decode("cxl0", d, 152, 1, &pi), PORT_OK);
	assert_int_equal(pi.rx, 1ull << 56);
	assert_int_equal(pi.tx, 42);
	la[2] = 0x08;            /* ldavg[0] 2048 */
	la[22] = 0x08;           /* fscale 2048 */
	assert_int_equal(bsd_loadavg_decode(la, 24, &be, l), PORT_OK);
	assert_near(l[0], 1.0);
}

/* ---- the port layer over a fake system-call table ------------------------ */

struct fx {
	const char *name;
	const void *data;
	size_t len;
};
static struct fx fxs[48];
static int nfx;
static int power_calls;
static enum port_power power_what;

static void fx(const char *name, const void *data, size_t len)
{
	for (int i = 0; i < nfx; i++)
		if (strcmp(fxs[i].name, name) == 0) {
			fxs[i].data = data;
			fxs[i].len = len;
			return;
		}
	assert_true(nfx < 48);
	fxs[nfx++] = (struct fx){name, data, len};
}

static int fx_get(const char *name, void *buf, size_t *len)
{
	for (int i = 0; i < nfx; i++) {
		if (strcmp(fxs[i].name, name) != 0 || !fxs[i].data)
			continue;
		if (buf && *len < fxs[i].len)
			return ENOMEM;
		if (buf)
			memcpy(buf, fxs[i].data, fxs[i].len);
		*len = fxs[i].len;
		return 0;
	}
	return ENOENT;
}

static int fake_sysctl(const char *name, void *buf, size_t *len)
{
	return fx_get(name, buf, len);
}

static int fake_swap_info(int index, void *buf, size_t *len)
{
	char name[32];
	snprintf(name, sizeof(name), "vm.swap_info.%d", index);
	return fx_get(name, buf, len);
}

/* kern.proc.pid.<pid>: the record of the current kern.proc.proc table. */
static int fake_proc_one(uint32_t pid, void *buf, size_t *len)
{
	const unsigned char *t;
	size_t n = 0, tl = 0;
	if (fx_get("kern.proc.proc", NULL, &tl) != 0)
		return ENOENT;
	for (int i = 0; i < nfx; i++)
		if (strcmp(fxs[i].name, "kern.proc.proc") == 0)
			t = fxs[i].data, n = fxs[i].len / KP64;
	for (size_t i = 0; i < n; i++)
		if (t[i * KP64 + 72] == (pid & 0xff) && t[i * KP64 + 73] == ((pid >> 8) & 0xff)) {
			if (*len < KP64)
				return ENOMEM;
			memcpy(buf, t + i * KP64, KP64);
			*len = KP64;
			return 0;
		}
	return ESRCH;
}

static int fake_proc_args(uint32_t pid, void *buf, size_t *len)
{
	char name[40];
	snprintf(name, sizeof(name), "kern.proc.args.%u", pid);
	return fx_get(name, buf, len);
}

static int fake_mounts(void *buf, size_t *len)
{
	return fx_get("getfsstat", buf, len);
}

static const unsigned char *link_data[4];
static const char *link_names[4];

static int fake_links(void (*fn)(const char *name, const void *data, size_t len, void *arg), void *arg)
{
	for (int i = 0; i < 4 && link_names[i]; i++)
		fn(link_names[i], link_data[i], 152, arg);
	return 0;
}

static int fake_os_release(char *buf, size_t cap)
{
	size_t len = cap - 1;
	int e = fx_get("/etc/os-release", buf, &len);
	if (!e)
		buf[len] = '\0';
	return e;
}

static int fake_power(enum port_power what, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	power_calls++;
	power_what = what;
	return PORT_OK;
}

/* What sys_freebsd.c is on FreeBSD, for bsd.c's port_init(). */
const struct bsd_sys bsd_sys_native = {
    .abi = &bsd_abi_amd64,
    .sysctl = fake_sysctl,
    .swap_info = fake_swap_info,
    .proc_one = fake_proc_one,
    .proc_args = fake_proc_args,
    .mounts = fake_mounts,
    .links = fake_links,
    .os_release = fake_os_release,
    .power = fake_power,
};

/* Two snapshots 5 s apart of a 16-core FreeBSD 14.1 NAS (stathz 127). */
static unsigned char cpt[2][16 * 5 * 8];
static unsigned char procs[2][9 * KP64];
static unsigned char ifd[2][2][152];
static unsigned char u32s[8][4], clk[20], boot[16], lavg[24], swp[2][32];
static const char args900[] = "/usr/local/bin/postgres_worker_pool\0-D\0/db";

static void snapshots(void)
{
	int64_t now = (int64_t)time(NULL);
	nfx = 0;
	memset(link_names, 0, sizeof(link_names));
	for (int t = 0; t < 2; t++) {
		for (unsigned i = 0; i < 16; i++) {
			/* +100 user, +35 sys, +500 idle each CPU over 5 s: 635 = 5 x 127. */
			uint64_t v[5] = {1000 + 100u * (unsigned)t, 0, 200 + 35u * (unsigned)t, 10, 90000 + 500u * (unsigned)t};
			for (int k = 0; k < 5; k++)
				put64(cpt[t], (i * 5 + (unsigned)k) * 8, v[k]);
		}
		/* runtime in whole seconds: t0, then t1. */
		kp64_put(procs[t], 0, 11, "idle", 0, (1000 + 80u * (unsigned)t) * 1000000ull, 1700000000, 0x200);
		kp64_put(procs[t], 1, 12, "intr", 0, (50 + 3u * (unsigned)t) * 1000000ull, 1700000000, 0x200);
		kp64_put(procs[t], 2, 812, "nginx", 2048, (2 + 4u * (unsigned)t) * 1000000ull, 1700000100, 0);
		kp64_put(procs[t], 3, 813, "nginx", 1024, (1 + 2u * (unsigned)t) * 1000000ull, 1700000101, 0);
		kp64_put(procs[t], 4, 814, "NGINX", 1024, (1 + 2u * (unsigned)t) * 1000000ull, 1700000102, 0);
		kp64_put(procs[t], 5, 900, "postgres_worker", 4096, (7 + 1u * (unsigned)t) * 1000000ull, 1700000200, 0);
		kp64_put(procs[t], 6, 500, "sshd", 500, 3000000, 1700000050, 0);
		/* pid 700 was another cron at t0: its 5 s are not this one's. */
		kp64_put(procs[t], 7, 700, "cron", 100, t ? 5000000 : 1000000, t ? 1700000300u : 1700000060u, 0);
		kp64_put(procs[t], 8, 1, "init", 50, 1000000, 1700000000, 0);
		for (int k = 0; k < 2; k++) {
			memset(ifd[t][k], 0, 152);
			put16(ifd[t][k], 6, 152);
		}
		put64(ifd[t][0], 64, 1000000 + 6250000ull * (unsigned)t); /* igb0: 1.25 MB/s down */
		put64(ifd[t][0], 72, 500000 + 250000ull * (unsigned)t);
		put64(ifd[t][1], 64, 99999999ull * (unsigned)t + 1); /* lo0: ignored */
	}
	put32(u32s[0], 0, 4096);
	put32(u32s[1], 0, 4194304);
	put32(u32s[2], 0, 1048576);
	put32(u32s[3], 0, 524288);
	put32(clk, 0, 1000);
	put32(clk, 12, 127);
	put32(u32s[4], 0, 3231);
	put64(boot, 0, (uint64_t)(now - 86400));
	put32(lavg, 0, 2048);
	put32(lavg, 4, 1024);
	put32(lavg, 8, 512);
	put64(lavg, 16, 2048);
	memset(swp, 0, sizeof(swp));
	put32(swp[0], 0, 2);
	put32(swp[0], 20, 1048576);
	put32(swp[0], 24, 2560);
	put32(swp[1], 0, 2);
	put32(swp[1], 20, 262144);
	fx("hw.pagesize", u32s[0], 4);
	fx("kern.clockrate", clk, 20);
	fx("vm.stats.vm.v_page_count", u32s[1], 4);
	fx("vm.stats.vm.v_free_count", u32s[2], 4);
	fx("vm.stats.vm.v_inactive_count", u32s[3], 4);
	fx("hw.acpi.thermal.tz0.temperature", u32s[4], 4); /* no coretemp loaded */
	fx("kern.boottime", boot, 16);
	fx("vm.loadavg", lavg, 24);
	fx("vm.swap_info.0", swp[0], 32);
	fx("vm.swap_info.1", swp[1], 32);
	fx("kern.hostname", "nas.lan", 8);
	fx("kern.ostype", "FreeBSD", 8);
	fx("kern.osrelease", "14.1-RELEASE-p5", 16);
	fx("hw.machine_arch", "amd64", 6);
	fx("/etc/os-release", "NAME=FreeBSD\nPRETTY_NAME=\"FreeBSD 14.1-RELEASE-p5\"\n", 49);
	fx("kern.proc.args.900", args900, sizeof(args900));
	fx("getfsstat", mnt, (size_t)mounts_fixture(mnt) * SF);
}

static void at(int t)
{
	fx("kern.cp_times", cpt[t], sizeof(cpt[t]));
	fx("kern.proc.proc", procs[t], sizeof(procs[t]));
	link_names[0] = "igb0", link_data[0] = ifd[t][0];
	link_names[1] = "lo0", link_data[1] = ifd[t][1];
}

static void port_layer(void **state)
{
	struct port_cpu c;
	struct port_mem m;
	struct port_fs fs[20];
	struct port_if ifs[4];
	struct port_host h;
	struct got g = {0};
	double up, l[3], temp;
	char name[64], err[64];
	int n;
	(void)state;
	snapshots();
	at(0);
	assert_int_equal(port_init(NULL), PORT_OK);
	assert_string_equal(port_name(), "freebsd");
	assert_int_equal(port_cpu_read(&c), PORT_OK);
	assert_int_equal(c.ncpu, 16);
	assert_int_equal(c.total, 16 * 91210);
	assert_int_equal(c.idle, 16 * 90000);
	assert_int_equal(port_mem_read(&m), PORT_OK);
	assert_int_equal(m.total, 16ull << 30);
	assert_int_equal(m.avail, 6ull << 30);
	assert_int_equal(m.swap_total, 5ull << 30);
	assert_int_equal(m.swap_free, (5ull << 30) - 2560 * 4096);
	assert_int_equal(port_cpu_temp(&temp), PORT_OK);
	assert_near(temp, 49.95);
	assert_int_equal(port_uptime(&up), PORT_OK);
	assert_true(up >= 86400 && up < 86460);
	assert_int_equal(port_loadavg(l), PORT_OK);
	assert_near(l[1], 0.5);
	assert_int_equal(port_fs_list(fs, 20, &n), PORT_OK);
	assert_int_equal(n, 10);
	assert_int_equal(port_if_list(ifs, 4, &n), PORT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ifs[0].name, "igb0");
	assert_int_equal(ifs[0].rx, 1000000);
	assert_int_equal(port_if_list(ifs, 1, &n), PORT_ENOSPC);
	assert_int_equal(n, 1);
	assert_int_equal(port_proc_scan(got_cb, &g), PORT_OK);
	assert_int_equal(g.n, 8);
	assert_int_equal(port_proc_fullname(900, name, sizeof(name)), PORT_OK);
	assert_string_equal(name, "postgres_worker_pool");
	assert_int_equal(port_proc_fullname(812, name, sizeof(name)), PORT_ENOTAVAIL); /* no args */
	assert_int_equal(port_proc_fullname(4444, name, sizeof(name)), PORT_ENOTAVAIL); /* gone */
	assert_int_equal(port_host_read(&h), PORT_OK);
	assert_string_equal(h.os, "FreeBSD 14.1-RELEASE-p5");
	assert_string_equal(h.arch, "amd64");
	assert_int_equal(port_power(PORT_POWER_SHUTDOWN, err, sizeof(err)), PORT_OK);
	assert_int_equal(power_calls, 1);
	assert_int_equal(power_what, PORT_POWER_SHUTDOWN);
	/* Gone or garbled sources: "absent", never garbage. */
	fx("kern.cp_times", cpt[0], 7);
	assert_int_equal(port_cpu_read(&c), PORT_EPARSE);
	fx("kern.cp_times", NULL, 0);
	assert_int_equal(port_cpu_read(&c), PORT_ENOTAVAIL);
	fx("kern.proc.proc", procs[0], KP64 * 3 + 10);
	assert_int_equal(port_proc_scan(got_cb, &g), PORT_EPARSE);
	fx("vm.swap_info.1", swp[1], 31);
	assert_int_equal(port_mem_read(&m), PORT_OK);
	assert_true(m.swap_total == PORT_NA && m.swap_free == PORT_NA);
	fx("vm.stats.vm.v_free_count", NULL, 0);
	assert_int_equal(port_mem_read(&m), PORT_ENOTAVAIL);
	assert_true(m.total == PORT_NA);
	port_fini();
}

/* The agent's own collector over the port: processes merged by name as
 * the original does ("nginx (3)"), the idle process left out, one disk
 * line per ZFS pool, CPU% over 16 cores. */
static void port_layer_agent(void **state)
{
	static struct collector coll;
	static struct sample s;
	(void)state;
	snapshots();
	at(0);
	assert_int_equal(port_init(NULL), PORT_OK);
	collect_init(&coll, NULL);
	collect_baseline(&coll, 0, 1);
	at(1);
	collect_sample(&coll, &s, 5000, 1);
	/* 16 x 135 busy of 16 x 635 ticks. */
	assert_near(s.v[SK_CPU], 135.0 * 100.0 / 635.0);
	assert_near(s.v[SK_CORES], 16);
	assert_near(s.v[SK_RAM_TOTAL], 16.0 * GIB);
	assert_near(s.v[SK_RAM_USED], 10.0 * GIB);
	assert_near(s.v[SK_SWAP_TOTAL], 5.0 * GIB);
	assert_near(s.v[SK_NET_DOWN], 1250000.0);
	assert_near(s.v[SK_NET_UP], 50000.0);
	assert_true(fabs(s.v[SK_CPU_TEMP] - 49.95) < 0.1);
	assert_true(s.v[SK_UPTIME] >= 86400);
	assert_int_equal(s.nprocs, 5);
	assert_string_equal(s.procs[0].name, "nginx (3)");
	assert_near(s.procs[0].cpu, 8.0 * 127 * 100 / 10160);
	assert_near(s.procs[0].ram, 4096.0 * 4096);
	assert_string_equal(s.procs[1].name, "intr");
	assert_near(s.procs[1].cpu, 3.0 * 127 * 100 / 10160);
	assert_string_equal(s.procs[2].name, "postgres_worker_pool");
	assert_near(s.procs[2].cpu, 1.25);
	/* No CPU since the baseline: by memory (cron's 5 s are another cron's). */
	assert_string_equal(s.procs[3].name, "sshd");
	assert_string_equal(s.procs[4].name, "cron");
	assert_near(s.procs[4].cpu, 0);
	/* "/" is zroot's one line, "/mnt/tank" tank's; /data and /full are UFS. */
	assert_int_equal(s.ndisks, 4);
	assert_string_equal(s.disks[0].mount, "/");
	assert_near(s.disks[0].used, 51000.0 * 131072);
	assert_near(s.disks[0].total, 111000.0 * 131072);
	assert_string_equal(s.disks[1].mount, "/mnt/tank");
	assert_near(s.disks[1].used, 7100000.0 * 131072);
	assert_near(s.disks[1].total, 9100000.0 * 131072);
	assert_string_equal(s.disks[2].mount, "/data");
	assert_near(s.disks[2].percent, 100000000.0 * 100 / 115000000);
	assert_string_equal(s.disks[3].mount, "/full");
	assert_near(s.disks[3].percent, 100);
	port_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cp_time_amd64),   cmocka_unit_test(cp_time_negative),
	    cmocka_unit_test(cp_times_16_cores), cmocka_unit_test(unwrap32),
	    cmocka_unit_test(cp_times_i386_wrap), cmocka_unit_test(clockrate),
	    cmocka_unit_test(loadavg),         cmocka_unit_test(boottime),
	    cmocka_unit_test(temperature),     cmocka_unit_test(memory),
	    cmocka_unit_test(swap),            cmocka_unit_test(statfs_zfs_pools),
	    cmocka_unit_test(statfs_bad),      cmocka_unit_test(ifdata),
	    cmocka_unit_test(kinfo_proc_amd64), cmocka_unit_test(kinfo_proc_i386),
	    cmocka_unit_test(args_fullname),   cmocka_unit_test(host),
	    cmocka_unit_test(big_endian),      cmocka_unit_test(truncations),
	    cmocka_unit_test(port_layer),      cmocka_unit_test(port_layer_agent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
