/* jsonr.c — JSON reading over jsmn. A validating pre-pass (a pushdown
 * automaton over RFC 8259's grammar, bounded depth, no recursion) rejects
 * what jsmn would let through (stray commas, bad numbers and literals,
 * control characters in strings); jsmn then only tokenizes. */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>

#include "wire/jsonr.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JSONR_DEPTH_LIMIT 512

enum { ST_VALUE, ST_AFTER, ST_KEY_OR_CLOSE, ST_KEY, ST_COLON, ST_VALUE_OR_CLOSE };

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of a well-formed number at s[0..n), 0 if none. RFC 8259 §6. */
static size_t scan_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit(s[i]))
			i++;
	} else {
		return 0;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i;
}

/* Length of a string starting at the quote s[0], closing quote included; 0 if
 * malformed or unterminated. */
static size_t scan_string(const char *s, size_t n)
{
	size_t i = 1;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (i + 1 >= n)
				return 0;
			switch (s[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				break;
			case 'u':
				if (i + 6 > n || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) ||
				    !is_hex(s[i + 4]) || !is_hex(s[i + 5]))
					return 0;
				i += 6;
				break;
			default:
				return 0;
			}
			continue;
		}
		i++;
	}
	return 0;
}

static int validate(const char *js, size_t len, unsigned max_depth)
{
	uint64_t objbits[JSONR_DEPTH_LIMIT / 64] = {0}; /* 1 = object at that depth */
	unsigned depth = 0;
	int st = ST_VALUE, done = 0;
	size_t i = 0;

	while (i < len) {
		char c = js[i];
		size_t k;
		if (is_ws(c)) {
			i++;
			continue;
		}
		if (done)
			return JSONR_EPARSE; /* more after the one top-level value */
		switch (st) {
		case ST_VALUE:
		case ST_VALUE_OR_CLOSE:
			if (st == ST_VALUE_OR_CLOSE && c == ']')
				goto close;
			if (c == '{' || c == '[') {
				if (depth >= max_depth)
					return JSONR_EDEPTH;
				if (c == '{')
					objbits[depth / 64] |= (uint64_t)1 << (depth % 64);
				else
					objbits[depth / 64] &= ~((uint64_t)1 << (depth % 64));
				depth++;
				st = c == '{' ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
				i++;
				continue;
			}
			if (c == '"') {
				k = scan_string(js + i, len - i);
			} else if (c == '-' || is_digit(c)) {
				k = scan_number(js + i, len - i);
			} else if (c == 't' && len - i >= 4 && memcmp(js + i, "true", 4) == 0) {
				k = 4;
			} else if (c == 'f' && len - i >= 5 && memcmp(js + i, "false", 5) == 0) {
				k = 5;
			} else if (c == 'n' && len - i >= 4 && memcmp(js + i, "null", 4) == 0) {
				k = 4;
			} else {
				return JSONR_EPARSE;
			}
			if (k == 0)
				return JSONR_EPARSE;
			i += k;
			/* A literal or number must end at a delimiter ("truex", "1a"). */
			if (c != '"' && i < len && !is_ws(js[i]) && js[i] != ',' &&
			    js[i] != ']' && js[i] != '}')
				return JSONR_EPARSE;
			st = ST_AFTER;
			if (depth == 0)
				done = 1;
			continue;
		case ST_KEY_OR_CLOSE:
			if (c == '}')
				goto close;
			/* fall through */
		case ST_KEY:
			if (c != '"')
				return JSONR_EPARSE;
			k = scan_string(js + i, len - i);
			if (k == 0)
				return JSONR_EPARSE;
			i += k;
			st = ST_COLON;
			continue;
		case ST_COLON:
			if (c != ':')
				return JSONR_EPARSE;
			i++;
			st = ST_VALUE;
			continue;
		case ST_AFTER:
			if (depth == 0)
				return JSONR_EPARSE;
			if (c == ',') {
				int in_obj = (objbits[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
				st = in_obj ? ST_KEY : ST_VALUE;
				i++;
				continue;
			}
			if (c == '}' || c == ']')
				goto close;
			return JSONR_EPARSE;
		}
		return JSONR_EPARSE;
close:
		{
			int in_obj = (objbits[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
			if ((c == '}') != in_obj)
				return JSONR_EPARSE;
			depth--;
			i++;
			st = ST_AFTER;
			if (depth == 0)
				done = 1;
		}
	}
	return done ? JSONR_OK : JSONR_EPARSE;
}

int jsonr_parse(struct jsonr *r, const char *js, size_t len, jsmntok_t *tok,
                unsigned cap, unsigned max_depth)
{
	jsmn_parser p;
	int rc, n;

	r->js = js;
	r->len = len;
	r->tok = tok;
	r->ntok = 0;
	if (len > 0x7fffff00u)
		return JSONR_ETOOBIG;
	if (max_depth > JSONR_DEPTH_LIMIT)
		max_depth = JSONR_DEPTH_LIMIT;
	rc = validate(js, len, max_depth);
	if (rc != JSONR_OK)
		return rc;
	/* A top-level scalar would need a delimiter after it in strict jsmn. */
	if (js[0] != '{' && js[0] != '[') {
		size_t s = 0;
		while (s < len && is_ws(js[s]))
			s++;
		if (js[s] != '{' && js[s] != '[')
			return JSONR_ETYPE;
	}
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, tok, cap);
	if (n == JSMN_ERROR_NOMEM)
		return JSONR_ENOMEM;
	if (n <= 0)
		return JSONR_EPARSE;
	r->ntok = n;
	return JSONR_OK;
}

enum jsonr_type jsonr_type(const struct jsonr *r, int i)
{
	const jsmntok_t *t;
	if (i < 0 || i >= r->ntok)
		return JSONR_T_INVALID;
	t = &r->tok[i];
	switch (t->type) {
	case JSMN_OBJECT: return JSONR_T_OBJECT;
	case JSMN_ARRAY: return JSONR_T_ARRAY;
	case JSMN_STRING: return JSONR_T_STRING;
	case JSMN_PRIMITIVE:
		switch (r->js[t->start]) {
		case 't': return JSONR_T_TRUE;
		case 'f': return JSONR_T_FALSE;
		case 'n': return JSONR_T_NULL;
		default: return JSONR_T_NUMBER;
		}
	default:
		return JSONR_T_INVALID;
	}
}

int jsonr_next(const struct jsonr *r, int i)
{
	int end, j;
	if (i < 0 || i >= r->ntok)
		return r->ntok;
	end = r->tok[i].end;
	j = i + 1;
	while (j < r->ntok && r->tok[j].start < end)
		j++;
	return j;
}

int jsonr_count(const struct jsonr *r, int i)
{
	if (i < 0 || i >= r->ntok)
		return 0;
	if (r->tok[i].type != JSMN_OBJECT && r->tok[i].type != JSMN_ARRAY)
		return 0;
	return r->tok[i].size;
}

int jsonr_first(const struct jsonr *r, int parent)
{
	if (jsonr_count(r, parent) <= 0)
		return 0;
	return parent + 1;
}

int jsonr_after(const struct jsonr *r, int parent, int k)
{
	int n;
	if (r->tok[parent].type == JSMN_OBJECT)
		n = jsonr_next(r, k + 1); /* skip the key and its value */
	else
		n = jsonr_next(r, k);
	if (n >= r->ntok || r->tok[n].start >= r->tok[parent].end)
		return 0;
	return n;
}

int jsonr_get(const struct jsonr *r, int obj, const char *key)
{
	int found = JSONR_ENOENT;
	if (jsonr_type(r, obj) != JSONR_T_OBJECT)
		return JSONR_ETYPE;
	for (int k = jsonr_first(r, obj); k > 0; k = jsonr_after(r, obj, k))
		if (jsonr_str_eq(r, k, key))
			found = k + 1;
	return found;
}

int jsonr_at(const struct jsonr *r, int arr, int idx)
{
	int n = 0;
	if (jsonr_type(r, arr) != JSONR_T_ARRAY)
		return JSONR_ETYPE;
	for (int k = jsonr_first(r, arr); k > 0; k = jsonr_after(r, arr, k))
		if (n++ == idx)
			return k;
	return JSONR_ENOENT;
}

int jsonr_num(const struct jsonr *r, int i, double *out)
{
	char buf[512];
	const jsmntok_t *t;
	size_t n;
	char *end;
	double v;

	if (jsonr_type(r, i) != JSONR_T_NUMBER)
		return JSONR_ETYPE;
	t = &r->tok[i];
	n = (size_t)(t->end - t->start);
	if (n >= sizeof(buf))
		return JSONR_ERANGE; /* a 500-digit number is no metric */
	memcpy(buf, r->js + t->start, n);
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (end != buf + n || !isfinite(v))
		return JSONR_ERANGE;
	*out = v;
	return JSONR_OK;
}

int jsonr_num_range(const struct jsonr *r, int i, double min, double max, double *out)
{
	double v;
	int rc = jsonr_num(r, i, &v);
	if (rc != JSONR_OK)
		return rc;
	if (!(v >= min && v <= max))
		return JSONR_ERANGE;
	*out = v;
	return JSONR_OK;
}

int jsonr_int(const struct jsonr *r, int i, int64_t min, int64_t max, int64_t *out)
{
	double v;
	int rc = jsonr_num(r, i, &v);
	if (rc != JSONR_OK)
		return rc;
	if (v != floor(v) || v < (double)min || v > (double)max)
		return JSONR_ERANGE;
	*out = (int64_t)v;
	return JSONR_OK;
}

int jsonr_bool(const struct jsonr *r, int i, int *out)
{
	enum jsonr_type t = jsonr_type(r, i);
	if (t != JSONR_T_TRUE && t != JSONR_T_FALSE)
		return JSONR_ETYPE;
	*out = t == JSONR_T_TRUE;
	return JSONR_OK;
}

int jsonr_is_null(const struct jsonr *r, int i)
{
	return jsonr_type(r, i) == JSONR_T_NULL;
}

size_t jsonr_str_cap(const struct jsonr *r, int i)
{
	if (i < 0 || i >= r->ntok)
		return 1;
	return (size_t)(r->tok[i].end - r->tok[i].start) + 1;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else
			v |= (unsigned)(c - 'A' + 10);
	}
	return v;
}

/* Unescapes into out (NULL: only checks). Returns the length or a code. */
static long unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned cp;
		char ch[4];
		size_t cl;
		if (s[i] != '\\') {
			if (out) {
				if (o + 1 >= cap)
					return JSONR_ENOSPC;
				out[o] = s[i];
			}
			o++;
			i++;
			continue;
		}
		/* validate() checked the escape's shape */
		switch (s[i + 1]) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u': cp = 0x10000; break;
		default: cp = (unsigned char)s[i + 1]; break;
		}
		if (cp != 0x10000) {
			i += 2;
		} else {
			cp = hex4(s + i + 2);
			i += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo;
				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
					return JSONR_ETYPE;
				lo = hex4(s + i + 2);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return JSONR_ETYPE;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return JSONR_ETYPE;
			} else if (cp == 0) {
				return JSONR_ETYPE;
			}
		}
		if (cp < 0x80) {
			ch[0] = (char)cp;
			cl = 1;
		} else if (cp < 0x800) {
			ch[0] = (char)(0xC0 | (cp >> 6));
			ch[1] = (char)(0x80 | (cp & 0x3F));
			cl = 2;
		} else if (cp < 0x10000) {
			ch[0] = (char)(0xE0 | (cp >> 12));
			ch[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			ch[2] = (char)(0x80 | (cp & 0x3F));
			cl = 3;
		} else {
			ch[0] = (char)(0xF0 | (cp >> 18));
			ch[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
			ch[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
			ch[3] = (char)(0x80 | (cp & 0x3F));
			cl = 4;
		}
		if (out) {
			if (o + cl >= cap)
				return JSONR_ENOSPC;
			memcpy(out + o, ch, cl);
		}
		o += cl;
	}
	return (long)o;
}

int jsonr_str(const struct jsonr *r, int i, char *buf, size_t cap, size_t *out_len)
{
	const jsmntok_t *t;
	long n;

	if (jsonr_type(r, i) != JSONR_T_STRING)
		return JSONR_ETYPE;
	if (cap == 0)
		return JSONR_ENOSPC;
	t = &r->tok[i];
	n = unescape(r->js + t->start, (size_t)(t->end - t->start), buf, cap);
	if (n < 0) {
		buf[0] = '\0';
		return (int)n;
	}
	buf[n] = '\0';
	if (out_len)
		*out_len = (size_t)n;
	return JSONR_OK;
}

int jsonr_str_eq(const struct jsonr *r, int i, const char *s)
{
	const jsmntok_t *t;
	size_t n, sl = strlen(s);
	char tmp[256];

	if (jsonr_type(r, i) != JSONR_T_STRING)
		return 0;
	t = &r->tok[i];
	n = (size_t)(t->end - t->start);
	if (!memchr(r->js + t->start, '\\', n))
		return n == sl && memcmp(r->js + t->start, s, n) == 0;
	if (sl >= sizeof(tmp) || jsonr_str(r, i, tmp, sizeof(tmp), &n) != JSONR_OK)
		return 0;
	return n == sl && memcmp(tmp, s, n) == 0;
}
