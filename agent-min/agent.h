/* agent.h — the agent's link loop: sample every interval into the spool,
 * keep one WebSocket to the server, send what is unacknowledged, answer
 * commands. */
#ifndef MONBOT_AGENT_MIN_AGENT_H
#define MONBOT_AGENT_MIN_AGENT_H

#include "agent-min/config.h"

/* Runs until a fatal error; returns the process exit code. */
int agent_run(const struct agent_config *cfg);

#endif
