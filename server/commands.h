/* commands.h — the loop's calls to the database thread on agents' behalf,
 * above the sessions: the key check that precedes every session, commands
 * for agents (SPEC §7) and their delivery, expiry and give-back. Loop
 * thread only (other threads: server_post). */
#ifndef MONBOT_SERVER_COMMANDS_H
#define MONBOT_SERVER_COMMANDS_H

#include <stdint.h>

struct client;
struct server;
struct ev_loop;
struct ev_timer;

/* The upgrade handler: GET /ws/<secret> was routed; check the key in the
 * store, then start the session (or answer 403/503). */
void commands_keycheck(struct client *c);

/* A command for a key from the bot (requested_by: Telegram user, chat_id:
 * where to report). Sent at once to a connected agent (and recorded as
 * delivered), otherwise queued in the store with COMMAND_TTL for
 * reboot/shutdown. Returns 1 sent now, 0 queued, or a negative STORE_E*. */
int commands_send(struct server *s, const char *secret, const char *command,
                  int64_t requested_by, int64_t chat_id);

/* The periodic sweep of expired commands (arg: the server); re-arms. */
void commands_expire_tick(struct ev_loop *loop, struct ev_timer *t, void *arg);

/* The periodic look for commands queued by another process (the CLI,
 * later another server instance) for keys with a session here; those are
 * taken and delivered as at connect. arg: the server; re-arms. */
void commands_poll_tick(struct ev_loop *loop, struct ev_timer *t, void *arg);

#endif
