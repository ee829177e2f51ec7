/* bsd.c — port.h for FreeBSD over the table of system calls in bsd.h
 * (sys_freebsd.c has the real one, the tests a fake one serving recorded
 * bytes): each reader asks for a sysctl's bytes and hands them to a
 * decoder (dec_*.c). Buffers are static: nothing allocates after
 * port_init(). */
#include "port/port.h"
#include "port/bsd/bsd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BSD_MAX_PROCS 4096
#define BSD_MAX_MOUNTS 128
#define BSD_MAX_SWAPDEV 32

static struct {
	const struct bsd_sys *sys;
	uint64_t pagesize;
	unsigned stathz;
	char temp_name[48]; /* the temperature sysctl found at start-up */
	struct bsd_cpu_wrap wrap;
} bsd;

/* Large buffers, touched only as far as the kernel fills them. */
static _Alignas(8) unsigned char procbuf[BSD_MAX_PROCS * BSD_LP64_KP_SIZE];
static _Alignas(8) unsigned char fsbuf[BSD_MAX_MOUNTS * BSD_STATFS_SIZE]; /* struct statfs[] */

static int from_errno(int e)
{
	return e == 0 ? PORT_OK : e == ENOENT ? PORT_ENOTAVAIL : e == ENOMEM ? PORT_ENOSPC : PORT_EIO;
}

static int get(const char *name, void *buf, size_t cap, size_t *len)
{
	*len = cap;
	return from_errno(bsd.sys->sysctl(name, buf, len));
}

static int get_uint(const char *name, uint64_t *v)
{
	unsigned char b[8];
	size_t len;
	int rc = get(name, b, sizeof(b), &len);
	return rc ? rc : bsd_uint_decode(b, len, bsd.sys->abi->big_endian, v);
}

/* ---- lifecycle ----------------------------------------------------------- */

int port_init(const char *root)
{
	static const char *const temps[] = {"dev.cpu.0.temperature", "hw.acpi.thermal.tz0.temperature"};
	unsigned char b[32];
	size_t len;
	uint64_t ps;
	double c;
	(void)root; /* no /proc or /sys to move: tests swap the table instead */
	memset(&bsd, 0, sizeof(bsd));
	bsd.sys = &bsd_sys_native;
	bsd.pagesize = get_uint("hw.pagesize", &ps) == PORT_OK && ps ? ps : 4096;
	bsd.stathz = 128; /* FreeBSD's usual stathz, if kern.clockrate fails */
	if (get("kern.clockrate", b, sizeof(b), &len) == PORT_OK)
		bsd_clockrate_decode(b, len, bsd.sys->abi->big_endian, &bsd.stathz);
	/* SPEC §4's order: the CPU's own sensor (coretemp(4), amdtemp(4)),
	 * then an ACPI thermal zone. */
	for (size_t i = 0; i < sizeof(temps) / sizeof(temps[0]); i++)
		if (get(temps[i], b, sizeof(b), &len) == PORT_OK &&
		    bsd_temp_decode(b, len, bsd.sys->abi->big_endian, &c) == PORT_OK) {
			snprintf(bsd.temp_name, sizeof(bsd.temp_name), "%s", temps[i]);
			break;
		}
	return PORT_OK;
}

void port_fini(void) {}
const char *port_root(void) { return ""; }
const char *port_name(void) { return "freebsd"; }

/* ---- CPU, memory, load ------------------------------------------------- */

int port_cpu_read(struct port_cpu *c)
{
	static unsigned char b[BSD_MAX_CPUS * BSD_CPUSTATES * 8];
	size_t len;
	uint64_t ncpu;
	int rc = get("kern.cp_times", b, sizeof(b), &len);
	if (rc == PORT_OK)
		return bsd_cp_times_decode(b, len, bsd.sys->abi, &bsd.wrap, c);
	/* Without kern.cp_times (before FreeBSD 7): the summed counters. */
	if ((rc = get("kern.cp_time", b, sizeof(b), &len)) != PORT_OK)
		return rc;
	if ((rc = bsd_cp_time_decode(b, len, bsd.sys->abi, c)) != PORT_OK)
		return rc;
	c->ncpu = get_uint("hw.ncpu", &ncpu) == PORT_OK && ncpu < 65536 ? (unsigned)ncpu : 0;
	return PORT_OK;
}

int port_mem_read(struct port_mem *m)
{
	unsigned char b[64];
	struct bsd_vm_pages v;
	uint64_t total = 0, used = 0;
	size_t len;
	int rc;
	if ((rc = get_uint("vm.stats.vm.v_page_count", &v.page_count)) ||
	    (rc = get_uint("vm.stats.vm.v_free_count", &v.free_count)) ||
	    (rc = get_uint("vm.stats.vm.v_inactive_count", &v.inactive_count))) {
		m->total = m->avail = m->swap_total = m->swap_free = PORT_NA;
		m->cg_limit = m->cg_usage = m->cg_inactive_file = PORT_NA;
		return rc;
	}
	if (get_uint("vm.stats.vm.v_cache_count", &v.cache_count) != PORT_OK)
		v.cache_count = PORT_NA;
	rc = bsd_mem_from_pages(&v, bsd.pagesize, m);
	m->swap_total = m->swap_free = PORT_NA;
	for (int i = 0; i < BSD_MAX_SWAPDEV; i++) {
		int e;
		len = sizeof(b);
		if ((e = bsd.sys->swap_info(i, b, &len)) == ENOENT) {
			m->swap_total = total; /* no (more) devices */
			m->swap_free = total - used;
			break;
		}
		if (e || bsd_xswdev_add(b, len, bsd.sys->abi, bsd.pagesize, &total, &used) != PORT_OK)
			break; /* garbled: no swap figures rather than wrong ones */
	}
	return rc;
}

int port_uptime(double *seconds)
{
	unsigned char b[32];
	size_t len;
	int rc = get("kern.boottime", b, sizeof(b), &len);
	return rc ? rc : bsd_uptime_decode(b, len, bsd.sys->abi, port_wall_ms(), seconds);
}

int port_loadavg(double load[3])
{
	unsigned char b[32];
	size_t len;
	int rc = get("vm.loadavg", b, sizeof(b), &len);
	return rc ? rc : bsd_loadavg_decode(b, len, bsd.sys->abi, load);
}

int port_cpu_temp(double *celsius)
{
	unsigned char b[8];
	size_t len;
	int rc;
	if (!bsd.temp_name[0])
		return PORT_ENOTAVAIL;
	rc = get(bsd.temp_name, b, sizeof(b), &len);
	return rc ? rc : bsd_temp_decode(b, len, bsd.sys->abi->big_endian, celsius);
}

/* ---- filesystems, network -------------------------------------------- */

int port_fs_list(struct port_fs *fs, int max, int *n)
{
	size_t len = sizeof(fsbuf);
	int rc = from_errno(bsd.sys->mounts(fsbuf, &len));
	*n = 0;
	return rc ? rc : bsd_fs_decode(fsbuf, len, bsd.sys->abi->big_endian, fs, max, n);
}

struct if_walk {
	struct port_if *ifs;
	int max, n, full;
};

static void if_cb(const char *name, const void *data, size_t len, void *arg)
{
	struct if_walk *w = arg;
	if (w->n >= w->max) {
		w->full = 1;
		return;
	}
	if (bsd_ifdata_decode(name, data, len, bsd.sys->abi->big_endian, &w->ifs[w->n]) == PORT_OK)
		w->n++;
}

int port_if_list(struct port_if *ifs, int max, int *n)
{
	struct if_walk w = {ifs, max, 0, 0};
	int rc = from_errno(bsd.sys->links(if_cb, &w));
	*n = w.n;
	return rc ? rc : w.full ? PORT_ENOSPC : PORT_OK;
}

/* ---- processes, host, power ------------------------------------------ */

int port_proc_scan(port_proc_fn fn, void *arg)
{
	size_t len;
	int rc = get("kern.proc.proc", procbuf, sizeof(procbuf), &len);
	return rc ? rc : bsd_kp_decode(procbuf, len, bsd.sys->abi, bsd.pagesize, bsd.stathz, fn, arg);
}

static void name_cb(const struct port_proc *p, void *arg)
{
	memcpy(arg, p->name, sizeof(p->name));
}

int port_proc_fullname(uint32_t pid, char *buf, size_t cap)
{
	static unsigned char one[2048];
	char args[512], comm[32] = "";
	size_t len = sizeof(one);
	/* kern.proc.pid.<pid> for the kernel's name, kern.proc.args.<pid>
	 * for argv[0]; either fails once the process is gone. */
	if (bsd.sys->proc_one(pid, one, &len) != 0 ||
	    bsd_kp_decode(one, len, bsd.sys->abi, bsd.pagesize, bsd.stathz, name_cb, comm) != PORT_OK || !comm[0])
		return PORT_ENOTAVAIL;
	len = sizeof(args);
	if (bsd.sys->proc_args(pid, args, &len) != 0)
		return PORT_ENOTAVAIL;
	return bsd_args_fullname(args, len, comm, buf, cap);
}

int port_host_read(struct port_host *h)
{
	static char text[4096];
	char host[256], type[64], rel[128], arch[64];
	struct bsd_host_raw r;
	memset(&r, 0, sizeof(r));
	if (get("kern.hostname", host, sizeof(host), &r.hostname_len) == PORT_OK)
		r.hostname = host;
	if (get("kern.ostype", type, sizeof(type), &r.ostype_len) == PORT_OK)
		r.ostype = type;
	if (get("kern.osrelease", rel, sizeof(rel), &r.osrelease_len) == PORT_OK)
		r.osrelease = rel;
	if (get("hw.machine_arch", arch, sizeof(arch), &r.arch_len) == PORT_OK)
		r.arch = arch;
	if (bsd.sys->os_release(text, sizeof(text)) == 0)
		r.os_release = text;
	return bsd_host_fill(&r, h);
}

int port_gpu_list(struct port_gpu *g, int max, int *n)
{
	(void)g;
	(void)max;
	*n = 0;
	return PORT_ENOTAVAIL;
}

const char *port_gpu_backend(void) { return "none"; }

int port_power(enum port_power what, char *err, size_t errlen)
{
	return bsd.sys->power(what, err, errlen);
}
