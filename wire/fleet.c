/* fleet.c — the fleet keys' writer (fleet.h); the names and fleet_clear are
 * wire/fleet_names.c's, the reader wire/fleet_parse.c. */
#include "wire/fleet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire/json.h"

static void num_member(struct json_w *w, const char *key, double v, int dec)
{
	if (isnan(v))
		return;
	json_key(w, key);
	json_num(w, v, dec);
}

/* Bytes of the well-formed UTF-8 sequence at s[0..n) (RFC 3629 §4: no
 * overlong forms, no surrogates, at most U+10FFFF), 0 if it is none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned lo = 0x80, hi = 0xbf;
	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Names come from the network (Docker, a UPS) and from files: a control
 * character is never written (fleet.h), and a byte that is not UTF-8 is
 * written as '?' (the writer's \ufffd would take six bytes: FLEET_JSON_MAX
 * counts two a byte at most), whatever the collector left. */
static size_t clean_copy(char *tmp, size_t room, const char *s, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0, len = strnlen(s, cap);
	for (size_t i = 0; i < len && n < room;) {
		size_t k = u[i] < 0x80 ? 1 : utf8_seq(u + i, len - i);
		if (k == 0) {
			tmp[n++] = '?';
			i++;
		} else if (k == 1) {
			if (u[i] >= 0x20 && u[i] != 0x7f)
				tmp[n++] = s[i];
			i++;
		} else {
			if (n + k > room)
				break;
			memcpy(tmp + n, s + i, k);
			n += k;
			i += k;
		}
	}
	return n;
}

static void clean_str(struct json_w *w, const char *s, size_t cap)
{
	char tmp[FLEET_CUSTOM_KEY > FLEET_NAME ? FLEET_CUSTOM_KEY : FLEET_NAME];
	json_strn(w, tmp, clean_copy(tmp, sizeof(tmp), s, cap));
}

#define CLEAN(w, field) clean_str((w), (field), sizeof(field))

static void write_containers(struct json_w *w, const struct fleet *f)
{
	json_key(w, "containers");
	json_arr_open(w);
	for (int i = 0; i < f->ncontainers && i < FLEET_MAX_CONTAINERS; i++) {
		const struct fleet_container *c = &f->containers[i];
		json_obj_open(w);
		json_key(w, "name");
		CLEAN(w, c->name);
		json_key(w, "engine");
		json_str(w, fleet_engine_names[c->engine < 2 ? c->engine : 0]);
		if (c->state < FLEET_ST__COUNT) {
			json_key(w, "state");
			json_str(w, fleet_state_names[c->state]);
		}
		if (c->health > FLEET_H_NONE && c->health <= FLEET_H_STARTING) {
			json_key(w, "health");
			json_str(w, fleet_health_names[c->health]);
		}
		if (c->restarts >= 0) {
			json_key(w, "restarts");
			json_int(w, c->restarts);
		}
		num_member(w, "cpu", c->cpu, 2);
		num_member(w, "mem", c->mem, 0);
		json_obj_close(w);
	}
	json_arr_close(w);
}

static void write_smart(struct json_w *w, const struct fleet *f)
{
	json_key(w, "smart");
	json_arr_open(w);
	for (int i = 0; i < f->nsmart && i < FLEET_MAX_SMART; i++) {
		const struct fleet_smart *d = &f->smart[i];
		json_obj_open(w);
		json_key(w, "dev");
		CLEAN(w, d->dev);
		json_key(w, "model");
		CLEAN(w, d->model);
		json_key(w, "ok");
		json_bool(w, d->ok);
		num_member(w, "temp", d->temp, 0);
		num_member(w, "used", d->used, 0);
		if (d->nattrs > 0) {
			json_key(w, "attrs");
			json_arr_open(w);
			for (int k = 0; k < d->nattrs && k < FLEET_MAX_ATTRS; k++) {
				const struct fleet_attr *a = &d->attrs[k];
				json_obj_open(w);
				json_key(w, "id");
				json_int(w, a->id);
				json_key(w, "name");
				CLEAN(w, a->name);
				json_key(w, "value");
				json_int(w, a->value);
				json_key(w, "worst");
				json_int(w, a->worst);
				json_key(w, "thresh");
				json_int(w, a->thresh);
				json_key(w, "raw");
				json_int(w, a->raw);
				json_obj_close(w);
			}
			json_arr_close(w);
		}
		json_obj_close(w);
	}
	json_arr_close(w);
}

static void write_ups(struct json_w *w, const struct fleet_ups *u)
{
	json_key(w, "ups");
	json_obj_open(w);
	json_key(w, "source");
	json_str(w, u->source == FLEET_UPS_APCUPSD ? "apcupsd" : "nut");
	json_key(w, "name");
	CLEAN(w, u->name);
	json_key(w, "status");
	CLEAN(w, u->status);
	json_key(w, "on_battery");
	json_bool(w, u->on_battery);
	num_member(w, "charge", u->charge, 1);
	num_member(w, "runtime", u->runtime, 0);
	num_member(w, "load", u->load, 1);
	json_obj_close(w);
}

/* Any finite double, 15 significant digits: json_num's fixed decimals
 * would spell 1e300 with 300 digits. */
static void custom_num(struct json_w *w, double v)
{
	char tmp[32];
	int n;
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		json_null(w);
		return;
	}
	json_raw(w, tmp, (size_t)n);
}

void fleet_json_members(struct json_w *w, const struct fleet *f)
{
	if (f->has_containers)
		write_containers(w, f);
	if (f->has_units) {
		json_key(w, "units_failed");
		json_arr_open(w);
		for (int i = 0; i < f->nunits && i < FLEET_MAX_UNITS; i++)
			CLEAN(w, f->units_failed[i]);
		json_arr_close(w);
	}
	if (f->has_smart)
		write_smart(w, f);
	if (f->has_ups)
		write_ups(w, &f->ups);
	if (f->has_custom) {
		json_key(w, "custom");
		json_obj_open(w);
		for (int i = 0; i < f->ncustom && i < FLEET_MAX_CUSTOM; i++) {
			const struct fleet_custom *c = &f->custom[i];
			char key[FLEET_CUSTOM_KEY];
			/* json_key takes a C string: the key cleaned first. */
			key[clean_copy(key, sizeof(key) - 1, c->key, sizeof(c->key))] = '\0';
			json_key(w, key);
			custom_num(w, c->value);
		}
		json_obj_close(w);
	}
}
