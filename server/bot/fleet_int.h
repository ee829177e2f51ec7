/* fleet_int.h — what fleet.c (the bot's fleet view and its rules) and
 * fleet_quota.c (the traffic quota per billing period, /setquota) share.
 * Bot thread only. */
#ifndef MONBOT_BOT_FLEET_INT_H
#define MONBOT_BOT_FLEET_INT_H

#include "server/bot/alerts_int.h"

struct fl_quota {              /* one user's quota rule: traffic this billing period */
	int64_t user;
	int loaded;
	int day;
	int64_t start, last_ts;
	double bytes;
};

/* The quota state of user's rule among q[nq], made when missing; NULL out
 * of memory. */
struct fl_quota *fl_quota_of(struct fl_quota **q, size_t *nq, int64_t user);

/* Rule a (metric "quota") on a sample at ts with these rates (bytes/s):
 * follows the period's traffic in q and tells a once per period when it
 * passes the quota (ok: the user may be told now). */
void fl_quota_rule(struct bot *b, const char *secret, struct store_alert *a, struct fl_quota *q, int64_t ts,
                   double up, double down, const char *label, int ok);

/* The /status line of user's quota on the key, if the user has one;
 * q[nq]: the quota states followed for the key. */
void fl_quota_describe(struct bot *b, const char *secret, int64_t user, const struct fl_quota *q, size_t nq,
                       struct bot_buf *o);

#endif
