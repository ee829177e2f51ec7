/* service.c — the agent as a Windows service, for hosts nobody logs into:
 * --install-service registers this .exe (started automatically at boot as
 * LocalSystem, with --service), --remove-service stops and deletes it. A
 * service starts in System32: --service moves to the .exe's folder first,
 * so .env and the spool sit beside it as they do for a console run. The
 * service manager's stop and the system's shutdown set the stop flag. */
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/windows/win.h"

#define SVC_NAME "MonitoringBotAgent"
#define SVC_DISPLAY "MonitoringBot agent"
#define SVC_ARGS_MAX 32
#define SVC_LOG "monbot-agent.log"

static struct {
	SERVICE_STATUS_HANDLE h;
	SERVICE_STATUS st;
	int (*prog_main)(int, char **);
	int argc;
	char *argv[SVC_ARGS_MAX + 1];
	int rc;
} svc;

static void svc_report(DWORD state, DWORD code)
{
	svc.st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	svc.st.dwCurrentState = state;
	svc.st.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
	svc.st.dwWin32ExitCode = code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
	svc.st.dwServiceSpecificExitCode = code;
	svc.st.dwWaitHint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : 10000;
	SetServiceStatus(svc.h, &svc.st);
}

static DWORD WINAPI svc_ctrl(DWORD ctl, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)type; (void)data; (void)ctx;
	if (ctl == SERVICE_CONTROL_STOP || ctl == SERVICE_CONTROL_SHUTDOWN) {
		svc_report(SERVICE_STOP_PENDING, 0);
		win_stop_set(15);
		return NO_ERROR;
	}
	return ctl == SERVICE_CONTROL_INTERROGATE ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI svc_main(DWORD argc, LPSTR *argv)
{
	(void)argc; (void)argv;
	svc.h = RegisterServiceCtrlHandlerExA(SVC_NAME, svc_ctrl, NULL);
	if (!svc.h)
		return;
	svc_report(SERVICE_RUNNING, 0);
	svc.rc = svc.prog_main(svc.argc, svc.argv);
	svc_report(SERVICE_STOPPED, (DWORD)svc.rc);
}

/* A service has no standard handles: the C runtime marks stderr's stream
 * as having no descriptor (-2) and freopen() on it fails. The log file
 * becomes descriptor 2 and the stream is pointed back at it, so the agent's
 * log lines land beside the .exe. */
static void svc_log(void)
{
	HANDLE h = CreateFileA(SVC_LOG, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
	                       FILE_ATTRIBUTE_NORMAL, NULL);
	int fd;
	if (h == INVALID_HANDLE_VALUE)
		return;
	fd = _open_osfhandle((intptr_t)h, _O_APPEND | _O_WRONLY);
	if (fd < 0) {
		CloseHandle(h);
		return;
	}
	if (fd != 2) {
		_dup2(fd, 2);
		_close(fd);
	}
	stderr->_file = 2;
	setvbuf(stderr, NULL, _IONBF, 0);
}

static int exe_path(char *buf, size_t cap)
{
	DWORD n = GetModuleFileNameA(NULL, buf, (DWORD)cap);
	return n > 0 && n < cap ? 0 : -1;
}

static int svc_install(void)
{
	char exe[MAX_PATH], cmd[MAX_PATH + 32];
	SC_HANDLE m, s;
	SERVICE_DESCRIPTIONA d = {"Sends this host's metrics to the MonitoringBot server."};
	if (exe_path(exe, sizeof exe) < 0)
		return 1;
	snprintf(cmd, sizeof cmd, "\"%s\" --service", exe);
	m = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
	if (!m) {
		fprintf(stderr, "monbot-agent: cannot open the service manager (error %lu; run as administrator)\n",
		        GetLastError());
		return 1;
	}
	s = CreateServiceA(m, SVC_NAME, SVC_DISPLAY, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
	                   SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL, NULL, NULL);
	if (!s) {
		DWORD e = GetLastError();
		CloseServiceHandle(m);
		fprintf(stderr, "monbot-agent: cannot install the service %s (error %lu%s)\n", SVC_NAME, e,
		        e == ERROR_SERVICE_EXISTS ? ": already installed" : "");
		return 1;
	}
	ChangeServiceConfig2A(s, SERVICE_CONFIG_DESCRIPTION, &d);
	CloseServiceHandle(s);
	CloseServiceHandle(m);
	printf("service %s installed: %s\n(.env beside the .exe is read; start it with 'sc start %s')\n", SVC_NAME,
	       cmd, SVC_NAME);
	return 0;
}

static int svc_remove(void)
{
	SERVICE_STATUS st;
	SC_HANDLE m = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT), s;
	if (!m) {
		fprintf(stderr, "monbot-agent: cannot open the service manager (error %lu)\n", GetLastError());
		return 1;
	}
	s = OpenServiceA(m, SVC_NAME, SERVICE_STOP | DELETE | SERVICE_QUERY_STATUS);
	if (!s) {
		DWORD e = GetLastError();
		CloseServiceHandle(m);
		fprintf(stderr, "monbot-agent: no service %s (error %lu)\n", SVC_NAME, e);
		return 1;
	}
	ControlService(s, SERVICE_CONTROL_STOP, &st);
	if (!DeleteService(s)) {
		DWORD e = GetLastError();
		CloseServiceHandle(s);
		CloseServiceHandle(m);
		fprintf(stderr, "monbot-agent: cannot remove the service %s (error %lu)\n", SVC_NAME, e);
		return 1;
	}
	CloseServiceHandle(s);
	CloseServiceHandle(m);
	printf("service %s removed\n", SVC_NAME);
	return 0;
}

int port_main(int argc, char **argv, int (*prog_main)(int, char **))
{
	char exe[MAX_PATH], *slash;
	SERVICE_TABLE_ENTRYA table[] = {{(LPSTR)SVC_NAME, svc_main}, {NULL, NULL}};
	if (argc == 2 && strcmp(argv[1], "--install-service") == 0)
		return svc_install();
	if (argc == 2 && strcmp(argv[1], "--remove-service") == 0)
		return svc_remove();
	if (argc < 2 || strcmp(argv[1], "--service") != 0)
		return prog_main(argc, argv);
	/* started by the service manager: the rest of argv goes to the agent */
	if (exe_path(exe, sizeof exe) == 0 && (slash = strrchr(exe, '\\')) != NULL) {
		*slash = '\0';
		SetCurrentDirectoryA(exe);
	}
	svc_log();
	svc.prog_main = prog_main;
	svc.argv[svc.argc++] = argv[0];
	for (int i = 2; i < argc && svc.argc < SVC_ARGS_MAX; i++)
		svc.argv[svc.argc++] = argv[i];
	svc.argv[svc.argc] = NULL;
	win_as_service = 1;
	if (!StartServiceCtrlDispatcherA(table)) {
		fprintf(stderr, "monbot-agent: --service is for the service manager (error %lu)\n", GetLastError());
		return 1;
	}
	return svc.rc;
}
