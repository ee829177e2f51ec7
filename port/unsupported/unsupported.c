/* unsupported.c — port.h for an OS without a port: every reading is "not
 * available", so portable code links and runs on any target. Clocks use
 * ISO C only. */
#include "port/port.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int port_init(const char *root) { (void)root; return PORT_OK; }
void port_fini(void) {}
const char *port_root(void) { return ""; }
const char *port_name(void) { return "unsupported"; }

uint64_t port_mono_ms(void)
{
	return (uint64_t)clock() * 1000u / CLOCKS_PER_SEC;
}

int64_t port_wall_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

void port_sleep_ms(unsigned ms)
{
	uint64_t end = port_mono_ms() + ms;
	while (port_mono_ms() < end)
		;
}

int port_cpu_read(struct port_cpu *c) { (void)c; return PORT_ENOTAVAIL; }
int port_mem_read(struct port_mem *m) { (void)m; return PORT_ENOTAVAIL; }
int port_fs_list(struct port_fs *fs, int max, int *n) { (void)fs; (void)max; *n = 0; return PORT_ENOTAVAIL; }
int port_if_list(struct port_if *i, int max, int *n) { (void)i; (void)max; *n = 0; return PORT_ENOTAVAIL; }
int port_uptime(double *s) { (void)s; return PORT_ENOTAVAIL; }
int port_loadavg(double l[3]) { (void)l; return PORT_ENOTAVAIL; }
int port_cpu_temp(double *c) { (void)c; return PORT_ENOTAVAIL; }
int port_proc_scan(port_proc_fn fn, void *arg) { (void)fn; (void)arg; return PORT_ENOTAVAIL; }
int port_proc_fullname(uint32_t pid, char *b, size_t cap) { (void)pid; (void)b; (void)cap; return PORT_ENOTAVAIL; }

int port_host_read(struct port_host *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->os, sizeof(h->os), "unknown");
	return PORT_OK;
}

int port_gpu_list(struct port_gpu *g, int max, int *n) { (void)g; (void)max; *n = 0; return PORT_ENOTAVAIL; }
const char *port_gpu_backend(void) { return "none"; }

int port_power(enum port_power what, char *err, size_t errlen)
{
	(void)what;
	snprintf(err, errlen, "power actions are not available on this OS");
	return PORT_ENOTAVAIL;
}
