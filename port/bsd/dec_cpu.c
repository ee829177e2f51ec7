/* dec_cpu.c — decoders for the CPU, clock, load, temperature and memory
 * sysctls (sysctl(3) and the structures named in bsd.h): bytes in, port.h
 * values out, no system calls. */
#include "port/bsd/bsd.h"

#include <string.h>

/* ---- CPU ticks ------------------------------------------------------------ */

uint64_t bsd_unwrap32(struct bsd_wrap *w, uint32_t raw)
{
	if (w->seen && raw < w->last)
		w->high += (uint64_t)1 << 32;
	w->last = raw;
	w->seen = 1;
	return w->high | raw;
}

/* One CPU's CPUSTATES longs at p into c (added). A negative 64-bit long is
 * garbage; a 32-bit one is a counter past 2^31, read unsigned. */
static int cpu_add(const unsigned char *p, const struct bsd_abi *abi, struct bsd_wrap *w, struct port_cpu *c)
{
	uint64_t v[BSD_CPUSTATES];
	for (int i = 0; i < BSD_CPUSTATES; i++) {
		const unsigned char *f = p + (size_t)i * abi->long_len;
		if (abi->long_len == 4) {
			uint32_t raw = bsd_rd32(f, abi->big_endian);
			v[i] = w ? bsd_unwrap32(&w[i], raw) : raw;
		} else {
			int64_t s = bsd_rds(f, 8, abi->big_endian);
			if (s < 0)
				return PORT_EPARSE;
			v[i] = (uint64_t)s;
		}
	}
	for (int i = 0; i < BSD_CPUSTATES; i++)
		c->total += v[i];
	c->idle += v[BSD_CP_IDLE];
	return PORT_OK;
}

int bsd_cp_time_decode(const void *buf, size_t len, const struct bsd_abi *abi, struct port_cpu *c)
{
	struct port_cpu r = {0, 0, 0};
	if (len != (size_t)BSD_CPUSTATES * abi->long_len || cpu_add(buf, abi, NULL, &r) != PORT_OK)
		return PORT_EPARSE;
	*c = r;
	return PORT_OK;
}

int bsd_cp_times_decode(const void *buf, size_t len, const struct bsd_abi *abi, struct bsd_cpu_wrap *wrap,
                        struct port_cpu *c)
{
	size_t one = (size_t)BSD_CPUSTATES * abi->long_len, n;
	struct port_cpu r = {0, 0, 0};
	if (len == 0 || len % one != 0 || (n = len / one) > BSD_MAX_CPUS)
		return PORT_EPARSE;
	if (abi->long_len != 4)
		wrap = NULL;
	if (wrap && wrap->ncpu != n) {
		memset(wrap, 0, sizeof(*wrap)); /* a new table: start over */
		wrap->ncpu = (unsigned)n;
	}
	for (size_t i = 0; i < n; i++)
		if (cpu_add((const unsigned char *)buf + i * one, abi, wrap ? &wrap->w[i * BSD_CPUSTATES] : NULL, &r))
			return PORT_EPARSE;
	r.ncpu = (unsigned)n;
	*c = r;
	return PORT_OK;
}

int bsd_clockrate_decode(const void *buf, size_t len, int be, unsigned *stathz)
{
	const unsigned char *p = buf;
	int32_t hz, st;
	if (len < 20) /* 5 ints: hz, tick, spare, stathz, profhz */
		return PORT_EPARSE;
	hz = (int32_t)bsd_rd32(p, be);
	st = (int32_t)bsd_rd32(p + 12, be);
	if (st <= 0)
		st = hz;
	if (st <= 0 || st > 1000000)
		return PORT_EPARSE;
	*stathz = (unsigned)st;
	return PORT_OK;
}

/* ---- load, uptime, temperature ------------------------------------------- */

int bsd_loadavg_decode(const void *buf, size_t len, const struct bsd_abi *abi, double load[3])
{
	const unsigned char *p = buf;
	int64_t fscale;
	if (len != abi->loadavg_size)
		return PORT_EPARSE;
	/* fscale sits after the three fixpt_t, aligned as a long. */
	fscale = bsd_rds(p + abi->loadavg_size - abi->long_len, abi->long_len, abi->big_endian);
	if (fscale <= 0)
		return PORT_EPARSE;
	for (int i = 0; i < 3; i++)
		load[i] = (double)bsd_rd32(p + 4 * i, abi->big_endian) / (double)fscale;
	return PORT_OK;
}

int bsd_uptime_decode(const void *buf, size_t len, const struct bsd_abi *abi, int64_t now_ms, double *seconds)
{
	const unsigned char *p = buf;
	int64_t sec, usec;
	double up;
	if (len != abi->timeval_size)
		return PORT_EPARSE;
	sec = bsd_rds(p, abi->time_len, abi->big_endian);
	usec = bsd_rds(p + abi->timeval_size - abi->long_len, abi->long_len, abi->big_endian);
	if (sec <= 0 || usec < 0 || usec >= 1000000)
		return PORT_EPARSE;
	up = (double)now_ms / 1000.0 - ((double)sec + (double)usec / 1e6);
	if (up < 0)
		return PORT_EPARSE; /* the clock was set back past the boot */
	*seconds = up;
	return PORT_OK;
}

int bsd_temp_decode(const void *buf, size_t len, int be, double *celsius)
{
	int32_t dk;
	if (len != 4)
		return PORT_EPARSE;
	dk = (int32_t)bsd_rd32(buf, be);
	/* sysctl(8) prints "IK" as dk / 10 - 273.15; 0 K .. 573 K is sane. */
	if (dk <= 0 || dk > 5731)
		return PORT_EPARSE;
	*celsius = (double)dk / 10.0 - 273.15;
	return PORT_OK;
}

/* ---- memory -------------------------------------------------------------- */

int bsd_uint_decode(const void *buf, size_t len, int be, uint64_t *out)
{
	if (len != 4 && len != 8)
		return PORT_EPARSE;
	*out = bsd_rdu(buf, (unsigned)len, be);
	return PORT_OK;
}

/* Available = free + inactive + cache, as FreeBSD's top(1) and vmstat
 * count what is not in use: inactive pages are clean or cheaply reclaimed
 * cache, like Linux's MemAvailable. Laundry (dirty pages queued for swap),
 * wired and active memory count as used. */
int bsd_mem_from_pages(const struct bsd_vm_pages *v, uint64_t pagesize, struct port_mem *m)
{
	uint64_t cache = v->cache_count == PORT_NA ? 0 : v->cache_count;
	uint64_t avail = v->free_count + v->inactive_count + cache;
	m->total = m->avail = PORT_NA;
	m->cg_limit = m->cg_usage = m->cg_inactive_file = PORT_NA;
	if (pagesize == 0 || v->page_count == 0 || v->page_count > UINT64_MAX / pagesize)
		return PORT_EPARSE;
	if (v->free_count > v->page_count || v->inactive_count > v->page_count || cache > v->page_count)
		return PORT_EPARSE;
	if (avail > v->page_count)
		avail = v->page_count; /* counters read one by one can race */
	m->total = v->page_count * pagesize;
	m->avail = avail * pagesize;
	return PORT_OK;
}

int bsd_xswdev_add(const void *buf, size_t len, const struct bsd_abi *abi, uint64_t pagesize, uint64_t *total,
                   uint64_t *used)
{
	const unsigned char *p = buf;
	size_t nb_off, used_off;
	int32_t nblks, u;
	uint32_t version;
	if (len < 4)
		return PORT_EPARSE;
	version = bsd_rd32(p, abi->big_endian);
	if (version == 2 && len == abi->xswdev_size) {
		nb_off = abi->xsw_nblks, used_off = abi->xsw_used;
	} else if (version == 1 && len == 20) { /* FreeBSD 11: 32-bit dev_t */
		nb_off = 12, used_off = 16;
	} else {
		return PORT_EPARSE;
	}
	nblks = (int32_t)bsd_rd32(p + nb_off, abi->big_endian);
	u = (int32_t)bsd_rd32(p + used_off, abi->big_endian);
	if (nblks < 0 || u < 0 || u > nblks)
		return PORT_EPARSE;
	/* Swap blocks are pages (swapinfo(8) multiplies by the page size). */
	*total += (uint64_t)nblks * pagesize;
	*used += (uint64_t)u * pagesize;
	return PORT_OK;
}
