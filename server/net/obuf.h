/* obuf.h — a byte queue with a hard maximum, for a connection's output
 * and for response bodies (/metrics). Appending past the maximum fails and
 * leaves the queue as it was. */
#ifndef MONBOT_OBUF_H
#define MONBOT_OBUF_H

#include <stdarg.h>
#include <stddef.h>

#define OBUF_OK      0
#define OBUF_EFULL (-1) /* would pass the maximum */
#define OBUF_ENOMEM (-2)

struct obuf {
	char *data;
	size_t head;   /* first unconsumed byte */
	size_t len;    /* bytes after head */
	size_t cap;
	size_t max;    /* hard limit on len */
};

/* init cannot fail (no allocation until the first append). */
void obuf_init(struct obuf *b, size_t max);
void obuf_free(struct obuf *b);
int obuf_append(struct obuf *b, const void *p, size_t n);
int obuf_printf(struct obuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Space for n more bytes at the tail (NULL if it would pass max); then
 * obuf_commit the bytes written. */
char *obuf_reserve(struct obuf *b, size_t n);
void obuf_commit(struct obuf *b, size_t n);
static inline const char *obuf_peek(const struct obuf *b) { return b->data + b->head; }
static inline size_t obuf_len(const struct obuf *b) { return b->len; }
void obuf_consume(struct obuf *b, size_t n);
/* Drops the memory when empty and bigger than keep bytes (idle connections
 * hold little). */
void obuf_shrink(struct obuf *b, size_t keep);

#endif
