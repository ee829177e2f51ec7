/* files.c — the Linux port's state and file helpers, under a root prefix
 * (MONBOT_ROOT, for fixture trees): files are read with open/read into the
 * caller's buffers (stdio and opendir allocate), directories with
 * getdents64, numbers with checked field readers. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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

/* A signed decimal integer (sysfs millidegrees may be negative). */
int lx_parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	const char *p = s;
	int neg = 0;
	while (*p == ' ')
		p++;
	if (*p == '-')
		neg = 1, p++;
	if (lx_parse_u64(p, &v) != PORT_OK || v > INT64_MAX)
		return PORT_EPARSE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return PORT_OK;
}

int lx_read_i64(const char *abs, int64_t *out)
{
	char buf[64];
	if (lx_read_abs(abs, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_parse_i64(buf, out);
}

int lx_read_u64(const char *abs, uint64_t *out)
{
	char buf[64];
	if (lx_read_abs(abs, buf, sizeof(buf), NULL) != PORT_OK)
		return PORT_ENOTAVAIL;
	return lx_parse_u64(buf, out);
}

/* Reads the next whitespace-separated unsigned field; *p advances. */
int lx_field_u64(const char **p, uint64_t *out)
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
int lx_field_decimal(const char **p, double *out)
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
