/* alloc_count.h — allocation counters for test_agent_alloc (alloc_count.c).
 * Counting happens only while alloc_counting is set. */
#ifndef MONBOT_TEST_ALLOC_COUNT_H
#define MONBOT_TEST_ALLOC_COUNT_H

extern volatile int alloc_counting;
extern int alloc_quiet;                 /* no backtraces while set */
extern unsigned long alloc_wrap_calls;  /* seen through the linker's --wrap */
extern unsigned long alloc_libc_calls;  /* seen by the replaced malloc */
extern const int alloc_replaced;        /* 0 under ASan: libc calls not counted */

#endif
