/* conn.c — the connection layer's common part: sockets (resolve, listen,
 * non-blocking connect and accept), the plain TCP transport, and the calls
 * that dispatch through a connection's function table to TCP or the TLS
 * back-end. POSIX sockets. */
#include "wire/conn_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0 /* SO_NOSIGPIPE is set on the socket instead */
#endif

void conn_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int sock_setup(int fd)
{
	int one = 1, fl = fcntl(fd, F_GETFL, 0);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
#ifdef SO_NOSIGPIPE
	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
	/* small JSON messages: no Nagle delay (fails harmlessly on non-TCP) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

int conn_resolve(const char *host, unsigned port, struct sockaddr_storage *sa,
                 size_t *salen, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	int rc;

	if (!host || !*host || port == 0 || port > 65535) {
		conn_errf(err, errlen, "bad address %s port %u", host ? host : "(null)", port);
		return CONN_EINVAL;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(host, ps, &hints, &res);
	if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY || rc == EAI_NODATA) {
		/* AI_ADDRCONFIG hides ::1/127.0.0.1 on hosts without that family */
		hints.ai_flags = 0;
		rc = getaddrinfo(host, ps, &hints, &res);
	}
	if (rc != 0 || !res) {
		conn_errf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return CONN_ERESOLVE;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return CONN_OK;
}

int conn_listen(const char *host, unsigned port, int backlog, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8];
	int rc, fd = -1, e = 0;

	if (port > 65535) {
		conn_errf(err, errlen, "bad port %u", port);
		return CONN_EINVAL;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = (host && *host) ? AF_UNSPEC : AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(ps, sizeof ps, "%u", port);
	rc = getaddrinfo(host && *host ? host : NULL, ps, &hints, &res);
	if (rc != 0 && !(host && *host)) {
		hints.ai_family = AF_INET; /* no IPv6 on this host */
		rc = getaddrinfo(NULL, ps, &hints, &res);
	}
	if (rc != 0) {
		conn_errf(err, errlen, "cannot resolve %s: %s", host && *host ? host : "*", gai_strerror(rc));
		return CONN_ERESOLVE;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int one = 1, zero = 0;
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
		if (sock_setup(fd) == 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog > 0 ? backlog : 128) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		conn_errf(err, errlen, "cannot listen on port %u: %s", port, strerror(e));
		return CONN_EIO;
	}
	return fd;
}

void conn_init(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->state = CONN_ST_NONE;
}

/* ---- plain TCP transport ---- */

ssize_t conn_sock_recv(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->want = CONN_WANT_READ;
		return CONN_EAGAIN;
	}
	c->sys_errno = errno;
	return CONN_EIO;
}

ssize_t conn_sock_send(struct conn *c, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(c->fd, buf, len, SEND_FLAGS);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		c->want = CONN_WANT_WRITE;
		return CONN_EAGAIN;
	}
	c->sys_errno = errno;
	return CONN_EIO;
}

static int tcp_handshake(struct conn *c)
{
	(void)c;
	return CONN_OK;
}

static size_t tcp_pending(const struct conn *c)
{
	(void)c;
	return 0;
}

static int tcp_shutdown(struct conn *c)
{
	return shutdown(c->fd, SHUT_WR) == 0 ? CONN_OK : CONN_EIO;
}

static void tcp_free(struct conn *c)
{
	(void)c;
}

static int tcp_peer_hashes(const struct conn *c, uint8_t cert[32], uint8_t spki[32])
{
	(void)c, (void)cert, (void)spki;
	return CONN_EINVAL;
}

static const char *tcp_strerror(const struct conn *c, int rc, char *buf, size_t len)
{
	(void)c, (void)rc;
	snprintf(buf, len, "connection error");
	return buf;
}

static const struct conn_ops tcp_ops = {
	tcp_handshake, conn_sock_recv, conn_sock_send, tcp_pending,
	tcp_shutdown, tcp_free, tcp_peer_hashes, tcp_strerror,
};

/* ---- connection set-up ---- */

/* Entered once the TCP connection exists: TLS or not. */
static int start_transport(struct conn *c)
{
	c->state = CONN_ST_HANDSHAKE;
	if (!c->tls) {
		c->ops = &tcp_ops;
		return CONN_OK;
	}
	return conn_tls_session_start(c);
}

int conn_connect(struct conn *c, struct conn_tls *tls, const struct sockaddr *sa,
                 size_t salen, const char *server_name)
{
	int fd;

	if (c->fd >= 0 || (tls && conn_tls_is_server(tls)))
		return CONN_EINVAL;
	c->tls = tls;
	c->server_name[0] = '\0';
	if (server_name && strlen(server_name) < sizeof c->server_name)
		strcpy(c->server_name, server_name);
	fd = socket(sa->sa_family, SOCK_STREAM, 0);
	if (fd < 0) {
		c->sys_errno = errno;
		return CONN_EIO;
	}
	c->fd = fd;
	if (sock_setup(fd) != 0) {
		c->sys_errno = errno;
		return CONN_EIO;
	}
	if (connect(fd, sa, (socklen_t)salen) == 0)
		return start_transport(c);
	if (errno != EINPROGRESS && errno != EINTR) {
		c->sys_errno = errno;
		return CONN_EIO;
	}
	c->state = CONN_ST_CONNECTING;
	c->want = CONN_WANT_WRITE;
	return CONN_OK;
}

int conn_adopt(struct conn *c, struct conn_tls *tls, int fd)
{
	if (c->fd >= 0 || fd < 0 || (tls && !conn_tls_is_server(tls)))
		return CONN_EINVAL;
	c->fd = fd;
	c->tls = tls;
	if (sock_setup(fd) != 0) {
		c->sys_errno = errno;
		return CONN_EIO;
	}
	return start_transport(c);
}

int conn_accept(struct conn *c, struct conn_tls *tls, int listen_fd)
{
	int fd;

	if (c->fd >= 0 || (tls && !conn_tls_is_server(tls)))
		return CONN_EINVAL; /* before accept(2): no connection is lost */

	do
		fd = accept(listen_fd, NULL, NULL);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) {
			c->want = CONN_WANT_READ;
			return CONN_EAGAIN;
		}
		c->sys_errno = errno;
		return CONN_EIO;
	}
	return conn_adopt(c, tls, fd);
}

int conn_handshake(struct conn *c)
{
	if (c->state == CONN_ST_CONNECTING) {
		struct pollfd p = { c->fd, POLLOUT, 0 };
		int e = 0, rc;
		socklen_t el = sizeof e;
		do
			rc = poll(&p, 1, 0);
		while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			c->want = CONN_WANT_WRITE;
			return CONN_EAGAIN;
		}
		if (rc < 0 || getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e != 0) {
			c->sys_errno = rc < 0 || e == 0 ? errno : e;
			return CONN_EIO;
		}
		rc = start_transport(c);
		if (rc != CONN_OK)
			return rc;
	}
	if (c->state == CONN_ST_HANDSHAKE) {
		int rc = c->ops->handshake(c);
		if (rc == CONN_OK)
			c->state = CONN_ST_OPEN;
		return rc;
	}
	if (c->state == CONN_ST_OPEN)
		return CONN_OK;
	return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
}

ssize_t conn_read(struct conn *c, void *buf, size_t len)
{
	if (c->state != CONN_ST_OPEN)
		return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
	return c->ops->read(c, buf, len);
}

ssize_t conn_write(struct conn *c, const void *buf, size_t len)
{
	if (c->state != CONN_ST_OPEN)
		return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
	if (len == 0)
		return 0;
	return c->ops->write(c, buf, len);
}

int conn_want(const struct conn *c)
{
	return c->want;
}

size_t conn_pending(const struct conn *c)
{
	return c->state == CONN_ST_OPEN ? c->ops->pending(c) : 0;
}

int conn_shutdown(struct conn *c)
{
	if (c->state != CONN_ST_OPEN)
		return CONN_EINVAL;
	return c->ops->shutdown(c);
}

void conn_close(struct conn *c)
{
	if (c->ops)
		c->ops->free(c);
	if (c->fd >= 0)
		close(c->fd);
	c->ops = NULL;
	c->sess = NULL;
	c->fd = -1;
	c->state = CONN_ST_CLOSED;
}

int conn_fd(const struct conn *c)
{
	return c->fd;
}

int conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

int conn_peer_hashes(const struct conn *c, uint8_t cert_sha256[32], uint8_t spki_sha256[32])
{
	if (c->state != CONN_ST_OPEN || !c->ops)
		return CONN_EINVAL;
	return c->ops->peer_hashes(c, cert_sha256, spki_sha256);
}

const char *conn_strerror(const struct conn *c, int rc, char *buf, size_t len)
{
	switch (rc) {
	case CONN_OK:
		snprintf(buf, len, "no error");
		break;
	case CONN_EAGAIN:
		snprintf(buf, len, "would block");
		break;
	case CONN_EIO:
		snprintf(buf, len, "%s", c->sys_errno ? strerror(c->sys_errno) : "connection closed");
		break;
	case CONN_ETLS:
	case CONN_EVERIFY:
		if (c->ops)
			return c->ops->strerror(c, rc, buf, len);
		snprintf(buf, len, "TLS error %d", c->tls_code);
		break;
	case CONN_ERESOLVE:
		snprintf(buf, len, "host name did not resolve");
		break;
	case CONN_ENOMEM:
		snprintf(buf, len, "out of memory (TLS arena full?)");
		break;
	case CONN_ECONFIG:
		snprintf(buf, len, "TLS configuration error");
		break;
	case CONN_ECLOSED:
		snprintf(buf, len, "connection closed");
		break;
	default:
		snprintf(buf, len, "invalid argument or state");
		break;
	}
	return buf;
}

int conn_write_new_file(const char *path, const void *data, size_t len, unsigned mode,
                        char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	const char *p = data;
	int rc = CONN_OK;

	if (fd < 0) {
		conn_errf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return CONN_ECONFIG;
	}
	/* umask may have taken bits away, never added: make the mode exact */
	fchmod(fd, (mode_t)mode);
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			conn_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			rc = CONN_ECONFIG;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 && rc == CONN_OK) {
		conn_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		rc = CONN_ECONFIG;
	}
	if (rc != CONN_OK)
		unlink(path);
	return rc;
}

int conn_cert_files(const char *cert_path, const char *key_path, int *make, char *err, size_t errlen)
{
	struct stat st;
	int have_cert = stat(cert_path, &st) == 0, have_key = stat(key_path, &st) == 0;

	*make = !have_cert && !have_key;
	if (have_cert != have_key) {
		conn_errf(err, errlen, "TLS: %s exists but %s does not; provide both or neither",
		          have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
		return CONN_ECONFIG;
	}
	return CONN_OK;
}

void conn_cert_name(const char *hostname, size_t max, char out[256])
{
	size_t n;

	if (hostname && *hostname)
		snprintf(out, 256, "%s", hostname);
	else if (gethostname(out, 256) != 0)
		out[0] = '\0';
	out[255] = '\0';
	n = strlen(out);
	/* letters, digits, '-' and '.': usable in "CN=" and as a dNSName */
	if (n == 0 || n >= max || strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n)
		snprintf(out, 256, "localhost");
}
