/* linux.c — port.h for Linux: start-up. The readers (cpu_mem.c,
 * disk.c, net.c, sensors.c, proc.c, host.c, gpu*.c) sit on the file helpers
 * of files.c and the kept files of kept.c, the clocks are in clock.c;
 * nothing allocates after port_init(). Sensor, cgroup and filesystem-type
 * facts are found once here, and the files each cycle reads are opened. */
#include "port/port.h"
#include "port/linux/linux.h"

#include <string.h>
#include <unistd.h>

/* ---- lifecycle --------------------------------------------------------- */

void lx_temp_find(void);
void lx_cgroup_find(void);
void lx_fstypes_read(void);

int port_init(const char *root)
{
	long ps;
	/* A second port_init (tests move between fixture trees) starts afresh:
	 * the last one's files closed, and a new generation of the mount table
	 * for collectors that kept the old one. */
	uint64_t gen = lx.mounts_gen;
	lx_files_close();
	memset(&lx, 0, sizeof(lx));
	lx.mounts_gen = gen + 1;
	if (root && *root) {
		size_t n = strlen(root);
		if (n >= sizeof(lx.root))
			return PORT_ENOSPC;
		memcpy(lx.root, root, n + 1);
		while (n > 1 && lx.root[n - 1] == '/')
			lx.root[--n] = '\0';
	}
	ps = sysconf(_SC_PAGESIZE);
	lx.page_size = ps > 0 ? (uint64_t)ps : 4096;
	lx_files_open();
	lx_temp_find();
	lx_cgroup_find();
	lx_fstypes_read();
	lx_gpu_init();
	return PORT_OK;
}

void port_fini(void)
{
	lx_gpu_fini();
	lx_files_close();
}

const char *port_root(void)
{
	return lx.root;
}

const char *port_name(void)
{
	return "linux";
}
