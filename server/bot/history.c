/* history.c — /history [key]: the command record of a key for its owners
 * (who asked what, when, what became of it and what the agent answered),
 * the same rows `monbot-server command-show` reads. Calls status_int.h's
 * key resolution and text helpers and the alerts' time format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/alerts_int.h"
#include "server/bot/status_int.h"

#define HIST_ROWS 10

struct hist {
	struct store_cmd c[HIST_ROWS];
	char ans[HIST_ROWS][STORE_HIST_ANSWER];
};

static const char *state_name(struct bot *b, int state)
{
	switch (state) {
	case STORE_CMD_QUEUED:
		return BOT_T(b, "queued", "в очереди");
	case STORE_CMD_DELIVERED:
		return BOT_T(b, "delivered", "доставлена");
	case STORE_CMD_ANSWERED:
		return BOT_T(b, "answered", "выполнена");
	case STORE_CMD_EXPIRED:
		return BOT_T(b, "expired", "истекла");
	default:
		return "?";
	}
}

void bot_cmd_history(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1], label[4 * STORE_NAME_MAX + 16], at[32], who[80];
	struct bot_buf o = { 0 };
	struct hist *h;
	int64_t now = bot_now();
	int n;

	if (st_cmd_key(b, m, argc, argv, 1, secret) < 0)
		return;
	if (!(h = calloc(1, sizeof(*h))))
		return;
	n = store_cmd_history(b->st, secret, h->c, h->ans, HIST_ROWS);
	st_label(b, secret, label, sizeof(label));
	if (n < 0) {
		bot_send(b, m->chat_id, BOT_T(b, "⚠️ The command record cannot be read now, try again later.",
		                             "⚠️ Журнал команд сейчас недоступен, попробуйте позже."),
		         NULL, TG_REPLY, NULL, NULL);
		free(h);
		return;
	}
	bot_buf_addf(&o, BOT_T(b, "📜 <b>Commands for %s</b>", "📜 <b>Команды для %s</b>"), label);
	if (n == 0)
		bot_buf_add(&o, BOT_T(b, "\nNone yet.", "\nПока нет."));
	for (int i = 0; i < n; i++) {
		const struct store_cmd *c = &h->c[i];
		al_fmt_time(c->requested_at, now, at, sizeof(at));
		bot_user_name(b, c->requested_by, who, sizeof(who));
		bot_buf_add(&o, "\n• ");
		bot_buf_esc(&o, at);
		bot_buf_add(&o, " <code>");
		st_add_clean(&o, c->command, 40);
		bot_buf_add(&o, "</code> — ");
		bot_buf_esc(&o, who);
		bot_buf_addf(&o, ", %s", state_name(b, c->state));
		if (h->ans[i][0]) {
			bot_buf_add(&o, ": ");
			st_add_clean(&o, h->ans[i], 120);
		}
	}
	if (!o.oom && o.s)
		bot_send(b, m->chat_id, o.s, NULL, TG_REPLY, NULL, NULL);
	bot_buf_free(&o);
	free(h);
}
