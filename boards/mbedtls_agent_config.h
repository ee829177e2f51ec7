/* mbedtls_agent_config.h — the project's own mbedTLS 2.28 configuration for
 * the agent of every board that builds mbedTLS from source (BOARD_MBEDTLS=1,
 * tools/build-mbedtls.sh). It replaces mbedTLS's default configuration
 * through MBEDTLS_CONFIG_FILE, for the library and for the agent objects of
 * that build alike (the Makefile passes the same define to both: a struct
 * seen with two configurations would corrupt memory). The native build keeps
 * Debian's libmbedtls and its default configuration.
 *
 * What the agent's TLS needs, and nothing else: a TLS 1.2 client that
 *   - reaches monbot-server (mbedTLS server, EC P-256 self-signed certificate
 *     from wire/conn_mbedtls.c, X25519/P-256 key exchange, AES-GCM);
 *   - reaches the original Python server (uvicorn ssl_ciphers="TLSv1": over
 *     TLS 1.2 only the ECDHE-{ECDSA,RSA}-AES{128,256}-SHA CBC suites, with an
 *     RSA or an EC certificate made by openssl; tests/integration/
 *     agent_tls_orig.py tries both);
 *   - pins the server's certificate (AGENT_VERIFY_SSL=1: wire/tls_pin.c
 *     hashes the peer's DER certificate and SPKI, wire/tls_der.c) or, in
 *     `force` mode, verifies a chain from AGENT_CA_FILE (PEM) to real CAs
 *     (RSA and ECDSA P-256/P-384 roots and intermediates) and the host name.
 * Each choice is written beside it. Options are named as in mbedTLS 2.28's
 * include/mbedtls/config.h; check_config.h (included last) rejects an
 * inconsistent set at compile time. */
#ifndef MONBOT_MBEDTLS_AGENT_CONFIG_H
#define MONBOT_MBEDTLS_AGENT_CONFIG_H

/* A marker the agent's code can test: this build's mbedTLS is client-only
 * (wire/conn_mbedtls.c compiles its server half only with MBEDTLS_SSL_SRV_C). */
#define MONBOT_MBEDTLS_AGENT_CONFIG 1

/* ---- system ---- */
/* Bignum assembly (bn_mul.h has it for x86_64, ARM, MIPS; plain C elsewhere):
 * the ECDHE and RSA-verify arithmetic of each handshake, on slow routers.
 * Not in MIPS16 code (the MIPS boards, boards/musl-cross.mk): bn_mul.h's
 * MIPS assembly is MIPS32 and the compressed ISA cannot hold it; the C
 * multiply costs those boards some milliseconds a handshake. */
#if !defined(__mips16)
#define MBEDTLS_HAVE_ASM
#endif
/* time() and gmtime_r(): certificate validity dates in `force` mode. */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
/* AGENT_CA_FILE is read with mbedtls_x509_crt_parse_file(). */
#define MBEDTLS_FS_IO
/* No MBEDTLS_PLATFORM_C / PLATFORM_MEMORY: the library calls calloc/free
 * directly, and the build renames those two symbols to tls_calloc/tls_free
 * in the archives (wire/ws.mk, objcopy), which puts every allocation on the
 * agent's static arena (wire/tls_arena.c) exactly as with Debian's library.
 * For the same reason no MBEDTLS_MEMORY_BUFFER_ALLOC_C: tls_arena.c is our
 * buffer allocator, and its peak is what the tests read. */

/* ---- TLS protocol ---- */
#define MBEDTLS_SSL_TLS_C
/* Client only: the agent never accepts TLS (no SSL_SRV_C, no session cache,
 * no ticket keys, no DTLS cookies). */
#define MBEDTLS_SSL_CLI_C
/* TLS 1.2 only: conn_mbedtls.c already refuses anything lower (RFC 8996);
 * no SSL 3.0, TLS 1.0, 1.1 (which would also bring MD5 for their PRF), no
 * DTLS. */
#define MBEDTLS_SSL_PROTO_TLS1_2
/* Both our servers run the TLS 1.2 hardening extensions; cheap, and the
 * CBC suites need Encrypt-then-MAC to avoid MAC-then-encrypt's padding
 * oracles where the peer (OpenSSL) agrees to it. */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
/* SNI: real servers behind a name (`force` mode) choose their certificate by
 * it; mbedtls_ssl_set_hostname() also gives the name `force` checks. */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
/* mbedtls_ssl_get_peer_cert() after the handshake: the pin (tls_pin.c). */
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
/* Readable alerts in the server's log when the agent gives up. */
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES
/* A reconnect resumes the last session from the server's ticket (RFC
 * 5077): no key exchange, no signature, for the router and for a server
 * that thousands reconnect to after a restart (wire/conn_mbedtls.c
 * keeps the session in the arena). 0.3 KiB of code. */
#define MBEDTLS_SSL_SESSION_TICKETS
/* 1 KiB records asked of the server (RFC 6066), so that our server holds
 * the session in a few KiB (wire/mbedtls_host_config.h). The agent's own
 * IN buffer stays 16 KiB (below): a server that does not know the
 * extension sends full-size records. 0.2 KiB of code. */
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
/* Off, each on purpose:
 *   SSL_RENEGOTIATION   neither server renegotiates; the client still sends
 *                       the empty renegotiation_info SCSV (RFC 5746), and a
 *                       server's HelloRequest gets a no_renegotiation alert.
 *   SSL_ALPN, SSL_FALLBACK_SCSV, SSL_CBC_RECORD_SPLITTING (TLS 1.0 only),
 *   SSL_TRUNCATED_HMAC, SSL_EXPORT_KEYS, SSL_CONTEXT_SERIALIZATION,
 *   SSL_RECORD_CHECKING, SSL_DTLS_*: unused by the agent. */

/* Record buffers. IN stays at TLS's 16 KiB: the server may send full-size
 * records (mbedTLS and OpenSSL both do) and a server that ignores the
 * max_fragment_length the agent asks for would overflow a smaller one. OUT is 4 KiB:
 * mbedTLS 2.28 keeps the two apart, a longer mbedtls_ssl_write() returns a
 * partial count, and the agent's writer (agent.c, st_builtin.c) continues
 * from its offset; it saves 12 KiB of arena per connection. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* ---- key exchange and certificates ---- */
/* ECDHE only, signed by ECDSA (monbot-server's P-256 certificate, openssl EC
 * certificates) or RSA (the original server with an RSA certificate, real
 * CAs). The original's TLSv1 cipher string also has DHE-RSA and plain RSA
 * key exchange, but every OpenSSL server prefers its ECDHE suites to those,
 * so no DHM_C and no KEY_EXCHANGE_RSA; no PSK, no static ECDH, no ECJPAKE. */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
/* Curves: X25519 first (conn_mbedtls.c's list), P-256 (monbot-server's key
 * and the usual ECDHE group), P-384 (Let's Encrypt's ECDSA root and
 * intermediates, for `force` mode). The NIST fast reduction is a few KiB of
 * code for handshakes several times faster on a router's CPU. No other
 * curve: none of our peers or the common CAs use them. */
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* The fixed-point comb table is built per group, and the agent frees the
 * group after each handshake, so it would be computed (and take arena) each
 * time for no gain. */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
/* RSA: verification only (certificate signatures and the ECDHE_RSA server
 * key exchange use PKCS#1 v1.5 in TLS 1.2). No PKCS1_V21 (PSS-signed
 * certificates are rare; X509_RSASSA_PSS_SUPPORT would need it), no
 * GENPRIME (no key generation), no PK_RSA_ALT_SUPPORT. */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
/* ECDSA verification (ECDSA_C also carries signing, which 2.28 cannot
 * leave out; the link's --gc-sections drops it). No ECDSA_DETERMINISTIC:
 * the client never signs. */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECP_C
#define MBEDTLS_BIGNUM_C

/* X.509: certificate parsing for the pin and for `force` mode's chain and
 * host-name check, with key usage and extended key usage checked as the
 * default does. PEM for AGENT_CA_FILE. No CRL, CSR, certificate writing
 * (only the server makes its self-signed certificate), no PK_WRITE_C. */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C /* ECDSA_C requires it (signature encoding) */

/* ---- symmetric ciphers and hashes ---- */
/* AES-128/256 for GCM, CBC and the CTR-DRBG. Tables generated at start-up
 * (not ROM_TABLES, which would put 8 KiB in the binary), one table instead
 * of four (AES_FEWER_TABLES: 6 KiB less RAM; the agent sends a few KiB a
 * second). AES-NI where the CPU has it (x86_64 only; nothing elsewhere). */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
/* CBC with PKCS#7 padding (the cipher layer's default for CBC; TLS does its
 * own padding): the original server's TLS 1.2 suites. No CFB, CTR, OFB,
 * XTS modes, no other padding. */
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_PADDING_PKCS7
/* ChaCha20-Poly1305: fast without AES instructions (MIPS and ARM routers). */
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
/* No ARC4, DES, Blowfish, Camellia, ARIA, XTEA, CCM, CMAC, NIST_KW, HKDF,
 * and no NULL cipher. */

/* Hashes: SHA-1 is the MAC of the CBC-SHA suites (and SHA-1 signed
 * certificates stay refused by the default X.509 profile); SHA-256 for the
 * PRF, the pin and most signatures; SHA-512's code gives SHA-384 (the
 * *-SHA384 GCM suites, P-384 certificate signatures) and the entropy pool.
 * The SMALLER variants: less code, the agent hashes little. No MD5, MD2,
 * MD4, RIPEMD-160 (TLS 1.2 needs none). */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
/* SHA-1's block function is the agent's own (wire/sha1.c, which the
 * WebSocket handshake needs anyway; conn_mbedtls.c hands it over): a loop
 * of 80 rounds instead of mbedTLS's unrolled one, 5 KiB less on MIPS, and
 * the agent runs it on a few KiB a minute. */
#define MBEDTLS_SHA1_PROCESS_ALT
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_C
#define MBEDTLS_SHA512_SMALLER

/* ---- randomness ---- */
/* CTR-DRBG (AES-256) seeded from the platform's entropy (getrandom() or
 * /dev/urandom); no HMAC-DRBG (only deterministic ECDSA signing uses it),
 * no NV seed, no HAVEGE/timing. */
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ENTROPY_C

/* ---- the rest ---- */
/* Off: ERROR_C, mbedtls_strerror()'s texts (13 KiB, the largest single
 * object left, 5 % of the board's 250 KB budget): the agent logs the code,
 * "mbedTLS error -0x7780" (conn_mbedtls.c), which error.h names; an
 * untrusted certificate is still said in words
 * (mbedtls_x509_crt_verify_info() is part of X509_CRT_PARSE_C).
 * Off as well: PSA crypto (the default's biggest unused part), NET_C (the
 * connection layer has its own sockets; net_sockets.h is included only for
 * its error codes), DEBUG_C, SELF_TEST, VERSION_C (the version string is the
 * MBEDTLS_VERSION_STRING macro), CERTS_C, PKCS5, PKCS11, PKCS12, threading,
 * zlib. */

#include "mbedtls/check_config.h"

#endif
