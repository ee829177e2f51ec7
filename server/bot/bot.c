/* bot.c — the bot's thread: the events the loop hands over (bot_hook), the
 * Telegram updates (offset persisted before an update is handled, so a
 * restart never handles one twice), BOT_ALLOWED_USERS, the hosts' table the
 * parts read, and the once-a-second tick. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/agents.h"
#include "server/bot/bot_int.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"
#include "wire/jsonr.h"

#define UPDATES_MAX_TOKENS 65536 /* 100 updates of a few hundred tokens each */
#define POLL_TIMEOUT_S 25
#define STOP_DRAIN_MS 5000

/* ---- events from other threads -------------------------------------------- */

static double fullest_disk(const struct sample *s)
{
	double m = NAN;
	int i;

	for (i = 0; i < s->ndisks; i++)
		if (isfinite(s->disks[i].percent) && !(s->disks[i].percent <= m))
			m = s->disks[i].percent;
	return m;
}

static void hook_sample(struct bot_ev *ev, const struct agent_event *e)
{
	const struct sample *s = e->sample;

	memcpy(ev->v, s->v, sizeof(ev->v));
	ev->disk_pct = s->has_disks ? fullest_disk(s) : e->agent->latest_disk_pct;
	ev->ts = isfinite(s->ts) ? (int64_t)s->ts : server_wall_now();
}

static int hook_copy(struct bot_ev *ev, const struct agent_event *e)
{
	struct agent *a = e->agent;

	switch (e->kind) {
	case AGENT_EV_SAMPLE:
		hook_sample(ev, e);
		ev->sample_ts = e->ts ? e->ts : ev->ts;
		if (e->fleet) {
			ev->fleet = malloc(sizeof(*ev->fleet));
			if (!ev->fleet)
				return -1;
			memcpy(ev->fleet, e->fleet, sizeof(*ev->fleet));
		}
		return 0;
	case AGENT_EV_ONESHOT:
		hook_sample(ev, e);
		ev->sample = malloc(sizeof(*ev->sample));
		if (!ev->sample)
			return -1;
		memcpy(ev->sample, e->sample, sizeof(*ev->sample));
		return 0;
	case AGENT_EV_TEXT:
	case AGENT_EV_DIAG: {
		const char *t = e->kind == AGENT_EV_TEXT ? a->text : a->diag;
		ev->len = t ? strlen(t) : 0;
		ev->text = malloc(ev->len + 1);
		if (!ev->text)
			return -1;
		memcpy(ev->text, t ? t : "", ev->len + 1);
		ev->diag_ok = a->diag_ok;
		return 0;
	}
	case AGENT_EV_STABILITY:
		ev->stab_start = a->stab.start_ts;
		ev->stab_interval_ms = a->stab.interval_ms;
		ev->stab_done = a->stab.done;
		snprintf(ev->stab_error, sizeof(ev->stab_error), "%s", a->stab.error);
		if (!a->stab.done)
			return 0;
		ev->nrtts = a->stab.n;
		ev->rtts = malloc((a->stab.n ? a->stab.n : 1) * sizeof(float));
		if (!ev->rtts)
			return -1;
		if (a->stab.n)
			memcpy(ev->rtts, a->stab.rtts, a->stab.n * sizeof(float));
		return 0;
	case AGENT_EV_CMD_EXPIRED:
	case AGENT_EV_GOING_DOWN:
		ev->cmd = *e->cmd;
		snprintf(ev->secret, sizeof(ev->secret), "%s", e->cmd->secret);
		return 0;
	case AGENT_EV_KEY_SHARED:
		snprintf(ev->other_host, sizeof(ev->other_host), "%s", a->other_host);
		ev->refused = a->sessions_refused;
		return 0;
	default:
		return 0;
	}
}

static const enum bot_ev_kind ev_kind_of[] = {
	[AGENT_EV_CONNECTED] = BOT_EV_CONNECTED,
	[AGENT_EV_DISCONNECTED] = BOT_EV_DISCONNECTED,
	[AGENT_EV_SAMPLE] = BOT_EV_SAMPLE,
	[AGENT_EV_ONESHOT] = BOT_EV_ONESHOT,
	[AGENT_EV_TEXT] = BOT_EV_TEXT,
	[AGENT_EV_DIAG] = BOT_EV_DIAG,
	[AGENT_EV_STABILITY] = BOT_EV_STABILITY,
	[AGENT_EV_CMD_EXPIRED] = BOT_EV_CMD_EXPIRED,
	[AGENT_EV_GOING_DOWN] = BOT_EV_GOING_DOWN,
	[AGENT_EV_KEY_SHARED] = BOT_EV_KEY_SHARED,
};

void bot_hook(void *ctx, const struct agent_event *e)
{
	struct bot *b = ctx;
	struct bot_ev *ev;

	if ((size_t)e->kind >= sizeof(ev_kind_of) / sizeof(ev_kind_of[0]))
		return;
	if (e->kind != AGENT_EV_CMD_EXPIRED && e->kind != AGENT_EV_GOING_DOWN && !e->agent)
		return;
	/* A stability chunk that does not end the test carries nothing the
	 * bot shows. */
	if (e->kind == AGENT_EV_STABILITY && !e->agent->stab.done)
		return;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return;
	ev->kind = ev_kind_of[e->kind];
	ev->ts = server_wall_now();
	if (e->agent) {
		snprintf(ev->secret, sizeof(ev->secret), "%s", e->agent->secret);
		snprintf(ev->nickname, sizeof(ev->nickname), "%s", e->agent->nickname);
		snprintf(ev->hostname, sizeof(ev->hostname), "%s", e->agent->hostname);
	}
	if (hook_copy(ev, e) != 0) {
		log_warn("bot: out of memory for an agent event");
		bot_ev_free(ev);
		return;
	}
	bot_post(b, ev);
}

/* The hosts' table follows the events before the parts see them. */
static void host_track(struct bot *b, const struct bot_ev *ev)
{
	struct bot_host *h;

	if (ev->kind != BOT_EV_CONNECTED && ev->kind != BOT_EV_DISCONNECTED &&
	    ev->kind != BOT_EV_SAMPLE && ev->kind != BOT_EV_ONESHOT)
		return;
	h = bot_host_get(b, ev->secret);
	if (!h)
		return;
	switch (ev->kind) {
	case BOT_EV_CONNECTED:
		h->online = 1;
		h->online_since = ev->ts;
		break;
	case BOT_EV_DISCONNECTED:
		h->online = 0;
		break;
	default:
		h->online = 1;
		if (ev->ts >= h->last_sample) {
			h->last_sample = ev->ts;
			memcpy(h->v, ev->v, sizeof(h->v));
			h->disk_pct = ev->disk_pct;
		}
		break;
	}
}

static void dispatch(struct bot *b, struct bot_ev *ev)
{
	/* the alerts see a sample before the table holds it (reboots compare
	 * the previous uptime) */
	if (ev->kind != BOT_EV_RENDERED && ev->kind != BOT_EV_CALL)
		bot_alerts_on_event(b, ev);
	if (ev->kind == BOT_EV_SAMPLE)
		bot_fleet_on_sample(b, ev);
	host_track(b, ev);
	switch (ev->kind) {
	case BOT_EV_ONESHOT:
		bot_status_on_oneshot(b, ev);
		break;
	case BOT_EV_TEXT:
	case BOT_EV_DIAG:
	case BOT_EV_STABILITY:
		bot_status_on_result(b, ev);
		break;
	case BOT_EV_RENDERED:
		bot_render_done(b, ev);
		break;
	case BOT_EV_CALL:
		ev->fn(b, ev->arg);
		break;
	default:
		break;
	}
}

static size_t drain_events(struct bot *b)
{
	struct bot_ev *list, *next;
	size_t n = 0;

	pthread_mutex_lock(&b->mu);
	list = b->q_head;
	b->q_head = b->q_tail = NULL;
	b->q_len = 0;
	pthread_mutex_unlock(&b->mu);
	for (; list; list = next, n++) {
		next = list->next;
		dispatch(b, list);
		bot_ev_free(list);
	}
	return n;
}

/* ---- updates -------------------------------------------------------------- */

static int64_t allowed(const struct bot *b, int64_t user)
{
	size_t i;

	if (!b->nallowed)
		return 1;
	for (i = 0; i < b->nallowed; i++)
		if (b->allowed[i] == user)
			return 1;
	return 0;
}

static void get_int(const struct jsonr *r, int obj, const char *key, int64_t *out)
{
	int k = obj >= 0 ? jsonr_get(r, obj, key) : -1;

	if (k < 0 || jsonr_int(r, k, INT64_MIN / 2, INT64_MAX / 2, out) != JSONR_OK)
		*out = 0;
}

/* A string member, cut to the buffer at a UTF-8 boundary when longer. */
static void get_str(const struct jsonr *r, int obj, const char *key, char *buf, size_t cap)
{
	int k = obj >= 0 ? jsonr_get(r, obj, key) : -1;
	size_t need, len;
	char *tmp;

	buf[0] = 0;
	if (k < 0 || jsonr_type(r, k) != JSONR_T_STRING)
		return;
	if (jsonr_str(r, k, buf, cap, NULL) == JSONR_OK)
		return;
	need = jsonr_str_cap(r, k);
	tmp = malloc(need);
	if (tmp && jsonr_str(r, k, tmp, need, &len) == JSONR_OK) {
		len = agents_utf8_cut(tmp, len, cap - 1);
		memcpy(buf, tmp, len);
		buf[len] = 0;
	} else {
		buf[0] = 0;
	}
	free(tmp);
}

static void refuse(struct bot *b, int64_t chat)
{
	bot_send(b, chat, BOT_T(b, "⛔ This bot is private: you are not on its list of users.",
	                        "⛔ Это частный бот: вас нет в списке его пользователей."),
	         NULL, TG_REPLY, NULL, NULL);
}

static void handle_message(struct bot *b, const struct jsonr *r, int upd, int msg)
{
	struct bot_msg *m = calloc(1, sizeof(*m));
	int from = jsonr_get(r, msg, "from"), chat = jsonr_get(r, msg, "chat");

	if (!m)
		return;
	get_int(r, upd, "update_id", &m->update_id);
	get_int(r, msg, "message_id", &m->message_id);
	get_int(r, from, "id", &m->user_id);
	get_int(r, chat, "id", &m->chat_id);
	get_str(r, from, "first_name", m->first_name, sizeof(m->first_name));
	get_str(r, from, "username", m->username, sizeof(m->username));
	get_str(r, msg, "text", m->text, sizeof(m->text));
	if (!m->user_id || !m->chat_id || !m->text[0])
		goto out;
	bot_user_note(b, m->user_id, m->first_name, m->username);
	if (!allowed(b, m->user_id)) {
		log_info("bot: a message from user %lld, who is not in BOT_ALLOWED_USERS",
		         (long long)m->user_id);
		refuse(b, m->chat_id);
		goto out;
	}
	bot_on_message(b, m);
out:
	free(m);
}

static void handle_callback(struct bot *b, const struct jsonr *r, int upd, int cq)
{
	struct bot_cb q;
	int from = jsonr_get(r, cq, "from"), msg = jsonr_get(r, cq, "message");
	int chat = msg >= 0 ? jsonr_get(r, msg, "chat") : -1, k = jsonr_get(r, cq, "data");

	memset(&q, 0, sizeof(q));
	get_int(r, upd, "update_id", &q.update_id);
	get_int(r, from, "id", &q.user_id);
	get_int(r, chat, "id", &q.chat_id);
	get_int(r, msg, "message_id", &q.message_id);
	get_str(r, cq, "id", q.id, sizeof(q.id));
	get_str(r, from, "first_name", q.first_name, sizeof(q.first_name));
	get_str(r, from, "username", q.username, sizeof(q.username));
	/* data over 64 bytes is not Telegram's: treated as no data */
	if (k >= 0 && jsonr_type(r, k) == JSONR_T_STRING &&
	    jsonr_str(r, k, q.data, sizeof(q.data), NULL) != JSONR_OK)
		q.data[0] = 0;
	if (!q.id[0] || !q.user_id)
		return;
	if (!allowed(b, q.user_id)) {
		bot_answer_cb(b, &q, BOT_T(b, "⛔ Not allowed", "⛔ Нет доступа"), 1);
		return;
	}
	bot_user_note(b, q.user_id, q.first_name, q.username);
	bot_on_callback(b, &q);
}

static void on_updates(void *arg, const char *body, size_t len)
{
	struct bot *b = arg;
	struct jsonr r;
	jsmntok_t *tok = malloc(UPDATES_MAX_TOKENS * sizeof(*tok));
	int res, k, ok;
	int64_t id, top = b->offset - 1;
	char buf[32];

	if (!tok)
		return;
	if (jsonr_parse(&r, body, len, tok, UPDATES_MAX_TOKENS, 16) != JSONR_OK ||
	    jsonr_type(&r, 0) != JSONR_T_OBJECT) {
		log_warn("bot: getUpdates answered with something that is not JSON");
		goto out;
	}
	k = jsonr_get(&r, 0, "ok");
	res = jsonr_get(&r, 0, "result");
	if (k < 0 || jsonr_bool(&r, k, &ok) != JSONR_OK || !ok || res < 0 ||
	    jsonr_type(&r, res) != JSONR_T_ARRAY)
		goto out;
	for (k = jsonr_first(&r, res); k > 0; k = jsonr_after(&r, res, k)) {
		get_int(&r, k, "update_id", &id);
		if (id > top)
			top = id;
	}
	if (top < b->offset)
		goto out;
	/* Persisted before any of them is handled: a crash in between skips
	 * updates rather than handling them twice (a second reboot...). */
	snprintf(buf, sizeof(buf), "%lld", (long long)(top + 1));
	if (store_meta_set(b->st, "bot.offset", buf) != STORE_OK)
		log_warn("bot: could not persist the update offset");
	for (k = jsonr_first(&r, res); k > 0; k = jsonr_after(&r, res, k)) {
		int m;
		get_int(&r, k, "update_id", &id);
		if (id < b->offset)
			continue; /* already handled (an old answer) */
		if ((m = jsonr_get(&r, k, "message")) >= 0 && jsonr_type(&r, m) == JSONR_T_OBJECT)
			handle_message(b, &r, k, m);
		else if ((m = jsonr_get(&r, k, "callback_query")) >= 0 &&
		         jsonr_type(&r, m) == JSONR_T_OBJECT)
			handle_callback(b, &r, k, m);
	}
	b->offset = top + 1;
	tg_set_offset(b->tg, b->offset);
out:
	free(tok);
}

/* ---- start-up calls --------------------------------------------------------- */

static void on_get_me(void *arg, const struct tg_result *res)
{
	struct bot *b = arg;
	struct jsonr r;
	jsmntok_t tok[64];
	int k;

	if (!res->ok || jsonr_parse(&r, res->body, res->body_len, tok, 64, 4) != JSONR_OK)
		return;
	k = jsonr_get(&r, 0, "result");
	if (k >= 0)
		get_str(&r, k, "username", b->username, sizeof(b->username));
	log_info("bot: connected to Telegram as @%s", b->username);
}

struct bot_command_desc {
	const char *cmd, *en, *ru;
};

static const struct bot_command_desc command_list[] = {
	{ "start", "greeting and the command list", "приветствие и список команд" },
	{ "help", "the command list", "список команд" },
	{ "newkey", "a new key for an agent: /newkey [name]", "новый ключ для агента: /newkey [имя]" },
	{ "linkkey", "co-own an existing key: /linkkey <key>", "стать совладельцем ключа: /linkkey <ключ>" },
	{ "set", "the active key of this chat: /set <key>", "активный ключ чата: /set <ключ>" },
	{ "list", "your keys", "ваши ключи" },
	{ "status", "the host's state: /status [key]", "состояние хоста: /status [ключ]" },
	{ "renamekey", "rename: /renamekey <key> <name>", "переименовать: /renamekey <ключ> <имя>" },
	{ "delkey", "delete a key with its data: /delkey <key>", "удалить ключ с данными: /delkey <ключ>" },
	{ "setalert", "an alert: /setalert <key> <metric> <threshold>",
	  "оповещение: /setalert <ключ> <метрика> <порог>" },
	{ "delalert", "remove an alert: /delalert <key> <metric>",
	  "удалить оповещение: /delalert <ключ> <метрика>" },
	{ "setquota", "a traffic quota: /setquota <key> <GB> <day>",
	  "квота трафика: /setquota <ключ> <ГБ> <день>" },
	{ "mute", "maintenance: /mute <key> <duration|off>", "обслуживание: /mute <ключ> <время|off>" },
	{ "plot", "a custom chart: /plot <key> <metrics> <interval>",
	  "свой график: /plot <ключ> <метрики> <интервал>" },
	{ "history", "commands sent to a host: /history [key]", "команды хосту: /history [ключ]" },
};

static void set_commands(struct bot *b)
{
	struct bot_buf j = { 0 };
	struct tg_args *a = tg_args_new();
	size_t i;

	bot_buf_add(&j, "[");
	for (i = 0; i < sizeof(command_list) / sizeof(command_list[0]); i++)
		bot_buf_addf(&j, "%s{\"command\":\"%s\",\"description\":\"%s\"}", i ? "," : "",
		             command_list[i].cmd, BOT_T(b, command_list[i].en, command_list[i].ru));
	bot_buf_add(&j, "]");
	if (!j.oom)
		tg_args_json(a, "commands", j.s);
	tg_call(b->tg, "setMyCommands", 0, a, TG_REPLY, NULL, NULL);
	bot_buf_free(&j);
}

/* ---- the thread ------------------------------------------------------------- */

static void *bot_main(void *arg)
{
	struct bot *b = arg;
	int stop = 0, wait;
	int64_t deadline, now;

	tg_call(b->tg, "getMe", 0, tg_args_new(), TG_REPLY, on_get_me, b);
	set_commands(b);
	tg_poll_updates(b->tg, b->offset, POLL_TIMEOUT_S, on_updates, b);
	while (!stop) {
		drain_events(b);
		now = bot_now();
		if (now != b->last_tick) {
			b->last_tick = now;
			bot_alerts_tick(b, now);
		}
		bot_status_tick(b, bot_mono_ms());
		wait = tg_run(b->tg, 0);
		pthread_mutex_lock(&b->mu);
		stop = b->stop;
		wait = b->q_head ? 0 : (wait < 0 || wait > 1000 ? 1000 : wait);
		pthread_mutex_unlock(&b->mu);
		if (!stop && wait > 0)
			tg_run(b->tg, wait);
	}
	/* What is queued goes out for a few seconds; alerts left over stay in
	 * the outbox for the next start. */
	tg_stop_polling(b->tg);
	deadline = bot_mono_ms() + STOP_DRAIN_MS;
	while (bot_mono_ms() < deadline && (drain_events(b) || tg_pending(b->tg)))
		tg_run(b->tg, 100);
	return NULL;
}

static int parse_allowed(struct bot *b, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	size_t n = 1;

	for (; *p; p++)
		n += *p == ',';
	b->allowed = calloc(n, sizeof(*b->allowed));
	if (!b->allowed)
		return -1;
	for (p = list; *p;) {
		char *end;
		long long v;
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno || end == p || v <= 0 || (*end && *end != ',' && *end != ' ')) {
			snprintf(err, errlen, "BOT_ALLOWED_USERS: '%s' is not a list of user ids", list);
			return -1;
		}
		b->allowed[b->nallowed++] = v;
		p = end;
	}
	return 0;
}

static void bot_free(struct bot *b)
{
	struct bot_ev *ev, *next;

	bot_render_free(b);
	bot_fleet_free(b);
	bot_alerts_free(b);
	bot_status_free(b);
	for (ev = b->q_head; ev; ev = next) {
		next = ev->next;
		bot_ev_free(ev);
	}
	if (b->tg)
		tg_free(b->tg);
	if (b->st)
		store_close(b->st);
	bot_hosts_free(b);
	free(b->allowed);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

int bot_start(struct bot **out, struct server *srv, char *err, size_t errlen)
{
	struct bot *b = calloc(1, sizeof(*b));
	const struct server_config *cfg = srv->cfg;
	char serr[STORE_ERR_LEN], buf[32];

	*out = NULL;
	err[0] = 0;
	if (!b) {
		snprintf(err, errlen, "bot: out of memory");
		return -1;
	}
	pthread_mutex_init(&b->mu, NULL);
	b->srv = srv;
	b->cfg = cfg;
	b->lang = strcmp(cfg->bot_lang, "ru") == 0 ? BOT_RU : BOT_EN;
	b->host_bucket = calloc(BOT_HOST_BUCKETS, sizeof(*b->host_bucket));
	if (!b->host_bucket || parse_allowed(b, cfg->bot_allowed_users, err, errlen) != 0)
		goto fail;
	if (store_open(&b->st, &cfg->store, serr) != STORE_OK) {
		snprintf(err, errlen, "bot: storage: %s", serr);
		goto fail;
	}
	if (tg_new(&b->tg, cfg->telegram_api_url, cfg->bot_token, err, errlen) != 0)
		goto fail;
	if (store_meta_get(b->st, "bot.offset", buf, sizeof(buf)) == STORE_OK)
		b->offset = strtoll(buf, NULL, 10);
	if (bot_status_init(b) != 0 || bot_alerts_init(b) != 0 || bot_fleet_init(b) != 0 ||
	    bot_render_init(b) != 0) {
		snprintf(err, errlen, "bot: could not set up its parts");
		goto fail;
	}
	server_set_hook(srv, bot_hook, b);
	if (pthread_create(&b->thread, NULL, bot_main, b) != 0) {
		server_set_hook(srv, NULL, NULL);
		snprintf(err, errlen, "bot: could not start its thread");
		goto fail;
	}
	b->running = 1;
	*out = b;
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "bot: out of memory");
	bot_free(b);
	return -1;
}

void bot_stop(struct bot *b)
{
	if (!b)
		return;
	server_set_hook(b->srv, NULL, NULL);
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_mutex_unlock(&b->mu);
	if (b->running) {
		tg_wakeup(b->tg);
		pthread_join(b->thread, NULL);
	}
	bot_free(b);
}
