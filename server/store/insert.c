/* insert.c — sample inserts: multi-row INSERT IGNORE in one transaction,
 * the touched minutes journalled for the rollups in the same transaction,
 * last_seen bumped, and a refused row isolated so it does not hold back
 * the others. A re-stamped row (agent_ts set) gets its second here, on the
 * database thread: the one already stored for its agent_ts, else a free
 * one at or below the proposal; and a sane row taking a second a
 * re-stamped row holds moves that one down. */
#include "server/store/store_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int ins_sizes[] = STORE_INS_SIZES;

static void bind_row(struct store *st, struct db_stmt *s, int base, const struct store_row *r)
{
	store_bind_text(st, s, base, r->secret);
	st->ops->bind_int(s, base + 1, r->ts);
	for (int c = 0; c < SC__COUNT; c++)
		store_bind_num(st, s, base + 2 + c, r->v[c], c == SC_UPTIME || c == SC_CORES);
	store_bind_text(st, s, base + 2 + SC__COUNT, r->disks);
	store_bind_text(st, s, base + 3 + SC__COUNT, r->top_procs);
	store_bind_text(st, s, base + 4 + SC__COUNT, r->gpus);
	if (r->has_agent_ts)
		st->ops->bind_int(s, base + 5 + SC__COUNT, r->agent_ts);
	else
		st->ops->bind_null(s, base + 5 + SC__COUNT);
}

/* Rounds of STORE_ST_STAMP_BELOW (64 rows each) a free second is looked
 * for: over four thousand taken seconds in a row and the proposal stands
 * (the insert then keeps the older row). */
#define STAMP_ROUNDS 64

/* Does a row of the batch other than pos hold ts for secret? Re-stamped
 * rows before unstamped are not stamped yet (stamp_rows goes newest
 * first) and hold nothing. */
static int batch_has(const struct store_row *w, const size_t *idx, size_t n, size_t pos, size_t unstamped,
                     const char *secret, int64_t ts)
{
	for (size_t j = 0; j < n; j++) {
		const struct store_row *o = &w[idx[j]];
		if (j == pos || (j < unstamped && o->has_agent_ts))
			continue;
		if (o->ts == ts && !strcmp(o->secret, secret))
			return 1;
	}
	return 0;
}

/* The newest second at or below cand that neither the table nor a row of
 * the batch (batch_has's pos and unstamped) holds for secret: 1 and *out,
 * 0 when STAMP_ROUNDS found none, or STORE_E*. */
static int free_below(struct store *st, const struct store_row *w, const size_t *idx, size_t n, size_t pos,
                      size_t unstamped, const char *secret, int64_t cand, int64_t *out)
{
	struct db_stmt *s;
	int rc;
	STORE_GET_STMT(s, st, STORE_ST_STAMP_BELOW);
	for (int round = 0; round < STAMP_ROUNDS; round++) {
		int got = 0, found = 0;
		store_bind_text(st, s, 0, secret);
		st->ops->bind_int(s, 1, cand);
		while (!found && (rc = store_next(st, s, "stamp search")) == 1) {
			int64_t ts = st->ops->col_int(s, 0);
			got++;
			while (batch_has(w, idx, n, pos, unstamped, secret, cand))
				cand--;
			if (ts == cand)
				cand--;
			else if (ts < cand)
				found = 1;
		}
		if (rc < 0)
			return rc;
		if (found)
			st->ops->reset(s);
		if (found || got < 64) {
			while (batch_has(w, idx, n, pos, unstamped, secret, cand))
				cand--;
			*out = cand;
			return 1;
		}
	}
	return 0;
}

/* The stamp of w[idx[pos]]: the second stored for its agent_ts, else the
 * newest second at or below its proposal that neither the table nor
 * another row of this batch holds. Why downward: a stamp is given when the
 * sample arrives, and it was taken at or before that, so every second
 * above the arrival is one a sane sample (taken live, later) may claim;
 * below it only a sane sample that was spooled can come (and that one
 * displaces the stamped row: displace_stamped). A backlog after an outage
 * so fills the outage's own seconds instead of running ahead into the
 * seconds the agent's next live samples will carry. */
static int stamp_row(struct store *st, struct store_row *w, const size_t *idx, size_t n, size_t pos)
{
	struct store_row *r = &w[idx[pos]];
	struct db_stmt *s;
	int64_t to;
	int rc;
	STORE_GET_STMT(s, st, STORE_ST_STAMP_FIND);
	store_bind_text(st, s, 0, r->secret);
	st->ops->bind_int(s, 1, r->agent_ts);
	if ((rc = store_next(st, s, "stamp lookup")) < 0)
		return rc;
	if (rc == 1) {
		r->ts = st->ops->col_int(s, 0); /* resent: a duplicate of that row */
		st->ops->reset(s);
		return 0;
	}
	if ((rc = free_below(st, w, idx, n, pos, pos, r->secret, r->ts, &to)) < 0)
		return rc;
	if (rc == 1)
		r->ts = to; /* else the proposal stands and the insert keeps the older row */
	return 0;
}

/* The newest re-stamped second stored for a's secret, read once per
 * process and kept up by store_insert. */
static int stamped_max(struct store *st, struct anode *a)
{
	struct db_stmt *s;
	int rc;
	if (a->stamped_known)
		return 0;
	STORE_GET_STMT(s, st, STORE_ST_STAMP_MAX);
	store_bind_text(st, s, 0, a->secret);
	if ((rc = store_next(st, s, "stamp max")) < 0)
		return rc;
	a->stamped_max = INT64_MIN;
	if (rc == 1) {
		if (!st->ops->col_null(s, 0))
			a->stamped_max = st->ops->col_int(s, 0);
		st->ops->reset(s);
	}
	a->stamped_known = 1;
	return 0;
}

struct moved {
	const char *secret;
	int64_t ts;
};

/* A sane row (its second is the agent's own clock) displaces a re-stamped
 * row stored at that second: a stamp is the server's guess, a sane second
 * is not. It happens when a backlog stamped on arrival takes seconds that
 * sane samples spooled behind it still carry; without this the later one
 * is dropped as a duplicate and acknowledged, so lost. The stamped row
 * moves to the newest free second below, keeping its agent_ts, so a resend
 * still finds it. In the open transaction; the new seconds go to mv. */
static int displace_stamped(struct store *st, const struct store_row *w, const size_t *idx, size_t n,
                            struct anode **nodes, struct moved *mv, size_t *nmv)
{
	*nmv = 0;
	for (size_t i = 0; i < n; i++) {
		const struct store_row *r = &w[idx[i]];
		struct anode *a = nodes[idx[i]];
		struct db_stmt *s;
		int64_t to;
		int rc;
		if (r->has_agent_ts)
			continue;
		if ((rc = stamped_max(st, a)) < 0)
			return rc;
		if (r->ts > a->stamped_max)
			continue;
		STORE_GET_STMT(s, st, STORE_ST_STAMP_AT);
		store_bind_text(st, s, 0, r->secret);
		st->ops->bind_int(s, 1, r->ts);
		if ((rc = store_next(st, s, "stamp at")) < 0)
			return rc;
		if (rc == 0)
			continue;
		st->ops->reset(s);
		if ((rc = free_below(st, w, idx, n, n, 0, r->secret, r->ts - 1, &to)) < 0)
			return rc;
		if (rc == 0)
			continue; /* nowhere to go: the stamped row keeps the second */
		STORE_GET_STMT(s, st, STORE_ST_STAMP_MOVE);
		st->ops->bind_int(s, 0, to);
		store_bind_text(st, s, 1, r->secret);
		st->ops->bind_int(s, 2, r->ts);
		if ((rc = store_exec_stmt(st, s, "stamp move")) != 0)
			return rc;
		STORE_GET_STMT(s, st, STORE_ST_FLEET_MOVE);
		st->ops->bind_int(s, 0, to);
		store_bind_text(st, s, 1, r->secret);
		st->ops->bind_int(s, 2, r->ts);
		if ((rc = store_exec_stmt(st, s, "stamp move fleet")) != 0)
			return rc;
		store_log(st, 0, "re-stamped row of %.8s... moved from %lld to %lld for a sample taken then", r->secret,
		          (long long)r->ts, (long long)to);
		mv[(*nmv)++] = (struct moved){r->secret, to};
	}
	return 0;
}

/* Does the secret exist? Cached for five minutes so the writer asks once
 * per key, not per sample. 1/0 or STORE_E*. */
static int secret_known(struct store *st, const char *secret, int64_t now, struct anode **node)
{
	struct anode *a = store_known_find(st, secret, 1);
	struct db_stmt *s;
	int rc;
	*node = a;
	if (!a)
		return STORE_ENOMEM;
	if (a->known && now - a->checked < 300)
		return 1;
	STORE_GET_STMT(s, st, STORE_ST_KEY_EXISTS);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "key lookup");
	if (rc < 0)
		return rc;
	if (rc == 1)
		st->ops->reset(s);
	a->known = rc;
	a->checked = now;
	return rc;
}

/* Multi-row INSERT IGNORE of rows[idx[0..n)] in the open transaction.
 * Returns rows stored now, or STORE_E*. */
static int64_t insert_rows(struct store *st, const struct store_row *rows, const size_t *idx, size_t n)
{
	int64_t stored = 0;
	size_t i = 0;
	while (i < n) {
		int k = 0;
		struct db_stmt *s;
		int rc;
		while (k < STORE_INS_NSIZES - 1 && (size_t)ins_sizes[k] > n - i)
			k++;
		if (!(s = store_stmt(st, STORE_ST_INS_BASE + k)))
			return st->c ? STORE_EDB : STORE_EDOWN;
		for (int r = 0; r < ins_sizes[k]; r++)
			bind_row(st, s, r * STORE_INS_PARAMS, &rows[idx[i + r]]);
		if ((rc = store_exec_stmt(st, s, "insert metrics")) != 0)
			return rc;
		stored += st->ops->changes(s);
		i += ins_sizes[k];
	}
	return stored;
}

/* The fleet series of rows[idx[0..n)] (store_fleet_text's lines) at the
 * rows' final seconds, in the open transaction; a (secret, series, ts)
 * already stored is ignored, as the row is. A line that is not one is
 * skipped: it came from this process, never from the peer. */
static int insert_fleet(struct store *st, const struct store_row *rows, const size_t *idx, size_t n)
{
	char name[STORE_SERIES_MAX];
	struct db_stmt *s;
	int rc;
	for (size_t i = 0; i < n; i++) {
		const struct store_row *r = &rows[idx[i]];
		const char *p = r->fleet;
		while (p && *p) {
			const char *tab = strchr(p, '\t'), *nl = tab ? strchr(tab, '\n') : NULL;
			char *end;
			double v;
			if (!nl)
				break;
			v = strtod(tab + 1, &end);
			if ((size_t)(tab - p) < sizeof(name) && end == nl && isfinite(v)) {
				memcpy(name, p, (size_t)(tab - p));
				name[tab - p] = '\0';
				STORE_GET_STMT(s, st, STORE_ST_FLEET_INS);
				store_bind_text(st, s, 0, r->secret);
				store_bind_text(st, s, 1, name);
				st->ops->bind_int(s, 2, r->ts);
				st->ops->bind_double(s, 3, v);
				if ((rc = store_exec_stmt(st, s, "insert fleet series")) != 0)
					return rc;
			}
			p = nl + 1;
		}
	}
	return 0;
}

struct ins_ctx {
	struct dnode **pend;   /* journal entries added in this transaction */
	size_t npend;
	struct anode **touched;
	size_t ntouched;
	struct moved *mv;      /* re-stamped rows moved in this transaction */
	size_t nmv;
};

/* last_seen is written at most once a minute per key, each key at its own
 * phase of the minute, so thousands of agents started together do not all
 * need an UPDATE in the same batch. */
#define SEEN_EVERY 60

/* Journals a minute unless it is older than retention or journalled. */
static int journal_minute(struct store *st, struct ins_ctx *x, const char *secret, int64_t ts, int64_t cutoff)
{
	int64_t b = ts - ts % 60;
	struct dnode *d;
	/* A minute older than retention is not folded: its raw rows may be
	 * half purged and the fold would shrink a complete rollup. */
	if (b < cutoff || store_dirty_find(st, secret, b))
		return 0;
	if (!(d = store_dirty_add(st, secret, b, 1)))
		return STORE_ENOMEM;
	x->pend[x->npend++] = d;
	return 0;
}

/* Journals the minutes of the rows and of the moved rows (multi-row) and
 * bumps last_seen, in the open transaction. */
static int insert_side(struct store *st, const struct store_row *rows, const size_t *idx, size_t n,
                       struct anode **nodes, struct ins_ctx *x, int64_t now)
{
	int64_t cutoff = now - (int64_t)st->cfg.retention_days * 86400;
	struct db_stmt *s;
	size_t i;
	int rc;
	st->epoch++;
	for (i = 0; i < n; i++) {
		const struct store_row *r = &rows[idx[i]];
		struct anode *a = nodes[idx[i]];
		if (a->epoch != st->epoch) {
			a->epoch = st->epoch;
			a->batch_max = r->ts;
			x->touched[x->ntouched++] = a;
		} else if (r->ts > a->batch_max) {
			a->batch_max = r->ts;
		}
		if ((rc = journal_minute(st, x, r->secret, r->ts, cutoff)) != 0)
			return rc;
	}
	for (i = 0; i < x->nmv; i++)
		if ((rc = journal_minute(st, x, x->mv[i].secret, x->mv[i].ts, cutoff)) != 0)
			return rc;
	for (i = 0; i < x->npend;) {
		int k = 0;
		while (k < STORE_INS_NSIZES - 1 && (size_t)ins_sizes[k] > x->npend - i)
			k++;
		STORE_GET_STMT(s, st, STORE_ST_DIRTY_BASE + k);
		for (int j = 0; j < ins_sizes[k]; j++) {
			store_bind_text(st, s, 2 * j, x->pend[i + (size_t)j]->secret);
			st->ops->bind_int(s, 2 * j + 1, x->pend[i + (size_t)j]->bucket);
		}
		if ((rc = store_exec_stmt(st, s, "rollup journal")) != 0)
			return rc;
		i += (size_t)ins_sizes[k];
	}
	for (i = 0; i < x->ntouched; i++) {
		struct anode *a = x->touched[i];
		if (a->seen == 0)
			a->seen = a->batch_max - (int64_t)(store_hash_str(a->secret, STORE_HASH_SEED) % SEEN_EVERY);
		if (a->batch_max < a->seen + SEEN_EVERY)
			continue;
		STORE_GET_STMT(s, st, STORE_ST_SEEN);
		st->ops->bind_int(s, 0, a->batch_max);
		store_bind_text(st, s, 1, a->secret);
		st->ops->bind_int(s, 2, a->batch_max);
		if ((rc = store_exec_stmt(st, s, "last seen")) != 0)
			return rc;
	}
	return 0;
}

static void insert_done(struct store *st, struct ins_ctx *x, int committed)
{
	for (size_t i = 0; i < x->npend; i++) {
		if (committed)
			x->pend[i]->pending = 0;
		else
			store_dirty_del(st, x->pend[i]);
	}
	for (size_t i = 0; committed && i < x->ntouched; i++)
		if (x->touched[i]->batch_max >= x->touched[i]->seen + SEEN_EVERY)
			x->touched[i]->seen = x->touched[i]->batch_max;
	x->npend = x->ntouched = 0;
}

/* One transaction over idx[0..n). Returns stored-now count or STORE_E*;
 * *dbrc gets STORE_EDB for a statement error (so the caller can isolate a
 * bad row). */
static int64_t insert_tx(struct store *st, const struct store_row *rows, const size_t *idx, size_t n,
                         struct anode **nodes, struct ins_ctx *x, int64_t now)
{
	int64_t stored;
	int rc;
	for (int attempt = 0;; attempt++) {
		if ((rc = store_begin(st)) != 0)
			return rc;
		rc = displace_stamped(st, rows, idx, n, nodes, x->mv, &x->nmv);
		stored = rc < 0 ? rc : insert_rows(st, rows, idx, n);
		if (stored >= 0 && (rc = insert_fleet(st, rows, idx, n)) != 0)
			stored = rc;
		rc = stored < 0 ? (int)stored : insert_side(st, rows, idx, n, nodes, x, now);
		if (rc == 0)
			rc = store_commit(st);
		else
			store_rollback(st);
		insert_done(st, x, rc == 0);
		if (rc == 0)
			return stored;
		if (rc == STORE_EDOWN || attempt >= 2)
			return rc;
	}
}

int store_insert(struct store *st, const struct store_row *rows, size_t n, int *result_out)
{
	size_t *idx = NULL, na = 0, ok = 0;
	struct anode **nodes = NULL;
	struct store_row *w = NULL; /* rows with their final ts */
	struct ins_ctx x = {0};
	int *result = NULL;
	int64_t now = (int64_t)time(NULL), stored;
	int rc = 0;
	if (n == 0)
		return 0;
	if (!st->c) {
		for (size_t i = 0; result_out && i < n; i++)
			result_out[i] = STORE_EDOWN;
		return STORE_EDOWN;
	}
	result = result_out ? result_out : malloc(n * sizeof(*result));
	idx = malloc(n * sizeof(*idx));
	nodes = calloc(n, sizeof(*nodes));
	x.pend = malloc(2 * n * sizeof(*x.pend)); /* rows' minutes and moved rows' */
	x.touched = malloc(n * sizeof(*x.touched));
	x.mv = malloc(n * sizeof(*x.mv));
	w = malloc(n * sizeof(*w));
	if (!result || !idx || !nodes || !x.pend || !x.touched || !x.mv || !w) {
		rc = STORE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int r;
		if (!store_secret_ok(rows[i].secret) || rows[i].ts <= 0) {
			r = STORE_EINVAL;
		} else if ((r = secret_known(st, rows[i].secret, now, &nodes[i])) < 0) {
			rc = r;
			goto fail_all;
		} else {
			r = r ? 0 : STORE_ENOKEY;
		}
		result[i] = r;
		w[i] = rows[i];
		if (r == 0)
			idx[na++] = i;
		else
			st->stats.rows_refused++;
	}
	/* Newest first, so a backlog keeps its order going down. */
	for (size_t i = na; i-- > 0;) {
		struct anode *a = nodes[idx[i]];
		if (!w[idx[i]].has_agent_ts)
			continue;
		if ((rc = stamp_row(st, w, idx, na, i)) < 0)
			goto fail_all;
		if (a->stamped_known && w[idx[i]].ts > a->stamped_max)
			a->stamped_max = w[idx[i]].ts; /* too high after a rollback: costs a lookup */
	}
	rows = w;
	stored = insert_tx(st, rows, idx, na, nodes, &x, now);
	if (stored == STORE_EDB && na > 1) {
		/* A row the database refuses (bad text...) must not hold back the
		 * others: one transaction per row to find it. */
		stored = 0;
		for (size_t i = 0; i < na; i++) {
			int64_t one = insert_tx(st, rows, &idx[i], 1, nodes, &x, now);
			if (one == STORE_EDOWN) {
				rc = STORE_EDOWN;
				for (size_t j = i; j < na; j++)
					result[idx[j]] = STORE_EDOWN;
				goto out;
			}
			if (one < 0) {
				result[idx[i]] = STORE_EDB;
				st->stats.rows_refused++;
			} else {
				stored += one;
			}
		}
	} else if (stored < 0) {
		rc = (int)stored;
		for (size_t i = 0; i < na; i++)
			result[idx[i]] = rc;
		if (rc == STORE_EDB)
			st->stats.rows_refused += na;
		goto out;
	}
	for (size_t i = 0; i < na; i++)
		if (result[idx[i]] == 0)
			ok++;
	st->stats.rows_inserted += (uint64_t)stored;
	st->stats.rows_duplicate += ok - (size_t)stored;
	rc = (int)stored;
	goto out;
fail_all:
	for (size_t i = 0; i < n; i++)
		result[i] = rc;
out:
	if (result != result_out)
		free(result);
	free(idx);
	free(nodes);
	free(x.pend);
	free(x.touched);
	free(x.mv);
	free(w);
	return rc;
}
