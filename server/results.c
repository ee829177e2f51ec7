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
};

static void write_done(void *arg, int rc)
{
	struct write_job *j = arg;
	struct client *c = transport_by_tag(&j->srv->tr, j->tag);
	(void)rc;
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
	return store_cmd_answer_pending(st, j->secret, j->prefix, j->now, j->text, NULL);
}

/* Records an agent's answer to the oldest delivered command starting with
 * prefix ("" = any). */
void results_answer(struct client *c, const char *prefix, const char *text, size_t len)
{
	struct write_job *j = write_job_new(c, text, agents_utf8_cut(text, len, ANSWER_MAX));
	if (!j)
		return;
	snprintf(j->prefix, sizeof(j->prefix), "%s", prefix);
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
	if (ok)
		results_answer(c, "diag", a->diag, strlen(a->diag));
	else
		results_answer(c, "diag", "diagnostics failed", 18);
	free(t);
	{
		struct agent_event ev = { .kind = AGENT_EV_DIAG, .agent = a };
		server_notify(s, &ev);
	}
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
		char ans[128];
		int l = snprintf(ans, sizeof(ans), "%zu values%s%s", a->stab.n,
		                 err[0] ? ", error: " : "", err);
		results_answer(c, "stability", ans, (size_t)l < sizeof(ans) ? (size_t)l : sizeof(ans) - 1);
	}
	{
		struct agent_event ev = { .kind = AGENT_EV_STABILITY, .agent = a };
		server_notify(s, &ev);
	}
}

