/* agents.c — the per-key in-memory table and result areas. */
#include "server/agents.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void agents_init(struct agent_table *t)
{
	memset(t, 0, sizeof(*t));
}

static void agent_free(struct agent *a)
{
	free(a->text);
	free(a->diag);
	free(a->oneshot);
	free(a->stab.rtts);
	free(a->stamps);
	free(a);
}

void agents_free(struct agent_table *t)
{
	struct agent *a = t->all;
	while (a) {
		struct agent *n = a->next;
		agent_free(a);
		a = n;
	}
	memset(t, 0, sizeof(*t));
}

struct agent *agents_find(struct agent_table *t, const char *secret)
{
	struct agent *a = t->bucket[fnv1a(secret) % AGENT_HASH_SIZE];
	for (; a; a = a->hnext)
		if (strcmp(a->secret, secret) == 0)
			return a;
	return NULL;
}

struct agent *agents_get(struct agent_table *t, const char *secret)
{
	struct agent *a = agents_find(t, secret);
	uint64_t h;
	size_t b;

	if (a)
		return a;
	if (strlen(secret) > STORE_SECRET_MAX)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	strcpy(a->secret, secret);
	/* A label must not leak the secret: a second, seeded hash of it. */
	h = fnv1a(secret) ^ 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	snprintf(a->id, sizeof(a->id), "%016llx", (unsigned long long)h);
	a->stab.start_ts = NAN;
	for (int i = 0; i < SK__COUNT; i++)
		a->latest[i] = NAN;
	a->latest_load1 = a->latest_disk_pct = NAN;
	b = fnv1a(secret) % AGENT_HASH_SIZE;
	a->hnext = t->bucket[b];
	t->bucket[b] = a;
	a->next = t->all;
	if (t->all)
		t->all->prev = a;
	t->all = a;
	t->n++;
	return a;
}

void agents_remove(struct agent_table *t, struct agent *a)
{
	struct agent **pp = &t->bucket[fnv1a(a->secret) % AGENT_HASH_SIZE];
	while (*pp && *pp != a)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = a->hnext;
	if (a->prev)
		a->prev->next = a->next;
	else
		t->all = a->next;
	if (a->next)
		a->next->prev = a->prev;
	t->stab_total -= a->stab.n;
	t->n--;
	agent_free(a);
}

size_t agents_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;
	if (len <= max)
		return len;
	n = max;
	/* back off continuation bytes, then the lead byte of the cut char */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static int set_copy(char **dst, const char *s, size_t len, size_t max)
{
	size_t n = agents_utf8_cut(s, len, max);
	char *p = malloc(n + 1);
	if (!p)
		return -1;
	memcpy(p, s, n);
	p[n] = '\0';
	free(*dst);
	*dst = p;
	return 0;
}

int agents_set_text(struct agent *a, const char *text, size_t len, int64_t now)
{
	if (set_copy(&a->text, text, len, AGENT_TEXT_MAX) != 0)
		return -1;
	a->text_ts = now;
	return 0;
}

int agents_set_diag(struct agent *a, const char *text, size_t len, int ok, int64_t now)
{
	if (set_copy(&a->diag, text, len, AGENT_DIAG_MAX) != 0)
		return -1;
	a->diag_ok = ok;
	a->has_diag = 1;
	a->diag_ts = now;
	return 0;
}

int agents_set_oneshot(struct agent *a, const struct sample *s, int64_t now)
{
	if (!a->oneshot) {
		a->oneshot = malloc(sizeof(*a->oneshot));
		if (!a->oneshot)
			return -1;
	}
	*a->oneshot = *s;
	a->oneshot_ts = now;
	return 0;
}

void agents_set_latest(struct agent *a, const struct sample *s, int64_t ts)
{
	double dmax = NAN;
	a->has_latest = 1;
	a->latest_ts = ts;
	memcpy(a->latest, s->v, sizeof(a->latest));
	a->latest_load1 = s->load[0];
	for (int i = 0; i < s->ndisks; i++)
		if (!isnan(s->disks[i].percent) && (isnan(dmax) || s->disks[i].percent > dmax))
			dmax = s->disks[i].percent;
	if (s->has_disks && s->ndisks > 0)
		a->latest_disk_pct = dmax;
}

int agents_stab_add(struct agent_table *t, struct agent *a, double start_ts,
                   unsigned interval_ms, const float *rtts, size_t n, int done,
                   const char *error, int64_t now)
{
	struct agent_stability *st = &a->stab;
	size_t room, take;

	if (isnan(st->start_ts) || start_ts != st->start_ts) {
		t->stab_total -= st->n;
		st->n = 0;
		st->dropped = 0;
		st->done = 0;
		st->error[0] = '\0';
		st->start_ts = start_ts;
		st->interval_ms = interval_ms;
	}
	st->updated = now;
	if (done)
		st->done = 1;
	if (error && *error)
		snprintf(st->error, sizeof(st->error), "%s", error);
	room = AGENT_STAB_MAX - st->n;
	if (t->stab_total < AGENT_STAB_TOTAL && AGENT_STAB_TOTAL - t->stab_total < room)
		room = AGENT_STAB_TOTAL - t->stab_total;
	else if (t->stab_total >= AGENT_STAB_TOTAL)
		room = 0;
	take = n < room ? n : room;
	st->dropped += n - take;
	if (take == 0)
		return 0;
	if (st->n + take > st->cap) {
		size_t nc = st->cap ? st->cap : 1024;
		float *nr;
		while (nc < st->n + take)
			nc *= 2;
		if (nc > AGENT_STAB_MAX)
			nc = AGENT_STAB_MAX;
		nr = realloc(st->rtts, nc * sizeof(*nr));
		if (!nr)
			return -1;
		st->rtts = nr;
		st->cap = nc;
	}
	memcpy(st->rtts + st->n, rtts, take * sizeof(*rtts));
	st->n += take;
	t->stab_total += take;
	return 0;
}

int64_t agents_stamp(struct agent *a, int64_t agent_ms, int64_t now)
{
	int64_t ts;
	for (unsigned i = 0; i < a->nstamps; i++)
		if (a->stamps[i].agent_ms == agent_ms)
			return a->stamps[i].ts;
	ts = now > a->last_stamp ? now : a->last_stamp + 1;
	a->last_stamp = ts;
	if (!a->stamps)
		a->stamps = calloc(AGENT_STAMPS, sizeof(*a->stamps));
	if (a->stamps) {
		a->stamps[a->stamp_next].agent_ms = agent_ms;
		a->stamps[a->stamp_next].ts = ts;
		a->stamp_next = (a->stamp_next + 1) % AGENT_STAMPS;
		if (a->nstamps < AGENT_STAMPS)
			a->nstamps++;
	}
	return ts;
}
