/* Unit tests for wire/logesc.c: each escape exactly, UTF-8 kept, malformed
 * UTF-8 and C1 controls escaped per byte, a small buffer cut at a whole
 * escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "wire/logesc.h"

static void expect(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t len = 99;
	assert_int_equal(logesc(in, n, out, sizeof out, &len), 0);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
}

static void test_forged_line(void **state)
{
	static const char in[] = "x\n2030-01-01T00:00:00Z [ERROR] FORGED\x1b[31m";
	(void)state;
	expect(in, sizeof in - 1, "x\\n2030-01-01T00:00:00Z [ERROR] FORGED\\x1b[31m");
}

static void test_each_control(void **state)
{
	static const char in[] = "a\rb\tc\\d\x01\x1f\x7f\0e";
	(void)state;
	expect(in, sizeof in - 1, "a\\rb\\tc\\\\d\\x01\\x1f\\x7f\\x00e");
}

static void test_utf8(void **state)
{
	(void)state;
	/* é, €, 😀 and U+00A0 stay as they are */
	expect("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0", 11, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc2\xa0");
	/* C1 NEL and CSI, a lone continuation, an overlong '/', a surrogate,
	 * a cut sequence, 0xff */
	expect("\xc2\x85\xc2\x9b", 4, "\\xc2\\x85\\xc2\\x9b");
	expect("\x80", 1, "\\x80");
	expect("\xc0\xaf", 2, "\\xc0\\xaf");
	expect("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	expect("\xe2\x82", 2, "\\xe2\\x82");
	expect("\xff", 1, "\\xff");
}

static void test_small_buffer(void **state)
{
	char out[6];
	size_t len;
	(void)state;
	/* "ab" + "\x1b" (4) does not fit 5 characters: "ab" only */
	assert_int_equal(logesc("ab\x1b", 3, out, sizeof out, &len), -1);
	assert_string_equal(out, "ab");
	assert_int_equal(len, 2);
	assert_int_equal(logesc("abcde", 5, out, sizeof out, &len), 0);
	assert_string_equal(out, "abcde");
	assert_int_equal(logesc("abcdef", 6, out, sizeof out, &len), -1);
	assert_string_equal(out, "abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forged_line),
		cmocka_unit_test(test_each_control),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_small_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
