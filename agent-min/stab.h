/* stab.h — the stability test (SPEC §4): UDP datagrams "<idx>:<unix_ts>" to
 * the server's echo port at an interval for a duration, late replies
 * collected for 1 s more, results in chunks of at most 10 000 values. */
#ifndef MONBOT_AGENT_MIN_STAB_H
#define MONBOT_AGENT_MIN_STAB_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

struct stab; /* module-level state in stab.c; one test at a time */
/* Validates the arguments (interval 1..1000 ms, duration 1..86400 s) and
 * starts. 0, or -1 with err set ("already running", "bad interval ..."). */
int stab_start(const char *args /* "<ms> <s>" */, const struct port_addr *server_udp, uint64_t now_ms,
               char *err, size_t errlen);
int stab_fd(void);                        /* the UDP socket, -1 when idle */
uint64_t stab_next_wake(uint64_t now_ms); /* UINT64_MAX when idle */
/* Sends what is due, reads replies (readable: the fd polled readable). When
 * a chunk is ready writes one complete JSON object {"stability":{...}}
 * (SPEC §3) into out and returns its length, 0 when nothing to send now. */
size_t stab_step(uint64_t now_ms, int readable, char *out, size_t cap);
int stab_running(void);
void stab_stop(void); /* abandon (agent stopping): no message */
#define STAB_MSG_MAX (160u << 10)

#endif
