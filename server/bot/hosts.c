/* hosts.c — the bottom of the bot: its clocks, the hosts' table, the
 * queue other threads post to, the way to the loop and users' display
 * names. Every other file of server/bot/ may call these; they call none
 * of them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/bot/bot_int.h"
#include "server/commands.h"
#include "server/log.h"
#include "server/server.h"

int64_t bot_now(void)
{
	return (int64_t)time(NULL);
}

int64_t bot_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the hosts' table ----------------------------------------------------- */

static size_t host_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % BOT_HOST_BUCKETS;
}

struct bot_host *bot_host_find(struct bot *b, const char *secret)
{
	struct bot_host *h;

	for (h = b->host_bucket[host_hash(secret)]; h; h = h->next)
		if (strcmp(h->secret, secret) == 0)
			return h;
	return NULL;
}

struct bot_host *bot_host_get(struct bot *b, const char *secret)
{
	struct bot_host *h = bot_host_find(b, secret);
	size_t i, k;

	if (h)
		return h;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	snprintf(h->secret, sizeof(h->secret), "%s", secret);
	for (i = 0; i < SK__COUNT; i++)
		h->v[i] = NAN;
	h->disk_pct = NAN;
	h->last_uptime = NAN;
	k = host_hash(secret);
	h->next = b->host_bucket[k];
	b->host_bucket[k] = h;
	b->nhosts++;
	return h;
}

void bot_host_forget(struct bot *b, const char *secret)
{
	struct bot_host **pp;

	for (pp = &b->host_bucket[host_hash(secret)]; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->secret, secret) == 0) {
			struct bot_host *h = *pp;
			*pp = h->next;
			free(h);
			b->nhosts--;
			return;
		}
	}
}

void bot_hosts_free(struct bot *b)
{
	size_t i;

	if (!b->host_bucket)
		return;
	for (i = 0; i < BOT_HOST_BUCKETS; i++) {
		while (b->host_bucket[i]) {
			struct bot_host *h = b->host_bucket[i];
			b->host_bucket[i] = h->next;
			free(h);
		}
	}
	free(b->host_bucket);
	b->host_bucket = NULL;
}

void bot_ev_free(struct bot_ev *ev)
{
	free(ev->sample);
	free(ev->fleet);
	free(ev->text);
	free(ev->rtts);
	free(ev);
}

int bot_post(struct bot *b, struct bot_ev *ev)
{
	int wake;

	ev->next = NULL;
	pthread_mutex_lock(&b->mu);
	/* Samples are the only events that come in floods; past the bound
	 * they are dropped (the store still has them), anything else waits. */
	if (b->q_len >= BOT_QUEUE_MAX && ev->kind == BOT_EV_SAMPLE) {
		b->ev_dropped++;
		pthread_mutex_unlock(&b->mu);
		bot_ev_free(ev);
		return -1;
	}
	if (b->q_tail)
		b->q_tail->next = ev;
	else
		b->q_head = ev;
	b->q_tail = ev;
	wake = b->q_len++ == 0;
	pthread_mutex_unlock(&b->mu);
	if (wake && b->tg)
		tg_wakeup(b->tg);
	return 0;
}

int bot_call(struct bot *b, void (*fn)(struct bot *b, void *arg), void *arg)
{
	struct bot_ev *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return -1;
	ev->kind = BOT_EV_CALL;
	ev->fn = fn;
	ev->arg = arg;
	return bot_post(b, ev);
}

int bot_loop_call(struct bot *b, void (*fn)(struct server *s, void *arg), void *arg)
{
	return server_post(b->srv, fn, arg);
}

struct agent_cmd {
	char secret[STORE_SECRET_MAX + 1];
	char command[STORE_CMD_MAX + 1];
	int64_t user, chat;
};

static void agent_cmd_run(struct server *s, void *arg)
{
	struct agent_cmd *c = arg;
	int rc = commands_send(s, c->secret, c->command, c->user, c->chat);

	if (rc < 0)
		log_warn("bot: command '%s' for a key: %s", c->command, store_strerror(rc));
	free(c);
}

int bot_agent_command(struct bot *b, const char *secret, const char *command, int64_t user,
                      int64_t chat)
{
	struct agent_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	snprintf(c->command, sizeof(c->command), "%s", command);
	c->user = user;
	c->chat = chat;
	if (bot_loop_call(b, agent_cmd_run, c) != 0) {
		free(c);
		return -1;
	}
	return 0;
}

/* ---- users' display names ---- */

void bot_user_note(struct bot *b, int64_t id, const char *first_name, const char *username)
{
	unsigned i;
	for (i = 0; i < BOT_NAMES && b->names[i].id != id; i++)
		;
	if (i == BOT_NAMES) {
		i = b->names_next;
		b->names_next = (b->names_next + 1) % BOT_NAMES;
	}
	b->names[i].id = id;
	if (username && *username)
		snprintf(b->names[i].name, sizeof(b->names[i].name), "@%s", username);
	else if (first_name && *first_name)
		snprintf(b->names[i].name, sizeof(b->names[i].name), "%s", first_name);
	else
		snprintf(b->names[i].name, sizeof(b->names[i].name), "user %lld", (long long)id);
}

void bot_user_name(const struct bot *b, int64_t id, char *out, size_t cap)
{
	for (unsigned i = 0; id && i < BOT_NAMES; i++)
		if (b->names[i].id == id) {
			snprintf(out, cap, "%s", b->names[i].name);
			return;
		}
	if (id)
		snprintf(out, cap, "user %lld", (long long)id);
	else
		snprintf(out, cap, "%s", "the command line");
}
