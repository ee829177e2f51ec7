/* posix.c — port.h's stop signal, waiting and TCP sockets over POSIX (poll,
 * sigaction, BSD sockets), shared by the Linux and BSD ports. Only the
 * resolver allocates; everything else is a system call on the caller's
 * memory. */
#include "port/port.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0 /* SO_NOSIGPIPE is set on the socket instead (BSD) */
#endif

_Static_assert(sizeof(struct sockaddr_storage) <= PORT_ADDR_MAX, "port_addr too small");

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

void port_stop_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int port_stop_requested(void)
{
	return (int)stop_signal;
}

int port_wait(int fd, unsigned events, unsigned timeout_ms, unsigned *ready, int *os_err)
{
	struct pollfd p = {fd, 0, 0};
	int rc;
	*ready = 0;
	if (events & PORT_WAIT_READ)
		p.events |= POLLIN;
	if (events & PORT_WAIT_WRITE)
		p.events |= POLLOUT;
	rc = poll(&p, fd >= 0 ? 1 : 0, timeout_ms > 0x7fffffffu ? 0x7fffffff : (int)timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return PORT_OK;
		*os_err = errno;
		return PORT_EIO;
	}
	/* An error or hang-up is reported as ready: the next call says which. */
	if (p.revents & (POLLIN | POLLERR | POLLHUP))
		*ready |= events & PORT_WAIT_READ;
	if (p.revents & (POLLOUT | POLLERR | POLLHUP))
		*ready |= events & PORT_WAIT_WRITE;
	return PORT_OK;
}

int port_waitv(struct port_pollfd *p, unsigned n, unsigned timeout_ms, int *os_err)
{
	struct pollfd q[PORT_WAITV_MAX];
	nfds_t m = 0;
	unsigned map[PORT_WAITV_MAX];
	int rc;
	if (n > PORT_WAITV_MAX)
		return PORT_ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		p[i].ready = 0;
		if (p[i].fd < 0 || !p[i].events)
			continue;
		q[m].fd = p[i].fd;
		q[m].events = (short)((p[i].events & PORT_WAIT_READ ? POLLIN : 0) |
		                      (p[i].events & PORT_WAIT_WRITE ? POLLOUT : 0));
		q[m].revents = 0;
		map[m++] = i;
	}
	rc = poll(q, m, timeout_ms > 0x7fffffffu ? 0x7fffffff : (int)timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return PORT_OK;
		*os_err = errno;
		return PORT_EIO;
	}
	for (nfds_t k = 0; k < m; k++) {
		struct port_pollfd *e = &p[map[k]];
		if (q[k].revents & (POLLIN | POLLERR | POLLHUP))
			e->ready |= e->events & PORT_WAIT_READ;
		if (q[k].revents & (POLLOUT | POLLERR | POLLHUP))
			e->ready |= e->events & PORT_WAIT_WRITE;
	}
	return PORT_OK;
}

/* ---- addresses ---------------------------------------------------------- */

int port_addr_resolve(const char *host, unsigned port, struct port_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int rc;

	memset(a, 0, sizeof(*a));
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc == EAI_NONAME
#ifdef EAI_ADDRFAMILY
	    || rc == EAI_ADDRFAMILY
#endif
#ifdef EAI_NODATA
	    || rc == EAI_NODATA
#endif
	) {
		/* AI_ADDRCONFIG hides ::1/127.0.0.1 on hosts without that family */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, ps, &hints, &res);
	}
	if (rc != 0 || !res || res->ai_addrlen > sizeof(a->u.b)) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return PORT_ERESOLVE;
	}
	memcpy(a->u.b, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return PORT_OK;
}

/* ---- sockets ------------------------------------------------------------ */

int port_sock_setup(int fd, int *os_err)
{
	int one = 1, fl = fcntl(fd, F_GETFL, 0);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
#ifdef SO_NOSIGPIPE
	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
	/* small JSON messages: no Nagle delay (fails harmlessly on non-TCP) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return PORT_OK;
}

int port_sock_connect(const struct port_addr *a, int *fd, int *os_err)
{
	const struct sockaddr *sa = (const struct sockaddr *)(const void *)a->u.b;

	*fd = -1;
	if (a->len == 0) {
		*os_err = EINVAL;
		return PORT_EIO;
	}
	*fd = socket(sa->sa_family, SOCK_STREAM, 0);
	if (*fd < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	if (port_sock_setup(*fd, os_err) != PORT_OK)
		return PORT_EIO;
	if (connect(*fd, sa, (socklen_t)a->len) == 0)
		return PORT_OK;
	if (errno != EINPROGRESS && errno != EINTR) {
		*os_err = errno;
		return PORT_EIO;
	}
	return PORT_EAGAIN;
}

int port_sock_connected(int fd, int *os_err)
{
	struct pollfd p = {fd, POLLOUT, 0};
	int e = 0, rc;
	socklen_t el = sizeof e;
	do
		rc = poll(&p, 1, 0);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return PORT_EAGAIN;
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
		*os_err = rc < 0 || e == 0 ? errno : e;
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_sock_listen(const char *host, unsigned port, int backlog, int *fd, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8];
	int rc, e = 0, any = !(host && *host);

	*fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(any ? NULL : host, ps, &hints, &res);
	if (rc != 0 && any) {
		hints.ai_family = AF_INET; /* no IPv6 on this host */
		rc = getaddrinfo(NULL, ps, &hints, &res);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", any ? "*" : host, gai_strerror(rc));
		return PORT_ERESOLVE;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, zero = 0;
		*fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (*fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ai->ai_family == AF_INET6)
			setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		if (port_sock_setup(*fd, &e) == PORT_OK && bind(*fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(*fd, backlog > 0 ? backlog : 128) == 0)
			break;
		e = errno;
		close(*fd);
		*fd = -1;
	}
	freeaddrinfo(res);
	if (*fd < 0) {
		snprintf(err, errlen, "cannot listen on port %u: %s", port, strerror(e));
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_sock_accept(int listen_fd, int *fd, int *os_err)
{
	do
		*fd = accept(listen_fd, NULL, NULL);
	while (*fd < 0 && errno == EINTR);
	if (*fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
			return PORT_EAGAIN;
		*os_err = errno;
		return PORT_EIO;
	}
	if (port_sock_setup(*fd, os_err) != PORT_OK) {
		close(*fd);
		*fd = -1;
		return PORT_EIO;
	}
	return PORT_OK;
}

/* A recv/send result in the port's terms (errno read right after the call). */
static int io_result(ssize_t r, size_t *n, int *os_err)
{
	*n = r > 0 ? (size_t)r : 0;
	if (r >= 0)
		return PORT_OK;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return PORT_EAGAIN;
	*os_err = errno;
	return PORT_EIO;
}

int port_sock_recv(int fd, void *buf, size_t len, size_t *n, int *os_err)
{
	ssize_t r;
	do
		r = recv(fd, buf, len, 0);
	while (r < 0 && errno == EINTR);
	return io_result(r, n, os_err);
}

int port_sock_send(int fd, const void *buf, size_t len, size_t *n, int *os_err)
{
	ssize_t r;
	do
		r = send(fd, buf, len, SEND_FLAGS);
	while (r < 0 && errno == EINTR);
	return io_result(r, n, os_err);
}

int port_sock_shutdown(int fd, int *os_err)
{
	if (shutdown(fd, SHUT_WR) == 0)
		return PORT_OK;
	*os_err = errno;
	return PORT_EIO;
}

void port_sock_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

const char *port_strerror(int os_err, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", strerror(os_err));
	return buf;
}

int port_sock_peer(int fd, char *buf, size_t cap, int *os_err)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	const void *a = NULL;
	char t[INET6_ADDRSTRLEN];
	int fam;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
		*os_err = errno;
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
		*os_err = a ? errno : EAFNOSUPPORT;
		return PORT_EIO;
	}
	if (strlen(t) >= cap)
		return PORT_ENOSPC;
	memcpy(buf, t, strlen(t) + 1);
	return PORT_OK;
}
