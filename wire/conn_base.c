/* conn_base.c — what conn.c and the TLS back-ends (conn_mbedtls.c,
 * conn_wolfssl.c) both call: socket I/O for the transports and BIO
 * callbacks, error text, and the server's certificate-file helpers (POSIX
 * file calls). It calls neither of them. */
#include "wire/conn_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "port/port.h"

void conn_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

ssize_t conn_sock_recv(struct conn *c, void *buf, size_t len)
{
	size_t n;
	int rc = port_sock_recv(c->fd, buf, len, &n, &c->sys_errno);

	if (rc == PORT_OK)
		return (ssize_t)n;
	if (rc == PORT_EAGAIN) {
		c->want = CONN_WANT_READ;
		return CONN_EAGAIN;
	}
	return CONN_EIO;
}

ssize_t conn_sock_send(struct conn *c, const void *buf, size_t len)
{
	size_t n;
	int rc = port_sock_send(c->fd, buf, len, &n, &c->sys_errno);

	if (rc == PORT_OK)
		return (ssize_t)n;
	if (rc == PORT_EAGAIN) {
		c->want = CONN_WANT_WRITE;
		return CONN_EAGAIN;
	}
	return CONN_EIO;
}

int conn_sock_shutdown(struct conn *c)
{
	return port_sock_shutdown(c->fd, &c->sys_errno) == PORT_OK ? CONN_OK : CONN_EIO;
}

int conn_write_new_file(const char *path, const void *data, size_t len, unsigned mode,
                        char *err, size_t errlen)
{
	struct port_file f;
	char buf[64];
	int e = 0;

	if (port_file_begin(&f, path, mode, PORT_FILE_NEW, &e) != PORT_OK) {
		conn_errf(err, errlen, "cannot create %s: %s", path, port_strerror(e, buf, sizeof buf));
		return CONN_ECONFIG;
	}
	if (port_file_write(&f, data, len, &e) != PORT_OK) {
		port_file_abort(&f);
		conn_errf(err, errlen, "cannot write %s: %s", path, port_strerror(e, buf, sizeof buf));
		return CONN_ECONFIG;
	}
	if (port_file_commit(&f, &e) != PORT_OK) {
		conn_errf(err, errlen, "cannot write %s: %s", path, port_strerror(e, buf, sizeof buf));
		return CONN_ECONFIG;
	}
	return CONN_OK;
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

int conn_clock_unset(long long now)
{
	return now < CONN_CLOCK_FLOOR;
}
