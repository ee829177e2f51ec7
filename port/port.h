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
#define PORT_EIO       (-4) /* the OS call failed (its error number in *os_err) */
#define PORT_EAGAIN    (-5) /* would block: wait with port_wait() and retry */
#define PORT_ERESOLVE  (-6) /* host name or address did not resolve */

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
 * PORT_NA when there is none, or when it is not below total. */
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
 * is left out. Mount points are unescaped (\040 -> space). One pass, for
 * callers that ask now and then (the diagnostics report). */
int port_fs_list(struct port_fs *fs, int max, int *n);
/* The same in two halves for a caller that asks every cycle (issue 15):
 * port_fs_mounts keeps the caller's table fs[0..*n) of the mounts that can
 * be reported (Linux: those backed by a device; the others are never
 * stat'ed), reading it again only when it may have changed since the call
 * that left *gen (0 at first: read it). Linux learns of changes through
 * poll(2) on /proc/self/mounts (POLLPRI), so an unchanged table costs one
 * system call; ports without such a signal read it every call
 * (port/fs_whole.c). Usage fields may be stale until port_fs_usage.
 * PORT_OK, PORT_ENOSPC (more mounts than max: the first max kept), or an
 * error (*n counts what could be read). port_fs_usage fills one entry's total, used, avail:
 * PORT_OK, or an error when it cannot be stat'ed (leave it out). */
int port_fs_mounts(struct port_fs *fs, int max, int *n, uint64_t *gen);
int port_fs_usage(struct port_fs *f);

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
	char cpu_model[128]; /* "AMD Ryzen 7 5800X 8-Core Processor"; "" if unknown */
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

/* ---- Child processes (remote actions: diag, speedtest) ----------------
 * A fixed program found on PATH, started with argv as given (no shell; the
 * caller's argv never holds text from the network), stdin /dev/null, stdout
 * and stderr merged into one non-blocking pipe the caller reads, in a
 * process group of its own so that a kill reaches what it started. The
 * environment is inherited less the names in drop_env (NULL-terminated,
 * may be NULL): the agent's secret stays out of the child. */
struct port_child {
	long pid; /* 0: none */
	int fd;   /* the output pipe, -1: closed */
};
void port_child_init(struct port_child *c);
/* PORT_OK, PORT_ENOTAVAIL (argv[0] is not on PATH or not executable), or
 * PORT_EIO (*os_err). On failure nothing is left running. */
int port_child_start(struct port_child *c, const char *const argv[], const char *const drop_env[],
                     int *os_err);
/* PORT_OK when argv[0]'s program is on PATH and executable, else
 * PORT_ENOTAVAIL: the same search as port_child_start without starting
 * anything (a collector asks it before paying for a fork). */
int port_child_exists(const char *prog);
/* *n bytes of output (0: end of output, the pipe is then closed), or
 * PORT_EAGAIN (wait on c->fd readable) or PORT_EIO. */
int port_child_read(struct port_child *c, void *buf, size_t cap, size_t *n, int *os_err);
/* SIGKILL to the child's process group (Windows: terminate). */
void port_child_kill(struct port_child *c);
/* Collects the exit: PORT_OK with *code its exit status (a signal N: -N),
 * PORT_EAGAIN while it runs (block 0), PORT_EIO. Closes the pipe and makes
 * c none once the child is collected. block 1 waits (after a kill). */
int port_child_reap(struct port_child *c, int block, int *code, int *os_err);

/* ---- The link loop's OS calls: stop signal, waiting, sockets ----------
 * Used by the agent's loop and wire/conn.c (the server links these too).
 * A socket is an int >= 0; -1 is none. Calls that fail with PORT_EIO put the
 * OS's error number in *os_err (errno, or a Winsock code): only
 * port_strerror() reads it. */

/* SIGINT and SIGTERM (Windows: console Ctrl-C and close) only set the flag
 * that port_stop_requested() returns: the signal number, 0 while none came.
 * Writing to a socket the peer closed is an error, never a signal. */
void port_stop_install(void);
int port_stop_requested(void);

/* Waits until fd is ready for what events asks (PORT_WAIT_*) or timeout_ms
 * passes (0: just look). fd < 0 only sleeps. *ready gets the ready bits, 0
 * on timeout or when a signal cut the wait short (the caller then checks
 * port_stop_requested()). PORT_OK or PORT_EIO. */
#define PORT_WAIT_READ  1u
#define PORT_WAIT_WRITE 2u
int port_wait(int fd, unsigned events, unsigned timeout_ms, unsigned *ready, int *os_err);
/* The same over n descriptors at once (the link, child pipes, the stability
 * socket). An entry with fd < 0 is skipped; each entry's ready gets its
 * bits. At most PORT_WAITV_MAX entries (more: PORT_ENOSPC). */
#define PORT_WAITV_MAX 8
struct port_pollfd {
	int fd;
	unsigned events; /* PORT_WAIT_* asked */
	unsigned ready;  /* PORT_WAIT_* found */
};
int port_waitv(struct port_pollfd *p, unsigned n, unsigned timeout_ms, int *os_err);

/* A socket address with its port (IPv4 or IPv6), opaque to portable code. */
#define PORT_ADDR_MAX 128
struct port_addr {
	size_t len; /* 0 = none */
	union {
		unsigned char b[PORT_ADDR_MAX];
		uint64_t align;
	} u;
};
/* A numeric address ("192.0.2.7", "2001:db8::7") without the resolver,
 * which allocates. PORT_EPARSE when host is not numeric. */
int port_addr_parse(const char *host, unsigned port, struct port_addr *a);
/* Any host name through the system resolver (blocking; may allocate).
 * PORT_ERESOLVE with "cannot resolve <host>: <why>" in err. */
int port_addr_resolve(const char *host, unsigned port, struct port_addr *a, char *err, size_t errlen);

/* Starts a non-blocking TCP connect: PORT_OK (connected at once),
 * PORT_EAGAIN (in progress: wait writable, then port_sock_connected), or
 * PORT_EIO. *fd is the socket whenever it is >= 0 (close it in every case). */
int port_sock_connect(const struct port_addr *a, int *fd, int *os_err);
/* After PORT_EAGAIN from port_sock_connect: PORT_OK once connected, PORT_EAGAIN
 * while in progress, PORT_EIO when it failed (refused, unreachable...). */
int port_sock_connected(int fd, int *os_err);
/* A non-blocking listening TCP socket on host:port (host NULL or "": every
 * address, IPv6 dual-stack where the host has it), address reuse on.
 * PORT_ERESOLVE or PORT_EIO with the reason in err. */
int port_sock_listen(const char *host, unsigned port, int backlog, int *fd, char *err, size_t errlen);
/* One waiting connection, set up like port_sock_setup: PORT_OK, PORT_EAGAIN
 * (none waiting, or it was aborted before we took it), PORT_EIO. */
int port_sock_accept(int listen_fd, int *fd, int *os_err);
/* Non-blocking, close-on-exec, no Nagle delay, no SIGPIPE: for a socket
 * accepted elsewhere. PORT_OK or PORT_EIO. */
int port_sock_setup(int fd, int *os_err);
/* *n bytes moved (recv: 0 = the peer closed), or PORT_EAGAIN / PORT_EIO.
 * Interrupted calls are retried. */
int port_sock_recv(int fd, void *buf, size_t len, size_t *n, int *os_err);
int port_sock_send(int fd, const void *buf, size_t len, size_t *n, int *os_err);
/* Shuts the write side (FIN after what was sent). */
int port_sock_shutdown(int fd, int *os_err);
void port_sock_close(int fd);
/* Text for an os_err from the calls above ("Connection refused"). */
const char *port_strerror(int os_err, char *buf, size_t cap);

/* ---- Files that may hold secrets (SPEC §5: 0600 from the first byte) ----
 * A file is written into a temporary beside it, "<path>.tmp<pid>.<n>" (the
 * first n that is free), created exclusively and never through a symbolic
 * link, with its final mode before the first byte; port_file_commit syncs
 * it and renames it over path. The mode is path's own when path exists (a
 * rewrite keeps it), new_mode when it does not. PORT_FILE_NEW writes path
 * itself instead, exclusively: it fails when path exists. */
#define PORT_PATH_MAX 1024
#define PORT_FILE_NEW 1u
struct port_file {
	int fd; /* -1: none */
	unsigned flags;
	char path[PORT_PATH_MAX];
	char tmp[PORT_PATH_MAX + 32];
};
/* PORT_OK, PORT_ENOSPC (path too long), PORT_EIO (*os_err; EEXIST with
 * PORT_FILE_NEW when path exists). */
int port_file_begin(struct port_file *f, const char *path, unsigned new_mode, unsigned flags,
                    int *os_err);
int port_file_write(struct port_file *f, const void *data, size_t len, int *os_err);
/* Syncs, closes and puts the file in place; on failure the temporary is
 * removed and path is as it was. */
int port_file_commit(struct port_file *f, int *os_err);
/* Drops the file being written (safe after a failed begin or a commit). */
void port_file_abort(struct port_file *f);
/* Creates path empty with exactly mode when it does not exist (exclusive,
 * not through a symbolic link); an existing file is left as it is. Used
 * before a library creates the file with its own mode (SQLite: 0644).
 * PORT_OK with *created 1 or 0, or PORT_EIO. */
int port_file_create(const char *path, unsigned mode, int *created, int *os_err);

/* The numeric address of a connected socket's peer ("192.0.2.7",
 * "2001:db8::7"; an IPv4-mapped IPv6 address as IPv4), no port.
 * PORT_OK, PORT_ENOSPC, PORT_EIO. */
#define PORT_PEER_MAX 46
int port_sock_peer(int fd, char *buf, size_t cap, int *os_err);

/* ---- UDP (stability test) ------------------------------------------------
 * One unconnected, non-blocking, close-on-exec datagram socket of the
 * server address's family; the caller checks each reply's source with
 * port_addr_equal (a connected socket would filter in the kernel, but not on
 * every OS the same way). Closed with port_sock_close. */
int port_udp_open(const struct port_addr *to, int *fd, int *os_err);
/* The whole datagram to `to`: PORT_OK, PORT_EAGAIN (socket buffer full),
 * PORT_EIO (*os_err: unreachable, no buffer space...). */
int port_udp_send(int fd, const struct port_addr *to, const void *buf, size_t len, int *os_err);
/* One waiting datagram: *n bytes of it (a longer one is cut at cap) and its
 * source in *from. PORT_OK, PORT_EAGAIN (none waiting), PORT_EIO. */
int port_udp_recv(int fd, void *buf, size_t cap, size_t *n, struct port_addr *from, int *os_err);
/* 1 when a and b are the same family, address and port (an IPv4-mapped IPv6
 * address equals its IPv4 one), else 0. */
int port_addr_equal(const struct port_addr *a, const struct port_addr *b);
/* port_mono_ms's clock in microseconds, for round-trip times under 1 ms. */
uint64_t port_mono_us(void);

/* ---- Fleet sources (issue 16): what the agent's fleet collectors need of
 * the OS; the protocols (Docker's API, NUT, apcupsd, smartctl's JSON) are
 * portable code in agent-min/. Where the OS has none of this:
 * PORT_ENOTAVAIL, cheaply. */

/* Starts a non-blocking connect to a Unix stream socket (Docker, Podman):
 * PORT_OK, PORT_EAGAIN (wait writable, then port_sock_connected), or
 * PORT_ENOTAVAIL (no such socket, nobody listening, not allowed: the
 * source is absent); *fd is the socket whenever it is >= 0. */
int port_unix_connect(const char *path, int *fd, int *os_err);

/* Names in a directory (no allocation); fn returning non-zero stops. */
int port_dir_each(const char *path, int (*fn)(const char *name, void *arg), void *arg);
/* The first cap-1 bytes of a regular file, NUL-terminated: *n bytes and
 * *size the file's whole size (a longer file is cut, the caller decides).
 * PORT_ENOTAVAIL when it cannot be opened or is not a regular file. */
int port_file_head(const char *path, char *buf, size_t cap, size_t *n, uint64_t *size);

/* Drives whose health can be asked: NVMe controllers (nvme = 1: the
 * health log through port_nvme_health) and SATA/SAS disks (smartctl).
 * From <root>/sys/class/nvme and <root>/sys/block. */
struct port_drive {
	char name[32];  /* "nvme0", "sda" */
	char model[64]; /* "" if unknown */
	int nvme;
};
int port_drive_list(struct port_drive *d, int max, int *n);
/* The SMART / Health Information log page (NVMe 1.4 §5.14.1.2, log 02h,
 * 512 bytes, all namespaces) of controller name through the admin
 * command ioctl: PORT_OK, PORT_ENOTAVAIL (no device, not root), PORT_EIO. */
int port_nvme_health(const char *name, uint8_t page[512], int *os_err);

/* ---- The desktop and the service manager (Windows; elsewhere nothing) ----
 * port_main runs prog_main(argc, argv) and returns its exit code. On
 * Windows it first answers --install-service and --remove-service (the
 * agent as a service for hosts nobody logs into) and, started by the
 * service manager (--service), runs prog_main on the service's thread with
 * the service's stop as the stop flag. */
int port_main(int argc, char **argv, int (*prog_main)(int, char **));
/* A notification-area icon from a PNG file (a relative name is taken beside
 * the program), its menu: show/hide the console (also a double click) and
 * Exit, which sets the stop flag. PORT_OK when shown, PORT_ENOTAVAIL where
 * there is no such thing (other OSes, a service, no shell). */
int port_tray_start(const char *icon_png, const char *tip);
void port_tray_stop(void);
/* Tells the person at the desktop something that stops the program
 * (Windows: a message box, returning once dismissed; MONBOT_ALERT_FILE
 * names a file that gets "title\ntext\n" instead, for tests). Elsewhere
 * nothing: the caller has said it on stderr and in the log. */
void port_alert(const char *title, const char *text);

#endif
