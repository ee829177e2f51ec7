/* linux.c — port.h for Linux: /proc and /sys under a root prefix
 * (MONBOT_ROOT, for fixture trees). Nothing here allocates after
 * port_init(): files are read with open/read into static buffers (stdio and
 * opendir allocate), directories with getdents64. Paths of sensors are found
 * once at start-up. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct lx lx;

/* ---- file helpers ------------------------------------------------------ */

int lx_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(out, cap, "%s", lx.root);
	int m;
	if (n < 0 || (size_t)n >= cap)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(out + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return -1;
	return 0;
}

/* Reads a whole file (up to cap-1 bytes) and NUL-terminates it. */
int lx_read_abs(const char *path, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PORT_ENOTAVAIL;
	while (got + 1 < cap) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return PORT_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	if (len)
		*len = got;
	return PORT_OK;
}

int lx_read(const char *rel, char *buf, size_t cap, size_t *len)
{
	char path[512];
	if (lx_path(path, sizeof(path), "%s", rel) < 0)
		return PORT_ENOSPC;
	return lx_read_abs(path, buf, cap, len);
}

/* Calls fn for every complete line of a file of any length, reading it in
 * buf-sized chunks (/proc/self/mounts on a Docker host passes 100 KiB). A
 * line longer than the buffer is skipped; fn returning non-zero stops. */
int lx_each_line(const char *rel, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg)
{
	char path[512];
	size_t have = 0;
	int fd, skipping = 0;
	if (lx_path(path, sizeof(path), "%s", rel) < 0)
		return PORT_ENOSPC;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PORT_ENOTAVAIL;
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - 1 - have);
		char *line, *nl;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		buf[have] = '\0';
		line = buf;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) != NULL) {
			*nl = '\0';
			if (!skipping && fn(line, arg)) {
				close(fd);
				return PORT_OK;
			}
			skipping = 0;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == cap - 1) { /* a line longer than the buffer */
			have = 0;
			skipping = 1;
		}
	}
	close(fd);
	return PORT_OK; /* a last line without '\n' was cut: dropped */
}

/* Whole-string unsigned decimal, trailing white space allowed. */
int lx_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return PORT_EPARSE;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PORT_EPARSE;
		v = v * 10 + d;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p)
		return PORT_EPARSE;
	*out = v;
	return PORT_OK;
}

/* A signed decimal integer file (sysfs millidegrees may be negative). */
int lx_read_i64(const char *abs, int64_t *out)
{
	char buf[64];
	uint64_t v;
	const char *p = buf;
	int neg = 0;
	if (lx_read_abs(abs, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	while (*p == ' ')
		p++;
	if (*p == '-')
		neg = 1, p++;
	if (lx_parse_u64(p, &v) != PORT_OK || v > INT64_MAX)
		return PORT_EPARSE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return PORT_OK;
}

int lx_read_u64(const char *abs, uint64_t *out)
{
	char buf[64];
	if (lx_read_abs(abs, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_parse_u64(buf, out);
}

/* Reads the next whitespace-separated unsigned field; *p advances. */
static int field_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return PORT_EPARSE;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PORT_EPARSE;
		v = v * 10 + d;
	}
	if (*s && *s != ' ' && *s != '\t' && *s != '\n')
		return PORT_EPARSE;
	*p = s;
	*out = v;
	return PORT_OK;
}

/* Seconds as "12345.67" (uptime, loadavg): integer and up to 9 decimals. */
static int field_decimal(const char **p, double *out)
{
	uint64_t ip = 0, fp = 0;
	double scale = 1;
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (!isdigit((unsigned char)*s))
		return PORT_EPARSE;
	for (; isdigit((unsigned char)*s); s++) {
		if (ip > UINT64_MAX / 10 - 10)
			return PORT_EPARSE;
		ip = ip * 10 + (unsigned)(*s - '0');
	}
	if (*s == '.') {
		s++;
		for (int i = 0; isdigit((unsigned char)*s); s++, i++) {
			if (i < 9) {
				fp = fp * 10 + (unsigned)(*s - '0');
				scale *= 10;
			}
		}
	}
	if (*s && *s != ' ' && *s != '\n' && *s != '\t')
		return PORT_EPARSE;
	*p = s;
	*out = (double)ip + (double)fp / scale;
	return PORT_OK;
}

/* Directory entries without opendir() (which allocates). */
struct lx_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int lx_dir_each(const char *abs, int (*fn)(const char *name, void *arg), void *arg)
{
	/* On the stack: callers nest (drm cards, then each card's hwmon). */
	char dbuf[4096] __attribute__((aligned(8)));
	int fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return PORT_ENOTAVAIL;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, dbuf, sizeof(dbuf));
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct lx_dirent64 *d = (struct lx_dirent64 *)(dbuf + off);
			off += d->d_reclen;
			if (d->d_name[0] == '.' &&
			    (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0')))
				continue;
			if (fn(d->d_name, arg)) {
				close(fd);
				return PORT_OK;
			}
		}
	}
	close(fd);
	return PORT_OK;
}

/* ---- lifecycle --------------------------------------------------------- */

static void find_temp_sources(void);
static void find_cgroup(void);
static void read_nodev_fstypes(void);

int port_init(const char *root)
{
	long ps;
	memset(&lx, 0, sizeof(lx));
	if (root && *root) {
		size_t n = strlen(root);
		if (n >= sizeof(lx.root))
			return PORT_ENOSPC;
		memcpy(lx.root, root, n + 1);
		while (n > 1 && lx.root[n - 1] == '/')
			lx.root[--n] = '\0';
	}
	ps = sysconf(_SC_PAGESIZE);
	lx.page_size = ps > 0 ? (uint64_t)ps : 4096;
	find_temp_sources();
	find_cgroup();
	read_nodev_fstypes();
	lx_gpu_init();
	return PORT_OK;
}

void port_fini(void)
{
	lx_gpu_fini();
}

const char *port_root(void)
{
	return lx.root;
}

const char *port_name(void)
{
	return "linux";
}

uint64_t port_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t port_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void port_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- CPU --------------------------------------------------------------- */

static char statbuf[65536];

int port_cpu_read(struct port_cpu *c)
{
	const char *p, *line;
	uint64_t f[8];
	size_t len;
	unsigned ncpu = 0;
	int rc = lx_read("/proc/stat", statbuf, sizeof(statbuf), &len);
	if (rc)
		return rc;
	/* proc(5): "cpu  user nice system idle iowait irq softirq steal guest
	 * guest_nice"; guest time is already counted in user and nice. */
	if (strncmp(statbuf, "cpu ", 4) != 0)
		return PORT_EPARSE;
	p = statbuf + 4;
	for (int i = 0; i < 8; i++) {
		if (i >= 4 && (*p == '\n' || *p == '\0')) {
			f[i] = 0; /* very old kernels stop after idle */
			continue;
		}
		if (field_u64(&p, &f[i]) != PORT_OK)
			return PORT_EPARSE;
	}
	if (!strchr(p, '\n'))
		return PORT_EPARSE; /* truncated first line */
	c->total = 0;
	for (int i = 0; i < 8; i++)
		c->total += f[i];
	c->idle = f[3] + f[4];
	for (line = strchr(statbuf, '\n'); line; line = strchr(line + 1, '\n')) {
		if (strncmp(line + 1, "cpu", 3) != 0)
			break;
		if (isdigit((unsigned char)line[4]) && strchr(line + 1, '\n'))
			ncpu++;
	}
	c->ncpu = ncpu;
	return PORT_OK;
}

/* ---- memory ------------------------------------------------------------ */

static int meminfo_get(const char *buf, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	const char *p = buf;
	while ((p = strstr(p, key)) != NULL) {
		if ((p == buf || p[-1] == '\n') && p[kl] == ':') {
			uint64_t v;
			const char *q = p + kl + 1;
			if (field_u64(&q, &v) != PORT_OK)
				return PORT_EPARSE;
			while (*q == ' ')
				q++;
			if (strncmp(q, "kB\n", 3) != 0 && strncmp(q, "kB", 2) != 0)
				return PORT_EPARSE;
			if (v > UINT64_MAX / 1024)
				return PORT_EPARSE;
			*out = v * 1024;
			return PORT_OK;
		}
		p += kl;
	}
	return PORT_ENOTAVAIL;
}

static void find_cgroup(void)
{
	char buf[4096], path[512];
	uint64_t v;
	const char *p;
	lx.cg_kind = 0;
	if (lx_read("/proc/self/cgroup", buf, sizeof(buf), NULL) != PORT_OK)
		return;
	/* cgroup v1 "N:memory:/path" or v2 "0::/path" (cgroups(7)). Inside a
	 * container the mount usually shows the container's group at its root,
	 * so try the group's path first and the mount's root second. */
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *c1 = strchr(p, ':'), *c2, *eol;
		size_t pl;
		if (!c1)
			break;
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			break;
		eol = strchr(c2, '\n');
		pl = eol ? (size_t)(eol - c2 - 1) : strlen(c2 + 1);
		if (pl >= sizeof(lx.cg_path))
			continue;
		int v1 = (size_t)(c2 - c1 - 1) == 6 && strncmp(c1 + 1, "memory", 6) == 0;
		int v2 = c2 == c1 + 1 && strncmp(p, "0:", 2) == 0;
		if (!v1 && !v2)
			continue;
		const char *base = v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
		const char *limf = v1 ? "memory.limit_in_bytes" : "memory.max";
		char grp[256];
		memcpy(grp, c2 + 1, pl);
		grp[pl] = '\0';
		for (int attempt = 0; attempt < 2; attempt++) {
			const char *g = attempt == 0 ? grp : "";
			if (attempt == 0 && strcmp(grp, "/") == 0)
				continue;
			if (lx_path(path, sizeof(path), "%s%s/%s", base, g, limf) < 0)
				continue;
			if (lx_read_u64(path, &v) != PORT_OK)
				continue; /* "max" or missing: no limit here */
			lx.cg_kind = v1 ? 1 : 2;
			snprintf(lx.cg_path, sizeof(lx.cg_path), "%s%s", base, g);
			return;
		}
	}
}

static void read_cgroup(struct port_mem *m)
{
	char path[512], buf[8192];
	uint64_t lim, use, inact = 0;
	const char *key;
	int v1 = lx.cg_kind == 1;
	if (!lx.cg_kind)
		return;
	if (lx_path(path, sizeof(path), "%s/%s", lx.cg_path, v1 ? "memory.limit_in_bytes" : "memory.max") < 0 ||
	    lx_read_u64(path, &lim) != PORT_OK)
		return;
	if (lx_path(path, sizeof(path), "%s/%s", lx.cg_path, v1 ? "memory.usage_in_bytes" : "memory.current") < 0 ||
	    lx_read_u64(path, &use) != PORT_OK)
		return;
	if (lx_path(path, sizeof(path), "%s/memory.stat", lx.cg_path) == 0 &&
	    lx_read_abs(path, buf, sizeof(buf), NULL) == PORT_OK) {
		key = v1 ? "total_inactive_file " : "inactive_file ";
		for (const char *p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, key, strlen(key)) == 0) {
				const char *q = p + strlen(key);
				if (field_u64(&q, &inact) != PORT_OK)
					inact = 0;
				break;
			}
		}
	}
	m->cg_limit = lim;
	m->cg_usage = use;
	m->cg_inactive_file = inact;
}

int port_mem_read(struct port_mem *m)
{
	static char buf[8192];
	int rc = lx_read("/proc/meminfo", buf, sizeof(buf), NULL);
	m->total = m->avail = m->swap_total = m->swap_free = PORT_NA;
	m->cg_limit = m->cg_usage = m->cg_inactive_file = PORT_NA;
	if (rc)
		return rc;
	if (meminfo_get(buf, "MemTotal", &m->total) != PORT_OK)
		m->total = PORT_NA;
	if (meminfo_get(buf, "MemAvailable", &m->avail) != PORT_OK) {
		/* Before Linux 3.14: free + buffers + cached approximates it. */
		uint64_t fr, bu, ca;
		if (meminfo_get(buf, "MemFree", &fr) == PORT_OK &&
		    meminfo_get(buf, "Buffers", &bu) == PORT_OK &&
		    meminfo_get(buf, "Cached", &ca) == PORT_OK)
			m->avail = fr + bu + ca;
		else
			m->avail = PORT_NA;
	}
	if (meminfo_get(buf, "SwapTotal", &m->swap_total) != PORT_OK ||
	    meminfo_get(buf, "SwapFree", &m->swap_free) != PORT_OK)
		m->swap_total = m->swap_free = PORT_NA;
	read_cgroup(m);
	return m->total == PORT_NA ? PORT_EPARSE : PORT_OK;
}

/* ---- filesystems ------------------------------------------------------- */

static void read_nodev_fstypes(void)
{
	char buf[4096];
	char *p, *nl;
	lx.n_devfs = 0;
	lx.have_fslist = 0;
	if (lx_read("/proc/filesystems", buf, sizeof(buf), NULL) != PORT_OK)
		return;
	lx.have_fslist = 1;
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		/* "nodev\tproc" or "\text4" */
		if (p[0] == '\t' && lx.n_devfs < LX_MAX_DEVFS && strlen(p + 1) < sizeof(lx.devfs[0]))
			strcpy(lx.devfs[lx.n_devfs++], p + 1);
	}
}

/* psutil's disk_partitions(all=False), which the original used: only the
 * filesystem types /proc/filesystems lists without "nodev" (so not proc,
 * nfs, or fuse.sshfs, which it does not list at all), and zfs. Without the
 * list every type passes and the other rules decide. */
static int is_physical(const char *fstype)
{
	if (!lx.have_fslist || strcmp(fstype, "zfs") == 0)
		return 1;
	for (int i = 0; i < lx.n_devfs; i++)
		if (strcmp(lx.devfs[i], fstype) == 0)
			return 1;
	return 0;
}

/* Copies one space-separated field of /proc/mounts, undoing the octal
 * escapes the kernel writes for space, tab, newline and backslash. */
static int mount_field(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;
	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return PORT_EPARSE;
	while (*s && *s != ' ' && *s != '\n') {
		char c = *s++;
		if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7') {
			c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
			s += 3;
		}
		if (n + 1 >= cap)
			return PORT_ENOSPC;
		out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return PORT_OK;
}

/* With a root prefix (fixture trees) statvfs answers come from the file
 * <root>/statvfs: "<mount> <frsize> <blocks> <bfree> <bavail>" per line,
 * the mount escaped as in /proc/mounts. */
static int fixture_statvfs(const char *mount, uint64_t *frsize, uint64_t *blocks,
                           uint64_t *bfree, uint64_t *bavail)
{
	static char buf[16384];
	char m[256];
	const char *p;
	if (lx_read("/statvfs", buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	for (p = buf; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		const char *q = p;
		if (mount_field(&q, m, sizeof(m)) != PORT_OK || strcmp(m, mount) != 0)
			continue;
		if (field_u64(&q, frsize) || field_u64(&q, blocks) || field_u64(&q, bfree) ||
		    field_u64(&q, bavail))
			return PORT_EPARSE;
		return PORT_OK;
	}
	return PORT_ENOTAVAIL;
}

struct fs_walk {
	struct port_fs *fs;
	int max, n, full;
};

static int mount_line(char *line, void *arg)
{
	struct fs_walk *w = arg;
	struct port_fs *f;
	uint64_t frsize, blocks, bfree, bavail;
	const char *q = line;
	int rc;
	if (w->n >= w->max) {
		w->full = 1;
		return 1;
	}
	f = &w->fs[w->n];
	if (mount_field(&q, f->dev, sizeof(f->dev)) != PORT_OK ||
	    mount_field(&q, f->mount, sizeof(f->mount)) != PORT_OK ||
	    mount_field(&q, f->fstype, sizeof(f->fstype)) != PORT_OK)
		return 0;
	f->physical = is_physical(f->fstype);
	if (lx.root[0]) {
		rc = fixture_statvfs(f->mount, &frsize, &blocks, &bfree, &bavail);
	} else {
		struct statvfs st;
		rc = PORT_EIO;
		/* Only real filesystems are asked: statvfs on a dead network
		 * mount would hang the agent. */
		if (f->physical && statvfs(f->mount, &st) == 0) {
			rc = PORT_OK;
			frsize = st.f_frsize ? st.f_frsize : st.f_bsize;
			blocks = st.f_blocks, bfree = st.f_bfree, bavail = st.f_bavail;
		}
	}
	if (rc == PORT_OK && bfree <= blocks && frsize > 0 && blocks <= UINT64_MAX / frsize) {
		f->total = blocks * frsize;
		f->used = (blocks - bfree) * frsize;
		f->avail = bavail * frsize;
		w->n++;
	}
	return 0;
}

int port_fs_list(struct port_fs *fs, int max, int *n)
{
	static char buf[16384];
	struct fs_walk w = {fs, max, 0, 0};
	int rc = lx_each_line("/proc/self/mounts", buf, sizeof(buf), mount_line, &w);
	*n = w.n;
	if (rc)
		return rc;
	return w.full ? PORT_ENOSPC : PORT_OK;
}

/* ---- network ----------------------------------------------------------- */

struct if_walk {
	struct port_if *ifs;
	int max, n, line, full;
};

/* proc(5): two header lines, then "  name: rx_bytes rx_packets ... (8 rx
 * fields) tx_bytes ...". Names are at most 15 characters. */
static int if_line(char *line, void *arg)
{
	struct if_walk *w = arg;
	const char *s = line, *colon, *q;
	uint64_t f[9];
	size_t nl;
	if (w->line++ < 2)
		return 0;
	while (*s == ' ')
		s++;
	colon = strchr(s, ':');
	if (!colon || (nl = (size_t)(colon - s)) == 0 || nl >= sizeof(w->ifs[0].name))
		return 0;
	q = colon + 1;
	for (int i = 0; i < 9; i++)
		if (field_u64(&q, &f[i]) != PORT_OK)
			return 0;
	if (w->n >= w->max) {
		w->full = 1;
		return 1;
	}
	memcpy(w->ifs[w->n].name, s, nl);
	w->ifs[w->n].name[nl] = '\0';
	w->ifs[w->n].rx = f[0];
	w->ifs[w->n].tx = f[8];
	w->n++;
	return 0;
}

int port_if_list(struct port_if *ifs, int max, int *n)
{
	static char buf[8192];
	struct if_walk w = {ifs, max, 0, 0, 0};
	int rc = lx_each_line("/proc/net/dev", buf, sizeof(buf), if_line, &w);
	*n = w.n;
	if (rc)
		return rc;
	return w.full ? PORT_ENOSPC : PORT_OK;
}

/* ---- uptime, load ------------------------------------------------------ */

int port_uptime(double *seconds)
{
	char buf[128];
	const char *p = buf;
	if (lx_read("/proc/uptime", buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return field_decimal(&p, seconds);
}

int port_loadavg(double load[3])
{
	char buf[128];
	const char *p = buf;
	if (lx_read("/proc/loadavg", buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	for (int i = 0; i < 3; i++)
		if (field_decimal(&p, &load[i]) != PORT_OK)
			return PORT_EPARSE;
	return PORT_OK;
}

/* ---- temperature ------------------------------------------------------- */

struct hwmon_scan {
	int best_rank;
};

static const char *const temp_chips[] = {"coretemp", "k10temp", "cpu_thermal"};

/* The lowest-numbered tempN_input of a hwmon directory (psutil's first). */
static int lowest_temp_input(const char *dir, char *out, size_t cap)
{
	for (int i = 1; i <= 32; i++) {
		if (snprintf(out, cap, "%s/temp%d_input", dir, i) >= (int)cap)
			return -1;
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

static int hwmon_cb(const char *name, void *arg)
{
	char dir[512], path[600], chip[64];
	(void)arg;
	if (strncmp(name, "hwmon", 5) != 0)
		return 0;
	if (lx_path(dir, sizeof(dir), "/sys/class/hwmon/%s", name) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/name", dir);
	if (lx_read_abs(path, chip, sizeof(chip), NULL) != PORT_OK)
		return 0;
	chip[strcspn(chip, "\n")] = '\0';
	for (int r = 0; r < 3; r++) {
		if (strcmp(chip, temp_chips[r]) != 0 || lx.temp_src[r][0])
			continue;
		if (lowest_temp_input(dir, path, sizeof(path)) == 0 && strlen(path) < sizeof(lx.temp_src[r]))
			strcpy(lx.temp_src[r], path);
	}
	return 0;
}

/* Thermal zones after the named chips: the first zone whose type names the
 * CPU or package, else the first zone at all. */
static int zone_cb(const char *name, void *arg)
{
	char path[512], type[64];
	int *best = arg;
	int rank;
	if (strncmp(name, "thermal_zone", 12) != 0)
		return 0;
	if (lx_path(path, sizeof(path), "/sys/class/thermal/%s/type", name) < 0 ||
	    lx_read_abs(path, type, sizeof(type), NULL) != PORT_OK)
		return 0;
	rank = (strstr(type, "cpu") || strstr(type, "x86_pkg") || strstr(type, "soc")) ? 0 : 1;
	/* Among equals, the lower zone number (directory order is not sorted). */
	if (rank < *best || (rank == *best && strcmp(name, lx.zone_name) < 0)) {
		if (lx_path(path, sizeof(path), "/sys/class/thermal/%s/temp", name) < 0 ||
		    strlen(path) >= sizeof(lx.temp_src[3]))
			return 0;
		*best = rank;
		snprintf(lx.zone_name, sizeof(lx.zone_name), "%s", name);
		strcpy(lx.temp_src[3], path);
	}
	return 0;
}

static void find_temp_sources(void)
{
	char dir[512];
	int best = 99;
	for (int i = 0; i < LX_TEMP_SOURCES; i++)
		lx.temp_src[i][0] = '\0';
	lx.zone_name[0] = '\0';
	if (lx_path(dir, sizeof(dir), "/sys/class/hwmon") == 0)
		lx_dir_each(dir, hwmon_cb, NULL);
	if (lx_path(dir, sizeof(dir), "/sys/class/thermal") == 0)
		lx_dir_each(dir, zone_cb, &best);
}

int port_cpu_temp(double *celsius)
{
	int rc = PORT_ENOTAVAIL;
	for (int i = 0; i < LX_TEMP_SOURCES; i++) {
		int64_t milli;
		if (!lx.temp_src[i][0])
			continue;
		/* A sensor answering garbage or an impossible value is skipped for
		 * the next source in the order. */
		if (lx_read_i64(lx.temp_src[i], &milli) != PORT_OK || milli < -60000 || milli > 200000) {
			rc = PORT_EPARSE;
			continue;
		}
		*celsius = (double)milli / 1000.0;
		return PORT_OK;
	}
	return rc;
}

/* ---- processes --------------------------------------------------------- */

struct scan {
	port_proc_fn fn;
	void *arg;
};

/* proc(5) /proc/<pid>/stat: "pid (comm) state ppid ..." where comm may hold
 * spaces and parentheses, so the fields start after the LAST ')'. Fields
 * counted from 1: 14 utime, 15 stime, 22 starttime, 24 rss (pages). */
int lx_parse_pid_stat(const char *buf, struct port_proc *pp, uint64_t page_size)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	uint64_t v, utime = 0, stime = 0, start = 0, rss = 0;
	size_t nl;
	if (!open || !close || close < open)
		return PORT_EPARSE;
	nl = (size_t)(close - open - 1);
	if (nl >= sizeof(pp->name))
		nl = sizeof(pp->name) - 1;
	memcpy(pp->name, open + 1, nl);
	pp->name[nl] = '\0';
	p = close + 1;
	while (*p == ' ')
		p++;
	if (!*p || *p == ' ')
		return PORT_EPARSE;
	p++; /* state (field 3) */
	for (int field = 4; field <= 24; field++) {
		/* Some fields are signed (tty, tpgid, priority, nice...): their
		 * '-' is skipped. The ones read here are counts: a '-' is garbage. */
		int wanted = field == 14 || field == 15 || field == 22 || field == 24;
		while (*p == ' ')
			p++;
		if (*p == '-') {
			if (wanted)
				return PORT_EPARSE;
			p++;
		}
		if (field_u64(&p, &v) != PORT_OK)
			return PORT_EPARSE;
		if (field == 14)
			utime = v;
		else if (field == 15)
			stime = v;
		else if (field == 22)
			start = v;
		else if (field == 24)
			rss = v;
	}
	pp->ticks = utime + stime;
	pp->start = start;
	pp->rss = rss * page_size;
	return PORT_OK;
}

static int proc_cb(const char *name, void *arg)
{
	struct scan *sc = arg;
	char buf[1024], path[512];
	struct port_proc pp;
	uint64_t pid;
	if (!isdigit((unsigned char)name[0]) || lx_parse_u64(name, &pid) != PORT_OK || pid > UINT32_MAX)
		return 0;
	if (lx_path(path, sizeof(path), "/proc/%s/stat", name) < 0)
		return 0;
	/* The process may have exited since readdir: skip it. */
	if (lx_read_abs(path, buf, sizeof(buf), NULL) != PORT_OK)
		return 0;
	if (lx_parse_pid_stat(buf, &pp, lx.page_size) != PORT_OK)
		return 0;
	pp.pid = (uint32_t)pid;
	sc->fn(&pp, sc->arg);
	return 0;
}

int port_proc_scan(port_proc_fn fn, void *arg)
{
	char dir[512];
	struct scan sc = {fn, arg};
	if (lx_path(dir, sizeof(dir), "/proc") < 0)
		return PORT_ENOSPC;
	return lx_dir_each(dir, proc_cb, &sc);
}

int port_proc_fullname(uint32_t pid, char *out, size_t cap)
{
	char path[512], buf[512], comm[64];
	size_t len;
	const char *base;
	if (lx_path(path, sizeof(path), "/proc/%u/comm", pid) < 0 ||
	    lx_read_abs(path, comm, sizeof(comm), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	comm[strcspn(comm, "\n")] = '\0';
	if (lx_path(path, sizeof(path), "/proc/%u/cmdline", pid) < 0 ||
	    lx_read_abs(path, buf, sizeof(buf), &len) != PORT_OK || len == 0)
		return PORT_ENOTAVAIL;
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (strncmp(base, comm, strlen(comm)) != 0 || strlen(base) >= cap)
		return PORT_ENOTAVAIL;
	strcpy(out, base);
	return PORT_OK;
}

/* ---- host identity ----------------------------------------------------- */

/* Copies at most cap-1 bytes (names from the kernel may be longer). */
static void copy_cut(char *out, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(out, src, n);
	out[n] = '\0';
}

static void read_line(const char *rel, char *out, size_t cap)
{
	char buf[256];
	if (lx_read(rel, buf, sizeof(buf), NULL) == PORT_OK) {
		buf[strcspn(buf, "\n")] = '\0';
		copy_cut(out, cap, buf);
	}
}

int port_host_read(struct port_host *h)
{
	static char buf[4096];
	struct utsname u;
	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0) {
		copy_cut(h->hostname, sizeof(h->hostname), u.nodename);
		copy_cut(h->kernel, sizeof(h->kernel), u.release);
		copy_cut(h->arch, sizeof(h->arch), u.machine);
	}
	if (lx.root[0]) {
		read_line("/proc/sys/kernel/hostname", h->hostname, sizeof(h->hostname));
		read_line("/proc/sys/kernel/osrelease", h->kernel, sizeof(h->kernel));
		read_line("/proc/sys/kernel/arch", h->arch, sizeof(h->arch));
	}
	snprintf(h->os, sizeof(h->os), "Linux");
	/* os-release(5): PRETTY_NAME="..." */
	if (lx_read("/etc/os-release", buf, sizeof(buf), NULL) == PORT_OK ||
	    lx_read("/usr/lib/os-release", buf, sizeof(buf), NULL) == PORT_OK) {
		const char *p = strstr(buf, "PRETTY_NAME=");
		if (p && (p == buf || p[-1] == '\n')) {
			size_t n;
			p += 12;
			if (*p == '"' || *p == '\'')
				p++;
			n = strcspn(p, "\"'\n");
			if (n > 0 && n < sizeof(h->os)) {
				memcpy(h->os, p, n);
				h->os[n] = '\0';
			}
		}
	}
	return PORT_OK;
}

/* ---- power ------------------------------------------------------------- */

int port_power(enum port_power what, char *err, size_t errlen)
{
	pid_t pid;
	int status;
	sync();
	if (geteuid() == 0 && !lx.root[0]) {
		if (reboot(what == PORT_POWER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF) == 0)
			return PORT_OK;
	}
	/* Not root (or reboot(2) refused): the shutdown command. */
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return PORT_EIO;
	}
	if (pid == 0) {
		execlp("shutdown", "shutdown", what == PORT_POWER_REBOOT ? "-r" : "-h", "now", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return PORT_OK;
	snprintf(err, errlen, "shutdown %s failed (exit %d)", what == PORT_POWER_REBOOT ? "-r" : "-h",
	         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return PORT_EIO;
}
