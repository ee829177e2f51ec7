/* child.c — port.h's child processes on Windows (diag's systeminfo, the
 * speed test tools). CreateProcess with stdout and stderr on one pipe,
 * stdin on NUL, no console window, in a job object so that a kill reaches
 * what the child started. select() cannot wait on a pipe: a thread per
 * child copies the pipe into one end of a loopback TCP pair, and the other
 * end is port_child's fd, which port_waitv waits on with the link. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/windows/win_decode.h"

#define KIDS_MAX 4
#define CMD_MAX 8192
#define ENV_MAX 32768

static struct kid {
	long pid;
	HANDLE proc, job, thread, pipe;
	SOCKET out; /* the thread's end */
} kids[KIDS_MAX];
static char cmd[CMD_MAX];
static char envb[ENV_MAX];

static struct kid *kid_of(long pid)
{
	for (int i = 0; i < KIDS_MAX; i++)
		if (kids[i].pid == pid && pid != 0)
			return &kids[i];
	return NULL;
}

/* The agent's environment less the names in drop (case-blind, as Windows
 * compares them). */
static int env_block(const char *const drop[])
{
	char *all = GetEnvironmentStringsA(), *e;
	size_t n = 0;
	if (!all)
		return -1;
	for (e = all; *e; e += strlen(e) + 1) {
		size_t l = strlen(e);
		if (wd_env_dropped(e, drop))
			continue;
		if (n + l + 2 > sizeof envb) {
			FreeEnvironmentStringsA(all);
			return -1;
		}
		memcpy(envb + n, e, l + 1);
		n += l + 1;
	}
	envb[n] = '\0';
	if (n == 0)
		envb[++n] = '\0';
	FreeEnvironmentStringsA(all);
	return 0;
}

/* A connected loopback pair: *rd for the agent (non-blocking), *wr for the
 * copying thread. */
static int sock_pair(SOCKET *rd, SOCKET *wr, int *os_err)
{
	struct sockaddr_in a;
	int al = sizeof a;
	u_long nb = 1;
	SOCKET l = socket(AF_INET, SOCK_STREAM, 0);
	*rd = *wr = INVALID_SOCKET;
	if (l == INVALID_SOCKET)
		goto fail;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) != 0)
		goto fail;
	*wr = socket(AF_INET, SOCK_STREAM, 0);
	if (*wr == INVALID_SOCKET || connect(*wr, (struct sockaddr *)&a, sizeof a) != 0)
		goto fail;
	*rd = accept(l, NULL, NULL);
	if (*rd == INVALID_SOCKET || *rd > 0x7fffffff || ioctlsocket(*rd, FIONBIO, &nb) != 0)
		goto fail;
	SetHandleInformation((HANDLE)*rd, HANDLE_FLAG_INHERIT, 0);
	SetHandleInformation((HANDLE)*wr, HANDLE_FLAG_INHERIT, 0);
	closesocket(l);
	return 0;
fail:
	*os_err = WSAGetLastError();
	if (l != INVALID_SOCKET)
		closesocket(l);
	if (*wr != INVALID_SOCKET)
		closesocket(*wr);
	if (*rd != INVALID_SOCKET)
		closesocket(*rd);
	*rd = *wr = INVALID_SOCKET;
	return -1;
}

static DWORD WINAPI copy_out(LPVOID arg)
{
	struct kid *k = arg;
	char buf[4096];
	DWORD got;
	while (ReadFile(k->pipe, buf, sizeof buf, &got, NULL) && got > 0) {
		for (DWORD off = 0; off < got;) {
			int s = send(k->out, buf + off, (int)(got - off), 0);
			if (s <= 0)
				goto out; /* the agent closed its end */
			off += (DWORD)s;
		}
	}
out:
	shutdown(k->out, SD_SEND);
	closesocket(k->out);
	k->out = INVALID_SOCKET;
	return 0;
}

static void kid_free(struct kid *k)
{
	if (k->thread) {
		WaitForSingleObject(k->thread, 5000);
		CloseHandle(k->thread);
	}
	if (k->pipe)
		CloseHandle(k->pipe);
	if (k->proc)
		CloseHandle(k->proc);
	if (k->job)
		CloseHandle(k->job);
	memset(k, 0, sizeof *k);
}

void port_child_init(struct port_child *c)
{
	c->pid = 0;
	c->fd = -1;
}

int port_child_start(struct port_child *c, const char *const argv[], const char *const drop_env[], int *os_err)
{
	char path[MAX_PATH];
	SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION jl;
	STARTUPINFOA si;
	PROCESS_INFORMATION pi;
	HANDLE wr = NULL, nul = INVALID_HANDLE_VALUE;
	SOCKET rd = INVALID_SOCKET;
	struct kid *k = NULL;
	size_t len = 0;
	int rc = PORT_EIO;

	port_child_init(c);
	*os_err = 0;
	for (int i = 0; i < KIDS_MAX && !k; i++)
		if (kids[i].pid == 0)
			k = &kids[i];
	if (!k) {
		*os_err = ERROR_TOO_MANY_OPEN_FILES;
		return PORT_EIO;
	}
	if (SearchPathA(NULL, argv[0], ".exe", sizeof path, path, NULL) == 0)
		return PORT_ENOTAVAIL;
	for (size_t i = 0; argv[i]; i++)
		if (wd_cmdline_append(cmd, sizeof cmd, &len, argv[i]) != PORT_OK) {
			*os_err = ERROR_INSUFFICIENT_BUFFER;
			return PORT_EIO;
		}
	if (env_block(drop_env) < 0) {
		*os_err = ERROR_INSUFFICIENT_BUFFER;
		return PORT_EIO;
	}
	memset(k, 0, sizeof *k);
	k->out = INVALID_SOCKET;
	nul = CreateFileA("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
	if (nul == INVALID_HANDLE_VALUE || !CreatePipe(&k->pipe, &wr, &sa, 0) ||
	    !SetHandleInformation(k->pipe, HANDLE_FLAG_INHERIT, 0) || !(k->job = CreateJobObjectA(NULL, NULL))) {
		*os_err = (int)GetLastError();
		goto out;
	}
	memset(&jl, 0, sizeof jl);
	jl.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	SetInformationJobObject(k->job, JobObjectExtendedLimitInformation, &jl, sizeof jl);
	if (sock_pair(&rd, &k->out, os_err) < 0)
		goto out;
	memset(&si, 0, sizeof si);
	si.cb = sizeof si;
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = nul;
	si.hStdOutput = si.hStdError = wr;
	if (!CreateProcessA(path, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP,
	                    envb, NULL, &si, &pi)) {
		*os_err = (int)GetLastError();
		goto out;
	}
	AssignProcessToJobObject(k->job, pi.hProcess);
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	k->proc = pi.hProcess;
	k->pid = (long)pi.dwProcessId;
	CloseHandle(wr); /* the child holds the write end now: EOF when it ends */
	wr = NULL;
	k->thread = CreateThread(NULL, 64 * 1024, copy_out, k, 0, NULL);
	if (!k->thread) {
		*os_err = (int)GetLastError();
		TerminateJobObject(k->job, 1);
		goto out;
	}
	c->pid = k->pid;
	c->fd = (int)rd;
	rd = INVALID_SOCKET;
	rc = PORT_OK;
out:
	if (wr)
		CloseHandle(wr);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (rd != INVALID_SOCKET)
		closesocket(rd);
	if (rc != PORT_OK) {
		if (k->out != INVALID_SOCKET)
			closesocket(k->out);
		k->out = INVALID_SOCKET;
		kid_free(k);
		port_child_init(c);
	}
	return rc;
}

int port_child_read(struct port_child *c, void *buf, size_t cap, size_t *n, int *os_err)
{
	int r;
	*n = 0;
	if (c->fd < 0)
		return PORT_OK;
	r = recv((SOCKET)(unsigned)c->fd, buf, cap > 0x7fffffff ? 0x7fffffff : (int)cap, 0);
	if (r > 0) {
		*n = (size_t)r;
		return PORT_OK;
	}
	if (r < 0 && WSAGetLastError() == WSAEWOULDBLOCK)
		return PORT_EAGAIN;
	if (r < 0 && WSAGetLastError() != WSAECONNRESET) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	closesocket((SOCKET)(unsigned)c->fd); /* end of output */
	c->fd = -1;
	return PORT_OK;
}

void port_child_kill(struct port_child *c)
{
	struct kid *k = kid_of(c->pid);
	if (k)
		TerminateJobObject(k->job, 1); /* the child and what it started */
}

int port_child_reap(struct port_child *c, int block, int *code, int *os_err)
{
	struct kid *k = kid_of(c->pid);
	DWORD w, ec = 0;
	*code = -1;
	if (!k) {
		*os_err = ERROR_INVALID_HANDLE;
		return PORT_EIO;
	}
	w = WaitForSingleObject(k->proc, block ? INFINITE : 0);
	if (w == WAIT_TIMEOUT)
		return PORT_EAGAIN;
	if (w != WAIT_OBJECT_0 || !GetExitCodeProcess(k->proc, &ec)) {
		*os_err = (int)GetLastError();
		return PORT_EIO;
	}
	*code = (int)ec;
	/* a grandchild still holding the pipe would keep the copying thread
	 * reading: the job ends it */
	if (WaitForSingleObject(k->thread, 0) == WAIT_TIMEOUT)
		TerminateJobObject(k->job, 1);
	if (c->fd >= 0)
		closesocket((SOCKET)(unsigned)c->fd);
	c->fd = -1;
	kid_free(k);
	c->pid = 0;
	return PORT_OK;
}

int port_child_exists(const char *prog)
{
	char path[MAX_PATH];
	return SearchPathA(NULL, prog, ".exe", sizeof path, path, NULL) ? PORT_OK : PORT_ENOTAVAIL;
}
