/* store_keys.h — what the store keeps besides samples, on the synchronous
 * handle of store.h: keys (agents, owners, names), the active key per
 * chat, alert rules, the command queue, small meta values, and the
 * one-time import of the original's state. Same return convention as
 * store.h: 0 (or a count) on success, a negative STORE_E* code on failure. */
#ifndef MONBOT_STORE_KEYS_H
#define MONBOT_STORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* ---- keys (agents) -------------------------------------------------------- */

struct store_key {
	char secret[STORE_SECRET_MAX + 1];
	char nickname[STORE_NAME_MAX + 1]; /* "" when none (imported) */
	int64_t created, last_seen;        /* last_seen: newest sample or contact */
	char *host;                        /* host info JSON or NULL */
	size_t nowners;
	int64_t *owners;                   /* Telegram user ids, oldest first */
};

/* New 20-character secret (getrandom(2), letters and digits) owned by owner
 * (0 = no owner, the CLI without --owner). name NULL or "": key1, key2...
 * (smallest free among the owner's keys). Names are unique per owner:
 * STORE_EEXIST. secret_out/name_out may be NULL. */
int store_key_create(struct store *st, int64_t owner, const char *name, int64_t now,
                     char secret_out[STORE_SECRET_MAX + 1], char name_out[STORE_NAME_MAX + 1]);
/* 1 if the key exists, 0 if not. */
int store_key_exists(struct store *st, const char *secret);
int store_key_get(struct store *st, const char *secret, struct store_key *out);
/* Keys of one owner (STORE_ANY_OWNER: all), by creation. Free with
 * store_keys_free. */
int store_key_list(struct store *st, int64_t owner, struct store_key **out, size_t *n);
void store_keys_free(struct store_key *keys, size_t n);
void store_key_free(struct store_key *k);
/* "key or name" as the bot and CLI take it: the owner's key with that
 * secret, else the owner's key with that nickname. STORE_ENOKEY, or
 * STORE_EAMBIG when the name is on several of them. */
int store_key_resolve(struct store *st, int64_t owner, const char *key_or_name,
                      char secret_out[STORE_SECRET_MAX + 1]);
/* 1 if user owns the key, 0 if not. */
int store_key_is_owner(struct store *st, const char *secret, int64_t user);
/* Renames (owner STORE_ANY_OWNER: no ownership check); the name must be
 * free among every owner's other keys: STORE_EEXIST. */
int store_key_rename(struct store *st, int64_t owner, const char *secret, const char *name);
/* Adds a co-owner. 1 if they already owned it, 0 added. */
int store_key_add_owner(struct store *st, const char *secret, int64_t user, int64_t now);
/* Deletes the key with its owners, active-key entries, alerts, command
 * queue, metrics and rollups, in one transaction. */
int store_key_delete(struct store *st, const char *secret);
int store_key_owners(struct store *st, const char *secret, int64_t *out, size_t cap, size_t *n);
/* Contact from the agent: last_seen = max(last_seen, ts); host JSON when
 * not NULL. */
int store_agent_seen(struct store *st, const char *secret, int64_t ts, const char *host_json);

/* The active key per chat (/set, /newkey, /linkkey). */
int store_active_set(struct store *st, int64_t chat, const char *secret);
int store_active_get(struct store *st, int64_t chat, char secret_out[STORE_SECRET_MAX + 1]);

/* ---- alerts --------------------------------------------------------------- */

enum store_alert_state { STORE_AL_OK, STORE_AL_PENDING, STORE_AL_FIRING, STORE_AL_UNKNOWN };

struct store_alert {
	int64_t user;
	char secret[STORE_SECRET_MAX + 1];
	char metric[17];        /* cpu ram gpu vram disk cpu_temp gpu_temp offline */
	double threshold;
	int for_s;              /* for=<duration>, 0 = at once */
	double hyst;            /* hyst=<points>, 0 = none */
	int state;              /* enum store_alert_state */
	int64_t since;          /* when the state was entered */
	int64_t last_sent;      /* last firing message (the original's alert_last) */
	int64_t muted_until;    /* 0 none, -1 until recovered, else unix time */
	int remind_s;           /* remind=<duration> while firing, 0 = never */
};
/* Creates or replaces (state back to ok). */
int store_alert_set(struct store *st, const struct store_alert *a);
int store_alert_delete(struct store *st, int64_t user, const char *secret, const char *metric);
/* secret NULL: every key's; user 0: every user's. Free with free(). */
int store_alert_list(struct store *st, const char *secret, int64_t user,
                     struct store_alert **out, size_t *n);
/* Persists the state machine fields (state, since, last_sent, muted_until). */
int store_alert_update(struct store *st, const struct store_alert *a);

/* ---- the bot's outbox and maintenance (outbox.c) ------------------------ */

/* A message the bot must deliver (an alert, a notice to the owners): kept
 * until Telegram took it, so a restart or an outage loses none. */
struct store_outbox {
	int64_t id, chat_id, created;
	char *html;             /* malloc'd */
	char *markup;           /* malloc'd reply_markup JSON, NULL none */
};
int store_outbox_add(struct store *st, int64_t chat_id, const char *html, const char *markup,
                     int64_t now, int64_t *id_out);
int store_outbox_del(struct store *st, int64_t id);
/* Every row, oldest first. Free with store_outbox_free. */
int store_outbox_list(struct store *st, struct store_outbox **out, size_t *n);
void store_outbox_free(struct store_outbox *v, size_t n);

/* A host in maintenance (/mute): no alert messages until `until`. */
struct store_maint {
	char secret[STORE_SECRET_MAX + 1];
	int64_t until, by, since;
};
/* Sets (until > 0) or ends (until 0) the key's maintenance. */
int store_maint_set(struct store *st, const char *secret, int64_t until, int64_t by, int64_t now);
/* Every row. Free with free(). */
int store_maint_list(struct store *st, struct store_maint **out, size_t *n);

/* ---- command queue --------------------------------------------------------- */

enum store_cmd_state {
	STORE_CMD_QUEUED, STORE_CMD_DELIVERED, STORE_CMD_ANSWERED, STORE_CMD_EXPIRED
};
struct store_cmd {
	int64_t id;
	char secret[STORE_SECRET_MAX + 1];
	char command[STORE_CMD_MAX + 1];
	int64_t requested_by;   /* Telegram user id, 0 = CLI/import */
	int64_t chat_id;        /* where to report, 0 = none */
	int64_t requested_at, expires_at; /* expires_at 0 = never */
	int64_t delivered_at, answered_at;
	int state;              /* enum store_cmd_state */
};
/* TTL the bot should pass for a command (COMMAND_TTL for reboot/shutdown,
 * 0 = no expiry for the rest). */
int store_cmd_ttl(const char *command, int command_ttl);
/* Records a command. delivered: it was sent to a connected agent at once
 * (recorded as delivered, never queued). ttl 0 = never expires. */
int store_cmd_enqueue(struct store *st, const char *secret, const char *command,
                      int64_t requested_by, int64_t chat_id, int64_t now, int ttl,
                      int delivered, int64_t *id_out);
/* Queued, unexpired commands of secret, oldest first, marked delivered in
 * the same transaction: each is handed out once. Returns the count. */
int store_cmd_take(struct store *st, const char *secret, int64_t now,
                   struct store_cmd *out, size_t cap);
/* Commands still queued (not taken, not expired) with an id above since_id,
 * oldest first, up to cap; nothing is marked. A server polls this for the
 * keys it holds sessions of, so commands queued by another process (the
 * CLI, another server instance) reach connected agents; it then takes them
 * with store_cmd_take, which hands each out once. Returns how many. */
int store_cmd_queued_since(struct store *st, int64_t since_id, int64_t now, struct store_cmd *out,
                           size_t cap);
/* Back to the queue (the reply carrying it could not be written). */
int store_cmd_requeue(struct store *st, int64_t id);
/* Queued commands whose TTL passed, marked expired and returned once so the
 * requesters can be told. Returns the count. */
int store_cmd_expire(struct store *st, int64_t now, struct store_cmd *out, size_t cap);
/* The agent's answer to a command. */
int store_cmd_answer(struct store *st, int64_t id, int64_t now, const char *answer);
/* Answer to the oldest (newest: the newest) delivered, unanswered command
 * of secret whose text starts with prefix ("speedtest", "diag",
 * "status"...); id_out optional. STORE_ENOTFOUND when none waits. */
int store_cmd_answer_pending(struct store *st, const char *secret, const char *prefix, int newest,
                             int64_t now, const char *answer, int64_t *id_out);
/* The newest commands of secret but `status` requests, newest first, at most cap; answers[i]
 * gets the first STORE_HIST_ANSWER-1 bytes of each answer ("" none, cut
 * on a UTF-8 boundary). Returns the count or STORE_E*. */
#define STORE_HIST_ANSWER 200
int store_cmd_history(struct store *st, const char *secret, struct store_cmd *out,
                      char (*answers)[STORE_HIST_ANSWER], size_t cap);
/* One command; answer_out (optional) gets a malloc'd copy or NULL. */
int store_cmd_get(struct store *st, int64_t id, struct store_cmd *out, char **answer_out);

/* ---- small persisted values (bot's getUpdates offset, markers) ------------- */

/* The bot's last view of a key's fleet keys (the sample members of
 * wire/fleet.h as JSON) and the sample ts it is from, kept across restarts;
 * *state is malloc'd (free it). STORE_ENOTFOUND when there is none. Removed
 * with the key. */
int store_fleet_state_get(struct store *st, const char *secret, int64_t *ts, char **state);
int store_fleet_state_set(struct store *st, const char *secret, int64_t ts, const char *state);

int store_meta_get(struct store *st, const char *key, char *buf, size_t cap);
int store_meta_set(struct store *st, const char *key, const char *value);

/* ---- the original's state --------------------------------------------------- */

/* Imports the original's state JSON ({"secrets": {...}, "active": {...},
 * "alerts": {...}, "alert_last": {...}}) into the tables, in one
 * transaction, skipping what is already there. store_open does this once
 * from the `state` row (id 1) when present and marks it done in meta key
 * "import.state". Returns the number of keys imported. */
int store_import_json(struct store *st, const char *json, size_t len, int64_t now);

#endif
