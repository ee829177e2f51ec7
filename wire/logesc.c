/* logesc.c — log-line escaping (logesc.h). */
#include "wire/logesc.h"

#include <string.h>

size_t utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int logesc(const char *in, size_t n, char *out, size_t cap, size_t *out_len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	int rc = 0;

	if (cap == 0) {
		if (out_len)
			*out_len = 0;
		return -1;
	}
	while (i < n) {
		char e[4];
		const char *src = e;
		size_t el = 2, take = 1, u;
		unsigned char c = s[i];

		if (c == '\n' || c == '\r' || c == '\t' || c == '\\') {
			e[0] = '\\';
			e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			src = (const char *)s + i;
			el = 1;
		} else if (c >= 0x80 && (u = utf8_char_len(s + i, n - i)) > 0 &&
		           !(c == 0xc2 && s[i + 1] < 0xa0)) {
			src = (const char *)s + i;
			el = take = u;
		} else {
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			el = 4;
		}
		if (o + el >= cap) {
			rc = -1;
			break;
		}
		memcpy(out + o, src, el);
		o += el;
		i += take;
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return rc;
}
