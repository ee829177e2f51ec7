/* stab.c — STUB of the stability test, to be replaced by the real UDP
 * sender/collector: it checks the arguments and refuses to start. */
#include "agent-min/stab.h"

#include <stdio.h>
#include <stdlib.h>

int stab_start(const char *args, const struct port_addr *server_udp, uint64_t now_ms, char *err,
               size_t errlen)
{
	char *end;
	unsigned long ms, s;
	(void)server_udp;
	(void)now_ms;
	ms = strtoul(args, &end, 10);
	if (end == args || ms < 1 || ms > 1000) {
		snprintf(err, errlen, "bad interval (1..1000 ms)");
		return -1;
	}
	args = end;
	s = strtoul(args, &end, 10);
	if (end == args || *end || s < 1 || s > 86400) {
		snprintf(err, errlen, "bad duration (1..86400 s)");
		return -1;
	}
	snprintf(err, errlen, "not available in this build of the agent");
	return -1;
}

int stab_fd(void) { return -1; }
uint64_t stab_next_wake(uint64_t now_ms) { (void)now_ms; return UINT64_MAX; }
size_t stab_step(uint64_t now_ms, int readable, char *out, size_t cap)
{
	(void)now_ms; (void)readable; (void)out; (void)cap;
	return 0;
}
int stab_running(void) { return 0; }
void stab_stop(void) {}
