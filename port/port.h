/* port.h — the one interface between portable code and the operating system.
 * Ports return raw counters (ticks, bytes, pages turned into bytes); deltas,
 * percentages and the original agent's filtering rules live in agent-min/.
 * Every function returns PORT_OK or a negative PORT_E* code; a value the host
 * does not have is PORT_NA (or the PORT_HAS_* bit is clear), never garbage. */
#ifndef MONBOT_PORT_H
#define MONBOT_PORT_H

#include <stddef.h>
#include <stdint.h>

#define PORT_OK         0
#define PORT_ENOTAVAIL (-1) /* not on this OS or this host */
#define PORT_EPARSE    (-2) /* source present but garbled or truncated */
#define PORT_ENOSPC    (-3) /* caller's buffer or array too small */
#define PORT_EIO       (-4) /* the OS call failed (errno kept by caller) */

#define PORT_NA UINT64_MAX

/* Start-up: root is a prefix for every /proc, /sys and /etc path (MONBOT_ROOT,
 * used by tests with fixture trees); NULL or "" means the real system. Opens
 * GPU libraries. May allocate; nothing after it does. */
int port_init(const char *root);
void port_fini(void);
const char *port_root(void);
const char *port_name(void); /* "linux", "freebsd", "windows", "unsupported" */

/* Clocks. */
uint64_t port_mono_ms(void);   /* monotonic milliseconds */
int64_t port_wall_ms(void);    /* unix time in milliseconds */
void port_sleep_ms(unsigned ms);

/* CPU: ticks summed over all CPUs since boot (any unit, the same for both). */
struct port_cpu {
	uint64_t total;
	uint64_t idle; /* idle + iowait */
	unsigned ncpu; /* online logical CPUs; 0 if unknown */
};
int port_cpu_read(struct port_cpu *c);

/* Memory in bytes. avail is what can be had without swapping (MemAvailable).
 * cg_* describe a memory limit of the cgroup the agent runs in (containers):
 * PORT_NA when there is none. */
struct port_mem {
	uint64_t total, avail;
	uint64_t swap_total, swap_free;
	uint64_t cg_limit, cg_usage, cg_inactive_file;
};
int port_mem_read(struct port_mem *m);

/* Mounted filesystems with usage in bytes (statvfs: total = blocks, used =
 * blocks - bfree, avail = what an unprivileged user may still write). */
struct port_fs {
	char mount[256];
	char dev[128];
	char fstype[32];
	int physical; /* backed by a device (psutil's all=False), not proc/nfs/... */
	uint64_t total, used, avail;
};
/* Fills up to max entries; *n is the count. A mount that cannot be stat'ed
 * is left out. Mount points are unescaped (\040 -> space). */
int port_fs_list(struct port_fs *fs, int max, int *n);

/* Network interfaces: cumulative byte counters. */
struct port_if {
	char name[32];
	uint64_t rx, tx;
};
int port_if_list(struct port_if *ifs, int max, int *n);

/* Seconds since boot; load averages. */
int port_uptime(double *seconds);
int port_loadavg(double load[3]);

/* CPU temperature in degrees Celsius (SPEC §4 order: coretemp, k10temp,
 * cpu_thermal, then thermal zones). */
int port_cpu_temp(double *celsius);

/* Processes. port_proc_scan calls fn for every process it can read; a
 * process that exits mid-read is skipped. ticks is user+system CPU time in
 * the same unit as struct port_cpu (so percentages need no clock rate),
 * start identifies the process incarnation (pid reuse). */
struct port_proc {
	uint32_t pid;
	uint64_t start;
	uint64_t ticks;
	uint64_t rss; /* bytes */
	char name[32];
};
typedef void (*port_proc_fn)(const struct port_proc *p, void *arg);
int port_proc_scan(port_proc_fn fn, void *arg);
/* Full program name of pid when the kernel's name was cut at 15 characters
 * (argv[0]'s base name if it starts with the short name). */
int port_proc_fullname(uint32_t pid, char *buf, size_t cap);

/* Host identity. */
struct port_host {
	char hostname[128];
	char os[128];     /* "Debian GNU/Linux 12 (bookworm)" */
	char kernel[128]; /* "6.1.0-18-amd64" */
	char arch[32];    /* "x86_64" */
};
int port_host_read(struct port_host *h);

/* GPUs: NVIDIA through NVML opened at run time (nvidia-smi as fallback),
 * AMD through amdgpu sysfs. Fields unknown for a card are PORT_NA or NAN. */
struct port_gpu {
	char name[96];
	char vendor[8];  /* "nvidia", "amd" */
	double util;     /* percent, NAN if unknown */
	uint64_t vram_used, vram_total; /* MiB */
	double temp;     /* Celsius, NAN */
	double power_w;  /* watts, NAN */
};
int port_gpu_list(struct port_gpu *g, int max, int *n);
/* Which NVIDIA back-end is in use: "nvml", "nvidia-smi" or "none". */
const char *port_gpu_backend(void);

/* Power actions (reboot(2) as root, else the shutdown command). */
enum port_power { PORT_POWER_REBOOT, PORT_POWER_SHUTDOWN };
int port_power(enum port_power what, char *err, size_t errlen);

#endif
