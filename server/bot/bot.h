/* bot.h — the Telegram bot (SPEC §7) as the rest of the server sees it:
 * started after the server is set up, fed agent events through the
 * server's hook, stopped before the server is freed. It runs on its own
 * thread with its own database connection, and talks to Telegram through
 * server/bot/tg.h; it reaches the loop only through server_post. */
#ifndef MONBOT_BOT_H
#define MONBOT_BOT_H

#include <stddef.h>

struct bot;
struct server;
struct agent_event;

/* Opens the bot's database connection, reads its persisted state and
 * starts its thread and the render workers (GRAPH_WORKERS). Installs
 * bot_hook as the server's hook. 0, or -1 with err. */
int bot_start(struct bot **out, struct server *srv, char *err, size_t errlen);
/* Stops polling, sends what is queued (a few seconds at most; alerts not
 * sent stay in the outbox for the next start), joins the threads, frees. */
void bot_stop(struct bot *b);

/* The server's hook (loop thread): copies what the bot needs of the event
 * and hands it to the bot thread. Never blocks. */
void bot_hook(void *ctx, const struct agent_event *ev);

#endif
