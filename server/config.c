/* config.c — defaults < .env < environment < flags for the server. */
#include "server/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/net/udpecho.h"
#include "wire/conf.h"
#include "wire/dotenv.h"

/* Every name the server reads, in --help order. */
static const char *const config_names[] = {
	"BOT_TOKEN", "PORT", "UDP_TEST_PORT", "UDP_ECHO_RATE", "LISTEN_ADDR",
	"METRICS_TOKEN", "METRICS_ID_KEY", "SSL_CERT", "SSL_KEY", "TLS",
	"DB", "SQLITE_PATH", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD",
	"MYSQL_DB", "MYSQL_SOCKET", "RETENTION_DAYS", "STORE_BUFFER_MB", "GRAPH_WORKERS", "TELEGRAM_API_URL",
	"BOT_ALLOWED_USERS", "BOT_LANG", "COMMAND_TTL", "COMMAND_POLL", "LOG_LEVEL",
	"HANDSHAKE_TIMEOUT", "HEADER_TIMEOUT", "PING_INTERVAL", "IDLE_TIMEOUT",
	"MAX_CONNECTIONS", "MAX_SESSIONS_PER_KEY", "KEY_GUESS_LIMIT", "SPEEDTEST_MAX_BYTES",
	"SPEEDTEST_MAX_CONCURRENT", "SPEEDTEST_MIN_RATE", "SPEEDTEST_TIMEOUT", "SPEEDTEST_MAX_RATE",
	"AGENT_DIST_DIR", "PUBLIC_HOST",
};

void server_config_defaults(struct server_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 8000;
	c->udp_port = 9999;
	c->udp_echo_rate = UDPECHO_RATE_DEFAULT;
	strcpy(c->ssl_cert, "cert.pem");
	strcpy(c->metrics_id_key, "metrics-id.key");
	strcpy(c->ssl_key, "key.pem");
	c->tls = 1;
	c->graph_workers = 1;
	strcpy(c->telegram_api_url, "https://api.telegram.org");
	strcpy(c->bot_lang, "en");
	c->command_ttl = 600;
	c->command_poll_ms = 2000;
	c->max_sessions_per_key = 2;
	c->log_level = LOG_INFO;
	c->handshake_timeout_ms = 10000;
	c->header_timeout_ms = 10000;
	c->ping_interval_ms = 30000;
	c->idle_timeout_ms = 90000;
	c->key_guess_limit = 10;
	c->speedtest_max_bytes = 1u << 30;
	c->speedtest_max_concurrent = 2;
	c->speedtest_min_rate = 64u << 10;
	c->speedtest_timeout_ms = 120000;
	c->speedtest_max_rate = 125000000;
	store_config_defaults(&c->store);
	c->store.command_ttl = (int)c->command_ttl;
}

/* The shared setters return 0 or -1; server_config_set returns 1 for a
 * name it took. */
static int copy_str(char *dst, size_t cap, const char *name, const char *v,
                    char *err, size_t errlen)
{
	return conf_set_str(dst, cap, name, v, err, errlen) == 0 ? 1 : -1;
}

static int set_uint(unsigned *dst, const char *name, const char *v, unsigned long min,
                    unsigned long max, unsigned long scale, char *err, size_t errlen)
{
	return conf_set_uint(dst, name, v, min, max, scale, err, errlen) == 0 ? 1 : -1;
}

int server_config_set(struct server_config *c, const char *name, const char *v,
                      char *err, size_t errlen)
{
	char serr[STORE_ERR_LEN];
	int rc;

	if (strcmp(name, "BOT_TOKEN") == 0) {
		c->bot_token_from_env = v[0] != '\0';
		return copy_str(c->bot_token, sizeof(c->bot_token), name, v, err, errlen);
	}
	if (strcmp(name, "PORT") == 0)
		return set_uint(&c->port, name, v, 1, 65535, 1, err, errlen);
	if (strcmp(name, "UDP_TEST_PORT") == 0)
		return set_uint(&c->udp_port, name, v, 0, 65535, 1, err, errlen);
	if (strcmp(name, "UDP_ECHO_RATE") == 0)
		return set_uint(&c->udp_echo_rate, name, v, 0, 100000, 1, err, errlen);
	if (strcmp(name, "LISTEN_ADDR") == 0)
		return copy_str(c->listen_addr, sizeof(c->listen_addr), name, v, err, errlen);
	if (strcmp(name, "METRICS_TOKEN") == 0)
		return copy_str(c->metrics_token, sizeof(c->metrics_token), name, v, err, errlen);
	if (strcmp(name, "METRICS_ID_KEY") == 0)
		return copy_str(c->metrics_id_key, sizeof(c->metrics_id_key), name, v, err, errlen);
	if (strcmp(name, "AGENT_DIST_DIR") == 0)
		return copy_str(c->agent_dist_dir, sizeof(c->agent_dist_dir), name, v, err, errlen);
	if (strcmp(name, "PUBLIC_HOST") == 0)
		return copy_str(c->public_host, sizeof(c->public_host), name, v, err, errlen);
	if (strcmp(name, "SSL_CERT") == 0)
		return copy_str(c->ssl_cert, sizeof(c->ssl_cert), name, v, err, errlen);
	if (strcmp(name, "SSL_KEY") == 0)
		return copy_str(c->ssl_key, sizeof(c->ssl_key), name, v, err, errlen);
	if (strcmp(name, "TLS") == 0)
		return conf_bool(name, v, &c->tls, err, errlen) == 0 ? 1 : -1;
	if (strcmp(name, "GRAPH_WORKERS") == 0)
		return set_uint(&c->graph_workers, name, v, 1, 64, 1, err, errlen);
	if (strcmp(name, "TELEGRAM_API_URL") == 0)
		return copy_str(c->telegram_api_url, sizeof(c->telegram_api_url), name, v, err, errlen);
	if (strcmp(name, "BOT_ALLOWED_USERS") == 0)
		return copy_str(c->bot_allowed_users, sizeof(c->bot_allowed_users), name, v, err, errlen);
	if (strcmp(name, "BOT_LANG") == 0) {
		if (strcmp(v, "en") != 0 && strcmp(v, "ru") != 0) {
			snprintf(err, errlen, "BOT_LANG: '%s' is not en or ru", v);
			return -1;
		}
		return copy_str(c->bot_lang, sizeof(c->bot_lang), name, v, err, errlen);
	}
	if (strcmp(name, "LOG_LEVEL") == 0) {
		int lv = log_level_parse(v);
		if (lv < 0) {
			snprintf(err, errlen, "LOG_LEVEL: '%s' is not DEBUG, INFO, WARN or ERROR", v);
			return -1;
		}
		c->log_level = lv;
		return 1;
	}
	if (strcmp(name, "COMMAND_TTL") == 0) {
		rc = set_uint(&c->command_ttl, name, v, 1, 365u * 86400, 1, err, errlen);
		if (rc == 1)
			c->store.command_ttl = (int)c->command_ttl;
		return rc;
	}
	if (strcmp(name, "COMMAND_POLL") == 0)
		return set_uint(&c->command_poll_ms, name, v, 0, 3600, 1000, err, errlen);
	if (strcmp(name, "MAX_SESSIONS_PER_KEY") == 0)
		return set_uint(&c->max_sessions_per_key, name, v, 1, 64, 1, err, errlen);
	if (strcmp(name, "HANDSHAKE_TIMEOUT") == 0)
		return set_uint(&c->handshake_timeout_ms, name, v, 1, 3600, 1000, err, errlen);
	if (strcmp(name, "HEADER_TIMEOUT") == 0)
		return set_uint(&c->header_timeout_ms, name, v, 1, 3600, 1000, err, errlen);
	if (strcmp(name, "PING_INTERVAL") == 0)
		return set_uint(&c->ping_interval_ms, name, v, 1, 3600, 1000, err, errlen);
	if (strcmp(name, "IDLE_TIMEOUT") == 0)
		return set_uint(&c->idle_timeout_ms, name, v, 2, 86400, 1000, err, errlen);
	if (strcmp(name, "KEY_GUESS_LIMIT") == 0)
		return set_uint(&c->key_guess_limit, name, v, 0, 1000000, 1, err, errlen);
	if (strcmp(name, "MAX_CONNECTIONS") == 0)
		return set_uint(&c->max_connections, name, v, 0, 1u << 20, 1, err, errlen);
	if (strcmp(name, "SPEEDTEST_MAX_BYTES") == 0)
		return set_uint(&c->speedtest_max_bytes, name, v, 0, 1u << 30, 1, err, errlen);
	if (strcmp(name, "SPEEDTEST_MAX_CONCURRENT") == 0)
		return set_uint(&c->speedtest_max_concurrent, name, v, 0, 1024, 1, err, errlen);
	if (strcmp(name, "SPEEDTEST_MIN_RATE") == 0)
		return set_uint(&c->speedtest_min_rate, name, v, 0, 1u << 30, 1, err, errlen);
	if (strcmp(name, "SPEEDTEST_MAX_RATE") == 0)
		return set_uint(&c->speedtest_max_rate, name, v, 0, 4000000000u, 1, err, errlen);
	if (strcmp(name, "SPEEDTEST_TIMEOUT") == 0)
		return set_uint(&c->speedtest_timeout_ms, name, v, 1, 3600, 1000, err, errlen);
	rc = store_config_set(&c->store, name, v, serr);
	if (rc < 0) {
		snprintf(err, errlen, "%s", serr);
		return -1;
	}
	return rc > 0 ? 1 : 0;
}

/* "--udp-test-port" -> "UDP_TEST_PORT"; 0 if it is no such flag. */
static int flag_name(const char *arg, char *out, size_t cap, const char **value)
{
	size_t i = 0;
	const char *p = arg + 2;
	*value = NULL;
	if (strncmp(arg, "--", 2) != 0 || !*p)
		return 0;
	for (; *p && *p != '='; p++) {
		if (i + 1 >= cap)
			return 0;
		out[i++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	}
	out[i] = '\0';
	if (*p == '=')
		*value = p + 1;
	for (size_t k = 0; k < sizeof(config_names) / sizeof(config_names[0]); k++)
		if (strcmp(out, config_names[k]) == 0)
			return 1;
	return 0;
}

int server_config_load(struct server_config *c, const char *env_path,
                       int argc, char **argv, int first, char *err, size_t errlen)
{
	struct dotenv *d;
	int rc = -1;

	d = malloc(sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (dotenv_load(d, env_path ? env_path : ".env", err, errlen) != 0)
		goto out;
	for (size_t k = 0; k < sizeof(config_names) / sizeof(config_names[0]); k++) {
		const char *v = dotenv_get(d, config_names[k]);
		if (v && server_config_set(c, config_names[k], v, err, errlen) < 0)
			goto out;
	}
	for (int i = first; i < argc; i++) {
		char name[64];
		const char *v;
		if (!flag_name(argv[i], name, sizeof(name), &v)) {
			snprintf(err, errlen, "unknown argument '%s' (see --help)", argv[i]);
			goto out;
		}
		if (!v) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "%s needs a value", argv[i]);
				goto out;
			}
			v = argv[++i];
		}
		if (server_config_set(c, name, v, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(d);
	return rc;
}

void server_config_usage(const char *prog)
{
	printf("Usage: %s [--NAME value]...        run the server\n"
	       "       %s key new [name] [--owner <telegram_user_id>] | key list |\n"
	       "              key del <key or name> | key owner <key> <telegram_user_id>\n"
	       "       %s command <key> <command> [--ttl s] [--by user_id]   queue a command\n"
	       "       %s command-show <id>\n"
	       "       %s --help | --version\n"
	       "\n"
	       "Settings (built-in default < .env < environment < --flag):\n"
	       "  BOT_TOKEN           Telegram bot token; missing: run without the bot\n"
	       "  PORT                8000   agents (WebSocket), /healthz, /metrics, /speedtest\n"
	       "  UDP_TEST_PORT       9999   UDP echo for the stability test (0 = off)\n"
	       "  UDP_ECHO_RATE       1100   test datagrams echoed per source per second (0 = no limit)\n"
	       "  LISTEN_ADDR         (all)  address to listen on\n"
	       "  METRICS_TOKEN       (none) /metrics needs \"Authorization: Bearer <token>\";\n"
	       "                             unset: only loopback peers may read /metrics\n"
	       "  METRICS_ID_KEY      metrics-id.key  key file (made 0600) of the agent id label\n"
	       "  SSL_CERT, SSL_KEY   cert.pem, key.pem  (made self-signed when both are missing)\n"
	       "  TLS                 1      0 = plain ws:// (testing)\n"
	       "  AGENT_DIST_DIR      (none) agent binaries (monbot-agent-<arch>) served with\n"
	       "                             /install.sh and /agent/<arch>; read once at start\n"
	       "  PUBLIC_HOST         (this host's name) the server's name in the install command\n"
	       "  DB                  sqlite sqlite (SQLITE_PATH, monbot.db) or mysql\n"
	       "  MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DB, MYSQL_SOCKET\n"
	       "                      127.0.0.1, 3306, root, \"\", monitoring\n"
	       "  RETENTION_DAYS      30     raw samples kept\n"
	       "  STORE_BUFFER_MB     96     samples waiting for the database, at most; over half\n"
	       "                      full, the sessions that send are not read until a quarter\n"
	       "                      of it is left\n"
	       "  GRAPH_WORKERS       1      chart rendering threads\n"
	       "  TELEGRAM_API_URL    https://api.telegram.org\n"
	       "  BOT_ALLOWED_USERS   (anyone) comma-separated Telegram user ids\n"
	       "  BOT_LANG            en     en or ru\n"
	       "  COMMAND_TTL         600    seconds a queued reboot/shutdown stays valid\n"
	       "  COMMAND_POLL        2      seconds between looks for commands queued by another\n"
	       "                      process for connected agents (0 = off)\n"
	       "  LOG_LEVEL           INFO   DEBUG, INFO, WARN, ERROR\n"
	       "  HANDSHAKE_TIMEOUT   10     seconds for a TLS handshake\n"
	       "  HEADER_TIMEOUT      10     seconds for a whole request head\n"
	       "  PING_INTERVAL       30     seconds between server pings\n"
	       "  IDLE_TIMEOUT        90     seconds of silence before a peer is dropped\n"
	       "  MAX_CONNECTIONS     0      0 = as many as the open-file limit allows\n"
	       "  KEY_GUESS_LIMIT     10     refused keys per source a minute, then 429 (0 = off)\n"
	       "  SPEEDTEST_MAX_BYTES 1073741824 /speedtest size limit, either way\n"
	       "  SPEEDTEST_MAX_CONCURRENT 2 /speedtest transfers at once (0 = off)\n"
	       "  SPEEDTEST_MIN_RATE  65536  bytes/s a transfer must keep up (0 = any)\n"
	       "  SPEEDTEST_TIMEOUT   120    seconds a transfer may take in all\n"
	       "  SPEEDTEST_MAX_RATE  125000000 bytes/s a download is paced to (0 = unpaced)\n"
	       "  MAX_SESSIONS_PER_KEY 2     sessions one key may hold; more are refused (429)\n"
	       "Flags: --port 8443 or --port=8443 (lower case, '-' for '_').\n",
	       prog, prog, prog, prog, prog);
}
