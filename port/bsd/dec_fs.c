/* dec_fs.c — getfsstat(2)/getmntinfo(3)'s struct statfs array into
 * port_fs entries: which FreeBSD filesystems are "physical" (the original's
 * psutil rule, all=False) and ZFS folded to one entry per pool. */
#include "port/bsd/bsd.h"

#include <string.h>

/* struct statfs (sys/sys/mount.h, FreeBSD 12 to 15): byte offsets. */
#define SF_VERSION 0
#define SF_FLAGS 8
#define SF_BSIZE 16
#define SF_BLOCKS 32
#define SF_BFREE 40
#define SF_BAVAIL 48 /* int64_t: negative when root's reserve is in use */
#define SF_FSTYPENAME 280
#define SF_MFSNAMELEN 16
#define SF_MNTFROMNAME 296
#define SF_MNTONNAME 1320
#define SF_MNAMELEN 1024

/* Filesystems that keep files on a local device. Not: devfs, procfs,
 * fdescfs, linprocfs, linsysfs, tmpfs, nullfs and unionfs (views of other
 * mounts, as Linux's bind and overlay), nfs, smbfs, fusefs (sshfs and
 * friends), autofs. */
static const char *const physical_types[] = {"ufs", "zfs", "msdosfs", "ext2fs", "cd9660", "udf"};

static int is_physical(const char *type, const char *from, uint64_t flags)
{
	if (!(flags & BSD_MNT_LOCAL))
		return 0;
	/* md(4) memory disks hold /tmp and /var on pfSense and OPNsense: RAM,
	 * like Linux's tmpfs (or a file, like /dev/loop). */
	if (strncmp(from, "/dev/md", 7) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(physical_types) / sizeof(physical_types[0]); i++)
		if (strcmp(type, physical_types[i]) == 0)
			return 1;
	return 0;
}

/* A NUL-terminated string of a fixed-size field into out; 0 when it fits. */
static int field_str(const unsigned char *p, size_t field, char *out, size_t cap)
{
	const unsigned char *nul = memchr(p, '\0', field);
	size_t n;
	if (!nul || (n = (size_t)(nul - p)) >= cap)
		return -1;
	memcpy(out, p, n + 1);
	return 0;
}

/* ZFS: each dataset's statfs has blocks = what the dataset references +
 * what the pool has free, bfree = bavail = free. One line per pool: used is
 * the sum over its mounted datasets (each counts only what it references,
 * so nothing twice), avail the largest (a quota shrinks a dataset's own),
 * the mount point the shortest (as df shows the pool's root). Datasets not
 * mounted and snapshots are not counted; mounted snapshots are left out. */
static int zfs_fold(struct port_fs *fs, int n, const struct port_fs *f)
{
	for (int i = 0; i < n; i++) {
		struct port_fs *o = &fs[i];
		if (strcmp(o->fstype, "zfs") != 0 || strcmp(o->dev, f->dev) != 0)
			continue;
		o->used += f->used;
		if (f->avail > o->avail)
			o->avail = f->avail;
		o->total = o->used + o->avail;
		if (strlen(f->mount) < strlen(o->mount))
			memcpy(o->mount, f->mount, sizeof(o->mount));
		return 1;
	}
	return 0;
}

/* One record into f; 1 when it is to be listed, 0 when left out. */
static int record(const unsigned char *p, int be, struct port_fs *f)
{
	uint64_t flags = bsd_rd64(p + SF_FLAGS, be), bsize = bsd_rd64(p + SF_BSIZE, be);
	uint64_t blocks = bsd_rd64(p + SF_BLOCKS, be), bfree = bsd_rd64(p + SF_BFREE, be);
	int64_t bavail = (int64_t)bsd_rd64(p + SF_BAVAIL, be);
	char from[SF_MNAMELEN];
	if (flags & BSD_MNT_IGNORE) /* mount -o ignore: df(1) hides it */
		return 0;
	if (field_str(p + SF_FSTYPENAME, SF_MFSNAMELEN, f->fstype, sizeof(f->fstype)) ||
	    field_str(p + SF_MNTFROMNAME, SF_MNAMELEN, from, sizeof(from)) ||
	    field_str(p + SF_MNTONNAME, SF_MNAMELEN, f->mount, sizeof(f->mount)))
		return 0;
	if (strcmp(f->fstype, "zfs") == 0) {
		size_t pool = strcspn(from, "/@");
		if (strchr(from, '@') || pool == 0 || pool >= sizeof(f->dev))
			return 0;
		memcpy(f->dev, from, pool);
		f->dev[pool] = '\0';
	} else if (strlen(from) >= sizeof(f->dev)) {
		return 0;
	} else {
		memcpy(f->dev, from, strlen(from) + 1);
	}
	f->physical = is_physical(f->fstype, from, flags);
	if (bsize == 0 || bfree > blocks || blocks > UINT64_MAX / bsize)
		return 0;
	f->total = blocks * bsize;
	f->used = (blocks - bfree) * bsize;
	f->avail = bavail > 0 ? (uint64_t)bavail * bsize : 0;
	if (f->avail > f->total)
		f->avail = f->total;
	return 1;
}

int bsd_fs_decode(const void *buf, size_t len, int be, struct port_fs *fs, int max, int *n)
{
	const unsigned char *b = buf;
	size_t count = len / BSD_STATFS_SIZE;
	int k = 0, full = 0;
	*n = 0;
	if (len % BSD_STATFS_SIZE != 0)
		return PORT_EPARSE;
	for (size_t i = 0; i < count; i++)
		if (bsd_rd32(b + i * BSD_STATFS_SIZE + SF_VERSION, be) != BSD_STATFS_VERSION)
			return PORT_EPARSE; /* another layout (FreeBSD 11's), not ours */
	for (size_t i = 0; i < count; i++) {
		struct port_fs f;
		memset(&f, 0, sizeof(f));
		if (!record(b + i * BSD_STATFS_SIZE, be, &f))
			continue;
		if (strcmp(f.fstype, "zfs") == 0 && zfs_fold(fs, k, &f))
			continue;
		if (k >= max) {
			full = 1;
			continue;
		}
		fs[k++] = f;
	}
	*n = k;
	return full ? PORT_ENOSPC : PORT_OK;
}
