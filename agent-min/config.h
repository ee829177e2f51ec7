/* config.h — the agent's configuration (SPEC §2): built-in defaults, then
 * .env in the working directory, then the environment, then flags. */
#ifndef MONBOT_AGENT_CONFIG_H
#define MONBOT_AGENT_CONFIG_H

#include <stddef.h>

#include "agent-min/fleet_poll.h"

#define AGENT_VERSION "0.1.0"

/* KiB of the static arena the agent's TLS library runs on (no heap after
 * start-up). The build passes the back-end's measured need, WIRE_TLS_ARENA_KB
 * in wire/ws.mk; 'make agent AGENT_TLS_ARENA_KB=n' overrides it. */
#ifndef AGENT_TLS_ARENA_KB
#define AGENT_TLS_ARENA_KB 160
#endif

enum verify_mode { VERIFY_NONE = 0, VERIFY_PIN = 1, VERIFY_FORCE = 2 };

struct agent_config {
	char secret[128];
	char server[256];
	unsigned port;
	unsigned interval;        /* seconds */
	unsigned reconnect_delay; /* seconds, first delay */
	enum verify_mode verify;
	char ca_file[512];
	int tls;
	char fp_file[512];
	unsigned udp_port;
	char net_ignore[256];
	int allow_power;
	unsigned spool;
	char icon_file[512];
	struct fleet_cfg fleet; /* AGENT_DOCKER_SOCKET, AGENT_NUT, ... (fleet_poll.h) */
	int once;
};

enum { CONFIG_OK = 0, CONFIG_EXIT = 1, CONFIG_ERROR = -1 };

/* Fills c. Returns CONFIG_EXIT after printing --help or --version,
 * CONFIG_ERROR with a message naming the variable or flag in err. The
 * secret and server address may be left empty: asking for them is the
 * connecting code's business (agent_config_ask). */
int agent_config_load(struct agent_config *c, int argc, char **argv, char *err, size_t errlen);
/* Asks on a terminal for a missing secret or server address and saves the
 * answer to .env; without a terminal a missing secret is an error. */
int agent_config_ask(struct agent_config *c, char *err, size_t errlen);

#endif
