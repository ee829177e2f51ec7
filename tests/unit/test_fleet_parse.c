/* test_fleet_parse.c — wire/fleet_parse.c: the fleet keys of a sample
 * (wire/fleet.h) in, exact values out; hostile values absent and counted. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/fleet.h"
#include "wire/jsonr.h"

#define NTOK 8192
static jsmntok_t tok[NTOK];
static struct fleet f;

static int parse(const char *js)
{
	struct jsonr r;
	fleet_clear(&f);
	if (jsonr_parse(&r, js, strlen(js), tok, NTOK, 8) != JSONR_OK)
		return -100;
	return fleet_from_json(&f, &r, 0);
}

static void test_absent(void **st)
{
	(void)st;
	assert_int_equal(parse("{\"cpu\": 1, \"ram\": 2}"), 0);
	assert_int_equal(f.has_containers + f.has_units + f.has_smart + f.has_ups + f.has_custom, 0);
	assert_true(isnan(f.ups.charge));
	assert_true(f.containers[0].restarts == -1);
	/* found, nothing to report */
	assert_int_equal(parse("{\"containers\": [], \"units_failed\": [], \"smart\": [], \"custom\": {}}"), 0);
	assert_int_equal(f.has_containers, 1);
	assert_int_equal(f.ncontainers, 0);
	assert_int_equal(f.has_units, 1);
	assert_int_equal(f.has_smart, 1);
	assert_int_equal(f.has_custom, 1);
	assert_int_equal(f.has_ups, 0);
	/* null is absent, not bad */
	assert_int_equal(parse("{\"containers\": null, \"ups\": null, \"custom\": null}"), 0);
	assert_int_equal(f.has_containers + f.has_ups + f.has_custom, 0);
}

static void test_full(void **st)
{
	const char *js =
		"{\"cpu\": 1, \"ram\": 2, \"containers\": ["
		"{\"name\": \"web\", \"engine\": \"docker\", \"state\": \"running\", \"health\": \"healthy\", "
		"\"restarts\": 3, \"cpu\": 1.5, \"mem\": 123456789},"
		"{\"name\": \"db\", \"engine\": \"podman\", \"state\": \"exited\"}], "
		"\"units_failed\": [\"nginx.service\", \"backup.timer\"], "
		"\"smart\": [{\"dev\": \"nvme0n1\", \"model\": \"Samsung 980\", \"ok\": true, \"temp\": 38, "
		"\"used\": 3, \"attrs\": [{\"id\": 5, \"name\": \"Reallocated_Sector_Ct\", \"value\": 100, "
		"\"worst\": 99, \"thresh\": 10, \"raw\": 7}]}], "
		"\"ups\": {\"source\": \"nut\", \"name\": \"ups\", \"status\": \"OB DISCHRG\", "
		"\"on_battery\": true, \"charge\": 42.5, \"runtime\": 1800, \"load\": 23}, "
		"\"custom\": {\"backup_age_seconds\": 3600, \"temp{room=\\\"attic\\\"}\": 21.5}}";
	(void)st;
	assert_int_equal(parse(js), 0);
	assert_int_equal(f.ncontainers, 2);
	assert_string_equal(f.containers[0].name, "web");
	assert_int_equal(f.containers[0].engine, FLEET_DOCKER);
	assert_int_equal(f.containers[0].state, FLEET_ST_RUNNING);
	assert_int_equal(f.containers[0].health, FLEET_H_HEALTHY);
	assert_true(f.containers[0].restarts == 3);
	assert_true(f.containers[0].cpu == 1.5);
	assert_true(f.containers[0].mem == 123456789.0);
	assert_string_equal(f.containers[1].name, "db");
	assert_int_equal(f.containers[1].engine, FLEET_PODMAN);
	assert_int_equal(f.containers[1].state, FLEET_ST_EXITED);
	assert_int_equal(f.containers[1].health, FLEET_H_NONE);
	assert_true(f.containers[1].restarts == -1);
	assert_true(isnan(f.containers[1].cpu));
	assert_int_equal(f.nunits, 2);
	assert_string_equal(f.units_failed[1], "backup.timer");
	assert_int_equal(f.nsmart, 1);
	assert_string_equal(f.smart[0].dev, "nvme0n1");
	assert_string_equal(f.smart[0].model, "Samsung 980");
	assert_int_equal(f.smart[0].ok, 1);
	assert_true(f.smart[0].temp == 38);
	assert_true(f.smart[0].used == 3);
	assert_int_equal(f.smart[0].nattrs, 1);
	assert_int_equal(f.smart[0].attrs[0].id, 5);
	assert_string_equal(f.smart[0].attrs[0].name, "Reallocated_Sector_Ct");
	assert_int_equal(f.smart[0].attrs[0].value, 100);
	assert_int_equal(f.smart[0].attrs[0].worst, 99);
	assert_int_equal(f.smart[0].attrs[0].thresh, 10);
	assert_true(f.smart[0].attrs[0].raw == 7);
	assert_int_equal(f.has_ups, 1);
	assert_int_equal(f.ups.source, FLEET_UPS_NUT);
	assert_string_equal(f.ups.name, "ups");
	assert_string_equal(f.ups.status, "OB DISCHRG");
	assert_int_equal(f.ups.on_battery, 1);
	assert_true(f.ups.charge == 42.5);
	assert_true(f.ups.runtime == 1800);
	assert_true(f.ups.load == 23);
	assert_int_equal(f.ncustom, 2);
	assert_string_equal(f.custom[0].key, "backup_age_seconds");
	assert_true(f.custom[0].value == 3600);
	assert_string_equal(f.custom[1].key, "temp{room=\"attic\"}");
	assert_true(f.custom[1].value == 21.5);
}

static void test_hostile_containers(void **st)
{
	char big[400];
	(void)st;
	/* wrong types: the element or the value goes, each counted once */
	assert_int_equal(parse("{\"containers\": [1, {\"state\": \"running\"}, "
	                       "{\"name\": \"a\"}, {\"name\": \"b\", \"state\": \"sleeping\"}, "
	                       "{\"name\": \"c\", \"state\": \"running\", \"health\": 3, \"restarts\": -1, "
	                       "\"cpu\": \"x\", \"mem\": -5, \"engine\": \"lxc\"}, "
	                       "{\"name\": \"\", \"state\": \"running\"}, "
	                       "{\"name\": \"d\\u0001\", \"state\": \"running\"}]}"), 11);
	assert_int_equal(f.ncontainers, 1);
	assert_string_equal(f.containers[0].name, "c");
	assert_int_equal(f.containers[0].health, FLEET_H_NONE);
	assert_true(f.containers[0].restarts == -1);
	assert_true(isnan(f.containers[0].cpu));
	assert_true(isnan(f.containers[0].mem));
	assert_int_equal(f.containers[0].engine, FLEET_DOCKER);
	/* a name too long for FLEET_NAME */
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"containers\": [{\"state\": \"running\", \"name\": \"", 46);
	strcpy(big + 46 + 200, "\"}]}");
	assert_int_equal(parse(big), 1);
	assert_int_equal(f.ncontainers, 0);
	assert_int_equal(f.has_containers, 1);
	/* not an array */
	assert_int_equal(parse("{\"containers\": {\"name\": \"web\"}}"), 1);
	assert_int_equal(f.has_containers, 0);
	/* bytes that are not UTF-8 (a lone continuation, an overlong '/'): the
	 * element goes; a name in UTF-8 stays as it is */
	assert_int_equal(parse("{\"containers\": [{\"name\": \"a\x80\", \"state\": \"running\"}, "
	                       "{\"name\": \"b\xc0\xaf\", \"state\": \"running\"}, "
	                       "{\"name\": \"caf\xc3\xa9\", \"state\": \"exited\"}]}"), 2);
	assert_int_equal(f.ncontainers, 1);
	assert_string_equal(f.containers[0].name, "caf\xc3\xa9");
}

static void test_too_many(void **st)
{
	static char js[65536];
	size_t n = 0;
	(void)st;
	n += (size_t)snprintf(js + n, sizeof(js) - n, "{\"containers\": [");
	for (int i = 0; i < FLEET_MAX_CONTAINERS + 2; i++)
		n += (size_t)snprintf(js + n, sizeof(js) - n, "%s{\"name\": \"c%d\", \"state\": \"running\"}",
		                      i ? "," : "", i);
	n += (size_t)snprintf(js + n, sizeof(js) - n, "], \"units_failed\": [");
	for (int i = 0; i < FLEET_MAX_UNITS + 1; i++)
		n += (size_t)snprintf(js + n, sizeof(js) - n, "%s\"u%d.service\"", i ? "," : "", i);
	snprintf(js + n, sizeof(js) - n, "]}");
	assert_int_equal(parse(js), 2);
	assert_int_equal(f.ncontainers, FLEET_MAX_CONTAINERS);
	assert_string_equal(f.containers[FLEET_MAX_CONTAINERS - 1].name, "c63");
	assert_int_equal(f.nunits, FLEET_MAX_UNITS);
}

static void test_hostile_ups_smart(void **st)
{
	(void)st;
	/* without on_battery there is no reading */
	assert_int_equal(parse("{\"ups\": {\"charge\": 50}}"), 1);
	assert_int_equal(f.has_ups, 0);
	assert_int_equal(parse("{\"ups\": {\"on_battery\": false, \"charge\": 101, \"runtime\": \"1\", "
	                       "\"load\": 1e999, \"source\": \"x\", \"status\": \"OL\\nX\"}}"), 5);
	assert_int_equal(parse("{\"ups\": {\"on_battery\": false, \"charge\": 101, \"runtime\": \"1\", "
	                       "\"load\": -1, \"source\": \"x\", \"status\": \"OL\\nX\"}}"), 5);
	assert_int_equal(f.has_ups, 1);
	assert_int_equal(f.ups.on_battery, 0);
	assert_true(isnan(f.ups.charge) && isnan(f.ups.runtime) && isnan(f.ups.load));
	assert_string_equal(f.ups.status, "");
	assert_int_equal(parse("{\"smart\": [{\"dev\": \"sda\"}, {\"dev\": \"sdb\", \"ok\": false, "
	                       "\"temp\": 2000, \"attrs\": [{\"id\": 5, \"value\": 300, \"thresh\": 10}, "
	                       "{\"id\": 9, \"value\": 5, \"thresh\": 10, \"raw\": 12}]}]}"), 3);
	assert_int_equal(f.nsmart, 1);
	assert_string_equal(f.smart[0].dev, "sdb");
	assert_int_equal(f.smart[0].ok, 0);
	assert_true(isnan(f.smart[0].temp));
	assert_int_equal(f.smart[0].nattrs, 1);
	assert_int_equal(f.smart[0].attrs[0].id, 9);
	assert_int_equal(f.smart[0].attrs[0].worst, -1);
	assert_true(f.smart[0].attrs[0].raw == 12);
}

static void test_hostile_custom(void **st)
{
	(void)st;
	assert_int_equal(parse("{\"custom\": {\"9bad\": 1, \"ok_one\": 2, \"sp ace\": 3, \"s\": \"x\", "
	                       "\"n\": null, \"l{a=\\\"b\\\"}\": 4, \"l{open\": 5, \"ok_one\": 6}}"), 4);
	assert_int_equal(f.ncustom, 2);
	assert_string_equal(f.custom[0].key, "ok_one");
	assert_true(f.custom[0].value == 6);
	assert_string_equal(f.custom[1].key, "l{a=\"b\"}");
	assert_true(f.custom[1].value == 4);
	assert_int_equal(parse("{\"custom\": [1]}"), 1);
	assert_int_equal(f.has_custom, 0);
}

static void test_names(void **st)
{
	(void)st;
	assert_int_equal(fleet_state_from("exited", 6), FLEET_ST_EXITED);
	assert_int_equal(fleet_state_from("exite", 5), -1);
	assert_int_equal(fleet_health_from("unhealthy", 9), FLEET_H_UNHEALTHY);
	assert_int_equal(fleet_health_from("", 0), -1);
	assert_string_equal(fleet_state_names[FLEET_ST_REMOVING], "removing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_hostile_containers),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_hostile_ups_smart),
		cmocka_unit_test(test_hostile_custom),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
