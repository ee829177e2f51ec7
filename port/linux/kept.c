/* kept.c — the files a cycle reads, kept open from start-up and read with
 * pread(fd, ..., 0): one system call a file where open/read/read/close took
 * four (issue 15). Descriptors are close-on-exec; a failed read reopens the
 * file once, so a sysfs device that went away and came back is found
 * again. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

void lx_file_close(struct lx_file *f)
{
	if (f->open)
		close(f->fd);
	f->open = 0;
	f->fd = -1;
}

static int file_reopen(struct lx_file *f)
{
	int fd;
	lx_file_close(f);
	if (!f->path[0])
		return -1;
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	f->fd = fd;
	f->open = 1;
	return 0;
}

int lx_file_open(struct lx_file *f, const char *abs)
{
	size_t n = strlen(abs);
	lx_file_close(f);
	f->path[0] = '\0';
	if (n >= sizeof(f->path))
		return -1;
	memcpy(f->path, abs, n + 1);
	file_reopen(f);
	return 0;
}

/* One pass over the file from offset 0: PORT_OK, or PORT_EIO when a read
 * failed (the caller reopens). */
static int read_whole(struct lx_file *f, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;
	while (got + 1 < cap) {
		size_t want = cap - 1 - got;
		ssize_t r = pread(f->fd, buf + got, want, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return PORT_EIO;
		got += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	buf[got] = '\0';
	*len = got;
	return PORT_OK;
}

int lx_file_read(struct lx_file *f, char *buf, size_t cap, size_t *len)
{
	size_t got = 0;
	int rc = PORT_ENOTAVAIL;
	for (int attempt = 0; attempt < 2 && rc != PORT_OK; attempt++) {
		if ((attempt > 0 || !f->open) && file_reopen(f) < 0)
			return PORT_ENOTAVAIL;
		rc = read_whole(f, buf, cap, &got);
	}
	if (rc != PORT_OK) {
		lx_file_close(f);
		return rc;
	}
	if (len)
		*len = got;
	return PORT_OK;
}

/* lx_each_line over a kept file (files.c says how lines are cut). */
static int lines_pass(struct lx_file *f, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg,
                      int *stopped)
{
	size_t have = 0;
	off_t off = 0;
	int skipping = 0;
	for (;;) {
		ssize_t r = pread(f->fd, buf + have, cap - 1 - have, off);
		char *line, *nl;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return off == 0 ? PORT_EIO : PORT_OK; /* mid-file: what was read stands */
		if (r == 0)
			break;
		off += r;
		have += (size_t)r;
		buf[have] = '\0';
		line = buf;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) != NULL) {
			*nl = '\0';
			if (!skipping && fn(line, arg)) {
				*stopped = 1;
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
	return PORT_OK; /* a last line without '\n' was cut: dropped */
}

int lx_file_lines(struct lx_file *f, char *buf, size_t cap, int (*fn)(char *line, void *arg), void *arg)
{
	int rc = PORT_ENOTAVAIL, stopped = 0;
	for (int attempt = 0; attempt < 2 && rc != PORT_OK; attempt++) {
		if ((attempt > 0 || !f->open) && file_reopen(f) < 0)
			return PORT_ENOTAVAIL;
		rc = lines_pass(f, buf, cap, fn, arg, &stopped);
	}
	if (rc != PORT_OK)
		lx_file_close(f);
	return rc;
}

int lx_file_u64(struct lx_file *f, uint64_t *out)
{
	char buf[64];
	if (lx_file_read(f, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_parse_u64(buf, out);
}

int lx_file_i64(struct lx_file *f, int64_t *out)
{
	char buf[64];
	if (lx_file_read(f, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_parse_i64(buf, out);
}

void lx_files_open(void)
{
	static const struct {
		int id;
		const char *rel;
	} fixed[] = {
		{LX_F_STAT, "/proc/stat"},       {LX_F_MEMINFO, "/proc/meminfo"},
		{LX_F_UPTIME, "/proc/uptime"},   {LX_F_LOADAVG, "/proc/loadavg"},
		{LX_F_NETDEV, "/proc/net/dev"}, {LX_F_MOUNTS, "/proc/self/mounts"},
	};
	char path[512];
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (lx_path(path, sizeof(path), "%s", fixed[i].rel) == 0)
			lx_file_open(&lx.file[fixed[i].id], path);
}

void lx_files_close(void)
{
	for (int i = 0; i < LX_F_COUNT; i++) {
		lx_file_close(&lx.file[i]);
		lx.file[i].path[0] = '\0';
	}
}
