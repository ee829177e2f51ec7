/* metrics.c — the Windows port's readers: GetSystemTimes, GlobalMemoryStatusEx,
 * fixed drives (GetDiskFreeSpaceEx), GetIfTable2, GetTickCount64, Toolhelp32
 * with GetProcessTimes and GetProcessMemoryInfo, host identity, power
 * actions. The arithmetic and filtering are in win_decode.c. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <netioapi.h>
#include <psapi.h>
#include <tlhelp32.h>

#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/windows/win.h"
#include "port/windows/win_decode.h"

static uint64_t ft64(FILETIME f)
{
	return wd_filetime(f.dwLowDateTime, f.dwHighDateTime);
}

static void to_utf8(const WCHAR *w, char *out, size_t cap)
{
	char tmp[512];
	if (WideCharToMultiByte(CP_UTF8, 0, w, -1, tmp, (int)sizeof(tmp), NULL, NULL) <= 0)
		tmp[0] = '\0';
	wd_utf8_copy(out, cap, tmp);
}

int port_cpu_read(struct port_cpu *c)
{
	FILETIME idle, kernel, user;
	if (!GetSystemTimes(&idle, &kernel, &user))
		return PORT_EIO;
	return wd_cpu(ft64(idle), ft64(kernel), ft64(user), (unsigned)GetActiveProcessorCount(ALL_PROCESSOR_GROUPS), c);
}

int port_mem_read(struct port_mem *m)
{
	MEMORYSTATUSEX ms;
	ms.dwLength = sizeof ms;
	if (!GlobalMemoryStatusEx(&ms))
		return PORT_EIO;
	return wd_mem(ms.ullTotalPhys, ms.ullAvailPhys, ms.ullTotalPageFile, ms.ullAvailPageFile, m);
}

int port_fs_list(struct port_fs *fs, int max, int *n)
{
	char list[27 * 4 + 2];
	DWORD len = GetLogicalDriveStringsA(sizeof list, list);
	size_t pos = 0;
	const char *root;
	UINT old;

	*n = 0;
	if (len == 0 || len >= sizeof list)
		return PORT_EIO;
	/* no "insert a disk" box for an empty card reader */
	old = SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
	while ((root = wd_drive_next(list, len + 1, &pos)) != NULL) {
		ULARGE_INTEGER caller, total, tfree;
		char fstype[32] = "";
		unsigned type = GetDriveTypeA(root);
		if (type != WD_DRIVE_FIXED)
			continue; /* asked before GetDiskFreeSpaceEx: a network drive may hang */
		if (!GetDiskFreeSpaceExA(root, &caller, &total, &tfree))
			continue;
		GetVolumeInformationA(root, NULL, 0, NULL, NULL, NULL, fstype, sizeof fstype);
		if (*n >= max) {
			SetErrorMode(old);
			return PORT_ENOSPC;
		}
		*n += wd_drive(root, type, fstype, caller.QuadPart, total.QuadPart, tfree.QuadPart, &fs[*n]);
	}
	SetErrorMode(old);
	return PORT_OK;
}

/* GetIfTable2 allocates its table (no caller-buffer form): it is read once a
 * minute for the list of interfaces (a VPN or a phone's tethering comes and
 * goes), and each sample reads the rows on it with GetIfEntry2 into a row on
 * the stack, so sampling allocates nothing. */
#define IF_MAX 64
#define IF_RESCAN_MS 60000u
static struct {
	NET_LUID luid[IF_MAX];
	char name[IF_MAX][32];
	int n, scanned;
	uint64_t at;
} ift;

static int if_scan(void)
{
	MIB_IF_TABLE2 *t = NULL;
	ift.n = 0;
	ift.scanned = 1;
	ift.at = GetTickCount64();
	if (GetIfTable2(&t) != NO_ERROR || !t)
		return PORT_EIO;
	for (ULONG i = 0; i < t->NumEntries && ift.n < IF_MAX; i++) {
		const MIB_IF_ROW2 *r = &t->Table[i];
		char name[64];
		to_utf8(r->Alias, name, sizeof name);
		if (!wd_if_wanted(r->InterfaceAndOperStatusFlags.FilterInterface, name))
			continue;
		ift.luid[ift.n] = r->InterfaceLuid;
		wd_utf8_copy(ift.name[ift.n], sizeof ift.name[0], name);
		ift.n++;
	}
	FreeMibTable(t);
	return PORT_OK;
}

int port_if_list(struct port_if *ifs, int max, int *n)
{
	int gone = 0;
	*n = 0;
	if ((!ift.scanned || GetTickCount64() - ift.at >= IF_RESCAN_MS) && if_scan() != PORT_OK)
		return PORT_EIO;
	for (int i = 0; i < ift.n; i++) {
		MIB_IF_ROW2 r;
		memset(&r, 0, sizeof r);
		r.InterfaceLuid = ift.luid[i];
		if (GetIfEntry2(&r) != NO_ERROR) {
			gone = 1; /* removed since the scan: the next sample scans again */
			continue;
		}
		if (*n >= max)
			return PORT_ENOSPC;
		memcpy(ifs[*n].name, ift.name[i], sizeof ifs[*n].name);
		ifs[*n].rx = r.InOctets;
		ifs[*n].tx = r.OutOctets;
		(*n)++;
	}
	if (gone)
		ift.scanned = 0;
	return PORT_OK;
}

int port_uptime(double *seconds)
{
	*seconds = (double)GetTickCount64() / 1000.0;
	return PORT_OK;
}

int port_loadavg(double load[3]) { (void)load; return PORT_ENOTAVAIL; }
/* No CPU temperature without a vendor driver (the original asked Open
 * Hardware Monitor's WMI classes, when it ran). */
int port_cpu_temp(double *c) { (void)c; return PORT_ENOTAVAIL; }

int port_proc_scan(port_proc_fn fn, void *arg)
{
	PROCESSENTRY32W pe;
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return PORT_EIO;
	pe.dwSize = sizeof pe;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		FILETIME cr, ex, k, u;
		PROCESS_MEMORY_COUNTERS pmc;
		struct port_proc p;
		char exe[64];
		HANDLE h;
		if (pe.th32ProcessID == 0)
			continue;
		/* a process of another user or a protected one cannot be opened:
		 * skipped, as psutil's AccessDenied was */
		h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pe.th32ProcessID);
		if (!h)
			continue;
		pmc.cb = sizeof pmc;
		if (GetProcessTimes(h, &cr, &ex, &k, &u) && GetProcessMemoryInfo(h, &pmc, sizeof pmc)) {
			to_utf8(pe.szExeFile, exe, sizeof exe);
			if (wd_proc(pe.th32ProcessID, exe, ft64(cr), ft64(k), ft64(u), pmc.WorkingSetSize, &p) == PORT_OK)
				fn(&p, arg);
		}
		CloseHandle(h);
	}
	CloseHandle(snap);
	return PORT_OK;
}

/* Windows does not cut process names at 15 characters. */
int port_proc_fullname(uint32_t pid, char *buf, size_t cap)
{
	(void)pid; (void)buf; (void)cap;
	return PORT_ENOTAVAIL;
}

static void reg_string(HKEY root, const char *key, const char *value, char *out, size_t cap)
{
	WCHAR w[256], k[256], v[64];
	DWORD sz = sizeof w - sizeof(WCHAR);
	out[0] = '\0';
	if (!MultiByteToWideChar(CP_UTF8, 0, key, -1, k, 256) || !MultiByteToWideChar(CP_UTF8, 0, value, -1, v, 64))
		return;
	if (RegGetValueW(root, k, v, RRF_RT_REG_SZ, NULL, w, &sz) != ERROR_SUCCESS)
		return;
	w[255] = 0;
	to_utf8(w, out, cap);
}

int port_host_read(struct port_host *h)
{
	typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
	OSVERSIONINFOW vi;
	SYSTEM_INFO si;
	WCHAR wname[128];
	DWORD len = 128;
	char product[128];
	rtl_get_version_fn rgv;
	HMODULE ntdll = GetModuleHandleA("ntdll.dll");

	memset(h, 0, sizeof(*h));
	if (GetComputerNameExW(ComputerNameDnsHostname, wname, &len))
		to_utf8(wname, h->hostname, sizeof h->hostname);
	/* GetVersionEx answers what the manifest claims; ntdll tells the truth */
	memset(&vi, 0, sizeof vi);
	vi.dwOSVersionInfoSize = sizeof vi;
	rgv = ntdll ? (rtl_get_version_fn)(void (*)(void))GetProcAddress(ntdll, "RtlGetVersion") : NULL;
	if (!rgv || rgv(&vi) != 0)
		GetVersionExW(&vi);
	reg_string(HKEY_LOCAL_MACHINE, "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "ProductName", product,
	           sizeof product);
	wd_os_name(product, vi.dwMajorVersion, vi.dwMinorVersion, vi.dwBuildNumber, h->os, sizeof h->os, h->kernel,
	           sizeof h->kernel);
	GetNativeSystemInfo(&si);
	snprintf(h->arch, sizeof h->arch, "%s",
	         si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64   ? "AMD64"
	         : si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64 ? "ARM64"
	         : si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_INTEL ? "x86"
	                                                                     : "unknown");
	reg_string(HKEY_LOCAL_MACHINE, "HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0", "ProcessorNameString",
	           h->cpu_model, sizeof h->cpu_model);
	return PORT_OK;
}

int port_gpu_list(struct port_gpu *g, int max, int *n)
{
	*n = 0;
	if (!win_nvml_loaded())
		return PORT_ENOTAVAIL;
	return win_nvml_list(g, max, n);
}

const char *port_gpu_backend(void)
{
	return win_nvml_loaded() ? "nvml" : "none";
}

/* The shutdown privilege is held but disabled in a normal token: enable it,
 * then ask for the restart or power-off (a 0 s timeout, applications forced,
 * a planned "maintenance" reason). */
int port_power(enum port_power what, char *err, size_t errlen)
{
	HANDLE tok;
	TOKEN_PRIVILEGES tp;
	DWORD e;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok)) {
		snprintf(err, errlen, "OpenProcessToken failed (error %lu)", GetLastError());
		return PORT_EIO;
	}
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	if (!LookupPrivilegeValueA(NULL, "SeShutdownPrivilege", &tp.Privileges[0].Luid) ||
	    !AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL) || GetLastError() == ERROR_NOT_ALL_ASSIGNED) {
		e = GetLastError();
		CloseHandle(tok);
		snprintf(err, errlen, "no shutdown privilege (error %lu)", e);
		return PORT_EIO;
	}
	CloseHandle(tok);
	if (!InitiateSystemShutdownExA(NULL, NULL, 0, TRUE, what == PORT_POWER_REBOOT,
	                               SHTDN_REASON_MAJOR_OTHER | SHTDN_REASON_MINOR_MAINTENANCE |
	                                   SHTDN_REASON_FLAG_PLANNED)) {
		snprintf(err, errlen, "InitiateSystemShutdownEx failed (error %lu)", GetLastError());
		return PORT_EIO;
	}
	return PORT_OK;
}
