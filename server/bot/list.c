/* list.c — /list: the caller's keys with name, secret, CPU/RAM, uptime, a
 * stale marker (no sample for BOT_STALE_S) and the alert lines. The text is
 * split over several messages by bot_send; the keyboard (on the last one)
 * holds a page of LIST_PAGE key buttons ("ss:<secret>": the status as a new
 * message) and, with more keys than that, "lp:<page>" buttons that turn the
 * page in place — Telegram takes at most 100 buttons a keyboard. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/status_int.h"

#define LIST_PAGE 24
#define LIST_ROW 3

static void list_kb(struct bot *b, struct bot_kb *k, const struct store_key *keys, size_t n,
                    size_t page)
{
	size_t pages = (n + LIST_PAGE - 1) / LIST_PAGE, from, to, col = 0;
	char label[STORE_NAME_MAX + 8], t[48];

	bot_kb_init(k);
	if (!n)
		return;
	if (page >= pages)
		page = pages - 1;
	from = page * LIST_PAGE;
	to = from + LIST_PAGE < n ? from + LIST_PAGE : n;
	for (size_t i = from; i < to; i++) {
		char raw[STORE_NAME_MAX + 8];
		bot_key_label(&keys[i], raw, sizeof(raw));
		st_clean(raw, 20, label, sizeof(label));
		st_btn(k, label, "ss:%s", keys[i].secret);
		if (++col == LIST_ROW) {
			bot_kb_row(k);
			col = 0;
		}
	}
	if (col)
		bot_kb_row(k);
	if (pages > 1) {
		st_btn(k, "◀️", "lp:%zu", page ? page - 1 : pages - 1);
		snprintf(t, sizeof(t), "%zu/%zu", page + 1, pages);
		st_btn(k, t, "lp:%zu", page);
		st_btn(k, "▶️", "lp:%zu", page + 1 < pages ? page + 1 : 0);
		bot_kb_row(k);
	}
}

static void list_entry(struct bot *b, struct bot_buf *o, const struct store_key *k,
                       int64_t user, int64_t now)
{
	struct store_sample ss;
	char raw[STORE_NAME_MAX + 8], up[48];
	struct bot_buf al = { 0 };
	int have;

	bot_key_label(k, raw, sizeof(raw));
	bot_buf_add(o, "<b>");
	st_add_clean(o, raw, ST_NAME_CHARS);
	bot_buf_add(o, "</b> – <code>");
	bot_buf_esc(o, k->secret);
	bot_buf_add(o, "</code>\n• ");
	memset(&ss, 0, sizeof(ss));
	have = store_latest(b->st, k->secret, &ss) == STORE_OK;
	if (have) {
		double cpu = ss.row.v[SC_CPU], ram = ss.row.v[SC_RAM];
		st_fmt_uptime(b, ss.row.v[SC_UPTIME], up, sizeof(up));
		bot_buf_addf(o, "🖥️%.0f%% CPU, 🧠%.0f%% RAM, ⏳ %s", isnan(cpu) ? 0.0 : cpu,
		             isnan(ram) ? 0.0 : ram, up);
	} else {
		bot_buf_add(o, BOT_T(b, "no data", "нет данных"));
	}
	if (!have || now - ss.row.ts > BOT_STALE_S)
		bot_buf_add(o, BOT_T(b, " <b>❗ STALE DATA ❗</b>", " <b>❗ДАННЫЕ УСТАРЕЛИ❗</b>"));
	bot_buf_add(o, "\n");
	store_sample_free(&ss);
	bot_alerts_describe(b, k->secret, user, &al);
	if (al.s && al.len && !al.oom) {
		bot_buf_add(o, al.s);
		if (al.s[al.len - 1] != '\n')
			bot_buf_add(o, "\n");
	}
	bot_buf_free(&al);
	bot_buf_add(o, "\n");
}

static void list_text(struct bot *b, int64_t chat, int64_t user, const struct store_key *keys,
                      size_t n, struct bot_buf *o)
{
	char active[STORE_SECRET_MAX + 1];
	int64_t now = bot_now();

	if (!n)
		bot_buf_add(o, BOT_T(b, "No keys yet. /newkey creates one.",
		                     "Ключей нет. /newkey создаст."));
	else
		bot_buf_addf(o, BOT_T(b, "🔑 <b>Your keys</b> (%zu):", "🔑 <b>Ваши ключи</b> (%zu):"), n);
	if (store_active_get(b->st, chat, active) == STORE_OK &&
	    store_key_is_owner(b->st, active, user) == 1) {
		bot_buf_add(o, BOT_T(b, "\n<b>Active:</b> <code>", "\n<b>Активный:</b> <code>"));
		bot_buf_esc(o, active);
		bot_buf_add(o, "</code>");
	}
	bot_buf_add(o, "\n\n");
	for (size_t i = 0; i < n; i++)
		list_entry(b, o, &keys[i], user, now);
	while (o->len && o->s[o->len - 1] == '\n')
		o->s[--o->len] = '\0';
}

/* Sends the list (edit_msg_id: edits that message instead when the text
 * fits in one). */
void st_list_show(struct bot *b, int64_t chat, int64_t user, int64_t edit_msg_id)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	struct bot_buf o = { 0 };
	struct bot_kb k;

	if (store_key_list(b->st, user, &keys, &n) < 0) {
		bot_send(b, chat, BOT_T(b, "⚠️ Try again later.", "⚠️ Попробуйте позже."), NULL,
		         TG_REPLY, NULL, NULL);
		return;
	}
	list_text(b, chat, user, keys, n, &o);
	list_kb(b, &k, keys, n, 0);
	if (!o.oom && o.s) {
		const char *kb = n ? bot_kb_json(&k) : NULL;
		if (edit_msg_id && bot_utf16_len(o.s, o.len) <= BOT_TEXT_MAX)
			bot_edit(b, chat, edit_msg_id, o.s, kb, NULL, NULL);
		else
			bot_send(b, chat, o.s, kb, TG_REPLY, NULL, NULL);
	}
	bot_kb_free(&k);
	bot_buf_free(&o);
	store_keys_free(keys, n);
}

void bot_cmd_list(struct bot *b, const struct bot_msg *m)
{
	st_list_show(b, m->chat_id, m->user_id, 0);
}

/* "ls" and "lp:<page>": only the caller's own keys are ever listed. */
int st_list_callback(struct bot *b, const struct bot_cb *q)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	unsigned long page;
	char *end;
	struct bot_kb k;

	if (!strcmp(q->data, "ls")) {
		bot_answer_cb(b, q, NULL, 0);
		st_list_show(b, q->chat_id, q->user_id, q->message_id);
		return 1;
	}
	if (strncmp(q->data, "lp:", 3) != 0)
		return 0;
	page = strtoul(q->data + 3, &end, 10);
	if (q->data[3] < '0' || q->data[3] > '9' || *end || page > 100000) {
		bot_answer_cb(b, q, BOT_T(b, "Unknown button.", "Неизвестная кнопка."), 0);
		return 1;
	}
	bot_answer_cb(b, q, NULL, 0);
	if (store_key_list(b->st, q->user_id, &keys, &n) < 0)
		return 1;
	list_kb(b, &k, keys, n, page);
	if (n)
		st_edit_markup(b, q->chat_id, q->message_id, bot_kb_json(&k));
	bot_kb_free(&k);
	store_keys_free(keys, n);
	return 1;
}
