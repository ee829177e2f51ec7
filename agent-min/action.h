/* action.h — the remote actions besides status (SPEC §4): reboot and
 * shutdown, diag, speedtest and stability, driven from the agent's one
 * loop. Child programs are fixed argv lists found on PATH, never text from
 * the server; their output is bounded and their run time limited. Results
 * wait in an outbox the link takes whole messages from. Memory is static;
 * nothing here allocates while no action runs. */
#ifndef MONBOT_AGENT_MIN_ACTION_H
#define MONBOT_AGENT_MIN_ACTION_H

#include <stddef.h>
#include <stdint.h>

#include "agent-min/config.h"
#include "port/port.h"
#include "wire/conn.h"

/* A child's output is kept up to this; more and it is stopped, the report
 * says it was cut off. */
#ifndef ACT_OUTPUT_MAX
#define ACT_OUTPUT_MAX (256u << 10)
#endif
/* A child running longer is killed and reported (the bot gives diag and
 * speedtest 3 min). Tests shorten it with MONBOT_TEST_ACTION_TIMEOUT_MS. */
#ifndef ACT_TIMEOUT_MS
#define ACT_TIMEOUT_MS 170000u
#endif
/* The largest message: a diag report escaped for JSON (6 bytes a byte at
 * worst) or a stability chunk. */
#define ACT_MSG_MAX (ACT_OUTPUT_MAX * 6u + 4096u)
#define ACT_POLLFDS 4 /* descriptors act_pollfds may add */

/* What the actions see of the link; the agent keeps it current. */
struct act_link {
	const struct agent_config *cfg;
	const char *hostname;        /* for the power texts */
	struct conn_tls *tls;        /* NULL: plain */
	const struct port_addr *addr; /* the link's resolved server address */
	int open;                    /* the WebSocket is open */
	int tx_empty;                /* everything queued has been written to the socket */
	int pinned;                  /* fp and spki hold the link's peer hashes */
	uint8_t fp[32], spki[32];
};

/* l stays the caller's and is read on every call. */
void act_init(const struct act_link *l);
/* A command from the server other than status (an unknown one is answered
 * with a text saying so). */
void act_command(const char *cmd, size_t n, uint64_t now);
/* Adds up to ACT_POLLFDS descriptors to wait on at p; returns how many. */
unsigned act_pollfds(struct port_pollfd *p);
/* The earliest time act_step must run again (UINT64_MAX: none). */
uint64_t act_next_wake(uint64_t now);
/* Drives what runs; p[0..n) are the entries act_pollfds added, polled. */
void act_step(uint64_t now, const struct port_pollfd *p, unsigned n);
/* The oldest message waiting for the link (one JSON object), NULL: none. */
const char *act_outbox(size_t *len);
void act_outbox_pop(void);
/* 1 while anything runs (children, the speed test, stability). */
int act_busy(void);
/* Stops whatever runs (children killed and collected). */
void act_stop(void);

#endif
