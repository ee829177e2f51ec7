/* status_int.h — what cmd.c, status.c, actions.c, list.c and stext.c share
 * (calls go cmd → actions → status, list → stext, never back): the
 * status message's waits (for the agent's fresh sample), the actions'
 * jobs (speedtest, diagnostics, stability, power: waiting for the agent's
 * answer), the status text and keyboard builders, small text helpers.
 * Bot thread only. */
#ifndef MONBOT_BOT_STATUS_INT_H
#define MONBOT_BOT_STATUS_INT_H

#include "server/bot/bot_int.h"

#define ST_WAIT_MS 15000        /* /status: the agent's fresh sample, then a timeout text */
#define ST_SEND_WAIT_MS 60000  /* a status message still unsent is given up after */
#define ST_WAITS_MAX 1000       /* status messages waiting at once (oldest dropped) */
#define ST_JOBS_MAX 1000
#define ST_NAME_CHARS 32        /* key names, in characters */
#define ST_TEXT_BUDGET 3800     /* UTF-16 units a status text stops growing at */

/* A status message waiting for the agent's answer to `status`. */
struct st_wait {
	uint64_t id;
	int64_t chat, msg_id;       /* msg_id 0 until sendMessage answered */
	int64_t user;
	char secret[STORE_SECRET_MAX + 1];
	int64_t deadline_ms;        /* bot_mono_ms() */
	char *final_html;           /* the answer came before msg_id: edit once it is known */
	struct st_wait *next;
};

enum st_job_kind { ST_JOB_SPEEDTEST, ST_JOB_DIAG, ST_JOB_STABILITY, ST_JOB_POWER };

/* An action waiting for the agent's TEXT / DIAG / STABILITY answer. */
struct st_job {
	uint64_t id;
	enum st_job_kind kind;
	int64_t chat, msg_id, user;
	char secret[STORE_SECRET_MAX + 1];
	int64_t deadline_ms;
	char *final_html;           /* answered before msg_id was known: edit on send */
	struct st_job *next;
};

/* A reboot/shutdown question sent: its Yes counts only on that message,
 * for ST_CONFIRM_MS (a question found days later in the chat, or one from
 * before a restart, asks again instead of acting). */
#define ST_CONFIRMS 64
#define ST_CONFIRM_MS (5 * 60 * 1000)
struct st_confirm {
	int64_t chat, msg_id;       /* msg_id 0: a free slot */
	int64_t at_ms;              /* bot_mono_ms() when it was sent */
	int reboot;
	char secret[STORE_SECRET_MAX + 1];
};

struct bot_status {
	struct st_confirm confirms[ST_CONFIRMS];
	unsigned confirm_next;
	struct st_wait *waits;
	size_t nwaits;
	struct st_job *jobs;
	size_t njobs;
	uint64_t seq;
};

/* ---- status.c ---- */

/* The status text of secret for user: the stored latest sample (or "no
 * data") and the footer. */
enum st_foot { ST_FOOT_NONE, ST_FOOT_WAITING, ST_FOOT_OFFLINE, ST_FOOT_TIMEOUT };
void st_text_stored(struct bot *b, const char *secret, int64_t user, enum st_foot foot,
                    struct bot_buf *o);
/* Shows the status of secret: edits msg_id in chat (0: sends a new message),
 * and asks the agent for a fresh sample when the host is online. */
void st_show(struct bot *b, int64_t chat, int64_t msg_id, int64_t user, const char *secret);
void st_waits_tick(struct bot *b, int64_t now_ms);
void st_waits_free(struct bot *b);

/* ---- actions.c ---- */

void st_jobs_forget(struct bot *b, const char *secret);

/* ---- list.c ---- */

void st_list_show(struct bot *b, int64_t chat, int64_t user, int64_t edit_msg_id);
int st_list_callback(struct bot *b, const struct bot_cb *q);

/* ---- stext.c ---- */

/* The status message's keyboard. */
void st_status_kb(struct bot *b, struct bot_kb *k, const char *secret);
void st_edit_markup(struct bot *b, int64_t chat, int64_t msg_id, const char *markup_json);

/* Adds s with control characters as spaces, cut at max_chars characters
 * (0 = no cut; "…" marks a cut), HTML-escaped. */
void st_add_clean(struct bot_buf *o, const char *s, size_t max_chars);
/* Copies s like st_add_clean but unescaped (button texts, names). */
void st_clean(const char *s, size_t max_chars, char *out, size_t cap);
/* The label of secret (nickname or its first 6 characters), clean. */
void st_label(struct bot *b, const char *secret, char *out, size_t cap);
/* The key a command means: args joined from argv[from] (key or name),
 * else the chat's active key, with ownership. 0 with secret_out, or -1
 * after telling the chat why. */
int st_cmd_key(struct bot *b, const struct bot_msg *m, int argc, char **argv, int from,
               char secret_out[STORE_SECRET_MAX + 1]);
/* A callback_data "<verb>:<args>" built into out when it fits in 64 bytes;
 * 0, or -1 (too long: leave the button out). */
int st_cbdata(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A button whose data fits (else left out). */
void st_btn(struct bot_kb *k, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Human units: bytes (KiB steps), bit/s from bytes/s (1000 steps), uptime. */
void st_fmt_bytes(double v, char *out, size_t cap);
void st_fmt_bits(double bytes_per_s, char *out, size_t cap);
void st_fmt_uptime(struct bot *b, double s, char *out, size_t cap);

#endif
