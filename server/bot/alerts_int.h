/* alerts_int.h — what the alerts files share: the rules cached per host
 * (alerts.c keeps them, evaluates them on samples and once a second, and
 * sends through the outbox), the commands, buttons and descriptions
 * (alerts_cmd.c) and the wording of each message (alerts_txt.c). All on
 * the bot thread. */
#ifndef MONBOT_BOT_ALERTS_INT_H
#define MONBOT_BOT_ALERTS_INT_H

#include "server/bot/alerts_sm.h"
#include "server/bot/bot_int.h"

#define AL_STALE_S 120          /* no sample that long: the host's metric rules are unknown */
#define AL_START_GRACE_S 60     /* after a start, agents get this long to reconnect */
#define AL_SHARED_NOTICE_S 3600 /* a second host on one key: told at most hourly */
#define AL_REBOOT_QUIET_S 600   /* after "going down: reboot": offline alerts held back */
#define AL_MAINT_BUTTON_S 7200  /* the maintenance button on firing messages */
#define AL_OUTBOX_RETRY_S 10

/* One key with rules, a maintenance, or a notice in progress. */
struct al_host {
	char secret[STORE_SECRET_MAX + 1];
	struct store_alert *rules;  /* sorted by user, then metric */
	size_t n, cap;
	int64_t last_rx;            /* bot clock of the newest sample since start, 0 none */
	int64_t last_seen;          /* the store's last_seen at start */
	int disconnected;           /* its session closed, no sample since */
	int64_t maint_until;        /* /mute: 0 none */
	int64_t maint_by;
	int64_t expect_down_until;  /* a reboot/shutdown it announced: offline held back */
	int expect_reboot;          /* the next reboot is the one asked for */
	int64_t shared_told, refused_told;
	struct al_host *next, *hnext;
};

#define AL_HOST_BUCKETS 1024

struct al_out;

struct bot_alerts {
	struct al_host *all;
	struct al_host *bucket[AL_HOST_BUCKETS];
	struct al_out *out;         /* outbox entries in memory, oldest first */
	int64_t started;
};

/* alerts.c */
struct al_host *al_host_find(struct bot *b, const char *secret);
struct al_host *al_host_get(struct bot *b, const char *secret);
/* The user's rule on the host, NULL none. */
struct store_alert *al_rule_find(struct al_host *h, int64_t user, const char *metric);
/* Adds or replaces a rule in the cache (already stored). */
int al_rule_put(struct al_host *h, const struct store_alert *a);
void al_rule_del(struct al_host *h, int64_t user, const char *metric);
int al_maint_active(const struct al_host *h, int64_t now);
/* Starts (until > now) or ends (until 0) a maintenance: stored, recorded in
 * the command queue as "mute <d>" / "mute off" by user. */
int al_maint_set(struct bot *b, struct al_host *h, int64_t until, int64_t user, int64_t chat);
/* Sends through the outbox (stored first; resent until Telegram takes it). */
void al_outbox_send(struct bot *b, int64_t chat, const char *html, const char *markup);
/* The firing message's buttons for rule `metric` ("*" = every rule) of a
 * key: 🔕 1 h, 🔕 Until recovered (until_recovered: a rule with a state to
 * recover from), 🛠 Maintenance 2 h. None when the secret is too long for
 * callback data. */
void al_mute_keyboard(struct bot_kb *k, struct bot *b, const char *secret, const char *metric,
                      int until_recovered);

/* "<emoji> <b>label</b>: text" to the rule's user, through the outbox; a
 * firing one (fires) with the buttons that mute the rule for an hour or
 * put the key in maintenance. */
void al_tell(struct bot *b, const struct store_alert *a, int fires, const char *label, const char *emoji,
             const char *fmt_en, const char *fmt_ru, ...) __attribute__((format(printf, 6, 8)));

/* alerts_txt.c: the key's label (nickname or the secret's start), escaped
 * into out; 0, or -1 when the key no longer exists. */
int al_label(struct bot *b, const char *secret, char *out, size_t cap);
/* "14:05", or "03.12 14:05" when not today. */
void al_fmt_time(int64_t t, int64_t now, char *out, size_t cap);
/* The metric as users read it: "CPU", "Disk", "CPU temp", ... */
const char *al_metric_label(struct bot *b, const char *metric);
/* "≥ 90%", "≥ 80 °C", "≥ 2m". */
void al_fmt_threshold(const struct store_alert *a, char *out, size_t cap);
/* One line of an alert message (no name): what happened to the rule. */
void al_item(struct bot *b, struct bot_buf *o, const struct store_alert *a, enum al_event ev,
             double value, int64_t now, int with_name, const char *label);
/* The rule in a sentence for /setalert's answer and the usage list. */
void al_describe_rule(struct bot *b, struct bot_buf *o, const struct store_alert *a);
void al_usage(struct bot *b, struct bot_buf *o);

#endif
