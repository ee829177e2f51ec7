/* json.c — JSON writer (see json.h). Strings are escaped per RFC 8259 §7;
 * bytes that are not valid UTF-8 become U+FFFD so output is always valid. */
#include "wire/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json_w *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->first[0] = 1;
	if (cap == 0)
		w->err = JSON_ENOSPC;
	else
		buf[0] = '\0';
}

int json_finish(struct json_w *w, size_t *len)
{
	if (len)
		*len = w->err ? 0 : w->len;
	return w->err;
}

static void put(struct json_w *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {
		w->err = JSON_ENOSPC;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct json_w *w, char c)
{
	put(w, &c, 1);
}

/* Separator before a value or a key at the current depth. */
static void sep(struct json_w *w)
{
	if (w->first[w->depth])
		w->first[w->depth] = 0;
	else
		putc1(w, ',');
}

static void open(struct json_w *w, char c)
{
	sep(w);
	putc1(w, c);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		if (!w->err)
			w->err = JSON_EDEPTH;
		return;
	}
	w->first[++w->depth] = 1;
}

static void close_(struct json_w *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putc1(w, c);
}

void json_obj_open(struct json_w *w) { open(w, '{'); }
void json_obj_close(struct json_w *w) { close_(w, '}'); }
void json_arr_open(struct json_w *w) { open(w, '['); }
void json_arr_close(struct json_w *w) { close_(w, ']'); }

/* Length of the valid UTF-8 sequence at s (RFC 3629), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void str_body(struct json_w *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	putc1(w, '"');
	while (i < n) {
		unsigned c = p[i];
		size_t ul;
		const char *esc = NULL;
		char tmp[8];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80 && (ul = utf8_len(p + i, n - i)) > 0) {
			i += ul;
			continue;
		}
		put(w, s + run, i - run);
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				esc = tmp;
			} else {
				esc = "\\ufffd"; /* invalid UTF-8 byte */
			}
		}
		put(w, esc, strlen(esc));
		i++;
		run = i;
	}
	put(w, s + run, n - run);
	putc1(w, '"');
}

void json_key(struct json_w *w, const char *key)
{
	sep(w);
	str_body(w, key, strlen(key));
	putc1(w, ':');
	/* The value that follows must not get its own separator. */
	w->first[w->depth] = 1;
}

/* After a value inside an object or array, the next one needs a comma. */
static void value_done(struct json_w *w)
{
	w->first[w->depth] = 0;
}

void json_strn(struct json_w *w, const char *s, size_t n)
{
	sep(w);
	str_body(w, s, n);
	value_done(w);
}

void json_str(struct json_w *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	json_strn(w, s, strlen(s));
}

void json_raw(struct json_w *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
	value_done(w);
}

void json_int(struct json_w *w, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	json_raw(w, tmp, (size_t)n);
}

void json_uint(struct json_w *w, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	json_raw(w, tmp, (size_t)n);
}

void json_num(struct json_w *w, double v, int decimals)
{
	char tmp[48];
	int n;
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	/* Past 1e38 or so "%f" needs more room than tmp (1e308 is 309
	 * digits): the exponent form, which is JSON too. */
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		n = snprintf(tmp, sizeof(tmp), "%.17g", v);
		json_raw(w, tmp, (size_t)n);
		return;
	}
	/* Trim trailing zeros so 12.50 -> 12.5 and 3.00 -> 3 */
	if (decimals > 0) {
		while (n > 0 && tmp[n - 1] == '0')
			n--;
		if (n > 0 && tmp[n - 1] == '.')
			n--;
	}
	if (n == 2 && tmp[0] == '-' && tmp[1] == '0')
		n = 1, tmp[0] = '0';
	json_raw(w, tmp, (size_t)n);
}

void json_bool(struct json_w *w, int v)
{
	json_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_w *w)
{
	json_raw(w, "null", 4);
}
