/* cmd.c — the bot's commands (SPEC §7): "/cmd@bot args" parsed and
 * dispatched; the key commands (/newkey /linkkey /set /renamekey /delkey)
 * here, /status and /list in status.c and list.c, alerts in alerts.c,
 * /plot in render.c. Handlers get argv[0] = the command's name (no '/',
 * no "@bot") and argv[1..] its words. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/bot/status_int.h"
#include "server/server.h"
#include "server/session.h"

#define CMD_ARGS_MAX 16

struct cmd_line {
	int argc;                        /* argv[0] is the command */
	char *argv[CMD_ARGS_MAX + 1];
	const char *rest[CMD_ARGS_MAX + 1]; /* the raw text from argv[i] on */
	char cmd[33];
	char words[sizeof(((struct bot_msg *)0)->text)];
	char raw[sizeof(((struct bot_msg *)0)->text)];
};

/* ---- parsing -------------------------------------------------------------- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1 for a command (maybe for another bot: cmd "" then), 0 for other text. */
static int cmd_parse(struct bot *b, const char *text, struct cmd_line *cl)
{
	size_t n = strlen(text), i = 0;
	char *at;

	memset(cl, 0, offsetof(struct cmd_line, words));
	memcpy(cl->raw, text, n + 1);
	while (n > 0 && is_space(cl->raw[n - 1]))
		cl->raw[--n] = '\0';
	memcpy(cl->words, cl->raw, n + 1);
	while (is_space(cl->words[i]))
		i++;
	if (cl->words[i] != '/')
		return 0;
	while (i < n && cl->argc < CMD_ARGS_MAX + 1) {
		while (is_space(cl->words[i]))
			i++;
		if (!cl->words[i])
			break;
		cl->argv[cl->argc] = cl->words + i;
		cl->rest[cl->argc] = cl->raw + i;
		cl->argc++;
		while (cl->words[i] && !is_space(cl->words[i]))
			i++;
		if (cl->words[i])
			cl->words[i++] = '\0';
	}
	cl->argv[0]++; /* the '/' */
	at = strchr(cl->argv[0], '@');
	if (at) {
		*at = '\0';
		/* "/status@otherbot" in a group is not ours */
		if (b->username[0] && strcasecmp(at + 1, b->username) != 0)
			return 1;
	}
	for (i = 0; cl->argv[0][i] && i + 1 < sizeof(cl->cmd); i++)
		cl->cmd[i] = (char)tolower((unsigned char)cl->argv[0][i]);
	cl->cmd[i] = '\0';
	cl->argv[0] = cl->cmd;
	return 1;
}

/* A name from the raw rest of a line: its first line, trimmed, cut. */
static void name_from(const char *rest, char *out, size_t cap)
{
	char line[STORE_NAME_MAX * 4];
	size_t n = 0;
	while (rest[n] && rest[n] != '\n' && rest[n] != '\r' && n + 1 < sizeof(line)) {
		line[n] = rest[n];
		n++;
	}
	while (n > 0 && is_space(line[n - 1]))
		n--;
	line[n] = '\0';
	st_clean(line, ST_NAME_CHARS, out, cap);
	/* a cut name carries no "…": it is a name, not a display */
	n = strlen(out);
	if (n >= 3 && memcmp(out + n - 3, "\xe2\x80\xa6", 3) == 0)
		out[n - 3] = '\0';
	if (n > STORE_NAME_MAX)
		out[STORE_NAME_MAX] = '\0';
}

/* ---- replies ---------------------------------------------------------------- */

static void reply(struct bot *b, const struct bot_msg *m, const char *html)
{
	bot_send(b, m->chat_id, html, NULL, TG_REPLY, NULL, NULL);
}

static void reply_buf(struct bot *b, const struct bot_msg *m, struct bot_buf *o)
{
	if (!o->oom && o->s)
		reply(b, m, o->s);
	bot_buf_free(o);
}

static void usage(struct bot *b, const struct bot_msg *m, const char *line)
{
	struct bot_buf o = { 0 };
	bot_buf_add(&o, BOT_T(b, "Usage: ", "Синтаксис: "));
	bot_buf_add(&o, line);
	reply_buf(b, m, &o);
}

/* ---- /start /help ------------------------------------------------------------ */

static void cmd_help(struct bot *b, const struct bot_msg *m, int greet)
{
	struct bot_buf o = { 0 };
	if (greet) {
		bot_buf_add(&o, BOT_T(b, "👋 Hi! I watch your machines.\n",
		                      "👋 Привет! Я бот-монитор.\n"));
	}
	bot_buf_add(&o, BOT_T(b,
		"<b>Commands:</b>\n"
		"/newkey [name] – create a key\n"
		"/linkkey &lt;key&gt; – get access to an existing key\n"
		"/set &lt;key or name&gt; – make a key active in this chat\n"
		"/list – your keys\n"
		"/status [key or name] – status and buttons\n"
		"/plot &lt;key or name&gt; &lt;metrics&gt; &lt;interval&gt; [limit] [unit] – a chart\n"
		"/renamekey &lt;key or name&gt; &lt;name&gt; – rename\n"
		"/delkey &lt;key or name&gt; – delete with its data\n"
		"/setalert &lt;key or name&gt; &lt;metric&gt; &lt;threshold&gt; [for=&lt;duration&gt;] "
		"[hyst=&lt;points&gt;] – set an alert\n"
		"/delalert &lt;key or name&gt; &lt;metric&gt; – remove an alert\n"
		"/setquota &lt;key or name&gt; &lt;GB&gt; &lt;day&gt; – traffic quota per billing period "
		"(resets on that day of the month)\n"
		"/mute &lt;key or name&gt; &lt;duration&gt; – maintenance: no alerts for a while\n"
		"/history [key or name] – the commands sent to a host and their answers",
		"<b>Команды:</b>\n"
		"/newkey [имя] – создать ключ\n"
		"/linkkey &lt;ключ&gt; – получить доступ к ключу\n"
		"/set &lt;ключ или имя&gt; – сделать ключ активным в этом чате\n"
		"/list – ваши ключи\n"
		"/status [ключ или имя] – статус и кнопки\n"
		"/plot &lt;ключ или имя&gt; &lt;метрики&gt; &lt;интервал&gt; [предел] [единицы] – график\n"
		"/renamekey &lt;ключ или имя&gt; &lt;имя&gt; – переименовать\n"
		"/delkey &lt;ключ или имя&gt; – удалить вместе с данными\n"
		"/setalert &lt;ключ или имя&gt; &lt;метрика&gt; &lt;порог&gt; [for=&lt;время&gt;] "
		"[hyst=&lt;пункты&gt;] – настроить алерт\n"
		"/delalert &lt;ключ или имя&gt; &lt;метрика&gt; – удалить алерт\n"
		"/setquota &lt;ключ или имя&gt; &lt;ГБ&gt; &lt;день&gt; – квота трафика за расчётный период "
		"(сброс в этот день месяца)\n"
		"/mute &lt;ключ или имя&gt; &lt;время&gt; – обслуживание: без алертов на время\n"
		"/history [ключ или имя] – команды хосту и ответы на них"));
	reply_buf(b, m, &o);
}

/* ---- key commands ---------------------------------------------------------- */

static void cmd_newkey(struct bot *b, const struct bot_msg *m, struct cmd_line *cl)
{
	char name[STORE_NAME_MAX + 1] = "", got[STORE_NAME_MAX + 1], secret[STORE_SECRET_MAX + 1];
	char line[512];
	struct bot_buf o = { 0 };
	int rc;

	if (cl->argc > 1)
		name_from(cl->rest[1], name, sizeof(name));
	rc = store_key_create(b->st, m->user_id, name, bot_now(), secret, got);
	if (rc == STORE_EEXIST) {
		reply(b, m, BOT_T(b, "❌ That name is taken.", "❌ Имя уже занято."));
		return;
	}
	if (rc != STORE_OK) {
		reply(b, m, BOT_T(b, "⚠️ Could not create a key, try again later.",
		                  "⚠️ Не удалось создать ключ, попробуйте позже."));
		return;
	}
	store_active_set(b->st, m->chat_id, secret);
	bot_buf_add(&o, BOT_T(b, "🔑 Key created: <code>", "🔑 Создан ключ: <code>"));
	bot_buf_esc(&o, secret);
	bot_buf_add(&o, BOT_T(b, "</code> (name: <b>", "</code> (название: <b>"));
	st_add_clean(&o, got, ST_NAME_CHARS);
	bot_buf_add(&o, BOT_T(b, "</b>). It is now active in this chat.\n",
	                      "</b>). Теперь он активный в этом чате.\n"));
	bot_buf_add(&o, BOT_T(b, "Start the agent with it:\n", "Запустите с ним агента:\n"));
	bot_buf_add(&o, "<code>AGENT_SECRET=");
	bot_buf_esc(&o, secret);
	bot_buf_add(&o, " AGENT_SERVER_IP=&lt;server&gt; monbot-agent</code>");
	/* the server's own one-line install, pinned to its certificate: dist is
	 * read-only once the bot starts (server/dist.h), so read here directly */
	if (dist_command(&b->srv->dist, secret, line, sizeof(line)) == 0) {
		bot_buf_add(&o, BOT_T(b, "\nor install it on a Linux host (as root):\n<code>",
		                      "\nили установите его на Linux-хост (от root):\n<code>"));
		bot_buf_esc(&o, line);
		bot_buf_add(&o, "</code>");
	}
	reply_buf(b, m, &o);
}

static void cmd_linkkey(struct bot *b, const struct bot_msg *m, struct cmd_line *cl)
{
	const char *secret;
	int rc;

	if (cl->argc != 2 || strlen(cl->argv[1]) > STORE_SECRET_MAX) {
		usage(b, m, BOT_T(b, "/linkkey &lt;key&gt;", "/linkkey &lt;ключ&gt;"));
		return;
	}
	/* by the secret only: knowing it is what grants access */
	secret = cl->argv[1];
	if (store_key_exists(b->st, secret) != 1) {
		reply(b, m, BOT_T(b, "🚫 Key not found.", "🚫 Ключ не найден."));
		return;
	}
	rc = store_key_add_owner(b->st, secret, m->user_id, bot_now());
	if (rc == 1) {
		reply(b, m, BOT_T(b, "✔️ You already have access.", "✔️ Уже есть доступ."));
		return;
	}
	if (rc < 0) {
		reply(b, m, BOT_T(b, "⚠️ Could not add the key, try again later.",
		                  "⚠️ Не удалось добавить ключ, попробуйте позже."));
		return;
	}
	store_active_set(b->st, m->chat_id, secret);
	reply(b, m, BOT_T(b, "✅ Key added and made active.", "✅ Ключ добавлен и сделан активным."));
}

static void cmd_set(struct bot *b, const struct bot_msg *m, struct cmd_line *cl)
{
	char secret[STORE_SECRET_MAX + 1];
	struct bot_buf o = { 0 };

	if (cl->argc < 2) {
		usage(b, m, BOT_T(b, "/set &lt;key or name&gt;", "/set &lt;ключ или имя&gt;"));
		return;
	}
	if (st_cmd_key(b, m, cl->argc, cl->argv, 1, secret) < 0)
		return;
	if (store_active_set(b->st, m->chat_id, secret) != STORE_OK) {
		reply(b, m, BOT_T(b, "⚠️ Try again later.", "⚠️ Попробуйте позже."));
		return;
	}
	bot_buf_add(&o, BOT_T(b, "✅ Active: <code>", "✅ Активный: <code>"));
	bot_buf_esc(&o, secret);
	bot_buf_add(&o, "</code>");
	reply_buf(b, m, &o);
}

static void cmd_renamekey(struct bot *b, const struct bot_msg *m, struct cmd_line *cl)
{
	char secret[STORE_SECRET_MAX + 1], name[STORE_NAME_MAX + 1];
	struct bot_buf o = { 0 };
	int rc;

	if (cl->argc < 3) {
		usage(b, m, BOT_T(b, "/renamekey &lt;key or name&gt; &lt;new name&gt;",
		                  "/renamekey &lt;ключ или имя&gt; &lt;новое имя&gt;"));
		return;
	}
	name_from(cl->rest[2], name, sizeof(name));
	if (!name[0]) {
		usage(b, m, BOT_T(b, "/renamekey &lt;key or name&gt; &lt;new name&gt;",
		                  "/renamekey &lt;ключ или имя&gt; &lt;новое имя&gt;"));
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, cl->argv[1], secret) < 0)
		return;
	rc = store_key_rename(b->st, m->user_id, secret, name);
	if (rc == STORE_EEXIST) {
		reply(b, m, BOT_T(b, "❌ That name is taken.", "❌ Имя уже занято."));
		return;
	}
	if (rc != STORE_OK) {
		reply(b, m, BOT_T(b, "⚠️ Could not rename, try again later.",
		                  "⚠️ Не удалось переименовать, попробуйте позже."));
		return;
	}
	bot_buf_add(&o, "✅ <code>");
	bot_buf_esc(&o, secret);
	bot_buf_add(&o, "</code> → <b>");
	st_add_clean(&o, name, ST_NAME_CHARS);
	bot_buf_add(&o, "</b>");
	reply_buf(b, m, &o);
}

/* Loop thread: the key is gone from the store; close its newest session
 * now (its others end at their next sample, which the store refuses), so
 * the agent reconnects, is refused with 403 and leaves the agents' table. */
static void delkey_on_loop(struct server *s, void *arg)
{
	char *secret = arg;
	struct agent *a = agents_find(&s->agents, secret);
	if (a && a->conn)
		session_close_with(a->conn, 1008, "key deleted");
	free(secret);
}

static void cmd_delkey(struct bot *b, const struct bot_msg *m, struct cmd_line *cl)
{
	char secret[STORE_SECRET_MAX + 1];
	struct bot_buf o = { 0 };
	char *copy;

	if (cl->argc < 2) {
		usage(b, m, BOT_T(b, "/delkey &lt;key or name&gt;", "/delkey &lt;ключ или имя&gt;"));
		return;
	}
	if (st_cmd_key(b, m, cl->argc, cl->argv, 1, secret) < 0)
		return;
	if (store_key_delete(b->st, secret) != STORE_OK) {
		reply(b, m, BOT_T(b, "⚠️ Could not delete, try again later.",
		                  "⚠️ Не удалось удалить, попробуйте позже."));
		return;
	}
	bot_alerts_forget_key(b, secret);
	bot_fleet_forget_key(b, secret);
	st_jobs_forget(b, secret);
	bot_host_forget(b, secret);
	copy = strdup(secret);
	if (copy && bot_loop_call(b, delkey_on_loop, copy) != 0)
		free(copy);
	bot_buf_add(&o, BOT_T(b, "🗑️ Key deleted: <code>", "🗑️ Удалён ключ: <code>"));
	bot_buf_esc(&o, secret);
	bot_buf_add(&o, "</code>");
	reply_buf(b, m, &o);
}

/* ---- the dispatcher ------------------------------------------------------- */

void bot_on_message(struct bot *b, const struct bot_msg *m)
{
	struct cmd_line *cl = malloc(sizeof(*cl));
	const char *c;

	if (!cl)
		return;
	if (!cmd_parse(b, m->text, cl)) {
		/* plain text: a hint in a private chat, silence in a group */
		if (m->chat_id > 0 && m->text[0])
			reply(b, m, BOT_T(b, "Send /help for the commands.", "Команды: /help"));
		goto out;
	}
	c = cl->cmd;
	if (!c[0])
		goto out;
	if (!strcmp(c, "start"))
		cmd_help(b, m, 1);
	else if (!strcmp(c, "help"))
		cmd_help(b, m, 0);
	else if (!strcmp(c, "newkey"))
		cmd_newkey(b, m, cl);
	else if (!strcmp(c, "linkkey"))
		cmd_linkkey(b, m, cl);
	else if (!strcmp(c, "set"))
		cmd_set(b, m, cl);
	else if (!strcmp(c, "list"))
		bot_cmd_list(b, m);
	else if (!strcmp(c, "status"))
		bot_cmd_status(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "renamekey"))
		cmd_renamekey(b, m, cl);
	else if (!strcmp(c, "delkey"))
		cmd_delkey(b, m, cl);
	else if (!strcmp(c, "setalert"))
		bot_cmd_setalert(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "setquota"))
		bot_cmd_setquota(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "delalert"))
		bot_cmd_delalert(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "mute"))
		bot_cmd_mute(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "plot"))
		bot_cmd_plot(b, m, cl->argc, cl->argv);
	else if (!strcmp(c, "history"))
		bot_cmd_history(b, m, cl->argc, cl->argv);
	else
		reply(b, m, BOT_T(b, "Unknown command. /help lists them.",
		                  "Неизвестная команда. Список: /help"));
out:
	free(cl);
}
