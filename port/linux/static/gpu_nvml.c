/* gpu_nvml.c for STATIC=1 builds: no dlopen (it does not work in a static
 * musl binary and is fragile in a static glibc one, SPEC §1), so NVIDIA
 * cards are read through nvidia-smi. */
#include "port/linux/linux.h"

int lx_nvml_open(void)
{
	return PORT_ENOTAVAIL;
}

void lx_nvml_close(void)
{
}

int lx_nvml_list(struct port_gpu *g, int max, int *n)
{
	(void)g;
	(void)max;
	(void)n;
	return PORT_ENOTAVAIL;
}
