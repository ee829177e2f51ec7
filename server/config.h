/* config.h — the server's configuration (SPEC §2): built-in defaults, then
 * .env in the working directory, then the environment, then command-line
 * flags (--port 8443 or --port=8443 for PORT; every variable has its flag:
 * lower case, '-' for '_'). */
#ifndef MONBOT_CONFIG_H
#define MONBOT_CONFIG_H

#include <stddef.h>

#include "server/store/store.h"

#define SERVER_VERSION "0.1.0"

struct server_config {
	char bot_token[256];          /* BOT_TOKEN ("" = no bot) */
	unsigned port;                /* PORT 8000 */
	unsigned udp_port;            /* UDP_TEST_PORT 9999 (0 = off) */
	unsigned udp_echo_rate;       /* UDP_ECHO_RATE 100 datagrams/s per source (0 = no limit) */
	char listen_addr[128];        /* LISTEN_ADDR "" = every address */
	char metrics_token[256];      /* METRICS_TOKEN "" = /metrics for loopback peers only */
	char metrics_id_key[1024];    /* METRICS_ID_KEY metrics-id.key: key of the agent id label */
	char ssl_cert[1024];          /* SSL_CERT cert.pem */
	char agent_dist_dir[1024];    /* AGENT_DIST_DIR "" = no /install.sh, /agent/<arch> */
	char public_host[256];        /* PUBLIC_HOST "" = this host's name: in the install command */
	char ssl_key[1024];           /* SSL_KEY key.pem */
	int tls;                      /* TLS 1 (0 = plain ws://, testing) */
	unsigned graph_workers;       /* GRAPH_WORKERS 1 */
	char telegram_api_url[512];   /* TELEGRAM_API_URL */
	char bot_allowed_users[1024]; /* BOT_ALLOWED_USERS "" = anyone */
	char bot_lang[8];             /* BOT_LANG en */
	unsigned command_ttl;         /* COMMAND_TTL 600 s */
	unsigned command_poll_ms;     /* COMMAND_POLL 2 s: look for commands queued elsewhere (0 = off) */
	int log_level;                /* LOG_LEVEL INFO */
	/* Limits on what a peer may cost (not in the original). */
	unsigned handshake_timeout_ms;/* HANDSHAKE_TIMEOUT 10 s: TLS handshake */
	unsigned header_timeout_ms;   /* HEADER_TIMEOUT 10 s: whole request head */
	unsigned ping_interval_ms;    /* PING_INTERVAL 30 s (SPEC §3) */
	unsigned idle_timeout_ms;     /* IDLE_TIMEOUT 90 s of silence drops a peer */
	unsigned max_connections;     /* MAX_CONNECTIONS 0 = what the fd limit allows */
	unsigned key_guess_limit;     /* KEY_GUESS_LIMIT 10 refused keys/source/minute, then 429 */
	/* /speedtest (a connected agent's key only) */
	unsigned speedtest_max_bytes; /* SPEEDTEST_MAX_BYTES 1 GiB, either way */
	unsigned speedtest_max_concurrent; /* SPEEDTEST_MAX_CONCURRENT 2 (0 = off) */
	unsigned speedtest_min_rate;  /* SPEEDTEST_MIN_RATE 64 KiB/s (0 = any) */
	unsigned speedtest_timeout_ms;/* SPEEDTEST_TIMEOUT 120 s in all */
	unsigned speedtest_max_rate;  /* SPEEDTEST_MAX_RATE 125 MB/s a download (0 = unpaced) */
	unsigned max_sessions_per_key;/* MAX_SESSIONS_PER_KEY 2: more are refused (429) */
	struct store_config store;    /* DB, SQLITE_PATH, MYSQL_*, RETENTION_DAYS */
	int bot_token_from_env;       /* BOT_TOKEN came from .env/env/flag */
};

void server_config_defaults(struct server_config *c);

/* Reads .env (env_path, NULL = ".env"), the environment and argv[first..argc).
 * Returns 0, or -1 with a message naming the variable or flag in err. */
int server_config_load(struct server_config *c, const char *env_path,
                       int argc, char **argv, int first, char *err, size_t errlen);

/* Applies NAME=value (a variable of SPEC §2 or one of the limits above).
 * Returns 1 taken, 0 unknown name, -1 bad value (err filled). */
int server_config_set(struct server_config *c, const char *name, const char *value,
                      char *err, size_t errlen);

/* The --help text. */
void server_config_usage(const char *prog);

#endif
