/* cmdcli.h — `monbot-server command ...`: queue a command for an agent and
 * show what became of it, straight in the configured database (no bot, no
 * running server needed; a running server hands it to the agent on its
 * next connection). */
#ifndef MONBOT_CMDCLI_H
#define MONBOT_CMDCLI_H

#include "server/config.h"

/* argv[0] is "command" or "command-show". Exit status: 0, 1 failure, 2 usage. */
int cmdcli_main(struct server_config *cfg, int argc, char **argv);

#endif
