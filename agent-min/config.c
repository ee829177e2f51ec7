/* config.c — agent configuration: defaults < .env < environment < flags. */
#include "agent-min/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wire/conf.h"
#include "wire/dotenv.h"

#define ENV_FILE ".env"

static const char usage[] =
	"usage: monbot-agent [options]\n"
	"  -s SECRET     agent secret from /newkey (AGENT_SECRET)\n"
	"  -H HOST       server host name or address (AGENT_SERVER_IP)\n"
	"  -p PORT       server port, default 8000 (AGENT_PORT)\n"
	"  -i SECONDS    seconds between samples, default 5 (AGENT_INTERVAL)\n"
	"  --once        print one full sample as JSON and exit\n"
	"  --help, --version\n"
	"  --install-service, --remove-service   (Windows) run at boot as a service\n"
	"Other settings come from the environment or .env: AGENT_RECONNECT_DELAY,\n"
	"AGENT_VERIFY_SSL (1 pin, force, 0), AGENT_CA_FILE, AGENT_TLS, AGENT_FP_FILE,\n"
	"AGENT_UDP_PORT, AGENT_NET_IGNORE, AGENT_ALLOW_POWER, AGENT_SPOOL, AGENT_ICON_FILE;\n"
	"fleet sources: AGENT_DOCKER_SOCKET, AGENT_NUT, AGENT_APCUPSD, AGENT_TEXTFILE_DIR,\n"
	"AGENT_SMART, AGENT_UNITS (0 turns one off).\n";

/* One setting by its variable name (from .env, environment or a flag). */
static int apply(struct agent_config *c, const char *name, const char *v, char *err, size_t errlen)
{
	if (strcmp(name, "AGENT_SECRET") == 0)
		return conf_set_str(c->secret, sizeof(c->secret), name, v, err, errlen);
	if (strcmp(name, "AGENT_SERVER_IP") == 0)
		return conf_set_str(c->server, sizeof(c->server), name, v, err, errlen);
	if (strcmp(name, "AGENT_PORT") == 0)
		return conf_set_uint(&c->port, name, v, 1, 65535, 1, err, errlen);
	if (strcmp(name, "AGENT_INTERVAL") == 0)
		return conf_set_uint(&c->interval, name, v, 1, 86400, 1, err, errlen);
	if (strcmp(name, "AGENT_RECONNECT_DELAY") == 0)
		return conf_set_uint(&c->reconnect_delay, name, v, 1, 3600, 1, err, errlen);
	if (strcmp(name, "AGENT_UDP_PORT") == 0)
		return conf_set_uint(&c->udp_port, name, v, 1, 65535, 1, err, errlen);
	if (strcmp(name, "AGENT_SPOOL") == 0)
		return conf_set_uint(&c->spool, name, v, 1, 1000000, 1, err, errlen);
	if (strcmp(name, "AGENT_VERIFY_SSL") == 0) {
		if (strcasecmp(v, "force") == 0) {
			c->verify = VERIFY_FORCE;
			return 0;
		}
		int b;
		if (conf_bool(name, v, &b, err, errlen) < 0) {
			snprintf(err, errlen, "%s: '%s' is not 1, force or 0", name, v);
			return -1;
		}
		c->verify = b ? VERIFY_PIN : VERIFY_NONE;
		return 0;
	}
	if (strcmp(name, "AGENT_TLS") == 0)
		return conf_bool(name, v, &c->tls, err, errlen);
	if (strcmp(name, "AGENT_ALLOW_POWER") == 0)
		return conf_bool(name, v, &c->allow_power, err, errlen);
	if (strcmp(name, "AGENT_CA_FILE") == 0)
		return conf_set_str(c->ca_file, sizeof(c->ca_file), name, v, err, errlen);
	if (strcmp(name, "AGENT_FP_FILE") == 0)
		return conf_set_str(c->fp_file, sizeof(c->fp_file), name, v, err, errlen);
	if (strcmp(name, "AGENT_NET_IGNORE") == 0)
		return conf_set_str(c->net_ignore, sizeof(c->net_ignore), name, v, err, errlen);
	if (strcmp(name, "AGENT_ICON_FILE") == 0)
		return conf_set_str(c->icon_file, sizeof(c->icon_file), name, v, err, errlen);
	if (strcmp(name, "AGENT_DOCKER_SOCKET") == 0)
		return conf_set_str(c->fleet.docker_socket, sizeof(c->fleet.docker_socket), name, v, err, errlen);
	if (strcmp(name, "AGENT_NUT") == 0)
		return conf_set_str(c->fleet.nut, sizeof(c->fleet.nut), name, v, err, errlen);
	if (strcmp(name, "AGENT_APCUPSD") == 0)
		return conf_set_str(c->fleet.apcupsd, sizeof(c->fleet.apcupsd), name, v, err, errlen);
	if (strcmp(name, "AGENT_TEXTFILE_DIR") == 0)
		return conf_set_str(c->fleet.textfile_dir, sizeof(c->fleet.textfile_dir), name, v, err, errlen);
	if (strcmp(name, "AGENT_SMART") == 0)
		return conf_bool(name, v, &c->fleet.smart, err, errlen);
	if (strcmp(name, "AGENT_UNITS") == 0)
		return conf_bool(name, v, &c->fleet.units, err, errlen);
	return 0;
}

static const char *const names[] = {
	"AGENT_SECRET", "AGENT_SERVER_IP", "AGENT_PORT", "AGENT_INTERVAL", "AGENT_RECONNECT_DELAY",
	"AGENT_VERIFY_SSL", "AGENT_CA_FILE", "AGENT_TLS", "AGENT_FP_FILE", "AGENT_UDP_PORT",
	"AGENT_NET_IGNORE", "AGENT_ALLOW_POWER", "AGENT_SPOOL", "AGENT_ICON_FILE",
	"AGENT_DOCKER_SOCKET", "AGENT_NUT", "AGENT_APCUPSD", "AGENT_TEXTFILE_DIR", "AGENT_SMART",
	"AGENT_UNITS",
};

static void defaults(struct agent_config *c, const char *argv0)
{
	const char *home = getenv("HOME");
	memset(c, 0, sizeof(*c));
	c->port = 8000;
	c->interval = 5;
	c->reconnect_delay = 5;
	c->verify = VERIFY_PIN;
	c->tls = 1;
	c->udp_port = 9999;
	c->allow_power = 1;
	c->spool = 720;
	fleet_cfg_defaults(&c->fleet);
	snprintf(c->net_ignore, sizeof(c->net_ignore), "lo,loopback,tun,tap,wg,tailscale");
	if (home && strlen(home) + 24 < sizeof(c->fp_file))
		snprintf(c->fp_file, sizeof(c->fp_file), "%s/.bot_fingerprint.json", home);
	else
		snprintf(c->fp_file, sizeof(c->fp_file), ".bot_fingerprint.json");
	/* icon.png beside the binary */
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (slash && (size_t)(slash - argv0) + 10 < sizeof(c->icon_file))
		snprintf(c->icon_file, sizeof(c->icon_file), "%.*s/icon.png", (int)(slash - argv0), argv0);
	else
		snprintf(c->icon_file, sizeof(c->icon_file), "icon.png");
}

/* The variable a flag sets, or NULL. */
static const char *flag_var(const char *a)
{
	if (strcmp(a, "-s") == 0)
		return "AGENT_SECRET";
	if (strcmp(a, "-H") == 0)
		return "AGENT_SERVER_IP";
	if (strcmp(a, "-p") == 0)
		return "AGENT_PORT";
	if (strcmp(a, "-i") == 0)
		return "AGENT_INTERVAL";
	return NULL;
}

int agent_config_load(struct agent_config *c, int argc, char **argv, char *err, size_t errlen)
{
	static struct dotenv env; /* 36 KiB: not on a router's small stack */
	const char *flag_val[sizeof(names) / sizeof(names[0])] = {0};

	defaults(c, argc > 0 ? argv[0] : NULL);
	/* Flags first: --help and --version answer whatever the environment
	 * holds, and a flag's variable is never read from anywhere else. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return CONFIG_EXIT;
		}
		if (strcmp(a, "--version") == 0) {
			printf("monbot-agent %s\n", AGENT_VERSION);
			return CONFIG_EXIT;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name;
		if (strcmp(a, "--once") == 0) {
			c->once = 1;
			continue;
		}
		name = flag_var(a);
		if (!name) {
			snprintf(err, errlen, "unknown option '%s' (see --help)", a);
			return CONFIG_ERROR;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "option %s needs a value (%s)", a, name);
			return CONFIG_ERROR;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strcmp(names[k], name) == 0)
				flag_val[k] = argv[++i];
	}
	if (dotenv_load(&env, ENV_FILE, err, errlen) < 0)
		return CONFIG_ERROR;
	/* Only the winning value of each variable is parsed: flag, then
	 * environment, then .env. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = flag_val[i] ? flag_val[i] : dotenv_get(&env, names[i]);
		if (v && apply(c, names[i], v, err, errlen) < 0) {
			if (flag_val[i]) {
				/* name the flag too */
				char tmp[256];
				snprintf(tmp, sizeof(tmp), "%s", err);
				snprintf(err, errlen, "%s (from its command-line flag)", tmp);
			}
			return CONFIG_ERROR;
		}
	}
	return CONFIG_OK;
}

static int ask(const char *prompt, const char *dflt, char *out, size_t cap)
{
	char line[512];
	fputs(prompt, stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return -1;
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0] && dflt)
		snprintf(line, sizeof(line), "%s", dflt);
	if (!line[0] || strlen(line) >= cap)
		return -1;
	strcpy(out, line);
	return 0;
}

int agent_config_ask(struct agent_config *c, char *err, size_t errlen)
{
	int tty = isatty(0);
	if (!c->secret[0]) {
		if (!tty || ask("Enter AGENT_SECRET: ", NULL, c->secret, sizeof(c->secret)) < 0) {
			snprintf(err, errlen,
			         "AGENT_SECRET is not set: get one with /newkey in the bot (or "
			         "'monbot-server key new') and set AGENT_SECRET or pass -s");
			return -1;
		}
		if (dotenv_save(ENV_FILE, "AGENT_SECRET", c->secret, err, errlen) < 0)
			return -1;
	}
	if (!c->server[0]) {
		if (!tty) {
			snprintf(c->server, sizeof(c->server), "127.0.0.1");
			return 0;
		}
		if (ask("Enter server address [127.0.0.1]: ", "127.0.0.1", c->server, sizeof(c->server)) < 0) {
			snprintf(err, errlen, "AGENT_SERVER_IP: no server address given");
			return -1;
		}
		if (dotenv_save(ENV_FILE, "AGENT_SERVER_IP", c->server, err, errlen) < 0)
			return -1;
	}
	return 0;
}
