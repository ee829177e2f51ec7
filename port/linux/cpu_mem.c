/* cpu_mem.c — CPU ticks (/proc/stat), memory (/proc/meminfo and the
 * agent's memory cgroup, v1 or v2), uptime and load averages (proc(5)). */
#include "port/port.h"
#include "port/linux/linux.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- CPU --------------------------------------------------------------- */

static char statbuf[65536];

int port_cpu_read(struct port_cpu *c)
{
	const char *p, *line;
	uint64_t f[8];
	size_t len;
	unsigned ncpu = 0;
	int rc = lx_file_read(&lx.file[LX_F_STAT], statbuf, sizeof(statbuf), &len);
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
		if (lx_field_u64(&p, &f[i]) != PORT_OK)
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
			if (lx_field_u64(&q, &v) != PORT_OK)
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

/* The group's three files, kept open (kept.c); one that does not fit a
 * path stays "no such source" and the memory reading leaves the cgroup out. */
static void cgroup_open(int v1)
{
	static const char *const names[2][3] = {
		{"memory.max", "memory.current", "memory.stat"},
		{"memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat"},
	};
	char path[512];
	for (int i = 0; i < 3; i++)
		if (lx_path(path, sizeof(path), "%s/%s", lx.cg_path, names[v1][i]) == 0)
			lx_file_open(&lx.file[LX_F_CG_LIMIT + i], path);
}

void lx_cgroup_find(void)
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
			cgroup_open(v1);
			return;
		}
	}
}

static void read_cgroup(struct port_mem *m)
{
	char buf[8192];
	uint64_t lim, use, inact = 0;
	const char *key;
	int v1 = lx.cg_kind == 1;
	if (!lx.cg_kind)
		return;
	if (lx_file_u64(&lx.file[LX_F_CG_LIMIT], &lim) != PORT_OK)
		return;
	/* cgroup v1 writes "no limit" as a number past any host's memory: a
	 * limit not below MemTotal limits nothing, and usage and memory.stat
	 * (the kernel formats 40 lines of it) are not read for it. */
	if (m->total != PORT_NA && lim >= m->total)
		return;
	if (lx_file_u64(&lx.file[LX_F_CG_USAGE], &use) != PORT_OK)
		return;
	if (lx_file_read(&lx.file[LX_F_CG_STAT], buf, sizeof(buf), NULL) == PORT_OK) {
		key = v1 ? "total_inactive_file " : "inactive_file ";
		for (const char *p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			if (strncmp(p, key, strlen(key)) == 0) {
				const char *q = p + strlen(key);
				if (lx_field_u64(&q, &inact) != PORT_OK)
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
	int rc = lx_file_read(&lx.file[LX_F_MEMINFO], buf, sizeof(buf), NULL);
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

/* ---- uptime, load ------------------------------------------------------ */

int port_uptime(double *seconds)
{
	char buf[128];
	const char *p = buf;
	struct timespec ts;
	/* proc(5): /proc/uptime's first field is CLOCK_BOOTTIME (of the time
	 * namespace, as clock_gettime gives it), which the vDSO answers without
	 * a system call. Fixture trees have only the file. */
	if (!lx.root[0] && clock_gettime(CLOCK_BOOTTIME, &ts) == 0) {
		*seconds = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		return PORT_OK;
	}
	if (lx_file_read(&lx.file[LX_F_UPTIME], buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_field_decimal(&p, seconds);
}

int port_loadavg(double load[3])
{
	char buf[128];
	const char *p = buf;
	if (lx_file_read(&lx.file[LX_F_LOADAVG], buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	for (int i = 0; i < 3; i++)
		if (lx_field_decimal(&p, &load[i]) != PORT_OK)
			return PORT_EPARSE;
	return PORT_OK;
}
