/* gpu_none.c for boards without GPUs (BOARD_GPU=none: the router boards):
 * no nvidia-smi or amdgpu reader linked, and the sample has no GPU keys, as
 * on any host without a card. */
#include "port/linux/linux.h"

int lx_smi_find(void)
{
	return PORT_ENOTAVAIL;
}

int lx_smi_list(struct port_gpu *g, int max, int *n)
{
	(void)g;
	(void)max;
	(void)n;
	return PORT_ENOTAVAIL;
}

void lx_amd_find(void)
{
}

void lx_amd_close(void)
{
}

int lx_amd_list(struct port_gpu *g, int max, int *n)
{
	(void)g;
	(void)max;
	(void)n;
	return PORT_ENOTAVAIL;
}
