/* fleet_quota.c — the traffic quota per billing period (rule "quota" of
 * alerts_sm.h, set with /setquota): the period starts at 00:00 UTC of the
 * rule's day of the month (clamped to the month's last day); its traffic
 * is up + down (bytes/s) times the interval to the previous sample, read
 * from the stored samples when the period (or the rule) is first
 * followed and added sample by sample after. Told once per period. Bot
 * thread only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/bot/fleet_int.h"

/* An interval longer than this between two samples counts no traffic:
 * the agent was away (a spool replays real samples, never a gap). */
#define FL_TRAFFIC_GAP_S 600
#define FL_GB 1e9

static int days_in(int year, int mon0)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return mon0 == 1 && leap ? 29 : d[mon0];
}

/* 00:00 UTC of reset day (clamped to the month's last day) of year/mon0. */
static int64_t period_at(int year, int mon0, int day)
{
	struct tm t = { 0 };
	int dim = days_in(year, mon0);
	t.tm_year = year - 1900;
	t.tm_mon = mon0;
	t.tm_mday = day > dim ? dim : day;
	return (int64_t)timegm(&t);
}

int64_t bot_fleet_period_start(int64_t ts, int day)
{
	struct tm t;
	time_t tt = (time_t)ts;
	int64_t s;
	gmtime_r(&tt, &t);
	s = period_at(t.tm_year + 1900, t.tm_mon, day);
	if (s > ts) {
		int y = t.tm_year + 1900, m = t.tm_mon - 1;
		if (m < 0) {
			m = 11;
			y--;
		}
		s = period_at(y, m, day);
	}
	return s;
}

/* Traffic from the stored samples of [from, to): up + down (bytes/s) times
 * the interval to the previous sample. */
static void period_load(struct bot *b, const char *secret, struct fl_quota *q, int64_t from, int64_t to)
{
	struct store_series up = { 0 }, dn = { 0 };
	size_t j = 0;
	int64_t prev = 0;
	q->bytes = 0;
	q->last_ts = 0;
	if (to <= from)
		return;
	if (store_range(b->st, secret, SM_NET_UP, from, to - 1, STORE_RES_RAW, &up) != STORE_OK)
		return;
	if (store_range(b->st, secret, SM_NET_DOWN, from, to - 1, STORE_RES_RAW, &dn) != STORE_OK) {
		store_series_free(&up);
		return;
	}
	for (size_t i = 0; i < up.n; i++) {
		double rate = up.pts[i].avg;
		/* [from, to) exactly: store_range's `to` is inclusive */
		if (up.pts[i].ts < from || up.pts[i].ts >= to)
			continue;
		while (j < dn.n && dn.pts[j].ts < up.pts[i].ts)
			j++;
		if (j < dn.n && dn.pts[j].ts == up.pts[i].ts)
			rate += dn.pts[j].avg;
		if (prev && up.pts[i].ts - prev <= FL_TRAFFIC_GAP_S && isfinite(rate))
			q->bytes += rate * (double)(up.pts[i].ts - prev);
		prev = up.pts[i].ts;
	}
	q->last_ts = prev;
	store_series_free(&up);
	store_series_free(&dn);
}

struct fl_quota *fl_quota_of(struct fl_quota **q, size_t *nq, int64_t user)
{
	struct fl_quota *n;
	for (size_t i = 0; i < *nq; i++)
		if ((*q)[i].user == user)
			return &(*q)[i];
	if (!(n = realloc(*q, (*nq + 1) * sizeof(**q))))
		return NULL;
	*q = n;
	memset(&n[*nq], 0, sizeof(n[*nq]));
	n[*nq].user = user;
	return &n[(*nq)++];
}

/* Brings q's period to the one holding ts (loading it from the database
 * when it changed) and adds this sample's traffic. */
static void quota_track(struct bot *b, const char *secret, struct fl_quota *q, int day, int64_t ts, double up,
                        double down)
{
	int64_t start = bot_fleet_period_start(ts, day);
	if (!q->loaded || q->day != day || q->start != start) {
		if (q->loaded && q->day == day && start < q->start)
			return; /* a late sample of a past period */
		q->loaded = 1;
		q->day = day;
		q->start = start;
		period_load(b, secret, q, start, ts);
	}
	if (ts <= q->last_ts)
		return; /* already counted (a resend) */
	if (q->last_ts && ts - q->last_ts <= FL_TRAFFIC_GAP_S) {
		double rate = (isfinite(up) ? up : 0) + (isfinite(down) ? down : 0);
		q->bytes += rate * (double)(ts - q->last_ts);
	}
	q->last_ts = ts;
}

void fl_quota_rule(struct bot *b, const char *secret, struct store_alert *a, struct fl_quota *q, int64_t ts,
                   double up, double down, const char *label, int ok)
{
	int64_t start;
	quota_track(b, secret, q, a->for_s, ts, up, down);
	start = bot_fleet_period_start(ts, a->for_s);
	if (q->start == start && q->bytes >= a->threshold * FL_GB && a->last_sent < start) {
		char since[32];
		struct tm t;
		time_t tt = (time_t)start;
		gmtime_r(&tt, &t);
		strftime(since, sizeof(since), "%d.%m.%Y", &t);
		a->last_sent = ts;
		store_alert_update(b->st, a);
		if (ok)
			al_tell(b, a, 1, label, "📶", "traffic %.2f GB since %s is over the quota of %g GB.",
			        "трафик %.2f ГБ с %s превысил квоту %g ГБ.", q->bytes / FL_GB, since, a->threshold);
	}
}

/* ---- /status and /setquota --------------------------------------------------- */

static const struct store_alert *quota_rule(struct bot *b, const char *secret, int64_t user)
{
	struct al_host *ah = al_host_find(b, secret);
	for (size_t i = 0; ah && i < ah->n; i++)
		if (!strcmp(ah->rules[i].metric, "quota") && ah->rules[i].user == user)
			return &ah->rules[i];
	return NULL;
}

void fl_quota_describe(struct bot *b, const char *secret, int64_t user, const struct fl_quota *qs, size_t nq,
                       struct bot_buf *o)
{
	const struct store_alert *q = quota_rule(b, secret, user);
	int64_t now, start;
	double bytes;
	struct tm t;
	time_t tt;
	char a[32];
	const struct fl_quota *mine = NULL;
	if (!q)
		return;
	now = bot_now();
	start = bot_fleet_period_start(now, q->for_s);
	tt = (time_t)start;
	for (size_t i = 0; i < nq; i++)
		if (qs[i].user == user)
			mine = &qs[i];
	if (mine && mine->loaded && mine->day == q->for_s && mine->start == start) {
		bytes = mine->bytes;
	} else {
		/* not followed yet (no sample since the start): from the
		 * database, into a scratch state so that the samples still to
		 * come (a spool replay) are counted when they arrive */
		struct fl_quota tmp;
		memset(&tmp, 0, sizeof(tmp));
		period_load(b, secret, &tmp, start, now + 1);
		bytes = tmp.bytes;
	}
	gmtime_r(&tt, &t);
	strftime(a, sizeof(a), "%d.%m.%Y", &t);
	bot_buf_addf(o, BOT_T(b, "📶 Traffic: %.2f of %g GB since %s\n", "📶 Трафик: %.2f из %g ГБ с %s\n"),
	             bytes / FL_GB, q->threshold, a);
}

void bot_cmd_setquota(struct bot *b, const struct bot_msg *m, int argc, char **argv)
{
	char secret[STORE_SECRET_MAX + 1], label[4 * STORE_NAME_MAX + 16], msg[512], *end;
	struct store_alert a;
	struct al_host *h;
	double gb;
	long day;
	if (argc != 4) {
		bot_send(b, m->chat_id,
		         BOT_T(b, "Usage: /setquota &lt;key or name&gt; &lt;GB&gt; &lt;day&gt; – alert once per "
		                  "billing period when the traffic (up + down) since the period's start "
		                  "(00:00 UTC of that day of the month, 1–31) passes GB (10⁹ bytes). "
		                  "Remove with /delalert &lt;key&gt; quota.",
		               "Синтаксис: /setquota &lt;ключ или имя&gt; &lt;ГБ&gt; &lt;день&gt; – алерт раз за "
		                  "расчётный период, когда трафик (вход + выход) с начала периода (00:00 UTC "
		                  "этого числа месяца, 1–31) превысит ГБ (10⁹ байт). "
		                  "Удалить: /delalert &lt;ключ&gt; quota."),
		         NULL, TG_REPLY, NULL, NULL);
		return;
	}
	gb = strtod(argv[2], &end);
	if (end == argv[2] || *end || !isfinite(gb) || gb <= 0 || gb > 1.0e6) {
		bot_send(b, m->chat_id, BOT_T(b, "❌ GB must be a number over 0 (up to 1000000).",
		                              "❌ ГБ — число больше 0 (до 1000000)."), NULL, TG_REPLY, NULL, NULL);
		return;
	}
	day = strtol(argv[3], &end, 10);
	if (end == argv[3] || *end || day < 1 || day > 31) {
		bot_send(b, m->chat_id, BOT_T(b, "❌ The day is the day of the month the period starts, 1–31.",
		                              "❌ День — число месяца начала периода, 1–31."), NULL, TG_REPLY, NULL, NULL);
		return;
	}
	if (bot_user_key(b, m->chat_id, m->user_id, argv[1], secret) < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.user = m->user_id;
	snprintf(a.secret, sizeof(a.secret), "%s", secret);
	snprintf(a.metric, sizeof(a.metric), "quota");
	a.threshold = gb;
	a.for_s = (int)day;
	a.state = STORE_AL_OK;
	/* a quota set again in a period it is already over tells once more */
	if (store_alert_set(b->st, &a) != STORE_OK || !(h = al_host_get(b, secret)) || al_rule_put(h, &a) != 0) {
		bot_send(b, m->chat_id, BOT_T(b, "⚠️ The database is not answering; try again in a minute.",
		                              "⚠️ База данных не отвечает; попробуйте через минуту."),
		         NULL, TG_REPLY, NULL, NULL);
		return;
	}
	if (al_label(b, secret, label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "?");
	snprintf(msg, sizeof(msg),
	         BOT_T(b, "✅ Traffic quota for <b>%s</b>: %g GB per period, from day %ld of each month.",
	               "Квота трафика для <b>%s</b>: %g ГБ за период, с %ld-го числа каждого месяца."),
	         label, gb, day);
	bot_send(b, m->chat_id, msg, NULL, TG_REPLY, NULL, NULL);
}
