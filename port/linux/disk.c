/* disk.c — mounted filesystems (/proc/self/mounts, kept open and read
 * again only when poll says it changed) and their usage (statvfs, or a
 * fixture file under MONBOT_ROOT). */
#include "port/port.h"
#include "port/linux/linux.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/* ---- filesystems ------------------------------------------------------- */

void lx_fstypes_read(void)
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
		if (lx_field_u64(&q, frsize) || lx_field_u64(&q, blocks) || lx_field_u64(&q, bfree) ||
		    lx_field_u64(&q, bavail))
			return PORT_EPARSE;
		return PORT_OK;
	}
	return PORT_ENOTAVAIL;
}

int port_fs_usage(struct port_fs *f)
{
	uint64_t frsize, blocks, bfree, bavail;
	int rc;
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
	if (rc != PORT_OK)
		return rc;
	if (bfree > blocks || frsize == 0 || blocks > UINT64_MAX / frsize)
		return PORT_EPARSE;
	f->total = blocks * frsize;
	f->used = (blocks - bfree) * frsize;
	f->avail = bavail * frsize;
	return PORT_OK;
}

struct fs_walk {
	struct port_fs *fs;
	int max, n, full;
	int usage; /* 1: port_fs_list (stat each, keep what answers); 0: port_fs_mounts */
};

static int mount_line(char *line, void *arg)
{
	struct fs_walk *w = arg;
	struct port_fs *f;
	const char *q = line;
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
	if (w->usage ? port_fs_usage(f) == PORT_OK : f->physical) {
		if (!w->usage)
			f->total = f->used = f->avail = 0;
		w->n++;
	}
	return 0;
}

static int mounts_walk(struct fs_walk *w)
{
	static char buf[16384];
	int rc = lx_file_lines(&lx.file[LX_F_MOUNTS], buf, sizeof(buf), mount_line, w);
	if (rc)
		return rc;
	return w->full ? PORT_ENOSPC : PORT_OK;
}

int port_fs_list(struct port_fs *fs, int max, int *n)
{
	struct fs_walk w = {fs, max, 0, 0, 1};
	int rc = mounts_walk(&w);
	*n = w.n;
	return rc;
}

/* proc(5): /proc/self/mounts polls POLLPRI (and POLLERR) once after each
 * change of the mount namespace. A fixture file cannot say: read it every
 * time. */
static int mounts_changed(void)
{
	struct lx_file *f = &lx.file[LX_F_MOUNTS];
	struct pollfd p;
	if (lx.root[0] || !f->open)
		return 1;
	p.fd = f->fd;
	p.events = POLLPRI;
	p.revents = 0;
	if (poll(&p, 1, 0) < 0)
		return 1;
	return (p.revents & (POLLPRI | POLLERR | POLLNVAL)) != 0;
}

int port_fs_mounts(struct port_fs *fs, int max, int *n, uint64_t *gen)
{
	struct fs_walk w = {fs, max, 0, 0, 0};
	int rc;
	if (mounts_changed())
		lx.mounts_gen++;
	if (*gen == lx.mounts_gen)
		return PORT_OK;
	rc = mounts_walk(&w);
	*n = w.n;
	/* A table that could not be read is tried again next call. */
	*gen = rc == PORT_OK || rc == PORT_ENOSPC ? lx.mounts_gen : 0;
	return rc;
}
