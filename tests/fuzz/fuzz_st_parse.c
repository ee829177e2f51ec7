/* fuzz_st_parse.c — the speed test tools' JSON reader (agent-min/st_parse.c):
 * the first byte picks Ookla (even) or speedtest-cli (odd), the rest is
 * their output. A result's figures are in range and its text formats. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/st_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st_result r;
	char err[256], out[512];
	char *buf;
	int rc;
	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	err[0] = '\0';
	rc = st_parse(data[0] & 1 ? ST_CLI : ST_OOKLA, buf, size - 1, &r, err, sizeof(err));
	if (rc == 0) {
		if (!(r.down_bps >= 0 && r.down_bps <= 1e11 && r.up_bps >= 0 && r.up_bps <= 1e11 &&
		      r.ping_ms >= 0 && r.ping_ms <= 60000) || memchr(r.server, '\0', sizeof(r.server)) == NULL)
			__builtin_trap();
		st_format(&r, "fuzz", out, sizeof(out));
		if (strncmp(out, "Speedtest (fuzz): download ", 27) != 0)
			__builtin_trap();
	} else if (rc != -1 || err[0] == '\0') {
		__builtin_trap();
	}
	free(buf);
	return 0;
}
