/* unsupported.c — port.h for an OS without a port: every reading is "not
 * available", so portable code links and runs on any target. Clocks and
 * sleeping use ISO C11 only (timespec_get, thrd_sleep): no busy wait. */
#include "port/port.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

int port_init(const char *root) { (void)root; return PORT_OK; }
void port_fini(void) {}
const char *port_root(void) { return ""; }
const char *port_name(void) { return "unsupported"; }

/* TIME_UTC is the only base ISO C names: a wall clock stepped backwards
 * shows here as time standing still, never as time going back. */
static uint64_t mono_last;

uint64_t port_mono_ms(void)
{
	struct timespec ts;
	uint64_t now;
	if (timespec_get(&ts, TIME_UTC) != TIME_UTC)
		return mono_last;
	now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (now > mono_last)
		mono_last = now;
	return mono_last;
}

/* Microseconds on the same guarded clock (only the stability test needs
 * them, and it has no UDP here). */
uint64_t port_mono_us(void)
{
	return port_mono_ms() * 1000u;
}

int64_t port_wall_ms(void)
{
	return (int64_t)time(NULL) * 1000;
}

void port_sleep_ms(unsigned ms)
{
	struct timespec d = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
	thrd_sleep(&d, NULL);
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

/* The link loop: ISO C has signal() but no sockets and no way to wait on
 * one, so the agent runs, samples nothing and never connects. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

void port_stop_install(void)
{
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
}

int port_stop_requested(void) { return (int)stop_signal; }

int port_wait(int fd, unsigned events, unsigned timeout_ms, unsigned *ready, int *os_err)
{
	(void)events;
	(void)os_err;
	*ready = 0;
	if (fd >= 0)
		return PORT_ENOTAVAIL;
	port_sleep_ms(timeout_ms);
	return PORT_OK;
}

int port_waitv(struct port_pollfd *p, unsigned n, unsigned timeout_ms, int *os_err)
{
	(void)os_err;
	for (unsigned i = 0; i < n; i++) {
		p[i].ready = 0;
		if (p[i].fd >= 0 && p[i].events)
			return PORT_ENOTAVAIL;
	}
	port_sleep_ms(timeout_ms);
	return PORT_OK;
}

/* No processes to start on this port. */
void port_child_init(struct port_child *c) { c->pid = 0; c->fd = -1; }
int port_child_start(struct port_child *c, const char *const argv[], const char *const drop_env[], int *os_err)
{
	(void)argv; (void)drop_env; *os_err = 0;
	port_child_init(c);
	return PORT_ENOTAVAIL;
}
int port_child_read(struct port_child *c, void *b, size_t cap, size_t *n, int *os_err) { (void)c; (void)b; (void)cap; *n = 0; *os_err = 0; return PORT_ENOTAVAIL; }
void port_child_kill(struct port_child *c) { (void)c; }
int port_child_reap(struct port_child *c, int block, int *code, int *os_err) { (void)c; (void)block; *code = -1; *os_err = 0; return PORT_ENOTAVAIL; }

int port_addr_parse(const char *host, unsigned port, struct port_addr *a)
{
	(void)host;
	(void)port;
	memset(a, 0, sizeof(*a));
	return PORT_EPARSE;
}

int port_addr_resolve(const char *host, unsigned port, struct port_addr *a, char *err, size_t errlen)
{
	(void)port;
	memset(a, 0, sizeof(*a));
	snprintf(err, errlen, "cannot resolve %s: no network on this OS port", host);
	return PORT_ERESOLVE;
}

int port_sock_connect(const struct port_addr *a, int *fd, int *os_err) { (void)a; *fd = -1; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_connected(int fd, int *os_err) { (void)fd; *os_err = 0; return PORT_ENOTAVAIL; }

int port_sock_listen(const char *host, unsigned port, int backlog, int *fd, char *err, size_t errlen)
{
	(void)host;
	(void)backlog;
	*fd = -1;
	snprintf(err, errlen, "cannot listen on port %u: no network on this OS port", port);
	return PORT_ENOTAVAIL;
}

int port_sock_accept(int lfd, int *fd, int *os_err) { (void)lfd; *fd = -1; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_setup(int fd, int *os_err) { (void)fd; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_recv(int fd, void *b, size_t len, size_t *n, int *os_err) { (void)fd; (void)b; (void)len; *n = 0; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_send(int fd, const void *b, size_t len, size_t *n, int *os_err) { (void)fd; (void)b; (void)len; *n = 0; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_shutdown(int fd, int *os_err) { (void)fd; *os_err = 0; return PORT_ENOTAVAIL; }
void port_sock_close(int fd) { (void)fd; }

const char *port_strerror(int os_err, char *buf, size_t cap)
{
	snprintf(buf, cap, "not available on this OS port (%d)", os_err);
	return buf;
}

/* Files that may hold secrets: not without an OS to set their mode. */
int port_file_begin(struct port_file *f, const char *path, unsigned new_mode, unsigned flags,
                    int *os_err)
{
	(void)path; (void)new_mode; (void)flags;
	f->fd = -1;
	f->tmp[0] = '\0';
	*os_err = 0;
	return PORT_ENOTAVAIL;
}
int port_file_write(struct port_file *f, const void *d, size_t len, int *os_err) { (void)f; (void)d; (void)len; *os_err = 0; return PORT_ENOTAVAIL; }
int port_file_commit(struct port_file *f, int *os_err) { (void)f; *os_err = 0; return PORT_ENOTAVAIL; }
void port_file_abort(struct port_file *f) { (void)f; }
int port_file_create(const char *path, unsigned mode, int *created, int *os_err) { (void)path; (void)mode; *created = 0; *os_err = 0; return PORT_ENOTAVAIL; }
int port_sock_peer(int fd, char *b, size_t cap, int *os_err) { (void)fd; (void)b; (void)cap; *os_err = 0; return PORT_ENOTAVAIL; }

/* UDP (stability test): no sockets in ISO C. */
int port_udp_open(const struct port_addr *to, int *fd, int *os_err) { (void)to; *fd = -1; *os_err = 0; return PORT_ENOTAVAIL; }
int port_udp_send(int fd, const struct port_addr *to, const void *b, size_t len, int *os_err) { (void)fd; (void)to; (void)b; (void)len; *os_err = 0; return PORT_ENOTAVAIL; }
int port_udp_recv(int fd, void *b, size_t cap, size_t *n, struct port_addr *from, int *os_err) { (void)fd; (void)b; (void)cap; *n = 0; memset(from, 0, sizeof(*from)); *os_err = 0; return PORT_ENOTAVAIL; }
int port_addr_equal(const struct port_addr *a, const struct port_addr *b) { (void)a; (void)b; return 0; }

/* No desktop, no service manager. */
int port_main(int argc, char **argv, int (*prog_main)(int, char **)) { return prog_main(argc, argv); }
int port_tray_start(const char *icon_png, const char *tip) { (void)icon_png; (void)tip; return PORT_ENOTAVAIL; }
void port_tray_stop(void) {}
void port_alert(const char *title, const char *text) { (void)title; (void)text; }

/* Fleet sources (issue 16): port/fleet_none.c. */
int port_child_exists(const char *prog) { (void)prog; return PORT_ENOTAVAIL; }
