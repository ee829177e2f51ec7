/* child.c — port.h's child processes over POSIX: fork and execvp (no
 * shell), one pipe for stdout and stderr, a process group per child so a
 * kill takes its own children too. A second close-on-exec pipe carries
 * execvp's errno back, so a program missing from PATH is told apart from
 * one that ran and failed. */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

void port_child_init(struct port_child *c)
{
	c->pid = 0;
	c->fd = -1;
}

static int cloexec_pipe(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls but
 * unsetenv (the agent is single-threaded, so no lock can be held). */
static void child_exec(const char *const argv[], const char *const drop_env[], int out, int st)
{
	struct sigaction sa;
	int e, nul = open("/dev/null", O_RDONLY);
	setpgid(0, 0);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	/* The agent ignores SIGPIPE; an ignored signal stays ignored across exec. */
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	for (size_t i = 0; drop_env && drop_env[i]; i++)
		unsetenv(drop_env[i]);
	execvp(argv[0], (char *const *)argv);
fail:
	e = errno;
	if (write(st, &e, sizeof(e)) < 0) {
		/* nothing to do: the parent sees EOF and an exit of 127 */
	}
	_exit(127);
}

int port_child_start(struct port_child *c, const char *const argv[], const char *const drop_env[],
                     int *os_err)
{
	int out[2] = {-1, -1}, st[2] = {-1, -1}, e = 0, rc = PORT_EIO, status;
	ssize_t r;
	pid_t pid;
	port_child_init(c);
	if (cloexec_pipe(out) < 0 || cloexec_pipe(st) < 0) {
		*os_err = errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		*os_err = errno;
		goto out;
	}
	if (pid == 0)
		child_exec(argv, drop_env, out[1], st[1]);
	setpgid(pid, pid); /* also here: no window where a kill misses it */
	close(out[1]);
	close(st[1]);
	out[1] = st[1] = -1;
	while ((r = read(st[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	if (r == (ssize_t)sizeof(e)) {
		/* exec failed: collect the child that _exit()ed */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		*os_err = e;
		rc = e == ENOENT || e == EACCES || e == ENOTDIR ? PORT_ENOTAVAIL : PORT_EIO;
		goto out;
	}
	if (fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK) < 0) {
		*os_err = errno;
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	c->pid = (long)pid;
	c->fd = out[0];
	out[0] = -1;
	rc = PORT_OK;
out:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	return rc;
}

int port_child_read(struct port_child *c, void *buf, size_t cap, size_t *n, int *os_err)
{
	ssize_t r;
	*n = 0;
	if (c->fd < 0)
		return PORT_OK;
	while ((r = read(c->fd, buf, cap)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return PORT_EAGAIN;
		*os_err = errno;
		return PORT_EIO;
	}
	if (r == 0) {
		close(c->fd);
		c->fd = -1;
	}
	*n = (size_t)r;
	return PORT_OK;
}

void port_child_kill(struct port_child *c)
{
	if (c->pid > 0) {
		kill(-(pid_t)c->pid, SIGKILL);
		kill((pid_t)c->pid, SIGKILL);
	}
}

int port_child_reap(struct port_child *c, int block, int *code, int *os_err)
{
	int status = 0;
	pid_t r;
	if (c->pid <= 0)
		return PORT_EIO;
	while ((r = waitpid((pid_t)c->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return PORT_EAGAIN;
	if (r < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
	if (c->fd >= 0)
		close(c->fd);
	port_child_init(c);
	return PORT_OK;
}

int port_child_exists(const char *prog)
{
	const char *path = getenv("PATH");
	char full[1024];
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? PORT_OK : PORT_ENOTAVAIL;
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int m = snprintf(full, sizeof(full), "%.*s/%s", (int)n, n ? path : ".", prog);
		if (m > 0 && (size_t)m < sizeof(full) && access(full, X_OK) == 0)
			return PORT_OK;
		path += n;
		if (*path == ':')
			path++;
	}
	return PORT_ENOTAVAIL;
}
