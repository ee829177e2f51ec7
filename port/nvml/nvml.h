/* nvml.h — NVIDIA GPUs through NVML for the ports that load it at run time
 * (port/linux: libnvidia-ml.so.1 with dlopen; port/windows: nvml.dll with
 * LoadLibrary), so one binary runs with and without the driver. The port
 * opens the library and gives its symbol lookup; nvml.c does the rest with
 * the NVML API v2 entry points (signatures as nvml.h's). No OS header. */
#ifndef MONBOT_PORT_NVML_H
#define MONBOT_PORT_NVML_H

#include "port/port.h"

/* The port's dlsym/GetProcAddress: the address of a function, NULL when
 * absent. */
typedef void *(*nvml_sym_fn)(void *lib, const char *name);

/* Looks the functions up in lib, initialises NVML and lists the cards.
 * PORT_OK: the GPUs are kept (the caller keeps lib open until after
 * nvml_close); PORT_ENOTAVAIL: nothing usable, NVML shut down again, the
 * caller closes lib. */
int nvml_open(void *lib, nvml_sym_fn sym);
/* nvmlShutdown when open; then the caller closes its library. */
void nvml_close(void);
/* 1 between a successful nvml_open and nvml_close. */
int nvml_is_open(void);
/* Appends the cards to g (at most max in all), *n counting. */
int nvml_list(struct port_gpu *g, int max, int *n);

#endif
