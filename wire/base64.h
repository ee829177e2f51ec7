/* base64.h — RFC 4648 §4 base64 (standard alphabet, '=' padding), for the
 * WebSocket handshake keys. Caller-provided buffers; short ones are errors. */
#ifndef MONBOT_BASE64_H
#define MONBOT_BASE64_H

#include <stddef.h>
#include <stdint.h>

#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Writes BASE64_LEN(len) characters and a NUL into out. Returns 0, or -1
 * when cap < BASE64_LEN(len) + 1. */
int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes len characters (a multiple of 4, canonical padding only) into
 * out; *out_len is the byte count. Returns 0, or -1 for bad input or a
 * short buffer. */
int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
