/* agent.c — the link loop (being written: see agent.h). */
#include "agent-min/agent.h"

#include <stdio.h>

int agent_run(const struct agent_config *cfg)
{
	(void)cfg;
	fprintf(stderr, "monbot-agent: the server link is not built yet; use --once\n");
	return 1;
}
