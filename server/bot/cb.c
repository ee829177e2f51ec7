/* cb.c — the callback dispatcher: callback_data "<verb>:<args>" to the
 * part that owns the verb (charts: render.c, alerts: alerts.c, the status
 * message and the list: actions.c, list.c). Every callback is answered;
 * each part checks the key's owner itself (bot_owned_key). */
#include <string.h>

#include "server/bot/bot_int.h"

static int has_verb(const char *data, const char *verb)
{
	size_t n = strlen(verb);
	return strncmp(data, verb, n) == 0 && data[n] == ':';
}

void bot_on_callback(struct bot *b, const struct bot_cb *q)
{
	int done = 0;

	if (q->data[0]) {
		if (has_verb(q->data, "ch") || has_verb(q->data, "cr"))
			done = bot_render_callback(b, q);
		else if (has_verb(q->data, "al") || has_verb(q->data, "mu"))
			done = bot_alerts_callback(b, q);
		else
			done = bot_status_callback(b, q);
	}
	if (!done)
		bot_answer_cb(b, q, BOT_T(b, "Unknown button.", "Неизвестная кнопка."), 0);
}
