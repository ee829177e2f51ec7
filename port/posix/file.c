/* file.c — port.h's secret-safe file writing over POSIX: exclusive creation
 * with the final mode (O_EXCL|O_NOFOLLOW, fchmod past the umask), fsync,
 * rename. Shared by the Linux and BSD ports. */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0 /* O_EXCL alone refuses a symbolic link (POSIX open(2)) */
#endif

#define EXCL_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/* An exclusive create with exactly mode: the umask may have taken bits away,
 * and the file is still empty when fchmod sets them. */
static int create_excl(const char *path, mode_t mode, int *fd, int *os_err)
{
	*fd = open(path, EXCL_FLAGS, mode);
	if (*fd < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	if (fchmod(*fd, mode) != 0) {
		*os_err = errno;
		close(*fd);
		unlink(path);
		*fd = -1;
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_file_begin(struct port_file *f, const char *path, unsigned new_mode, unsigned flags,
                    int *os_err)
{
	struct stat st;
	mode_t mode = (mode_t)(new_mode & 07777);
	size_t len = strlen(path);

	f->fd = -1;
	f->flags = flags;
	f->tmp[0] = '\0';
	if (len >= sizeof f->path)
		return PORT_ENOSPC;
	memcpy(f->path, path, len + 1);
	if (flags & PORT_FILE_NEW)
		return create_excl(path, mode, &f->fd, os_err);
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	for (unsigned n = 0; n < 100; n++) {
		snprintf(f->tmp, sizeof f->tmp, "%s.tmp%ld.%u", path, (long)getpid(), n);
		if (create_excl(f->tmp, mode, &f->fd, os_err) == PORT_OK)
			return PORT_OK;
		if (*os_err != EEXIST)
			break;
	}
	f->tmp[0] = '\0';
	return PORT_EIO;
}

int port_file_write(struct port_file *f, const void *data, size_t len, int *os_err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(f->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*os_err = n < 0 ? errno : EIO;
			return PORT_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return PORT_OK;
}

int port_file_commit(struct port_file *f, int *os_err)
{
	int rc = PORT_OK;

	if (f->fd < 0) {
		*os_err = EBADF;
		return PORT_EIO;
	}
	if (fsync(f->fd) != 0) {
		*os_err = errno;
		rc = PORT_EIO;
	}
	if (close(f->fd) != 0 && rc == PORT_OK) {
		*os_err = errno;
		rc = PORT_EIO;
	}
	f->fd = -1;
	if (rc == PORT_OK && !(f->flags & PORT_FILE_NEW) && rename(f->tmp, f->path) != 0) {
		*os_err = errno;
		rc = PORT_EIO;
	}
	if (rc != PORT_OK && (f->flags & PORT_FILE_NEW))
		unlink(f->path);
	if (f->tmp[0] && rc != PORT_OK)
		unlink(f->tmp);
	f->tmp[0] = '\0';
	return rc;
}

void port_file_abort(struct port_file *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
		/* a new file that was not completed is not left half written */
		if (f->flags & PORT_FILE_NEW)
			unlink(f->path);
	}
	if (f->tmp[0]) {
		unlink(f->tmp);
		f->tmp[0] = '\0';
	}
}

int port_file_create(const char *path, unsigned mode, int *created, int *os_err)
{
	int fd;

	*created = 0;
	if (create_excl(path, (mode_t)(mode & 07777), &fd, os_err) != PORT_OK)
		return *os_err == EEXIST ? PORT_OK : PORT_EIO;
	*created = 1;
	if (close(fd) != 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	return PORT_OK;
}
