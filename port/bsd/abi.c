/* abi.c — our descriptions of the FreeBSD structures the port reads, as
 * offsets per ABI (worked out from FreeBSD 14.x's headers, see bsd.h), and
 * the byte readers every decoder uses: nothing here assumes the host's
 * struct layout or byte order, so the decoders run on Linux in tests. */
#include "port/bsd/bsd.h"

/* The offsets are bsd.h's BSD_LP64_* and BSD_I386_* (sys_freebsd.c
 * checks them against FreeBSD's headers). */
const struct bsd_abi bsd_abi_amd64 = {
	.name = "amd64",
	.big_endian = 0,
	.long_len = 8,
	.time_len = 8,
	.timeval_size = BSD_LP64_TIMEVAL,
	.loadavg_size = BSD_LP64_LOADAVG,
	.xswdev_size = BSD_LP64_XSWDEV,
	.xsw_nblks = BSD_LP64_XSW_NBLKS,
	.xsw_used = BSD_LP64_XSW_USED,
	.kp = {.size = BSD_LP64_KP_SIZE, .pid = BSD_LP64_KP_PID, .flag = BSD_LP64_KP_FLAG,
	       .rssize = BSD_LP64_KP_RSSIZE, .runtime = BSD_LP64_KP_RUNTIME, .start = BSD_LP64_KP_START,
	       .comm = BSD_LP64_KP_COMM, .rssize_len = 8},
};

const struct bsd_abi bsd_abi_i386 = {
	.name = "i386",
	.big_endian = 0,
	.long_len = 4,
	.time_len = 4,
	.timeval_size = BSD_I386_TIMEVAL,
	.loadavg_size = BSD_I386_LOADAVG,
	.xswdev_size = BSD_I386_XSWDEV,
	.xsw_nblks = BSD_I386_XSW_NBLKS,
	.xsw_used = BSD_I386_XSW_USED,
	.kp = {.size = BSD_I386_KP_SIZE, .pid = BSD_I386_KP_PID, .flag = BSD_I386_KP_FLAG,
	       .rssize = BSD_I386_KP_RSSIZE, .runtime = BSD_I386_KP_RUNTIME, .start = BSD_I386_KP_START,
	       .comm = BSD_I386_KP_COMM, .rssize_len = 4},
};

uint32_t bsd_rd32(const unsigned char *p, int be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

uint64_t bsd_rd64(const unsigned char *p, int be)
{
	uint64_t a = bsd_rd32(p, be), b = bsd_rd32(p + 4, be);
	return be ? a << 32 | b : b << 32 | a;
}

uint64_t bsd_rdu(const unsigned char *p, unsigned len, int be)
{
	switch (len) {
	case 1:
		return p[0];
	case 2:
		return be ? (uint64_t)(p[0] << 8 | p[1]) : (uint64_t)(p[1] << 8 | p[0]);
	case 4:
		return bsd_rd32(p, be);
	default:
		return bsd_rd64(p, be);
	}
}

int64_t bsd_rds(const unsigned char *p, unsigned len, int be)
{
	if (len == 4)
		return (int32_t)bsd_rd32(p, be);
	return (int64_t)bsd_rd64(p, be);
}
