/* json.h — JSON writing into a caller's buffer, no allocation.
 * Errors are sticky: once the buffer is too small every later call is a no-op
 * and json_finish() reports JSON_ENOSPC, so callers check once at the end. */
#ifndef MONBOT_JSON_H
#define MONBOT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_OK      0
#define JSON_ENOSPC (-1)
#define JSON_EDEPTH (-2)
#define JSON_MAX_DEPTH 16

struct json_w {
	char *buf;
	size_t cap, len;
	int err;
	int depth;
	unsigned char first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
};

void json_init(struct json_w *w, char *buf, size_t cap);
/* Returns JSON_OK and the length (without the NUL, which is always written). */
int json_finish(struct json_w *w, size_t *len);

void json_obj_open(struct json_w *w);
void json_obj_close(struct json_w *w);
void json_arr_open(struct json_w *w);
void json_arr_close(struct json_w *w);
void json_key(struct json_w *w, const char *key); /* inside an object */

void json_str(struct json_w *w, const char *s);
void json_strn(struct json_w *w, const char *s, size_t n);
void json_int(struct json_w *w, int64_t v);
void json_uint(struct json_w *w, uint64_t v);
/* Fixed `decimals` places with trailing zeros trimmed (12.50 -> 12.5); NaN and
 * infinities are written as null (JSON has no such numbers). */
void json_num(struct json_w *w, double v, int decimals);
void json_bool(struct json_w *w, int v);
void json_null(struct json_w *w);
/* Append already-valid JSON text as one value. */
void json_raw(struct json_w *w, const char *s, size_t n);

#endif
