/* tg.h — the Telegram Bot API client (SPEC §7): libcurl's multi interface,
 * driven by the bot thread (server/bot/bot.c) and never by the agents' loop.
 *
 * Requests are built with struct tg_args and sent as a JSON body, or as
 * multipart/form-data when a file is attached (sendPhoto, sendDocument, from
 * memory). A send queue keeps about 30 calls a second overall and one a
 * second per chat, obeys retry_after (after a 429 no call at all is started
 * before it expires), retries network errors and 5xx with backoff, and
 * treats 400 "message is not modified" as success. TG_ALERT calls are
 * retried until they succeed or are refused with a 4xx other than 429;
 * TG_REPLY calls a few times; TG_ONCE calls (answerCallbackQuery) once.
 *
 * getUpdates runs as long polling (tg_poll_updates) beside the queue; it is
 * not rate limited but does wait out a retry_after.
 *
 * Threads: everything here runs on the bot thread except tg_wakeup, which
 * any thread may call. Completion callbacks run inside tg_run. */
#ifndef MONBOT_BOT_TG_H
#define MONBOT_BOT_TG_H

#include <stddef.h>
#include <stdint.h>

struct tg;
struct tg_args;

enum tg_class {
	TG_REPLY, /* an answer to a user: network errors and 5xx retried a few times */
	TG_ALERT, /* never dropped: retried until sent (or refused with a 4xx) */
	TG_ONCE   /* answerCallbackQuery and the like: one try, no retry */
};

struct tg_result {
	int ok;                  /* Telegram said "ok": true (or "message is not modified") */
	int not_modified;        /* ok because the edit changed nothing */
	long http_status;        /* 0 when no response arrived */
	int error_code;          /* Telegram's error_code, 0 when none */
	const char *description; /* Telegram's description or the transport error; never NULL */
	int64_t message_id;      /* result.message_id when the result is a Message, else 0 */
	const char *body;        /* the whole response body (NUL-terminated), may be "" */
	size_t body_len;
};

/* Called once per tg_call, on the bot thread, inside tg_run (or tg_free,
 * with ok 0 and description "shutting down", for calls never completed). */
typedef void (*tg_done_fn)(void *arg, const struct tg_result *r);

/* One getUpdates response: body is the whole JSON ({"ok":true,"result":[...]}).
 * The callback must call tg_set_offset before returning when it consumed
 * updates; the next long poll starts after it returns. */
typedef void (*tg_updates_fn)(void *arg, const char *body, size_t len);

/* api_url: TELEGRAM_API_URL without a trailing slash is fine either way;
 * calls go to <api_url>/bot<token>/<method>. libcurl's proxy variables
 * (https_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY) apply. 0, or -1 with err. */
int tg_new(struct tg **out, const char *api_url, const char *token, char *err, size_t errlen);
/* Completes every pending call with "shutting down" and frees. */
void tg_free(struct tg *t);

/* Arguments of one call. A builder never fails visibly: out of memory makes
 * tg_call refuse the call. tg_call takes ownership of the args (also when it
 * fails). */
struct tg_args *tg_args_new(void);
void tg_args_free(struct tg_args *a);
void tg_args_int(struct tg_args *a, const char *name, int64_t v);
void tg_args_str(struct tg_args *a, const char *name, const char *v);
void tg_args_bool(struct tg_args *a, const char *name, int v);
/* A value that is already JSON (reply_markup, commands). */
void tg_args_json(struct tg_args *a, const char *name, const char *json);
/* A file part (makes the call multipart). data is copied. */
void tg_args_file(struct tg_args *a, const char *name, const char *filename, const char *mime,
                  const void *data, size_t len);

/* Queues a call. chat_id: the chat it writes to, for the per-chat rate (0 =
 * none: answerCallbackQuery, setMyCommands). done may be NULL. Returns 0, or
 * -1 when the call cannot be queued (done is then not called). */
int tg_call(struct tg *t, const char *method, int64_t chat_id, struct tg_args *a,
            enum tg_class cls, tg_done_fn done, void *arg);

/* Starts long polling from offset (the persisted next update_id), timeout_s
 * per poll (Telegram's "timeout"; 25 is usual). */
void tg_poll_updates(struct tg *t, int64_t offset, int timeout_s, tg_updates_fn fn, void *arg);
void tg_set_offset(struct tg *t, int64_t offset);
/* Stops polling (no new getUpdates is started). */
void tg_stop_polling(struct tg *t);

/* One turn: starts what the queue and the rates allow, waits for sockets up
 * to timeout_ms or until tg_wakeup, completes finished calls. Returns the
 * milliseconds until the next timed action (a retry, a rate slot), or -1
 * when there is none. */
int tg_run(struct tg *t, int timeout_ms);
/* Makes a tg_run that waits return soon; any thread. */
void tg_wakeup(struct tg *t);
/* Calls queued or in flight, not counting getUpdates. */
size_t tg_pending(const struct tg *t);

struct tg_stats {
	uint64_t calls, retries, rate_limited, not_modified, failed;
	int64_t retry_after_until_ms; /* monotonic ms; 0 when not paused */
};
void tg_get_stats(const struct tg *t, struct tg_stats *out);

#endif
