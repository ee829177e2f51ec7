/* proc.c — processes from /proc/<pid>/stat and their full names. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
		if (lx_field_u64(&p, &v) != PORT_OK)
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
