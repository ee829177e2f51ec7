/* conn.c — the connection layer's common part: sockets (resolve, listen,
 * non-blocking connect and accept), the plain TCP transport, and the calls
 * that dispatch through a connection's function table to TCP or the TLS
 * back-end. The socket calls are the port's (port/port.h); what the TLS
 * back-ends call back is in conn_base.c, so they never call this file. */
#include "wire/conn_int.h"
#include "wire/tls_arena.h"

#include <stdio.h>
#include <string.h>

#include "port/port.h"

int conn_resolve(const char *host, unsigned port, struct port_addr *addr, char *err, size_t errlen)
{
	if (!host || !*host || port == 0 || port > 65535) {
		conn_errf(err, errlen, "bad address %s port %u", host ? host : "(null)", port);
		return CONN_EINVAL;
	}
	if (port_addr_parse(host, port, addr) == PORT_OK)
		return CONN_OK;
	return port_addr_resolve(host, port, addr, err, errlen) == PORT_OK ? CONN_OK : CONN_ERESOLVE;
}

int conn_listen(const char *host, unsigned port, int backlog, char *err, size_t errlen)
{
	int fd, rc;

	if (port > 65535) {
		conn_errf(err, errlen, "bad port %u", port);
		return CONN_EINVAL;
	}
	rc = port_sock_listen(host, port, backlog, &fd, err, errlen);
	if (rc == PORT_OK)
		return fd;
	return rc == PORT_ERESOLVE ? CONN_ERESOLVE : CONN_EIO;
}

void conn_init(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->state = CONN_ST_NONE;
}

/* ---- plain TCP transport ---- */

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
	return conn_sock_shutdown(c);
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

static int tcp_resumed(const struct conn *c)
{
	(void)c;
	return 0;
}

static const struct conn_ops tcp_ops = {
	tcp_handshake, conn_sock_recv, conn_sock_send, tcp_pending,
	tcp_shutdown, tcp_free, tcp_peer_hashes, tcp_strerror, tcp_resumed,
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

int conn_connect(struct conn *c, struct conn_tls *tls, const struct port_addr *addr,
                 const char *server_name)
{
	int rc;

	if (c->fd >= 0 || (tls && conn_tls_is_server(tls)))
		return CONN_EINVAL;
	c->tls = tls;
	c->server_name[0] = '\0';
	if (server_name && strlen(server_name) < sizeof c->server_name)
		strcpy(c->server_name, server_name);
	rc = port_sock_connect(addr, &c->fd, &c->sys_errno);
	if (rc == PORT_OK)
		return start_transport(c);
	if (rc != PORT_EAGAIN)
		return CONN_EIO;
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
	if (port_sock_setup(fd, &c->sys_errno) != PORT_OK)
		return CONN_EIO;
	return start_transport(c);
}

int conn_accept(struct conn *c, struct conn_tls *tls, int listen_fd)
{
	int fd, rc;

	if (c->fd >= 0 || (tls && !conn_tls_is_server(tls)))
		return CONN_EINVAL; /* before accept(2): no connection is lost */
	rc = port_sock_accept(listen_fd, &fd, &c->sys_errno);
	if (rc == PORT_EAGAIN) {
		c->want = CONN_WANT_READ;
		return CONN_EAGAIN;
	}
	if (rc != PORT_OK)
		return CONN_EIO;
	c->fd = fd;
	c->tls = tls;
	return start_transport(c);
}

/* A TLS library passes a refused allocation up as whatever its caller makes
 * of it (wolfSSL's big-number code returns MP_MEM, -2, which reaches us as
 * an unnamed library error): an operation that failed while the arena
 * refused an allocation failed for want of arena. */
static int arena_verdict(size_t fails_before, int rc)
{
	if (rc < 0 && rc != CONN_EAGAIN && tls_arena_active() && tls_arena_fails() != fails_before)
		return CONN_ENOMEM;
	return rc;
}

int conn_handshake(struct conn *c)
{
	size_t fails = tls_arena_fails();

	if (c->state == CONN_ST_CONNECTING) {
		int rc = port_sock_connected(c->fd, &c->sys_errno);
		if (rc == PORT_EAGAIN) {
			c->want = CONN_WANT_WRITE;
			return CONN_EAGAIN;
		}
		if (rc != PORT_OK)
			return CONN_EIO;
		rc = start_transport(c);
		if (rc != CONN_OK)
			return arena_verdict(fails, rc);
	}
	if (c->state == CONN_ST_HANDSHAKE) {
		int rc = c->ops->handshake(c);
		if (rc == CONN_OK)
			c->state = CONN_ST_OPEN;
		return arena_verdict(fails, rc);
	}
	if (c->state == CONN_ST_OPEN)
		return CONN_OK;
	return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
}

ssize_t conn_read(struct conn *c, void *buf, size_t len)
{
	size_t fails = tls_arena_fails();
	ssize_t n;

	if (c->state != CONN_ST_OPEN)
		return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
	n = c->ops->read(c, buf, len);
	return n < 0 ? arena_verdict(fails, (int)n) : n;
}

ssize_t conn_write(struct conn *c, const void *buf, size_t len)
{
	size_t fails = tls_arena_fails();
	ssize_t n;

	if (c->state != CONN_ST_OPEN)
		return c->state == CONN_ST_CLOSED ? CONN_ECLOSED : CONN_EINVAL;
	if (len == 0)
		return 0;
	n = c->ops->write(c, buf, len);
	return n < 0 ? arena_verdict(fails, (int)n) : n;
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
	port_sock_close(c->fd);
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

int conn_resumed(const struct conn *c)
{
	return c->state == CONN_ST_OPEN && c->ops ? c->ops->resumed(c) : 0;
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
		if (c->sys_errno)
			port_strerror(c->sys_errno, buf, len);
		else
			snprintf(buf, len, "connection closed");
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
		if (tls_arena_active()) {
			struct conn_arena_stats st;
			conn_tls_arena_stats(&st);
			snprintf(buf, len, "TLS arena exhausted (%zu bytes)", st.size);
		} else {
			snprintf(buf, len, "out of memory");
		}
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
