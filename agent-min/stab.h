/* stab.h — the stability test (SPEC §4 `stability <interval_ms> <duration_s>`):
 * UDP datagrams `<idx>:<unix_ts>` to the server's echo port at the interval
 * for the duration, replies collected for 1 s more, results reported as
 * {"stability": {"start_ts", "interval_ms", "rtts", "done"}} chunks of at
 * most STAB_CHUNK values (SPEC §3). One test at a time; all state is static
 * (no allocation). Driven from the agent's poll loop: poll stab_fd() for
 * reading, wake at stab_next_wake(), call stab_step(). */
#ifndef MONBOT_STAB_H
#define MONBOT_STAB_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"

#define STAB_CHUNK   10000u      /* values per {"stability"} message (SPEC §3) */
#define STAB_MSG_MAX (160u << 10) /* room stab_step needs for one message */

/* Validates the arguments (interval 1..1000 ms, duration 1..86400 s, both
 * plain decimal integers; anything else refused with a message) and starts:
 * the first datagram is due at now_ms. 0, or -1 with err set ("a stability
 * test is already running", "bad interval ...", ...). */
int stab_start(const char *args /* "<ms> <s>" */, const struct port_addr *server_udp, uint64_t now_ms,
               char *err, size_t errlen);
int stab_fd(void);                        /* the UDP socket, -1 when idle */
uint64_t stab_next_wake(uint64_t now_ms); /* UINT64_MAX when idle */
/* Sends what is due, reads all pending replies (readable: the fd polled
 * readable; read until would-block). When a chunk is ready (STAB_CHUNK values
 * settled, or the end: duration over + 1 s of late replies collected) writes
 * one complete JSON object {"stability":{...}} into out and returns its
 * length, 0 when nothing to send now. After the final chunk ("done": true)
 * the socket is closed and the module idle. cap must be STAB_MSG_MAX or
 * more: a smaller out ends the test with an "error" message when that fits. */
size_t stab_step(uint64_t now_ms, int readable, char *out, size_t cap);
int stab_running(void);
void stab_stop(void); /* abandon (agent stopping): no message */

#endif
