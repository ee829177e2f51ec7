/* Unit tests for agent-min/spool.c: order, acknowledgement, rewind after a
 * reconnect, dropping the oldest when full by count and by bytes, and the
 * byte ring wrapping around. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "agent-min/spool.h"

static struct spool_rec recs[8];
static uint8_t data[64];

static void push(struct spool *s, double ts, const char *txt)
{
	assert_int_equal(spool_push(s, ts, txt, (uint32_t)strlen(txt)), SPOOL_OK);
}

/* Returns the next unsent record's text (and marks it sent). */
static const char *next(struct spool *s)
{
	static char out[64];
	const uint8_t *j;
	const struct spool_rec *r = spool_next(s, &j);
	if (!r)
		return NULL;
	memcpy(out, j, r->len);
	out[r->len] = '\0';
	spool_sent(s);
	return out;
}

static void test_order_ack_rewind(void **state)
{
	struct spool s;
	spool_init(&s, recs, 8, data, sizeof(data));
	push(&s, 10, "{a}");
	push(&s, 11, "{bb}");
	push(&s, 12, "{ccc}");
	assert_int_equal(spool_count(&s), 3);
	assert_string_equal(next(&s), "{a}");
	assert_string_equal(next(&s), "{bb}");
	assert_int_equal(spool_unsent(&s), 1);
	/* ack covers ts <= 11 */
	assert_int_equal(spool_ack_id(&s, 10), 1); assert_int_equal(spool_ack_id(&s, 11), 1);
	assert_int_equal(spool_count(&s), 1);
	assert_string_equal(next(&s), "{ccc}");
	assert_null(next(&s));
	/* connection lost before the ack: everything kept is sent again */
	spool_rewind(&s);
	assert_string_equal(next(&s), "{ccc}");
	assert_int_equal(spool_ack_id(&s, 12), 1);
	assert_int_equal(spool_count(&s), 0);
	assert_int_equal(s.dropped, 0);
}

static void test_ack_oldest_only_sent(void **state)
{
	struct spool s;
	spool_init(&s, recs, 8, data, sizeof(data));
	spool_ack_oldest(&s); /* empty: nothing happens */
	push(&s, 1, "{x}");
	spool_ack_oldest(&s); /* not sent yet: kept */
	assert_int_equal(spool_count(&s), 1);
	assert_string_equal(next(&s), "{x}");
	spool_ack_oldest(&s);
	assert_int_equal(spool_count(&s), 0);
}

static void test_full_by_count(void **state)
{
	struct spool s;
	char t[16];
	spool_init(&s, recs, 4, data, sizeof(data));
	for (int i = 0; i < 6; i++) {
		snprintf(t, sizeof(t), "{%d}", i);
		push(&s, i, t);
	}
	/* 4 slots: 0 and 1 dropped, counted */
	assert_int_equal(spool_count(&s), 4);
	assert_int_equal(s.dropped, 2);
	assert_string_equal(next(&s), "{2}");
	assert_string_equal(next(&s), "{3}");
	assert_string_equal(next(&s), "{4}");
	assert_string_equal(next(&s), "{5}");
}

static void test_full_by_bytes_and_wrap(void **state)
{
	struct spool s;
	char t[32];
	spool_init(&s, recs, 8, data, sizeof(data)); /* 64 bytes */
	/* 19-byte records: three fit (57 bytes); the fourth wraps to offset 0
	 * and needs the oldest's bytes. */
	for (int i = 0; i < 3; i++) {
		snprintf(t, sizeof(t), "{record-number-%03d}", i); /* 19 chars */
		assert_int_equal(strlen(t), 19);
		push(&s, i, t);
	}
	assert_string_equal(next(&s), "{record-number-000}");
	push(&s, 3, "{record-number-003}");
	assert_int_equal(s.dropped, 1);
	assert_int_equal(spool_count(&s), 3);
	/* record 0 was sent; 1 is next: the cursor did not move backwards */
	assert_string_equal(next(&s), "{record-number-001}");
	assert_string_equal(next(&s), "{record-number-002}");
	assert_string_equal(next(&s), "{record-number-003}");
	/* more wraps keep FIFO order and content intact */
	for (int i = 4; i < 20; i++) {
		snprintf(t, sizeof(t), "{record-number-%03d}", i);
		push(&s, i, t);
	}
	spool_rewind(&s);
	assert_string_equal(next(&s), "{record-number-017}");
	assert_string_equal(next(&s), "{record-number-018}");
	assert_string_equal(next(&s), "{record-number-019}");
	assert_null(next(&s));
	/* a record bigger than the ring is refused, nothing lost */
	char big[80];
	memset(big, 'x', sizeof(big));
	assert_int_equal(spool_push(&s, 99, big, sizeof(big)), SPOOL_ETOOBIG);
	assert_int_equal(spool_count(&s), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_ack_rewind),
		cmocka_unit_test(test_ack_oldest_only_sent),
		cmocka_unit_test(test_full_by_count),
		cmocka_unit_test(test_full_by_bytes_and_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
