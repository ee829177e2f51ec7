/* bsd.h — private to port/bsd: the FreeBSD structures as byte layouts of
 * our own (offsets per ABI, from FreeBSD's headers), the pure decoders that
 * turn sysctl bytes into port.h values, and the table of system calls the
 * port layer (bsd.c) goes through. Only sys_freebsd.c includes FreeBSD
 * headers; everything declared here compiles and is tested on Linux. */
#ifndef MONBOT_PORT_BSD_H
#define MONBOT_PORT_BSD_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

/* ---- byte layouts -------------------------------------------------------
 * Sizes and offsets of the fields read, per ABI. Sources (FreeBSD 14.x;
 * the offsets used are the same from 12.0 to 15.0, new fields came out of
 * spare room): sys/sys/user.h (struct kinfo_proc), sys/sys/resource.h
 * (struct loadavg, CPUSTATES), sys/sys/_timeval.h, vm/vm_param.h (struct
 * xswdev), sys/sys/time.h (struct clockinfo). sys_freebsd.c checks every
 * offset against the real headers with _Static_assert. */
struct bsd_kp_layout {
	size_t size;              /* KINFO_PROC_SIZE, and ki_structsize */
	size_t pid, flag, rssize, runtime, start, comm;
	unsigned rssize_len;      /* segsz_t */
};

struct bsd_abi {
	const char *name;
	int big_endian;
	unsigned long_len;        /* C long: kern.cp_time(s), loadavg.fscale */
	unsigned time_len;        /* time_t: struct timeval's tv_sec */
	size_t timeval_size;      /* struct timeval */
	size_t loadavg_size;      /* struct loadavg */
	size_t xswdev_size;       /* struct xswdev, XSWDEV_VERSION 2 */
	size_t xsw_nblks, xsw_used;
	struct bsd_kp_layout kp;
};

/* amd64, arm64, riscv64: LP64, little-endian. */
#define BSD_LP64_TIMEVAL 16
#define BSD_LP64_LOADAVG 24 /* 3 x fixpt_t (uint32), padding, long */
#define BSD_LP64_XSWDEV 32  /* u_int, padding, dev_t (uint64), 3 x int, padding */
#define BSD_LP64_XSW_NBLKS 20
#define BSD_LP64_XSW_USED 24
#define BSD_LP64_KP_SIZE 1088 /* 8 pointers after ki_structsize, ki_layout */
#define BSD_LP64_KP_PID 72
#define BSD_LP64_KP_RSSIZE 264
#define BSD_LP64_KP_RUNTIME 328
#define BSD_LP64_KP_START 336
#define BSD_LP64_KP_FLAG 368
#define BSD_LP64_KP_COMM 447
/* i386: ILP32, 32-bit time_t, 64-bit fields aligned to 4. */
#define BSD_I386_TIMEVAL 8
#define BSD_I386_LOADAVG 16
#define BSD_I386_XSWDEV 24
#define BSD_I386_XSW_NBLKS 16
#define BSD_I386_XSW_USED 20
#define BSD_I386_KP_SIZE 768
#define BSD_I386_KP_PID 40
#define BSD_I386_KP_RSSIZE 228
#define BSD_I386_KP_RUNTIME 272
#define BSD_I386_KP_START 280
#define BSD_I386_KP_FLAG 296
#define BSD_I386_KP_COMM 367
extern const struct bsd_abi bsd_abi_amd64;
extern const struct bsd_abi bsd_abi_i386;

uint32_t bsd_rd32(const unsigned char *p, int be);
uint64_t bsd_rd64(const unsigned char *p, int be);
/* An unsigned field of len 1, 2, 4 or 8 bytes. */
uint64_t bsd_rdu(const unsigned char *p, unsigned len, int be);
/* A signed field of len 4 or 8 bytes (C long, time_t, segsz_t). */
int64_t bsd_rds(const unsigned char *p, unsigned len, int be);

/* ---- CPU, clocks, load --------------------------------------------------- */

#define BSD_CPUSTATES 5 /* CP_USER CP_NICE CP_SYS CP_INTR CP_IDLE */
#define BSD_CP_IDLE 4
#define BSD_MAX_CPUS 256

/* A 32-bit counter made monotonic: raw values that went down wrapped once. */
struct bsd_wrap {
	uint32_t last;
	uint64_t high;
	int seen;
};
uint64_t bsd_unwrap32(struct bsd_wrap *w, uint32_t raw);

/* Where the C long is 32 bits, kern.cp_times wraps (16 CPUs at stathz 127
 * overflow a 32-bit sum in 24 days): state to unwrap each counter. */
struct bsd_cpu_wrap {
	unsigned ncpu;
	struct bsd_wrap w[BSD_MAX_CPUS * BSD_CPUSTATES];
};

/* kern.cp_time: CPUSTATES longs summed over CPUs. ncpu is left 0. */
int bsd_cp_time_decode(const void *buf, size_t len, const struct bsd_abi *abi, struct port_cpu *c);
/* kern.cp_times: CPUSTATES longs per CPU; sums them, ncpu = N. wrap may be
 * NULL (no unwrapping); it is used only where longs are 32 bits. */
int bsd_cp_times_decode(const void *buf, size_t len, const struct bsd_abi *abi, struct bsd_cpu_wrap *wrap,
                        struct port_cpu *c);
/* kern.clockrate (struct clockinfo: hz, tick, spare, stathz, profhz as int):
 * the rate kern.cp_time counts at (stathz, or hz when stathz is 0). */
int bsd_clockrate_decode(const void *buf, size_t len, int be, unsigned *stathz);
/* vm.loadavg (struct loadavg: fixpt_t ldavg[3], long fscale). */
int bsd_loadavg_decode(const void *buf, size_t len, const struct bsd_abi *abi, double load[3]);
/* kern.boottime (struct timeval) against the wall clock now_ms. */
int bsd_uptime_decode(const void *buf, size_t len, const struct bsd_abi *abi, int64_t now_ms, double *seconds);
/* dev.cpu.N.temperature, hw.acpi.thermal.tzN.temperature: an int in tenths
 * of a kelvin (sysctl format "IK"). */
int bsd_temp_decode(const void *buf, size_t len, int be, double *celsius);

/* ---- memory -------------------------------------------------------------- */

/* A sysctl number of 4 bytes (u_int, int) or 8 (u_long, uint64_t). */
int bsd_uint_decode(const void *buf, size_t len, int be, uint64_t *out);
/* vm.stats.vm.v_* page counts, hw.pagesize. cache is PORT_NA where the
 * kernel has no v_cache_count (it reads 0 since FreeBSD 12). */
struct bsd_vm_pages {
	uint64_t page_count, free_count, inactive_count, cache_count;
};
int bsd_mem_from_pages(const struct bsd_vm_pages *v, uint64_t pagesize, struct port_mem *m);
/* One vm.swap_info.N (struct xswdev, version 2, or version 1 of FreeBSD 11)
 * added to *total and *used in bytes. */
int bsd_xswdev_add(const void *buf, size_t len, const struct bsd_abi *abi, uint64_t pagesize, uint64_t *total,
                   uint64_t *used);

/* ---- filesystems --------------------------------------------------------- */

/* struct statfs since FreeBSD 12 (sys/sys/mount.h, STATFS_VERSION
 * 0x20140518): fixed-width fields, the same on every architecture. */
#define BSD_STATFS_SIZE 2344u
#define BSD_STATFS_VERSION 0x20140518u
#define BSD_MNT_LOCAL 0x1000ull
#define BSD_MNT_IGNORE 0x800000ull
/* getfsstat(2)/getmntinfo(3)'s array of struct statfs (len bytes). ZFS
 * datasets are folded into one entry per pool (see dec_fs.c). */
int bsd_fs_decode(const void *buf, size_t len, int be, struct port_fs *fs, int max, int *n);

/* ---- network ------------------------------------------------------------- */

/* struct if_data since FreeBSD 11 (sys/net/if.h): 64-bit counters on every
 * architecture, ifi_datalen says how much is filled. */
#define BSD_IFDATA_SIZE 152u
int bsd_ifdata_decode(const char *name, const void *data, size_t len, int be, struct port_if *out);

/* ---- processes ----------------------------------------------------------- */

#define BSD_P_SYSTEM 0x200 /* sys/sys/proc.h: kernel process */
/* kern.proc.proc: an array of struct kinfo_proc. Every record's
 * ki_structsize must be the layout's; a buffer that is not a whole number
 * of records is PORT_EPARSE before fn is called at all. ticks are stathz
 * ticks (the unit of kern.cp_time) from ki_runtime's microseconds. */
int bsd_kp_decode(const void *buf, size_t len, const struct bsd_abi *abi, uint64_t pagesize, unsigned stathz,
                  port_proc_fn fn, void *arg);
/* kern.proc.args.<pid> (argv, NUL-separated): argv[0]'s base name when it
 * starts with comm (the kernel's name, cut at 19 characters). */
int bsd_args_fullname(const void *args, size_t len, const char *comm, char *out, size_t cap);

/* ---- host ---------------------------------------------------------------- */

/* The strings of kern.hostname, kern.ostype, kern.osrelease and
 * hw.machine_arch (each buffer as sysctl returned it, NUL or not), and the
 * text of /etc/os-release or NULL. os is PRETTY_NAME when there is one,
 * else "<ostype> <osrelease>". */
struct bsd_host_raw {
	const char *hostname, *ostype, *osrelease, *arch;
	size_t hostname_len, ostype_len, osrelease_len, arch_len;
	const char *os_release;
};
int bsd_host_fill(const struct bsd_host_raw *r, struct port_host *h);

/* ---- the system calls ---------------------------------------------------
 * Each returns 0, or an errno value (ENOENT: no such name or index,
 * ENOMEM: buf too small). sys_freebsd.c has the real table. */
struct bsd_sys {
	const struct bsd_abi *abi;
	/* sysctlbyname(3): *len is buf's size in, the bytes written out. */
	int (*sysctl)(const char *name, void *buf, size_t *len);
	/* vm.swap_info.<index> (a node read by MIB with the index added). */
	int (*swap_info)(int index, void *buf, size_t *len);
	/* kern.proc.pid.<pid> (one struct kinfo_proc), kern.proc.args.<pid>. */
	int (*proc_one)(uint32_t pid, void *buf, size_t *len);
	int (*proc_args)(uint32_t pid, void *buf, size_t *len);
	/* getfsstat(2) MNT_NOWAIT into buf, local filesystems' counts then
	 * refreshed with statfs(2) (a network one is never asked: it could hang). */
	int (*mounts)(void *buf, size_t *len);
	/* getifaddrs(3): fn for each AF_LINK entry with its struct if_data. */
	int (*links)(void (*fn)(const char *name, const void *data, size_t len, void *arg), void *arg);
	/* The text of /etc/os-release into buf (NUL-terminated). */
	int (*os_release)(char *buf, size_t cap);
	/* reboot(2) as root, else shutdown(8). */
	int (*power)(enum port_power what, char *err, size_t errlen);
};
extern const struct bsd_sys bsd_sys_native;

#endif
