/* gpu_nvml.c — NVIDIA GPUs through nvml.dll, loaded at run time (the
 * driver puts it in System32; older drivers in NVSMI under Program Files),
 * so one .exe runs with and without the driver. Signatures follow nvml.h
 * (NVML API v2 entry points), as port/linux/gpu_nvml.c. */
#include <windows.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "port/windows/win.h"

typedef int nvml_ret;
typedef void *nvml_dev;
struct nvml_util { unsigned gpu, memory; };
struct nvml_mem { unsigned long long total, free, used; };
#define NVML_TEMPERATURE_GPU 0
#define NVML_MAX_GPUS 8

static struct {
	HMODULE lib;
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

/* GetProcAddress gives a FARPROC; the cast through a plain function
 * pointer type is the documented way to the real signature */
#define SYM(field, sym) (nv.field = (__typeof__(nv.field))(void (*)(void))GetProcAddress(nv.lib, sym))

int win_nvml_open(void)
{
	char path[MAX_PATH + 64];
	unsigned n = 0;
	DWORD l;
	memset(&nv, 0, sizeof(nv));
	nv.lib = LoadLibraryExA("nvml.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (!nv.lib) {
		l = GetEnvironmentVariableA("ProgramFiles", path, MAX_PATH);
		if (l > 0 && l < MAX_PATH) {
			snprintf(path + l, sizeof path - l, "\\NVIDIA Corporation\\NVSMI\\nvml.dll");
			nv.lib = LoadLibraryA(path);
		}
	}
	if (!nv.lib)
		return PORT_ENOTAVAIL;
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
	return PORT_OK;
fail_shut:
	if (nv.shutdown)
		nv.shutdown();
fail:
	FreeLibrary(nv.lib);
	memset(&nv, 0, sizeof(nv));
	return PORT_ENOTAVAIL;
}

int win_nvml_loaded(void)
{
	return nv.lib != NULL;
}

void win_nvml_close(void)
{
	if (!nv.lib)
		return;
	if (nv.shutdown)
		nv.shutdown();
	FreeLibrary(nv.lib);
	memset(&nv, 0, sizeof(nv));
}

int win_nvml_list(struct port_gpu *g, int max, int *n)
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
