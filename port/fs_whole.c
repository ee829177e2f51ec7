/* fs_whole.c — port_fs_mounts and port_fs_usage for the ports whose OS
 * gives the mount table and every mount's usage in one call (FreeBSD's
 * getfsstat, Windows' drive list, the stub): the whole list each call,
 * usage included, as port_fs_list reads it; there is no change signal to
 * wait for. port.h states the contract. */
#include "port/port.h"

int port_fs_mounts(struct port_fs *fs, int max, int *n, uint64_t *gen)
{
	int rc = port_fs_list(fs, max, n);
	*gen = rc == PORT_OK ? *gen + 1 : 0; /* never "unchanged" */
	return rc;
}

/* port_fs_mounts left usage in each entry: a mount it could not stat is
 * not in the table. */
int port_fs_usage(struct port_fs *f)
{
	(void)f;
	return PORT_OK;
}
