/* main.c — monbot-server: configuration, the loop, TLS, the store's thread,
 * the UDP echo, signals and graceful shutdown; `key ...` goes to the key
 * command line, `command ...` queues a command without the bot. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "server/bot/bot.h"
#include "server/cmdcli.h"
#include "server/config.h"
#include "server/ev/ev.h"
#include "server/store/keycli.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/store/store.h"
#include "server/store/store_async.h"
#include "server/agents.h"
#include "server/net/udpecho.h"
#include "wire/conn.h"
#include "wire/dotenv.h"

#define SHUTDOWN_WAIT_MS 10000

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_count;

static void on_signal(int sig)
{
	int e = errno;
	unsigned char b = (unsigned char)sig;
	sig_count++;
	if (sig_count > 2)
		_exit(1); /* a third Ctrl-C: the operator means it */
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = e;
}

static void on_sig_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	int *stop = arg;
	unsigned char b[16];
	(void)loop;
	(void)events;
	while (read(fd, b, sizeof(b)) > 0)
		*stop = 1;
}

static void on_udp(struct ev_loop *loop, int fd, int events, void *arg)
{
	(void)fd;
	(void)events;
	udpecho_serve(arg, 256, ev_now(loop));
}

static int set_nonblock_cloexec(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) | fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* As many descriptors as the hard limit allows (thousands of agents). */
static int raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1u << 20) ? (1u << 20)
		                                                                        : rl.rlim_max;
		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20))
		return 1 << 20;
	return (int)rl.rlim_cur;
}

/* SPEC §2: BOT_TOKEN missing and a terminal: ask and save it to .env. */
static void ask_bot_token(struct server_config *cfg)
{
	char line[256], err[256];
	size_t n;
	if (cfg->bot_token[0] || !isatty(STDIN_FILENO))
		return;
	fprintf(stderr, "Telegram BOT_TOKEN (empty: run without the bot): ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (!line[0])
		return;
	snprintf(cfg->bot_token, sizeof(cfg->bot_token), "%s", line);
	if (dotenv_save(".env", "BOT_TOKEN", line, err, sizeof(err)) != 0)
		log_warn("could not save BOT_TOKEN: %s", err);
	else
		log_info("BOT_TOKEN saved to .env");
}

static int run_server(struct server_config *cfg)
{
	struct ev_loop *loop = NULL;
	struct conn_tls *tls = NULL;
	struct store_async *store = NULL;
	struct server srv;
	char err[512], serr[STORE_ERR_LEN];
	struct udpecho echo;
	struct bot *bot = NULL;
	int stop = 0, rc = 1, generated = 0, srv_ready = 0, setsize;
	int64_t lost;
	struct sigaction sa;

	memset(&srv, 0, sizeof(srv));
	udpecho_init(&echo, cfg->udp_echo_rate);
	log_set_level((enum log_level)cfg->log_level);
	cfg->store.log = log_sink;
	cfg->store.log_ctx = NULL;
	ask_bot_token(cfg);
	if (!cfg->bot_token[0])
		log_info("BOT_TOKEN is not set: running without the Telegram bot");

	if (pipe(sig_pipe) != 0 || set_nonblock_cloexec(sig_pipe[0]) != 0 ||
	    set_nonblock_cloexec(sig_pipe[1]) != 0) {
		log_error("pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	setsize = raise_nofile();
	if (ev_loop_new(&loop, setsize, err, sizeof(err)) != EV_OK) {
		log_error("%s", err);
		goto out;
	}
	if (cfg->tls) {
		if (conn_tls_server_new(&tls, cfg->ssl_cert, cfg->ssl_key, NULL, &generated, err,
		                        sizeof(err)) != CONN_OK) {
			log_error("TLS: %s", err);
			goto out;
		}
		if (generated)
			log_info("made a self-signed certificate %s and key %s", cfg->ssl_cert, cfg->ssl_key);
	} else {
		log_warn("TLS=0: agents connect over plain ws:// (for testing only)");
	}
	if (store_async_start(&store, &cfg->store, cfg->store.kind == STORE_MYSQL, serr) != STORE_OK) {
		log_error("storage: %s", serr);
		goto out;
	}
	if (server_init(&srv, cfg, loop, tls, store, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	srv_ready = 1;
	/* the agent binaries are read here, once, never on the loop */
	if (dist_load(&srv.dist, cfg->agent_dist_dir, cfg->public_host, cfg->port, cfg->tls, err,
	              sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (tls) {
		uint8_t fp[32], spki[32];
		if (conn_tls_own_hashes(tls, fp, spki) == CONN_OK) {
			dist_set_pin(&srv.dist, fp, spki);
			log_info("certificate pin: sha256//%s (curl --pinnedpubkey)", srv.dist.spki_b64);
		}
	}
	if (dist_enabled(&srv.dist))
		log_info("agent install: %u binaries from %s at /install.sh and /agent/<arch>",
		         srv.dist.n, cfg->agent_dist_dir);
	{
		uint8_t idk[AGENT_ID_KEY_LEN];
		if (agents_id_key_load(cfg->metrics_id_key, idk, err, sizeof(err)) != 0) {
			log_error("%s", err);
			goto out;
		}
		agents_set_id_key(&srv.agents, idk);
	}
	/* before listening: the bot hears of every agent from its first contact */
	if (cfg->bot_token[0]) {
		if (bot_start(&bot, &srv, err, sizeof(err)) != 0) {
			log_error("%s", err);
			goto out;
		}
		log_info("Telegram bot started (%s, language %s)", cfg->telegram_api_url, cfg->bot_lang);
	}
	if (server_listen(&srv, err, sizeof(err)) != 0) {
		log_error("PORT %u: %s", cfg->port, err);
		goto out;
	}
	if (cfg->udp_port) {
		if (udpecho_open(&echo, cfg->listen_addr, cfg->udp_port, err, sizeof(err)) < 0) {
			log_error("%s", err);
			goto out;
		}
		ev_fd_set(loop, echo.fd, EV_READ, on_udp, &echo);
	}
	ev_fd_set(loop, sig_pipe[0], EV_READ, on_sig_fd, &stop);
	log_info("monbot-server %s: agents on %s://%s:%u/ws/<key>, /metrics /healthz /speedtest; "
	         "UDP echo %u; storage %s; %s loop, up to %u connections",
	         SERVER_VERSION, cfg->tls ? "wss" : "ws",
	         cfg->listen_addr[0] ? cfg->listen_addr : "*", cfg->port, cfg->udp_port,
	         cfg->store.kind == STORE_MYSQL ? "mysql" : cfg->store.sqlite_path,
	         ev_backend_name(), srv.tr.max_clients);

	while (!stop) {
		if (ev_run_once(loop, -1) < 0) {
			log_error("event loop: %s", strerror(errno));
			break;
		}
	}
	log_info("shutting down: no new connections, writing what was received");
	if (echo.fd >= 0) {
		ev_fd_del(loop, echo.fd);
		udpecho_close(&echo);
	}
	server_begin_shutdown(&srv);
	{
		uint64_t deadline = ev_now(loop) + SHUTDOWN_WAIT_MS + (uint64_t)cfg->store.shutdown_wait_ms;
		while (!server_shutdown_done(&srv) && ev_now(loop) < deadline)
			ev_run_once(loop, 100);
	}
	rc = 0;
out:
	bot_stop(bot);
	if (srv_ready)
		server_free(&srv);
	if (store) {
		lost = store_async_stop(store);
		store_async_dispatch(store, NULL, NULL);
		store_async_free(store);
		if (lost > 0) {
			log_error("%lld sample(s) could not be written", (long long)lost);
			rc = 1;
		} else if (rc == 0) {
			log_info("every received sample is stored; bye");
		}
	}
	udpecho_close(&echo);
	conn_tls_free(tls);
	ev_loop_free(loop);
	return rc;
}

int main(int argc, char **argv)
{
	struct server_config cfg;
	char err[512];

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		server_config_usage(argv[0]);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("monbot-server %s (%s)\n", SERVER_VERSION, conn_tls_backend());
		return 0;
	}
	server_config_defaults(&cfg);
	if (argc > 1 && (strcmp(argv[1], "key") == 0 || strcmp(argv[1], "command") == 0 ||
	                 strcmp(argv[1], "command-show") == 0)) {
		if (server_config_load(&cfg, NULL, 0, NULL, 0, err, sizeof(err)) != 0) {
			fprintf(stderr, "monbot-server: %s\n", err);
			return 2;
		}
		log_set_level((enum log_level)cfg.log_level);
		cfg.store.log = log_sink;
		if (strcmp(argv[1], "key") == 0)
			return keycli_main(argc - 1, argv + 1, &cfg.store);
		return cmdcli_main(&cfg, argc - 1, argv + 1);
	}
	if (server_config_load(&cfg, NULL, argc, argv, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "monbot-server: %s\n", err);
		return 2;
	}
	return run_server(&cfg);
}
