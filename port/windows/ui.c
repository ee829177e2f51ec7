/* ui.c — the original agent's Windows extras on the desktop: a
 * notification-area icon (the AGENT_ICON_FILE PNG; a double click shows or
 * hides the console, its menu has the same and Exit) and the message box of
 * a pinning mismatch (SPEC §4). The icon runs on a thread of its own with
 * its own message loop, so the agent's loop never waits on the shell; Exit
 * sets the same stop flag as Ctrl-C. */
#include <windows.h>
#include <shellapi.h>

#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/windows/win.h"

#define TRAY_MSG (WM_APP + 1)
#define ID_TOGGLE 1
#define ID_EXIT 2
#define ICON_MAX (256u * 1024u)

static struct {
	HANDLE thread;
	DWORD thread_id;
	HWND wnd;
	HICON icon;
	NOTIFYICONDATAW nid;
	char file[PORT_PATH_MAX];
	char tip[64];
	HANDLE ready; /* set once the icon is up or has failed */
	int ok;
	unsigned char png[ICON_MAX];
} tray;

/* A relative file name is taken beside the .exe, not in the working folder
 * (the original looked beside its script). */
static void beside_exe(const char *name, char *out, size_t cap)
{
	char exe[MAX_PATH];
	DWORD n = GetModuleFileNameA(NULL, exe, sizeof exe);
	char *slash;
	if (name[0] == '\\' || name[0] == '/' || (name[0] && name[1] == ':') || n == 0 || n >= sizeof exe) {
		snprintf(out, cap, "%s", name);
		return;
	}
	slash = strrchr(exe, '\\');
	if (slash)
		slash[1] = '\0';
	snprintf(out, cap, "%s%s", slash ? exe : "", name);
}

/* The PNG as an icon: CreateIconFromResourceEx takes PNG data as it is
 * (Vista and later, the format of large .ico entries). */
static HICON icon_load(const char *file)
{
	HANDLE f = CreateFileA(file, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	DWORD got = 0;
	HICON ic = NULL;
	if (f == INVALID_HANDLE_VALUE)
		return NULL;
	if (ReadFile(f, tray.png, ICON_MAX, &got, NULL) && got > 8 && got < ICON_MAX &&
	    memcmp(tray.png, "\x89PNG\r\n\x1a\n", 8) == 0)
		ic = CreateIconFromResourceEx(tray.png, got, TRUE, 0x00030000, 0, 0, LR_DEFAULTCOLOR);
	CloseHandle(f);
	return ic;
}

/* MONBOT_TRAY_FILE (tests): what the icon came to, written once it is up
 * or has failed: the file it was read from, "loaded WxH" or "stock icon",
 * then "shown" or "not shown" (a headless wine has no notification area,
 * but decodes the PNG as Windows does). */
static void tray_report(int shown)
{
	char hook[PORT_PATH_MAX];
	DWORD n = GetEnvironmentVariableA("MONBOT_TRAY_FILE", hook, sizeof hook);
	ICONINFO ii;
	BITMAP bm;
	FILE *f;
	if (n == 0 || n >= sizeof hook || !(f = fopen(hook, "w")))
		return;
	fprintf(f, "%s\n", tray.file);
	if (tray.icon && GetIconInfo(tray.icon, &ii)) {
		if (GetObjectW(ii.hbmColor ? ii.hbmColor : ii.hbmMask, sizeof bm, &bm))
			fprintf(f, "loaded %ldx%ld\n", bm.bmWidth, bm.bmHeight);
		else
			fprintf(f, "loaded\n");
		if (ii.hbmColor)
			DeleteObject(ii.hbmColor);
		if (ii.hbmMask)
			DeleteObject(ii.hbmMask);
	} else {
		fprintf(f, "stock icon\n");
	}
	fprintf(f, "%s\n", shown ? "shown" : "not shown");
	fclose(f);
}

static void console_toggle(void)
{
	HWND c = GetConsoleWindow();
	if (!c)
		return;
	if (IsWindowVisible(c)) {
		ShowWindow(c, SW_HIDE);
	} else {
		ShowWindow(c, SW_RESTORE);
		SetForegroundWindow(c);
	}
}

static void menu_show(HWND w)
{
	POINT pt;
	HMENU m = CreatePopupMenu();
	if (!m)
		return;
	AppendMenuW(m, MF_STRING, ID_TOGGLE, L"Show/hide console");
	AppendMenuW(m, MF_STRING, ID_EXIT, L"Exit");
	SetMenuDefaultItem(m, ID_TOGGLE, FALSE);
	GetCursorPos(&pt);
	SetForegroundWindow(w); /* else the menu does not close on a click elsewhere */
	TrackPopupMenu(m, TPM_RIGHTBUTTON, pt.x, pt.y, 0, w, NULL);
	DestroyMenu(m);
}

static UINT taskbar_created; /* explorer (re)started: icons are gone */

static LRESULT CALLBACK tray_proc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	if (taskbar_created && msg == taskbar_created) {
		Shell_NotifyIconW(NIM_ADD, &tray.nid);
		return 0;
	}
	switch (msg) {
	case TRAY_MSG:
		if (LOWORD(lp) == WM_LBUTTONDBLCLK)
			console_toggle();
		else if (LOWORD(lp) == WM_RBUTTONUP || LOWORD(lp) == WM_CONTEXTMENU)
			menu_show(w);
		return 0;
	case WM_COMMAND:
		if (LOWORD(wp) == ID_TOGGLE)
			console_toggle();
		else if (LOWORD(wp) == ID_EXIT) {
			win_stop_set(15);
			DestroyWindow(w);
		}
		return 0;
	case WM_DESTROY:
		Shell_NotifyIconW(NIM_DELETE, &tray.nid);
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcW(w, msg, wp, lp);
}

static DWORD WINAPI tray_main(LPVOID arg)
{
	WNDCLASSW wc;
	MSG m;
	(void)arg;
	memset(&wc, 0, sizeof wc);
	wc.lpfnWndProc = tray_proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.lpszClassName = L"MonitoringBotTray";
	tray.icon = icon_load(tray.file);
	taskbar_created = RegisterWindowMessageW(L"TaskbarCreated");
	if (!RegisterClassW(&wc) ||
	    !(tray.wnd = CreateWindowExW(0, wc.lpszClassName, L"MonitoringBot", 0, 0, 0, 0, 0, NULL, NULL, wc.hInstance,
	                                 NULL)))
		goto fail;
	memset(&tray.nid, 0, sizeof tray.nid);
	tray.nid.cbSize = sizeof tray.nid;
	tray.nid.hWnd = tray.wnd;
	tray.nid.uID = 1;
	tray.nid.uFlags = NIF_ICON | NIF_MESSAGE | NIF_TIP;
	tray.nid.uCallbackMessage = TRAY_MSG;
	/* no readable PNG: the stock application icon, as the original drew a
	 * plain square */
	tray.nid.hIcon = tray.icon ? tray.icon : LoadIconW(NULL, (LPCWSTR)IDI_APPLICATION);
	MultiByteToWideChar(CP_UTF8, 0, tray.tip, -1, tray.nid.szTip, 64);
	if (!Shell_NotifyIconW(NIM_ADD, &tray.nid)) {
		DestroyWindow(tray.wnd);
		goto fail;
	}
	tray.ok = 1;
	tray_report(1);
	SetEvent(tray.ready);
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	return 0;
fail:
	tray.ok = 0;
	tray_report(0);
	SetEvent(tray.ready);
	return 1;
}

int port_tray_start(const char *icon_file, const char *tip)
{
	if (win_as_service || tray.thread)
		return PORT_ENOTAVAIL;
	beside_exe(icon_file && *icon_file ? icon_file : "icon.png", tray.file, sizeof tray.file);
	snprintf(tray.tip, sizeof tray.tip, "%s", tip ? tip : "MonitoringBot");
	tray.ready = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!tray.ready)
		return PORT_EIO;
	tray.thread = CreateThread(NULL, 64 * 1024, tray_main, NULL, 0, &tray.thread_id);
	if (!tray.thread)
		return PORT_EIO;
	/* a desktop without a shell answers at once; a slow one gets 5 s */
	WaitForSingleObject(tray.ready, 5000);
	return tray.ok ? PORT_OK : PORT_ENOTAVAIL;
}

void port_tray_stop(void)
{
	if (!tray.thread)
		return;
	if (tray.wnd)
		PostMessageW(tray.wnd, WM_CLOSE, 0, 0);
	WaitForSingleObject(tray.thread, 2000);
	CloseHandle(tray.thread);
	tray.thread = NULL;
	if (tray.icon)
		DestroyIcon(tray.icon);
	tray.icon = NULL;
}

/* MONBOT_ALERT_FILE (tests): the box's title and text go to that file
 * instead of the screen, where a headless wine has no one to click OK. */
void port_alert(const char *title, const char *text)
{
	WCHAR wt[128], wx[1024];
	char hook[PORT_PATH_MAX];
	DWORD n = GetEnvironmentVariableA("MONBOT_ALERT_FILE", hook, sizeof hook);
	if (n > 0 && n < sizeof hook) {
		FILE *f = fopen(hook, "w");
		if (f) {
			fprintf(f, "%s\n%s\n", title, text);
			fclose(f);
		}
		return;
	}
	if (win_as_service)
		return; /* no desktop: the event log line is all */
	if (!MultiByteToWideChar(CP_UTF8, 0, title, -1, wt, 128))
		wt[0] = 0;
	if (!MultiByteToWideChar(CP_UTF8, 0, text, -1, wx, 1024))
		wx[0] = 0;
	MessageBoxW(NULL, wx, wt, MB_OK | MB_ICONERROR | MB_SETFOREGROUND | MB_TOPMOST);
}
