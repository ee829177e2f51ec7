/* jsonr.h — reading JSON over jsmn (libjsmn-dev, strict mode with parent
 * links) into the caller's token pool. jsonr_parse accepts only well-formed
 * JSON (one value, strict numbers and literals, string escapes checked, no
 * raw control characters) nested no deeper than the caller allows; the
 * accessors then never see garbage. No allocation, no recursion.
 * Functions return JSONR_OK (0) or a negative JSONR_E* code. */
#ifndef MONBOT_JSONR_H
#define MONBOT_JSONR_H

#ifndef JSMN_PARENT_LINKS
#define JSMN_PARENT_LINKS
#endif
#ifndef JSMN_STRICT
#define JSMN_STRICT
#endif
#ifndef JSMN_H
#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER
#endif

#include <stddef.h>
#include <stdint.h>

#define JSONR_OK      0
#define JSONR_EPARSE (-1) /* not well-formed JSON */
#define JSONR_ENOMEM (-2) /* more tokens than the caller's pool */
#define JSONR_EDEPTH (-3) /* nested deeper than allowed */
#define JSONR_ETYPE  (-4) /* value of another type */
#define JSONR_ENOSPC (-5) /* caller's buffer too small */
#define JSONR_ERANGE (-6) /* number not finite or outside the asked range */
#define JSONR_ENOENT (-7) /* no such key / index */
#define JSONR_ETOOBIG (-8) /* input longer than jsmn can index (2 GiB) */

enum jsonr_type {
	JSONR_T_INVALID = 0,
	JSONR_T_OBJECT, JSONR_T_ARRAY, JSONR_T_STRING,
	JSONR_T_NUMBER, JSONR_T_TRUE, JSONR_T_FALSE, JSONR_T_NULL
};

struct jsonr {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
};

/* Parses js[0..len) (NUL bytes end nothing: they make it invalid) into
 * tok[0..cap). Token 0 is the top-level value. */
int jsonr_parse(struct jsonr *r, const char *js, size_t len, jsmntok_t *tok,
                unsigned cap, unsigned max_depth);

enum jsonr_type jsonr_type(const struct jsonr *r, int i);
/* Index of the token after i's whole subtree (ntok at the end). */
int jsonr_next(const struct jsonr *r, int i);
/* Members of an object / elements of an array (tok size). */
int jsonr_count(const struct jsonr *r, int i);
/* Value token of key in object obj (the last one when repeated), or a
 * negative code: JSONR_ETYPE (obj is no object), JSONR_ENOENT. */
int jsonr_get(const struct jsonr *r, int obj, const char *key);
/* Element idx of array arr, or JSONR_ETYPE / JSONR_ENOENT. Linear. */
int jsonr_at(const struct jsonr *r, int arr, int idx);

/* Iteration: for (int k = jsonr_first(r, obj); k > 0; k = jsonr_after(r, obj, k))
 * visits an object's keys (value at k + 1) or an array's elements. */
int jsonr_first(const struct jsonr *r, int parent);
int jsonr_after(const struct jsonr *r, int parent, int k);

/* Number as a double; JSONR_ERANGE when it overflows to infinity. */
int jsonr_num(const struct jsonr *r, int i, double *out);
/* Number within [min, max] (finite); JSONR_ERANGE outside. */
int jsonr_num_range(const struct jsonr *r, int i, double min, double max, double *out);
/* Whole number (no fraction after conversion) within [min, max]. */
int jsonr_int(const struct jsonr *r, int i, int64_t min, int64_t max, int64_t *out);
int jsonr_bool(const struct jsonr *r, int i, int *out);
int jsonr_is_null(const struct jsonr *r, int i);

/* The string's text unescaped (\uXXXX pairs joined, written as UTF-8) into
 * buf with a NUL; *out_len (may be NULL) without it. JSONR_ENOSPC when it
 * does not fit (buf then holds nothing useful), JSONR_ETYPE for \u0000 or a
 * lone surrogate (the text cannot be a C string / UTF-8). */
int jsonr_str(const struct jsonr *r, int i, char *buf, size_t cap, size_t *out_len);
/* Bytes enough for jsonr_str of token i (raw length + 1). */
size_t jsonr_str_cap(const struct jsonr *r, int i);
/* 1 when token i is a string equal to s (after unescaping). */
int jsonr_str_eq(const struct jsonr *r, int i, const char *s);

#endif
