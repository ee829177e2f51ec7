/* fleet.c — the bot's view of the fleet keys (wire/fleet.h): the latest
 * containers, failed units, disk health, UPS and custom metrics per host
 * for /status, their alerts (rules "container", "unit", "smart",
 * "ups_battery", "ups_charge" of alerts_sm.h, sent to the rule's user
 * through the outbox); the traffic quota's rule (fleet_quota.c) runs on
 * the same samples. A transition needs the previous sample: the last view of a key is kept in the database (fleet_state) whenever
 * what the rules compare changes, and read back when the key is first
 * seen after a start, so a container that stopped while the server was
 * down is told; with none kept the first sample reports no stop, no new
 * unit, no new drive failure. The UPS rules are conditions and fire on
 * it. Bot thread only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/bot/fleet_int.h"
#include "server/log.h"
#include "wire/json.h"
#include "wire/jsonr.h"

#define FL_BUCKETS 1024
#define FL_RING 16
#define FL_STATE_MAX (96u << 10)  /* a full struct fleet as JSON: about 40 KiB */
#define FL_STATE_TOKENS 12288

#define FL_FIRED 4              /* users whose "restarting" message is remembered */

struct fl_restarts {           /* one container's restart count when it changed */
	char name[FLEET_NAME];
	int64_t ts[FL_RING];
	int64_t n[FL_RING];
	unsigned head, len;
	/* each rule's (user's) last "restarting" message: one owner's message
	 * does not hold back another's */
	struct { int64_t user, ts; } fired[FL_FIRED];
};

struct fl_host {
	char secret[STORE_SECRET_MAX + 1];
	struct fleet *last;        /* NULL before the first sample with fleet keys */
	int64_t last_ts;
	struct fl_restarts *rs;    /* one per container seen, by name */
	size_t nrs;
	int ups_batt_told;         /* an on-battery episode announced */
	double ups_charge_prev;    /* NAN unknown */
	struct fl_quota *q;        /* one per quota rule, by user */
	size_t nq;
	uint64_t saved;            /* fl_digest of what fleet_state holds */
	struct fl_host *next;
};

struct bot_fleet {
	struct fl_host *bucket[FL_BUCKETS];
};

static size_t fl_hash(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % FL_BUCKETS;
}

static struct fl_host *fl_find(struct bot *b, const char *secret)
{
	struct fl_host *h;
	if (!b->fleet)
		return NULL;
	for (h = b->fleet->bucket[fl_hash(secret)]; h; h = h->next)
		if (!strcmp(h->secret, secret))
			return h;
	return NULL;
}

/* What the rules compare between two samples (FNV-1a): the containers'
 * names, states and health, the failed units, each drive's verdict and
 * attributes past their threshold, the UPS on battery and its charge. */
static uint64_t fl_digest(const struct fleet *f)
{
	uint64_t x = 1469598103934665603ULL;
#define MIX(p, n) do { const unsigned char *q_ = (const unsigned char *)(p); \
		for (size_t k_ = 0; k_ < (size_t)(n); k_++) x = (x ^ q_[k_]) * 1099511628211ULL; } while (0)
	int flags[4] = { f->has_containers, f->has_units, f->has_smart, f->has_ups };
	MIX(flags, sizeof(flags));
	for (int i = 0; f->has_containers && i < f->ncontainers; i++) {
		MIX(f->containers[i].name, strlen(f->containers[i].name) + 1);
		MIX(&f->containers[i].state, 1);
		MIX(&f->containers[i].health, 1);
	}
	for (int i = 0; f->has_units && i < f->nunits; i++)
		MIX(f->units_failed[i], strlen(f->units_failed[i]) + 1);
	for (int i = 0; f->has_smart && i < f->nsmart; i++) {
		MIX(f->smart[i].dev, strlen(f->smart[i].dev) + 1);
		MIX(&f->smart[i].ok, sizeof(f->smart[i].ok));
		for (int j = 0; j < f->smart[i].nattrs; j++)
			if (f->smart[i].attrs[j].thresh > 0 && f->smart[i].attrs[j].value <= f->smart[i].attrs[j].thresh)
				MIX(&f->smart[i].attrs[j].id, sizeof(int));
	}
	if (f->has_ups) {
		long charge = isfinite(f->ups.charge) ? lround(f->ups.charge) : -1;
		MIX(&f->ups.on_battery, sizeof(f->ups.on_battery));
		MIX(&charge, sizeof(charge));
	}
#undef MIX
	return x;
}

/* The view fleet_state keeps for h's key, if any, as h's last sample. */
static void fl_load(struct bot *b, struct fl_host *h)
{
	struct jsonr r;
	jsmntok_t *tok = NULL;
	char *js = NULL;
	int64_t ts;
	if (store_fleet_state_get(b->st, h->secret, &ts, &js) != STORE_OK)
		return;
	if (!(tok = malloc(FL_STATE_TOKENS * sizeof(*tok))) || !(h->last = malloc(sizeof(*h->last))))
		goto out;
	if (jsonr_parse(&r, js, strlen(js), tok, FL_STATE_TOKENS, 8) != JSONR_OK ||
	    jsonr_type(&r, 0) != JSONR_T_OBJECT) {
		log_warn("bot: the kept fleet view of %.6s… is not valid JSON: ignored", h->secret);
		free(h->last);
		h->last = NULL;
		goto out;
	}
	fleet_clear(h->last);
	fleet_from_json(h->last, &r, 0);
	h->last_ts = ts > 0 ? ts : 1;
	h->saved = fl_digest(h->last);
	if (h->last->has_ups) {
		h->ups_batt_told = h->last->ups.on_battery;
		h->ups_charge_prev = h->last->ups.charge;
	}
out:
	free(tok);
	free(js);
}

/* Keeps h's view when what the rules compare changed. */
static void fl_save(struct bot *b, struct fl_host *h)
{
	static char buf[FL_STATE_MAX];
	struct json_w w;
	uint64_t d = fl_digest(h->last);
	size_t len;
	if (d == h->saved)
		return;
	json_init(&w, buf, sizeof(buf));
	json_obj_open(&w);
	fleet_json_members(&w, h->last);
	json_obj_close(&w);
	if (json_finish(&w, &len) != JSON_OK || store_fleet_state_set(b->st, h->secret, h->last_ts, buf) != STORE_OK)
		return; /* tried again at the next change */
	h->saved = d;
}

static struct fl_host *fl_get(struct bot *b, const char *secret)
{
	struct fl_host *h = fl_find(b, secret);
	size_t i;
	if (h || !b->fleet)
		return h;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	snprintf(h->secret, sizeof(h->secret), "%s", secret);
	h->ups_charge_prev = NAN;
	fl_load(b, h);
	i = fl_hash(secret);
	h->next = b->fleet->bucket[i];
	b->fleet->bucket[i] = h;
	return h;
}

int bot_fleet_init(struct bot *b)
{
	b->fleet = calloc(1, sizeof(*b->fleet));
	return b->fleet ? 0 : -1;
}

static void fl_host_free(struct fl_host *h)
{
	free(h->last);
	free(h->rs);
	free(h->q);
	free(h);
}

void bot_fleet_free(struct bot *b)
{
	if (!b->fleet)
		return;
	for (size_t i = 0; i < FL_BUCKETS; i++) {
		struct fl_host *h, *n;
		for (h = b->fleet->bucket[i]; h; h = n) {
			n = h->next;
			fl_host_free(h);
		}
	}
	free(b->fleet);
	b->fleet = NULL;
}

void bot_fleet_forget_key(struct bot *b, const char *secret)
{
	struct fl_host **pp;
	if (!b->fleet)
		return;
	for (pp = &b->fleet->bucket[fl_hash(secret)]; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->secret, secret)) {
			struct fl_host *h = *pp;
			*pp = h->next;
			fl_host_free(h);
			return;
		}
}

/* ---- alerts ---------------------------------------------------------------------- */

static int may_tell(struct bot *b, const struct al_host *ah, const struct store_alert *a, int64_t now)
{
	(void)b;
	return !al_maint_active(ah, now) && !al_muted(a, now);
}

static const struct fleet_container *find_container(const struct fleet *f, const char *name)
{
	for (int i = 0; f && i < f->ncontainers; i++)
		if (!strcmp(f->containers[i].name, name))
			return &f->containers[i];
	return NULL;
}

static struct fl_restarts *restarts_of(struct fl_host *h, const char *name)
{
	struct fl_restarts *n;
	for (size_t i = 0; i < h->nrs; i++)
		if (!strcmp(h->rs[i].name, name))
			return &h->rs[i];
	if (h->nrs >= FLEET_MAX_CONTAINERS * 2)
		return NULL;
	n = realloc(h->rs, (h->nrs + 1) * sizeof(*h->rs));
	if (!n)
		return NULL;
	h->rs = n;
	memset(&n[h->nrs], 0, sizeof(n[h->nrs]));
	snprintf(n[h->nrs].name, sizeof(n[h->nrs].name), "%s", name);
	return &n[h->nrs++];
}

/* Notes a container's restart count; returns the restarts within the
 * window before ts. */
static int64_t restarts_note(struct fl_restarts *r, int64_t ts, int64_t n)
{
	int64_t base = -1;
	unsigned last = (r->head + FL_RING - 1) % FL_RING;
	if (n < 0)
		return 0;
	if (!r->len || r->n[last] != n) {
		if (r->len && n < r->n[last]) /* recreated: the count starts again */
			r->len = 0;
		r->ts[r->head] = ts;
		r->n[r->head] = n;
		r->head = (r->head + 1) % FL_RING;
		if (r->len < FL_RING)
			r->len++;
	}
	/* the count at the window's start: the newest entry at or before it,
	 * else the oldest kept */
	for (unsigned k = 0; k < r->len; k++) {
		unsigned i = (r->head + FL_RING - r->len + k) % FL_RING;
		if (r->ts[i] <= ts - AL_FLEET_RESTART_WINDOW_S || base < 0)
			base = r->n[i];
	}
	return base < 0 ? 0 : n - base;
}

/* The slot of user's last "restarting" message for r (the oldest one is
 * taken over when every slot is another user's). */
static int64_t *fired_of(struct fl_restarts *r, int64_t user)
{
	size_t old = 0;
	for (size_t i = 0; i < FL_FIRED; i++) {
		if (r->fired[i].user == user && r->fired[i].ts)
			return &r->fired[i].ts;
		if (r->fired[i].ts < r->fired[old].ts)
			old = i;
	}
	r->fired[old].user = user;
	r->fired[old].ts = 0;
	return &r->fired[old].ts;
}

static void containers_rule(struct bot *b, struct fl_host *h, const struct store_alert *a,
                            const struct fleet *f, const char *label, int tellok, int64_t ts)
{
	char n[4 * FLEET_NAME];
	const struct fleet *p = h->last;
	if (!f->has_containers)
		return;
	for (int i = 0; p && p->has_containers && i < p->ncontainers; i++) {
		const struct fleet_container *was = &p->containers[i];
		const struct fleet_container *now = find_container(f, was->name);
		if (was->state != FLEET_ST_RUNNING || (now && now->state == FLEET_ST_RUNNING) || !tellok)
			continue;
		bot_esc(was->name, n, sizeof(n));
		al_tell(b, a, 1, label, "🔴", "container <b>%s</b> stopped (running → %s).",
		     "контейнер <b>%s</b> остановлен (running → %s).", n,
		     now ? fleet_state_names[now->state] : BOT_T(b, "gone", "удалён"));
	}
	for (int i = 0; i < f->ncontainers; i++) {
		const struct fleet_container *c = &f->containers[i];
		const struct fleet_container *was = find_container(p, c->name);
		struct fl_restarts *r;
		int64_t nr, *fired;
		bot_esc(c->name, n, sizeof(n));
		if (c->health == FLEET_H_UNHEALTHY && (!was || was->health != FLEET_H_UNHEALTHY) && tellok)
			al_tell(b, a, 1, label, "🔴", "container <b>%s</b> is unhealthy.",
			     "контейнер <b>%s</b> нездоров (unhealthy).", n);
		if (!(r = restarts_of(h, c->name)))
			continue;
		nr = restarts_note(r, ts, c->restarts);
		fired = fired_of(r, a->user);
		if ((double)nr > a->threshold && (!*fired || ts - *fired >= AL_FLEET_RESTART_WINDOW_S)) {
			*fired = ts;
			if (tellok)
				al_tell(b, a, 1, label, "🔴", "container <b>%s</b> restarted %lld times in 10 min (limit %g).",
				     "контейнер <b>%s</b> перезапускался %lld раз за 10 мин (порог %g).", n,
				     (long long)nr, a->threshold);
		}
	}
}

static int unit_in(const struct fleet *f, const char *u)
{
	for (int i = 0; f && i < f->nunits; i++)
		if (!strcmp(f->units_failed[i], u))
			return 1;
	return 0;
}

static void units_rule(struct bot *b, struct fl_host *h, const struct store_alert *a,
                       const struct fleet *f, const char *label)
{
	char n[4 * FLEET_NAME];
	if (!f->has_units || !h->last || !h->last->has_units)
		return;
	for (int i = 0; i < f->nunits; i++) {
		if (unit_in(h->last, f->units_failed[i]))
			continue;
		bot_esc(f->units_failed[i], n, sizeof(n));
		al_tell(b, a, 1, label, "🔴", "unit <b>%s</b> failed.", "юнит <b>%s</b> упал.", n);
	}
}

static const struct fleet_smart *find_drive(const struct fleet *f, const char *dev)
{
	for (int i = 0; f && i < f->nsmart; i++)
		if (!strcmp(f->smart[i].dev, dev))
			return &f->smart[i];
	return NULL;
}

static int attr_past(const struct fleet_attr *x)
{
	return x->thresh > 0 && x->value <= x->thresh;
}

static int attr_was_past(const struct fleet_smart *d, int id)
{
	for (int i = 0; d && i < d->nattrs; i++)
		if (d->attrs[i].id == id && attr_past(&d->attrs[i]))
			return 1;
	return 0;
}

static void smart_rule(struct bot *b, struct fl_host *h, const struct store_alert *a,
                       const struct fleet *f, const char *label)
{
	char n[4 * 32], an[4 * 32];
	if (!f->has_smart || !h->last || !h->last->has_smart)
		return;
	for (int i = 0; i < f->nsmart; i++) {
		const struct fleet_smart *d = &f->smart[i], *was = find_drive(h->last, d->dev);
		bot_esc(d->dev, n, sizeof(n));
		if (!d->ok && (!was || was->ok))
			al_tell(b, a, 1, label, "🔴", "disk <b>%s</b>: SMART health is FAILING.",
			     "диск <b>%s</b>: SMART сообщает об отказе (FAILING).", n);
		for (int j = 0; j < d->nattrs; j++) {
			const struct fleet_attr *x = &d->attrs[j];
			if (!attr_past(x) || attr_was_past(was, x->id))
				continue;
			bot_esc(x->name, an, sizeof(an));
			al_tell(b, a, 1, label, "🔴", "disk <b>%s</b>: attribute %d %s is %d, threshold %d.",
			     "диск <b>%s</b>: атрибут %d %s = %d, порог %d.", n, x->id, an, x->value, x->thresh);
		}
	}
}

static void ups_name(const struct fleet *f, char *out, size_t cap)
{
	char e[4 * 64];
	bot_esc(f->ups.name[0] ? f->ups.name : "ups", e, sizeof(e));
	snprintf(out, cap, "%s", e);
}

void bot_fleet_on_sample(struct bot *b, const struct bot_ev *ev)
{
	struct al_host *ah = al_host_find(b, ev->secret);
	struct fl_host *h;
	const struct fleet *f = ev->fleet;
	char label[4 * STORE_NAME_MAX + 16], un[4 * 64 + 8];
	int64_t now = bot_now(), ts = ev->sample_ts ? ev->sample_ts : ev->ts;
	int have_label = 0, any_quota = 0, noted = 0;

	for (size_t i = 0; ah && i < ah->n; i++)
		if (!strcmp(ah->rules[i].metric, "quota"))
			any_quota = 1;
	if (!f && !any_quota)
		return;
	if (!(h = fl_get(b, ev->secret)))
		return;
	/* a sample older than the latest (a spool being replayed) changes
	 * no state and tells nothing */
	if (f && ts < h->last_ts)
		f = NULL;
	if (ah)
		have_label = al_label(b, ev->secret, label, sizeof(label)) == 0;
	for (size_t i = 0; ah && have_label && i < ah->n; i++) {
		struct store_alert *a = &ah->rules[i];
		int ok = may_tell(b, ah, a, now);
		if (!strcmp(a->metric, "quota")) {
			struct fl_quota *q = fl_quota_of(&h->q, &h->nq, a->user);
			if (q)
				fl_quota_rule(b, ev->secret, a, q, ts, ev->v[SK_NET_UP], ev->v[SK_NET_DOWN], label, ok);
			continue;
		}
		if (!f)
			continue;
		if (!strcmp(a->metric, "container")) {
			containers_rule(b, h, a, f, label, ok, ts);
			noted = 1;
		}
		else if (!strcmp(a->metric, "unit") && ok)
			units_rule(b, h, a, f, label);
		else if (!strcmp(a->metric, "smart") && ok)
			smart_rule(b, h, a, f, label);
		else if (!strcmp(a->metric, "ups_battery") && f->has_ups) {
			ups_name(f, un, sizeof(un));
			if (f->ups.on_battery && !h->ups_batt_told && ok) {
				if (isfinite(f->ups.charge))
					al_tell(b, a, 1, label, "🔋", "UPS <b>%s</b> is on battery, charge %.0f%%.",
					     "ИБП <b>%s</b> на батарее, заряд %.0f%%.", un, f->ups.charge);
				else
					al_tell(b, a, 1, label, "🔋", "UPS <b>%s</b> is on battery.", "ИБП <b>%s</b> на батарее.", un);
			} else if (!f->ups.on_battery && h->ups_batt_told && ok) {
				al_tell(b, a, 0, label, "✅", "UPS <b>%s</b> is back on mains.", "ИБП <b>%s</b> снова от сети.", un);
			}
		} else if (!strcmp(a->metric, "ups_charge") && f->has_ups && isfinite(f->ups.charge)) {
			ups_name(f, un, sizeof(un));
			if (f->ups.charge < a->threshold &&
			    !(isfinite(h->ups_charge_prev) && h->ups_charge_prev < a->threshold) && ok)
				al_tell(b, a, 1, label, "🪫", "UPS <b>%s</b> charge %.0f%% is below %g%%.",
				     "заряд ИБП <b>%s</b> %.0f%% ниже %g%%.", un, f->ups.charge, a->threshold);
		}
	}
	if (!f)
		return;
	if (f->has_ups) {
		h->ups_batt_told = f->ups.on_battery;
		h->ups_charge_prev = f->ups.charge;
	}
	if (!noted) /* no container rule: the restart counts still follow */
		for (int i = 0; f->has_containers && i < f->ncontainers; i++) {
			struct fl_restarts *r = restarts_of(h, f->containers[i].name);
			if (r)
				restarts_note(r, ts, f->containers[i].restarts);
		}
	if (!h->last && !(h->last = malloc(sizeof(*h->last))))
		return;
	/* keys a sample left out keep what the last one said */
	if (f->has_containers || !h->last_ts) {
		h->last->has_containers = f->has_containers;
		h->last->ncontainers = f->ncontainers;
		memcpy(h->last->containers, f->containers, sizeof(f->containers));
	}
	if (f->has_units || !h->last_ts) {
		h->last->has_units = f->has_units;
		h->last->nunits = f->nunits;
		memcpy(h->last->units_failed, f->units_failed, sizeof(f->units_failed));
	}
	if (f->has_smart || !h->last_ts) {
		h->last->has_smart = f->has_smart;
		h->last->nsmart = f->nsmart;
		memcpy(h->last->smart, f->smart, sizeof(f->smart));
	}
	if (f->has_ups || !h->last_ts) {
		h->last->has_ups = f->has_ups;
		h->last->ups = f->ups;
	}
	if (f->has_custom || !h->last_ts) {
		h->last->has_custom = f->has_custom;
		h->last->ncustom = f->ncustom;
		memcpy(h->last->custom, f->custom, sizeof(f->custom));
	}
	h->last_ts = ts ? ts : 1;
	fl_save(b, h);
}

/* ---- /status --------------------------------------------------------------------- */

static void describe_containers(struct bot *b, const struct fleet *f, struct bot_buf *o)
{
	int running = 0, shown = 0;
	char n[4 * FLEET_NAME];
	for (int i = 0; i < f->ncontainers; i++)
		running += f->containers[i].state == FLEET_ST_RUNNING;
	bot_buf_addf(o, BOT_T(b, "🐳 Containers: %d of %d running\n", "🐳 Контейнеры: %d из %d работают\n"),
	             running, f->ncontainers);
	for (int i = 0; i < f->ncontainers && shown < 10; i++) {
		const struct fleet_container *c = &f->containers[i];
		if (c->state == FLEET_ST_RUNNING && c->health != FLEET_H_UNHEALTHY)
			continue;
		bot_esc(c->name, n, sizeof(n));
		bot_buf_addf(o, "   ⚠️ %s: %s%s\n", n, fleet_state_names[c->state],
		             c->health == FLEET_H_UNHEALTHY ? ", unhealthy" : "");
		shown++;
	}
}

void bot_fleet_describe(struct bot *b, const char *secret, int64_t user, struct bot_buf *o)
{
	struct fl_host *h = fl_get(b, secret);
	const struct fleet *f = h ? h->last : NULL;
	char n[4 * 128];

	if (f && f->has_containers)
		describe_containers(b, f, o);
	if (f && f->has_units) {
		if (!f->nunits) {
			bot_buf_add(o, BOT_T(b, "⚙️ Units: none failed\n", "⚙️ Юниты: упавших нет\n"));
		} else {
			bot_buf_addf(o, BOT_T(b, "⚙️ Failed units (%d):", "⚙️ Упавшие юниты (%d):"), f->nunits);
			for (int i = 0; i < f->nunits && i < 10; i++)
				bot_buf_addf(o, "%s %s", i ? "," : "", bot_esc(f->units_failed[i], n, sizeof(n)));
			bot_buf_add(o, "\n");
		}
	}
	if (f && f->has_smart) {
		for (int i = 0; i < f->nsmart; i++) {
			const struct fleet_smart *d = &f->smart[i];
			int past = 0;
			for (int j = 0; j < d->nattrs; j++)
				past += attr_past(&d->attrs[j]);
			bot_buf_addf(o, "💽 %s: %s", bot_esc(d->dev, n, sizeof(n)),
			             !d->ok ? "FAILING" : past ? BOT_T(b, "attribute past threshold", "атрибут за порогом")
			                                       : BOT_T(b, "healthy", "исправен"));
			if (isfinite(d->temp))
				bot_buf_addf(o, ", %.0f °C", d->temp);
			if (isfinite(d->used))
				bot_buf_addf(o, BOT_T(b, ", %.0f%% used", ", износ %.0f%%"), d->used);
			bot_buf_add(o, "\n");
		}
	}
	if (f && f->has_ups) {
		ups_name(f, n, sizeof(n));
		bot_buf_addf(o, "🔋 UPS %s: %s", n,
		             f->ups.on_battery ? BOT_T(b, "on battery", "на батарее") : BOT_T(b, "on mains", "от сети"));
		if (isfinite(f->ups.charge))
			bot_buf_addf(o, BOT_T(b, ", charge %.0f%%", ", заряд %.0f%%"), f->ups.charge);
		if (isfinite(f->ups.runtime))
			bot_buf_addf(o, BOT_T(b, ", runtime %.0f min", ", время %.0f мин"), f->ups.runtime / 60);
		if (isfinite(f->ups.load))
			bot_buf_addf(o, BOT_T(b, ", load %.0f%%", ", нагрузка %.0f%%"), f->ups.load);
		if (f->ups.status[0])
			bot_buf_addf(o, " (%s)", bot_esc(f->ups.status, n, sizeof(n)));
		bot_buf_add(o, "\n");
	}
	if (f && f->has_custom && f->ncustom) {
		bot_buf_add(o, "📈");
		for (int i = 0; i < f->ncustom && i < 8; i++)
			bot_buf_addf(o, "%s %s %g", i ? "," : "", bot_esc(f->custom[i].key, n, sizeof(n)),
			             f->custom[i].value);
		if (f->ncustom > 8)
			bot_buf_addf(o, BOT_T(b, " and %d more", " и ещё %d"), f->ncustom - 8);
		bot_buf_add(o, "\n");
	}
	fl_quota_describe(b, secret, user, h ? h->q : NULL, h ? h->nq : 0, o);
}
