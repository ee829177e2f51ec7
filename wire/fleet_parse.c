/* fleet_parse.c — hostile-input reading of the fleet keys of a sample
 * (wire/fleet.h) on the server. Same rules as sample_parse.c: a value of
 * the wrong type, out of range, too long or carrying a control character
 * is left absent and counted; an element without its identity (a
 * container's name, a drive's dev) is dropped and counted. */
#include "wire/fleet.h"
#include "wire/jsonr.h"
#include "wire/logesc.h"

#include <math.h>
#include <string.h>

#define FLEET_BYTES_MAX 1.0e18
#define FLEET_PCT_MAX   1000.0
#define FLEET_CPU_MAX   (1000.0 * 1024)
#define FLEET_TEMP_MIN  (-273.15)
#define FLEET_TEMP_MAX  1000.0
#define FLEET_RUNTIME_MAX 1.0e9
#define FLEET_CUSTOM_MAX 1.0e300

static void take_num(const struct jsonr *r, int v, double min, double max, double *out, int *bad)
{
	double x;
	if (v < 0 || jsonr_is_null(r, v))
		return;
	if (jsonr_num_range(r, v, min, max, &x) == JSONR_OK)
		*out = x;
	else
		(*bad)++;
}

/* A control character or bytes that are not well-formed UTF-8 (a name
 * must stay the same name when written back as JSON). */
static int has_ctl(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		const unsigned char c = (unsigned char)s[i];
		size_t u = 1;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !(u = utf8_char_len((const unsigned char *)s + i, n - i))))
			return 1;
		i += u;
	}
	return 0;
}

/* A string without control characters that fits: 0; else buf = "" and,
 * unless absent or null, counted. */
static int take_str(const struct jsonr *r, int v, char *buf, size_t cap, int *bad)
{
	buf[0] = '\0';
	if (v < 0 || jsonr_is_null(r, v))
		return -1;
	if (jsonr_str(r, v, buf, cap, NULL) == JSONR_OK && !has_ctl(buf))
		return 0;
	buf[0] = '\0';
	(*bad)++;
	return -1;
}

/* An element's identity (a container's name, a drive's dev): a non-empty
 * string; else counted once and -1. */
static int take_id(const struct jsonr *r, int v, char *buf, size_t cap, int *bad)
{
	int b = 0;
	if (take_str(r, v, buf, cap, &b) == 0 && buf[0])
		return 0;
	buf[0] = '\0';
	(*bad)++;
	return -1;
}

/* A string naming one of names[] (by the lookup fn): its index, else -1
 * (counted unless absent/null). */
static int take_enum(const struct jsonr *r, int v, int (*from)(const char *, int), int *bad)
{
	char buf[32];
	int e;
	if (v < 0 || jsonr_is_null(r, v))
		return -1;
	if (jsonr_str(r, v, buf, sizeof(buf), NULL) != JSONR_OK ||
	    (e = from(buf, (int)strlen(buf))) < 0) {
		(*bad)++;
		return -1;
	}
	return e;
}

static int engine_from(const char *s, int len)
{
	for (int i = 0; i < 2; i++)
		if ((int)strlen(fleet_engine_names[i]) == len && memcmp(fleet_engine_names[i], s, (size_t)len) == 0)
			return i;
	return -1;
}

static int ups_source_from(const char *s, int len)
{
	if (len == 3 && memcmp(s, "nut", 3) == 0)
		return FLEET_UPS_NUT;
	if (len == 7 && memcmp(s, "apcupsd", 7) == 0)
		return FLEET_UPS_APCUPSD;
	return -1;
}

/* An array value (else counted unless null): 1. */
static int is_array(const struct jsonr *r, int v, int *bad)
{
	if (jsonr_type(r, v) == JSONR_T_ARRAY)
		return 1;
	if (!jsonr_is_null(r, v))
		(*bad)++;
	return 0;
}

static void parse_containers(struct fleet *f, const struct jsonr *r, int arr, int *bad)
{
	if (!is_array(r, arr, bad))
		return;
	f->has_containers = 1;
	f->ncontainers = 0;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		struct fleet_container *c;
		int64_t n;
		int k, x;
		if (f->ncontainers >= FLEET_MAX_CONTAINERS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		c = &f->containers[f->ncontainers];
		memset(c, 0, sizeof(*c));
		c->restarts = -1;
		c->cpu = c->mem = NAN;
		if (take_id(r, jsonr_get(r, e, "name"), c->name, sizeof(c->name), bad) != 0)
			continue; /* a container without its name is none */
		/* the state decides the alerts: one that cannot be read drops it */
		k = jsonr_get(r, e, "state");
		if (k < 0 || jsonr_is_null(r, k)) {
			(*bad)++;
			continue;
		}
		if ((x = take_enum(r, k, fleet_state_from, bad)) < 0)
			continue;
		c->state = (uint8_t)x;
		if ((x = take_enum(r, jsonr_get(r, e, "engine"), engine_from, bad)) >= 0)
			c->engine = (uint8_t)x;
		if ((x = take_enum(r, jsonr_get(r, e, "health"), fleet_health_from, bad)) >= 0)
			c->health = (uint8_t)x;
		k = jsonr_get(r, e, "restarts");
		if (k >= 0 && !jsonr_is_null(r, k)) {
			if (jsonr_int(r, k, 0, INT64_C(1) << 40, &n) == JSONR_OK)
				c->restarts = n;
			else
				(*bad)++;
		}
		take_num(r, jsonr_get(r, e, "cpu"), 0, FLEET_CPU_MAX, &c->cpu, bad);
		take_num(r, jsonr_get(r, e, "mem"), 0, FLEET_BYTES_MAX, &c->mem, bad);
		f->ncontainers++;
	}
}

static void parse_units(struct fleet *f, const struct jsonr *r, int arr, int *bad)
{
	if (!is_array(r, arr, bad))
		return;
	f->has_units = 1;
	f->nunits = 0;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		if (f->nunits >= FLEET_MAX_UNITS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_STRING) {
			(*bad)++;
			continue;
		}
		if (take_id(r, e, f->units_failed[f->nunits], FLEET_NAME, bad) == 0)
			f->nunits++;
	}
}

static void parse_attrs(struct fleet_smart *d, const struct jsonr *r, int arr, int *bad)
{
	if (!is_array(r, arr, bad))
		return;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		static const char *const ik[4] = { "id", "value", "worst", "thresh" };
		struct fleet_attr *a;
		int64_t n[4], raw = -1;
		int ok = 1, k;
		if (d->nattrs >= FLEET_MAX_ATTRS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		/* id, value, thresh are what "past its threshold" is made of */
		for (int i = 0; i < 4; i++) {
			n[i] = -1;
			k = jsonr_get(r, e, ik[i]);
			if (k < 0 || jsonr_is_null(r, k)) {
				if (i != 2)
					ok = 0;
			} else if (jsonr_int(r, k, 0, 255, &n[i]) != JSONR_OK) {
				n[i] = -1;
				if (i != 2)
					ok = 0;
				else
					(*bad)++;
			}
		}
		if (!ok) {
			(*bad)++;
			continue;
		}
		a = &d->attrs[d->nattrs];
		memset(a, 0, sizeof(*a));
		take_str(r, jsonr_get(r, e, "name"), a->name, sizeof(a->name), bad);
		k = jsonr_get(r, e, "raw");
		if (k >= 0 && !jsonr_is_null(r, k) && jsonr_int(r, k, 0, INT64_MAX / 2, &raw) != JSONR_OK) {
			(*bad)++;
			raw = -1;
		}
		a->id = (int)n[0];
		a->value = (int)n[1];
		a->worst = (int)n[2];
		a->thresh = (int)n[3];
		a->raw = raw;
		d->nattrs++;
	}
}

static void parse_smart(struct fleet *f, const struct jsonr *r, int arr, int *bad)
{
	if (!is_array(r, arr, bad))
		return;
	f->has_smart = 1;
	f->nsmart = 0;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		struct fleet_smart *d;
		int k, b;
		if (f->nsmart >= FLEET_MAX_SMART) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		d = &f->smart[f->nsmart];
		memset(d, 0, sizeof(*d));
		d->temp = d->used = NAN;
		d->ok = 1;
		if (take_id(r, jsonr_get(r, e, "dev"), d->dev, sizeof(d->dev), bad) != 0)
			continue;
		/* the verdict is the point: one that cannot be read drops the drive */
		k = jsonr_get(r, e, "ok");
		if (k < 0 || jsonr_bool(r, k, &b) != JSONR_OK) {
			(*bad)++;
			continue;
		}
		d->ok = b;
		take_str(r, jsonr_get(r, e, "model"), d->model, sizeof(d->model), bad);
		take_num(r, jsonr_get(r, e, "temp"), FLEET_TEMP_MIN, FLEET_TEMP_MAX, &d->temp, bad);
		take_num(r, jsonr_get(r, e, "used"), 0, FLEET_PCT_MAX * 10, &d->used, bad);
		if ((k = jsonr_get(r, e, "attrs")) >= 0)
			parse_attrs(d, r, k, bad);
		f->nsmart++;
	}
}

static void parse_ups(struct fleet *f, const struct jsonr *r, int obj, int *bad)
{
	struct fleet_ups *u = &f->ups;
	int k, b, x;
	if (jsonr_type(r, obj) != JSONR_T_OBJECT) {
		if (!jsonr_is_null(r, obj))
			(*bad)++;
		return;
	}
	memset(u, 0, sizeof(*u));
	u->charge = u->runtime = u->load = NAN;
	k = jsonr_get(r, obj, "on_battery");
	if (k < 0 || jsonr_bool(r, k, &b) != JSONR_OK) {
		(*bad)++; /* a UPS whose power source is unknown is no reading */
		return;
	}
	u->on_battery = b;
	f->has_ups = 1;
	if ((x = take_enum(r, jsonr_get(r, obj, "source"), ups_source_from, bad)) >= 0)
		u->source = (uint8_t)x;
	take_str(r, jsonr_get(r, obj, "name"), u->name, sizeof(u->name), bad);
	take_str(r, jsonr_get(r, obj, "status"), u->status, sizeof(u->status), bad);
	take_num(r, jsonr_get(r, obj, "charge"), 0, 100, &u->charge, bad);
	take_num(r, jsonr_get(r, obj, "runtime"), 0, FLEET_RUNTIME_MAX, &u->runtime, bad);
	take_num(r, jsonr_get(r, obj, "load"), 0, FLEET_PCT_MAX, &u->load, bad);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* then an optional {label set} to the end, no
 * control characters (Prometheus text format, exposition_formats.md). */
static int custom_key_ok(const char *k)
{
	const char *p = k;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':'))
		return 0;
	for (p++; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	          *p == '_' || *p == ':'; p++)
		;
	if (*p == '\0')
		return 1;
	if (*p != '{' || k[strlen(k) - 1] != '}')
		return 0;
	return !has_ctl(p);
}

static void parse_custom(struct fleet *f, const struct jsonr *r, int obj, int *bad)
{
	if (jsonr_type(r, obj) != JSONR_T_OBJECT) {
		if (!jsonr_is_null(r, obj))
			(*bad)++;
		return;
	}
	f->has_custom = 1;
	f->ncustom = 0;
	for (int k = jsonr_first(r, obj); k > 0; k = jsonr_after(r, obj, k)) {
		struct fleet_custom *c;
		double x;
		int dup = 0;
		if (f->ncustom >= FLEET_MAX_CUSTOM) {
			(*bad)++;
			break;
		}
		c = &f->custom[f->ncustom];
		if (jsonr_str(r, k, c->key, sizeof(c->key), NULL) != JSONR_OK || !custom_key_ok(c->key)) {
			c->key[0] = '\0';
			(*bad)++;
			continue;
		}
		if (jsonr_is_null(r, k + 1)) {
			c->key[0] = '\0';
			continue;
		}
		if (jsonr_num_range(r, k + 1, -FLEET_CUSTOM_MAX, FLEET_CUSTOM_MAX, &x) != JSONR_OK) {
			c->key[0] = '\0';
			(*bad)++;
			continue;
		}
		/* a key given twice: the last one, as jsonr_get */
		for (int i = 0; i < f->ncustom; i++)
			if (strcmp(f->custom[i].key, c->key) == 0) {
				f->custom[i].value = x;
				dup = 1;
			}
		if (dup) {
			c->key[0] = '\0';
			continue;
		}
		c->value = x;
		f->ncustom++;
	}
}

int fleet_from_json(struct fleet *f, const struct jsonr *r, int obj)
{
	int bad = 0;

	if (jsonr_type(r, obj) != JSONR_T_OBJECT)
		return 1;
	for (int k = jsonr_first(r, obj); k > 0; k = jsonr_after(r, obj, k)) {
		int v = k + 1;
		if (jsonr_str_eq(r, k, "containers"))
			parse_containers(f, r, v, &bad);
		else if (jsonr_str_eq(r, k, "units_failed"))
			parse_units(f, r, v, &bad);
		else if (jsonr_str_eq(r, k, "smart"))
			parse_smart(f, r, v, &bad);
		else if (jsonr_str_eq(r, k, "ups"))
			parse_ups(f, r, v, &bad);
		else if (jsonr_str_eq(r, k, "custom"))
			parse_custom(f, r, v, &bad);
	}
	return bad;
}
