/* guard.h — key guessing slowed per source address (issue 9 point 9): a
 * source that had KEY_GUESS_LIMIT keys refused within a minute gets 429 for
 * its /ws/ requests until that minute is over; its refusals are logged with
 * the address, at most KEY_GUESS_LIMIT lines and one summary per minute.
 * A fixed table of sources: when it is full the stalest one is reused. */
#ifndef MONBOT_SERVER_GUARD_H
#define MONBOT_SERVER_GUARD_H

#include <stdint.h>

#include "port/port.h"

#define GUARD_SLOTS     256
#define GUARD_WINDOW_MS 60000u

struct guard_src {
	char addr[PORT_PEER_MAX]; /* "" = free */
	uint64_t since;           /* start of its window (monotonic ms) */
	uint32_t refused, blocked;
};

struct guard {
	unsigned limit; /* 0: off */
	struct guard_src src[GUARD_SLOTS];
};

void guard_init(struct guard *g, unsigned limit);
/* 1 when a /ws/ request from addr is to get 429 now (counted), else 0. */
int guard_blocked(struct guard *g, const char *addr, uint64_t now_ms);
/* A key from addr was refused (403): counted and logged within the limit. */
void guard_refused(struct guard *g, const char *addr, uint64_t now_ms);

#endif
