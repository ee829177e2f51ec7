/* alloc_count.c — allocation counters for test_agent_alloc (kept in their
 * own object: the linker's --wrap only redirects references that are
 * undefined in an object, so the test's own calls must come from another
 * file to be seen). Two counters:
 *   - alloc_wrap_calls: __wrap_malloc & co., every call our objects make,
 *     in every build including ASan;
 *   - alloc_libc_calls: outside ASan this file defines malloc & co.
 *     themselves, forwarding to glibc's __libc_* entry points, which sees
 *     allocations made inside the C library too (stdio, opendir, qsort...).
 * The first calls counted print a backtrace (addr2line -e <binary>). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__) /* after a C library header, which defines it */
#include <execinfo.h> /* backtraces where the C library has them (not musl) */
#endif

#include "tests/unit/alloc_count.h"

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALLOC_ASAN 1
#endif
#endif
#ifndef ALLOC_ASAN
#define ALLOC_ASAN 0
#endif

#define SHOW_TRACES 3
#if defined(__GLIBC__)
#define HAVE_BACKTRACE 1
#else
#define HAVE_BACKTRACE 0
#endif

volatile int alloc_counting;
int alloc_quiet;
unsigned long alloc_wrap_calls, alloc_libc_calls;
static int in_report;

static void report(const char *who, const char *fn, size_t size)
{
	/* Only the first few; backtrace() itself must not be counted. */
	if (alloc_quiet || in_report || alloc_wrap_calls + alloc_libc_calls > SHOW_TRACES)
		return;
	in_report = 1;
	fprintf(stderr, "# allocation in the sampling cycle (%s): %s(%zu)%s\n", who, fn, size,
	        HAVE_BACKTRACE ? " at" : "");
#if HAVE_BACKTRACE
	{
		void *frames[32];
		int n = backtrace(frames, 32);
		backtrace_symbols_fd(frames, n, 2);
	}
#endif
	in_report = 0;
}

static void count_wrap(const char *fn, size_t size)
{
	if (!alloc_counting || in_report)
		return;
	alloc_wrap_calls++;
	report("our code, --wrap", fn, size);
}

/* --wrap: our objects' references to malloc land here. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
	count_wrap("malloc", n);
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	count_wrap("calloc", n * m);
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	count_wrap("realloc", n);
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	count_wrap("free", 0);
	__real_free(p);
}

#if !ALLOC_ASAN && defined(__GLIBC__)
/* The program's own malloc: every caller in the process, the C library
 * included, resolves to these. glibc exports its allocator as __libc_*. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);

static void count_libc(const char *fn, size_t size)
{
	if (!alloc_counting || in_report)
		return;
	alloc_libc_calls++;
	report("any caller, malloc replaced", fn, size);
}

void *malloc(size_t n)
{
	count_libc("malloc", n);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	count_libc("calloc", n * m);
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	count_libc("realloc", n);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	count_libc("free", 0);
	__libc_free(p);
}

/* The aligned variants too, so nothing reaches glibc's allocator unseen. */
void *memalign(size_t align, size_t n);
void *memalign(size_t align, size_t n)
{
	count_libc("memalign", n);
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count_libc("aligned_alloc", n);
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;
	count_libc("posix_memalign", n);
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return 22; /* EINVAL */
	p = __libc_memalign(align, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}
const int alloc_replaced = 1;
#else
const int alloc_replaced = 0;
#endif

