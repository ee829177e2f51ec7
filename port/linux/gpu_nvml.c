/* gpu_nvml.c — NVIDIA GPUs through libnvidia-ml.so.1, opened at run time
 * with dlopen so one binary runs with and without the driver; the NVML
 * calls are port/nvml/nvml.c's. */
#include "port/linux/linux.h"

#include <dlfcn.h>

#include "port/nvml/nvml.h"

static void *lib;

static void *dl_sym(void *l, const char *name)
{
	return dlsym(l, name);
}

int lx_nvml_open(void)
{
	lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return PORT_ENOTAVAIL;
	if (nvml_open(lib, dl_sym) != PORT_OK) {
		dlclose(lib);
		lib = NULL;
		return PORT_ENOTAVAIL;
	}
	return PORT_OK;
}

void lx_nvml_close(void)
{
	if (!lib)
		return;
	nvml_close();
	dlclose(lib);
	lib = NULL;
}

int lx_nvml_list(struct port_gpu *g, int max, int *n)
{
	return nvml_list(g, max, n);
}
