/* file.c — port.h's secret-safe file writing on Windows: an exclusive
 * create (CREATE_NEW never follows a reparse point it did not make),
 * FlushFileBuffers, MoveFileEx over the old file. The CRT descriptor of the
 * handle is port_file's fd. Mode bits do not exist here: a file in the
 * user's profile inherits its ACL (the owner, SYSTEM, Administrators), the
 * protection 0600 gives on POSIX. */
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

#include "port/port.h"

static int create_excl(const char *path, int *fd, int *os_err)
{
	HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		DWORD e = GetLastError();
		*os_err = (e == ERROR_FILE_EXISTS || e == ERROR_ALREADY_EXISTS) ? EEXIST : (int)e;
		*fd = -1;
		return PORT_EIO;
	}
	*fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
	if (*fd < 0) {
		*os_err = errno;
		CloseHandle(h);
		DeleteFileA(path);
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_file_begin(struct port_file *f, const char *path, unsigned new_mode, unsigned flags, int *os_err)
{
	size_t len = strlen(path);
	(void)new_mode;
	f->fd = -1;
	f->flags = flags;
	f->tmp[0] = '\0';
	if (len >= sizeof f->path)
		return PORT_ENOSPC;
	memcpy(f->path, path, len + 1);
	if (flags & PORT_FILE_NEW)
		return create_excl(path, &f->fd, os_err);
	for (unsigned n = 0; n < 100; n++) {
		snprintf(f->tmp, sizeof f->tmp, "%s.tmp%lu.%u", path, (unsigned long)GetCurrentProcessId(), n);
		if (create_excl(f->tmp, &f->fd, os_err) == PORT_OK)
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
		int n = _write(f->fd, p, len > 0x40000000u ? 0x40000000u : (unsigned)len);
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
	if (!FlushFileBuffers((HANDLE)_get_osfhandle(f->fd))) {
		*os_err = (int)GetLastError();
		rc = PORT_EIO;
	}
	if (_close(f->fd) != 0 && rc == PORT_OK) {
		*os_err = errno;
		rc = PORT_EIO;
	}
	f->fd = -1;
	if (rc == PORT_OK && !(f->flags & PORT_FILE_NEW) &&
	    !MoveFileExA(f->tmp, f->path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		*os_err = (int)GetLastError();
		rc = PORT_EIO;
	}
	if (rc != PORT_OK && (f->flags & PORT_FILE_NEW))
		DeleteFileA(f->path);
	if (f->tmp[0] && rc != PORT_OK)
		DeleteFileA(f->tmp);
	f->tmp[0] = '\0';
	return rc;
}

void port_file_abort(struct port_file *f)
{
	if (f->fd >= 0) {
		_close(f->fd);
		f->fd = -1;
		if (f->flags & PORT_FILE_NEW)
			DeleteFileA(f->path);
	}
	if (f->tmp[0]) {
		DeleteFileA(f->tmp);
		f->tmp[0] = '\0';
	}
}

int port_file_create(const char *path, unsigned mode, int *created, int *os_err)
{
	int fd;
	(void)mode;
	*created = 0;
	if (create_excl(path, &fd, os_err) != PORT_OK)
		return *os_err == EEXIST ? PORT_OK : PORT_EIO;
	*created = 1;
	if (_close(fd) != 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	return PORT_OK;
}
