/* results.c — what an agent says besides samples: texts, diagnostics and
 * stability chunks kept for the bot (through the hook), answers to
 * delivered commands and host details written to the store, a second host
 * on one key reported. Called by session.c; calls session_out.c below. */
#include "server/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/log.h"
#include "server/metrics.h"
#include "server/chart/chart.h"
#include "server/server.h"
#include "server/session.h"
#include "server/net/transport.h"
#include "wire/jsonr.h"
#include "wire/sample.h"

#define ANSWER_MAX (16u << 10)

/* ---- what an agent says, to the store ---- */

struct write_job {
	struct server *srv;
	uint64_t tag;                  /* the session's, which waits for it */
	size_t len;
	char secret[STORE_SECRET_MAX + 1];
	char prefix[16];
	int64_t now;
	char *text;
	int power;                     /* a reboot/shutdown answer saying it goes down */
	int busy;                      /* "already running": answers the newest request, not the
	                                  one still running */
	struct store_cmd cmd;          /* power: the command answered (cmd.id 0: none) */
};

static void write_done(void *arg, int rc)
{
	struct write_job *j = arg;
	struct client *c = transport_by_tag(&j->srv->tr, j->tag);
	if (rc == 0 && j->power && j->cmd.id) {
		struct agent_event ev = { .kind = AGENT_EV_GOING_DOWN, .cmd = &j->cmd };
		ev.agent = agents_find(&j->srv->agents, j->secret);
		log_info("command %lld '%s': the agent is going down", (long long)j->cmd.id, j->cmd.command);
		server_notify(j->srv, &ev);
	}
	if (c && c->dbwork > 0 && --c->dbwork < SESSION_DBWORK_MAX && c->st == CL_WS && !c->reading &&
	    session_may_resume(c) && obuf_len(&c->out) < CLIENT_OUT_RESUME) {
		c->reading = 1;
		transport_resume_soon(c);
	}
	free(j->text);
	free(j);
}

/* To the database thread for the session: at SESSION_DBWORK_MAX pending it
 * stops being read (as with samples); over the store's bound the agent is
 * told to come back later (1013) rather than its answer being lost. */
static void write_submit(struct client *c, struct write_job *j, store_call_fn fn)
{
	int rc = store_async_call_sized(c->srv->store, fn, write_done, j, j->len + sizeof(*j));
	if (rc != STORE_OK) {
		free(j->text);
		free(j);
		if (rc == STORE_EFULL) {
			log_warn("agent %s: the database queue is full, closing 1013", c->agent->nickname);
			session_close_with(c, 1013, "storage busy");
		}
		return;
	}
	j->tag = transport_tag(c);
	if (++c->dbwork >= SESSION_DBWORK_MAX)
		c->reading = 0;
}

static struct write_job *write_job_new(struct client *c, const char *text, size_t len)
{
	struct write_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->text = malloc(len + 1);
	if (!j->text) {
		free(j);
		return NULL;
	}
	memcpy(j->text, text, len);
	j->text[len] = '\0';
	j->len = len;
	j->srv = c->srv;
	snprintf(j->secret, sizeof(j->secret), "%s", c->agent->secret);
	j->now = server_wall_now();
	return j;
}

static int answer_fn(struct store *st, void *arg)
{
	struct write_job *j = arg;
	int64_t id = 0;
	int rc = store_cmd_answer_pending(st, j->secret, j->prefix, j->busy, j->now, j->text, &id);
	if (rc == 0 && j->power && store_cmd_get(st, id, &j->cmd, NULL) != 0)
		j->cmd.id = 0;
	return rc;
}

/* Does an answer to reboot/shutdown say the host is going down (ours:
 * "Rebooting ...", "Shutting down ...", the original's "⚡️ Rebooting…",
 * "💤 Shutting down…"), not a refusal or a failure? */
static int says_going_down(const char *t)
{
	static const char *const no[] = { "disabled", "not allowed", "refus", "fail", "not supported",
	                                   "error", "cannot", "denied" };
	if (!strcasestr(t, "rebooting") && !strcasestr(t, "shutting down"))
		return 0;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasestr(t, no[i]))
			return 0;
	return 1;
}

/* Records an agent's answer to the oldest delivered command starting with
 * prefix ("" = any). */
void results_answer(struct client *c, const char *prefix, const char *text, size_t len)
{
	struct write_job *j = write_job_new(c, text, agents_utf8_cut(text, len, ANSWER_MAX));
	if (!j)
		return;
	snprintf(j->prefix, sizeof(j->prefix), "%s", prefix);
	j->power = (!strcmp(prefix, "reboot") || !strcmp(prefix, "shutdown")) && says_going_down(j->text);
	j->busy = strcasestr(j->text, "already running") != NULL;
	write_submit(c, j, answer_fn);
}

static int seen_fn(struct store *st, void *arg)
{
	struct write_job *j = arg;
	return store_agent_seen(st, j->secret, j->now, j->text);
}

void results_host(struct client *c, const struct sample *sm)
{
	struct agent *a = c->agent;
	char host[2048];
	struct write_job *j;
	if (store_host_json(sm, host, sizeof(host)) < 0)
		return;
	j = write_job_new(c, host, strlen(host));
	if (j)
		write_submit(c, j, seen_fn);
	if (agents_host_seen(a, sm->host.hostname)) {
		struct agent_event ev = { .kind = AGENT_EV_KEY_SHARED, .agent = a };
		log_warn("key %s: a second host on one key ('%s' while '%s' is connected)",
		         a->nickname[0] ? a->nickname : a->id, a->other_host, a->hostname);
		server_notify(c->srv, &ev);
	}
}

/* Which command a text answers (the original's and ours). NULL: progress. */
static const char *text_prefix(const char *t)
{
	static const struct { const char *needle, *prefix; } map[] = {
		{ "speedtest", "speedtest" }, { "reboot", "reboot" }, { "shutting down", "shutdown" },
		{ "shutdown", "shutdown" }, { "diag", "diag" }, { "\xd0\x94\xd0\xb8\xd0\xb0\xd0\xb3", "diag" },
		{ "stability", "stability" }, { "\xd1\x81\xd1\x82\xd0\xb0\xd0\xb1\xd0\xb8\xd0\xbb", "stability" },
		{ "not supported", "" },
	};
	if (strncmp(t, "\xe2\x8f\xb3", 3) == 0) /* "⏳" opens a progress note */
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasestr(t, map[i].needle))
			return map[i].prefix;
	return NULL;
}

void results_text(struct client *c, const struct jsonr *r, int k)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	size_t cap = jsonr_str_cap(r, k), n;
	char *t = malloc(cap);
	const char *pfx;
	if (!t)
		return;
	if (jsonr_str(r, k, t, cap, &n) == JSONR_OK) {
		mx.texts++;
		agents_set_text(a, t, n, server_wall_now());
		pfx = text_prefix(a->text);
		if (pfx)
			results_answer(c, pfx, a->text, strlen(a->text));
		{
			struct agent_event ev = { .kind = AGENT_EV_TEXT, .agent = a };
			server_notify(s, &ev);
		}
	} else {
		mx.sample_fields_bad++;
	}
	free(t);
}

void results_diag(struct client *c, const struct jsonr *r, int kok, int kd)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	int ok = 0;
	char *t = NULL;
	size_t n = 0;

	if (jsonr_bool(r, kok, &ok) != JSONR_OK) {
		mx.sample_fields_bad++;
		return;
	}
	if (kd >= 0 && jsonr_type(r, kd) == JSONR_T_STRING) {
		size_t cap = jsonr_str_cap(r, kd);
		t = malloc(cap);
		if (t && jsonr_str(r, kd, t, cap, &n) != JSONR_OK)
			n = 0;
	}
	mx.diags++;
	agents_set_diag(a, t ? t : "", n, ok, server_wall_now());
	if (ok) {
		results_answer(c, "diag", a->diag, strlen(a->diag));
	} else {
		char why[512];
		size_t dn = agents_utf8_cut(a->diag, strlen(a->diag), 480);
		while (dn && (a->diag[dn - 1] == '\n' || a->diag[dn - 1] == ' ' || a->diag[dn - 1] == '\r'))
			dn--;
		int l = snprintf(why, sizeof(why), "diagnostics failed%s%.*s", dn ? ": " : "", (int)dn, a->diag);
		results_answer(c, "diag", why, l > 0 && (size_t)l < sizeof(why) ? (size_t)l : strlen(why));
	}
	free(t);
	{
		struct agent_event ev = { .kind = AGENT_EV_DIAG, .agent = a };
		server_notify(s, &ev);
	}
}

/* The command record's answer for a finished stability test: the chart
 * library's figures (the bot's report shows the same). */
static int stab_summary(const struct agent_stability *t, const char *err, char *out, size_t cap)
{
	struct chart_rtt_stats x;
	int32_t iv = t->interval_ms ? (int32_t)t->interval_ms : 1;
	int l;
	if (err[0])
		return snprintf(out, cap, "stability: %zu values, error: %s", t->n, err);
	chart_rtt_stats_f(t->rtts, t->n, iv, &x);
	if (x.sent == x.lost)
		l = snprintf(out, cap, "stability: %zu packets, %zu lost (%.1f%%), %zu outages of 3 s or more",
		             x.sent, x.lost, x.loss_pct, x.outages);
	else
		l = snprintf(out, cap, "stability: %zu packets, %zu lost (%.1f%%), ping %.2f ms average, "
		             "jitter %.2f ms, %zu outages of 3 s or more", x.sent, x.lost, x.loss_pct, x.avg_ms,
		             x.jitter_ms, x.outages);
	/* each outage: seconds from the start, its length */
	for (size_t i = 0; i < x.outages && i < CHART_RTT_OUTAGES_LISTED && l > 0 && (size_t)l < cap; i++)
		l += snprintf(out + l, cap - (size_t)l, "%s+%.1f s for %.1f s%s", i ? ", " : " (",
		              (double)x.outage[i].first * iv / 1000.0, (double)x.outage[i].n * iv / 1000.0,
		              i + 1 == x.outages || i + 1 == CHART_RTT_OUTAGES_LISTED ? ")" : "");
	return l;
}

void results_stability(struct client *c, const struct jsonr *r, int obj)
{
	struct server *s = c->srv;
	struct agent *a = c->agent;
	static float vals[SESSION_TOKENS_MAX];
	double start = NAN, iv = 0;
	int done = 0, k;
	size_t n = 0;
	char err[256] = "";

	if ((k = jsonr_get(r, obj, "start_ts")) >= 0)
		jsonr_num_range(r, k, 0, 1e11, &start);
	if ((k = jsonr_get(r, obj, "interval_ms")) >= 0)
		jsonr_num_range(r, k, 0, 86400000, &iv);
	if ((k = jsonr_get(r, obj, "done")) >= 0)
		jsonr_bool(r, k, &done);
	if ((k = jsonr_get(r, obj, "error")) >= 0 && jsonr_type(r, k) == JSONR_T_STRING) {
		if (jsonr_str(r, k, err, sizeof(err), NULL) != JSONR_OK)
			snprintf(err, sizeof(err), "(unreadable error)");
		done = 1;
	}
	if ((k = jsonr_get(r, obj, "rtts")) >= 0 && jsonr_type(r, k) == JSONR_T_ARRAY) {
		for (int e = jsonr_first(r, k); e > 0 && n < SESSION_TOKENS_MAX; e = jsonr_after(r, k, e)) {
			double v;
			if (jsonr_num_range(r, e, 0, 1e7, &v) == JSONR_OK)
				vals[n++] = (float)v;
			else
				vals[n++] = NAN; /* null = lost; garbage counts as lost too */
		}
	}
	if (isnan(start))
		start = isnan(a->stab.start_ts) ? 0 : a->stab.start_ts;
	mx.stability_chunks++;
	agents_stab_add(&s->agents, a, start, (unsigned)iv, vals, n, done, err, server_wall_now());
	if (done) {
		char ans[512];
		int l = stab_summary(&a->stab, err, ans, sizeof(ans));
		results_answer(c, "stability", ans, l > 0 && (size_t)l < sizeof(ans) ? (size_t)l : strlen(ans));
	}
	{
		struct agent_event ev = { .kind = AGENT_EV_STABILITY, .agent = a };
		server_notify(s, &ev);
	}
}

