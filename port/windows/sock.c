/* sock.c — port.h's waiting, TCP and UDP over Winsock 2. A SOCKET is a
 * kernel handle value, small in practice, carried in port.h's int; select()
 * does the waiting (only sockets can be waited on, which is all the agent
 * waits on here). Error numbers are WSAGetLastError()'s. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "port/port.h"
#include "port/windows/win.h"

_Static_assert(sizeof(struct sockaddr_storage) <= PORT_ADDR_MAX, "port_addr too small");

static int wsa_up;

int win_sock_init(void)
{
	WSADATA d;
	if (!wsa_up && WSAStartup(MAKEWORD(2, 2), &d) == 0)
		wsa_up = 1;
	return wsa_up ? PORT_OK : PORT_EIO;
}

void win_sock_fini(void)
{
	if (wsa_up)
		WSACleanup();
	wsa_up = 0;
}

#define S(fd) ((SOCKET)(uintptr_t)(unsigned)(fd))

static struct timeval tv_of(unsigned ms)
{
	struct timeval tv = {(long)(ms / 1000u), (long)(ms % 1000u) * 1000L};
	return tv;
}

int port_waitv(struct port_pollfd *p, unsigned n, unsigned timeout_ms, int *os_err)
{
	fd_set r, w, x;
	struct timeval tv = tv_of(timeout_ms);
	unsigned m = 0;
	int rc;
	if (n > PORT_WAITV_MAX)
		return PORT_ENOSPC;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	for (unsigned i = 0; i < n; i++) {
		p[i].ready = 0;
		if (p[i].fd < 0 || !p[i].events)
			continue;
		if (p[i].events & PORT_WAIT_READ)
			FD_SET(S(p[i].fd), &r);
		if (p[i].events & PORT_WAIT_WRITE)
			FD_SET(S(p[i].fd), &w);
		FD_SET(S(p[i].fd), &x); /* a failed connect shows only here */
		m++;
	}
	if (m == 0) { /* Winsock's select refuses empty sets */
		Sleep(timeout_ms);
		return PORT_OK;
	}
	rc = select(0, &r, &w, &x, &tv);
	if (rc == SOCKET_ERROR) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	for (unsigned i = 0; i < n; i++) {
		int err;
		if (p[i].fd < 0 || !p[i].events)
			continue;
		err = FD_ISSET(S(p[i].fd), &x);
		/* an error is reported as ready: the next call says which */
		if (FD_ISSET(S(p[i].fd), &r) || err)
			p[i].ready |= p[i].events & PORT_WAIT_READ;
		if (FD_ISSET(S(p[i].fd), &w) || err)
			p[i].ready |= p[i].events & PORT_WAIT_WRITE;
	}
	return PORT_OK;
}

int port_wait(int fd, unsigned events, unsigned timeout_ms, unsigned *ready, int *os_err)
{
	struct port_pollfd p = {fd, events, 0};
	int rc = port_waitv(&p, 1, timeout_ms, os_err);
	*ready = p.ready;
	return rc;
}

/* ---- addresses ---- */
int port_addr_resolve(const char *host, unsigned port, struct port_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int rc;
	memset(a, 0, sizeof(*a));
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0 || !res || res->ai_addrlen > sizeof(a->u.b)) {
		char why[128];
		snprintf(err, errlen, "cannot resolve %s: %s", host, rc ? port_strerror(rc, why, sizeof why) : "no address");
		if (res)
			freeaddrinfo(res);
		return PORT_ERESOLVE;
	}
	memcpy(a->u.b, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return PORT_OK;
}

/* ---- TCP ---- */
int port_sock_setup(int fd, int *os_err)
{
	u_long nb = 1;
	BOOL one = TRUE;
	if (ioctlsocket(S(fd), FIONBIO, &nb) != 0) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	/* children must not inherit the link (CreateProcess with inheritance) */
	SetHandleInformation((HANDLE)S(fd), HANDLE_FLAG_INHERIT, 0);
	setsockopt(S(fd), IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
	return PORT_OK;
}

static int new_socket(int family, int type, int *fd, int *os_err)
{
	SOCKET s = WSASocketW(family, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (s == INVALID_SOCKET)
		s = socket(family, type, 0); /* before Windows 7 SP1: no NO_HANDLE_INHERIT */
	if (s == INVALID_SOCKET || s > 0x7fffffff) {
		*os_err = s == INVALID_SOCKET ? WSAGetLastError() : WSAEMFILE;
		if (s != INVALID_SOCKET)
			closesocket(s);
		*fd = -1;
		return PORT_EIO;
	}
	*fd = (int)s;
	return PORT_OK;
}

int port_sock_connect(const struct port_addr *a, int *fd, int *os_err)
{
	const struct sockaddr *sa = (const struct sockaddr *)(const void *)a->u.b;
	*fd = -1;
	if (a->len == 0) {
		*os_err = WSAEINVAL;
		return PORT_EIO;
	}
	if (new_socket(sa->sa_family, SOCK_STREAM, fd, os_err) != PORT_OK)
		return PORT_EIO;
	if (port_sock_setup(*fd, os_err) != PORT_OK)
		return PORT_EIO;
	if (connect(S(*fd), sa, (int)a->len) == 0)
		return PORT_OK;
	if (WSAGetLastError() != WSAEWOULDBLOCK) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	return PORT_EAGAIN;
}

int port_sock_connected(int fd, int *os_err)
{
	fd_set w, x;
	struct timeval tv = {0, 0};
	int e = 0, el = sizeof e, rc;
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(S(fd), &w);
	FD_SET(S(fd), &x);
	rc = select(0, NULL, &w, &x, &tv);
	if (rc == 0)
		return PORT_EAGAIN;
	if (rc == SOCKET_ERROR) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	if (FD_ISSET(S(fd), &x) || !FD_ISSET(S(fd), &w)) {
		if (getsockopt(S(fd), SOL_SOCKET, SO_ERROR, (char *)&e, &el) != 0 || e == 0)
			e = WSAECONNREFUSED;
		*os_err = e;
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_sock_listen(const char *host, unsigned port, int backlog, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8], why[128];
	int rc, e = 0, any = !(host && *host);
	*fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(any ? NULL : host, ps, &hints, &res);
	if (rc != 0 && any) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(NULL, ps, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", any ? "*" : host, port_strerror(rc, why, sizeof why));
		return PORT_ERESOLVE;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		DWORD zero = 0;
		BOOL one = TRUE;
		if (new_socket(ai->ai_family, ai->ai_socktype, fd, &e) != PORT_OK)
			continue;
		/* SO_EXCLUSIVEADDRUSE, not SO_REUSEADDR: on Windows the latter lets
		 * another program take the port over */
		setsockopt(S(*fd), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one);
		if (ai->ai_family == AF_INET6)
			setsockopt(S(*fd), IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&zero, sizeof zero);
		if (port_sock_setup(*fd, &e) == PORT_OK && bind(S(*fd), ai->ai_addr, (int)ai->ai_addrlen) == 0 &&
		    listen(S(*fd), backlog > 0 ? backlog : SOMAXCONN) == 0)
			break;
		e = WSAGetLastError();
		closesocket(S(*fd));
		*fd = -1;
	}
	freeaddrinfo(res);
	if (*fd < 0) {
		snprintf(err, errlen, "cannot listen on port %u: %s", port, port_strerror(e, why, sizeof why));
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_sock_accept(int listen_fd, int *fd, int *os_err)
{
	SOCKET s = accept(S(listen_fd), NULL, NULL);
	*fd = -1;
	if (s == INVALID_SOCKET) {
		int e = WSAGetLastError();
		if (e == WSAEWOULDBLOCK || e == WSAECONNRESET)
			return PORT_EAGAIN;
		*os_err = e;
		return PORT_EIO;
	}
	*fd = (int)s;
	if (port_sock_setup(*fd, os_err) != PORT_OK) {
		closesocket(s);
		*fd = -1;
		return PORT_EIO;
	}
	return PORT_OK;
}

static int io_result(int r, size_t *n, int *os_err)
{
	int e;
	*n = r > 0 ? (size_t)r : 0;
	if (r >= 0)
		return PORT_OK;
	e = WSAGetLastError();
	if (e == WSAEWOULDBLOCK)
		return PORT_EAGAIN;
	*os_err = e;
	return PORT_EIO;
}

int port_sock_recv(int fd, void *buf, size_t len, size_t *n, int *os_err)
{
	return io_result(recv(S(fd), buf, len > 0x7fffffff ? 0x7fffffff : (int)len, 0), n, os_err);
}

int port_sock_send(int fd, const void *buf, size_t len, size_t *n, int *os_err)
{
	return io_result(send(S(fd), buf, len > 0x7fffffff ? 0x7fffffff : (int)len, 0), n, os_err);
}

int port_sock_shutdown(int fd, int *os_err)
{
	if (shutdown(S(fd), SD_SEND) == 0)
		return PORT_OK;
	*os_err = WSAGetLastError();
	return PORT_EIO;
}

void port_sock_close(int fd)
{
	if (fd >= 0)
		closesocket(S(fd));
}

const char *port_strerror(int os_err, char *buf, size_t cap)
{
	char t[256];
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)os_err,
	                         MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), t, sizeof t, NULL);
	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == '.'))
		t[--n] = '\0';
	if (n == 0)
		snprintf(buf, cap, "error %d", os_err);
	else
		snprintf(buf, cap, "%s (%d)", t, os_err);
	return buf;
}

int port_sock_peer(int fd, char *buf, size_t cap, int *os_err)
{
	struct sockaddr_storage ss;
	int sl = sizeof ss, fam;
	const void *a = NULL;
	char t[INET6_ADDRSTRLEN];
	if (getpeername(S(fd), (struct sockaddr *)&ss, &sl) != 0) {
		*os_err = WSAGetLastError();
		return PORT_EIO;
	}
	fam = ss.ss_family;
	if (fam == AF_INET) {
		a = &((const struct sockaddr_in *)&ss)->sin_addr;
	} else if (fam == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
		a = a6;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			fam = AF_INET;
			a = a6->s6_addr + 12;
		}
	}
	if (!a || !inet_ntop(fam, a, t, sizeof t)) {
		*os_err = a ? WSAGetLastError() : WSAEAFNOSUPPORT;
		return PORT_EIO;
	}
	if (strlen(t) >= cap)
		return PORT_ENOSPC;
	memcpy(buf, t, strlen(t) + 1);
	return PORT_OK;
}

/* ---- UDP (stability test) ---- */
int port_udp_open(const struct port_addr *to, int *fd, int *os_err)
{
	const struct sockaddr *sa = (const struct sockaddr *)(const void *)to->u.b;
	u_long nb = 1;
	*fd = -1;
	if (to->len == 0) {
		*os_err = WSAEINVAL;
		return PORT_EIO;
	}
	if (new_socket(sa->sa_family, SOCK_DGRAM, fd, os_err) != PORT_OK)
		return PORT_EIO;
	if (ioctlsocket(S(*fd), FIONBIO, &nb) != 0) {
		*os_err = WSAGetLastError();
		closesocket(S(*fd));
		*fd = -1;
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_udp_send(int fd, const struct port_addr *to, const void *buf, size_t len, int *os_err)
{
	int r = sendto(S(fd), buf, (int)len, 0, (const struct sockaddr *)(const void *)to->u.b, (int)to->len);
	if (r >= 0)
		return PORT_OK;
	if (WSAGetLastError() == WSAEWOULDBLOCK)
		return PORT_EAGAIN;
	*os_err = WSAGetLastError();
	return PORT_EIO;
}

int port_udp_recv(int fd, void *buf, size_t cap, size_t *n, struct port_addr *from, int *os_err)
{
	int fl = (int)sizeof(from->u.b), r, e;
	memset(from, 0, sizeof(*from));
	*n = 0;
	r = recvfrom(S(fd), buf, (int)cap, 0, (struct sockaddr *)(void *)from->u.b, &fl);
	if (r < 0) {
		e = WSAGetLastError();
		if (e == WSAEMSGSIZE) { /* cut at cap, as port.h says */
			*n = cap;
			from->len = (size_t)fl;
			return PORT_OK;
		}
		/* an ICMP port unreachable from an earlier send shows here */
		if (e == WSAEWOULDBLOCK || e == WSAECONNRESET)
			return PORT_EAGAIN;
		*os_err = e;
		return PORT_EIO;
	}
	*n = (size_t)r;
	from->len = (size_t)fl;
	return PORT_OK;
}
