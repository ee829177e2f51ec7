/* gpu.c — which GPU back-ends are in use: NVML, else nvidia-smi; AMD from
 * sysfs in every build. Chosen once at start-up. */
#include "port/linux/linux.h"

#include <stdlib.h>

static enum { NV_NONE, NV_NVML, NV_SMI } nv_backend;
static const char *const nv_names[] = {"none", "nvml", "nvidia-smi"};

void lx_gpu_init(void)
{
	const char *off = getenv("MONBOT_NO_NVML"); /* force the fallback (tests) */
	nv_backend = NV_NONE;
	if (!(off && *off == '1') && lx_nvml_open() == PORT_OK)
		nv_backend = NV_NVML;
	else if (lx_smi_find() == PORT_OK)
		nv_backend = NV_SMI;
	lx_amd_find();
}

void lx_gpu_fini(void)
{
	lx_nvml_close();
	lx_amd_close();
	nv_backend = NV_NONE;
}

const char *port_gpu_backend(void)
{
	return nv_names[nv_backend];
}

int port_gpu_list(struct port_gpu *g, int max, int *n)
{
	*n = 0;
	if (nv_backend == NV_NVML)
		lx_nvml_list(g, max, n);
	else if (nv_backend == NV_SMI)
		lx_smi_list(g, max, n);
	lx_amd_list(g, max, n);
	return *n ? PORT_OK : PORT_ENOTAVAIL;
}
