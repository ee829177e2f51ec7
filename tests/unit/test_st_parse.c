/* Unit tests for agent-min/st_parse.c: Ookla's --format=json (log lines
 * before the result, bytes/s), speedtest-cli --json (bit/s), an Ookla
 * error line as the reason, garbage and figures out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "agent-min/st_parse.h"

static const char ookla[] =
	"{\"type\":\"log\",\"timestamp\":\"2024-05-14T10:11:48Z\",\"message\":\"Server Selection\",\"level\":\"info\"}\n"
	"{\"type\":\"result\",\"ping\":{\"jitter\":0.4,\"latency\":12.34},\"download\":{\"bandwidth\":12500000,"
	"\"bytes\":150000000,\"elapsed\":12008},\"upload\":{\"bandwidth\":2500000,\"bytes\":30000000},"
	"\"server\":{\"id\":12345,\"name\":\"Example ISP\",\"location\":\"Berlin\",\"country\":\"Germany\"}}\n";

static const char cli[] =
	"{\"download\": 93841234.5, \"upload\": 12345678.9, \"ping\": 14.2, \"server\": {\"name\": \"Berlin\", "
	"\"sponsor\": \"Example ISP\", \"id\": \"4242\"}, \"bytes_sent\": 15466496, \"share\": null}";

static void test_ookla(void **state)
{
	struct st_result r;
	char err[128], out[512];
	(void)state;
	assert_int_equal(st_parse(ST_OOKLA, ookla, strlen(ookla), &r, err, sizeof(err)), 0);
	assert_true(r.down_bps == 100e6 && r.up_bps == 20e6 && r.ping_ms == 12.34);
	assert_string_equal(r.server, "Example ISP (Berlin)");
	st_format(&r, "speedtest.net, Ookla", out, sizeof(out));
	assert_string_equal(out, "Speedtest (speedtest.net, Ookla): download 100.00 Mbit/s, upload 20.00 Mbit/s, "
	                         "ping 12.3 ms (Example ISP (Berlin))");
}

static void test_cli(void **state)
{
	struct st_result r;
	char err[128], out[512];
	(void)state;
	assert_int_equal(st_parse(ST_CLI, cli, strlen(cli), &r, err, sizeof(err)), 0);
	assert_true(r.down_bps == 93841234.5 && r.up_bps == 12345678.9 && r.ping_ms == 14.2);
	st_format(&r, "speedtest-cli", out, sizeof(out));
	assert_string_equal(out, "Speedtest (speedtest-cli): download 93.84 Mbit/s, upload 12.35 Mbit/s, "
	                         "ping 14.2 ms (Example ISP (Berlin))");
	/* Ookla's reader does not take speedtest-cli's shape (no bandwidth). */
	assert_int_equal(st_parse(ST_OOKLA, cli, strlen(cli), &r, err, sizeof(err)), -1);
	assert_string_equal(err, "the result's figures are missing or out of range");
}

static void test_failures(void **state)
{
	static const char elog[] = "{\"type\":\"log\",\"message\":\"Configuration - Could not retrieve\",\"level\":\"error\"}\n";
	static const char garbage[] = "Retrieving speedtest.net configuration... {\"download\": oops\n";
	static const char neg[] = "{\"download\": -5, \"upload\": 1, \"ping\": 1}";
	static const char huge[] = "{\"download\": 1e300, \"upload\": 1, \"ping\": 1}";
	struct st_result r;
	char err[128];
	(void)state;
	assert_int_equal(st_parse(ST_OOKLA, elog, strlen(elog), &r, err, sizeof(err)), -1);
	assert_string_equal(err, "Configuration - Could not retrieve");
	assert_int_equal(st_parse(ST_OOKLA, garbage, strlen(garbage), &r, err, sizeof(err)), -1);
	assert_string_equal(err, "no JSON result in its output");
	assert_int_equal(st_parse(ST_CLI, "", 0, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "no JSON result in its output");
	assert_int_equal(st_parse(ST_CLI, neg, strlen(neg), &r, err, sizeof(err)), -1);
	assert_string_equal(err, "the result's figures are missing or out of range");
	assert_int_equal(st_parse(ST_CLI, huge, strlen(huge), &r, err, sizeof(err)), -1);
	/* a result cut anywhere is no result */
	for (size_t n = 0; n < strlen(cli); n++)
		assert_int_equal(st_parse(ST_CLI, cli, n, &r, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ookla),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
