/* sys_freebsd.c — the FreeBSD system calls behind bsd.h's table: sysctl(3),
 * getfsstat(2) and statfs(2), getifaddrs(3), reboot(2). The only file of the
 * port that includes FreeBSD headers, and the only one NOT compiled on the
 * Linux machines this project is built on (no FreeBSD sysroot there): the
 * asserts below are what check our byte layouts against the real headers,
 * at the first native build. */
#include "port/port.h"
#include "port/bsd/bsd.h"

#include <sys/param.h>
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/proc.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <vm/vm_param.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- our layouts against the headers -------------------------------------- */

#if defined(__i386__)
#define NATIVE_ABI bsd_abi_i386
#define L(x) BSD_I386_##x
#elif defined(__LP64__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ABI bsd_abi_amd64
#define L(x) BSD_LP64_##x
#else
#error "port/bsd: no byte layout for this architecture in abi.c (add one; the asserts below check it)"
#endif

_Static_assert(sizeof(long) == (L(TIMEVAL) == 16 ? 8 : 4), "C long");
_Static_assert(sizeof(struct timeval) == L(TIMEVAL), "struct timeval");
_Static_assert(sizeof(struct loadavg) == L(LOADAVG), "struct loadavg");
_Static_assert(offsetof(struct loadavg, fscale) == L(LOADAVG) - sizeof(long), "loadavg.fscale");
_Static_assert(XSWDEV_VERSION == 2 && sizeof(struct xswdev) == L(XSWDEV), "struct xswdev");
_Static_assert(offsetof(struct xswdev, xsw_nblks) == L(XSW_NBLKS), "xsw_nblks");
_Static_assert(offsetof(struct xswdev, xsw_used) == L(XSW_USED), "xsw_used");
_Static_assert(sizeof(struct kinfo_proc) == L(KP_SIZE) && KINFO_PROC_SIZE == L(KP_SIZE), "struct kinfo_proc");
_Static_assert(offsetof(struct kinfo_proc, ki_pid) == L(KP_PID), "ki_pid");
_Static_assert(offsetof(struct kinfo_proc, ki_rssize) == L(KP_RSSIZE), "ki_rssize");
_Static_assert(offsetof(struct kinfo_proc, ki_runtime) == L(KP_RUNTIME), "ki_runtime");
_Static_assert(offsetof(struct kinfo_proc, ki_start) == L(KP_START), "ki_start");
_Static_assert(offsetof(struct kinfo_proc, ki_flag) == L(KP_FLAG), "ki_flag");
_Static_assert(offsetof(struct kinfo_proc, ki_comm) == L(KP_COMM), "ki_comm");
_Static_assert(sizeof(((struct kinfo_proc *)0)->ki_comm) == 20, "ki_comm size");
_Static_assert(P_SYSTEM == BSD_P_SYSTEM, "P_SYSTEM");
_Static_assert(CPUSTATES == BSD_CPUSTATES && CP_IDLE == BSD_CP_IDLE, "CPUSTATES");
_Static_assert(sizeof(struct statfs) == BSD_STATFS_SIZE && STATFS_VERSION == BSD_STATFS_VERSION, "statfs");
_Static_assert(offsetof(struct statfs, f_bavail) == 48, "f_bavail");
_Static_assert(offsetof(struct statfs, f_fstypename) == 280, "f_fstypename");
_Static_assert(offsetof(struct statfs, f_mntfromname) == 296, "f_mntfromname");
_Static_assert(offsetof(struct statfs, f_mntonname) == 1320, "f_mntonname");
_Static_assert(MNT_LOCAL == BSD_MNT_LOCAL && MNT_IGNORE == BSD_MNT_IGNORE, "MNT_ flags");
_Static_assert(sizeof(struct if_data) == BSD_IFDATA_SIZE, "struct if_data");
_Static_assert(offsetof(struct if_data, ifi_datalen) == 6, "ifi_datalen");
_Static_assert(offsetof(struct if_data, ifi_ibytes) == 64 && offsetof(struct if_data, ifi_obytes) == 72,
               "ifi_ibytes, ifi_obytes");

/* ---- the calls -------------------------------------------------------------- */

static int sys_sysctl(const char *name, void *buf, size_t *len)
{
	return sysctlbyname(name, buf, len, NULL, 0) == 0 ? 0 : errno;
}

static int by_mib(int *mib, u_int n, void *buf, size_t *len)
{
	return sysctl(mib, n, buf, len, NULL, 0) == 0 ? 0 : errno;
}

/* vm.swap_info is a node: its N-th device is the MIB with N appended;
 * ENOENT past the last one (sysctl(3), swapinfo(8)). */
static int sys_swap_info(int index, void *buf, size_t *len)
{
	int mib[CTL_MAXNAME];
	size_t n = CTL_MAXNAME - 1;
	if (sysctlnametomib("vm.swap_info", mib, &n) != 0)
		return errno;
	mib[n] = index;
	return by_mib(mib, (u_int)n + 1, buf, len);
}

static int sys_proc_one(uint32_t pid, void *buf, size_t *len)
{
	int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, (int)pid};
	return by_mib(mib, 4, buf, len);
}

static int sys_proc_args(uint32_t pid, void *buf, size_t *len)
{
	int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_ARGS, (int)pid};
	return by_mib(mib, 4, buf, len);
}

/* getfsstat(2) rather than getmntinfo(3), which mallocs its own array:
 * MNT_NOWAIT gives the cached counts without asking any filesystem (a dead
 * NFS server would hang the agent); local ones are then asked afresh with
 * statfs(2), as df(1) does, unless another mount now covers the point. */
static int sys_mounts(void *buf, size_t *len)
{
	struct statfs *sf = buf, fresh;
	int n = getfsstat(sf, (long)*len, MNT_NOWAIT);
	if (n < 0)
		return errno;
	for (int i = 0; i < n; i++)
		if ((sf[i].f_flags & MNT_LOCAL) && !(sf[i].f_flags & MNT_IGNORE) &&
		    statfs(sf[i].f_mntonname, &fresh) == 0 && strcmp(fresh.f_mntonname, sf[i].f_mntonname) == 0 &&
		    strcmp(fresh.f_mntfromname, sf[i].f_mntfromname) == 0)
			sf[i] = fresh;
	*len = (size_t)n * sizeof(struct statfs);
	return 0;
}

/* getifaddrs(3): an AF_LINK entry's ifa_data is the interface's struct
 * if_data. (getifaddrs allocates one block a call and freeifaddrs frees
 * it: the one allocation per cycle the FreeBSD agent makes.) */
static int sys_links(void (*fn)(const char *name, const void *data, size_t len, void *arg), void *arg)
{
	struct ifaddrs *all, *i;
	if (getifaddrs(&all) != 0)
		return errno;
	for (i = all; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_LINK && i->ifa_data)
			fn(i->ifa_name, i->ifa_data, sizeof(struct if_data), arg);
	freeifaddrs(all);
	return 0;
}

/* FreeBSD 13 and later write /var/run/os-release (os-release(5)), linked
 * from /etc/os-release. */
static int sys_os_release(char *buf, size_t cap)
{
	ssize_t r;
	size_t n = 0;
	int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return n ? 0 : ENOENT;
}

/* reboot(2) as root; else shutdown(8): -r reboots, -p powers off. */
static int sys_power(enum port_power what, char *err, size_t errlen)
{
	pid_t pid;
	int status = 0;
	const char *flag = what == PORT_POWER_REBOOT ? "-r" : "-p";
	sync();
	if (geteuid() == 0 && reboot(what == PORT_POWER_REBOOT ? RB_AUTOBOOT : RB_HALT | RB_POWEROFF) == 0)
		return PORT_OK;
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return PORT_EIO;
	}
	if (pid == 0) {
		execl("/sbin/shutdown", "shutdown", flag, "now", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return PORT_OK;
	snprintf(err, errlen, "shutdown %s failed (exit %d)", flag, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return PORT_EIO;
}

const struct bsd_sys bsd_sys_native = {
	.abi = &NATIVE_ABI,
	.sysctl = sys_sysctl,
	.swap_info = sys_swap_info,
	.proc_one = sys_proc_one,
	.proc_args = sys_proc_args,
	.mounts = sys_mounts,
	.links = sys_links,
	.os_release = sys_os_release,
	.power = sys_power,
};
