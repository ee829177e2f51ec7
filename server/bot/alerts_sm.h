/* alerts_sm.h — the alert rules' state machine and the parsing of
 * /setalert and /mute arguments, without I/O (server/bot/alerts.c sends,
 * persists and words the messages; tests/unit/test_alerts.c drives this).
 *
 * One rule (struct store_alert): ok → pending (over the threshold, for=
 * not yet elapsed) → firing → ok (below threshold − hyst), and unknown
 * while its host is down. A firing episode is "announced" when a firing
 * message went out in it (last_sent ≥ since); firing messages keep at least
 * AL_COOLDOWN_S apart per rule, so a rule that recovers and fires again
 * within that time stays silent until the cooldown passed; a recovery
 * message goes out only for an announced episode. */
#ifndef MONBOT_BOT_ALERTS_SM_H
#define MONBOT_BOT_ALERTS_SM_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store_keys.h"

#define AL_COOLDOWN_S 300          /* the original's: one message per 5 min per rule */
#define AL_REMIND_MIN_S AL_COOLDOWN_S
#define AL_DURATION_MAX_S (30 * 86400)

enum al_event { AL_EV_NONE, AL_EV_FIRE, AL_EV_REMIND, AL_EV_RECOVER };

enum al_kind { AL_K_NONE = -1, AL_K_PCT, AL_K_TEMP, AL_K_OFFLINE, AL_K_FLEET };

/* Fleet rules (wire/fleet.h; server/bot/fleet.c evaluates them, the state
 * machine above leaves them alone): container <N> (stopped, unhealthy, or
 * more than N restarts in 10 min), unit, smart, ups_battery (no threshold),
 * ups_charge <percent> (below it), quota (/setquota: threshold GB, for_s
 * the reset day of the month). */
#define AL_FLEET_RESTART_WINDOW_S 600
/* 1 when a fleet rule takes no threshold. */
int al_fleet_no_threshold(const char *metric);

/* What one evaluation of a host's rules sees. */
struct al_host_in {
	int64_t now;
	int down;             /* disconnected or silent too long: metric rules go unknown */
	int quiet;            /* maintenance or an expected reboot: no messages at all */
	const double *v;      /* a sample's scalars (wire/sample.h SK_*), NULL: no sample now */
	double disk_pct;      /* the fullest disk, NAN none */
	double offline_s;     /* seconds without a sample, NAN unknown */
};

enum al_kind al_metric_kind(const char *metric);
/* The metric's value in a sample (NAN absent). */
double al_metric_value(const char *metric, const double *v, double disk_pct);

/* One step of one rule with value (NAN: nothing known now, no change).
 * *changed is set when a persisted field changed. */
enum al_event al_step(struct store_alert *a, double value, int64_t now, int quiet, int *changed);
/* The host went down: a metric rule becomes unknown without a message. */
int al_to_unknown(struct store_alert *a, int64_t now);
/* Every rule of a host: ev[i] the message for rules[i], changed[i] whether
 * to persist it. While the host is down only offline rules are stepped:
 * one host incident gives one message, whatever else the host had set. */
void al_eval_host(struct store_alert *rules, size_t n, const struct al_host_in *in, enum al_event *ev,
                  int *changed);

int al_muted(const struct store_alert *a, int64_t now);
/* Firing (or unknown after firing) with a firing message sent for it. */
int al_announced(const struct store_alert *a);

/* "90", "30s", "15m", "2h", "1d", "1h30m" → seconds (1 .. AL_DURATION_MAX_S). 0 or -1. */
int al_parse_duration(const char *s, int64_t *out);
/* "1h30m", "45s", "2d" into out. */
void al_fmt_duration(int64_t s, char *out, size_t cap);

enum al_perr {
	AL_PE_OK, AL_PE_USAGE, AL_PE_METRIC, AL_PE_NUMBER, AL_PE_RANGE, AL_PE_OPTION, AL_PE_DURATION,
	AL_PE_HYST
};
/* <metric> <threshold> [for=<d>] [hyst=<p>] [remind=<d>] into a's rule fields
 * (metric, threshold, for_s, hyst, remind_s; state fields cleared). */
enum al_perr al_parse_rule(int argc, char **argv, struct store_alert *a);
/* The threshold range of a kind (the offline threshold in seconds). */
void al_range(enum al_kind k, double *lo, double *hi);

#endif
