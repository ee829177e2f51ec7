/* fleet.c — the fleet keys' names, clearing and writer (fleet.h); the
 * reader is wire/fleet_parse.c. */
#include "wire/fleet.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire/json.h"

const char *const fleet_state_names[FLEET_ST__COUNT] = {
	"running", "exited", "restarting", "paused", "created", "dead", "removing",
};
const char *const fleet_health_names[4] = { NULL, "healthy", "unhealthy", "starting" };
const char *const fleet_engine_names[2] = { "docker", "podman" };

static int name_index(const char *const *names, int n, const char *s, int len)
{
	for (int i = 0; i < n; i++)
		if (names[i] && (int)strlen(names[i]) == len && memcmp(names[i], s, (size_t)len) == 0)
			return i;
	return -1;
}

int fleet_state_from(const char *s, int len)
{
	return name_index(fleet_state_names, FLEET_ST__COUNT, s, len);
}

int fleet_health_from(const char *s, int len)
{
	return name_index(fleet_health_names, 4, s, len);
}

void fleet_clear(struct fleet *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < FLEET_MAX_CONTAINERS; i++) {
		f->containers[i].restarts = -1;
		f->containers[i].cpu = NAN;
		f->containers[i].mem = NAN;
	}
	for (int i = 0; i < FLEET_MAX_SMART; i++)
		f->smart[i].temp = f->smart[i].used = NAN;
	f->ups.charge = f->ups.runtime = f->ups.load = NAN;
}

static void num_member(struct json_w *w, const char *key, double v, int dec)
{
	if (isnan(v))
		return;
	json_key(w, key);
	json_num(w, v, dec);
}

/* Names come from the network (Docker, a UPS) and from files: a control
 * character is never written (fleet.h), whatever the collector left. */
static void clean_str(struct json_w *w, const char *s, size_t cap)
{
	char tmp[FLEET_CUSTOM_KEY > FLEET_NAME ? FLEET_CUSTOM_KEY : FLEET_NAME];
	size_t n = 0;
	for (size_t i = 0; i < cap && s[i] && n < sizeof(tmp); i++)
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			tmp[n++] = s[i];
	json_strn(w, tmp, n);
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
			size_t n = 0;
			/* json_key takes a C string: the key cleaned first. */
			for (size_t k = 0; k < sizeof(c->key) && c->key[k] && n + 1 < sizeof(key); k++)
				if ((unsigned char)c->key[k] >= 0x20 && c->key[k] != 0x7f)
					key[n++] = c->key[k];
			key[n] = '\0';
			json_key(w, key);
			custom_num(w, c->value);
		}
		json_obj_close(w);
	}
}
