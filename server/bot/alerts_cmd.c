/* alerts_cmd.c — /setalert, /delalert, /mute, the alert buttons ("mu:"
 * mute a rule, "al:" maintenance) and the alert lines of /status and
 * /list. Every button resolves its key again through bot_owned_key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/bot/alerts_int.h"

static void reply(struct bot *b, const struct bot_msg *m, const char *html)
{
	bot_send(b, m->chat_id, html, NULL, TG_REPLY, NULL, NULL);
}

static void reply_buf(struct bot *b, const struct bot_msg *m, struct bot_buf *o, const char *markup)
{
	if (!o->oom && o->s)
		bot_send(b, m->chat_id, o->s, markup, TG_REPLY, NULL, NULL);
	bot_buf_free(o);
}

static const char *db_down(struct bot *b)
{
	return BOT_T(b, "⚠️ The database is not answering; try again in a minute.",
	             "⚠️ База данных не отвечает; попробуйте через минуту.");
}

/* The caller's rules, for the usage text. */
static void list_rules(struct bot *b, int64_t user, struct bot_buf *o)
{
	struct store_alert *v;
	size_t n;
	char label[4 * STORE_NAME_MAX + 16];
	if (store_alert_list(b->st, NULL, user, &v, &n) != STORE_OK || !n)
		return;
	bot_buf_add(o, BOT_T(b, "\n\n<b>Your alerts:</b>", "\n\n<b>Ваши алерты:</b>"));
	for (size_t i = 0; i < n; i++) {
		if (al_label(b, v[i].secret, label, sizeof(label)) < 0)
			continue;
		bot_buf_addf(o, "\n• <b>%s</b>: ", label);
		al_describe_rule(b, o, &v[i]);
	}
	free(v);
}

static const char *perr_text(struct bot *b, enum al_perr e)
{
	switch (e) {
	case AL_PE_METRIC:
		return BOT_T(b, "❌ Unknown metric. Metrics: cpu, ram, gpu, vram, disk, cpu_temp, gpu_temp, offline; "
		                "container, unit, smart, ups_battery, ups_charge (traffic: /setquota).",
		             "❌ Неизвестная метрика. Метрики: cpu, ram, gpu, vram, disk, cpu_temp, gpu_temp, offline; "
		             "container, unit, smart, ups_battery, ups_charge (трафик: /setquota).");
	case AL_PE_NUMBER:
		return BOT_T(b, "❌ The threshold must be a number (offline: a duration such as 90, 5m, 1h).",
		             "❌ Порог должен быть числом (offline: время, например 90, 5m, 1h).");
	case AL_PE_RANGE:
		return BOT_T(b, "❌ Threshold out of range: percent 0–100, temperatures −50–150 °C, "
		                "offline 10 s–30 d.",
		             "❌ Порог вне диапазона: проценты 0–100, температуры −50–150 °C, "
		             "offline 10 с–30 д.");
	case AL_PE_DURATION:
		return BOT_T(b, "❌ Bad duration: use 30s, 15m, 2h, 1d (for= up to 30 d; remind= at least 5m).",
		             "❌ Неверное время: 30s, 15m, 2h, 1d (for= до 30 д; remind= не меньше 5m).");
	case AL_PE_HYST:
		return BOT_T(b, "❌ hyst= takes points, 0 or more and not beyond the metric's range.",
		             "❌ hyst= — пункты, от 0 и не за пределы диапазона метрики.");
	case AL_PE_OPTION:
		return BOT_T(b, "❌ Unknown option: only for=, hyst= and remind=.",
		             "❌ Неизвестный параметр: только for=, hyst= и remind=.");
	default:
		return "";
	}
}

void bot_cmd_setalert(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1], label[4 * STORE_NAME_MAX + 16];
	struct store_alert a;
	struct bot_buf o = { 0 };
	struct al_host *h;
	enum al_perr e;
	if (argc < 4 && !(argc == 3 && al_metric_kind(argv[2]) == AL_K_FLEET &&
	                  al_fleet_no_threshold(argv[2]))) {
		al_usage(b, &o);
		list_rules(b, m->user_id, &o);
		reply_buf(b, m, &o, NULL);
		return;
	}
	memset(&a, 0, sizeof(a));
	if ((e = al_parse_rule(argc - 2, argv + 2, &a)) != AL_PE_OK) {
		reply(b, m, perr_text(b, e));
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, argv[1], secret) < 0)
		return;
	a.user = m->user_id;
	snprintf(a.secret, sizeof(a.secret), "%s", secret);
	if (store_alert_set(b->st, &a) != STORE_OK || !(h = al_host_get(b, secret)) ||
	    al_rule_put(h, &a) != 0) {
		reply(b, m, db_down(b));
		return;
	}
	if (al_label(b, secret, label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "?");
	bot_buf_addf(&o, BOT_T(b, "✅ Alert for <b>%s</b>: ", "✅ Алерт для <b>%s</b>: "), label);
	al_describe_rule(b, &o, &a);
	bot_buf_add(&o, ".");
	if (m->chat_id != m->user_id)
		bot_buf_add(&o, BOT_T(b, "\nAlerts come to you in a private chat with the bot.",
		                      "\nАлерты приходят вам в личный чат с ботом."));
	reply_buf(b, m, &o, NULL);
}

void bot_cmd_delalert(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1], metric[17];
	struct al_host *h;
	size_t n;
	int rc;
	if (argc < 3) {
		reply(b, m, BOT_T(b, "Usage: /delalert &lt;key or name&gt; &lt;metric&gt;",
		                  "Синтаксис: /delalert &lt;ключ или имя&gt; &lt;метрика&gt;"));
		return;
	}
	n = strlen(argv[2]);
	for (size_t i = 0; i < n && i < sizeof(metric) - 1; i++)
		metric[i] = (char)(argv[2][i] >= 'A' && argv[2][i] <= 'Z' ? argv[2][i] + 32 : argv[2][i]);
	metric[n < sizeof(metric) ? n : sizeof(metric) - 1] = 0;
	if (n >= sizeof(metric) || al_metric_kind(metric) == AL_K_NONE) {
		reply(b, m, perr_text(b, AL_PE_METRIC));
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, argv[1], secret) < 0)
		return;
	rc = store_alert_delete(b->st, m->user_id, secret, metric);
	if (rc == STORE_ENOTFOUND) {
		reply(b, m, BOT_T(b, "❌ No such alert.", "❌ Алерт не найден."));
		return;
	}
	if (rc != STORE_OK) {
		reply(b, m, db_down(b));
		return;
	}
	if ((h = al_host_find(b, secret)))
		al_rule_del(h, m->user_id, metric);
	reply(b, m, BOT_T(b, "🗑️ Alert removed.", "🗑️ Алерт удалён."));
}

static void maint_markup(struct bot_kb *k, struct bot *b, const char *secret)
{
	char data[STORE_SECRET_MAX + 16];
	bot_kb_init(k);
	if (snprintf(data, sizeof(data), "al:mo:%s", secret) <= BOT_CB_MAX)
		bot_kb_btn(k, BOT_T(b, "🔔 End maintenance", "🔔 Закончить обслуживание"), data);
}

/* The maintenance text for its owner: started or ended. */
static void maint_text(struct bot *b, struct bot_buf *o, const char *label, int64_t until, int64_t now)
{
	char at[32], d[24];
	if (!until) {
		bot_buf_addf(o, BOT_T(b, "🔔 <b>%s</b>: maintenance ended, alerts are on.",
		                      "🔔 <b>%s</b>: обслуживание закончено, алерты включены."),
		             label);
		return;
	}
	al_fmt_time(until, now, at, sizeof(at));
	al_fmt_duration(until - now, d, sizeof(d));
	bot_buf_addf(o, BOT_T(b, "🛠 <b>%s</b> is in maintenance until %s (%s): no alert messages until then.",
	                      "🛠 <b>%s</b> на обслуживании до %s (%s): до тех пор без алертов."),
	             label, at, d);
}

void bot_cmd_mute(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1], label[4 * STORE_NAME_MAX + 16];
	int64_t now = bot_now(), d = 0, until;
	struct bot_buf o = { 0 };
	struct al_host *h;
	struct bot_kb k;
	int off;
	if (argc < 3) {
		reply(b, m, BOT_T(b, "Usage: /mute &lt;key or name&gt; &lt;duration&gt; (30m, 2h, 1d; up to 30 d) "
		                     "or /mute &lt;key or name&gt; off",
		                  "Синтаксис: /mute &lt;ключ или имя&gt; &lt;время&gt; (30m, 2h, 1d; до 30 д) "
		                  "или /mute &lt;ключ или имя&gt; off"));
		return;
	}
	off = !strcasecmp(argv[2], "off");
	if (!off && (al_parse_duration(argv[2], &d) != 0 || d < 60)) {
		reply(b, m, BOT_T(b, "❌ Bad duration: use 30m, 2h, 1d (1 min to 30 d), or off.",
		                  "❌ Неверное время: 30m, 2h, 1d (от 1 мин до 30 д) или off."));
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, argv[1], secret) < 0)
		return;
	until = off ? 0 : now + d;
	if (!(h = al_host_get(b, secret)) || al_maint_set(b, h, until, m->user_id, m->chat_id) != STORE_OK) {
		reply(b, m, db_down(b));
		return;
	}
	if (al_label(b, secret, label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "?");
	maint_text(b, &o, label, until, now);
	if (until) {
		maint_markup(&k, b, secret);
		reply_buf(b, m, &o, bot_kb_json(&k));
		bot_kb_free(&k);
	} else {
		reply_buf(b, m, &o, NULL);
	}
}

/* ---- buttons ----------------------------------------------------------------------- */

/* "mu:1h:<metric|*>:<secret>", "mu:rc:<metric|*>:<secret>" */
static int cb_mute(struct bot *b, const struct bot_cb *q, const char *args)
{
	char how[4], metric[17], secret[STORE_SECRET_MAX + 1];
	const char *p = strchr(args, ':'), *r;
	int64_t now = bot_now(), until;
	struct al_host *h;
	int hit = 0;
	if (!p || p - args >= (long)sizeof(how) || !(r = strchr(p + 1, ':')) ||
	    r - p - 1 >= (long)sizeof(metric) || strlen(r + 1) > STORE_SECRET_MAX)
		return 0;
	snprintf(how, sizeof(how), "%.*s", (int)(p - args), args);
	snprintf(metric, sizeof(metric), "%.*s", (int)(r - p - 1), p + 1);
	snprintf(secret, sizeof(secret), "%s", r + 1);
	if (strcmp(how, "1h") && strcmp(how, "rc"))
		return 0;
	if (!bot_owned_key(b, q, secret))
		return 1;
	until = how[0] == '1' ? now + 3600 : -1;
	h = al_host_find(b, secret);
	for (size_t i = 0; h && i < h->n; i++) {
		struct store_alert *a = &h->rules[i];
		if (a->user != q->user_id || (strcmp(metric, "*") && strcmp(metric, a->metric)))
			continue;
		/* "until recovered" means something only while it fires */
		if (until == -1 && a->state != STORE_AL_FIRING && a->state != STORE_AL_UNKNOWN)
			continue;
		a->muted_until = until;
		store_alert_update(b->st, a);
		hit++;
	}
	if (!hit)
		bot_answer_cb(b, q, until == -1 ? BOT_T(b, "✅ Nothing is firing any more.", "✅ Уже ничего не горит.")
		                                : BOT_T(b, "❌ No such alert (deleted?).", "❌ Такого алерта нет (удалён?)."), 0);
	else
		bot_answer_cb(b, q, until == -1 ? BOT_T(b, "🔕 Muted until it recovers.", "🔕 Без уведомлений до восстановления.")
		                                : BOT_T(b, "🔕 Muted for 1 hour.", "🔕 Без уведомлений на 1 час."), 0);
	return 1;
}

/* "al:mt:<seconds>:<secret>" maintenance, "al:mo:<secret>" its end */
static int cb_maint(struct bot *b, const struct bot_cb *q, const char *args)
{
	char secret[STORE_SECRET_MAX + 1], label[4 * STORE_NAME_MAX + 16];
	int64_t now = bot_now(), d = 0, until = 0;
	struct bot_buf o = { 0 };
	struct al_host *h;
	const char *s;
	if (!strncmp(args, "mt:", 3)) {
		char *end;
		d = strtoll(args + 3, &end, 10);
		if (*end != ':' || d < 60 || d > AL_DURATION_MAX_S)
			return 0;
		s = end + 1;
		until = now + d;
	} else if (!strncmp(args, "mo:", 3)) {
		s = args + 3;
	} else {
		return 0;
	}
	if (strlen(s) > STORE_SECRET_MAX)
		return 0;
	snprintf(secret, sizeof(secret), "%s", s);
	if (!bot_owned_key(b, q, secret))
		return 1;
	if (!(h = al_host_get(b, secret)) || al_maint_set(b, h, until, q->user_id, q->chat_id) != STORE_OK) {
		bot_answer_cb(b, q, db_down(b), 1);
		return 1;
	}
	bot_answer_cb(b, q, until ? BOT_T(b, "🛠 Maintenance on.", "🛠 Обслуживание включено.")
	                          : BOT_T(b, "🔔 Maintenance ended.", "🔔 Обслуживание закончено."), 0);
	if (al_label(b, secret, label, sizeof(label)) == 0) {
		maint_text(b, &o, label, until, now);
		if (!o.oom && o.s)
			bot_send(b, q->chat_id, o.s, NULL, TG_REPLY, NULL, NULL);
	}
	bot_buf_free(&o);
	return 1;
}

int bot_alerts_callback(struct bot *b, const struct bot_cb *q)
{
	if (!b->alerts)
		return 0;
	if (!strncmp(q->data, "mu:", 3))
		return cb_mute(b, q, q->data + 3);
	if (!strncmp(q->data, "al:", 3))
		return cb_maint(b, q, q->data + 3);
	return 0;
}

/* ---- /status and /list ---------------------------------------------------------------- */

static void mute_note(struct bot *b, struct bot_buf *out, const struct store_alert *a, int64_t now)
{
	char at[32];
	if (a->muted_until == -1) {
		bot_buf_add(out, BOT_T(b, " · 🔕 until recovered", " · 🔕 до восстановления"));
	} else if (a->muted_until > now) {
		al_fmt_time(a->muted_until, now, at, sizeof(at));
		bot_buf_addf(out, BOT_T(b, " · 🔕 until %s", " · 🔕 до %s"), at);
	}
}

void bot_alerts_describe(struct bot *b, const char *secret, int64_t user, struct bot_buf *out)
{
	struct al_host *h = al_host_find(b, secret);
	int64_t now = bot_now();
	char at[32], thr[48];
	if (!h)
		return;
	if (al_maint_active(h, now)) {
		al_fmt_time(h->maint_until, now, at, sizeof(at));
		bot_buf_addf(out, BOT_T(b, "🛠 maintenance until %s\n", "🛠 обслуживание до %s\n"), at);
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct store_alert *a = &h->rules[i];
		const char *ml = al_metric_label(b, a->metric);
		if (a->user != user)
			continue;
		al_fmt_threshold(a, thr, sizeof(thr));
		al_fmt_time(a->since, now, at, sizeof(at));
		if (a->state == STORE_AL_FIRING)
			bot_buf_addf(out, BOT_T(b, "🔴 %s %s firing since %s", "🔴 %s %s горит с %s"), ml, thr, at);
		else if (a->state == STORE_AL_UNKNOWN && al_announced(a))
			bot_buf_addf(out, BOT_T(b, "❔ %s %s firing since %s, host silent",
			                        "❔ %s %s горит с %s, хост молчит"), ml, thr, at);
		else if (a->state == STORE_AL_PENDING)
			bot_buf_addf(out, BOT_T(b, "🟡 %s %s pending since %s", "🟡 %s %s ожидание с %s"), ml, thr, at);
		else if (al_muted(a, now))
			bot_buf_addf(out, BOT_T(b, "🔕 %s %s muted", "🔕 %s %s без уведомлений"), ml, thr);
		else
			continue;
		mute_note(b, out, a, now);
		bot_buf_add(out, "\n");
	}
}
