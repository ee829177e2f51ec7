/* nvml.c — NVIDIA GPUs through NVML (nvml.h). Only the C symbols below are
 * used; their signatures follow nvml.h (NVML API v2 entry points). */
#include "port/nvml/nvml.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef int nvml_ret;   /* nvmlReturn_t; 0 = NVML_SUCCESS */
typedef void *nvml_dev; /* nvmlDevice_t, an opaque pointer */
struct nvml_util { unsigned gpu, memory; };                  /* nvmlUtilization_t */
struct nvml_mem { unsigned long long total, free, used; }; /* nvmlMemory_t (v1) */
#define NVML_TEMPERATURE_GPU 0
#define NVML_MAX_GPUS 8

static struct {
	int open;
	nvml_ret (*init)(void);
	nvml_ret (*shutdown)(void);
	nvml_ret (*count)(unsigned *);
	nvml_ret (*handle)(unsigned, nvml_dev *);
	nvml_ret (*name)(nvml_dev, char *, unsigned);
	nvml_ret (*util)(nvml_dev, struct nvml_util *);
	nvml_ret (*mem)(nvml_dev, struct nvml_mem *);
	nvml_ret (*temp)(nvml_dev, int, unsigned *);
	nvml_ret (*power)(nvml_dev, unsigned *);
	unsigned n;
	nvml_dev dev[NVML_MAX_GPUS];
	char names[NVML_MAX_GPUS][96];
} nv;

/* An object pointer to the function pointer's type: the POSIX way, which
 * GetProcAddress's addresses take too. */
#define SYM(field, name)                                       \
	do {                                                   \
		*(void **)(&nv.field) = sym(lib, name);        \
	} while (0)

int nvml_open(void *lib, nvml_sym_fn sym)
{
	unsigned n = 0;

	memset(&nv, 0, sizeof(nv));
	SYM(init, "nvmlInit_v2");
	SYM(shutdown, "nvmlShutdown");
	SYM(count, "nvmlDeviceGetCount_v2");
	SYM(handle, "nvmlDeviceGetHandleByIndex_v2");
	SYM(name, "nvmlDeviceGetName");
	SYM(util, "nvmlDeviceGetUtilizationRates");
	SYM(mem, "nvmlDeviceGetMemoryInfo");
	SYM(temp, "nvmlDeviceGetTemperature");
	SYM(power, "nvmlDeviceGetPowerUsage");
	if (!nv.init || !nv.count || !nv.handle || !nv.mem || nv.init() != 0)
		goto fail;
	if (nv.count(&n) != 0 || n == 0)
		goto fail_shut;
	for (unsigned i = 0; i < n && nv.n < NVML_MAX_GPUS; i++) {
		nvml_dev d;
		if (nv.handle(i, &d) != 0)
			continue;
		nv.dev[nv.n] = d;
		if (!nv.name || nv.name(d, nv.names[nv.n], sizeof(nv.names[0])) != 0)
			snprintf(nv.names[nv.n], sizeof(nv.names[0]), "NVIDIA GPU %u", i);
		nv.names[nv.n][sizeof(nv.names[0]) - 1] = '\0';
		nv.n++;
	}
	if (nv.n == 0)
		goto fail_shut;
	nv.open = 1;
	return PORT_OK;
fail_shut:
	if (nv.shutdown)
		nv.shutdown();
fail:
	memset(&nv, 0, sizeof(nv));
	return PORT_ENOTAVAIL;
}

void nvml_close(void)
{
	if (!nv.open)
		return;
	if (nv.shutdown)
		nv.shutdown();
	memset(&nv, 0, sizeof(nv));
}

int nvml_is_open(void)
{
	return nv.open;
}

int nvml_list(struct port_gpu *g, int max, int *n)
{
	for (unsigned i = 0; i < nv.n && *n < max; i++) {
		struct port_gpu *o = &g[*n];
		struct nvml_util u;
		struct nvml_mem m;
		unsigned t, mw;
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", nv.names[i]);
		snprintf(o->vendor, sizeof(o->vendor), "nvidia");
		o->util = (nv.util && nv.util(nv.dev[i], &u) == 0 && u.gpu <= 100) ? u.gpu : NAN;
		if (nv.mem(nv.dev[i], &m) == 0 && m.used <= m.total) {
			o->vram_used = m.used >> 20;
			o->vram_total = m.total >> 20;
		} else {
			o->vram_used = o->vram_total = PORT_NA;
		}
		o->temp = (nv.temp && nv.temp(nv.dev[i], NVML_TEMPERATURE_GPU, &t) == 0) ? t : NAN;
		o->power_w = (nv.power && nv.power(nv.dev[i], &mw) == 0) ? mw / 1000.0 : NAN;
		(*n)++;
	}
	return PORT_OK;
}
