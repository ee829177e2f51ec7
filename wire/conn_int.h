/* conn_int.h — what conn.c (sockets, plain TCP), conn_base.c and a TLS back-end file
 * (conn_mbedtls.c or conn_wolfssl.c, picked by the build) share. */
#ifndef MONBOT_CONN_INT_H
#define MONBOT_CONN_INT_H

#include "wire/conn.h"

/* struct conn.state */
enum { CONN_ST_NONE, CONN_ST_CONNECTING, CONN_ST_HANDSHAKE, CONN_ST_OPEN, CONN_ST_CLOSED };

struct conn_ops {
	int (*handshake)(struct conn *c);
	ssize_t (*read)(struct conn *c, void *buf, size_t len);
	ssize_t (*write)(struct conn *c, const void *buf, size_t len);
	size_t (*pending)(const struct conn *c);
	int (*shutdown)(struct conn *c);
	void (*free)(struct conn *c); /* session state only; conn.c closes the fd */
	int (*peer_hashes)(const struct conn *c, uint8_t cert[32], uint8_t spki[32]);
	const char *(*strerror)(const struct conn *c, int rc, char *buf, size_t len);
	int (*resumed)(const struct conn *c);
};

/* Raw socket I/O for the back-ends' BIO callbacks: > 0 bytes, 0 EOF,
 * CONN_EAGAIN, or CONN_EIO with c->sys_errno set. */
ssize_t conn_sock_recv(struct conn *c, void *buf, size_t len);
ssize_t conn_sock_send(struct conn *c, const void *buf, size_t len);
/* Shuts the socket's write side: CONN_OK or CONN_EIO. */
int conn_sock_shutdown(struct conn *c);

/* Back-end: starts a TLS session on c (c->tls set; is_server from the
 * context) and sets c->ops. */
int conn_tls_session_start(struct conn *c);

/* Back-end: whether ctx is a server context. */
int conn_tls_is_server(const struct conn_tls *t);

/* SubjectPublicKeyInfo inside a DER certificate (tls_der.c): sets
 * *spki and *spki_len to the whole SEQUENCE. Returns 0, or -1 if the DER is not a
 * certificate we can walk. */
int tls_der_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *spki_len);

/* GeneralNames DER (RFC 5280 §4.2.1.6) of dNSName host and "localhost" for
 * the generated certificate's SAN; 0 if it does not fit in cap. */
size_t tls_der_san(const char *host, uint8_t *out, size_t cap);

/* Formats an error message into err[errlen] (NULL/0: nothing). */
void conn_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Server set-up shared by the back-ends: whether cert_path/key_path must be
 * made (*make = 1: both missing), CONN_ECONFIG with err when only one is
 * there; and the name for a generated certificate (hostname, else
 * gethostname(), else "localhost" when not a plain DNS name shorter than
 * max). */
int conn_cert_files(const char *cert_path, const char *key_path, int *make, char *err, size_t errlen);
void conn_cert_name(const char *hostname, size_t max, char out[256]);

/* Writes data to path with mode (O_EXCL: never over an existing file). */
int conn_write_new_file(const char *path, const void *data, size_t len, unsigned mode,
                        char *err, size_t errlen);

#endif
