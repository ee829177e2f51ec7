/* obuf.c — bounded byte queue. */
#include "server/net/obuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obuf_init(struct obuf *b, size_t max)
{
	b->data = NULL;
	b->head = b->len = b->cap = 0;
	b->max = max;
}

void obuf_free(struct obuf *b)
{
	free(b->data);
	b->data = NULL;
	b->head = b->len = b->cap = 0;
}

char *obuf_reserve(struct obuf *b, size_t n)
{
	size_t need;

	if (n > b->max || b->len > b->max - n)
		return NULL;
	if (b->head > 0 && b->head + b->len + n > b->cap) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
	}
	need = b->len + n;
	if (need > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		char *nd;
		while (nc < need)
			nc *= 2;
		if (nc > b->max && b->max >= need)
			nc = b->max;
		nd = realloc(b->data, nc);
		if (!nd)
			return NULL;
		b->data = nd;
		b->cap = nc;
	}
	return b->data + b->head + b->len;
}

void obuf_commit(struct obuf *b, size_t n)
{
	b->len += n;
}

int obuf_append(struct obuf *b, const void *p, size_t n)
{
	char *d;
	if (n == 0)
		return OBUF_OK;
	d = obuf_reserve(b, n);
	if (!d)
		return OBUF_EFULL;
	memcpy(d, p, n);
	b->len += n;
	return OBUF_OK;
}

int obuf_printf(struct obuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return OBUF_EFULL;
	if ((size_t)n < sizeof(tmp))
		return obuf_append(b, tmp, (size_t)n);
	{
		char *d = obuf_reserve(b, (size_t)n + 1);
		if (!d)
			return OBUF_EFULL;
		va_start(ap, fmt);
		vsnprintf(d, (size_t)n + 1, fmt, ap);
		va_end(ap);
		b->len += (size_t)n;
	}
	return OBUF_OK;
}

void obuf_consume(struct obuf *b, size_t n)
{
	if (n >= b->len) {
		b->head = b->len = 0;
		return;
	}
	b->head += n;
	b->len -= n;
}

void obuf_shrink(struct obuf *b, size_t keep)
{
	if (b->len == 0 && b->cap > keep) {
		free(b->data);
		b->data = NULL;
		b->head = b->cap = 0;
	}
}
