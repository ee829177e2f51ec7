/* rollup.c — keeping the minute and hour rollups (folding journalled
 * minutes from raw rows) and retention (purging old rows a slice of keys
 * at a time). */
#include "server/store/store_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct due {
	char secret[STORE_SECRET_MAX + 1];
	int64_t bucket;
};

static int due_cmp(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	int c = strcmp(x->secret, y->secret);
	if (c)
		return c;
	return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

/* The fleet series' bucket [bucket, bucket + len) of a key, every series
 * of it in one statement (the same journal as the metrics row: the fleet
 * rows are written in the sample's transaction). */
static int fold_fleet(struct store *st, int id, const char *secret, int64_t bucket, int64_t len)
{
	struct db_stmt *f;
	STORE_GET_STMT(f, st, id);
	st->ops->bind_int(f, 0, bucket);
	store_bind_text(st, f, 1, secret);
	st->ops->bind_int(f, 2, bucket);
	st->ops->bind_int(f, 3, bucket + len);
	return store_exec_stmt(st, f, "fold fleet series");
}

static int fold_bucket(struct store *st, const struct due *d, int hour_too)
{
	struct db_stmt *m, *h, *del;
	int rc;
	STORE_GET_STMT(m, st, STORE_ST_FOLD_MIN);
	store_bind_text(st, m, 0, d->secret);
	st->ops->bind_int(m, 1, d->bucket);
	store_bind_text(st, m, 2, d->secret);
	st->ops->bind_int(m, 3, d->bucket);
	st->ops->bind_int(m, 4, d->bucket + 60);
	if ((rc = store_exec_stmt(st, m, "fold minute")) != 0)
		return rc;
	if ((rc = fold_fleet(st, STORE_ST_FLEET_FOLD_MIN, d->secret, d->bucket, 60)) != 0)
		return rc;
	if (hour_too) {
		int64_t hb = d->bucket - d->bucket % 3600;
		STORE_GET_STMT(h, st, STORE_ST_FOLD_HOUR);
		store_bind_text(st, h, 0, d->secret);
		st->ops->bind_int(h, 1, hb);
		store_bind_text(st, h, 2, d->secret);
		st->ops->bind_int(h, 3, hb);
		st->ops->bind_int(h, 4, hb + 3600);
		if ((rc = store_exec_stmt(st, h, "fold hour")) != 0)
			return rc;
		if ((rc = fold_fleet(st, STORE_ST_FLEET_FOLD_HOUR, d->secret, hb, 3600)) != 0)
			return rc;
	}
	STORE_GET_STMT(del, st, STORE_ST_DIRTY_DEL);
	store_bind_text(st, del, 0, d->secret);
	st->ops->bind_int(del, 1, d->bucket);
	return store_exec_stmt(st, del, "rollup journal");
}

static int due_by_time(const void *a, const void *b)
{
	const struct due *x = a, *y = b;
	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return strcmp(x->secret, y->secret);
}

int store_rollup_some(struct store *st, int64_t now, int force, size_t max)
{
	struct due *list = NULL;
	size_t n = 0, folded = 0;
	int rc = 0;
	STORE_NEED_CONN(st);
	if (!st->dn || max == 0)
		return 0;
	list = malloc(st->dn * sizeof(*list));
	if (!list)
		return STORE_ENOMEM;
	for (size_t i = 0; i < st->dcap; i++)
		for (struct dnode *d = st->dtab[i]; d; d = d->next)
			if (!d->pending && (force || d->bucket + 60 + STORE_ROLLUP_GRACE <= now)) {
				memcpy(list[n].secret, d->secret, sizeof(list[n].secret));
				list[n].bucket = d->bucket;
				n++;
			}
	if (n > max) {
		/* the oldest minutes first */
		qsort(list, n, sizeof(*list), due_by_time);
		n = max;
	}
	qsort(list, n, sizeof(*list), due_cmp);
	for (size_t i = 0; i < n && rc == 0;) {
		size_t end = i + 256 < n ? i + 256 : n, j;
		if ((rc = store_begin(st)) != 0)
			break;
		for (j = i; j < end && rc == 0; j++) {
			/* Fold the hour once, after the last of its minutes in this run. */
			int last_of_hour = j + 1 == end || strcmp(list[j].secret, list[j + 1].secret) ||
			                   list[j].bucket / 3600 != list[j + 1].bucket / 3600;
			rc = fold_bucket(st, &list[j], last_of_hour);
		}
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		if (rc == 0) {
			for (j = i; j < end; j++) {
				struct dnode *d = store_dirty_find(st, list[j].secret, list[j].bucket);
				if (d && !d->pending)
					store_dirty_del(st, d);
			}
			folded += end - i;
		} else if (rc != STORE_EDOWN) {
			/* Keep trying later; give up on a bucket that keeps failing. */
			for (j = i; j < end; j++) {
				struct dnode *d = store_dirty_find(st, list[j].secret, list[j].bucket);
				if (d && ++d->failures >= 5) {
					store_log(st, 3, "giving up folding %s at %lld", d->secret, (long long)d->bucket);
					store_dirty_del(st, d);
				}
			}
		}
		i = end;
	}
	free(list);
	st->stats.rollup_buckets += folded;
	return rc < 0 ? rc : (int)folded;
}

int store_rollup_run(struct store *st, int64_t now, int force)
{
	return store_rollup_some(st, now, force, SIZE_MAX);
}

void store_purge_reset(struct store *st)
{
	for (size_t i = 0; i < st->purge_n; i++)
		free(st->purge_keys[i]);
	free(st->purge_keys);
	st->purge_keys = NULL;
	st->purge_n = st->purge_pos = 0;
	st->purge_now = 0;
	st->purge_total = 0;
}

/* The keys to purge: every agent and every key that still has rollups. */
static int purge_list(struct store *st)
{
	struct db_stmt *s;
	size_t cap = 0;
	int rc;
	STORE_GET_STMT(s, st, STORE_ST_PURGE_SECRETS);
	while ((rc = store_next(st, s, "purge keys")) == 1) {
		const char *v = st->ops->col_text(s, 0, NULL);
		if (!v)
			continue;
		if (st->purge_n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **p = realloc(st->purge_keys, nc * sizeof(*p));
			if (!p) {
				st->ops->reset(s);
				return STORE_ENOMEM;
			}
			st->purge_keys = p;
			cap = nc;
		}
		if (!(st->purge_keys[st->purge_n] = strdup(v))) {
			st->ops->reset(s);
			return STORE_ENOMEM;
		}
		st->purge_n++;
	}
	return rc;
}

int store_purge_step(struct store *st, int64_t now, size_t max_keys)
{
	int64_t cut_raw, cut_hour;
	struct db_stmt *s;
	size_t end;
	int rc = 0;
	STORE_NEED_CONN(st);
	if (!st->purge_now || st->purge_now != now) {
		store_purge_reset(st);
		st->purge_now = now;
		if ((rc = purge_list(st)) != 0) {
			store_purge_reset(st);
			return rc;
		}
	}
	cut_raw = now - (int64_t)st->cfg.retention_days * 86400;
	cut_hour = now - (int64_t)st->cfg.hour_retention_days * 86400;
	end = st->purge_n - st->purge_pos > max_keys ? st->purge_pos + max_keys : st->purge_n;
	for (; rc == 0 && st->purge_pos < end; st->purge_pos++) {
		static const int ids[] = {STORE_ST_PURGE_RAW, STORE_ST_PURGE_1M, STORE_ST_PURGE_1H,
		                          STORE_ST_FLEET_PURGE_RAW, STORE_ST_FLEET_PURGE_1M, STORE_ST_FLEET_PURGE_1H};
		const char *key = st->purge_keys[st->purge_pos];
		int64_t n = 0;
		if ((rc = store_begin(st)) != 0)
			break;
		for (int k = 0; k < 6 && rc == 0; k++) {
			struct db_stmt *d = store_stmt(st, ids[k]);
			if (!d) {
				rc = st->c ? STORE_EDB : STORE_EDOWN;
				break;
			}
			store_bind_text(st, d, 0, key);
			st->ops->bind_int(d, 1, k % 3 == 2 ? cut_hour : cut_raw);
			if ((rc = store_exec_stmt(st, d, "purge")) == 0)
				n += st->ops->changes(d);
		}
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		if (rc == 0)
			st->purge_total += n;
	}
	if (rc != 0) {
		store_purge_reset(st);
		return rc;
	}
	if (st->purge_pos < st->purge_n)
		return 0;
	/* last step: old command history, then the day's mark */
	if (!(s = store_stmt(st, STORE_ST_PURGE_CMDS))) {
		store_purge_reset(st);
		return st->c ? STORE_EDB : STORE_EDOWN;
	}
	st->ops->bind_int(s, 0, cut_hour);
	if ((rc = store_exec_stmt(st, s, "purge commands")) == 0)
		st->purge_total += st->ops->changes(s);
	if (rc == 0)
		rc = store_meta_set_int(st, "purge.last", now);
	if (rc == 0) {
		st->last_purge = now;
		store_log(st, 1, "retention purge: %lld rows older than %d days removed", (long long)st->purge_total,
		          st->cfg.retention_days);
		rc = 1;
	}
	st->stats.purged_rows += (uint64_t)(rc == 1 ? st->purge_total : 0);
	store_purge_reset(st);
	return rc;
}

int64_t store_purge(struct store *st, int64_t now)
{
	int64_t before = (int64_t)st->stats.purged_rows;
	int rc;
	while ((rc = store_purge_step(st, now, SIZE_MAX)) == 0)
		;
	return rc < 0 ? rc : (int64_t)st->stats.purged_rows - before;
}
