/* sha1.h — SHA-1 (FIPS 180-4) for the WebSocket handshake's
 * Sec-WebSocket-Accept (RFC 6455 §4.2.2), so the codec needs no TLS library;
 * a board's mbedTLS uses its block function too (conn_mbedtls.c,
 * MBEDTLS_SHA1_PROCESS_ALT). */
#ifndef MONBOT_SHA1_H
#define MONBOT_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20

struct sha1 {
	uint32_t h[5];
	uint64_t total;
	uint8_t buf[64];
	size_t n;
};

/* One 64-byte block into the five state words (big-endian input). */
void sha1_block(uint32_t h[5], const uint8_t *p);
void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t len);
void sha1_final(struct sha1 *s, uint8_t out[SHA1_LEN]);
void sha1(const void *data, size_t len, uint8_t out[SHA1_LEN]);

#endif
