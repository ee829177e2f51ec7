/* st_builtin.h — the built-in speed test against the monitoring server's
 * own /speedtest (GET: N bytes down; POST: a body up, answered with
 * {"bytes": N, "ms": T}), each over a second connection of its own with the
 * link's TLS settings and pin. Non-blocking, driven from the agent's loop. */
#ifndef MONBOT_AGENT_MIN_ST_BUILTIN_H
#define MONBOT_AGENT_MIN_ST_BUILTIN_H

#include <stddef.h>
#include <stdint.h>

#include "port/port.h"
#include "wire/conn.h"

#define STB_DOWN_BYTES (10u << 20)
#define STB_UP_BYTES (5u << 20)
#define STB_PHASE_MS 20000u /* a direction taking longer is cut and rated on what moved */

struct stb_target {
	struct conn_tls *tls;          /* NULL: plain TCP */
	const struct port_addr *addr;  /* the link's server */
	const char *host;              /* SNI, Host: and the report */
	unsigned port;
	const char *secret;
	const uint8_t *fp, *spki;      /* the link's peer hashes to match, NULL: no pin check */
};

/* 0 started, -1 with err. t is copied (its pointers must stay valid). */
int stb_start(const struct stb_target *t, uint64_t now, char *err, size_t errlen);
int stb_running(void);
/* The descriptor and events to wait for, fd -1 when none. */
void stb_pollfd(struct port_pollfd *p);
uint64_t stb_next_wake(uint64_t now);
/* Drives the test; 1 when it finished, with the report (a text starting
 * "Speedtest") in out. */
int stb_step(uint64_t now, char *out, size_t cap);
void stb_abort(void);

#endif
