/* gpu_nvml.c — NVIDIA GPUs through nvml.dll, loaded at run time (the
 * driver puts it in System32; older drivers in NVSMI under Program Files),
 * so one .exe runs with and without the driver; the NVML calls are
 * port/nvml/nvml.c's. */
#include <windows.h>

#include <stdint.h>
#include <stdio.h>

#include "port/nvml/nvml.h"
#include "port/windows/win.h"

static HMODULE lib;

/* GetProcAddress gives a FARPROC; nvml.c takes the address as an object
 * pointer, as dlsym gives it. */
static void *win_sym(void *l, const char *name)
{
	return (void *)(uintptr_t)GetProcAddress((HMODULE)l, name);
}

int win_nvml_open(void)
{
	char path[MAX_PATH + 64];
	DWORD l;

	lib = LoadLibraryExA("nvml.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (!lib) {
		l = GetEnvironmentVariableA("ProgramFiles", path, MAX_PATH);
		if (l > 0 && l < MAX_PATH) {
			snprintf(path + l, sizeof path - l, "\\NVIDIA Corporation\\NVSMI\\nvml.dll");
			lib = LoadLibraryA(path);
		}
	}
	if (!lib)
		return PORT_ENOTAVAIL;
	if (nvml_open(lib, win_sym) != PORT_OK) {
		FreeLibrary(lib);
		lib = NULL;
		return PORT_ENOTAVAIL;
	}
	return PORT_OK;
}

int win_nvml_loaded(void)
{
	return lib != NULL;
}

void win_nvml_close(void)
{
	if (!lib)
		return;
	nvml_close();
	FreeLibrary(lib);
	lib = NULL;
}

int win_nvml_list(struct port_gpu *g, int max, int *n)
{
	return nvml_list(g, max, n);
}
