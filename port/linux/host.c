/* host.c — host identity (uname, /etc/os-release) and power actions
 * (reboot(2) as root, else the shutdown command). */
#include "port/port.h"
#include "port/linux/linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- host identity ----------------------------------------------------- */

/* Copies at most cap-1 bytes (names from the kernel may be longer). */
static void copy_cut(char *out, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(out, src, n);
	out[n] = '\0';
}

static void read_line(const char *rel, char *out, size_t cap)
{
	char buf[256];
	if (lx_read(rel, buf, sizeof(buf), NULL) == PORT_OK) {
		buf[strcspn(buf, "\n")] = '\0';
		copy_cut(out, cap, buf);
	}
}

/* proc(5) cpuinfo: "model name" on x86, "Model"/"Hardware" or "cpu model"
 * elsewhere (ARM boards, MIPS routers); the first one found wins. */
static void cpu_model(char *out, size_t cap)
{
	static char buf[16384];
	static const char *const keys[] = { "model name", "cpu model", "Model", "Hardware", "Processor" };
	if (lx_read("/proc/cpuinfo", buf, sizeof(buf), NULL) != PORT_OK)
		return;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t kl = strlen(keys[k]);
		for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
			const char *v;
			size_t n;
			if (strncmp(p, keys[k], kl) != 0 || (p[kl] != '\t' && p[kl] != ' ' && p[kl] != ':'))
				continue;
			v = p + kl + strspn(p + kl, " \t");
			if (*v != ':')
				continue;
			v += 1 + strspn(v + 1, " \t");
			n = strcspn(v, "\n");
			if (n == 0)
				continue;
			if (n >= cap)
				n = cap - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
	}
}

int port_host_read(struct port_host *h)
{
	static char buf[4096];
	struct utsname u;
	memset(h, 0, sizeof(*h));
	if (uname(&u) == 0) {
		copy_cut(h->hostname, sizeof(h->hostname), u.nodename);
		copy_cut(h->kernel, sizeof(h->kernel), u.release);
		copy_cut(h->arch, sizeof(h->arch), u.machine);
	}
	if (lx.root[0]) {
		read_line("/proc/sys/kernel/hostname", h->hostname, sizeof(h->hostname));
		read_line("/proc/sys/kernel/osrelease", h->kernel, sizeof(h->kernel));
		read_line("/proc/sys/kernel/arch", h->arch, sizeof(h->arch));
	}
	cpu_model(h->cpu_model, sizeof(h->cpu_model));
	snprintf(h->os, sizeof(h->os), "Linux");
	/* os-release(5): PRETTY_NAME="..." */
	if (lx_read("/etc/os-release", buf, sizeof(buf), NULL) == PORT_OK ||
	    lx_read("/usr/lib/os-release", buf, sizeof(buf), NULL) == PORT_OK) {
		const char *p = strstr(buf, "PRETTY_NAME=");
		if (p && (p == buf || p[-1] == '\n')) {
			size_t n;
			p += 12;
			if (*p == '"' || *p == '\'')
				p++;
			n = strcspn(p, "\"'\n");
			if (n > 0 && n < sizeof(h->os)) {
				memcpy(h->os, p, n);
				h->os[n] = '\0';
			}
		}
	}
	return PORT_OK;
}

/* ---- power ------------------------------------------------------------- */

int port_power(enum port_power what, char *err, size_t errlen)
{
	pid_t pid;
	int status;
	sync();
	if (geteuid() == 0 && !lx.root[0]) {
		if (reboot(what == PORT_POWER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF) == 0)
			return PORT_OK;
	}
	/* Not root (or reboot(2) refused): the shutdown command. */
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return PORT_EIO;
	}
	if (pid == 0) {
		execlp("shutdown", "shutdown", what == PORT_POWER_REBOOT ? "-r" : "-h", "now", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return PORT_OK;
	snprintf(err, errlen, "shutdown %s failed (exit %d)", what == PORT_POWER_REBOOT ? "-r" : "-h",
	         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return PORT_EIO;
}
