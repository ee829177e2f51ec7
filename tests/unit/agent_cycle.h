/* agent_cycle.h — one sampling cycle as the agent runs it, for the tests
 * that count what a cycle allocates (test_agent_alloc.c, and
 * tests/board/board_check.c on the boards): collect_sample and
 * sample_to_json into the caller's buffer, every 10th cycle a full one
 * (process baseline, then a sample with top processes); cycle i is taken
 * as if 5 s after the one before. JSON_OK or the writer's error. */
#ifndef MONBOT_TEST_AGENT_CYCLE_H
#define MONBOT_TEST_AGENT_CYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "wire/sample.h"

static inline int agent_cycle(struct collector *c, struct sample *s, char *json, size_t cap, int i)
{
	size_t len;
	uint64_t now = port_mono_ms() + (uint64_t)i * 5000u;

	if (i % 10 == 0) {
		collect_baseline(c, now, 1);
		collect_sample(c, s, now + 1000, 1);
	} else {
		collect_sample(c, s, now, 0);
	}
	return sample_to_json(s, json, cap, &len);
}

#endif
