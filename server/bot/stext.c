/* stext.c — what the status files share at the bottom: clean and escaped
 * texts, labels, units, callback_data that fits, the status keyboard, and
 * the key a command means (status_int.h). Calls nothing of cmd.c, status.c,
 * actions.c or list.c, so those never call each other in a loop. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/status_int.h"

/* ---- text helpers (status_int.h) ---------------------------------------- */

static size_t utf8_cut(const char *s, size_t max_chars, int *cut)
{
	size_t i = 0, chars = 0;
	*cut = 0;
	while (s[i]) {
		if (max_chars && chars == max_chars) {
			*cut = 1;
			break;
		}
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return i;
}

void st_clean(const char *s, size_t max_chars, char *out, size_t cap)
{
	int cut;
	size_t n = utf8_cut(s, max_chars, &cut), o = 0;
	if (!cap)
		return;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	/* never end inside a character */
	while (o > 0 && o < n && ((unsigned char)s[o] & 0xC0) == 0x80)
		o--;
	if (cut && o + 4 < cap) {
		memcpy(out + o, "\xe2\x80\xa6", 3);
		o += 3;
	}
	out[o] = '\0';
}

void st_add_clean(struct bot_buf *o, const char *s, size_t max_chars)
{
	char tmp[1024];
	st_clean(s ? s : "", max_chars, tmp, sizeof(tmp));
	bot_buf_esc(o, tmp);
}

void st_label(struct bot *b, const char *secret, char *out, size_t cap)
{
	struct store_key k;
	char raw[STORE_NAME_MAX + 8];
	memset(&k, 0, sizeof(k));
	if (store_key_get(b->st, secret, &k) == STORE_OK) {
		bot_key_label(&k, raw, sizeof(raw));
		store_key_free(&k);
	} else {
		snprintf(raw, sizeof(raw), "%.6s", secret);
	}
	st_clean(raw, ST_NAME_CHARS, out, cap);
}

int st_cbdata(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= cap || n > BOT_CB_MAX) ? -1 : 0;
}

void st_btn(struct bot_kb *k, const char *text, const char *fmt, ...)
{
	char data[BOT_CB_MAX + 16];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(data, sizeof(data), fmt, ap);
	va_end(ap);
	if (n > 0 && n <= BOT_CB_MAX)
		bot_kb_btn(k, text, data);
}

void st_fmt_bytes(double v, char *out, size_t cap)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;
	if (isnan(v)) {
		snprintf(out, cap, "N/A");
		return;
	}
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, units[u]);
}

void st_fmt_bits(double bytes_per_s, char *out, size_t cap)
{
	static const char *const units[] = { "bit/s", "Kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
	double v = bytes_per_s * 8;
	size_t u = 0;
	if (isnan(v)) {
		snprintf(out, cap, "N/A");
		return;
	}
	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	snprintf(out, cap, "%.1f %s", v, units[u]);
}

void st_fmt_uptime(struct bot *b, double s, char *out, size_t cap)
{
	long long t, d;
	if (isnan(s) || s < 0) {
		snprintf(out, cap, "-");
		return;
	}
	t = (long long)s;
	d = t / 86400;
	t %= 86400;
	if (d)
		snprintf(out, cap, "%lld%s %02lld:%02lld:%02lld", d, BOT_T(b, "d", " д"), t / 3600,
		         t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%02lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
}

/* ---- keyboards and keys ---- */

void st_status_kb(struct bot *b, struct bot_kb *k, const char *secret)
{
	st_btn(k, BOT_T(b, "🔢 List", "🔢 Список"), "ls");
	st_btn(k, BOT_T(b, "🔃 Refresh", "🔃 Обновить"), "st:%s", secret);
	bot_kb_row(k);
	st_btn(k, BOT_T(b, "📊 All", "📊 Все"), "ch:all:%s", secret);
	bot_kb_row(k);
	st_btn(k, "📊 CPU", "ch:cpu:%s", secret);
	st_btn(k, "📈 RAM", "ch:ram:%s", secret);
	st_btn(k, "🎮 GPU", "ch:gpu:%s", secret);
	st_btn(k, "🗄️ VRAM", "ch:vram:%s", secret);
	st_btn(k, "📡 Net", "ch:net:%s", secret);
	bot_kb_row(k);
	st_btn(k, "🏎️ Speedtest", "sp:%s", secret);
	st_btn(k, BOT_T(b, "📋 Diagnostics", "📋 Диагностика"), "dg:%s", secret);
	st_btn(k, BOT_T(b, "📶 Stability", "📶 Стабильность"), "sb:%s", secret);
	bot_kb_row(k);
	st_btn(k, "🔄 Reboot", "rb:%s", secret);
	st_btn(k, "⏻ Shutdown", "sd:%s", secret);
	bot_kb_row(k);
}

void st_edit_markup(struct bot *b, int64_t chat, int64_t msg_id, const char *markup_json)
{
	struct tg_args *a = tg_args_new();
	tg_args_int(a, "chat_id", chat);
	tg_args_int(a, "message_id", msg_id);
	tg_args_json(a, "reply_markup", markup_json);
	tg_call(b->tg, "editMessageReplyMarkup", chat, a, TG_REPLY, NULL, NULL);
}

static void join_args(int argc, char **argv, int from, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = from; i < argc; i++) {
		int w = snprintf(out + o, cap - o, "%s%s", i > from ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

int st_cmd_key(struct bot *b, const struct bot_msg *m, int argc, char **argv, int from,
               char secret_out[STORE_SECRET_MAX + 1])
{
	char want[STORE_NAME_MAX * 4 + 1];
	if (argc > from) {
		join_args(argc, argv, from, want, sizeof(want));
		return bot_user_key(b, m->chat_id, m->user_id, want, secret_out);
	}
	/* the chat's active key, only when this user owns it (a group chat's
	 * active key may be someone else's) */
	if (store_active_get(b->st, m->chat_id, secret_out) == STORE_OK &&
	    store_key_is_owner(b->st, secret_out, m->user_id) == 1)
		return 0;
	bot_send(b, m->chat_id,
	         BOT_T(b, "No active key. Create one with /newkey or choose one with /set.",
	               "Нет активного ключа. Создайте его через /newkey или выберите через /set."),
	         NULL, TG_REPLY, NULL, NULL);
	return -1;
}
