/* tls_arena.c — a first-fit allocator over one fixed buffer with boundary
 * tags (O(1) coalescing), so the agent's TLS library never touches the C
 * library's heap after start-up (SPEC §4) and its peak use can be read. */
#include "wire/tls_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16u
#define HDR   sizeof(struct blk)
#define MIN_BLOCK (HDR + 2 * sizeof(void *) <= 32 ? 32u : 64u)
#define USED  ((size_t)1)

/* Every block starts with this header; sizes include it and are multiples
 * of ALIGN, so bit 0 of size is free for the "used" flag. A free block keeps
 * its free-list links in its payload. */
struct blk {
	size_t size;      /* | USED */
	size_t prev_size; /* size of the block before (0 for the first) */
};

struct free_links {
	struct blk *next, *prev;
};

static struct {
	uint8_t *base, *end; /* end: the zero-size sentinel header */
	struct blk *free_list;
	struct conn_arena_stats st;
} A;

static size_t bsize(const struct blk *b)
{
	return b->size & ~USED;
}

static struct free_links *links(struct blk *b)
{
	return (struct free_links *)(void *)(b + 1);
}

static struct blk *next_blk(struct blk *b)
{
	return (struct blk *)(void *)((uint8_t *)b + bsize(b));
}

static void list_push(struct blk *b)
{
	links(b)->prev = NULL;
	links(b)->next = A.free_list;
	if (A.free_list)
		links(A.free_list)->prev = b;
	A.free_list = b;
}

static void list_del(struct blk *b)
{
	struct free_links *l = links(b);

	if (l->prev)
		links(l->prev)->next = l->next;
	else
		A.free_list = l->next;
	if (l->next)
		links(l->next)->prev = l->prev;
}

int tls_arena_set(void *buf, size_t size)
{
	uintptr_t a = ((uintptr_t)buf + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	size_t lost = (size_t)(a - (uintptr_t)buf);
	struct blk *first, *sentinel;

	if (A.base || !buf || size < lost + 4 * MIN_BLOCK)
		return CONN_EINVAL;
	size = (size - lost) & ~(size_t)(ALIGN - 1);
	memset(&A, 0, sizeof A);
	A.base = (uint8_t *)a;
	A.end = A.base + size - HDR;
	first = (struct blk *)(void *)A.base;
	first->size = size - HDR;
	first->prev_size = 0;
	sentinel = (struct blk *)(void *)A.end;
	sentinel->size = USED; /* size 0, never merged */
	sentinel->prev_size = first->size;
	list_push(first);
	A.st.size = size;
	return CONN_OK;
}

void tls_arena_reset(void)
{
	memset(&A, 0, sizeof A);
}

int tls_arena_owns(const void *p)
{
	return A.base && (const uint8_t *)p >= A.base && (const uint8_t *)p < A.end;
}

int tls_arena_active(void)
{
	return A.base != NULL;
}

size_t tls_arena_fails(void)
{
	return A.st.fails;
}

void conn_tls_arena_stats(struct conn_arena_stats *st)
{
	*st = A.st;
}

static void *arena_alloc(size_t want)
{
	size_t need;
	struct blk *b;

	if (want > SIZE_MAX - HDR - ALIGN)
		goto full;
	need = (want + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (b = A.free_list; b; b = links(b)->next) {
		size_t have = bsize(b);
		if (have < need)
			continue;
		list_del(b);
		if (have - need >= MIN_BLOCK) {
			struct blk *rest = (struct blk *)(void *)((uint8_t *)b + need);
			rest->size = have - need;
			rest->prev_size = need;
			next_blk(rest)->prev_size = rest->size;
			list_push(rest);
			b->size = need;
		}
		b->size |= USED;
		A.st.used += bsize(b);
		if (A.st.used > A.st.peak)
			A.st.peak = A.st.used;
		A.st.allocs++;
		return b + 1;
	}
full:
	A.st.fails++;
	return NULL;
}

static void arena_free(void *p)
{
	struct blk *b = (struct blk *)p - 1, *n;

	b->size &= ~USED;
	A.st.used -= b->size;
	n = next_blk(b);
	if (!(n->size & USED)) {
		list_del(n);
		b->size += n->size;
	}
	if (b->prev_size) {
		struct blk *pb = (struct blk *)(void *)((uint8_t *)b - b->prev_size);
		if (!(pb->size & USED)) {
			list_del(pb);
			pb->size += b->size;
			b = pb;
		}
	}
	next_blk(b)->prev_size = b->size;
	list_push(b);
}

void *tls_malloc(size_t size)
{
	return A.base ? arena_alloc(size) : malloc(size);
}

void *tls_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (!A.base)
		return calloc(n, size);
	p = arena_alloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void tls_free(void *p)
{
	if (!p)
		return;
	if (tls_arena_owns(p))
		arena_free(p);
	else
		free(p); /* taken before the arena was set */
}

void *tls_realloc(void *p, size_t size)
{
	void *q;
	size_t old;

	if (!p)
		return tls_malloc(size);
	if (!tls_arena_owns(p))
		return realloc(p, size);
	if (size == 0) {
		arena_free(p);
		return NULL;
	}
	old = bsize((struct blk *)p - 1) - HDR;
	if (size <= old)
		return p;
	q = arena_alloc(size);
	if (q) {
		memcpy(q, p, old);
		arena_free(p);
	}
	return q;
}
