/* alerts.c — the alert rules at work (SPEC §7 "Alerts"): cached per host,
 * stepped through alerts_sm.c on each sample and once a second (offline,
 * maintenance, mutes), their messages grouped per user and host (one
 * message per host incident), the owners' notices (reboots, a second host
 * on a key, expired power commands, "going down"), and the outbox: every
 * such message is stored before it is handed to Telegram and deleted once
 * Telegram took it, so neither a restart nor an outage loses one. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/alerts_int.h"
#include "server/log.h"

/* ---- hosts and their rules ----------------------------------------------------- */

static size_t al_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % AL_HOST_BUCKETS;
}

struct al_host *al_host_find(struct bot *b, const char *secret)
{
	struct al_host *h;
	if (!b->alerts)
		return NULL;
	for (h = b->alerts->bucket[al_hash(secret)]; h; h = h->hnext)
		if (!strcmp(h->secret, secret))
			return h;
	return NULL;
}

struct al_host *al_host_get(struct bot *b, const char *secret)
{
	struct al_host *h = al_host_find(b, secret);
	size_t k;
	if (h || !b->alerts)
		return h;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	snprintf(h->secret, sizeof(h->secret), "%s", secret);
	k = al_hash(secret);
	h->hnext = b->alerts->bucket[k];
	b->alerts->bucket[k] = h;
	h->next = b->alerts->all;
	b->alerts->all = h;
	return h;
}

static void host_unlink(struct bot *b, struct al_host *h)
{
	struct al_host **pp;
	for (pp = &b->alerts->bucket[al_hash(h->secret)]; *pp; pp = &(*pp)->hnext)
		if (*pp == h) {
			*pp = h->hnext;
			break;
		}
	for (pp = &b->alerts->all; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	free(h->rules);
	free(h);
}

static int rule_cmp(const struct store_alert *a, int64_t user, const char *metric)
{
	if (a->user != user)
		return a->user < user ? -1 : 1;
	return strcmp(a->metric, metric);
}

struct store_alert *al_rule_find(struct al_host *h, int64_t user, const char *metric)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (!rule_cmp(&h->rules[i], user, metric))
			return &h->rules[i];
	return NULL;
}

int al_rule_put(struct al_host *h, const struct store_alert *a)
{
	size_t i = 0;
	struct store_alert *r = al_rule_find(h, a->user, a->metric);
	if (r) {
		*r = *a;
		return 0;
	}
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 4;
		struct store_alert *v = realloc(h->rules, nc * sizeof(*v));
		if (!v)
			return -1;
		h->rules = v;
		h->cap = nc;
	}
	while (i < h->n && rule_cmp(&h->rules[i], a->user, a->metric) < 0)
		i++;
	memmove(&h->rules[i + 1], &h->rules[i], (h->n - i) * sizeof(*h->rules));
	h->rules[i] = *a;
	h->n++;
	return 0;
}

void al_rule_del(struct al_host *h, int64_t user, const char *metric)
{
	struct store_alert *r = al_rule_find(h, user, metric);
	size_t i;
	if (!r)
		return;
	i = (size_t)(r - h->rules);
	memmove(&h->rules[i], &h->rules[i + 1], (h->n - i - 1) * sizeof(*h->rules));
	h->n--;
}

int al_maint_active(const struct al_host *h, int64_t now)
{
	return h && h->maint_until > now;
}

int al_maint_set(struct bot *b, struct al_host *h, int64_t until, int64_t user, int64_t chat)
{
	int64_t now = bot_now(), id = 0;
	char cmd[48], d[24], answer[64];
	int rc = store_maint_set(b->st, h->secret, until, user, now);
	if (rc != STORE_OK)
		return rc;
	h->maint_until = until;
	h->maint_by = until ? user : 0;
	if (until) {
		al_fmt_duration(until - now, d, sizeof(d));
		snprintf(cmd, sizeof(cmd), "mute %s", d);
		snprintf(answer, sizeof(answer), "maintenance until %lld", (long long)until);
	} else {
		snprintf(cmd, sizeof(cmd), "mute off");
		snprintf(answer, sizeof(answer), "maintenance ended");
	}
	/* the record, as a command that was answered at once (never queued for
	 * the agent) */
	if (store_cmd_enqueue(b->st, h->secret, cmd, user, chat, now, 0, 1, &id) == STORE_OK)
		store_cmd_answer(b->st, id, now, answer);
	return STORE_OK;
}

/* ---- the outbox ------------------------------------------------------------------ */

struct al_out {
	struct bot *b;          /* NULL: the alerts were freed while Telegram had it */
	int64_t id;             /* bot_outbox row, 0 when it could not be stored */
	int64_t chat;
	char *html, *markup;
	int inflight;
	int64_t retry_at;
	struct al_out *next;
};

static void out_free(struct al_out *o)
{
	free(o->html);
	free(o->markup);
	free(o);
}

static void out_unlink(struct bot *b, struct al_out *o)
{
	for (struct al_out **pp = &b->alerts->out; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			return;
		}
}

static void out_done(void *arg, const struct tg_result *r)
{
	struct al_out *o = arg;
	struct bot *b = o->b;
	/* a 4xx other than 429 is final (tg.c retries everything else): the
	 * chat blocked the bot or does not exist */
	int refused = !r->ok && r->http_status >= 400 && r->http_status < 500 && r->http_status != 429;
	if (!b) {
		out_free(o);
		return;
	}
	o->inflight = 0;
	if (!r->ok && !refused) {
		o->retry_at = bot_now() + AL_OUTBOX_RETRY_S;
		return;
	}
	if (refused)
		log_warn("bot: an alert for chat %lld was refused by Telegram: %s", (long long)o->chat,
		         r->description);
	if (o->id) {
		int rc = store_outbox_del(b->st, o->id);
		if (rc != STORE_OK && rc != STORE_ENOTFOUND)
			log_warn("bot: an alert sent could not be taken off the outbox (%s): it may be sent "
			         "again after a restart", store_strerror(rc));
	}
	out_unlink(b, o);
	out_free(o);
}

static void out_start(struct bot *b, struct al_out *o)
{
	if (bot_send(b, o->chat, o->html, o->markup, TG_ALERT, out_done, o) == 0) {
		o->inflight = 1;
		return;
	}
	o->retry_at = bot_now() + AL_OUTBOX_RETRY_S;
}

static struct al_out *out_new(struct bot *b, int64_t id, int64_t chat, const char *html,
                              const char *markup)
{
	struct al_out *o = calloc(1, sizeof(*o)), **pp;
	if (!o)
		return NULL;
	o->b = b;
	o->id = id;
	o->chat = chat;
	o->html = strdup(html);
	o->markup = markup && *markup ? strdup(markup) : NULL;
	if (!o->html || (markup && *markup && !o->markup)) {
		out_free(o);
		return NULL;
	}
	for (pp = &b->alerts->out; *pp; pp = &(*pp)->next)
		;
	*pp = o;
	return o;
}

void al_outbox_send(struct bot *b, int64_t chat, const char *html, const char *markup)
{
	int64_t id = 0;
	struct al_out *o;
	if (!chat || !html || !*html || !b->alerts)
		return;
	if (store_outbox_add(b->st, chat, html, markup, bot_now(), &id) != STORE_OK) {
		log_warn("bot: the outbox could not store an alert (database down?): sent without it");
		id = 0;
	}
	if (!(o = out_new(b, id, chat, html, markup))) {
		log_error("bot: out of memory for an alert (it stays in the outbox for the next start)");
		return;
	}
	out_start(b, o);
}

static void outbox_retry(struct bot *b, int64_t now)
{
	for (struct al_out *o = b->alerts->out; o; o = o->next)
		if (!o->inflight && now >= o->retry_at)
			out_start(b, o);
}

/* What a previous run left: sent again, oldest first. */
static void outbox_resend(struct bot *b)
{
	struct store_outbox *v;
	size_t n;
	if (store_outbox_list(b->st, &v, &n) != STORE_OK)
		return;
	if (n)
		log_info("bot: %zu alerts left in the outbox by the last run: sending them", n);
	for (size_t i = 0; i < n; i++) {
		struct al_out *o = out_new(b, v[i].id, v[i].chat_id, v[i].html, v[i].markup);
		if (o)
			out_start(b, o);
	}
	store_outbox_free(v, n);
}

void bot_notify_owners(struct bot *b, const char *secret, const char *html, const char *markup)
{
	int64_t owners[64];
	size_t n = 0;
	if (store_key_owners(b->st, secret, owners, sizeof(owners) / sizeof(owners[0]), &n) != STORE_OK)
		return;
	for (size_t i = 0; i < n && i < sizeof(owners) / sizeof(owners[0]); i++)
		al_outbox_send(b, owners[i], html, markup);
}

/* ---- evaluation and its messages ---------------------------------------------- */

struct al_hit {
	size_t idx;
	enum al_event ev;
	double value;
	struct store_alert prev;
};

void al_mute_keyboard(struct bot_kb *k, struct bot *b, const char *secret, const char *metric,
                      int until_recovered)
{
	char data[STORE_SECRET_MAX + 64];
	/* an imported secret may be too long for callback_data: no buttons then */
	if (snprintf(data, sizeof(data), "mu:1h:%s:%s", metric, secret) > BOT_CB_MAX)
		return;
	bot_kb_btn(k, BOT_T(b, "🔕 1 h", "🔕 1 ч"), data);
	if (until_recovered) {
		snprintf(data, sizeof(data), "mu:rc:%s:%s", metric, secret);
		bot_kb_btn(k, BOT_T(b, "🔕 Until recovered", "🔕 До восстановления"), data);
	}
	bot_kb_row(k);
	if (snprintf(data, sizeof(data), "al:mt:%d:%s", AL_MAINT_BUTTON_S, secret) <= BOT_CB_MAX)
		bot_kb_btn(k, BOT_T(b, "🛠 Maintenance 2 h", "🛠 Обслуживание 2 ч"), data);
}

void al_tell(struct bot *b, const struct store_alert *a, int fires, const char *label, const char *emoji,
             const char *fmt_en, const char *fmt_ru, ...)
{
	char body[1024];
	struct bot_buf o = { 0 };
	struct bot_kb k;
	va_list ap;
	va_start(ap, fmt_ru);
	vsnprintf(body, sizeof(body), BOT_T(b, fmt_en, fmt_ru), ap);
	va_end(ap);
	bot_buf_addf(&o, "%s <b>%s</b>: %s", emoji, label, body);
	bot_kb_init(&k);
	if (fires)
		al_mute_keyboard(&k, b, a->secret, a->metric, 0);
	if (!o.oom && o.s)
		al_outbox_send(b, a->user, o.s, fires && !k.j.oom && k.j.s ? bot_kb_json(&k) : NULL);
	bot_kb_free(&k);
	bot_buf_free(&o);
}

/* One message for one user's hits on one host. */
static void send_group(struct bot *b, const struct al_host *h, const struct al_hit *hits, size_t n,
                       int64_t now)
{
	char label[4 * STORE_NAME_MAX + 16];
	const char *firing_metric = NULL;
	struct bot_buf o = { 0 };
	struct bot_kb k;
	int nfiring = 0;
	if (al_label(b, h->secret, label, sizeof(label)) < 0)
		return;
	if (n > 1)
		bot_buf_addf(&o, "<b>%s</b>\n", label);
	for (size_t i = 0; i < n; i++) {
		const struct store_alert *a = &h->rules[hits[i].idx];
		al_item(b, &o, &hits[i].prev, hits[i].ev, hits[i].value, now, n == 1, label);
		if (i + 1 < n)
			bot_buf_add(&o, "\n");
		if (hits[i].ev == AL_EV_FIRE || hits[i].ev == AL_EV_REMIND) {
			firing_metric = a->metric;
			nfiring++;
		}
	}
	bot_kb_init(&k);
	if (nfiring)
		al_mute_keyboard(&k, b, h->secret, nfiring == 1 ? firing_metric : "*", 1);
	if (!o.oom)
		al_outbox_send(b, hits[0].prev.user, o.s, nfiring ? bot_kb_json(&k) : NULL);
	bot_kb_free(&k);
	bot_buf_free(&o);
}

/* Persists rule i; 0, or -1 when its row is gone (the key was deleted
 * elsewhere, the CLI): the rule is dropped from the cache. */
static int persist(struct bot *b, struct al_host *h, size_t i)
{
	int rc = store_alert_update(b->st, &h->rules[i]);
	if (rc == STORE_ENOTFOUND) {
		al_rule_del(h, h->rules[i].user, h->rules[i].metric);
		return -1;
	}
	return 0;
}

static int host_quiet(const struct al_host *h, int64_t now)
{
	return al_maint_active(h, now) || h->expect_down_until > now;
}

/* Steps every rule of h and sends what came of it: one message per user. */
static void evaluate(struct bot *b, struct al_host *h, struct al_host_in *in, double offline_gap)
{
	size_t n = h->n, nh = 0;
	enum al_event *ev;
	int *changed;
	struct store_alert *prev;
	struct al_hit *hits;
	void *mem;
	if (!n)
		return;
	mem = malloc(n * (sizeof(*ev) + sizeof(*changed) + sizeof(*prev) + sizeof(*hits)));
	if (!mem)
		return;
	hits = mem;
	prev = (struct store_alert *)(hits + n);
	ev = (enum al_event *)(prev + n);
	changed = (int *)(ev + n);
	memcpy(prev, h->rules, n * sizeof(*prev));
	al_eval_host(h->rules, n, in, ev, changed);
	for (size_t i = 0; i < n; i++) {
		int offline = al_metric_kind(h->rules[i].metric) == AL_K_OFFLINE;
		if (ev[i] == AL_EV_NONE)
			continue;
		hits[nh].idx = i;
		hits[nh].ev = ev[i];
		hits[nh].prev = prev[i];
		hits[nh].value = offline ? (ev[i] == AL_EV_RECOVER ? offline_gap : in->offline_s)
		                         : al_metric_value(h->rules[i].metric, in->v, in->disk_pct);
		nh++;
	}
	/* messages first, then the states: a crash in between repeats a
	 * message rather than losing one */
	for (size_t i = 0; i < nh;) {
		size_t j = i;
		while (j < nh && hits[j].prev.user == hits[i].prev.user)
			j++;
		send_group(b, h, &hits[i], j - i, in->now);
		i = j;
	}
	for (size_t i = n; i-- > 0;)
		if (changed[i])
			persist(b, h, i);
	free(mem);
}

/* Seconds since the host's newest sample: since start, else the store's
 * last_seen (NAN: never seen, so never "offline"). */
static double silent_for(const struct al_host *h, int64_t now)
{
	int64_t base = h->last_rx ? h->last_rx : h->last_seen;
	if (!base)
		return NAN;
	return base >= now ? 0 : (double)(now - base);
}

static int offline_firing(const struct al_host *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->rules[i].state == STORE_AL_FIRING && al_metric_kind(h->rules[i].metric) == AL_K_OFFLINE)
			return 1;
	return 0;
}

static void tick_host(struct bot *b, struct al_host *h, int64_t now)
{
	struct al_host_in in = { .now = now, .disk_pct = NAN };
	char label[4 * STORE_NAME_MAX + 16], msg[sizeof(label) + 256];
	if (h->maint_until && h->maint_until <= now) {
		h->maint_until = 0;
		store_maint_set(b->st, h->secret, 0, 0, now);
		if (al_label(b, h->secret, label, sizeof(label)) == 0) {
			snprintf(msg, sizeof(msg),
			         BOT_T(b, "🔔 <b>%s</b>: maintenance is over, alerts are on again.",
			               "🔔 <b>%s</b>: обслуживание закончилось, алерты снова включены."),
			         label);
			bot_notify_owners(b, h->secret, msg, NULL);
		}
	}
	if (h->expect_down_until && h->expect_down_until <= now)
		h->expect_down_until = 0;
	/* after a start, agents get a while to reconnect before anything
	 * counts as silent */
	if (!h->n || (!h->last_rx && now < b->alerts->started + AL_START_GRACE_S))
		return;
	in.offline_s = silent_for(h, now);
	in.down = h->disconnected || (!isnan(in.offline_s) && in.offline_s >= AL_STALE_S) ||
	          offline_firing(h);
	in.quiet = host_quiet(h, now);
	evaluate(b, h, &in, NAN);
}

/* ---- events ----------------------------------------------------------------------- */

static void on_sample(struct bot *b, const struct bot_ev *ev, int64_t now)
{
	struct al_host *h = al_host_find(b, ev->secret);
	struct al_host_in in = { .now = now, .v = ev->v, .disk_pct = ev->disk_pct, .offline_s = 0 };
	double gap;
	if (!h)
		return;
	gap = silent_for(h, now);
	h->last_rx = now;
	h->disconnected = 0;
	if (h->expect_down_until && !h->expect_reboot)
		h->expect_down_until = 0; /* a shutdown host that is back */
	in.quiet = host_quiet(h, now);
	evaluate(b, h, &in, gap);
}

static void check_reboot(struct bot *b, const struct bot_ev *ev)
{
	struct bot_host *bh = bot_host_get(b, ev->secret);
	struct al_host *h = al_host_find(b, ev->secret);
	double up = ev->v[SK_UPTIME];
	char label[4 * STORE_NAME_MAX + 16], msg[sizeof(label) + 256], d[24];
	if (!bh || !isfinite(up))
		return;
	/* uptime went down (a couple of seconds of jitter aside): it rebooted */
	if (isfinite(bh->last_uptime) && up + 2 < bh->last_uptime && al_label(b, ev->secret, label, sizeof(label)) == 0) {
		int asked = h && h->expect_reboot;
		al_fmt_duration((int64_t)up, d, sizeof(d));
		snprintf(msg, sizeof(msg),
		         asked ? BOT_T(b, "🔄 <b>%s</b> is back after the reboot you asked for (up %s).",
		                       "🔄 <b>%s</b> снова работает после запрошенной перезагрузки (работает %s).")
		               : BOT_T(b, "🔄 <b>%s</b> rebooted (up %s).",
		                       "🔄 <b>%s</b> перезагрузился (работает %s)."),
		         label, d);
		bot_notify_owners(b, ev->secret, msg, NULL);
		if (h) {
			h->expect_reboot = 0;
			h->expect_down_until = 0;
		}
	}
	bh->last_uptime = up;
}

static void on_key_shared(struct bot *b, const struct bot_ev *ev, int64_t now)
{
	struct al_host *h = al_host_get(b, ev->secret);
	char label[4 * STORE_NAME_MAX + 16], other[4 * 128], mine[4 * 128], msg[sizeof(label) + 1400];
	int second = ev->other_host[0] != 0;
	int64_t *told;
	if (!h || al_label(b, ev->secret, label, sizeof(label)) < 0)
		return;
	told = second ? &h->shared_told : &h->refused_told;
	if (*told && now - *told < AL_SHARED_NOTICE_S)
		return;
	*told = now;
	if (second) {
		bot_esc(ev->other_host, other, sizeof(other));
		bot_esc(ev->hostname[0] ? ev->hostname : "?", mine, sizeof(mine));
		snprintf(msg, sizeof(msg),
		         BOT_T(b, "⚠️ Key <b>%s</b> is used by a second host: <code>%s</code> (connected: "
		                  "<code>%s</code>). Give each machine its own key (/newkey).",
		               "⚠️ Ключ <b>%s</b> использует второй хост: <code>%s</code> (подключён: "
		               "<code>%s</code>). Дайте каждой машине свой ключ (/newkey)."),
		         label, other, mine);
	} else {
		snprintf(msg, sizeof(msg),
		         BOT_T(b, "⚠️ Key <b>%s</b>: a connection was refused, too many sessions on one key "
		                  "(%llu refused since the server started). A second host with this key?",
		               "⚠️ Ключ <b>%s</b>: подключение отклонено, слишком много сессий на одном ключе "
		               "(%llu отклонено с запуска сервера). Второй хост с этим ключом?"),
		         label, (unsigned long long)ev->refused);
	}
	bot_notify_owners(b, ev->secret, msg, NULL);
}

static void on_cmd_expired(struct bot *b, const struct bot_ev *ev, int64_t now)
{
	char label[4 * STORE_NAME_MAX + 16], cmd[4 * STORE_CMD_MAX + 8], at[32], msg[sizeof(label) + sizeof(cmd) + 300];
	if (!ev->cmd.chat_id)
		return;
	if (al_label(b, ev->cmd.secret, label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "%.6s…", ev->cmd.secret);
	bot_esc(ev->cmd.command, cmd, sizeof(cmd));
	al_fmt_time(ev->cmd.requested_at, now, at, sizeof(at));
	snprintf(msg, sizeof(msg),
	         BOT_T(b, "⌛ <b>%s</b> for <b>%s</b> (asked at %s) was dropped: the host did not "
	                  "connect in time (COMMAND_TTL).",
	               "⌛ Команда <b>%s</b> для <b>%s</b> (запрошена в %s) отменена: хост не "
	               "подключился вовремя (COMMAND_TTL)."),
	         cmd, label, at);
	al_outbox_send(b, ev->cmd.chat_id, msg, NULL);
}

void bot_alerts_on_event(struct bot *b, const struct bot_ev *ev)
{
	int64_t now = bot_now();
	struct al_host *h;
	if (!b->alerts)
		return;
	switch (ev->kind) {
	case BOT_EV_SAMPLE:
		check_reboot(b, ev);
		on_sample(b, ev, now);
		break;
	case BOT_EV_ONESHOT:
		check_reboot(b, ev);
		if ((h = al_host_find(b, ev->secret)) && h->last_rx < now)
			h->last_rx = now;
		break;
	case BOT_EV_DISCONNECTED:
		if ((h = al_host_find(b, ev->secret))) {
			struct al_host_in in = { .now = now, .down = 1, .disk_pct = NAN };
			h->disconnected = 1;
			in.offline_s = silent_for(h, now);
			in.quiet = host_quiet(h, now);
			evaluate(b, h, &in, NAN);
		}
		break;
	case BOT_EV_KEY_SHARED:
		on_key_shared(b, ev, now);
		break;
	case BOT_EV_CMD_EXPIRED:
		on_cmd_expired(b, ev, now);
		break;
	case BOT_EV_GOING_DOWN: {
		char who[80];
		bot_user_name(b, ev->cmd.requested_by, who, sizeof(who));
		bot_notify_going_down(b, ev->secret, !strncmp(ev->cmd.command, "reboot", 6) ? "reboot" : "shutdown",
		                      who);
		break;
	}
	default:
		break;
	}
}

void bot_notify_going_down(struct bot *b, const char *secret, const char *command,
                           const char *requested_by)
{
	struct al_host *h = al_host_get(b, secret);
	char label[4 * STORE_NAME_MAX + 16], who[512], cmd[64], msg[sizeof(label) + sizeof(who) + 200];
	int reboot = !strcmp(command, "reboot");
	if (!h || al_label(b, secret, label, sizeof(label)) < 0)
		return;
	/* the offline alerts wait: a reboot gets a few minutes, a shutdown
	 * until the host is back */
	h->expect_down_until = reboot ? bot_now() + AL_REBOOT_QUIET_S : INT64_MAX;
	h->expect_reboot = reboot;
	bot_esc(requested_by && *requested_by ? requested_by : "?", who, sizeof(who));
	bot_esc(command, cmd, sizeof(cmd));
	snprintf(msg, sizeof(msg),
	         BOT_T(b, "⏻ <b>%s</b> is going down: %s requested by %s.",
	               "⏻ <b>%s</b> выключается: %s по запросу %s."),
	         label, cmd, who);
	bot_notify_owners(b, secret, msg, NULL);
}

void bot_alerts_tick(struct bot *b, int64_t now)
{
	struct al_host *h, *next;
	if (!b->alerts)
		return;
	for (h = b->alerts->all; h; h = next) {
		next = h->next;
		tick_host(b, h, now);
	}
	outbox_retry(b, now);
}

/* ---- set-up ------------------------------------------------------------------------ */

static void load_rules(struct bot *b)
{
	struct store_alert *v;
	struct store_maint *m;
	size_t n, nm;
	if (store_alert_list(b->st, NULL, 0, &v, &n) == STORE_OK) {
		for (size_t i = 0; i < n; i++) {
			struct al_host *h = al_host_get(b, v[i].secret);
			if (h)
				al_rule_put(h, &v[i]);
		}
		free(v);
	}
	if (store_maint_list(b->st, &m, &nm) == STORE_OK) {
		for (size_t i = 0; i < nm; i++) {
			struct al_host *h = al_host_get(b, m[i].secret);
			if (h) {
				h->maint_until = m[i].until;
				h->maint_by = m[i].by;
			}
		}
		free(m);
	}
	for (struct al_host *h = b->alerts->all; h; h = h->next) {
		struct store_key k;
		if (store_key_get(b->st, h->secret, &k) == STORE_OK) {
			h->last_seen = k.last_seen;
			store_key_free(&k);
		}
	}
}

int bot_alerts_init(struct bot *b)
{
	b->alerts = calloc(1, sizeof(*b->alerts));
	if (!b->alerts)
		return -1;
	b->alerts->started = bot_now();
	load_rules(b);
	outbox_resend(b);
	return 0;
}

void bot_alerts_free(struct bot *b)
{
	struct al_out *o, *next;
	if (!b->alerts)
		return;
	while (b->alerts->all)
		host_unlink(b, b->alerts->all);
	for (o = b->alerts->out; o; o = next) {
		next = o->next;
		if (o->inflight)
			o->b = NULL; /* tg_free completes it later; its row stays for the next start */
		else
			out_free(o);
	}
	free(b->alerts);
	b->alerts = NULL;
}

void bot_alerts_forget_key(struct bot *b, const char *secret)
{
	struct al_host *h = al_host_find(b, secret);
	store_maint_set(b->st, secret, 0, 0, bot_now());
	if (h)
		host_unlink(b, h);
}
