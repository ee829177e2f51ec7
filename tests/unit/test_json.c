/* Unit tests for wire/json.c: exact output for every value kind, escaping,
 * invalid UTF-8 replacement and the sticky out-of-space error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "wire/json.h"

static void test_nested(void **state)
{
	char buf[256];
	struct json_w w;
	size_t len;
	json_init(&w, buf, sizeof(buf));
	json_obj_open(&w);
	json_key(&w, "cpu");
	json_num(&w, 12.50, 1);
	json_key(&w, "load");
	json_arr_open(&w);
	json_num(&w, 0.5, 2);
	json_num(&w, 1, 2);
	json_num(&w, -0.001, 2);
	json_arr_close(&w);
	json_key(&w, "disks");
	json_arr_open(&w);
	json_obj_open(&w);
	json_key(&w, "mount");
	json_str(&w, "/");
	json_key(&w, "total");
	json_uint(&w, 18446744073709551615ull);
	json_obj_close(&w);
	json_obj_open(&w);
	json_obj_close(&w);
	json_arr_close(&w);
	json_key(&w, "x");
	json_null(&w);
	json_key(&w, "b");
	json_bool(&w, 1);
	json_key(&w, "i");
	json_int(&w, -42);
	json_key(&w, "nan");
	json_num(&w, NAN, 1);
	json_obj_close(&w);
	assert_int_equal(json_finish(&w, &len), JSON_OK);
	assert_string_equal(buf, "{\"cpu\":12.5,\"load\":[0.5,1,0],\"disks\":[{\"mount\":\"/\","
	                         "\"total\":18446744073709551615},{}],\"x\":null,\"b\":true,"
	                         "\"i\":-42,\"nan\":null}");
	assert_int_equal(len, strlen(buf));
}

static void test_escape(void **state)
{
	char buf[256];
	struct json_w w;
	json_init(&w, buf, sizeof(buf));
	/* quote, backslash, control, valid 2- and 4-byte UTF-8, a lone 0xff, an
	 * overlong '/' (0xc0 0xaf) and a CESU surrogate (0xed 0xa0 0x80). */
	json_str(&w, "a\"b\\c\n\x01\xd0\x96\xf0\x9f\x98\x80\xff\xc0\xaf\xed\xa0\x80");
	assert_int_equal(json_finish(&w, NULL), JSON_OK);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\u0001\xd0\x96\xf0\x9f\x98\x80\\ufffd"
	                         "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_nospace(void **state)
{
	char buf[8];
	struct json_w w;
	size_t len = 99;
	json_init(&w, buf, sizeof(buf));
	json_obj_open(&w);
	json_key(&w, "abcdef");
	json_int(&w, 1);
	json_obj_close(&w);
	assert_int_equal(json_finish(&w, &len), JSON_ENOSPC);
	assert_int_equal(len, 0);
	/* exactly fitting: 7 characters and the NUL */
	json_init(&w, buf, sizeof(buf));
	json_str(&w, "abcde");
	assert_int_equal(json_finish(&w, &len), JSON_OK);
	assert_int_equal(len, 7);
	json_init(&w, buf, sizeof(buf));
	json_str(&w, "abcdef");
	assert_int_equal(json_finish(&w, &len), JSON_ENOSPC);
}

static void test_depth(void **state)
{
	char buf[256];
	struct json_w w;
	json_init(&w, buf, sizeof(buf));
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_arr_open(&w);
	assert_int_equal(json_finish(&w, NULL), JSON_EDEPTH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_nospace),
		cmocka_unit_test(test_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
