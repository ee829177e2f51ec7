/* st_parse.h — reading the external speed test tools' JSON: Ookla's
 * `speedtest --format=json` (bandwidth in bytes/s, ping.latency in ms) and
 * `speedtest-cli --json` (download/upload in bit/s, ping in ms). No I/O. */
#ifndef MONBOT_AGENT_MIN_ST_PARSE_H
#define MONBOT_AGENT_MIN_ST_PARSE_H

#include <stddef.h>

enum st_tool { ST_OOKLA, ST_CLI };

struct st_result {
	double down_bps, up_bps; /* bits per second */
	double ping_ms;
	char server[160];        /* "Example ISP (Berlin)"; "" if not given */
};

/* 0 with r filled, or -1 with the reason in err. out may hold several
 * lines (Ookla writes {"type":"log",...} lines before its result); the
 * last one that is a result counts; a log line's error message becomes the
 * reason when there is none. */
int st_parse(enum st_tool tool, const char *out, size_t len, struct st_result *r, char *err,
             size_t errlen);

/* "Speedtest (<via>): download X Mbit/s, upload Y Mbit/s, ping Z ms (<server>)" */
void st_format(const struct st_result *r, const char *via, char *out, size_t cap);

#endif
