/* conn_wolfssl.c — the TLS back-end over wolfSSL 5.5 (TLS=wolfssl): the same
 * contract as conn_mbedtls.c — random generator, client and server
 * contexts with the generated self-signed certificate, sessions over our
 * socket calls, the peer certificate's hashes. Allocations go through
 * wolfSSL_SetAllocators to the arena when the agent sets one. */
#include <wolfssl/options.h> /* first: the build's feature macros */

#include "wire/conn_int.h"
#include "wire/tls_arena.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/memory.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/error-ssl.h>

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

struct conn_tls {
	int is_server;
	WOLFSSL_CTX *ctx;
};

static struct {
	int lib_ready, rng_ready;
	WC_RNG rng;
} G;

static const char *wolf_err(int code, char *buf, size_t len)
{
	char tmp[WOLFSSL_MAX_ERROR_SZ];

	wolfSSL_ERR_error_string_n((unsigned long)(long)code, tmp, sizeof tmp);
	snprintf(buf, len, "%s", tmp);
	return buf;
}

static int lib_init(void)
{
	if (!G.lib_ready) {
		if (wolfSSL_Init() != WOLFSSL_SUCCESS)
			return -1;
		G.lib_ready = 1;
	}
	if (!G.rng_ready) {
		if (wc_InitRng(&G.rng) != 0)
			return -1;
		G.rng_ready = 1;
	}
	return 0;
}

const char *conn_tls_backend(void)
{
	return "wolfssl " LIBWOLFSSL_VERSION_STRING;
}

int conn_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (lib_init() != 0)
		return -1;
	while (len > 0) {
		word32 k = len < RNG_MAX_BLOCK_LEN ? (word32)len : RNG_MAX_BLOCK_LEN;
		if (wc_RNG_GenerateBlock(&G.rng, buf, k) != 0)
			return -1;
		buf += k;
		len -= k;
	}
	return 0;
}

int conn_tls_arena_init(void *buf, size_t size)
{
	int rc;

	/* blocks wolfSSL took from the heap before this go back there: tls_free
	 * and tls_realloc hand pointers outside the arena to the C library.
	 * The fixed-point ECC cache (FP_ECC) is emptied first: points cached on
	 * the heap (a server context made in this process) would spare the
	 * arena the ~1.7 MB the first signature check takes, and hide that
	 * need from every measure of it (tools/wsbench arena, test_conn) */
	if (tls_arena_active())
		return CONN_EINVAL;
	wc_ecc_fp_free();
	rc = tls_arena_set(buf, size);
	if (rc == CONN_OK && wolfSSL_SetAllocators(tls_malloc, tls_free, tls_realloc) != 0)
		rc = CONN_EINVAL;
	return rc;
}

/* ---- I/O callbacks over our socket calls ---- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	ssize_t n = conn_sock_recv(ctx, buf, (size_t)sz);

	(void)ssl;
	if (n > 0)
		return (int)n;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_CONN_CLOSE;
	return n == CONN_EAGAIN ? WOLFSSL_CBIO_ERR_WANT_READ : WOLFSSL_CBIO_ERR_GENERAL;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
	ssize_t n = conn_sock_send(ctx, buf, (size_t)sz);

	(void)ssl;
	if (n >= 0)
		return (int)n;
	return n == CONN_EAGAIN ? WOLFSSL_CBIO_ERR_WANT_WRITE : WOLFSSL_CBIO_ERR_GENERAL;
}

/* ---- contexts ---- */

static struct conn_tls *ctx_new(int is_server, char *err, size_t errlen, int *rc)
{
	struct conn_tls *t;

	*rc = CONN_ECONFIG;
	if (lib_init() != 0) {
		conn_errf(err, errlen, "TLS: wolfSSL could not start (random generator)");
		return NULL;
	}
	t = tls_calloc(1, sizeof *t);
	if (!t || !(t->ctx = wolfSSL_CTX_new(is_server ? wolfTLS_server_method() : wolfTLS_client_method()))) {
		tls_free(t);
		conn_errf(err, errlen, "TLS: out of memory");
		*rc = CONN_ENOMEM;
		return NULL;
	}
	t->is_server = is_server;
	/* TLS 1.2 and 1.3 only (RFC 8996) */
	wolfSSL_CTX_SetMinVersion(t->ctx, WOLFSSL_TLSV1_2);
	wolfSSL_CTX_SetIORecv(t->ctx, io_recv);
	wolfSSL_CTX_SetIOSend(t->ctx, io_send);
	/* like mbedTLS: a write may take part of the buffer */
	wolfSSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	*rc = CONN_OK;
	return t;
}

void conn_tls_free(struct conn_tls *t)
{
	if (!t)
		return;
	if (t->ctx)
		wolfSSL_CTX_free(t->ctx);
	tls_free(t);
}

int conn_tls_is_server(const struct conn_tls *t)
{
	return t->is_server;
}

/* Every ECDSA check adds its two points to the fixed-point ECC cache
 * (FP_ECC, ~830 KB each in Debian's build) and nothing evicts them before
 * the connection closes, so a verified chain of n ECDSA certificates would
 * hold 2 + n of them. Emptied after each certificate's check (Debian's
 * build calls this for every one, WOLFSSL_ALWAYS_VERIFY_CB), the agent's
 * arena needs what one check needs; the verdict is wolfSSL's. */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
	if (tls_arena_active())
		wc_ecc_fp_free();
	/* `force` mode on a clock not yet set (conn.h, conn_clock_unset):
	 * "not yet valid" cannot be told; every other check stands. */
	if (!preverify && wolfSSL_X509_STORE_CTX_get_error(store) == ASN_BEFORE_DATE_E &&
	    conn_clock_unset((long long)time(NULL)))
		return 1;
	return preverify;
}

int conn_tls_client_new(struct conn_tls **out, enum conn_verify verify,
                        const char *ca_file, char *err, size_t errlen)
{
	int rc;
	struct conn_tls *t = ctx_new(0, err, errlen, &rc);

	*out = NULL;
	if (!t)
		return rc;
	if (verify == CONN_VERIFY_FORCE) {
		const char *f = ca_file && *ca_file ? ca_file : SYSTEM_CA_FILE;
		int r = wolfSSL_CTX_load_verify_locations(t->ctx, f, NULL);
		char eb[128];
		if (r != WOLFSSL_SUCCESS) {
			conn_errf(err, errlen, "TLS: cannot load CA file %s: %s", f, wolf_err(r, eb, sizeof eb));
			conn_tls_free(t);
			return CONN_ECONFIG;
		}
		wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, verify_cb);
	} else {
		wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_NONE, NULL);
	}
	/* X25519 first for the key exchange: P-256's generator then serves only
	 * the signature check, once per handshake, so wolfSSL's fixed-point
	 * cache (FP_ECC, ~400 KB per cached point) is never built: the agent's
	 * arena peak drops from ~930 KB to what the session itself needs */
	if (wolfSSL_CTX_UseSupportedCurve(t->ctx, WOLFSSL_ECC_X25519) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_UseSupportedCurve(t->ctx, WOLFSSL_ECC_SECP256R1) != WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_UseSupportedCurve(t->ctx, WOLFSSL_ECC_SECP384R1) != WOLFSSL_SUCCESS) {
		conn_errf(err, errlen, "TLS: cannot set the key exchange groups");
		conn_tls_free(t);
		return CONN_ECONFIG;
	}
	*out = t;
	return CONN_OK;
}

/* ---- self-signed certificate (SPEC §2) ---- */

static int make_self_signed(const char *cert_path, const char *key_path, const char *hostname,
                            char *err, size_t errlen)
{
	ecc_key key;
	Cert *cert = NULL;
	const size_t cap = 4096;
	uint8_t *der = tls_calloc(1, cap), *pem = tls_calloc(1, cap);
	char host[256], eb[128];
	int r, n, rc = CONN_ECONFIG, key_ready = 0;

	conn_cert_name(hostname, CTC_NAME_SIZE, host);
	cert = tls_calloc(1, sizeof *cert);
	if (!der || !pem || !cert) {
		conn_errf(err, errlen, "TLS: out of memory");
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((r = wc_ecc_init(&key)) != 0)
		goto key_fail;
	key_ready = 1;
	if ((r = wc_ecc_make_key_ex(&G.rng, 32, &key, ECC_SECP256R1)) != 0 ||
	    (r = wc_ecc_set_rng(&key, &G.rng)) != 0 ||
	    (r = wc_EccKeyToDer(&key, der, (word32)cap)) < 0)
		goto key_fail;
	n = wc_DerToPem(der, (word32)r, pem, (word32)cap, ECC_PRIVATEKEY_TYPE);
	if ((r = n) < 0)
		goto key_fail;
	rc = conn_write_new_file(key_path, pem, (size_t)n, 0600, err, errlen);
	if (rc != CONN_OK)
		goto out;
	rc = CONN_ECONFIG;
	if ((r = wc_InitCert(cert)) != 0)
		goto cert_fail;
	memcpy(cert->subject.commonName, host, strlen(host) + 1); /* < CTC_NAME_SIZE */
	cert->sigType = CTC_SHA256wECDSA;
	cert->daysValid = 3650;
	cert->isCA = 0;
	cert->selfSigned = 1;
	cert->altNamesSz = (int)tls_der_san(host, cert->altNames, sizeof cert->altNames);
	if ((r = wc_SetSubjectKeyIdFromPublicKey_ex(cert, ECC_TYPE, &key)) != 0 ||
	    (r = wc_MakeCert_ex(cert, der, (word32)cap, ECC_TYPE, &key, &G.rng)) < 0 ||
	    (r = wc_SignCert_ex(cert->bodySz, cert->sigType, der, (word32)cap, ECC_TYPE, &key, &G.rng)) < 0 ||
	    (r = wc_DerToPem(der, (word32)r, pem, (word32)cap, CERT_TYPE)) < 0)
		goto cert_fail;
	rc = conn_write_new_file(cert_path, pem, (size_t)r, 0644, err, errlen);
	if (rc != CONN_OK)
		unlink(key_path);
	goto out;
key_fail:
	conn_errf(err, errlen, "TLS: cannot make a key: %s", wolf_err(r, eb, sizeof eb));
	goto out;
cert_fail:
	conn_errf(err, errlen, "TLS: cannot make a certificate: %s", wolf_err(r, eb, sizeof eb));
	unlink(key_path); /* never leave a key without its certificate */
out:
	if (key_ready)
		wc_ecc_free(&key);
	if (der) {
		memset(der, 0, cap);
		tls_free(der);
	}
	if (pem) {
		memset(pem, 0, cap);
		tls_free(pem);
	}
	tls_free(cert);
	return rc;
}

/* Reads a whole small file into a tls_calloc'ed buffer (NUL added). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 65536 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = tls_calloc(1, (size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			tls_free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* 1 when the EC private key in key_path has the public key of the first
 * certificate in cert_path (wolfSSL_CTX_check_private_key does not compare
 * EC keys in this version); 0 when not; -1 when it cannot tell (not EC). */
static int key_matches(const char *cert_path, const char *key_path)
{
	size_t cl = 0, kl = 0, sl;
	uint8_t *cpem = slurp(cert_path, &cl), *kpem = slurp(key_path, &kl);
	uint8_t *cder = NULL, *kder = NULL, pub[200];
	const uint8_t *spki;
	ecc_key key;
	int cn, kn, pn, rc = -1;
	word32 idx = 0;

	if (!cpem || !kpem || !(cder = tls_calloc(1, cl)) || !(kder = tls_calloc(1, kl)))
		goto out;
	cn = wc_CertPemToDer(cpem, (int)cl, cder, (int)cl, CERT_TYPE);
	kn = wc_KeyPemToDer(kpem, (int)kl, kder, (int)kl, NULL);
	if (cn <= 0 || kn <= 0 || tls_der_spki(cder, (size_t)cn, &spki, &sl) != 0)
		goto out;
	if (wc_ecc_init(&key) != 0)
		goto out;
	if (wc_EccPrivateKeyDecode(kder, &idx, &key, (word32)kn) == 0 &&
	    (pn = wc_EccPublicKeyToDer(&key, pub, sizeof pub, 1)) > 0)
		rc = (size_t)pn == sl && memcmp(pub, spki, sl) == 0;
	wc_ecc_free(&key);
out:
	if (kder) {
		memset(kder, 0, kl);
		tls_free(kder);
	}
	if (kpem) {
		memset(kpem, 0, kl);
		tls_free(kpem);
	}
	tls_free(cder);
	tls_free(cpem);
	return rc;
}

int conn_tls_server_new(struct conn_tls **out, const char *cert_path,
                        const char *key_path, const char *hostname,
                        int *generated, char *err, size_t errlen)
{
	int r, rc, make;
	char eb[128];
	struct conn_tls *t;

	*out = NULL;
	if (generated)
		*generated = 0;
	t = ctx_new(1, err, errlen, &rc);
	if (!t)
		return rc;
	if ((rc = conn_cert_files(cert_path, key_path, &make, err, errlen)) != CONN_OK)
		goto out;
	if (make) {
		rc = make_self_signed(cert_path, key_path, hostname, err, errlen);
		if (rc != CONN_OK)
			goto out;
		if (generated)
			*generated = 1;
	}
	rc = CONN_ECONFIG;
	if ((r = wolfSSL_CTX_use_certificate_chain_file(t->ctx, cert_path)) != WOLFSSL_SUCCESS) {
		conn_errf(err, errlen, "TLS: cannot load certificate %s: %s", cert_path, wolf_err(r, eb, sizeof eb));
		goto out;
	}
	if ((r = wolfSSL_CTX_use_PrivateKey_file(t->ctx, key_path, WOLFSSL_FILETYPE_PEM)) != WOLFSSL_SUCCESS) {
		conn_errf(err, errlen, "TLS: cannot load key %s: %s", key_path, wolf_err(r, eb, sizeof eb));
		goto out;
	}
	if (wolfSSL_CTX_check_private_key(t->ctx) != WOLFSSL_SUCCESS ||
	    key_matches(cert_path, key_path) != 1) {
		conn_errf(err, errlen, "TLS: key %s does not belong to certificate %s", key_path, cert_path);
		goto out;
	}
	wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_NONE, NULL);
	rc = CONN_OK;
out:
	if (rc != CONN_OK)
		conn_tls_free(t);
	else
		*out = t;
	return rc;
}

/* ---- sessions ---- */

static int verify_code(int e)
{
	/* wolfCrypt's certificate (ASN) errors and the name checks */
	return (e <= -140 && e >= -200) || e == ASN_SELF_SIGNED_E || e == DOMAIN_NAME_MISMATCH ||
	       e == IPADDR_MISMATCH || e == VERIFY_CERT_ERROR;
}

static int map_err(struct conn *c, int ret)
{
	int e = wolfSSL_get_error(c->sess, ret);

	switch (e) {
	case WOLFSSL_ERROR_WANT_READ:
		c->want = CONN_WANT_READ;
		return CONN_EAGAIN;
	case WOLFSSL_ERROR_WANT_WRITE:
		c->want = CONN_WANT_WRITE;
		return CONN_EAGAIN;
	case SOCKET_ERROR_E:
	case SOCKET_PEER_CLOSED_E:
		return CONN_EIO; /* sys_errno from the socket call (0: closed) */
	case MEMORY_E:
	case MEMORY_ERROR:
		return CONN_ENOMEM;
	default:
		c->tls_code = e;
		return verify_code(e) ? CONN_EVERIFY : CONN_ETLS;
	}
}

static int w_handshake(struct conn *c)
{
	int r = c->tls->is_server ? wolfSSL_accept(c->sess) : wolfSSL_connect(c->sess);

	return r == WOLFSSL_SUCCESS ? CONN_OK : map_err(c, r);
}

static ssize_t w_read(struct conn *c, void *buf, size_t len)
{
	int r = wolfSSL_read(c->sess, buf, len > INT_MAX ? INT_MAX : (int)len), e;

	if (r > 0)
		return r;
	e = wolfSSL_get_error(c->sess, r);
	/* close_notify, or TCP EOF without one: the end of the stream */
	if (e == WOLFSSL_ERROR_ZERO_RETURN || e == SOCKET_PEER_CLOSED_E ||
	    (e == SOCKET_ERROR_E && c->sys_errno == 0))
		return 0;
	return map_err(c, r);
}

static ssize_t w_write(struct conn *c, const void *buf, size_t len)
{
	int r = wolfSSL_write(c->sess, buf, len > INT_MAX ? INT_MAX : (int)len);

	return r > 0 ? r : map_err(c, r);
}

static size_t w_pending(const struct conn *c)
{
	int n = wolfSSL_pending(c->sess);

	return n > 0 ? (size_t)n : 0;
}

static int w_shutdown(struct conn *c)
{
	wolfSSL_shutdown(c->sess); /* best effort: sends close_notify once */
	return conn_sock_shutdown(c);
}

static void w_free(struct conn *c)
{
	if (c->sess)
		wolfSSL_free(c->sess);
	c->sess = NULL;
	/* Debian's wolfSSL keeps a fixed-point ECC cache (FP_ECC, ~800 KB of
	 * small blocks) after the first handshake; on the agent's arena give it
	 * back with the connection, a reconnect rebuilds it */
	if (tls_arena_active())
		wc_ecc_fp_free();
}

static int w_peer_hashes(const struct conn *c, uint8_t cert[32], uint8_t spki[32])
{
	WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(c->sess);
	const uint8_t *der, *k;
	size_t kl;
	int len;

	if (!ch || wolfSSL_get_chain_count(ch) < 1)
		return CONN_EINVAL;
	der = wolfSSL_get_chain_cert(ch, 0);
	len = wolfSSL_get_chain_length(ch, 0);
	if (!der || len <= 0 || tls_der_spki(der, (size_t)len, &k, &kl) != 0)
		return CONN_EINVAL;
	if (wc_Sha256Hash(der, (word32)len, cert) != 0 || wc_Sha256Hash(k, (word32)kl, spki) != 0)
		return CONN_ETLS;
	return CONN_OK;
}

int conn_tls_own_hashes(const struct conn_tls *t, uint8_t cert[32], uint8_t spki[32])
{
	WOLFSSL_X509 *x = t && t->is_server ? wolfSSL_CTX_get0_certificate(t->ctx) : NULL;
	const uint8_t *der, *k;
	size_t kl;
	int len = 0;

	der = x ? wolfSSL_X509_get_der(x, &len) : NULL;
	if (!der || len <= 0 || tls_der_spki(der, (size_t)len, &k, &kl) != 0)
		return CONN_EINVAL;
	if (wc_Sha256Hash(der, (word32)len, cert) != 0 || wc_Sha256Hash(k, (word32)kl, spki) != 0)
		return CONN_ETLS;
	return CONN_OK;
}

static const char *w_strerror(const struct conn *c, int rc, char *buf, size_t len)
{
	char eb[WOLFSSL_MAX_ERROR_SZ];

	snprintf(buf, len, "TLS: %s%s (%d)", rc == CONN_EVERIFY ? "certificate not trusted: " : "",
	         wolf_err(c->tls_code, eb, sizeof eb), c->tls_code);
	return buf;
}

/* The wolfSSL back-end keeps no session for a client's next connection:
 * every connection is a full handshake (conn_resumed says so). */
void conn_tls_client_resume(struct conn_tls *t, int on)
{
	(void)t;
	(void)on;
}

static int w_resumed(const struct conn *c)
{
	return wolfSSL_session_reused(c->sess) == 1;
}

static const struct conn_ops wolf_ops = {
	w_handshake, w_read, w_write, w_pending, w_shutdown, w_free, w_peer_hashes, w_strerror, w_resumed,
};

/* An IP literal is not a host name: no SNI for it (RFC 6066 §3). */
static int is_ip_literal(const char *s)
{
	return strchr(s, ':') != NULL || strspn(s, "0123456789.") == strlen(s);
}

int conn_tls_session_start(struct conn *c)
{
	WOLFSSL *ssl = wolfSSL_new(c->tls->ctx);

	if (!ssl)
		return CONN_ENOMEM;
	c->sess = ssl;
	c->ops = &wolf_ops;
	wolfSSL_SetIOReadCtx(ssl, c);
	wolfSSL_SetIOWriteCtx(ssl, c);
	/* TLS 1.3: offer the X25519 key share (see conn_tls_client_new) */
	if (!c->tls->is_server && wolfSSL_UseKeyShare(ssl, WOLFSSL_ECC_X25519) != WOLFSSL_SUCCESS)
		return CONN_ENOMEM;
	if (!c->tls->is_server && c->server_name[0]) {
		if (!is_ip_literal(c->server_name) &&
		    wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, c->server_name,
		                   (unsigned short)strlen(c->server_name)) != WOLFSSL_SUCCESS)
			return CONN_ENOMEM;
		if (wolfSSL_check_domain_name(ssl, c->server_name) != WOLFSSL_SUCCESS)
			return CONN_ENOMEM;
	}
	return CONN_OK;
}
