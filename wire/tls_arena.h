/* tls_arena.h — the allocator the TLS layer goes through: a fixed arena on
 * the agent (conn_tls_arena_init), the C library elsewhere. In the agent's
 * link the mbedTLS archives have calloc/free renamed to tls_calloc/tls_free
 * (see wire/ws.mk), which is how Debian's mbedTLS (no MEMORY_BUFFER_ALLOC_C,
 * no PLATFORM_MEMORY) ends up on the arena. Not thread-safe. */
#ifndef MONBOT_TLS_ARENA_H
#define MONBOT_TLS_ARENA_H

#include <stddef.h>

#include "wire/conn.h"

void *tls_calloc(size_t n, size_t size);
void *tls_malloc(size_t size);
void *tls_realloc(void *p, size_t size);
void tls_free(void *p);

/* The arena itself, for tests: init over buf; 1 when p lies inside it. */
int tls_arena_set(void *buf, size_t size);
int tls_arena_owns(const void *p);
int tls_arena_active(void);
/* Allocations refused so far (0 without an arena): conn.c compares it
 * around a call to tell an exhausted arena from a protocol error. */
size_t tls_arena_fails(void);
void tls_arena_reset(void); /* forget the arena (tests only) */

#endif
