/* actions.c — the status message's keyboard and its callbacks, and the
 * actions' answers. Verbs (callback_data "<verb>:<args>", the secret last):
 *   st:S refresh in place      ss:S status as a new message   bk:S keyboard back
 *   sp:S speedtest             dg:S diagnostics
 *   sb:S stability: interval   sbi:MS:S duration              sbd:MS:SEC:S start
 *   rb:S / sd:S ask to confirm rby:S / sdy:S reboot / shutdown  no:S cancelled
 *   ls, lp:N (list.c); ch:M:S (render.c draws the charts)
 * Each one resolves S again through bot_owned_key. The agent's answer
 * (TEXT, DIAG, STABILITY) goes to the chat that asked: a job per action. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/bot/status_int.h"
#include "server/chart/chart.h"

static const unsigned stab_ms[] = { 1, 20, 50, 100, 200, 500 };
static const unsigned stab_s[] = { 300, 900, 3600, 21600, 43200, 86400 };

#define JOB_WAIT_MS (3 * 60 * 1000)   /* speedtest, diagnostics: the original's 3 min */
#define JOB_POWER_MS (2 * 60 * 1000)
#define JOB_STAB_EXTRA_MS (5 * 60 * 1000) /* stability: its duration and this (issue 11) */

/* ---- keyboards -------------------------------------------------------------- */

static void stab_dur_name(struct bot *b, unsigned s, char *out, size_t cap)
{
	if (s >= 86400)
		snprintf(out, cap, BOT_T(b, "%u d", "%u д"), s / 86400);
	else if (s >= 3600)
		snprintf(out, cap, BOT_T(b, "%u h", "%u ч"), s / 3600);
	else
		snprintf(out, cap, BOT_T(b, "%u min", "%u мин"), s / 60);
}

static void kb_interval(struct bot *b, struct bot_kb *k, const char *secret)
{
	char t[32];
	for (size_t i = 0; i < sizeof(stab_ms) / sizeof(stab_ms[0]); i++) {
		snprintf(t, sizeof(t), BOT_T(b, "%u ms", "%u мс"), stab_ms[i]);
		st_btn(k, t, "sbi:%u:%s", stab_ms[i], secret);
		if (i == 2)
			bot_kb_row(k);
	}
	bot_kb_row(k);
	st_btn(k, BOT_T(b, "◀️ Back", "◀️ Назад"), "bk:%s", secret);
	bot_kb_row(k);
}

static void kb_duration(struct bot *b, struct bot_kb *k, unsigned ms, const char *secret)
{
	char t[32];
	for (size_t i = 0; i < sizeof(stab_s) / sizeof(stab_s[0]); i++) {
		stab_dur_name(b, stab_s[i], t, sizeof(t));
		st_btn(k, t, "sbd:%u:%u:%s", ms, stab_s[i], secret);
		if (i == 2)
			bot_kb_row(k);
	}
	bot_kb_row(k);
	st_btn(k, BOT_T(b, "◀️ Back", "◀️ Назад"), "sb:%s", secret);
	bot_kb_row(k);
}

static void markup_of(struct bot *b, const struct bot_cb *q, int which, unsigned ms,
                      const char *secret)
{
	struct bot_kb k;
	bot_kb_init(&k);
	if (which == 0)
		st_status_kb(b, &k, secret);
	else if (which == 1)
		kb_interval(b, &k, secret);
	else
		kb_duration(b, &k, ms, secret);
	st_edit_markup(b, q->chat_id, q->message_id, bot_kb_json(&k));
	bot_kb_free(&k);
}

/* ---- jobs ------------------------------------------------------------------- */

struct job_sent { struct bot *b; uint64_t id; };

static void job_unlink(struct bot_status *bs, struct st_job **pp)
{
	struct st_job *j = *pp;
	*pp = j->next;
	free(j->final_html);
	free(j);
	bs->njobs--;
}

static struct st_job **job_by_id(struct bot_status *bs, uint64_t id)
{
	for (struct st_job **pp = &bs->jobs; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			return pp;
	return NULL;
}

static void job_sent(void *arg, const struct tg_result *r)
{
	struct job_sent *js = arg;
	struct bot_status *bs = js->b->status;
	struct st_job **pp = bs ? job_by_id(bs, js->id) : NULL;
	if (pp) {
		struct st_job *j = *pp;
		if (r->ok && j->final_html)
			bot_edit(js->b, j->chat, r->message_id, j->final_html, NULL, NULL, NULL);
		if (!r->ok || j->final_html)
			job_unlink(bs, pp);
		else
			j->msg_id = r->message_id;
	}
	free(js);
}

/* A job waiting for the agent's answer; its progress message is sent
 * (msg_id 0) or is an existing one. */
static void job_start(struct bot *b, enum st_job_kind kind, int64_t chat, int64_t msg_id,
                      int64_t user, const char *secret, int64_t wait_ms, const char *html)
{
	struct bot_status *bs = b->status;
	struct st_job *j, **pp;
	struct job_sent *js;

	if (bs->njobs >= ST_JOBS_MAX) {
		for (pp = &bs->jobs; (*pp)->next; pp = &(*pp)->next)
			;
		job_unlink(bs, pp);
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		bot_send(b, chat, html, NULL, TG_REPLY, NULL, NULL);
		return;
	}
	j->id = ++bs->seq;
	j->kind = kind;
	j->chat = chat;
	j->msg_id = msg_id;
	j->user = user;
	snprintf(j->secret, sizeof(j->secret), "%s", secret);
	j->deadline_ms = bot_mono_ms() + wait_ms;
	/* appended: answers are matched oldest first */
	for (pp = &bs->jobs; *pp; pp = &(*pp)->next)
		;
	*pp = j;
	bs->njobs++;
	if (msg_id) {
		bot_edit(b, chat, msg_id, html, NULL, NULL, NULL);
		return;
	}
	js = malloc(sizeof(*js));
	if (js) {
		js->b = b;
		js->id = j->id;
	}
	if (!js || bot_send(b, chat, html, NULL, TG_REPLY, job_sent, js) != 0)
		free(js);
}

void st_jobs_forget(struct bot *b, const char *secret)
{
	struct bot_status *bs = b->status;
	struct st_job **pp = &bs->jobs;
	while (*pp) {
		if (!strcmp((*pp)->secret, secret))
			job_unlink(bs, pp);
		else
			pp = &(*pp)->next;
	}
}

/* The answer's text into the job's progress message, now or once that
 * is sent (the per-chat rate may hold it back a second or more). */
static void job_say(struct bot *b, struct st_job **pp, const char *html)
{
	struct st_job *j = *pp;
	if (j->msg_id) {
		bot_edit(b, j->chat, j->msg_id, html, NULL, NULL, NULL);
		job_unlink(b->status, pp);
		return;
	}
	free(j->final_html);
	j->final_html = strdup(html);
	if (!j->final_html) {
		bot_send(b, j->chat, html, NULL, TG_REPLY, NULL, NULL);
		job_unlink(b->status, pp);
		return;
	}
	j->deadline_ms = bot_mono_ms() + ST_SEND_WAIT_MS; /* job_sent finishes it */
}

static void jobs_tick(struct bot *b, int64_t now_ms)
{
	struct bot_status *bs = b->status;
	struct st_job **pp = &bs->jobs;
	while (*pp) {
		struct st_job *j = *pp;
		if (j->deadline_ms > now_ms) {
			pp = &j->next;
			continue;
		}
		if (!j->final_html && j->msg_id && j->kind != ST_JOB_POWER)
			bot_edit(b, j->chat, j->msg_id,
			         BOT_T(b, "⚠️ The agent did not answer in time.",
			               "⚠️ Агент не ответил вовремя."), NULL, NULL, NULL);
		job_unlink(bs, pp);
	}
}

/* The oldest waiting job of secret: of kind want first; for a text (want
 * < 0, or a speedtest) else the oldest other one, a stability test last
 * (its results have their own event: a text there is a refusal). */
static struct st_job **job_find(struct bot *b, const char *secret, int want)
{
	struct st_job **pp, **any = NULL, **stab = NULL;
	for (pp = &b->status->jobs; *pp; pp = &(*pp)->next) {
		struct st_job *j = *pp;
		if (j->final_html || strcmp(j->secret, secret) != 0)
			continue;
		if ((int)j->kind == want)
			return pp;
		if (!any && j->kind != ST_JOB_STABILITY)
			any = pp;
		if (!stab && j->kind == ST_JOB_STABILITY)
			stab = pp;
	}
	if (want == ST_JOB_STABILITY || want == ST_JOB_DIAG)
		return NULL;
	return any ? any : stab;
}

/* ---- answers (bot_int.h) ---------------------------------------------------- */

static void on_text(struct bot *b, const struct bot_ev *ev)
{
	struct st_job **pp;
	struct bot_buf o = { 0 };
	const char *t = ev->text ? ev->text : "";

	pp = job_find(b, ev->secret, !strncmp(t, "Speedtest", 9) ? ST_JOB_SPEEDTEST : -1);
	if (!pp)
		return; /* nobody here asked (the CLI, another server) */
	bot_buf_esc(&o, t);
	if (!o.oom && o.s)
		job_say(b, pp, o.s);
	bot_buf_free(&o);
}

static void on_diag(struct bot *b, const struct bot_ev *ev)
{
	struct st_job **pp = job_find(b, ev->secret, ST_JOB_DIAG);
	struct tg_args *a;
	int64_t chat;

	if (!pp)
		return;
	chat = (*pp)->chat;
	if (!ev->diag_ok) {
		struct bot_buf o = { 0 };
		bot_buf_add(&o, BOT_T(b, "⚠️ Diagnostics failed.", "⚠️ Диагностика не удалась."));
		if (ev->text && ev->text[0]) {
			bot_buf_add(&o, "\n");
			bot_buf_esc(&o, ev->text);
		}
		if (!o.oom && o.s)
			job_say(b, pp, o.s);
		bot_buf_free(&o);
		return;
	}
	job_say(b, pp, BOT_T(b, "📄 Diagnostics ready.", "📄 Диагностика готова."));
	a = tg_args_new();
	tg_args_int(a, "chat_id", chat);
	tg_args_file(a, "document", "diagnostics.txt", "text/plain", ev->text ? ev->text : "",
	             ev->text ? ev->len : 0);
	tg_call(b->tg, "sendDocument", chat, a, TG_REPLY, NULL, NULL);
}

/* The report (the chart library's own figures, so the text and the chart
 * agree) into the progress message, and the chart as a photo after it. */
static void on_stability(struct bot *b, const struct bot_ev *ev)
{
	struct st_job **pp;
	struct bot_buf o = { 0 };
	struct chart_rtt_stats stx;
	int32_t iv = ev->stab_interval_ms ? (int32_t)ev->stab_interval_ms : 1;
	int64_t chat;

	if (!ev->stab_done || !(pp = job_find(b, ev->secret, ST_JOB_STABILITY)))
		return;
	chat = (*pp)->chat;
	if (ev->stab_error[0]) {
		bot_buf_add(&o, BOT_T(b, "⚠️ Stability test failed: ", "⚠️ Тест стабильности не удался: "));
		st_add_clean(&o, ev->stab_error, 200);
		goto say;
	}
	chart_rtt_stats_f(ev->rtts, ev->nrtts, iv, &stx);
	bot_buf_add(&o, BOT_T(b, "📶 <b>Stability test done</b>\n", "📶 <b>Тест стабильности завершён</b>\n"));
	bot_buf_addf(&o, BOT_T(b, "Packets: %zu, lost: %zu (%.1f%%)\n",
	                       "Пакетов: %zu, потеряно: %zu (%.1f%%)\n"),
	             stx.sent, stx.lost, stx.loss_pct);
	if (stx.sent > stx.lost)
		bot_buf_addf(&o, BOT_T(b, "Ping: %.1f ms average, jitter %.1f ms\n",
		                       "Пинг: в среднем %.1f мс, джиттер %.1f мс\n"),
		             stx.avg_ms, stx.jitter_ms);
	bot_buf_addf(&o, BOT_T(b, "Outages of 3 s or more: %zu", "Обрывов от 3 с: %zu"), stx.outages);
	for (size_t i = 0; i < stx.outages && i < CHART_RTT_OUTAGES_LISTED; i++) {
		double at = ev->stab_start + (double)stx.outage[i].first * iv / 1000.0;
		time_t tt = (time_t)at;
		struct tm tm;
		char hm[16];
		localtime_r(&tt, &tm);
		strftime(hm, sizeof(hm), "%H:%M:%S", &tm);
		bot_buf_addf(&o, BOT_T(b, "\n• %s, %.1f s", "\n• %s, %.1f с"), hm,
		             (double)stx.outage[i].n * iv / 1000.0);
	}
	if (stx.outages > CHART_RTT_OUTAGES_LISTED)
		bot_buf_addf(&o, BOT_T(b, "\n… and %zu more", "\n… и ещё %zu"), stx.outages - CHART_RTT_OUTAGES_LISTED);
say:
	if (!o.oom && o.s)
		job_say(b, pp, o.s);
	bot_buf_free(&o);
	if (!ev->stab_error[0] && ev->nrtts)
		bot_render_stability(b, chat, ev->secret, ev->rtts, ev->nrtts, ev->stab_start,
		                     ev->stab_interval_ms);
}

void bot_status_on_result(struct bot *b, const struct bot_ev *ev)
{
	if (ev->kind == BOT_EV_TEXT)
		on_text(b, ev);
	else if (ev->kind == BOT_EV_DIAG)
		on_diag(b, ev);
	else if (ev->kind == BOT_EV_STABILITY)
		on_stability(b, ev);
}

/* ---- callbacks ------------------------------------------------------------ */

static int in_set(unsigned v, const unsigned *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return 1;
	return 0;
}

/* Splits "verb:a:b:c" in place. Returns the number of parts. */
static int split(char *s, char **part, int max)
{
	int n = 0;
	while (n < max) {
		part[n++] = s;
		s = strchr(s, ':');
		if (!s)
			break;
		*s++ = '\0';
	}
	return s ? -1 : n;
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;
	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 1000000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void act_start(struct bot *b, const struct bot_cb *q, const char *secret,
                      enum st_job_kind kind, const char *command, int64_t wait_ms,
                      const char *head, int64_t edit_id)
{
	struct bot_host *h = bot_host_find(b, secret);
	struct bot_buf o = { 0 };
	char label[STORE_NAME_MAX + 8];

	st_label(b, secret, label, sizeof(label));
	bot_buf_add(&o, head);
	bot_buf_add(&o, " <b>");
	bot_buf_esc(&o, label);
	bot_buf_add(&o, "</b>…");
	if (!(h && h->online))
		bot_buf_add(&o, BOT_T(b, "\n🔴 The host is offline: the command waits for it.",
		                      "\n🔴 Хост офлайн: команда дождётся его."));
	if (bot_agent_command(b, secret, command, q->user_id, q->chat_id) != 0) {
		bot_answer_cb(b, q, BOT_T(b, "⚠️ Busy, try again.", "⚠️ Занято, попробуйте ещё раз."), 1);
		goto out;
	}
	bot_answer_cb(b, q, NULL, 0);
	if (!o.oom && o.s)
		job_start(b, kind, q->chat_id, edit_id, q->user_id, secret, wait_ms, o.s);
out:
	bot_buf_free(&o);
}

struct confirm_sent {
	struct bot *b;
	int64_t chat;
	int reboot;
	char secret[STORE_SECRET_MAX + 1];
};

static void confirm_sent(void *arg, const struct tg_result *r)
{
	struct confirm_sent *cs = arg;
	struct bot_status *bs = cs->b->status;
	if (bs && r->ok && r->message_id) {
		struct st_confirm *c = &bs->confirms[bs->confirm_next];
		bs->confirm_next = (bs->confirm_next + 1) % ST_CONFIRMS;
		c->chat = cs->chat;
		c->msg_id = r->message_id;
		c->at_ms = bot_mono_ms();
		c->reboot = cs->reboot;
		snprintf(c->secret, sizeof(c->secret), "%s", cs->secret);
	}
	free(cs);
}

/* Takes the question q's Yes answers: 1 when it is one sent here for this
 * key and kind within ST_CONFIRM_MS (used up), else 0. */
static int confirm_take(struct bot *b, const struct bot_cb *q, const char *secret, int reboot)
{
	struct bot_status *bs = b->status;
	for (unsigned i = 0; i < ST_CONFIRMS; i++) {
		struct st_confirm *c = &bs->confirms[i];
		if (!c->msg_id || c->chat != q->chat_id || c->msg_id != q->message_id)
			continue;
		int fresh = bot_mono_ms() - c->at_ms <= ST_CONFIRM_MS;
		int same = c->reboot == reboot && !strcmp(c->secret, secret);
		c->msg_id = 0;
		return fresh && same;
	}
	return 0;
}

static void ask_power(struct bot *b, const struct bot_cb *q, const char *secret, int reboot)
{
	struct bot_buf o = { 0 };
	struct bot_kb k;
	struct confirm_sent *cs;
	char raw[STORE_NAME_MAX + 8], label[STORE_NAME_MAX * 6 + 8];

	st_label(b, secret, raw, sizeof(raw));
	bot_esc(raw, label, sizeof(label));
	bot_buf_addf(&o, reboot ? BOT_T(b, "⚠️ Reboot <b>%s</b>?", "⚠️ Перезагрузить <b>%s</b>?")
	                        : BOT_T(b, "⚠️ Shut down <b>%s</b>?", "⚠️ Выключить <b>%s</b>?"),
	             label);
	bot_kb_init(&k);
	st_btn(&k, BOT_T(b, "✅ Yes", "✅ Да"), "%s:%s", reboot ? "rby" : "sdy", secret);
	st_btn(&k, BOT_T(b, "✖️ No", "✖️ Нет"), "no:%s", secret);
	bot_kb_row(&k);
	bot_answer_cb(b, q, NULL, 0);
	if (!o.oom && o.s && (cs = calloc(1, sizeof(*cs)))) {
		cs->b = b;
		cs->chat = q->chat_id;
		cs->reboot = reboot;
		snprintf(cs->secret, sizeof(cs->secret), "%s", secret);
		if (bot_send(b, q->chat_id, o.s, bot_kb_json(&k), TG_REPLY, confirm_sent, cs) != 0)
			free(cs);
	}
	bot_kb_free(&k);
	bot_buf_free(&o);
}

static const struct { const char *verb; int parts; } verbs[] = {
	{ "st", 2 }, { "ss", 2 }, { "bk", 2 }, { "sp", 2 }, { "dg", 2 }, { "sb", 2 },
	{ "sbi", 3 }, { "sbd", 4 }, { "rb", 2 }, { "sd", 2 }, { "rby", 2 }, { "sdy", 2 },
	{ "no", 2 },
};

static void act_dispatch(struct bot *b, const struct bot_cb *q, char **p, int n)
{
	const char *v = p[0], *secret = p[n - 1];
	unsigned ms = 0, dur = 0;
	char cmd[64];

	if (!strcmp(v, "st")) {
		bot_answer_cb(b, q, NULL, 0);
		st_show(b, q->chat_id, q->message_id, q->user_id, secret);
	} else if (!strcmp(v, "ss")) {
		bot_answer_cb(b, q, NULL, 0);
		st_show(b, q->chat_id, 0, q->user_id, secret);
	} else if (!strcmp(v, "bk")) {
		bot_answer_cb(b, q, NULL, 0);
		markup_of(b, q, 0, 0, secret);
	} else if (!strcmp(v, "sp")) {
		act_start(b, q, secret, ST_JOB_SPEEDTEST, "speedtest", JOB_WAIT_MS,
		          BOT_T(b, "⏳ Speed test on", "⏳ Тестируем скорость на"), 0);
	} else if (!strcmp(v, "dg")) {
		act_start(b, q, secret, ST_JOB_DIAG, "diag", JOB_WAIT_MS,
		          BOT_T(b, "⏳ Collecting diagnostics on", "⏳ Собираем диагностику на"), 0);
	} else if (!strcmp(v, "sb")) {
		bot_answer_cb(b, q, BOT_T(b, "Packet interval?", "Интервал пакетов?"), 0);
		markup_of(b, q, 1, 0, secret);
	} else if (!strcmp(v, "sbi") || !strcmp(v, "sbd")) {
		if (parse_uint(p[1], &ms) < 0 || !in_set(ms, stab_ms, 6) ||
		    (n == 4 && (parse_uint(p[2], &dur) < 0 || !in_set(dur, stab_s, 6)))) {
			bot_answer_cb(b, q, BOT_T(b, "Unknown button.", "Неизвестная кнопка."), 0);
			return;
		}
		if (n == 3) {
			bot_answer_cb(b, q, BOT_T(b, "Duration?", "Длительность?"), 0);
			markup_of(b, q, 2, ms, secret);
			return;
		}
		snprintf(cmd, sizeof(cmd), "stability %u %u", ms, dur);
		markup_of(b, q, 0, 0, secret);
		act_start(b, q, secret, ST_JOB_STABILITY, cmd, (int64_t)dur * 1000 + JOB_STAB_EXTRA_MS,
		          BOT_T(b, "⏳ Stability test started on", "⏳ Тест стабильности запущен на"), 0);
	} else if (!strcmp(v, "rb") || !strcmp(v, "sd")) {
		ask_power(b, q, secret, v[0] == 'r');
	} else if ((!strcmp(v, "rby") || !strcmp(v, "sdy")) && !confirm_take(b, q, secret, v[0] == 'r')) {
		/* a toast and the buttons gone; the text (maybe the agent's answer) stays */
		bot_answer_cb(b, q, BOT_T(b, "This question has expired.", "Вопрос устарел."), 0);
		st_edit_markup(b, q->chat_id, q->message_id, "{\"inline_keyboard\":[]}");
	} else if (!strcmp(v, "rby") || !strcmp(v, "sdy")) {
		act_start(b, q, secret, ST_JOB_POWER, v[0] == 'r' ? "reboot" : "shutdown", JOB_POWER_MS,
		          v[0] == 'r' ? BOT_T(b, "☑️ Reboot requested for", "☑️ Запрошена перезагрузка")
		                      : BOT_T(b, "☑️ Shutdown requested for", "☑️ Запрошено выключение"),
		          q->message_id);
	} else if (!strcmp(v, "no")) {
		bot_answer_cb(b, q, NULL, 0);
		bot_edit(b, q->chat_id, q->message_id, BOT_T(b, "✖️ Cancelled.", "✖️ Отменено."),
		         NULL, NULL, NULL);
	}
}

int bot_status_callback(struct bot *b, const struct bot_cb *q)
{
	char data[BOT_CB_MAX + 1], *p[4];
	int n;
	size_t i;

	if (st_list_callback(b, q))
		return 1;
	snprintf(data, sizeof(data), "%s", q->data);
	n = split(data, p, 4);
	if (n < 2)
		return 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(p[0], verbs[i].verb))
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return 0;
	if (n != verbs[i].parts) {
		bot_answer_cb(b, q, BOT_T(b, "Unknown button.", "Неизвестная кнопка."), 0);
		return 1;
	}
	/* callback_data is the client's: the key is checked again, every time */
	if (!bot_owned_key(b, q, p[n - 1]))
		return 1;
	act_dispatch(b, q, p, n);
	return 1;
}

/* ---- the part's life (bot_int.h) ------------------------------------------- */

int bot_status_init(struct bot *b)
{
	b->status = calloc(1, sizeof(*b->status));
	return b->status ? 0 : -1;
}

void bot_status_free(struct bot *b)
{
	struct bot_status *bs = b->status;
	if (!bs)
		return;
	st_waits_free(b);
	while (bs->jobs)
		job_unlink(bs, &bs->jobs);
	free(bs);
	b->status = NULL;
}

void bot_status_tick(struct bot *b, int64_t now_ms)
{
	st_waits_tick(b, now_ms);
	jobs_tick(b, now_ms);
}
