/* test_fleet_write.c — wire/fleet.c's writer: the exact members for a
 * fleet of each kind, absent numbers left out, control characters never
 * written, and the largest struct fleet inside FLEET_JSON_MAX (the agent's
 * sample buffer is sized by it), its JSON well-formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent-min/fleet_poll.h"
#include "wire/fleet.h"
#include "wire/json.h"
#include "wire/jsonr.h"

static struct fleet f;
static char out[FLEET_JSON_MAX + 4096];
static jsmntok_t tok[65536];

static size_t write_fleet(void)
{
	struct json_w w;
	size_t len;
	json_init(&w, out, sizeof(out));
	json_obj_open(&w);
	fleet_json_members(&w, &f);
	json_obj_close(&w);
	assert_int_equal(json_finish(&w, &len), JSON_OK);
	return len;
}

static void test_empty(void **state)
{
	(void)state;
	fleet_clear(&f);
	write_fleet();
	assert_string_equal(out, "{}");
	/* found, nothing to report: empty lists */
	f.has_containers = f.has_units = f.has_smart = f.has_custom = 1;
	write_fleet();
	assert_string_equal(out, "{\"containers\":[],\"units_failed\":[],\"smart\":[],\"custom\":{}}");
}

static void test_exact(void **state)
{
	(void)state;
	fleet_clear(&f);
	f.has_containers = 1;
	f.ncontainers = 2;
	snprintf(f.containers[0].name, FLEET_NAME, "web");
	f.containers[0].state = FLEET_ST_RUNNING;
	f.containers[0].health = FLEET_H_HEALTHY;
	f.containers[0].restarts = 3;
	f.containers[0].cpu = 2.5;
	f.containers[0].mem = 41943040;
	snprintf(f.containers[1].name, FLEET_NAME, "bad\x1b[31m\"q\"");
	f.containers[1].engine = FLEET_PODMAN;
	f.containers[1].state = FLEET_ST_EXITED;
	f.has_units = 1;
	f.nunits = 1;
	snprintf(f.units_failed[0], FLEET_NAME, "nginx.service");
	f.has_smart = 1;
	f.nsmart = 1;
	snprintf(f.smart[0].dev, sizeof(f.smart[0].dev), "sda");
	snprintf(f.smart[0].model, sizeof(f.smart[0].model), "Samsung SSD 870");
	f.smart[0].ok = 1;
	f.smart[0].temp = 34;
	f.smart[0].nattrs = 1;
	f.smart[0].attrs[0] = (struct fleet_attr){5, "Reallocated_Sector_Ct", 100, 100, 10, 0};
	f.has_ups = 1;
	f.ups.source = FLEET_UPS_NUT;
	snprintf(f.ups.name, sizeof(f.ups.name), "ups");
	snprintf(f.ups.status, sizeof(f.ups.status), "OB DISCHRG");
	f.ups.on_battery = 1;
	f.ups.charge = 87;
	f.ups.runtime = 1820;
	f.ups.load = 23;
	f.has_custom = 1;
	f.ncustom = 3;
	snprintf(f.custom[0].key, FLEET_CUSTOM_KEY, "backup_age_seconds");
	f.custom[0].value = 3600;
	snprintf(f.custom[1].key, FLEET_CUSTOM_KEY, "temp{room=\"attic\"}");
	f.custom[1].value = 21.5;
	snprintf(f.custom[2].key, FLEET_CUSTOM_KEY, "huge");
	f.custom[2].value = 1e300;
	write_fleet();
	assert_string_equal(out,
		"{\"containers\":[{\"name\":\"web\",\"engine\":\"docker\",\"state\":\"running\",\"health\":\"healthy\","
		"\"restarts\":3,\"cpu\":2.5,\"mem\":41943040},"
		"{\"name\":\"bad[31m\\\"q\\\"\",\"engine\":\"podman\",\"state\":\"exited\"}],"
		"\"units_failed\":[\"nginx.service\"],"
		"\"smart\":[{\"dev\":\"sda\",\"model\":\"Samsung SSD 870\",\"ok\":true,\"temp\":34,"
		"\"attrs\":[{\"id\":5,\"name\":\"Reallocated_Sector_Ct\",\"value\":100,\"worst\":100,\"thresh\":10,\"raw\":0}]}],"
		"\"ups\":{\"source\":\"nut\",\"name\":\"ups\",\"status\":\"OB DISCHRG\",\"on_battery\":true,"
		"\"charge\":87,\"runtime\":1820,\"load\":23},"
		"\"custom\":{\"backup_age_seconds\":3600,\"temp{room=\\\"attic\\\"}\":21.5,\"huge\":1e+300}}");
}

/* Bytes that are not UTF-8 are written as '?', well-formed sequences kept. */
static void test_not_utf8(void **state)
{
	(void)state;
	fleet_clear(&f);
	f.has_units = 1;
	f.nunits = 3;
	snprintf(f.units_failed[0], FLEET_NAME, "a\xff\xfe" "b");
	snprintf(f.units_failed[1], FLEET_NAME, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	snprintf(f.units_failed[2], FLEET_NAME, "\xc0\xaf \xed\xa0\x80 \xc3");
	write_fleet();
	assert_string_equal(out, "{\"units_failed\":[\"a??b\",\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"?? ??? ?\"]}");
}

/* Every list full, every name at its longest of '"' (escaped: 2 bytes). */
static void test_worst_case(void **state)
{
	struct jsonr r;
	size_t len;
	(void)state;
	fleet_clear(&f);
	f.has_containers = f.has_units = f.has_smart = f.has_ups = f.has_custom = 1;
	f.ncontainers = FLEET_MAX_CONTAINERS;
	for (int i = 0; i < FLEET_MAX_CONTAINERS; i++) {
		struct fleet_container *c = &f.containers[i];
		memset(c->name, i % 2 ? '"' : 0xff, FLEET_NAME - 1);
		c->state = FLEET_ST_RESTARTING;
		c->health = FLEET_H_UNHEALTHY;
		c->restarts = INT32_MAX;
		c->cpu = 99.99;
		c->mem = 9007199254740991.0;
	}
	f.nunits = FLEET_MAX_UNITS;
	for (int i = 0; i < FLEET_MAX_UNITS; i++)
		memset(f.units_failed[i], '"', FLEET_NAME - 1);
	f.nsmart = FLEET_MAX_SMART;
	for (int i = 0; i < FLEET_MAX_SMART; i++) {
		struct fleet_smart *d = &f.smart[i];
		memset(d->dev, '"', sizeof(d->dev) - 1);
		memset(d->model, '"', sizeof(d->model) - 1);
		d->temp = -273;
		d->used = 255;
		d->nattrs = FLEET_MAX_ATTRS;
		for (int k = 0; k < FLEET_MAX_ATTRS; k++) {
			d->attrs[k] = (struct fleet_attr){255, "", 255, 255, 255, INT64_MIN};
			memset(d->attrs[k].name, '"', sizeof(d->attrs[k].name) - 1);
		}
	}
	memset(f.ups.name, '"', sizeof(f.ups.name) - 1);
	memset(f.ups.status, '"', sizeof(f.ups.status) - 1);
	f.ups.charge = f.ups.runtime = f.ups.load = -1.7976931348623157e308;
	f.ncustom = FLEET_MAX_CUSTOM;
	for (int i = 0; i < FLEET_MAX_CUSTOM; i++) {
		memset(f.custom[i].key, '"', FLEET_CUSTOM_KEY - 1);
		f.custom[i].value = -1.7976931348623157e-308;
	}
	len = write_fleet();
	print_message("# worst-case fleet members: %zu bytes (FLEET_JSON_MAX %d)\n", len, FLEET_JSON_MAX);
	assert_true(len <= FLEET_JSON_MAX);
	assert_int_equal(jsonr_parse(&r, out, len, tok, 65536, 16), JSONR_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_worst_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
