/* fleet_read.h — the fleet sources' replies into struct fleet (wire/fleet.h),
 * no I/O (agent-min/fleet_poll.c does that): Docker Engine API JSON,
 * NUT's LIST VAR lines, apcupsd's NIS frames, the NVMe health log page,
 * smartctl's and busctl's JSON, Prometheus text lines. Truncated or garbled
 * input leaves a value absent (or the whole reply refused: FR_EPARSE),
 * never a guessed number; names lose their control characters. */
#ifndef MONBOT_FLEET_READ_H
#define MONBOT_FLEET_READ_H

#include <stddef.h>
#include <stdint.h>

#include "wire/fleet.h"
#include "wire/jsonr.h"

#define FR_OK      0
#define FR_EPARSE (-1) /* not the reply we asked for: refused whole */
#define FR_EAGAIN (-2) /* a complete reply needs more bytes */
#define FR_ENOENT (-3) /* a well-formed "no such thing" (NUT's ERR, no UPS) */
#define FR_ID 72       /* a container id with its NUL (64 hex digits) */

/* Copies at most cap-1 bytes of s[0..n) without control characters. */
void fr_clean(char *dst, size_t cap, const char *s, size_t n);

/* GET /containers/json?all=1 (Engine API, ContainerSummary): name (the
 * first of Names, its '/' dropped), state, health from Status ("(healthy)",
 * "(unhealthy)", "(health: starting)"), id. Fills up to max entries of c
 * and ids with engine set; *n the count. */
int fr_docker_list(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, uint8_t engine,
                   struct fleet_container *c, char (*ids)[FR_ID], int max, int *n);
/* GET /containers/{id}/stats?stream=false&one-shot=true: the CPU counters
 * (cpu_stats.cpu_usage.total_usage, cpu_stats.system_cpu_usage, ns; 0 when
 * absent) and memory as docker stats counts it (usage less inactive_file
 * (cgroup v2) or total_inactive_file (v1); NAN when absent). */
int fr_docker_stats(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, uint64_t *cpu_total,
                    uint64_t *sys_total, double *mem);
/* GET /containers/{id}/json: RestartCount (-1 when absent). */
int fr_docker_inspect(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, int64_t *restarts);

/* An HTTP/1.x response in buf[0..len): the status, where the body starts
 * and its length, dechunking it in place when it is chunked. FR_EAGAIN
 * until the headers and a body of the stated length are in (at_eof: the
 * peer closed, a body without a length ends there). */
int fr_http_body(char *buf, size_t len, int at_eof, int *status, size_t *body_off, size_t *body_len);
/* The same for the first of several pipelined responses: *used is where
 * the next one starts (bytes after it untouched by the dechunking). A
 * response without a length cannot be followed by another (FR_EAGAIN
 * until the peer closes). */
int fr_http_next(char *buf, size_t len, int at_eof, int *status, size_t *body_off, size_t *body_len,
                 size_t *used);

/* NUT (docs/net-protocol.txt): "UPS <name> ..." lines of LIST UPS, the
 * first name into name (FR_ENOENT for an empty list); then the reply to
 * LIST VAR <ups>: battery.charge, battery.runtime, ups.load, ups.status
 * into u (source, name). FR_EAGAIN until END LIST; ERR lines FR_ENOENT. */
int fr_nut_ups(const char *text, size_t len, char *name, size_t cap);
int fr_nut_vars(const char *text, size_t len, struct fleet_ups *u);

/* apcupsd NIS: frames of a 2-byte big-endian length and text, the reply to
 * "status" ending with a zero-length frame; "KEY : value" lines UPSNAME,
 * STATUS, BCHARGE, TIMELEFT (minutes), LOADPCT. FR_EAGAIN until the end. */
int fr_apc_status(const uint8_t *buf, size_t len, struct fleet_ups *u);

/* The NVMe SMART / Health Information log (log 02h): critical warning,
 * composite temperature (kelvin), percentage used. */
void fr_nvme_health(const uint8_t page[512], struct fleet_smart *d);
/* smartctl -j -H -A -i <dev>: model, smart_status.passed, temperature,
 * the ATA attribute table or NVMe percentage_used. */
int fr_smartctl(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, struct fleet_smart *d);

/* busctl --json=short call ... ListUnitsFiltered as 1 failed: the names. */
int fr_busctl_units(const char *js, size_t len, jsmntok_t *tok, unsigned ntok,
                    char (*units)[FLEET_NAME], int max, int *n);

/* Prometheus text format lines "name{labels} value [ts]" (comments and
 * blank lines skipped, NaN and infinities left out, a name not matching
 * [a-zA-Z_:][a-zA-Z0-9_:]* or a key over FLEET_CUSTOM_KEY-1 bytes left
 * out); a last line without '\n' is taken only when complete is set.
 * Appends to c[*n..max); a key seen before is overwritten. Returns the
 * number of lines refused. */
int fr_textfile(const char *text, size_t len, int complete, struct fleet_custom *c, int max, int *n);

#endif
