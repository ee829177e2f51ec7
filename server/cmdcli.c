/* cmdcli.c — the command queue from the command line:
 *   command <key or name> <command> [--by <user>] [--chat <id>] [--ttl <s>] [--ago <s>]
 *   command-show <id>
 * --ago backdates the request (tests of COMMAND_TTL expiry). */
#include "server/cmdcli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "wire/json.h"

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;
	if (!s || !*s)
		return -1;
	v = strtoll(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: monbot-server command <key or name> <command> [--by <telegram_user_id>]\n"
	        "                             [--chat <chat_id>] [--ttl <seconds>] [--ago <seconds>]\n"
	        "       monbot-server command-show <id>\n"
	        "commands: status, reboot, shutdown, speedtest, diag, stability <interval_ms> <duration_s>\n");
}

static int show(struct store *st, int64_t id)
{
	static const char *const states[] = { "queued", "delivered", "answered", "expired" };
	struct store_cmd c;
	char *answer = NULL, out[65536];
	struct json_w w;
	size_t len;
	int rc = store_cmd_get(st, id, &c, &answer);
	if (rc != STORE_OK) {
		fprintf(stderr, "command %lld: %s\n", (long long)id, store_strerror(rc));
		return 1;
	}
	json_init(&w, out, sizeof(out));
	json_obj_open(&w);
	json_key(&w, "id"); json_int(&w, c.id);
	json_key(&w, "command"); json_str(&w, c.command);
	json_key(&w, "state");
	json_str(&w, c.state >= 0 && c.state < 4 ? states[c.state] : "?");
	json_key(&w, "requested_by"); json_int(&w, c.requested_by);
	json_key(&w, "chat_id"); json_int(&w, c.chat_id);
	json_key(&w, "requested_at"); json_int(&w, c.requested_at);
	json_key(&w, "expires_at"); json_int(&w, c.expires_at);
	json_key(&w, "delivered_at"); json_int(&w, c.delivered_at);
	json_key(&w, "answered_at"); json_int(&w, c.answered_at);
	json_key(&w, "answer");
	if (answer)
		json_strn(&w, answer, strlen(answer) > 60000 ? 60000 : strlen(answer));
	else
		json_null(&w);
	json_obj_close(&w);
	free(answer);
	if (json_finish(&w, &len) != JSON_OK)
		return 1;
	printf("%s\n", out);
	return 0;
}

int cmdcli_main(struct server_config *cfg, int argc, char **argv)
{
	struct store *st = NULL;
	char err[STORE_ERR_LEN], secret[STORE_SECRET_MAX + 1];
	int64_t by = 0, chat = 0, ago = 0, ttl = -1, id = 0, now = (int64_t)time(NULL);
	const char *key = NULL, *cmd = NULL;
	int rc = 1, show_mode = strcmp(argv[0], "command-show") == 0;

	for (int i = 1; i < argc; i++) {
		int64_t *dst = NULL;
		if (strcmp(argv[i], "--by") == 0)
			dst = &by;
		else if (strcmp(argv[i], "--chat") == 0)
			dst = &chat;
		else if (strcmp(argv[i], "--ago") == 0)
			dst = &ago;
		else if (strcmp(argv[i], "--ttl") == 0)
			dst = &ttl;
		if (dst) {
			if (i + 1 >= argc || parse_i64(argv[i + 1], dst) != 0) {
				usage();
				return 2;
			}
			i++;
		} else if (!key) {
			key = argv[i];
		} else if (!cmd) {
			cmd = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (show_mode ? (!key || cmd || parse_i64(key, &id) != 0) : (!key || !cmd)) {
		usage();
		return 2;
	}
	if (!show_mode && strlen(cmd) > STORE_CMD_MAX) {
		fprintf(stderr, "command too long\n");
		return 2;
	}
	if (store_open(&st, &cfg->store, err) != STORE_OK) {
		fprintf(stderr, "storage: %s\n", err);
		return 1;
	}
	if (show_mode) {
		rc = show(st, id);
		goto out;
	}
	rc = store_key_resolve(st, STORE_ANY_OWNER, key, secret);
	if (rc != STORE_OK) {
		fprintf(stderr, "%s: %s\n", key, store_strerror(rc));
		rc = 1;
		goto out;
	}
	if (ttl < 0)
		ttl = store_cmd_ttl(cmd, (int)cfg->command_ttl);
	rc = store_cmd_enqueue(st, secret, cmd, by, chat, now - ago, (int)ttl, 0, &id);
	if (rc != STORE_OK) {
		fprintf(stderr, "queue: %s\n", store_strerror(rc));
		rc = 1;
		goto out;
	}
	printf("%lld\n", (long long)id);
	rc = 0;
out:
	store_close(st);
	return rc;
}
