/* fleet_poll.h — the agent's fleet collectors (issue 16): asks the sources
 * found on this host (Docker or Podman over its API socket, NUT, apcupsd,
 * failed systemd units through busctl, disk health through the NVMe log
 * and smartctl, *.prom files) and fills a struct fleet each cycle. One
 * thread, no allocation, never blocking longer than the cycle's budget: a
 * source that is absent costs a failed connect or open and rests; a slow
 * one (SMART, UPS, units) is asked at its own slower cadence, its programs
 * run as children read without waiting. All state is in struct
 * fleet_poll, which the caller owns. */
#ifndef MONBOT_FLEET_POLL_H
#define MONBOT_FLEET_POLL_H

#include <stdint.h>

#include "port/port.h"
#include "wire/fleet.h"
#include "wire/jsonr.h"
#include "wire/sample.h"

/* Compile-time collectors (a board leaves them out: BOARD_FLEET in
 * boards/<name>.mk); 0 makes the collector's code dead, --gc-sections drops it. */
#ifndef AGENT_FLEET_DOCKER
#define AGENT_FLEET_DOCKER 1
#endif
#ifndef AGENT_FLEET_UPS
#define AGENT_FLEET_UPS 1
#endif
#ifndef AGENT_FLEET_UNITS
#define AGENT_FLEET_UNITS 1
#endif
#ifndef AGENT_FLEET_SMART
#define AGENT_FLEET_SMART 1
#endif
#ifndef AGENT_FLEET_TEXTFILE
#define AGENT_FLEET_TEXTFILE 1
#endif

/* The largest fleet members fleet_json_members writes from a full struct
 * fleet (every list at its cap, every name at its longest, escaped):
 * tests/unit/test_fleet_write.c checks it. */
#define FLEET_JSON_MAX (96 * 1024)

/* The AGENT_* settings (agent-min/config.c). "0" (or off) turns a source
 * off; "" takes the default. */
struct fleet_cfg {
	char docker_socket[256]; /* "": /var/run/docker.sock, then /run/podman/podman.sock */
	char nut[256];           /* host[:port][/ups]; "": 127.0.0.1:3493, the first UPS */
	char apcupsd[256];       /* host[:port]; "": 127.0.0.1:3551 */
	char textfile_dir[512];  /* "": none */
	int smart;               /* AGENT_SMART */
	int units;               /* AGENT_UNITS */
};
void fleet_cfg_defaults(struct fleet_cfg *c);

#define FP_HTTP_MAX (256 * 1024) /* one Docker reply: 64 containers' list */
#define FP_TOKENS 8192
#define FP_CHILD_MAX 65536       /* busctl's, smartctl's output */
#define FP_TEXT_MAX 65536        /* one *.prom file: a longer one is cut */

struct fp_child {
	struct port_child c;
	int running;
	uint64_t started;
	size_t len;
	char out[FP_CHILD_MAX];
};

struct fp_known { /* a container seen before: CPU counters, restart count */
	char id[72];
	uint64_t cpu, sys;
	int64_t restarts;
	uint64_t inspected;
	uint8_t state;
};

struct fleet_poll {
	struct fleet_cfg cfg;
	/* Docker / Podman */
	int dk_on;               /* a socket to try */
	int dk_idx;              /* which of the default sockets answered */
	uint64_t dk_rest_until;  /* absent: tried again after this */
	int nknown;
	struct fp_known known[FLEET_MAX_CONTAINERS];
	struct fp_known next[FLEET_MAX_CONTAINERS]; /* this cycle's, then known */
	char ids[FLEET_MAX_CONTAINERS][72];
	/* UPS */
	int nut_on, apc_on;
	struct port_addr nut_addr, apc_addr;
	char nut_ups[64];
	uint64_t ups_next, nut_rest_until, apc_rest_until;
	int have_ups;
	struct fleet_ups ups;
	/* failed units */
	uint64_t units_next;
	int units_absent;        /* no busctl: tried again after units_next */
	int have_units, nunits;
	char units[FLEET_MAX_UNITS][FLEET_NAME];
	/* disk health */
	uint64_t smart_next;
	int ndrives, drive_at;   /* drives listed, the next one for smartctl */
	struct port_drive drives[FLEET_MAX_SMART];
	int nsmart, nlast, have_smart;
	struct fleet_smart smart[FLEET_MAX_SMART]; /* this round's */
	struct fleet_smart last[FLEET_MAX_SMART];  /* the last whole round's */
	/* Large buffers last: fleet_poll_init clears what comes before them
	 * only, so that a host without the sources never touches their pages. */
	struct fp_child units_child, smart_child;
	/* scratch */
	char http[FP_HTTP_MAX];
	char text[FP_TEXT_MAX];
	jsmntok_t tok[FP_TOKENS];
};

/* Reads the configuration; resolves a UPS host name once (start-up). */
void fleet_poll_init(struct fleet_poll *p, const struct fleet_cfg *cfg);
/* One cycle: f cleared, then every source's keys, within budget_ms. */
void fleet_poll(struct fleet_poll *p, struct fleet *f, unsigned budget_ms);
/* The sample's members, then the fleet's, as one object (SPEC §3). */
int fleet_sample_to_json(const struct sample *s, const struct fleet *f, char *buf, size_t cap, size_t *len);
/* Kills the children still running. */
void fleet_poll_stop(struct fleet_poll *p);

#endif
