/* keycli.c — `monbot-server key new|list|del|owner`: the key operations of
 * the bot for headless set-ups, scripts and tests, on the same tables. */
#include "server/store/keycli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/store/store.h"
#include "server/store/store_keys.h"

static void usage(FILE *f)
{
	fputs("usage: monbot-server key new [name] [--owner <telegram_user_id>]\n"
	      "       monbot-server key list [--owner <telegram_user_id>]\n"
	      "       monbot-server key del <key or name>\n"
	      "       monbot-server key owner <key or name> <telegram_user_id>\n",
	      f);
}

static int parse_user(const char *s, int64_t *out)
{
	char *end;
	long long v;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "monbot-server key %s: %s\n", what, store_strerror(rc));
	return 1;
}

static int resolve(struct store *st, const char *text, char secret[STORE_SECRET_MAX + 1], const char *what)
{
	int rc = store_key_resolve(st, STORE_ANY_OWNER, text, secret);
	if (rc == STORE_EAMBIG) {
		fprintf(stderr, "monbot-server key %s: several keys are named \"%s\"; give the key itself\n", what,
		        text);
		return 1;
	}
	if (rc == STORE_ENOKEY) {
		fprintf(stderr, "monbot-server key %s: no key or name \"%s\"\n", what, text);
		return 1;
	}
	return rc ? fail(what, rc) : 0;
}

static void when(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, cap, "never");
}

static int cmd_new(struct store *st, int argc, char **argv)
{
	const char *name = NULL;
	int64_t owner = 0;
	char secret[STORE_SECRET_MAX + 1], nm[STORE_NAME_MAX + 1];
	int rc;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--owner")) {
			if (i + 1 >= argc || parse_user(argv[i + 1], &owner)) {
				fprintf(stderr, "monbot-server key new: --owner needs a Telegram user id (a positive number)\n");
				return 2;
			}
			i++;
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	rc = store_key_create(st, owner, name, (int64_t)time(NULL), secret, nm);
	if (rc == STORE_EEXIST) {
		fprintf(stderr, "monbot-server key new: the name \"%s\" is taken\n", name);
		return 1;
	}
	if (rc == STORE_EINVAL) {
		fprintf(stderr, "monbot-server key new: a name is 1-%d bytes of text without control characters\n",
		        STORE_NAME_MAX);
		return 1;
	}
	if (rc)
		return fail("new", rc);
	printf("%s\n", secret);
	fprintf(stderr, "key \"%s\" created%s\n", nm,
	        owner ? "" : " without an owner: link it in Telegram with /linkkey <key>");
	return 0;
}

static int cmd_list(struct store *st, int argc, char **argv)
{
	int64_t owner = STORE_ANY_OWNER;
	struct store_key *keys;
	size_t n;
	int rc;
	if (argc == 2 && !strcmp(argv[0], "--owner")) {
		if (parse_user(argv[1], &owner)) {
			fprintf(stderr, "monbot-server key list: --owner needs a Telegram user id\n");
			return 2;
		}
	} else if (argc != 0) {
		usage(stderr);
		return 2;
	}
	if ((rc = store_key_list(st, owner, &keys, &n)) != 0)
		return fail("list", rc);
	/* One key per line, tab-separated: key, name, owners, last seen. */
	for (size_t i = 0; i < n; i++) {
		char seen[32];
		when(keys[i].last_seen, seen, sizeof(seen));
		printf("%s\t%s\t", keys[i].secret, keys[i].nickname[0] ? keys[i].nickname : "-");
		if (!keys[i].nowners)
			printf("-");
		for (size_t j = 0; j < keys[i].nowners; j++)
			printf("%s%lld", j ? "," : "", (long long)keys[i].owners[j]);
		printf("\t%s\n", seen);
	}
	store_keys_free(keys, n);
	return 0;
}

static int cmd_del(struct store *st, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1];
	int rc;
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	if ((rc = resolve(st, argv[0], secret, "del")) != 0)
		return rc;
	if ((rc = store_key_delete(st, secret)) != 0)
		return fail("del", rc);
	printf("deleted %s with its metrics, alerts and command queue\n", secret);
	return 0;
}

static int cmd_owner(struct store *st, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1];
	int64_t user;
	int rc;
	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (parse_user(argv[1], &user)) {
		fprintf(stderr, "monbot-server key owner: \"%s\" is not a Telegram user id\n", argv[1]);
		return 2;
	}
	if ((rc = resolve(st, argv[0], secret, "owner")) != 0)
		return rc;
	rc = store_key_add_owner(st, secret, user, (int64_t)time(NULL));
	if (rc < 0)
		return fail("owner", rc);
	printf(rc == 1 ? "%lld already owns %s\n" : "%lld now owns %s\n", (long long)user, secret);
	return 0;
}

int keycli_main(int argc, char **argv, const struct store_config *cfg)
{
	char err[STORE_ERR_LEN];
	struct store *st;
	const char *sub;
	int rc;
	if (argc > 0 && !strcmp(argv[0], "key")) {
		argc--;
		argv++;
	}
	if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	sub = argv[0];
	if (strcmp(sub, "new") && strcmp(sub, "list") && strcmp(sub, "del") && strcmp(sub, "owner")) {
		fprintf(stderr, "monbot-server key: unknown command \"%s\"\n", sub);
		usage(stderr);
		return 2;
	}
	if ((rc = store_open(&st, cfg, err)) != 0) {
		fprintf(stderr, "monbot-server key %s: cannot open the database: %s\n", sub, err);
		return 1;
	}
	if (!strcmp(sub, "new"))
		rc = cmd_new(st, argc - 1, argv + 1);
	else if (!strcmp(sub, "list"))
		rc = cmd_list(st, argc - 1, argv + 1);
	else if (!strcmp(sub, "del"))
		rc = cmd_del(st, argc - 1, argv + 1);
	else
		rc = cmd_owner(st, argc - 1, argv + 1);
	store_close(st);
	return rc;
}
