/* test_sample_parse.c — wire/jsonr.c and wire/sample_parse.c: valid JSON
 * in, values out; hostile JSON in, "absent" out, never garbage. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/jsonr.h"
#include "wire/sample.h"
#include "wire/sample_parse.h"

#define NTOK 4096
static jsmntok_t tok[NTOK];
static struct sample s;

static int parse(const char *js)
{
	return sample_parse(&s, js, strlen(js), tok, NTOK);
}

static int jparse(struct jsonr *r, const char *js, unsigned depth)
{
	return jsonr_parse(r, js, strlen(js), tok, NTOK, depth);
}

/* The original agent's exact message (client/__main__.py gather_metrics,
 * json.dumps of a dict; first sample has null net speeds). */
static void test_original_sample(void **st)
{
	const char *js =
		"{\"cpu\": 12.5, \"ram\": 43.1, \"ram_used\": 7123456000, \"ram_total\": 16624128000, "
		"\"swap\": 0.0, \"swap_used\": 0, \"swap_total\": 2147479552, \"cpu_temp\": null, "
		"\"uptime\": 86400, \"gpu\": 3, \"vram_used\": 512.5, \"vram_total\": 8192.0, "
		"\"vram\": 6.25, \"gpu_temp\": 41.0, \"net_up\": null, \"net_down\": null, "
		"\"disks\": [], \"top_procs\": []}";
	(void)st;
	assert_int_equal(parse(js), 0);
	assert_true(sample_is_metric(&s));
	assert_true(isnan(s.ts));
	assert_true(s.v[SK_CPU] == 12.5);
	assert_true(s.v[SK_RAM_USED] == 7123456000.0);
	assert_true(isnan(s.v[SK_CPU_TEMP]));
	assert_true(isnan(s.v[SK_NET_UP]));
	assert_true(s.v[SK_VRAM_TOTAL] == 8192.0);
	assert_int_equal(s.has_disks, 1);
	assert_int_equal(s.ndisks, 0);
	assert_int_equal(s.has_procs, 1);
	assert_int_equal(s.oneshot, 0);
}

static void test_full_sample(void **st)
{
	const char *js =
		"{\"ts\": 1700000000.25, \"cpu\": 1, \"ram\": 2, \"oneshot\": true, "
		"\"load\": [0.5, 1, 1.5], \"cores\": 8, "
		"\"disks\": [{\"mount\": \"/\", \"percent\": 50.5, \"used\": 100, \"total\": 200}, "
		"{\"mount\": \"/home\\u00e9\", \"percent\": 1, \"used\": 1, \"total\": 2}], "
		"\"top_procs\": [{\"name\": \"nginx (4)\", \"cpu\": 3.5, \"ram\": 1048576}], "
		"\"gpus\": [{\"index\": 1, \"name\": \"RTX\", \"util\": 5, \"vram_used\": 1, "
		"\"vram_total\": 2, \"temp\": 40, \"power_w\": 100}], "
		"\"host\": {\"hostname\": \"h\", \"os\": \"Debian\", \"kernel\": \"6.1\", "
		"\"arch\": \"x86_64\", \"agent\": \"monbot-agent 0.1.0\"}, \"unknown\": {\"x\": [1]}}";
	(void)st;
	assert_int_equal(parse(js), 0);
	assert_true(s.ts == 1700000000.25);
	assert_int_equal(s.oneshot, 1);
	assert_true(s.load[2] == 1.5);
	assert_true(s.v[SK_CORES] == 8);
	assert_int_equal(s.ndisks, 2);
	assert_string_equal(s.disks[1].mount, "/home\xc3\xa9");
	assert_true(s.disks[0].percent == 50.5);
	assert_int_equal(s.nprocs, 1);
	assert_string_equal(s.procs[0].name, "nginx (4)");
	assert_int_equal(s.ngpus, 1);
	assert_int_equal(s.gpus[0].index, 1);
	assert_true(s.gpus[0].power_w == 100);
	assert_int_equal(s.has_host, 1);
	assert_string_equal(s.host.agent, "monbot-agent 0.1.0");
}

/* Wrong types: each bad value is absent and counted; good ones stay. */
static void test_wrong_types(void **st)
{
	const char *js =
		"{\"cpu\": \"12\", \"ram\": 40, \"swap\": [1], \"gpu\": {\"a\": 1}, \"vram\": true, "
		"\"uptime\": -5, \"cpu_temp\": 1e400, \"ram_used\": 1e300, \"ts\": \"now\", "
		"\"disks\": {\"mount\": \"/\"}, \"top_procs\": [1, {\"name\": 5}, {\"cpu\": 1}], "
		"\"load\": [1, 2], \"host\": \"box\", \"oneshot\": \"yes\", \"gpus\": [\"x\"]}";
	int bad;
	(void)st;
	bad = parse(js);
	assert_true(bad >= 14);
	assert_true(isnan(s.v[SK_CPU]));
	assert_true(s.v[SK_RAM] == 40);
	assert_true(isnan(s.v[SK_SWAP]));
	assert_true(isnan(s.v[SK_GPU]));
	assert_true(isnan(s.v[SK_VRAM]));
	assert_true(isnan(s.v[SK_UPTIME]));
	assert_true(isnan(s.v[SK_CPU_TEMP]));
	assert_true(isnan(s.v[SK_RAM_USED]));
	assert_true(isnan(s.ts));
	assert_int_equal(s.has_disks, 0);
	assert_int_equal(s.nprocs, 0);
	assert_true(isnan(s.load[0]));
	assert_int_equal(s.has_host, 0);
	assert_int_equal(s.oneshot, 0);
	assert_int_equal(s.ngpus, 0);
	assert_false(sample_is_metric(&s));
}

static void test_nested_deep(void **st)
{
	char *js = malloc(4096);
	size_t n = 0;
	(void)st;
	n += (size_t)sprintf(js + n, "{\"cpu\": ");
	for (int i = 0; i < 1000; i++)
		js[n++] = '[';
	for (int i = 0; i < 1000; i++)
		js[n++] = ']';
	js[n++] = '}';
	js[n] = '\0';
	assert_int_equal(parse(js), JSONR_EDEPTH);
	free(js);
}

static void test_huge_numbers_and_garbage(void **st)
{
	char big[700];
	(void)st;
	memset(big, '9', sizeof(big));
	memcpy(big, "{\"cpu\": ", 8);
	memcpy(big + sizeof(big) - 14, ", \"ram\": 1.0}", 14);
	assert_int_equal(parse(big), 1);
	assert_true(isnan(s.v[SK_CPU]));
	assert_true(s.v[SK_RAM] == 1.0);
	/* not JSON at all */
	assert_int_equal(parse("{\"cpu\": 1,}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"cpu\": 01}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"cpu\": 1."), JSONR_EPARSE);
	assert_int_equal(parse("{\"cpu\": tru}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"cpu\": truex}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"cpu\" 1}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"a\": \"x\ty\"}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"a\": \"\\q\"}"), JSONR_EPARSE);
	assert_int_equal(parse("{} {}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"a\": [1,,2]}"), JSONR_EPARSE);
	assert_int_equal(parse("{\"a\": NaN}"), JSONR_EPARSE);
	assert_int_equal(parse(""), JSONR_EPARSE);
	assert_int_equal(parse("[1, 2]"), JSONR_ETYPE);
	assert_int_equal(parse("42"), JSONR_ETYPE);
	/* an embedded NUL ends nothing */
	assert_int_equal(sample_parse(&s, "{\"cpu\": 1}\0x", 12, tok, NTOK), JSONR_EPARSE);
}

static void test_token_pool(void **st)
{
	jsmntok_t small[8];
	(void)st;
	assert_int_equal(sample_parse(&s, "{\"a\": [1,2,3,4,5,6,7,8,9]}", 26, small, 8),
	                 JSONR_ENOMEM);
}

static void test_caps(void **st)
{
	char js[16384];
	size_t n = 0;
	(void)st;
	n += (size_t)sprintf(js + n, "{\"cpu\": 1, \"ram\": 1, \"disks\": [");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(js + n, "%s{\"mount\": \"/m%d\", \"percent\": 1}", i ? "," : "", i);
	n += (size_t)sprintf(js + n, "], \"top_procs\": [{\"name\": \"");
	for (int i = 0; i < 100; i++)
		js[n++] = 'p';
	n += (size_t)sprintf(js + n, "\"}]}");
	assert_true(parse(js) >= 2);
	assert_int_equal(s.ndisks, SAMPLE_MAX_DISKS);
	assert_int_equal(s.nprocs, 0); /* a name too long for its field: dropped */
}

static void test_jsonr_access(void **st)
{
	struct jsonr r;
	char buf[64];
	size_t n;
	int k;
	double d;
	int64_t i;
	(void)st;
	assert_int_equal(jparse(&r, "{\"a\": 1, \"b\": [true, null, \"x\\ud83d\\ude00\"], \"a\": 2}", 8), 0);
	k = jsonr_get(&r, 0, "a");
	assert_true(k > 0);
	assert_int_equal(jsonr_num(&r, k, &d), 0);
	assert_true(d == 2); /* the last of a repeated key, as Python's json */
	k = jsonr_get(&r, 0, "b");
	assert_int_equal(jsonr_type(&r, k), JSONR_T_ARRAY);
	assert_int_equal(jsonr_count(&r, k), 3);
	assert_int_equal(jsonr_type(&r, jsonr_at(&r, k, 0)), JSONR_T_TRUE);
	assert_true(jsonr_is_null(&r, jsonr_at(&r, k, 1)));
	assert_int_equal(jsonr_str(&r, jsonr_at(&r, k, 2), buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "x\xf0\x9f\x98\x80", 5);
	assert_int_equal(jsonr_str(&r, jsonr_at(&r, k, 2), buf, 3, &n), JSONR_ENOSPC);
	assert_int_equal(jsonr_at(&r, k, 3), JSONR_ENOENT);
	assert_int_equal(jsonr_get(&r, 0, "zz"), JSONR_ENOENT);
	assert_int_equal(jsonr_get(&r, k, "a"), JSONR_ETYPE);
	/* integers and ranges */
	assert_int_equal(jparse(&r, "{\"i\": 5, \"f\": 5.5, \"e\": 1e3, \"n\": -0}", 8), 0);
	assert_int_equal(jsonr_int(&r, jsonr_get(&r, 0, "i"), 0, 10, &i), 0);
	assert_int_equal(i, 5);
	assert_int_equal(jsonr_int(&r, jsonr_get(&r, 0, "f"), 0, 10, &i), JSONR_ERANGE);
	assert_int_equal(jsonr_int(&r, jsonr_get(&r, 0, "e"), 0, 10, &i), JSONR_ERANGE);
	assert_int_equal(jsonr_int(&r, jsonr_get(&r, 0, "e"), 0, 1000, &i), 0);
	/* lone surrogate and \u0000 are not C strings */
	assert_int_equal(jparse(&r, "{\"s\": \"\\ud800x\", \"z\": \"a\\u0000\"}", 8), 0);
	assert_int_equal(jsonr_str(&r, jsonr_get(&r, 0, "s"), buf, sizeof(buf), &n), JSONR_ETYPE);
	assert_int_equal(jsonr_str(&r, jsonr_get(&r, 0, "z"), buf, sizeof(buf), &n), JSONR_ETYPE);
	/* escaped keys compare unescaped */
	assert_int_equal(jparse(&r, "{\"\\u0063pu\": 7}", 8), 0);
	assert_true(jsonr_get(&r, 0, "cpu") > 0);
	/* iteration */
	assert_int_equal(jparse(&r, "{\"x\": {\"y\": [1, {\"z\": 2}]}, \"w\": 3}", 8), 0);
	n = 0;
	for (int e = jsonr_first(&r, 0); e > 0; e = jsonr_after(&r, 0, e))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(jsonr_num(&r, jsonr_get(&r, 0, "w"), &d), 0);
	assert_true(d == 3);
}

/* Split nowhere (sample parsing takes a whole message) but cut everywhere:
 * every prefix of a valid message is rejected, never half-read. */
static void test_every_prefix(void **st)
{
	const char *js = "{\"cpu\": 12.5, \"ram\": 1, \"disks\": [{\"mount\": \"/\", \"percent\": 5}], \"text\": \"a\\\"b\"}";
	size_t n = strlen(js);
	(void)st;
	for (size_t i = 0; i < n; i++)
		assert_true(sample_parse(&s, js, i, tok, NTOK) < 0);
	assert_int_equal(sample_parse(&s, js, n, tok, NTOK), 0);
}

/* Round trip through the shared writer (wire/sample.c). */
static void test_roundtrip(void **st)
{
	struct sample a;
	char buf[8192];
	size_t len;
	(void)st;
	sample_clear(&a);
	a.ts = 1700000001.5;
	a.v[SK_CPU] = 33.3;
	a.v[SK_RAM] = 44.4;
	a.v[SK_RAM_TOTAL] = 17179869184.0;
	a.has_disks = 1;
	a.ndisks = 1;
	snprintf(a.disks[0].mount, sizeof(a.disks[0].mount), "/\"q\"\\");
	a.disks[0].percent = 10;
	a.disks[0].used = 1;
	a.disks[0].total = 10;
	assert_int_equal(sample_to_json(&a, buf, sizeof(buf), &len), 0);
	assert_int_equal(sample_parse(&s, buf, len, tok, NTOK), 0);
	assert_true(fabs(s.ts - a.ts) < 1e-3);
	assert_true(s.v[SK_CPU] == 33.3);
	assert_true(s.v[SK_RAM_TOTAL] == a.v[SK_RAM_TOTAL]);
	assert_string_equal(s.disks[0].mount, a.disks[0].mount);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_sample),
		cmocka_unit_test(test_full_sample),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_nested_deep),
		cmocka_unit_test(test_huge_numbers_and_garbage),
		cmocka_unit_test(test_token_pool),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_jsonr_access),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
