/* conn_mbedtls.c — the TLS back-end over mbedTLS 2.28 (TLS=mbedtls): the
 * process-wide random generator, client and server contexts (with the
 * self-signed certificate of SPEC §2 made on first start), sessions, and the
 * peer certificate's hashes. Memory goes through tls_calloc/tls_free. */
#include "wire/conn_int.h"
#include "wire/tls_arena.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_SHA1_PROCESS_ALT)
#include <mbedtls/sha1.h>

#include "wire/sha1.h"
#endif

#if defined(MBEDTLS_SHA1_PROCESS_ALT)
/* A board's mbedTLS takes SHA-1's block function from wire/sha1.c
 * (boards/mbedtls_agent_config.h). */
int mbedtls_internal_sha1_process(mbedtls_sha1_context *ctx, const unsigned char data[64])
{
	sha1_block(ctx->state, data);
	return 0;
}
#endif

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

struct sess {
	mbedtls_ssl_context ssl;
	int resumed;            /* the handshake resumed an earlier session */
};

struct conn_tls {
	int is_server;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt chain; /* server: own certificate; client: trusted CAs */
	mbedtls_pk_context key; /* server */
	/* server: what the session tickets' keys come from (tk_key) and the
	 * session whose handshake is running (a parsed ticket marks it) */
	uint8_t tk_secret[32];
	struct sess *cur;
	/* client: the last connection's session, offered on the next one to
	 * the same server name (a session proves the name it was checked for) */
	mbedtls_ssl_session saved;
	int have_saved;
	int no_resume;
	char saved_name[256];
};

/* The one generator, seeded from the OS on first use (no heap). */
static struct {
	int ready;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
} G;

/* Without MBEDTLS_ERROR_C (the board agent's mbedTLS: its texts are 13 KiB)
 * the code alone, which mbedTLS's error.h and `programs/util/strerror` name. */
static const char *mbed_err(int code, char *buf, size_t len)
{
#if defined(MBEDTLS_ERROR_C)
	mbedtls_strerror(code, buf, len);
#else
	snprintf(buf, len, "mbedTLS error -0x%04x", (unsigned)-code);
#endif
	return buf;
}

static int rng_init(void)
{
	static const unsigned char pers[] = "monbot-wire";

	if (G.ready)
		return 0;
	mbedtls_entropy_init(&G.entropy);
	mbedtls_ctr_drbg_init(&G.drbg);
	if (mbedtls_ctr_drbg_seed(&G.drbg, mbedtls_entropy_func, &G.entropy, pers, sizeof pers - 1) != 0) {
		mbedtls_ctr_drbg_free(&G.drbg);
		mbedtls_entropy_free(&G.entropy);
		return -1;
	}
	G.ready = 1;
	return 0;
}

const char *conn_tls_backend(void)
{
	return "mbedtls " MBEDTLS_VERSION_STRING;
}

int conn_random(void *ctx, uint8_t *buf, size_t len)
{
	(void)ctx;
	if (rng_init() != 0)
		return -1;
	while (len > 0) {
		size_t k = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
		if (mbedtls_ctr_drbg_random(&G.drbg, buf, k) != 0)
			return -1;
		buf += k;
		len -= k;
	}
	return 0;
}

int conn_tls_arena_init(void *buf, size_t size)
{
	/* mbedTLS reaches the arena through the renamed calloc/free of the
	 * agent's archives; nothing to tell the library */
	return tls_arena_set(buf, size);
}

static struct conn_tls *ctx_new(int is_server)
{
	struct conn_tls *t = tls_calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->is_server = is_server;
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_x509_crt_init(&t->chain);
	mbedtls_pk_init(&t->key);
	mbedtls_ssl_session_init(&t->saved);
	return t;
}

void conn_tls_free(struct conn_tls *t)
{
	if (!t)
		return;
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->chain);
	mbedtls_pk_free(&t->key);
	mbedtls_ssl_session_free(&t->saved);
	mbedtls_platform_zeroize(t->tk_secret, sizeof t->tk_secret);
	tls_free(t);
}

int conn_tls_is_server(const struct conn_tls *t)
{
	return t->is_server;
}

/* Key exchange groups, X25519 first (faster, and the same choice as the
 * wolfSSL back-end); P-256 and P-384 for peers without it. */
static const mbedtls_ecp_group_id curves[] = {
	MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE,
};

static int conf_common(struct conn_tls *t, int endpoint, char *err, size_t errlen)
{
	int r;
	char eb[128];

	if (rng_init() != 0) {
		conn_errf(err, errlen, "TLS: random generator could not be seeded");
		return CONN_ECONFIG;
	}
	r = mbedtls_ssl_config_defaults(&t->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                MBEDTLS_SSL_PRESET_DEFAULT);
	if (r != 0) {
		conn_errf(err, errlen, "TLS: %s", mbed_err(r, eb, sizeof eb));
		return CONN_ECONFIG;
	}
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &G.drbg);
	mbedtls_ssl_conf_curves(&t->conf, curves);
	/* TLS 1.2 only: 1.0/1.1 are obsolete (RFC 8996) */
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	return CONN_OK;
}

/* `force` mode on a clock not yet set (conn_clock_unset): "not yet valid"
 * cannot be told; every other check stands. Called for each certificate of
 * the chain. */
static int clock_vrfy(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	(void)crt;
	(void)depth;
	if (conn_clock_unset((long long)time(NULL)))
		*flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_FUTURE;
	return 0;
}

int conn_tls_client_new(struct conn_tls **out, enum conn_verify verify,
                        const char *ca_file, char *err, size_t errlen)
{
	struct conn_tls *t;
	int rc;

	*out = NULL;
	t = ctx_new(0);
	if (!t) {
		conn_errf(err, errlen, "TLS: out of memory");
		return CONN_ENOMEM;
	}
	rc = conf_common(t, MBEDTLS_SSL_IS_CLIENT, err, errlen);
	if (rc != CONN_OK)
		goto out;
	if (verify == CONN_VERIFY_FORCE) {
		const char *f = ca_file && *ca_file ? ca_file : SYSTEM_CA_FILE;
		int r = mbedtls_x509_crt_parse_file(&t->chain, f);
		char eb[128];
		/* a bundle with a few certificates mbedTLS cannot read is fine
		 * (r > 0); none at all is not */
		if (r < 0 || t->chain.version == 0) {
			conn_errf(err, errlen, "TLS: cannot load CA file %s: %s", f,
			        r < 0 ? mbed_err(r, eb, sizeof eb) : "no certificate");
			rc = CONN_ECONFIG;
			goto out;
		}
		mbedtls_ssl_conf_ca_chain(&t->conf, &t->chain, NULL);
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_verify(&t->conf, clock_vrfy, NULL);
	} else {
		/* pinning checks the certificate after the handshake */
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
	}
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
	/* records of 1 KiB at most both ways (RFC 6066 §4): a server whose
	 * buffers shrink to it (wire/mbedtls_host_config.h) holds an idle agent
	 * in a few KiB; a server that does not know the extension ignores it */
	if (rc == CONN_OK)
		mbedtls_ssl_conf_max_frag_len(&t->conf, MBEDTLS_SSL_MAX_FRAG_LEN_1024);
#endif
out:
	if (rc != CONN_OK)
		conn_tls_free(t);
	else
		*out = t;
	return rc;
}

void conn_tls_client_resume(struct conn_tls *t, int on)
{
	t->no_resume = !on;
	if (!on && t->have_saved) {
		mbedtls_ssl_session_free(&t->saved);
		mbedtls_ssl_session_init(&t->saved);
		t->have_saved = 0;
	}
}

/* ---- self-signed certificate (SPEC §2) ---- */

/* A client-only mbedTLS (boards/mbedtls_agent_config.h: no TLS server, no
 * certificate or key writing) leaves the server half out; the agent never
 * calls it. */
#if defined(MBEDTLS_SSL_SRV_C) && defined(MBEDTLS_X509_CRT_WRITE_C) && defined(MBEDTLS_PK_WRITE_C)

static void x509_time(char out[32], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int make_self_signed(const char *cert_path, const char *key_path, const char *hostname,
                            char *err, size_t errlen)
{
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
	unsigned char *pem = NULL;
	const size_t pem_cap = 4096;
	char host[256], subject[300], nb[32], na[32], eb[128];
	uint8_t san[160], ser[16];
	size_t san_len;
	time_t now = time(NULL);
	int r, rc = CONN_ECONFIG;

	mbedtls_pk_init(&key);
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&serial);
	conn_cert_name(hostname, 120, host);
	snprintf(subject, sizeof subject, "CN=%s", host);
	san_len = tls_der_san(host, san, sizeof san);
	pem = tls_calloc(1, pem_cap);
	if (!pem) {
		conn_errf(err, errlen, "TLS: out of memory");
		rc = CONN_ENOMEM;
		goto out;
	}
	if ((r = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (r = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
	                             mbedtls_ctr_drbg_random, &G.drbg)) != 0 ||
	    (r = mbedtls_pk_write_key_pem(&key, pem, pem_cap)) != 0) {
		conn_errf(err, errlen, "TLS: cannot make a key: %s", mbed_err(r, eb, sizeof eb));
		goto out;
	}
	rc = conn_write_new_file(key_path, pem, strlen((char *)pem), 0600, err, errlen);
	if (rc != CONN_OK)
		goto out;
	rc = CONN_ECONFIG;
	/* serial: 16 random bytes, positive */
	if (conn_random(NULL, ser, sizeof ser) != 0)
		goto out_unlink;
	ser[0] = (uint8_t)((ser[0] & 0x7F) | 0x01);
	x509_time(nb, now - 3600);
	x509_time(na, now + 3650 * 86400L);
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, &key);
	mbedtls_x509write_crt_set_issuer_key(&crt, &key);
	if ((r = mbedtls_mpi_read_binary(&serial, ser, sizeof ser)) != 0 ||
	    (r = mbedtls_x509write_crt_set_serial(&crt, &serial)) != 0 ||
	    (r = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
	    (r = mbedtls_x509write_crt_set_issuer_name(&crt, subject)) != 0 ||
	    (r = mbedtls_x509write_crt_set_validity(&crt, nb, na)) != 0 ||
	    (r = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                                             MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
	                                             0, san, san_len)) != 0 ||
	    (r = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (r = mbedtls_x509write_crt_pem(&crt, pem, pem_cap, mbedtls_ctr_drbg_random, &G.drbg)) != 0) {
		conn_errf(err, errlen, "TLS: cannot make a certificate: %s", mbed_err(r, eb, sizeof eb));
		goto out_unlink;
	}
	rc = conn_write_new_file(cert_path, pem, strlen((char *)pem), 0644, err, errlen);
out_unlink:
	if (rc != CONN_OK)
		unlink(key_path); /* never leave a key without its certificate */
out:
	if (pem) {
		memset(pem, 0, pem_cap);
		tls_free(pem);
	}
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&key);
	return rc;
}

/* ---- session tickets (RFC 5077) ----
 *
 * A reconnecting agent resumes its session from a ticket instead of a new
 * key exchange and signature: after a server restart thousands reconnect
 * at once. A ticket is the session (mbedtls_ssl_session_save) sealed with
 * AES-256-GCM under a key of its week: SHA-256 of tk_secret and the week's
 * number, where tk_secret is SHA-256 of a label and the server's private
 * key, so a restarted server (same key file) reads the tickets it gave
 * before, and a new key reads none. Layout: week (8 bytes, big-endian,
 * authenticated) | nonce (12) | sealed session | tag (16). Tickets of the
 * last TK_WEEKS weeks are read; a ticket that does not open, or from a
 * week ahead of this clock, costs a full handshake and nothing else. */
#define TK_WEEK_S (7 * 86400)
#define TK_WEEKS 3
#define TK_HEAD 20
#define TK_TAG 16

/* out = SHA-256(a || b) */
static void sha256_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[32])
{
	mbedtls_sha256_context h;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	mbedtls_sha256_update_ret(&h, a, alen);
	mbedtls_sha256_update_ret(&h, b, blen);
	mbedtls_sha256_finish_ret(&h, out);
	mbedtls_sha256_free(&h);
}

static void tk_key(const struct conn_tls *t, uint64_t week, uint8_t key[32])
{
	uint8_t w[8];

	for (int i = 0; i < 8; i++)
		w[i] = (uint8_t)(week >> (56 - 8 * i));
	sha256_two(t->tk_secret, sizeof t->tk_secret, w, sizeof w, key);
}

static int tk_seal(const struct conn_tls *t, uint64_t week, uint8_t *p, size_t n, int enc)
{
	uint8_t key[32];
	mbedtls_gcm_context g;
	int r;

	tk_key(t, week, key);
	mbedtls_gcm_init(&g);
	r = mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 256);
	if (r == 0 && enc)
		r = mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, n, p + 8, 12, p, 8, p + TK_HEAD,
		                              p + TK_HEAD, TK_TAG, p + TK_HEAD + n);
	else if (r == 0)
		r = mbedtls_gcm_auth_decrypt(&g, n, p + 8, 12, p, 8, p + TK_HEAD + n, TK_TAG, p + TK_HEAD,
		                             p + TK_HEAD);
	mbedtls_gcm_free(&g);
	mbedtls_platform_zeroize(key, sizeof key);
	return r;
}

static int tk_write(void *ctx, const mbedtls_ssl_session *session, unsigned char *start,
                    const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	const struct conn_tls *t = ctx;
	uint64_t week = (uint64_t)time(NULL) / TK_WEEK_S;
	size_t n;
	int r;

	*tlen = 0;
	if (end - start < TK_HEAD + TK_TAG)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	r = mbedtls_ssl_session_save(session, start + TK_HEAD, (size_t)(end - start) - TK_HEAD - TK_TAG, &n);
	if (r != 0)
		return r;
	for (int i = 0; i < 8; i++)
		start[i] = (uint8_t)(week >> (56 - 8 * i));
	if (conn_random(NULL, start + 8, 12) != 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	if ((r = tk_seal(t, week, start, n, 1)) != 0)
		return r;
	*tlen = TK_HEAD + n + TK_TAG;
	*lifetime = TK_WEEKS * TK_WEEK_S;
	return 0;
}

static int tk_parse(void *ctx, mbedtls_ssl_session *session, unsigned char *buf, size_t len)
{
	struct conn_tls *t = ctx;
	time_t now = time(NULL);
	uint64_t week = 0, this_week = (uint64_t)now / TK_WEEK_S;
	int r;

	if (len < TK_HEAD + TK_TAG)
		return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
	for (int i = 0; i < 8; i++)
		week = week << 8 | buf[i];
	if (week > this_week || this_week - week >= TK_WEEKS)
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
	if (tk_seal(t, week, buf, len - TK_HEAD - TK_TAG, 0) != 0)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	if ((r = mbedtls_ssl_session_load(session, buf + TK_HEAD, len - TK_HEAD - TK_TAG)) != 0)
		return r;
	if (t->cur)
		t->cur->resumed = 1;
	return 0;
}

/* tk_secret from the server's key; tickets on. */
static int tk_setup(struct conn_tls *t)
{
	static const char label[] = "monbot session ticket key v1";
	unsigned char der[1600];
	int n = mbedtls_pk_write_key_der(&t->key, der, sizeof der);

	if (n <= 0)
		return -1;
	sha256_two((const uint8_t *)label, sizeof label - 1, der + sizeof der - (size_t)n, (size_t)n, t->tk_secret);
	mbedtls_platform_zeroize(der, sizeof der);
	mbedtls_ssl_conf_session_tickets_cb(&t->conf, tk_write, tk_parse, t);
	return 0;
}

int conn_tls_server_new(struct conn_tls **out, const char *cert_path,
                        const char *key_path, const char *hostname,
                        int *generated, char *err, size_t errlen)
{
	struct conn_tls *t;
	int r, rc, make;
	char eb[128];

	*out = NULL;
	if (generated)
		*generated = 0;
	t = ctx_new(1);
	if (!t) {
		conn_errf(err, errlen, "TLS: out of memory");
		return CONN_ENOMEM;
	}
	rc = conf_common(t, MBEDTLS_SSL_IS_SERVER, err, errlen);
	if (rc != CONN_OK)
		goto out;
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
	if ((r = mbedtls_x509_crt_parse_file(&t->chain, cert_path)) != 0) {
		conn_errf(err, errlen, "TLS: cannot load certificate %s: %s", cert_path, mbed_err(r, eb, sizeof eb));
		goto out;
	}
	if ((r = mbedtls_pk_parse_keyfile(&t->key, key_path, NULL)) != 0) {
		conn_errf(err, errlen, "TLS: cannot load key %s: %s", key_path, mbed_err(r, eb, sizeof eb));
		goto out;
	}
	if ((r = mbedtls_pk_check_pair(&t->chain.pk, &t->key)) != 0) {
		conn_errf(err, errlen, "TLS: key %s does not belong to certificate %s", key_path, cert_path);
		goto out;
	}
	if ((r = mbedtls_ssl_conf_own_cert(&t->conf, &t->chain, &t->key)) != 0) {
		conn_errf(err, errlen, "TLS: %s", mbed_err(r, eb, sizeof eb));
		goto out;
	}
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);
	if (tk_setup(t) != 0) {
		conn_errf(err, errlen, "TLS: cannot read key %s back for the session tickets", key_path);
		goto out;
	}
	rc = CONN_OK;
out:
	if (rc != CONN_OK)
		conn_tls_free(t);
	else
		*out = t;
	return rc;
}

#else

int conn_tls_server_new(struct conn_tls **out, const char *cert_path,
                        const char *key_path, const char *hostname,
                        int *generated, char *err, size_t errlen)
{
	*out = NULL;
	if (generated)
		*generated = 0;
	conn_errf(err, errlen, "TLS: this build's mbedTLS is client-only (no TLS server)");
	return CONN_ECONFIG;
}

#endif

/* ---- sessions ---- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = conn_sock_send(ctx, buf, len);

	if (n == CONN_EAGAIN)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = conn_sock_recv(ctx, buf, len);

	if (n == CONN_EAGAIN)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)n;
}

static int map_err(struct conn *c, int r)
{
	struct sess *s = c->sess;

	switch (r) {
	case MBEDTLS_ERR_SSL_WANT_READ:
		c->want = CONN_WANT_READ;
		return CONN_EAGAIN;
	case MBEDTLS_ERR_SSL_WANT_WRITE:
		c->want = CONN_WANT_WRITE;
		return CONN_EAGAIN;
	case MBEDTLS_ERR_NET_SEND_FAILED:
	case MBEDTLS_ERR_NET_RECV_FAILED:
		return CONN_EIO; /* sys_errno set by the socket call */
	case MBEDTLS_ERR_SSL_ALLOC_FAILED:
		return CONN_ENOMEM;
	case MBEDTLS_ERR_X509_CERT_VERIFY_FAILED:
		c->tls_code = (int)mbedtls_ssl_get_verify_result(&s->ssl);
		return CONN_EVERIFY;
	default:
		c->tls_code = r;
		return CONN_ETLS;
	}
}

#if defined(MBEDTLS_SSL_SESSION_TICKETS)
/* A client keeps each connection's session (with the ticket the server
 * just gave) and offers it on the next (conn_tls_session_start): resumed
 * when the master secret is the one it offered. */
static void keep_session(struct conn_tls *t, struct sess *s, const char *name)
{
	const mbedtls_ssl_session *now = s->ssl.session;

	s->resumed = t->have_saved && now && !memcmp(now->master, t->saved.master, sizeof now->master);
	mbedtls_ssl_session_free(&t->saved);
	mbedtls_ssl_session_init(&t->saved);
	t->have_saved = mbedtls_ssl_get_session(&s->ssl, &t->saved) == 0;
	snprintf(t->saved_name, sizeof t->saved_name, "%s", name);
}
#endif

static int m_handshake(struct conn *c)
{
	struct sess *s = c->sess;
	int r;

	c->tls->cur = s;
	r = mbedtls_ssl_handshake(&s->ssl);
	c->tls->cur = NULL;
	if (r != 0)
		return map_err(c, r);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
	if (!c->tls->is_server && !c->tls->no_resume)
		keep_session(c->tls, s, c->server_name);
#endif
	return CONN_OK;
}

static int m_resumed(const struct conn *c)
{
	const struct sess *s = c->sess;

	return s->resumed;
}

static ssize_t m_read(struct conn *c, void *buf, size_t len)
{
	struct sess *s = c->sess;
	int r = mbedtls_ssl_read(&s->ssl, buf, len);

	if (r > 0)
		return r;
	/* close_notify, or TCP EOF without one: both end the stream here; the
	 * WebSocket close handshake above says whether it was clean */
	if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || r == MBEDTLS_ERR_SSL_CONN_EOF)
		return 0;
	return map_err(c, r);
}

static ssize_t m_write(struct conn *c, const void *buf, size_t len)
{
	struct sess *s = c->sess;
	int r = mbedtls_ssl_write(&s->ssl, buf, len);

	return r >= 0 ? r : map_err(c, r);
}

static size_t m_pending(const struct conn *c)
{
	const struct sess *s = c->sess;

	return mbedtls_ssl_get_bytes_avail(&s->ssl);
}

static int m_shutdown(struct conn *c)
{
	struct sess *s = c->sess;

	mbedtls_ssl_close_notify(&s->ssl); /* best effort: may want write */
	return conn_sock_shutdown(c);
}

static void m_free(struct conn *c)
{
	struct sess *s = c->sess;

	if (!s)
		return;
	mbedtls_ssl_free(&s->ssl);
	tls_free(s);
	c->sess = NULL;
}

static int m_peer_hashes(const struct conn *c, uint8_t cert[32], uint8_t spki[32])
{
	const struct sess *s = c->sess;
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&s->ssl);
	const uint8_t *k;
	size_t kl;

	if (!crt || tls_der_spki(crt->raw.p, crt->raw.len, &k, &kl) != 0)
		return CONN_EINVAL;
	if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, cert, 0) != 0 ||
	    mbedtls_sha256_ret(k, kl, spki, 0) != 0)
		return CONN_ETLS;
	return CONN_OK;
}

int conn_tls_own_hashes(const struct conn_tls *t, uint8_t cert[32], uint8_t spki[32])
{
	const uint8_t *k;
	size_t kl;

	if (!t || !t->is_server || !t->chain.raw.p ||
	    tls_der_spki(t->chain.raw.p, t->chain.raw.len, &k, &kl) != 0)
		return CONN_EINVAL;
	if (mbedtls_sha256_ret(t->chain.raw.p, t->chain.raw.len, cert, 0) != 0 ||
	    mbedtls_sha256_ret(k, kl, spki, 0) != 0)
		return CONN_ETLS;
	return CONN_OK;
}

static const char *m_strerror(const struct conn *c, int rc, char *buf, size_t len)
{
	char eb[160];

	if (rc == CONN_EVERIFY) {
		mbedtls_x509_crt_verify_info(eb, sizeof eb, "", (uint32_t)c->tls_code);
		eb[strcspn(eb, "\n")] = '\0';
		snprintf(buf, len, "TLS: certificate not trusted: %s", eb);
	} else {
#if defined(MBEDTLS_ERROR_C)
		snprintf(buf, len, "TLS: %s (-0x%04x)", mbed_err(c->tls_code, eb, sizeof eb),
		         (unsigned)-c->tls_code);
#else
		snprintf(buf, len, "TLS: %s", mbed_err(c->tls_code, eb, sizeof eb));
#endif
	}
	return buf;
}

static const struct conn_ops mbed_ops = {
	m_handshake, m_read, m_write, m_pending, m_shutdown, m_free, m_peer_hashes, m_strerror, m_resumed,
};

int conn_tls_session_start(struct conn *c)
{
	struct sess *s = tls_calloc(1, sizeof *s);
	int r;

	if (!s)
		return CONN_ENOMEM;
	mbedtls_ssl_init(&s->ssl);
	c->sess = s;
	c->ops = &mbed_ops;
	r = mbedtls_ssl_setup(&s->ssl, &c->tls->conf);
	if (r == 0 && !c->tls->is_server && c->server_name[0])
		r = mbedtls_ssl_set_hostname(&s->ssl, c->server_name);
	/* an offered session the server no longer knows costs a full handshake */
	if (r == 0 && !c->tls->is_server && c->tls->have_saved && !strcmp(c->tls->saved_name, c->server_name))
		(void)mbedtls_ssl_set_session(&s->ssl, &c->tls->saved);
	if (r != 0)
		return map_err(c, r);
	mbedtls_ssl_set_bio(&s->ssl, c, bio_send, bio_recv, NULL);
	return CONN_OK;
}
