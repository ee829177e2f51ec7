/* windows.c — port.h for Windows: start-up, clocks and the stop flag. The
 * readers are in metrics.c (their arithmetic in win_decode.c), Winsock in
 * sock.c, files in file.c, the tray and the message box in ui.c, the
 * service in service.c. */
#include <windows.h>

#include "port/port.h"
#include "port/windows/win.h"

static volatile LONG stop_sig;
int win_as_service;

int port_init(const char *root)
{
	(void)root; /* no /proc to move: MONBOT_ROOT means nothing here */
	win_sock_init();
	win_nvml_open();
	return PORT_OK;
}

void port_fini(void)
{
	win_nvml_close();
	win_sock_fini();
}

const char *port_root(void) { return ""; }
const char *port_name(void) { return "windows"; }

/* ---- clocks: GetTickCount64 never wraps (Vista and later) ---- */
uint64_t port_mono_ms(void)
{
	return GetTickCount64();
}

uint64_t port_mono_us(void)
{
	static LARGE_INTEGER freq; /* constant while the system runs (MSDN) */
	LARGE_INTEGER now;
	if (freq.QuadPart == 0 && !QueryPerformanceFrequency(&freq))
		return GetTickCount64() * 1000u;
	QueryPerformanceCounter(&now);
	return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000u +
	       (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000u / (uint64_t)freq.QuadPart;
}

int64_t port_wall_ms(void)
{
	FILETIME ft;
	ULARGE_INTEGER u;
	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	/* 100 ns since 1601-01-01; 11644473600 s to 1970 */
	return (int64_t)(u.QuadPart / 10000u) - 11644473600000LL;
}

void port_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

/* ---- stop: console events instead of signals ---- */
void win_stop_set(int sig)
{
	InterlockedExchange(&stop_sig, sig);
}

static BOOL WINAPI on_console(DWORD ev)
{
	/* a service is told of every user's log-off: not its own end */
	if (win_as_service && ev == CTRL_LOGOFF_EVENT)
		return TRUE;
	win_stop_set(ev == CTRL_C_EVENT ? 2 : 15);
	/* a close, log-off or shutdown ends the process when this returns:
	 * give the loop a moment to say goodbye */
	if (ev == CTRL_CLOSE_EVENT || ev == CTRL_LOGOFF_EVENT || ev == CTRL_SHUTDOWN_EVENT)
		Sleep(2000);
	return TRUE;
}

void port_stop_install(void)
{
	SetConsoleCtrlHandler(on_console, TRUE);
}

int port_stop_requested(void)
{
	return (int)InterlockedCompareExchange(&stop_sig, 0, 0);
}
