/* fleet.c — port.h's fleet sources on Linux: Unix stream sockets (Docker,
 * Podman), directory and file reads without stdio (textfile metrics), the
 * drives under /sys and the NVMe health log through the admin ioctl. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int port_unix_connect(const char *path, int *fd, int *os_err)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);
	int s;
	*fd = -1;
	*os_err = 0;
	if (n == 0 || n >= sizeof(sa.sun_path))
		return PORT_ENOTAVAIL;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	*fd = s;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return PORT_OK;
	*os_err = errno;
	if (errno == EINPROGRESS || errno == EAGAIN)
		return PORT_EAGAIN;
	/* ENOENT, ECONNREFUSED, EACCES: no engine here for us. */
	return PORT_ENOTAVAIL;
}

int port_dir_each(const char *path, int (*fn)(const char *name, void *arg), void *arg)
{
	return lx_dir_each(path, fn, arg);
}

int port_file_head(const char *path, char *buf, size_t cap, size_t *n, uint64_t *size)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	*n = 0;
	*size = 0;
	if (cap)
		buf[0] = '\0';
	if (fd < 0)
		return PORT_ENOTAVAIL;
	/* A FIFO or a device in the directory would block or never end. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return PORT_ENOTAVAIL;
	}
	while (got + 1 < cap) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*n = got;
	*size = (uint64_t)st.st_size > got ? (uint64_t)st.st_size : got;
	return PORT_OK;
}

/* linux/nvme_ioctl.h's admin command, written out: the boards' C library
 * comes without the kernel's headers. 72 bytes on every ABI. */
struct nvme_admin_cmd {
	uint8_t opcode, flags;
	uint16_t rsvd1;
	uint32_t nsid, cdw2, cdw3;
	uint64_t metadata, addr;
	uint32_t metadata_len, data_len;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
	uint32_t timeout_ms, result;
};
_Static_assert(sizeof(struct nvme_admin_cmd) == 72, "nvme_admin_cmd layout");
#define NVME_IOCTL_ADMIN_CMD _IOWR('N', 0x41, struct nvme_admin_cmd)

/* ---- drives ------------------------------------------------------------ */

struct drive_walk {
	struct port_drive *d;
	int max, *n, nvme;
};

static void trim_model(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n'))
		s[--n] = '\0';
}

static int drive_add(const char *name, void *arg)
{
	struct drive_walk *w = arg;
	char path[512];
	struct port_drive *o;
	size_t nl = strlen(name);
	if (*w->n >= w->max || nl >= sizeof(o->name))
		return *w->n >= w->max;
	/* nvme<N> controllers; sd<x> whole disks (not partitions: /sys/block
	 * lists only disks), no nvme namespaces there (the controller's log). */
	if (w->nvme ? strncmp(name, "nvme", 4) != 0 : strncmp(name, "sd", 2) != 0)
		return 0;
	for (size_t i = w->nvme ? 4 : 2; i < nl; i++)
		if (w->nvme ? (name[i] < '0' || name[i] > '9') : (name[i] < 'a' || name[i] > 'z'))
			return 0;
	o = &w->d[(*w->n)++];
	memset(o, 0, sizeof(*o));
	memcpy(o->name, name, nl + 1);
	o->nvme = w->nvme;
	if (lx_path(path, sizeof(path), w->nvme ? "/sys/class/nvme/%s/model" : "/sys/block/%s/device/model",
	            name) == 0 &&
	    lx_read_abs(path, o->model, sizeof(o->model), NULL) == PORT_OK)
		trim_model(o->model);
	return 0;
}

int port_drive_list(struct port_drive *d, int max, int *n)
{
	char path[512];
	struct drive_walk w = {d, max, n, 1};
	*n = 0;
	if (lx_path(path, sizeof(path), "/sys/class/nvme") == 0)
		lx_dir_each(path, drive_add, &w);
	w.nvme = 0;
	if (lx_path(path, sizeof(path), "/sys/block") == 0)
		lx_dir_each(path, drive_add, &w);
	return *n ? PORT_OK : PORT_ENOTAVAIL;
}

int port_nvme_health(const char *name, uint8_t page[512], int *os_err)
{
	struct nvme_admin_cmd cmd;
	char path[512];
	int fd, rc = PORT_OK;
	*os_err = 0;
	if (lx_path(path, sizeof(path), "/dev/%s", name) < 0)
		return PORT_ENOSPC;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*os_err = errno;
		return PORT_ENOTAVAIL;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = 0x02;        /* Get Log Page */
	cmd.nsid = 0xffffffffu;   /* the controller as a whole */
	cmd.addr = (uint64_t)(uintptr_t)page;
	cmd.data_len = 512;
	cmd.cdw10 = (127u << 16) | 0x02u; /* NUMDL: 128 dwords - 1; log 02h */
	if (ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd) < 0) {
		*os_err = errno;
		rc = errno == EACCES || errno == EPERM || errno == ENOTTY ? PORT_ENOTAVAIL : PORT_EIO;
	}
	close(fd);
	return rc;
}
