/* util.c — what every part of the bot writes with: HTML escaping for the
 * parse mode, growing texts, inline keyboards (callback_data ≤ 64 bytes),
 * messages split under Telegram's 4096, and the key lookups that carry the
 * ownership check. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/agents.h"
#include "server/bot/bot_int.h"
#include "server/log.h"

#define BOT_BUF_MAX (4u << 20) /* one text: far over anything Telegram takes */
#define SPLIT_AT (BOT_TEXT_MAX - 96) /* room for the continuation mark */

/* ---- texts ----------------------------------------------------------------- */

static int buf_grow(struct bot_buf *b, size_t more)
{
	size_t cap;
	char *s;

	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	if (b->len + more + 1 > BOT_BUF_MAX) {
		b->oom = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s) {
		b->oom = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

static void buf_addn(struct bot_buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n) != 0)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

void bot_buf_add(struct bot_buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

void bot_buf_addf(struct bot_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *esc_of(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	default: return NULL;
	}
}

void bot_buf_esc(struct bot_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *e = esc_of(*s);
		if (!e)
			continue;
		buf_addn(b, run, (size_t)(s - run));
		bot_buf_add(b, e);
		run = s + 1;
	}
	buf_addn(b, run, (size_t)(s - run));
}

char *bot_esc(const char *s, char *out, size_t cap)
{
	size_t o = 0, n;

	if (!cap)
		return out;
	for (; *s; s++) {
		const char *e = esc_of(*s);
		if (e) {
			n = strlen(e);
			if (o + n >= cap)
				break;
			memcpy(out + o, e, n);
			o += n;
		} else {
			if (o + 1 >= cap)
				break;
			out[o++] = *s;
		}
	}
	o = agents_utf8_cut(out, o, o);
	out[o] = 0;
	return out;
}

void bot_buf_free(struct bot_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

size_t bot_utf16_len(const char *s, size_t n)
{
	size_t i, u = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xc0) == 0x80)
			continue;
		u += c >= 0xf0 ? 2 : 1; /* a 4-byte sequence is a surrogate pair */
	}
	return u;
}

/* ---- keyboards ---------------------------------------------------------------- */

static void json_escape(struct bot_buf *b, const char *s)
{
	char u[8];

	bot_buf_add(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf_addn(b, "\\", 1);
			buf_addn(b, s, 1);
		} else if (c < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			bot_buf_add(b, u);
		} else {
			buf_addn(b, s, 1);
		}
	}
	bot_buf_add(b, "\"");
}

void bot_kb_init(struct bot_kb *k)
{
	memset(k, 0, sizeof(*k));
	bot_buf_add(&k->j, "{\"inline_keyboard\":[");
}

void bot_kb_btn(struct bot_kb *k, const char *text, const char *data)
{
	if (k->in_row < 0)
		return;
	if (strlen(data) > BOT_CB_MAX || !data[0] || !text[0]) {
		log_error("bot: a button's callback_data is %zu bytes (Telegram takes 1-64): dropped",
		          strlen(data));
		return;
	}
	if (!k->in_row)
		bot_buf_add(&k->j, k->rows++ ? ",[" : "[");
	else
		bot_buf_add(&k->j, ",");
	k->in_row++;
	bot_buf_add(&k->j, "{\"text\":");
	json_escape(&k->j, text);
	bot_buf_add(&k->j, ",\"callback_data\":");
	json_escape(&k->j, data);
	bot_buf_add(&k->j, "}");
}

void bot_kb_btnf(struct bot_kb *k, const char *text, const char *fmt, ...)
{
	char data[BOT_CB_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(data, sizeof(data), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > BOT_CB_MAX) {
		log_error("bot: a button's callback_data would be %d bytes: dropped", n);
		return;
	}
	bot_kb_btn(k, text, data);
}

void bot_kb_row(struct bot_kb *k)
{
	if (k->in_row > 0)
		bot_buf_add(&k->j, "]");
	k->in_row = 0;
}

const char *bot_kb_json(struct bot_kb *k)
{
	if (k->in_row >= 0) { /* -1: finished by an earlier call */
		bot_kb_row(k);
		bot_buf_add(&k->j, "]}");
		k->in_row = -1;
	}
	return k->j.oom ? "{\"inline_keyboard\":[]}" : k->j.s;
}

void bot_kb_free(struct bot_kb *k)
{
	bot_buf_free(&k->j);
}

/* ---- sending ------------------------------------------------------------------ */

/* Bytes of s that fit in max UTF-16 units, ending at a line end when one
 * is in reach (an entity never spans lines in our texts), else at a
 * character boundary outside a tag or an entity. */
static size_t split_len(const char *s, size_t n, size_t max)
{
	size_t i, u = 0, nl = 0, safe = 0;
	int in_tag = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xc0) != 0x80) {
			size_t w = c >= 0xf0 ? 2 : 1;
			if (u + w > max)
				break;
			u += w;
			if (!in_tag)
				safe = i;
		}
		if (c == '<' || c == '&')
			in_tag = 1;
		else if (c == '>' || c == ';')
			in_tag = 0;
		if (c == '\n')
			nl = i + 1;
	}
	if (i == n)
		return n;
	return nl ? nl : (safe ? safe : i);
}

static struct tg_args *text_args(int64_t chat, const char *html, size_t len, const char *markup)
{
	struct tg_args *a = tg_args_new();
	char *t = malloc(len + 1);

	tg_args_int(a, "chat_id", chat);
	if (t) {
		memcpy(t, html, len);
		t[len] = 0;
		tg_args_str(a, "text", t);
		free(t);
	}
	tg_args_str(a, "parse_mode", "HTML");
	tg_args_bool(a, "disable_web_page_preview", 1);
	if (markup)
		tg_args_json(a, "reply_markup", markup);
	return a;
}

int bot_send(struct bot *b, int64_t chat, const char *html, const char *markup_json,
             enum tg_class cls, tg_done_fn done, void *arg)
{
	size_t n = strlen(html), k;

	while (n > 0 && bot_utf16_len(html, n) > BOT_TEXT_MAX) {
		k = split_len(html, n, SPLIT_AT);
		if (k == 0)
			break;
		if (tg_call(b->tg, "sendMessage", chat, text_args(chat, html, k, NULL), cls, NULL,
		            NULL) != 0)
			return -1;
		html += k;
		n -= k;
		while (n && *html == '\n') {
			html++;
			n--;
		}
	}
	if (n == 0)
		html = "…", n = strlen(html);
	return tg_call(b->tg, "sendMessage", chat, text_args(chat, html, n, markup_json), cls, done,
	               arg);
}

int bot_edit(struct bot *b, int64_t chat, int64_t message_id, const char *html,
             const char *markup_json, tg_done_fn done, void *arg)
{
	size_t n = strlen(html);
	struct tg_args *a;

	if (bot_utf16_len(html, n) > BOT_TEXT_MAX)
		n = split_len(html, n, SPLIT_AT);
	a = text_args(chat, html, n, markup_json);
	tg_args_int(a, "message_id", message_id);
	/* Edits are not new messages: the per-chat second is for those, and a
	 * /status answered at once is edited as soon as the agent answers. An
	 * edit always follows the send it needs the message_id of. */
	return tg_call(b->tg, "editMessageText", 0, a, TG_REPLY, done, arg);
}

void bot_answer_cb(struct bot *b, const struct bot_cb *q, const char *text, int alert)
{
	struct tg_args *a = tg_args_new();

	tg_args_str(a, "callback_query_id", q->id);
	if (text && text[0])
		tg_args_str(a, "text", text);
	if (alert)
		tg_args_bool(a, "show_alert", 1);
	tg_call(b->tg, "answerCallbackQuery", 0, a, TG_ONCE, NULL, NULL);
}

/* ---- keys with their owners ------------------------------------------------------ */

static int secret_shaped(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n > 0 && n <= STORE_SECRET_MAX;
}

int bot_user_key(struct bot *b, int64_t chat, int64_t user, const char *key_or_name,
                 char secret_out[STORE_SECRET_MAX + 1])
{
	char esc[4 * STORE_NAME_MAX + 8], msg[sizeof(esc) + 256];
	int rc = store_key_resolve(b->st, user, key_or_name, secret_out);

	if (rc == STORE_OK)
		return 0;
	bot_esc(key_or_name, esc, sizeof(esc));
	if (rc == STORE_EAMBIG)
		snprintf(msg, sizeof(msg),
		         BOT_T(b, "⚠️ Several of your keys are named <b>%s</b>: use the key itself.",
		               "⚠️ Несколько ваших ключей называются <b>%s</b>: укажите сам ключ."),
		         esc);
	else if (rc == STORE_ENOKEY || rc == STORE_ENOTFOUND)
		snprintf(msg, sizeof(msg),
		         BOT_T(b, "❌ You have no key <b>%s</b>. /list shows yours.",
		               "❌ У вас нет ключа <b>%s</b>. /list покажет ваши."),
		         esc);
	else
		snprintf(msg, sizeof(msg), "%s",
		         BOT_T(b, "⚠️ The database is not answering; try again in a minute.",
		               "⚠️ База данных не отвечает; попробуйте через минуту."));
	bot_send(b, chat, msg, NULL, TG_REPLY, NULL, NULL);
	return -1;
}

int bot_owned_key(struct bot *b, const struct bot_cb *q, const char *secret)
{
	if (secret_shaped(secret) && store_key_is_owner(b->st, secret, q->user_id) == 1)
		return 1;
	log_info("bot: user %lld pressed a button for a key they do not own", (long long)q->user_id);
	bot_answer_cb(b, q, BOT_T(b, "⛔ That key is not yours (or no longer exists).",
	                          "⛔ Этот ключ не ваш (или его больше нет)."),
	              1);
	return 0;
}

void bot_key_label(const struct store_key *k, char *out, size_t cap)
{
	if (k->nickname[0])
		snprintf(out, cap, "%s", k->nickname);
	else
		snprintf(out, cap, "%.6s…", k->secret);
}
