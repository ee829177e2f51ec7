/* alerts_sm.c — the alert state machine and argument parsing of
 * alerts_sm.h: pure functions over struct store_alert. */
#include "server/bot/alerts_sm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/sample.h"

static const struct {
	const char *name;
	enum al_kind kind;
	int key; /* SK_*, -1 disk, -2 offline */
} metrics[] = {
	{"cpu", AL_K_PCT, SK_CPU},          {"ram", AL_K_PCT, SK_RAM},
	{"gpu", AL_K_PCT, SK_GPU},          {"vram", AL_K_PCT, SK_VRAM},
	{"disk", AL_K_PCT, -1},             {"cpu_temp", AL_K_TEMP, SK_CPU_TEMP},
	{"gpu_temp", AL_K_TEMP, SK_GPU_TEMP}, {"offline", AL_K_OFFLINE, -2},
	{"container", AL_K_FLEET, -3}, {"unit", AL_K_FLEET, -3}, {"smart", AL_K_FLEET, -3},
	{"ups_battery", AL_K_FLEET, -3}, {"ups_charge", AL_K_FLEET, -3}, {"quota", AL_K_FLEET, -3},
};
#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

static int metric_index(const char *m)
{
	for (size_t i = 0; m && i < NMETRICS; i++)
		if (!strcmp(metrics[i].name, m))
			return (int)i;
	return -1;
}

enum al_kind al_metric_kind(const char *metric)
{
	int i = metric_index(metric);
	return i < 0 ? AL_K_NONE : metrics[i].kind;
}

double al_metric_value(const char *metric, const double *v, double disk_pct)
{
	int i = metric_index(metric);
	if (i < 0 || !v)
		return NAN;
	if (metrics[i].key == -1)
		return disk_pct;
	if (metrics[i].key < 0)
		return NAN;
	return v[metrics[i].key];
}

int al_fleet_no_threshold(const char *metric)
{
	return !strcmp(metric, "unit") || !strcmp(metric, "smart") || !strcmp(metric, "ups_battery");
}

void al_range(enum al_kind k, double *lo, double *hi)
{
	switch (k) {
	case AL_K_FLEET:
		*lo = 0;
		*hi = 1000000;
		break;
	case AL_K_TEMP:
		*lo = -50;
		*hi = 150;
		break;
	case AL_K_OFFLINE:
		*lo = 10;
		*hi = AL_DURATION_MAX_S;
		break;
	default:
		*lo = 0;
		*hi = 100;
		break;
	}
}

int al_muted(const struct store_alert *a, int64_t now)
{
	return a->muted_until == -1 || a->muted_until > now;
}

int al_announced(const struct store_alert *a)
{
	return (a->state == STORE_AL_FIRING || a->state == STORE_AL_UNKNOWN) && a->last_sent > 0 &&
	       a->last_sent >= a->since;
}

static void set_state(struct store_alert *a, int state, int64_t since, int *changed)
{
	a->state = state;
	a->since = since;
	*changed = 1;
}

/* A firing message may go out now. */
static int may_send(const struct store_alert *a, int64_t now, int quiet)
{
	return !quiet && !al_muted(a, now) && (a->last_sent <= 0 || now - a->last_sent >= AL_COOLDOWN_S);
}

static enum al_event enter_firing(struct store_alert *a, int64_t now, int quiet, int *changed)
{
	set_state(a, STORE_AL_FIRING, now, changed);
	if (!may_send(a, now, quiet))
		return AL_EV_NONE;
	a->last_sent = now;
	return AL_EV_FIRE;
}

static enum al_event recover(struct store_alert *a, int64_t now, int quiet, int *changed)
{
	int announced = al_announced(a);
	int until_recovered = a->muted_until == -1;
	int muted = al_muted(a, now);
	set_state(a, STORE_AL_OK, now, changed);
	if (until_recovered)
		a->muted_until = 0;
	/* "until recovered" waits for exactly this message; a timed mute keeps
	 * even the recovery quiet. */
	if (!announced || quiet || (muted && !until_recovered))
		return AL_EV_NONE;
	return AL_EV_RECOVER;
}

enum al_event al_step(struct store_alert *a, double value, int64_t now, int quiet, int *changed)
{
	int over;
	if (a->muted_until > 0 && now >= a->muted_until) {
		a->muted_until = 0;
		*changed = 1;
	}
	if (isnan(value))
		return AL_EV_NONE;
	over = value >= a->threshold;
	if (a->state == STORE_AL_UNKNOWN) {
		/* Fresh samples decide again: an announced episode goes on (and
		 * may recover with one message), anything else starts from ok. */
		if (al_announced(a))
			a->state = STORE_AL_FIRING;
		else
			set_state(a, STORE_AL_OK, now, changed);
		*changed = 1;
	}
	switch (a->state) {
	case STORE_AL_PENDING:
		if (!over) {
			set_state(a, STORE_AL_OK, now, changed);
			return AL_EV_NONE;
		}
		if (now - a->since >= a->for_s)
			return enter_firing(a, now, quiet, changed);
		return AL_EV_NONE;
	case STORE_AL_FIRING:
		if (value < a->threshold - a->hyst)
			return recover(a, now, quiet, changed);
		if (!al_announced(a)) {
			if (!may_send(a, now, quiet))
				return AL_EV_NONE;
			a->last_sent = now;
			*changed = 1;
			return AL_EV_FIRE;
		}
		if (a->remind_s > 0 && now - a->last_sent >= a->remind_s && !quiet && !al_muted(a, now)) {
			a->last_sent = now;
			*changed = 1;
			return AL_EV_REMIND;
		}
		return AL_EV_NONE;
	default: /* ok, or anything unreadable from the database */
		if (a->state != STORE_AL_OK)
			set_state(a, STORE_AL_OK, now, changed);
		if (!over)
			return AL_EV_NONE;
		if (a->for_s > 0) {
			set_state(a, STORE_AL_PENDING, now, changed);
			return AL_EV_NONE;
		}
		return enter_firing(a, now, quiet, changed);
	}
}

int al_to_unknown(struct store_alert *a, int64_t now)
{
	if (a->state == STORE_AL_UNKNOWN)
		return 0;
	if (a->state == STORE_AL_FIRING) {
		/* keeps since: whether the episode was announced survives */
		a->state = STORE_AL_UNKNOWN;
		return 1;
	}
	a->state = STORE_AL_UNKNOWN;
	/* after the last message, so that it does not read as announced */
	a->since = now > a->last_sent ? now : a->last_sent + 1;
	return 1;
}

void al_eval_host(struct store_alert *rules, size_t n, const struct al_host_in *in, enum al_event *ev,
                  int *changed)
{
	for (size_t i = 0; i < n; i++) {
		struct store_alert *a = &rules[i];
		ev[i] = AL_EV_NONE;
		changed[i] = 0;
		if (al_metric_kind(a->metric) == AL_K_FLEET)
			continue;
		if (al_metric_kind(a->metric) == AL_K_OFFLINE) {
			ev[i] = al_step(a, in->offline_s, in->now, in->quiet, &changed[i]);
		} else if (in->down) {
			changed[i] = al_to_unknown(a, in->now);
		} else if (in->v) {
			ev[i] = al_step(a, al_metric_value(a->metric, in->v, in->disk_pct), in->now, in->quiet,
			                &changed[i]);
		} else {
			ev[i] = al_step(a, NAN, in->now, in->quiet, &changed[i]); /* mute expiry only */
		}
	}
}

/* ---- arguments ------------------------------------------------------------------ */

int al_parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0;
	const char *p = s;
	if (!s || !*s)
		return -1;
	while (*p) {
		int64_t n = 0, mul;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p - '0');
			if (n > AL_DURATION_MAX_S)
				return -1;
			p++;
		}
		if (p == start)
			return -1;
		switch (*p) {
		case 's': case 'S': mul = 1; p++; break;
		case 'm': case 'M': mul = 60; p++; break;
		case 'h': case 'H': mul = 3600; p++; break;
		case 'd': case 'D': mul = 86400; p++; break;
		case 0:
			if (start != s) /* a bare number only alone */
				return -1;
			mul = 1;
			break;
		default:
			return -1;
		}
		total += n * mul;
		if (total > AL_DURATION_MAX_S)
			return -1;
	}
	if (total <= 0)
		return -1;
	*out = total;
	return 0;
}

void al_fmt_duration(int64_t s, char *out, size_t cap)
{
	static const struct { int64_t n; char u; } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	size_t len = 0;
	if (cap == 0)
		return;
	out[0] = 0;
	if (s <= 0) {
		snprintf(out, cap, "0s");
		return;
	}
	for (size_t i = 0; i < 4 && s > 0; i++) {
		if (s >= units[i].n) {
			int w = snprintf(out + len, cap - len, "%lld%c", (long long)(s / units[i].n), units[i].u);
			if (w < 0 || (size_t)w >= cap - len)
				return;
			len += (size_t)w;
			s %= units[i].n;
		}
	}
}

static int parse_num(const char *s, double *out)
{
	char *end;
	double v;
	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (*end == '%' && end[1] == 0)
		end++;
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static enum al_perr parse_option(const char *arg, struct store_alert *a)
{
	int64_t d;
	if (!strncasecmp(arg, "for=", 4)) {
		if (al_parse_duration(arg + 4, &d) != 0)
			return AL_PE_DURATION;
		a->for_s = (int)d;
	} else if (!strncasecmp(arg, "remind=", 7)) {
		if (!strcasecmp(arg + 7, "off")) {
			a->remind_s = 0;
		} else {
			if (al_parse_duration(arg + 7, &d) != 0 || d < AL_REMIND_MIN_S)
				return AL_PE_DURATION;
			a->remind_s = (int)d;
		}
	} else if (!strncasecmp(arg, "hyst=", 5)) {
		double h;
		if (parse_num(arg + 5, &h) != 0 || h < 0)
			return AL_PE_HYST;
		a->hyst = h;
	} else {
		return AL_PE_OPTION;
	}
	return AL_PE_OK;
}

enum al_perr al_parse_rule(int argc, char **argv, struct store_alert *a)
{
	char metric[sizeof(a->metric)];
	enum al_kind k;
	double lo, hi;
	size_t n;
	if (argc < 1)
		return AL_PE_USAGE;
	n = strlen(argv[0]);
	if (n >= sizeof(metric))
		return AL_PE_METRIC;
	for (size_t i = 0; i <= n; i++)
		metric[i] = (char)(argv[0][i] >= 'A' && argv[0][i] <= 'Z' ? argv[0][i] + 32 : argv[0][i]);
	if ((k = al_metric_kind(metric)) == AL_K_NONE || !strcmp(metric, "quota"))
		return AL_PE_METRIC; /* quota: /setquota */
	if (argc < 2 && !(k == AL_K_FLEET && al_fleet_no_threshold(metric)))
		return AL_PE_USAGE;
	snprintf(a->metric, sizeof(a->metric), "%s", metric);
	a->for_s = 0;
	a->hyst = 0;
	a->remind_s = 0;
	a->state = STORE_AL_OK;
	a->since = a->last_sent = a->muted_until = 0;
	if (k == AL_K_FLEET && al_fleet_no_threshold(metric)) {
		a->threshold = 0;
		return argc > 1 ? AL_PE_OPTION : AL_PE_OK;
	}
	if (k == AL_K_OFFLINE) {
		int64_t d;
		if (al_parse_duration(argv[1], &d) != 0)
			return AL_PE_NUMBER;
		a->threshold = (double)d;
	} else if (parse_num(argv[1], &a->threshold) != 0) {
		return AL_PE_NUMBER;
	}
	al_range(k, &lo, &hi);
	if (!strcmp(metric, "ups_charge"))
		hi = 100;
	else if (!strcmp(metric, "container"))
		hi = 1000;
	if (a->threshold < lo || a->threshold > hi)
		return AL_PE_RANGE;
	if (k == AL_K_FLEET && argc > 2)
		return AL_PE_OPTION; /* for=, hyst=, remind= are the state machine's */
	for (int i = 2; i < argc; i++) {
		enum al_perr e = parse_option(argv[i], a);
		if (e != AL_PE_OK)
			return e;
	}
	if (a->hyst > 0 && a->threshold - a->hyst < lo)
		return AL_PE_HYST;
	return AL_PE_OK;
}
