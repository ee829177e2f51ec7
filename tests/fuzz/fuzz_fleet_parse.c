/* fuzz_fleet_parse.c — libFuzzer target for wire/fleet_parse.c, the
 * server's reader of the fleet keys of a sample (wire/fleet.h). What it
 * takes must be in range: counts within the struct's bounds, strings
 * NUL-terminated and free of control characters, numbers absent or in
 * their ranges. What the server then makes of it must hold too: the store's
 * series lines (server/store/sample.c) are whole "<name>\t<value>\n" lines
 * with names the store keeps and finite values, and the bot's kept view
 * (wire/fleet.c written, read back here) gives the same containers, units,
 * drives and UPS. Kept inputs: tests/fuzz/fuzz_fleet_parse/. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/store.h"
#include "wire/fleet.h"
#include "wire/json.h"
#include "wire/jsonr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jsmntok_t tok[4096], tok2[16384];
static struct fleet f, back;
static char text[STORE_FLEET_TEXT_MAX], js[96 << 10];

static void check_str(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n >= cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_num(double x, double min, double max)
{
	if (!isnan(x) && !(x >= min && x <= max))
		abort();
}

static void check(void)
{
	if (f.ncontainers < 0 || f.ncontainers > FLEET_MAX_CONTAINERS || f.nunits < 0 ||
	    f.nunits > FLEET_MAX_UNITS || f.nsmart < 0 || f.nsmart > FLEET_MAX_SMART ||
	    f.ncustom < 0 || f.ncustom > FLEET_MAX_CUSTOM)
		abort();
	for (int i = 0; i < f.ncontainers; i++) {
		const struct fleet_container *c = &f.containers[i];
		check_str(c->name, sizeof(c->name));
		if (!c->name[0] || c->state >= FLEET_ST__COUNT || c->health > FLEET_H_STARTING ||
		    c->engine > FLEET_PODMAN || c->restarts < -1)
			abort();
		check_num(c->cpu, 0, 1.1e6);
		check_num(c->mem, 0, 1.0e18);
	}
	for (int i = 0; i < f.nunits; i++) {
		check_str(f.units_failed[i], FLEET_NAME);
		if (!f.units_failed[i][0])
			abort();
	}
	for (int i = 0; i < f.nsmart; i++) {
		const struct fleet_smart *d = &f.smart[i];
		check_str(d->dev, sizeof(d->dev));
		check_str(d->model, sizeof(d->model));
		if (d->nattrs < 0 || d->nattrs > FLEET_MAX_ATTRS || (d->ok != 0 && d->ok != 1))
			abort();
		check_num(d->temp, -273.15, 1000);
		for (int j = 0; j < d->nattrs; j++) {
			check_str(d->attrs[j].name, sizeof(d->attrs[j].name));
			if (d->attrs[j].id < 0 || d->attrs[j].id > 255 || d->attrs[j].value < 0 ||
			    d->attrs[j].value > 255 || d->attrs[j].thresh < 0 || d->attrs[j].thresh > 255)
				abort();
		}
	}
	check_str(f.ups.name, sizeof(f.ups.name));
	check_str(f.ups.status, sizeof(f.ups.status));
	check_num(f.ups.charge, 0, 100);
	for (int i = 0; i < f.ncustom; i++) {
		check_str(f.custom[i].key, sizeof(f.custom[i].key));
		if (!isfinite(f.custom[i].value))
			abort();
	}
}

static void check_text(void)
{
	const char *p = store_fleet_text(&f, text, sizeof(text));
	while (p && *p) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		char *end;
		double v;
		if (!tab || !nl || tab > nl || !store_series_ok(p, (size_t)(tab - p)))
			abort();
		v = strtod(tab + 1, &end);
		if (end != nl || !isfinite(v))
			abort();
		p = nl + 1;
	}
}

static void check_round_trip(void)
{
	struct json_w w;
	struct jsonr r;
	size_t len;
	json_init(&w, js, sizeof(js));
	json_obj_open(&w);
	fleet_json_members(&w, &f);
	json_obj_close(&w);
	if (json_finish(&w, &len) != JSON_OK)
		abort();
	fleet_clear(&back);
	if (jsonr_parse(&r, js, len, tok2, sizeof(tok2) / sizeof(tok2[0]), 8) != JSONR_OK ||
	    fleet_from_json(&back, &r, 0) < 0)
		abort(); /* a number the reader took as absent may come back out of range: left out again */
	if (back.has_containers != f.has_containers || back.ncontainers != f.ncontainers ||
	    back.has_units != f.has_units || back.nunits != f.nunits || back.has_smart != f.has_smart ||
	    back.nsmart != f.nsmart || back.has_ups != f.has_ups || back.ups.on_battery != f.ups.on_battery)
		abort();
	for (int i = 0; i < f.ncontainers; i++)
		if (strcmp(back.containers[i].name, f.containers[i].name) ||
		    back.containers[i].state != f.containers[i].state ||
		    back.containers[i].health != f.containers[i].health)
			abort();
	for (int i = 0; i < f.nunits; i++)
		if (strcmp(back.units_failed[i], f.units_failed[i]))
			abort();
	for (int i = 0; i < f.nsmart; i++)
		if (strcmp(back.smart[i].dev, f.smart[i].dev) || back.smart[i].ok != f.smart[i].ok ||
		    back.smart[i].nattrs != f.smart[i].nattrs)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonr r;

	fleet_clear(&f);
	if (jsonr_parse(&r, (const char *)data, size, tok, sizeof(tok) / sizeof(tok[0]), 8) != JSONR_OK)
		return 0;
	if (fleet_from_json(&f, &r, 0) < 0)
		abort();
	check();
	check_text();
	check_round_trip();
	return 0;
}
