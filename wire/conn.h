/* conn.h — one non-blocking connection interface over plain TCP and TLS. The
 * TLS back-end is chosen by the build (TLS=mbedtls, the default, or
 * TLS=wolfssl); callers never see the library. Plain TCP, TLS and the
 * WebSocket codec (ws.h) sit on each other in layers.
 *
 * Functions return CONN_OK (0), a byte count, or a negative CONN_E* code.
 * CONN_EAGAIN means "would block": wait until conn_want(c) says (readable
 * and/or writable) and call the same function again. Setup errors are written
 * into the caller's err[errlen]. Not thread-safe: use a connection (and the
 * context it was made with) from one thread at a time. */
#ifndef MONBOT_CONN_H
#define MONBOT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "port/port.h" /* struct port_addr */

#define CONN_OK        0
#define CONN_EAGAIN  (-1) /* would block; see conn_want() */
#define CONN_EIO     (-2) /* socket error; c->sys_errno holds errno */
#define CONN_ETLS    (-3) /* TLS protocol/library error; c->tls_code holds it */
#define CONN_EVERIFY (-4) /* certificate chain or host name check failed (force) */
#define CONN_ERESOLVE (-5) /* host name did not resolve */
#define CONN_ENOMEM  (-6) /* allocation failed (TLS arena full on the agent) */
#define CONN_EINVAL  (-7) /* bad argument or wrong state */
#define CONN_ECONFIG (-8) /* certificate/key/CA file could not be loaded or made */
#define CONN_ECLOSED (-9) /* connection already closed */

/* conn_want() bits. */
#define CONN_WANT_READ  1
#define CONN_WANT_WRITE 2

/* AGENT_VERIFY_SSL (SPEC §2, §4). */
enum conn_verify {
	CONN_VERIFY_NONE = 0,  /* "0": no check (the agent warns at start) */
	CONN_VERIFY_PIN = 1,   /* "1": no chain check in TLS; after the handshake
	                          the caller checks conn_peer_hashes() against the
	                          pin file with tls_pin_check() (tls_pin.h) */
	CONN_VERIFY_FORCE = 2  /* "force": chain to AGENT_CA_FILE or the system
	                          CAs, and the host name */
};

/* Shared TLS configuration: one for the server (certificate and key) or one
 * for a client (verification). Opaque; allocated by conn_tls_*_new through
 * the TLS allocator (the arena when one is set). */
struct conn_tls;

struct conn_ops; /* the function table, one per transport (private) */

/* One connection. Owned by the caller (static on the agent); fields are
 * private except the two error values kept for the log. */
struct conn {
	const struct conn_ops *ops; /* NULL until connected/accepted */
	struct conn_tls *tls;       /* NULL for plain TCP */
	void *sess;                 /* back-end session state */
	int fd;                     /* -1 when closed */
	uint8_t state;              /* private */
	uint8_t want;               /* CONN_WANT_* after the last CONN_EAGAIN */
	int sys_errno;              /* OS error of the last CONN_EIO (port_strerror) */
	int tls_code;               /* library code of the last CONN_ETLS/EVERIFY */
	char server_name[256];      /* SNI and host name check (client) */
};

/* ---- Process set-up ---------------------------------------------------- */

/* "mbedtls 2.28.3", "wolfssl 5.5.4" (compiled-in back-end and version). */
const char *conn_tls_backend(void);

/* Cryptographic random bytes from the TLS library's generator (seeded from
 * the OS on first use). Returns 0, or -1 if the generator failed. Fits
 * ws_random_fn (ctx is ignored). */
int conn_random(void *ctx, uint8_t *buf, size_t len);

/* Agent only: from now on every allocation of the TLS library (and of this
 * layer) is served from buf[0..size) instead of the C library's heap. Call
 * once, before any other conn_* call, with static memory that stays valid
 * for the life of the process. With mbedTLS the program must link
 * $(WIRE_TLS_ARENA_LIBS) (Debian's mbedTLS has no MEMORY_BUFFER_ALLOC_C,
 * so the build renames calloc/free inside a copy of its archives); with
 * wolfSSL $(WIRE_TLS_LIBS) is enough (wolfSSL_SetAllocators). Returns
 * CONN_OK or CONN_EINVAL (too small, already set). */
int conn_tls_arena_init(void *buf, size_t size);

struct conn_arena_stats {
	size_t size;   /* arena bytes */
	size_t used;   /* bytes in use now (with block headers) */
	size_t peak;   /* highest use since init */
	size_t allocs; /* successful allocations since init */
	size_t fails;  /* allocations refused (arena full) */
};
/* All zero when no arena was set. */
void conn_tls_arena_stats(struct conn_arena_stats *st);

/* ---- TLS contexts ------------------------------------------------------ */

/* Client context. ca_file: PEM bundle for CONN_VERIFY_FORCE (NULL = the
 * system's, /etc/ssl/certs/ca-certificates.crt); ignored otherwise. */
int conn_tls_client_new(struct conn_tls **out, enum conn_verify verify,
                        const char *ca_file, char *err, size_t errlen);

/* Client context: whether a connection offers the session of the context's
 * last one (on by default; see conn_resumed). Off, every connection is a
 * full handshake (a load generator measuring them). */
void conn_tls_client_resume(struct conn_tls *t, int on);

/* A clock that has not been set: a router before NTP runs reads 1970, or
 * the date its firmware was built (OpenWrt). Before CONN_CLOCK_FLOOR no
 * certificate's start date can be told from the future, so `force` mode
 * then accepts "not yet valid" (and only that; the chain, the signatures
 * and the host name are checked as always). 1 if `now` is before it. */
#define CONN_CLOCK_FLOOR 1767225600 /* 2026-01-01T00:00:00Z */
int conn_clock_unset(long long now);

/* Server context from cert_path/key_path (PEM). When both files are
 * missing, makes them first (SPEC §2): a new EC P-256 key (written mode
 * 0600) and a self-signed certificate with CN = hostname and SAN DNS names
 * hostname and "localhost" (hostname NULL = gethostname()), valid 10
 * years. One file present without the other is an error (nothing is
 * overwritten). *generated (may be NULL) is set to 1 when files were made. */
int conn_tls_server_new(struct conn_tls **out, const char *cert_path,
                        const char *key_path, const char *hostname,
                        int *generated, char *err, size_t errlen);

/* Frees the context; NULL is fine. Connections made with it must be closed
 * first. */
void conn_tls_free(struct conn_tls *t);

/* ---- Sockets ----------------------------------------------------------- */

/* Resolves host:port into *addr: a numeric address without the resolver,
 * a name through it (blocking, and getaddrinfo allocates: the agent does it
 * outside its steady state). CONN_EINVAL, CONN_ERESOLVE with err. */
int conn_resolve(const char *host, unsigned port, struct port_addr *addr, char *err, size_t errlen);

/* A non-blocking listening socket on host:port (host NULL or "" = all
 * addresses, IPv6 dual-stack when available), SO_REUSEADDR, backlog.
 * Returns the fd (>= 0) or a CONN_E* code with err filled. */
int conn_listen(const char *host, unsigned port, int backlog, char *err, size_t errlen);

/* ---- Connections ------------------------------------------------------- */

/* Cannot fail; makes c safe to conn_close(). */
void conn_init(struct conn *c);

/* Client: starts a non-blocking connect to addr. tls NULL = plain TCP;
 * server_name is sent as SNI and checked in CONN_VERIFY_FORCE (NULL = none).
 * Then call conn_handshake() until it returns CONN_OK. */
int conn_connect(struct conn *c, struct conn_tls *tls, const struct port_addr *addr,
                 const char *server_name);

/* Server: accepts one connection from listen_fd (non-blocking). Returns
 * CONN_OK (then conn_handshake() until CONN_OK), CONN_EAGAIN when none is
 * waiting, or CONN_EIO (EMFILE etc. in c->sys_errno). */
int conn_accept(struct conn *c, struct conn_tls *tls, int listen_fd);

/* Server: takes over an fd the caller accepted itself (made non-blocking
 * here). On CONN_EINVAL (c in use, tls not a server context) the fd stays
 * the caller's; after any other result it is c's, closed by conn_close. */
int conn_adopt(struct conn *c, struct conn_tls *tls, int fd);

/* Finishes the TCP connect and the TLS handshake: CONN_OK when the
 * connection is ready for conn_read/conn_write, CONN_EAGAIN (see
 * conn_want()), or an error (CONN_EIO connect refused/reset, CONN_ETLS,
 * CONN_EVERIFY). Plain TCP returns CONN_OK once connected. */
int conn_handshake(struct conn *c);

/* Reads up to len bytes. > 0: bytes read; 0: the peer closed (TCP EOF or
 * TLS close_notify); CONN_EAGAIN; or an error. With TLS, bytes may already
 * be decrypted and waiting (conn_pending()): read them before waiting on
 * the fd again, the kernel no longer reports them. */
ssize_t conn_read(struct conn *c, void *buf, size_t len);

/* Writes up to len bytes; returns how many were taken (> 0, possibly fewer
 * than len), CONN_EAGAIN or an error. After CONN_EAGAIN on TLS, call again
 * with the same buf and at least the same len (mbedTLS/wolfSSL keep the
 * record they started). Never raises SIGPIPE. */
ssize_t conn_write(struct conn *c, const void *buf, size_t len);

/* After CONN_EAGAIN: CONN_WANT_READ and/or CONN_WANT_WRITE. Note that a
 * TLS read can want write and the other way round. */
int conn_want(const struct conn *c);

/* Decrypted bytes buffered in the TLS layer (mbedtls_ssl_get_bytes_avail,
 * wolfSSL_pending); always 0 for plain TCP. */
size_t conn_pending(const struct conn *c);

/* Sends TLS close_notify (best effort, non-blocking, once) and shuts the
 * TCP write side. */
int conn_shutdown(struct conn *c);

/* Frees the session and closes the fd; safe on anything conn_init'ed, and
 * twice. */
void conn_close(struct conn *c);

/* The socket, for the caller's poll/epoll set; -1 when closed. */
int conn_fd(const struct conn *c);

/* 1 for a TLS connection. */
int conn_is_tls(const struct conn *c);

/* After a TLS handshake: SHA-256 of the peer certificate's DER ("fp" of the
 * pin file) and of its SubjectPublicKeyInfo DER ("spki"). CONN_EINVAL when
 * there is no peer certificate (plain TCP, server side). */
int conn_peer_hashes(const struct conn *c, uint8_t cert_sha256[32],
                     uint8_t spki_sha256[32]);

/* After a TLS handshake: 1 if it resumed an earlier session (RFC 5077
 * session ticket) without a key exchange or signature, 0 for a full one or
 * plain TCP. With mbedTLS a client context offers its last connection's
 * session on the next connection, and a server context seals tickets under
 * a key derived from its private key, so they stay good across a restart
 * for up to three weeks; the wolfSSL back-end does full handshakes only. */
int conn_resumed(const struct conn *c);

/* A server context's own certificate: SHA-256 of its DER and of its
 * SubjectPublicKeyInfo DER, the hashes an agent pins (the install command
 * carries the second). CONN_EINVAL for a client context. */
int conn_tls_own_hashes(const struct conn_tls *t, uint8_t cert_sha256[32],
                        uint8_t spki_sha256[32]);

/* Text for an error code returned on c ("connection refused",
 * "TLS: handshake failure (-0x7780)"...), written into buf. Returns buf. */
const char *conn_strerror(const struct conn *c, int rc, char *buf, size_t len);

#endif
