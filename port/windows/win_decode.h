/* win_decode.h — private to port/windows: the arithmetic and filtering the
 * Win32 readers apply to what the API returns, kept free of windows.h so
 * tests/unit/test_win_decode.c runs it on Linux with exact values. Inputs
 * are the API's own numbers (FILETIME halves, byte counts, drive types). */
#ifndef MONBOT_PORT_WIN_DECODE_H
#define MONBOT_PORT_WIN_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

/* GetDriveType's values (WinBase.h); only fixed drives are reported. */
#define WD_DRIVE_UNKNOWN     0
#define WD_DRIVE_NO_ROOT_DIR 1
#define WD_DRIVE_REMOVABLE   2
#define WD_DRIVE_FIXED       3
#define WD_DRIVE_REMOTE      4
#define WD_DRIVE_CDROM       5
#define WD_DRIVE_RAMDISK     6

/* A FILETIME's two halves as one count of 100 ns units. */
uint64_t wd_filetime(uint32_t lo, uint32_t hi);

/* GetSystemTimes: the kernel time includes the idle time (MSDN), so the
 * total is kernel + user. PORT_EPARSE when idle exceeds kernel. */
int wd_cpu(uint64_t idle, uint64_t kernel, uint64_t user, unsigned ncpu, struct port_cpu *c);
/* Busy percentage between two readings (what agent-min computes from the
 * same counters); PORT_EPARSE when a counter went back or nothing passed. */
int wd_cpu_busy(const struct port_cpu *a, const struct port_cpu *b, double *pct);

/* GlobalMemoryStatusEx: the page file numbers are the commit limit and what
 * is left of it, physical memory included; swap is the part beyond it
 * (psutil's swap_memory() on Windows), never below zero. */
int wd_mem(uint64_t total_phys, uint64_t avail_phys, uint64_t total_pf, uint64_t avail_pf,
           struct port_mem *m);

/* GetLogicalDriveStrings' list ("C:\\\0D:\\\0\0"): the next root at *pos
 * of len characters, or NULL at its end. */
const char *wd_drive_next(const char *list, size_t len, size_t *pos);
/* One drive: 1 and *fs filled when it is reported (a fixed drive with a
 * size: the original agent's rule on Windows), 0 when it is left out.
 * fstype is GetVolumeInformation's ("NTFS"), free_caller, total and
 * total_free GetDiskFreeSpaceEx's three numbers. */
int wd_drive(const char *root, unsigned type, const char *fstype, uint64_t free_caller, uint64_t total,
             uint64_t total_free, struct port_fs *fs);

/* GetIfTable2's rows: the rows NDIS adds for each lightweight filter
 * ("...-WFP Native MAC Layer LightWeight Filter-0000", the same counters
 * again) and rows without a name are left out. The loopback row is kept, as
 * on the other ports: AGENT_NET_IGNORE drops "Loopback Pseudo-Interface 1"
 * by name in agent-min. */
int wd_if_wanted(int filter_interface, const char *name);
/* Copies a UTF-8 name into dst of cap bytes, cut on a character boundary. */
void wd_utf8_copy(char *dst, size_t cap, const char *src);

/* A Toolhelp32 entry with its GetProcessTimes and GetProcessMemoryInfo
 * numbers, as one struct port_proc: ticks in the CPU's unit (100 ns),
 * start the creation time (pid reuse). PORT_ENOTAVAIL for the System Idle
 * Process (pid 0), which the original leaves out. */
int wd_proc(uint32_t pid, const char *exe, uint64_t creation, uint64_t kernel, uint64_t user,
            uint64_t working_set, struct port_proc *p);

/* "Windows 10 Pro (build 19045)" style names: the registry's ProductName
 * when there is one, else "Windows major.minor"; Windows 11 still calls
 * itself "Windows 10" there, so build 22000 and later are renamed. The
 * kernel field is "major.minor.build". */
void wd_os_name(const char *product, unsigned major, unsigned minor, unsigned build, char *os, size_t oscap,
                char *kernel, size_t kcap);

/* Child processes: argument a appended to the command line cmd (*len bytes
 * so far, space-separated), quoted the way the C runtime splits it again
 * (backslashes double only before a quote: MSDN "Parsing C command-line
 * arguments"). PORT_ENOSPC when it does not fit (cmd is left terminated). */
int wd_cmdline_append(char *cmd, size_t cap, size_t *len, const char *a);
/* 1 when the environment entry "NAME=value" is one of the NULL-terminated
 * names in drop (compared case-blind, as Windows does), else 0. */
int wd_env_dropped(const char *entry, const char *const drop[]);

#endif
