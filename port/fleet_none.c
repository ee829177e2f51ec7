/* fleet_none.c — port.h's fleet sources (issue 16) on the ports that have
 * none yet (bsd, windows, unsupported): every call answers PORT_ENOTAVAIL
 * at once. */
#include "port/port.h"
int port_unix_connect(const char *path, int *fd, int *os_err) { (void)path; *fd = -1; *os_err = 0; return PORT_ENOTAVAIL; }
int port_dir_each(const char *path, int (*fn)(const char *, void *), void *arg) { (void)path; (void)fn; (void)arg; return PORT_ENOTAVAIL; }
int port_file_head(const char *path, char *buf, size_t cap, size_t *n, uint64_t *size)
{
	(void)path;
	if (cap)
		buf[0] = '\0';
	*n = 0;
	*size = 0;
	return PORT_ENOTAVAIL;
}
int port_drive_list(struct port_drive *d, int max, int *n) { (void)d; (void)max; *n = 0; return PORT_ENOTAVAIL; }
int port_nvme_health(const char *name, uint8_t page[512], int *os_err) { (void)name; (void)page; *os_err = 0; return PORT_ENOTAVAIL; }
