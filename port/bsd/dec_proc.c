/* dec_proc.c — kern.proc.proc's struct kinfo_proc array into port_proc
 * records, and the full program name from kern.proc.args. */
#include "port/bsd/bsd.h"

#include <string.h>

#define KP_COMM_LEN 20 /* COMMLEN + 1 */

/* Validates one record and fills pp; PORT_EPARSE on anything garbled. */
static int kp_record(const unsigned char *p, const struct bsd_abi *abi, uint64_t pagesize, unsigned stathz,
                     struct port_proc *pp, int *skip)
{
	const struct bsd_kp_layout *l = &abi->kp;
	int be = abi->big_endian;
	int32_t pid;
	int64_t rss, sec, usec, flag;
	uint64_t us;
	const unsigned char *nul;
	if ((size_t)(int32_t)bsd_rd32(p, be) != l->size) /* ki_structsize */
		return PORT_EPARSE;
	pid = (int32_t)bsd_rd32(p + l->pid, be);
	rss = bsd_rds(p + l->rssize, l->rssize_len, be);
	us = bsd_rd64(p + l->runtime, be);
	sec = bsd_rds(p + l->start, abi->time_len, be);
	usec = bsd_rds(p + l->start + abi->timeval_size - abi->long_len, abi->long_len, be);
	flag = bsd_rds(p + l->flag, abi->long_len, be);
	nul = memchr(p + l->comm, '\0', KP_COMM_LEN);
	if (pid < 0 || rss < 0 || sec < 0 || usec < 0 || usec >= 1000000 || !nul)
		return PORT_EPARSE;
	memset(pp, 0, sizeof(*pp));
	memcpy(pp->name, p + l->comm, (size_t)(nul - (p + l->comm)) + 1);
	pp->pid = (uint32_t)pid;
	pp->start = (uint64_t)sec * 1000000u + (uint64_t)usec;
	/* ki_runtime in microseconds to stathz ticks, the unit kern.cp_time
	 * counts in; split so the product cannot overflow. */
	pp->ticks = us / 1000000u * stathz + us % 1000000u * stathz / 1000000u;
	pp->rss = (uint64_t)rss * pagesize;
	/* The kernel's "idle" process holds the idle threads: its run time is
	 * the CPUs' idle time, which CPU% already shows as not busy. */
	*skip = (flag & BSD_P_SYSTEM) && strcmp(pp->name, "idle") == 0;
	return PORT_OK;
}

int bsd_kp_decode(const void *buf, size_t len, const struct bsd_abi *abi, uint64_t pagesize, unsigned stathz,
                  port_proc_fn fn, void *arg)
{
	const unsigned char *b = buf;
	size_t size = abi->kp.size, n;
	struct port_proc pp;
	int skip;
	if (len % size != 0 || stathz == 0 || pagesize == 0)
		return PORT_EPARSE;
	n = len / size;
	/* The whole table first: a layout mismatch reports nothing at all. */
	for (size_t i = 0; i < n; i++)
		if (kp_record(b + i * size, abi, pagesize, stathz, &pp, &skip) != PORT_OK)
			return PORT_EPARSE;
	for (size_t i = 0; i < n; i++) {
		kp_record(b + i * size, abi, pagesize, stathz, &pp, &skip);
		if (!skip)
			fn(&pp, arg);
	}
	return PORT_OK;
}

int bsd_args_fullname(const void *args, size_t len, const char *comm, char *out, size_t cap)
{
	const char *a = args, *nul, *base;
	size_t n;
	if (len == 0 || !(nul = memchr(a, '\0', len)) || nul == a)
		return PORT_ENOTAVAIL;
	base = a;
	for (const char *s = a; s < nul; s++)
		if (*s == '/')
			base = s + 1;
	n = (size_t)(nul - base);
	if (n == 0 || strncmp(base, comm, strlen(comm)) != 0)
		return PORT_ENOTAVAIL;
	if (n >= cap)
		return PORT_ENOSPC;
	memcpy(out, base, n + 1);
	return PORT_OK;
}
