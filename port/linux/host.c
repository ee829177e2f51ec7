/* host.c — host identity (uname, /etc/os-release, OpenWrt's openwrt_release)
 * and power actions (the shutdown command, busybox's reboot/poweroff, and
 * reboot(2) as root only where neither exists). */
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

/* The first line of a file; 0 when it was there and not empty. */
static int read_line(const char *rel, char *out, size_t cap)
{
	char buf[256];
	if (lx_read(rel, buf, sizeof(buf), NULL) != PORT_OK)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0])
		return -1;
	copy_cut(out, cap, buf);
	return 0;
}

/* KEY="value" or KEY='value' at the start of a line (os-release(5), and
 * OpenWrt's openwrt_release, a shell file): 0 with the value in out. */
static int release_value(const char *buf, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *v;
		size_t n;
		if (strncmp(p, key, kl) != 0 || p[kl] != '=')
			continue;
		v = p + kl + 1;
		if (*v == '"' || *v == '\'') {
			char q = *v++;
			n = strcspn(v, q == '"' ? "\"\n" : "'\n");
			if (v[n] != q)
				return -1; /* no closing quote: cut or garbled */
		} else {
			n = strcspn(v, "\n");
		}
		if (n == 0 || n >= cap)
			return -1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
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
	if (lx.root[0]) {
		/* A fixture tree: uname(2) would name the machine running the
		 * test. The kernel's files stand in for it; the machine, which
		 * /proc/sys/kernel/arch gives only from Linux 6.1, comes from the
		 * tree's "uname" file (what `uname -m` printed there). */
		read_line("/proc/sys/kernel/hostname", h->hostname, sizeof(h->hostname));
		read_line("/proc/sys/kernel/osrelease", h->kernel, sizeof(h->kernel));
		if (read_line("/proc/sys/kernel/arch", h->arch, sizeof(h->arch)) != 0)
			read_line("/uname", h->arch, sizeof(h->arch));
	} else if (uname(&u) == 0) {
		copy_cut(h->hostname, sizeof(h->hostname), u.nodename);
		copy_cut(h->kernel, sizeof(h->kernel), u.release);
		copy_cut(h->arch, sizeof(h->arch), u.machine);
	}
	cpu_model(h->cpu_model, sizeof(h->cpu_model));
	snprintf(h->os, sizeof(h->os), "Linux");
	/* os-release(5) PRETTY_NAME; OpenWrt before 17.01 (LEDE) has none,
	 * only its own /etc/openwrt_release:
	 * DISTRIB_DESCRIPTION='OpenWrt Chaos Calmer 15.05'. */
	if ((lx_read("/etc/os-release", buf, sizeof(buf), NULL) == PORT_OK ||
	     lx_read("/usr/lib/os-release", buf, sizeof(buf), NULL) == PORT_OK) &&
	    release_value(buf, "PRETTY_NAME", h->os, sizeof(h->os)) == 0)
		return PORT_OK;
	if (lx_read("/etc/openwrt_release", buf, sizeof(buf), NULL) == PORT_OK)
		release_value(buf, "DISTRIB_DESCRIPTION", h->os, sizeof(h->os));
	return PORT_OK;
}

/* ---- power ------------------------------------------------------------- */

/* Runs prog with up to two arguments, as the system's own command would be
 * run; its exit status, 127 when it is not on PATH, -1 when it cannot run. */
static int run_cmd(const char *prog, const char *a1, const char *a2, char *err, size_t errlen)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execlp(prog, prog, a1, a2, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The system's own way first, so that its init stops the services and
 * unmounts the disks: shutdown(8) (systemd, sysvinit), else busybox's
 * reboot/poweroff (OpenWrt, Alpine: they ask procd or init to do the same).
 * reboot(2) only as root where neither exists; it skips all that. */
int port_power(enum port_power what, char *err, size_t errlen)
{
	int reb = what == PORT_POWER_REBOOT, rc;

	rc = run_cmd("shutdown", reb ? "-r" : "-h", "now", err, errlen);
	if (rc == 0)
		return PORT_OK;
	if (rc == 127) {
		rc = run_cmd(reb ? "reboot" : "poweroff", NULL, NULL, err, errlen);
		if (rc == 0)
			return PORT_OK;
		if (rc == 127 && geteuid() == 0 && !lx.root[0]) {
			sync();
			if (reboot(reb ? RB_AUTOBOOT : RB_POWER_OFF) == 0)
				return PORT_OK;
			snprintf(err, errlen, "no shutdown, %s command, and reboot(2): %s", reb ? "reboot" : "poweroff",
			         strerror(errno));
			return PORT_EIO;
		}
		if (rc == 127) {
			snprintf(err, errlen, "no shutdown or %s command on PATH", reb ? "reboot" : "poweroff");
			return PORT_EIO;
		}
		if (rc > 0)
			snprintf(err, errlen, "%s failed (exit %d)", reb ? "reboot" : "poweroff", rc);
		return PORT_EIO;
	}
	if (rc > 0)
		snprintf(err, errlen, "shutdown %s failed (exit %d)", reb ? "-r" : "-h", rc);
	return PORT_EIO;
}
