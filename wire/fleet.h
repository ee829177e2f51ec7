/* fleet.h — what fleet operators ask every monitor for, as optional keys of
 * the agent's sample (issue "containers, failed services, disk health, UPS,
 * traffic quotas and their own metrics"): containers, failed systemd units,
 * disk health, a UPS, and custom metrics from a text-file directory. The
 * original server ignores these keys (unknown keys, SPEC §3).
 *
 * One struct fleet, fixed size, no heap: the agent fills one in place each
 * cycle (its collectors, port.h), wire/fleet.c writes it as members of the
 * sample object, wire/fleet_parse.c reads it back on the server. A key is
 * written only when its source was found on the host ("has_*"); an empty
 * list then means "found, nothing to report" (no container, no failed unit).
 *
 * Wire format (members of the sample object, all optional):
 *   "containers": [{"name": "web", "engine": "docker"|"podman",
 *                   "state": "running"|"exited"|"restarting"|"paused"|"created"|"dead"|"removing",
 *                   "health": "healthy"|"unhealthy"|"starting" (absent: no healthcheck),
 *                   "restarts": 3, "cpu": 1.5 (percent of all cores),
 *                   "mem": 123456789 (bytes)}, ...]      at most FLEET_MAX_CONTAINERS
 *   "units_failed": ["nginx.service", ...]              at most FLEET_MAX_UNITS
 *   "smart": [{"dev": "nvme0n1", "model": "...", "ok": true|false,
 *              "temp": 38 (°C), "used": 3 (percent of rated life, NVMe),
 *              "attrs": [{"id": 5, "name": "Reallocated_Sector_Ct", "value": 100,
 *                         "worst": 100, "thresh": 10, "raw": 0}, ...]}, ...]
 *              "ok" false = the drive's own verdict is failing; an attribute
 *              is past its threshold when thresh > 0 and value <= thresh.
 *   "ups": {"source": "nut"|"apcupsd", "name": "ups", "status": "OL CHRG",
 *           "on_battery": false, "charge": 100 (percent), "runtime": 1800 (s),
 *           "load": 23 (percent)}
 *   "custom": {"backup_age_seconds": 3600, "temp{room=\"attic\"}": 21.5, ...}
 *             the metric name (Prometheus text format: [a-zA-Z_:][a-zA-Z0-9_:]*)
 *             with its label set as written, at most FLEET_CUSTOM_KEY-1 bytes,
 *             at most FLEET_MAX_CUSTOM of them.
 * Absent numbers are absent keys (NAN in the struct). Strings are UTF-8,
 * control characters never written (the agent drops them from names).
 *
 * Series names the server stores and charts (/plot <host> <series> 24h):
 *   ups_charge, ups_load, ups_runtime, container_cpu:<name>,
 *   container_mem:<name>, smart_temp:<dev>, smart_used:<dev>,
 *   custom:<key>; and traffic per billing period from net_up/net_down. */
#ifndef MONBOT_FLEET_H
#define MONBOT_FLEET_H

#include <stdint.h>

#define FLEET_MAX_CONTAINERS 64
#define FLEET_MAX_UNITS      32
#define FLEET_MAX_SMART      8
#define FLEET_MAX_ATTRS      16
#define FLEET_MAX_CUSTOM     64
#define FLEET_NAME           128 /* container and unit names, with the NUL */
#define FLEET_CUSTOM_KEY     128

enum fleet_engine { FLEET_DOCKER = 0, FLEET_PODMAN = 1 };
enum fleet_state {
	FLEET_ST_RUNNING = 0, FLEET_ST_EXITED, FLEET_ST_RESTARTING, FLEET_ST_PAUSED,
	FLEET_ST_CREATED, FLEET_ST_DEAD, FLEET_ST_REMOVING, FLEET_ST__COUNT
};
enum fleet_health { FLEET_H_NONE = 0, FLEET_H_HEALTHY, FLEET_H_UNHEALTHY, FLEET_H_STARTING };
enum fleet_ups_source { FLEET_UPS_NUT = 0, FLEET_UPS_APCUPSD = 1 };

struct fleet_container {
	char name[FLEET_NAME];
	uint8_t engine, state, health; /* enum fleet_engine, fleet_state, fleet_health */
	int64_t restarts;              /* -1 = not known */
	double cpu, mem;               /* percent of all cores, bytes; NAN = absent */
};

struct fleet_attr {
	int id;
	char name[32];
	int value, worst, thresh;
	int64_t raw;
};

struct fleet_smart {
	char dev[32];
	char model[64];
	int ok;                /* 1 passed, 0 failing */
	double temp, used;     /* °C, percent of rated life; NAN = absent */
	int nattrs;
	struct fleet_attr attrs[FLEET_MAX_ATTRS];
};

struct fleet_ups {
	uint8_t source;        /* enum fleet_ups_source */
	char name[64];
	char status[64];       /* NUT's ups.status / apcupsd's STATUS as given */
	int on_battery;
	double charge, runtime, load; /* percent, seconds, percent; NAN = absent */
};

struct fleet_custom {
	char key[FLEET_CUSTOM_KEY];
	double value;
};

struct fleet {
	int has_containers;
	int ncontainers;
	struct fleet_container containers[FLEET_MAX_CONTAINERS];
	int has_units;
	int nunits;
	char units_failed[FLEET_MAX_UNITS][FLEET_NAME];
	int has_smart;
	int nsmart;
	struct fleet_smart smart[FLEET_MAX_SMART];
	int has_ups;
	struct fleet_ups ups;
	int has_custom;
	int ncustom;
	struct fleet_custom custom[FLEET_MAX_CUSTOM];
};

/* The wire names of enum fleet_state / fleet_health / fleet_engine, and
 * back (-1 when the text is none of them). These and fleet_clear are in
 * wire/fleet_names.c, which both ends link (the writer and the reader). */
extern const char *const fleet_state_names[FLEET_ST__COUNT];
extern const char *const fleet_health_names[4]; /* [FLEET_H_NONE] = NULL */
extern const char *const fleet_engine_names[2];
int fleet_state_from(const char *s, int len);
int fleet_health_from(const char *s, int len);

/* Nothing found (every has_* 0, numbers NAN, restarts -1). */
void fleet_clear(struct fleet *f);

/* The members above into an open object of a writer, after the sample's
 * own (wire/fleet.c; the agent). */
struct json_w;
void fleet_json_members(struct json_w *w, const struct fleet *f);

/* The members of a parsed sample object into f (fleet_clear first;
 * wire/fleet_parse.c; the server). Hostile input as sample_parse.h: a value
 * of the wrong type, out of range or too long is left absent and counted;
 * the count is returned. */
struct jsonr;
int fleet_from_json(struct fleet *f, const struct jsonr *r, int obj);

#endif
