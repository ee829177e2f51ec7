/* win.h — private to port/windows: what its files share (the stop flag the
 * console handler, the tray's Exit and the service manager set; NVML). */
#ifndef MONBOT_PORT_WIN_H
#define MONBOT_PORT_WIN_H

#include "port/port.h"

/* The stop flag port_stop_requested() returns (a signal-like number: 2 for
 * Ctrl-C, 15 for close, log-off, shutdown, the tray's Exit and a service
 * stop). Safe from any thread. */
void win_stop_set(int sig);

/* 1 while the program runs as a service (no desktop: no tray, no box). */
extern int win_as_service;

/* NVIDIA through nvml.dll (gpu_nvml.c). */
int win_nvml_open(void);
void win_nvml_close(void);
int win_nvml_list(struct port_gpu *g, int max, int *n);
int win_nvml_loaded(void);

/* Winsock start-up and clean-up (sock.c). */
int win_sock_init(void);
void win_sock_fini(void);

#endif
