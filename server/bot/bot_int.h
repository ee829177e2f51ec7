/* bot_int.h — what the bot's own files share (server/bot/). Everything
 * here runs on the bot thread unless it says otherwise.
 *
 * Files:
 *   bot.c      the thread, the event queue from the loop, the updates
 *              (parse, allowed users, offset persisted before handling),
 *              the hosts' table, the per-second tick
 *   util.c     HTML escaping, message splitting under 4096, keyboards,
 *              send/edit helpers, key resolution with ownership
 *   tg.c       the Bot API client (tg.h)
 *   cmd.c      the command dispatcher and the key commands
 *   status.c   /status, /list, the status message and its buttons
 *   cb.c       the callback dispatcher
 *   alerts.c   alert rules, their state machines, notices, /setalert,
 *              /delalert, /mute, the outbox
 *   render.c   the chart workers, chart buttons, /plot
 *
 * Parse mode: HTML everywhere; anything from a user or an agent goes
 * through bot_esc. callback_data is "<verb>:<args>", at most 64 bytes,
 * and is never trusted: every handler resolves the key again through
 * bot_owned_key. */
#ifndef MONBOT_BOT_INT_H
#define MONBOT_BOT_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "server/bot/bot.h"
#include "server/bot/tg.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "wire/fleet.h"
#include "wire/sample.h"

struct server;
struct server_config;
struct bot_alerts;
struct bot_render;
struct bot_status;
struct bot_fleet;

enum bot_lang { BOT_EN = 0, BOT_RU = 1 };

/* A text in the bot's language: BOT_T(b, "English", "Русский"). */
#define BOT_T(b, en, ru) ((b)->lang == BOT_RU ? (ru) : (en))

#define BOT_TEXT_MAX 4096      /* Telegram's limit, in UTF-16 units */
#define BOT_CB_MAX 64          /* callback_data bytes */
#define BOT_STALE_S 300        /* /list: stale marker after 5 minutes */
#define BOT_HOST_BUCKETS 4096
#define BOT_QUEUE_MAX 65536    /* events waiting for the bot thread */
#define BOT_NAMES 64           /* users' display names remembered */

/* ---- what the loop tells the bot (copied in bot_hook) ------------------- */

enum bot_ev_kind {
	BOT_EV_CONNECTED, BOT_EV_DISCONNECTED,
	BOT_EV_SAMPLE,        /* scalars only: v[], disk_pct, ts */
	BOT_EV_ONESHOT,       /* the answer to `status`: sample (full copy) */
	BOT_EV_TEXT,          /* text/len: the agent's text answer */
	BOT_EV_DIAG,          /* text/len, diag_ok */
	BOT_EV_STABILITY,     /* a chunk arrived; stab_* set when the test is done */
	BOT_EV_CMD_EXPIRED,   /* cmd */
	BOT_EV_GOING_DOWN,    /* cmd: a reboot/shutdown the agent answered it carries out */
	BOT_EV_KEY_SHARED,    /* other_host, refused */
	BOT_EV_RENDERED,      /* from a render worker: render (render.c owns it) */
	BOT_EV_CALL           /* fn(b, arg) on the bot thread (bot_call) */
};

struct bot_ev {
	enum bot_ev_kind kind;
	char secret[STORE_SECRET_MAX + 1];
	char nickname[STORE_NAME_MAX + 1];
	char hostname[128];
	int64_t ts;                  /* the sample's ts / the event's time, unix s */
	double v[SK__COUNT];         /* SAMPLE, ONESHOT: NAN = absent */
	double disk_pct;             /* fullest disk, NAN = none */
	struct sample *sample;       /* ONESHOT: malloc'd copy, freed after dispatch */
	struct fleet *fleet;         /* SAMPLE with fleet keys: malloc'd copy, else NULL */
	int64_t sample_ts;           /* SAMPLE: the ts the server stored it under */
	char *text;                  /* TEXT, DIAG: malloc'd, NUL-terminated */
	size_t len;
	int diag_ok;
	float *rtts;                 /* STABILITY when done: malloc'd copy */
	size_t nrtts;
	double stab_start;
	unsigned stab_interval_ms;
	int stab_done;
	char stab_error[256];
	struct store_cmd cmd;        /* CMD_EXPIRED, GOING_DOWN */
	char other_host[128];        /* KEY_SHARED */
	uint64_t refused;
	void *render;                /* RENDERED */
	void (*fn)(struct bot *b, void *arg); /* CALL */
	void *arg;
	struct bot_ev *next;
};

/* ---- what the bot knows of each key, from the events ------------------- */

struct bot_host {
	char secret[STORE_SECRET_MAX + 1];
	int online;                  /* a session is open */
	int64_t online_since;
	int64_t last_sample;         /* unix s of the newest sample, 0 none */
	double v[SK__COUNT];         /* its values */
	double disk_pct;
	double last_uptime;          /* for reboot detection; NAN unknown */
	struct bot_host *next;
};

struct bot {
	struct server *srv;          /* the loop's: reach it only through bot_loop_call */
	const struct server_config *cfg;
	struct store *st;            /* the bot thread's own connection */
	struct tg *tg;
	enum bot_lang lang;
	int64_t *allowed;            /* BOT_ALLOWED_USERS, n 0 = anyone */
	size_t nallowed;
	int64_t offset;              /* next update_id (persisted as meta "bot.offset") */
	char username[64];           /* getMe's username, "" unknown */
	pthread_t thread;
	int running;
	/* events from other threads */
	pthread_mutex_t mu;
	struct bot_ev *q_head, *q_tail;
	size_t q_len;
	int stop;
	/* hosts, hashed by secret */
	struct bot_host **host_bucket; /* BOT_HOST_BUCKETS */
	size_t nhosts;
	uint64_t ev_dropped;         /* samples dropped with the queue at its bound */
	/* the parts */
	struct bot_status *status;
	struct bot_alerts *alerts;
	struct bot_render *render;
	struct bot_fleet *fleet;
	int64_t last_tick;
	/* display names of users seen lately ("going down: ... requested by") */
	struct { int64_t id; char name[72]; } names[BOT_NAMES];
	unsigned names_next;
};

/* An incoming message (update.message) and callback (update.callback_query). */
struct bot_msg {
	int64_t update_id, chat_id, user_id, message_id;
	char first_name[128];
	char username[64];
	char text[4096 * 4 + 1];     /* UTF-8, cut at the cap */
};
struct bot_cb {
	int64_t update_id, chat_id, user_id, message_id;
	char id[128];                /* callback_query.id for answerCallbackQuery */
	char data[BOT_CB_MAX + 1];   /* "" when missing or too long */
	char first_name[128];
	char username[64];
};

/* ---- hosts.c: the bottom, calls no other file of the bot --------------- */

/* Queues an event for the bot thread (any thread; takes ev, malloc'd).
 * Returns 0, or -1 when the queue is over its bound (ev freed). */
int bot_post(struct bot *b, struct bot_ev *ev);
/* fn(b, arg) on the bot thread soon (any thread). */
int bot_call(struct bot *b, void (*fn)(struct bot *b, void *arg), void *arg);
/* fn(srv, arg) on the loop thread soon (server_post). */
int bot_loop_call(struct bot *b, void (*fn)(struct server *s, void *arg), void *arg);
/* Sends command to the key's agent through the loop (commands_send), for
 * user in chat. Fire and forget: the answer comes back as an event. */
int bot_agent_command(struct bot *b, const char *secret, const char *command, int64_t user,
                      int64_t chat);
struct bot_host *bot_host_find(struct bot *b, const char *secret);
struct bot_host *bot_host_get(struct bot *b, const char *secret);
void bot_host_forget(struct bot *b, const char *secret);
int64_t bot_now(void);          /* unix s */
int64_t bot_mono_ms(void);
void bot_ev_free(struct bot_ev *ev);
void bot_hosts_free(struct bot *b);

/* ---- util.c ------------------------------------------------------------- */

/* HTML-escapes s (& < > ") into out; cuts at a UTF-8 boundary. Returns out. */
char *bot_esc(const char *s, char *out, size_t cap);
/* Appends to a growing text (a plain malloc'd buffer). */
struct bot_buf { char *s; size_t len, cap; int oom; };
void bot_buf_add(struct bot_buf *b, const char *s);
void bot_buf_addf(struct bot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bot_buf_esc(struct bot_buf *b, const char *s); /* bot_esc'd */
void bot_buf_free(struct bot_buf *b);
/* Length of s in UTF-16 units, as Telegram counts. */
size_t bot_utf16_len(const char *s, size_t n);

/* Inline keyboards. Buttons whose callback_data is over 64 bytes are refused
 * (an assertion in debug builds, dropped otherwise). */
struct bot_kb { struct bot_buf j; int rows, in_row; };
void bot_kb_init(struct bot_kb *k);
void bot_kb_btn(struct bot_kb *k, const char *text, const char *data);
void bot_kb_btnf(struct bot_kb *k, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bot_kb_row(struct bot_kb *k);          /* ends the current row */
const char *bot_kb_json(struct bot_kb *k);  /* {"inline_keyboard":[...]}; valid until freed */
void bot_kb_free(struct bot_kb *k);

/* sendMessage in HTML. A text over the limit is split at line ends (a line
 * never holds an entity that spans lines) into several messages; the
 * keyboard goes on the last. done gets the last message's result. */
int bot_send(struct bot *b, int64_t chat, const char *html, const char *markup_json,
             enum tg_class cls, tg_done_fn done, void *arg);
/* editMessageText in HTML (the text is cut to the limit at a line end). */
int bot_edit(struct bot *b, int64_t chat, int64_t message_id, const char *html,
             const char *markup_json, tg_done_fn done, void *arg);
/* answerCallbackQuery with an optional short text (alert 0: a toast). */
void bot_answer_cb(struct bot *b, const struct bot_cb *q, const char *text, int alert);

/* The key a user means by "key or name", with ownership: the user's key
 * with that secret or name. 0 with secret_out set, or -1 after telling the
 * chat why (not found, ambiguous); the reply never shows anyone else's key. */
int bot_user_key(struct bot *b, int64_t chat, int64_t user, const char *key_or_name,
                 char secret_out[STORE_SECRET_MAX + 1]);
/* The key of callback_data: 1 if user owns secret (it exists), else 0
 * after answering the callback with a refusal. */
int bot_owned_key(struct bot *b, const struct bot_cb *q, const char *secret);
/* The key's display name: nickname or the secret's first 6 characters. */
void bot_key_label(const struct store_key *k, char *out, size_t cap);

/* ---- the parts (each file's entry points, called by bot.c / cmd.c / cb.c) */

/* cmd.c: a message that is not a callback. */
void bot_on_message(struct bot *b, const struct bot_msg *m);
/* cb.c: a callback query. */
void bot_on_callback(struct bot *b, const struct bot_cb *q);

/* status.c */
int bot_status_init(struct bot *b);
void bot_status_free(struct bot *b);
void bot_cmd_status(struct bot *b, const struct bot_msg *m, int argc, char **argv);
void bot_cmd_list(struct bot *b, const struct bot_msg *m);
/* status.c: callbacks of the status message ("st:", "ls", ...); 1 handled */
int bot_status_callback(struct bot *b, const struct bot_cb *q);
void bot_status_on_oneshot(struct bot *b, const struct bot_ev *ev);
/* TEXT, DIAG, STABILITY: the answers to the status message's actions */
void bot_status_on_result(struct bot *b, const struct bot_ev *ev);
void bot_status_tick(struct bot *b, int64_t now_ms); /* the 15 s timeouts */

/* alerts.c */
int bot_alerts_init(struct bot *b);  /* loads the rules, resends the outbox */
void bot_alerts_free(struct bot *b);
/* SAMPLE, CONNECTED, DISCONNECTED (offline, reboots), CMD_EXPIRED and
 * KEY_SHARED (notices to the owners) */
void bot_alerts_on_event(struct bot *b, const struct bot_ev *ev);
void bot_alerts_tick(struct bot *b, int64_t now);                 /* once a second */
void bot_cmd_setalert(struct bot *b, const struct bot_msg *m, int argc, char **argv);
void bot_cmd_delalert(struct bot *b, const struct bot_msg *m, int argc, char **argv);
void bot_cmd_mute(struct bot *b, const struct bot_msg *m, int argc, char **argv);
/* history.c */
void bot_cmd_history(struct bot *b, const struct bot_msg *m, int argc, char **argv);
int bot_alerts_callback(struct bot *b, const struct bot_cb *q);   /* "al:", "mu:" */
/* A key was deleted: forget its rules and state. */
void bot_alerts_forget_key(struct bot *b, const char *secret);
/* Lines for /status and /list: firing alerts, muted until when ("" none). */
void bot_alerts_describe(struct bot *b, const char *secret, int64_t user, struct bot_buf *out);
/* Remembers user id's display name (@username, else the first name);
 * bot_user_name gives it back, or "user <id>" for one not seen lately. */
void bot_user_note(struct bot *b, int64_t id, const char *first_name, const char *username);
void bot_user_name(const struct bot *b, int64_t id, char *out, size_t cap);
/* Sends a notice to every owner of secret, never dropped (outbox). */
void bot_notify_owners(struct bot *b, const char *secret, const char *html, const char *markup);
/* The agent answered that it is going down (command "reboot" or
 * "shutdown", asked by requested_by, a display name): tells the owners and
 * holds back the offline alerts (a reboot a few minutes, a shutdown until
 * the host is back). */
void bot_notify_going_down(struct bot *b, const char *secret, const char *command,
                           const char *requested_by);

/* fleet.c: the fleet keys (wire/fleet.h): their alerts, the traffic
 * quota, the /status lines, /setquota */
int bot_fleet_init(struct bot *b);
void bot_fleet_free(struct bot *b);
void bot_fleet_forget_key(struct bot *b, const char *secret);
void bot_fleet_on_sample(struct bot *b, const struct bot_ev *ev); /* SAMPLE */
/* Lines for /status: containers, failed units, disks, UPS, custom metrics,
 * the quota period's use (user's rule). */
void bot_fleet_describe(struct bot *b, const char *secret, int64_t user, struct bot_buf *out);
void bot_cmd_setquota(struct bot *b, const struct bot_msg *m, int argc, char **argv);
/* 00:00 UTC of the billing period holding ts that resets on day (1..31,
 * clamped to the month's last day). */
int64_t bot_fleet_period_start(int64_t ts, int day);

/* render.c */
int bot_render_init(struct bot *b);  /* GRAPH_WORKERS threads */
void bot_render_free(struct bot *b);
void bot_cmd_plot(struct bot *b, const struct bot_msg *m, int argc, char **argv);
int bot_render_callback(struct bot *b, const struct bot_cb *q); /* "ch:", "cr:" */
void bot_render_done(struct bot *b, struct bot_ev *ev);         /* BOT_EV_RENDERED */
/* The chart of a finished stability test (rtts in ms, NaN = lost, one every
 * interval_ms from start, unix s) sent to chat as a photo whose caption
 * sums it up. 0 queued, or -1 after telling the chat (busy, no memory). */
int bot_render_stability(struct bot *b, int64_t chat, const char *secret, const float *rtts,
                         size_t n, double start, unsigned interval_ms);
/* Counters for /metrics (any thread): renders done, of them without data
 * and failed, requests refused as busy, jobs pending, render time (database
 * read + render + PNG) over the last 256 renders. */
struct bot_render_stats {
	uint64_t jobs, nodata, failed, busy;
	size_t pending;
	uint32_t p50_ms, p99_ms, max_ms;
};
void bot_render_stats(struct bot *b, struct bot_render_stats *out);

#endif
