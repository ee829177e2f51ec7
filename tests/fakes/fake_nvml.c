/* fake_nvml.c — a stand-in libnvidia-ml.so.1 for the GPU tests: the C
 * symbols the agent looks up with dlsym, with the signatures of nvml.h, and
 * fixed answers for two GPUs. FAKE_NVML (read at nvmlInit_v2) picks a
 * scenario; built with -DFAKE_NVML_MINIMAL it exports only what the agent
 * cannot do without, with -DFAKE_NVML_NOMEM also without the memory call.
 * Not part of the agent; never linked into it. */
#include <stdlib.h>
#include <string.h>

/* nvml.h: nvmlReturn_t codes, nvmlUtilization_t, nvmlMemory_t (v1, bytes),
 * NVML_TEMPERATURE_GPU = 0, power in milliwatts. */
typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlUtilization_st {
	unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct nvmlMemory_st {
	unsigned long long total, free, used;
} nvmlMemory_t;
typedef enum nvmlTemperatureSensors_enum { NVML_TEMPERATURE_GPU = 0 } nvmlTemperatureSensors_t;

#define MIB (1024ull * 1024ull)
#define FAKE_MAX 12

struct fake_gpu {
	const char *name;
	unsigned util;
	unsigned long long total, used; /* bytes */
	unsigned temp;
	unsigned power_mw;
};

/* GPU 1's used memory is not a whole MiB: the agent's MiB are whole MiB
 * rounded down, as nvidia-smi prints them. */
static const struct fake_gpu two[2] = {
	{"NVIDIA GeForce RTX 4090", 37, 24564 * MIB, 8190 * MIB, 61, 215500},
	{"NVIDIA RTX A2000", 5, 6138 * MIB, 1234 * MIB + 700 * 1024, 44, 22345},
};

enum mode { M_TWO, M_INIT_FAIL, M_ZERO, M_NA, M_MEMFAIL, M_MANY, M_LONGNAME, M_BADVALS, M_ONE };

struct nvmlDevice_st {
	unsigned index;
};

static struct {
	int inited;
	enum mode mode;
	struct nvmlDevice_st dev[FAKE_MAX];
} fake;

static unsigned count_for(enum mode m)
{
	switch (m) {
	case M_ZERO:
		return 0;
	case M_MANY:
		return FAKE_MAX;
	case M_ONE:
		return 1;
	default:
		return 2;
	}
}

static const struct fake_gpu *gpu_of(nvmlDevice_t d)
{
	if (!fake.inited || !d || d < &fake.dev[0] || d >= &fake.dev[FAKE_MAX] || d->index >= count_for(fake.mode))
		return NULL;
	return &two[d->index % 2];
}

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory);
#ifndef FAKE_NVML_MINIMAL
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization);
nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power);
#endif

nvmlReturn_t nvmlInit_v2(void)
{
	static const char *const names[] = {"two", "init_fail", "zero", "na", "memfail",
	                                    "many", "longname", "badvals", "one"};
	const char *m = getenv("FAKE_NVML");
	fake.mode = M_TWO;
	for (size_t i = 0; m && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i]) == 0)
			fake.mode = (enum mode)i;
	if (fake.mode == M_INIT_FAIL)
		return NVML_ERROR_DRIVER_NOT_LOADED;
	for (unsigned i = 0; i < FAKE_MAX; i++)
		fake.dev[i].index = i;
	fake.inited = 1;
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_MINIMAL
nvmlReturn_t nvmlShutdown(void)
{
	if (!fake.inited)
		return NVML_ERROR_UNINITIALIZED;
	fake.inited = 0;
	return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
	if (!fake.inited)
		return NVML_ERROR_UNINITIALIZED;
	if (!deviceCount)
		return NVML_ERROR_INVALID_ARGUMENT;
	*deviceCount = count_for(fake.mode);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	if (!fake.inited)
		return NVML_ERROR_UNINITIALIZED;
	if (!device || index >= count_for(fake.mode))
		return NVML_ERROR_INVALID_ARGUMENT;
	*device = &fake.dev[index];
	return NVML_SUCCESS;
}

#ifndef FAKE_NVML_NOMEM
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
	const struct fake_gpu *g = gpu_of(device);
	if (!g || !memory)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (fake.mode == M_MEMFAIL && device->index == 0)
		return NVML_ERROR_GPU_IS_LOST;
	memory->total = g->total;
	memory->used = g->used;
	if (fake.mode == M_BADVALS)
		memory->used = g->total + MIB; /* used > total */
	memory->free = memory->total > memory->used ? memory->total - memory->used : 0;
	return NVML_SUCCESS;
}
#endif

#ifndef FAKE_NVML_MINIMAL
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
	const struct fake_gpu *g = gpu_of(device);
	size_t n;
	if (!g || !name)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (fake.mode == M_LONGNAME) {
		/* A hostile library: the whole buffer, no terminating NUL. */
		memset(name, 'X', length);
		return NVML_SUCCESS;
	}
	n = strlen(g->name);
	if (n + 1 > length)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(name, g->name, n + 1);
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
	const struct fake_gpu *g = gpu_of(device);
	if (!g || !utilization)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (fake.mode == M_NA)
		return NVML_ERROR_NOT_SUPPORTED;
	utilization->gpu = fake.mode == M_BADVALS ? 250 : g->util;
	utilization->memory = 12;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp)
{
	const struct fake_gpu *g = gpu_of(device);
	if (!g || !temp || sensorType != NVML_TEMPERATURE_GPU)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (fake.mode == M_NA)
		return NVML_ERROR_NOT_SUPPORTED;
	*temp = g->temp;
	return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
	const struct fake_gpu *g = gpu_of(device);
	if (!g || !power)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (fake.mode == M_NA)
		return NVML_ERROR_NOT_SUPPORTED;
	*power = g->power_mw;
	return NVML_SUCCESS;
}
#endif
