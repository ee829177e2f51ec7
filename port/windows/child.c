/* child.c — port.h's child processes on Windows: not yet. A pipe cannot be
 * waited on with select(), so the POSIX design (one non-blocking pipe in
 * port_waitv) needs a reader thread or an overlapped named pipe here; until
 * then diag and speedtest use the agent's built-in report and test. */
#include "port/port.h"

void port_child_init(struct port_child *c)
{
	c->pid = 0;
	c->fd = -1;
}

int port_child_start(struct port_child *c, const char *const argv[], const char *const drop_env[], int *os_err)
{
	(void)argv;
	(void)drop_env;
	*os_err = 0;
	port_child_init(c);
	return PORT_ENOTAVAIL;
}

int port_child_read(struct port_child *c, void *buf, size_t cap, size_t *n, int *os_err)
{
	(void)c; (void)buf; (void)cap;
	*n = 0;
	*os_err = 0;
	return PORT_ENOTAVAIL;
}

void port_child_kill(struct port_child *c) { (void)c; }

int port_child_reap(struct port_child *c, int block, int *code, int *os_err)
{
	(void)c; (void)block;
	*code = -1;
	*os_err = 0;
	return PORT_ENOTAVAIL;
}
