/* tables.c — the writer's two in-memory hash tables: minutes touched and
 * not yet folded (mirroring the rollup_dirty journal) and the secrets it
 * has looked up (known?, last_seen written). Calls nothing else of the
 * store. */
#include "server/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t store_hash_str(const char *s, uint64_t h)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static size_t dslot(const struct store *st, const char *secret, int64_t bucket)
{
	uint64_t h = store_hash_str(secret, STORE_HASH_SEED ^ (uint64_t)bucket * 0x9e3779b97f4a7c15ull);
	return (size_t)(h & (st->dcap - 1));
}

struct dnode *store_dirty_find(struct store *st, const char *secret, int64_t bucket)
{
	if (!st->dcap)
		return NULL;
	for (struct dnode *d = st->dtab[dslot(st, secret, bucket)]; d; d = d->next)
		if (d->bucket == bucket && !strcmp(d->secret, secret))
			return d;
	return NULL;
}

static int dgrow(struct store *st)
{
	size_t ncap = st->dcap ? st->dcap * 2 : 1024;
	struct dnode **nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return STORE_ENOMEM;
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			uint64_t h = store_hash_str(d->secret, STORE_HASH_SEED ^
			                                     (uint64_t)d->bucket * 0x9e3779b97f4a7c15ull);
			size_t s = (size_t)(h & (ncap - 1));
			d->next = nt[s];
			nt[s] = d;
		}
	}
	free(st->dtab);
	st->dtab = nt;
	st->dcap = ncap;
	return 0;
}

struct dnode *store_dirty_add(struct store *st, const char *secret, int64_t bucket, int pending)
{
	struct dnode *d = store_dirty_find(st, secret, bucket);
	size_t s;
	if (d)
		return d;
	if (st->dn + 1 > st->dcap && dgrow(st) != 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	snprintf(d->secret, sizeof(d->secret), "%s", secret);
	d->bucket = bucket;
	d->pending = pending;
	s = dslot(st, secret, bucket);
	d->next = st->dtab[s];
	st->dtab[s] = d;
	st->dn++;
	return d;
}

void store_dirty_del(struct store *st, struct dnode *victim)
{
	size_t s = dslot(st, victim->secret, victim->bucket);
	for (struct dnode **pp = &st->dtab[s]; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			st->dn--;
			return;
		}
	}
}

struct anode *store_known_find(struct store *st, const char *secret, int create)
{
	size_t s;
	struct anode *a;
	if (!st->acap) {
		if (!create)
			return NULL;
		st->atab = calloc(4096, sizeof(*st->atab));
		if (!st->atab)
			return NULL;
		st->acap = 4096;
	}
	s = (size_t)(store_hash_str(secret, STORE_HASH_SEED) & (st->acap - 1));
	for (a = st->atab[s]; a; a = a->next)
		if (!strcmp(a->secret, secret))
			return a;
	if (!create)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->secret, sizeof(a->secret), "%s", secret);
	a->next = st->atab[s];
	st->atab[s] = a;
	st->an++;
	return a;
}

void store_forget_secret(struct store *st, const char *secret)
{
	struct anode *a = store_known_find(st, secret, 0);
	if (a) {
		a->known = 0;
		a->checked = 0;
		a->seen = 0;
	}
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			if (!strcmp(d->secret, secret))
				store_dirty_del(st, d);
		}
	}
}

void store_tables_free(struct store *st)
{
	for (size_t i = 0; i < st->dcap; i++) {
		struct dnode *d = st->dtab[i], *next;
		for (; d; d = next) {
			next = d->next;
			free(d);
		}
	}
	free(st->dtab);
	st->dtab = NULL;
	st->dcap = st->dn = 0;
	for (size_t i = 0; i < st->acap; i++) {
		struct anode *a = st->atab[i], *next;
		for (; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(st->atab);
	st->atab = NULL;
	st->acap = st->an = 0;
}
