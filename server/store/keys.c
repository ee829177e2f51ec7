/* keys.c — keys (agents, owners, names unique per owner, the active
 * key per chat), alerts and the small meta values, over core.c's
 * statements. */
#include "server/store/store_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* ---- keys ------------------------------------------------------------------------ */

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* 20 characters from 62 with getrandom(2); bytes >= 248 are redrawn so each
 * character is uniform (248 = 4 * 62). */
static int gen_secret(char out[STORE_SECRET_LEN + 1])
{
	unsigned char buf[64];
	size_t got = 0;
	while (got < STORE_SECRET_LEN) {
		ssize_t r = getrandom(buf, sizeof(buf), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return STORE_EDB;
		}
		for (ssize_t i = 0; i < r && got < STORE_SECRET_LEN; i++)
			if (buf[i] < 248)
				out[got++] = alnum[buf[i] % 62];
	}
	out[STORE_SECRET_LEN] = 0;
	return 0;
}

static int name_taken_owner(struct store *st, int64_t owner, const char *name)
{
	struct db_stmt *s;
	int rc;
	if (owner == 0) {
		STORE_GET_STMT(s, st, STORE_ST_NAME_TAKEN_NOOWNER);
		store_bind_text(st, s, 0, name);
		store_bind_text(st, s, 1, "");
	} else {
		STORE_GET_STMT(s, st, STORE_ST_NAME_TAKEN_OWNER);
		st->ops->bind_int(s, 0, owner);
		store_bind_text(st, s, 1, name);
	}
	rc = store_next(st, s, "name check");
	if (rc == 1)
		st->ops->reset(s);
	return rc;
}

/* The original's default names: key<N>, the smallest N >= 1 not in use
 * among the owner's names of that form. */
static int auto_name(struct store *st, int64_t owner, char out[STORE_NAME_MAX + 1])
{
	struct db_stmt *s;
	unsigned char *used;
	size_t cap = 4096;
	int rc;
	if (owner == 0) {
		STORE_GET_STMT(s, st, STORE_ST_NAMES_NOOWNER);
	} else {
		STORE_GET_STMT(s, st, STORE_ST_NAMES_OWNER);
		st->ops->bind_int(s, 0, owner);
	}
	used = calloc(cap, 1);
	if (!used) {
		st->ops->reset(s);
		return STORE_ENOMEM;
	}
	while ((rc = store_next(st, s, "names")) == 1) {
		const char *nm = st->ops->col_text(s, 0, NULL);
		char *end;
		unsigned long v;
		if (!nm || strncmp(nm, "key", 3) || !nm[3] || strspn(nm + 3, "0123456789") != strlen(nm + 3))
			continue;
		errno = 0;
		v = strtoul(nm + 3, &end, 10);
		if (!errno && v < cap)
			used[v] = 1;
	}
	if (rc == 0) {
		size_t k = 1;
		while (k < cap && used[k])
			k++;
		snprintf(out, STORE_NAME_MAX + 1, "key%zu", k);
	}
	free(used);
	return rc;
}

int store_key_create(struct store *st, int64_t owner, const char *name, int64_t now,
                     char secret_out[STORE_SECRET_MAX + 1], char name_out[STORE_NAME_MAX + 1])
{
	char secret[STORE_SECRET_LEN + 1], nm[STORE_NAME_MAX + 1];
	struct db_stmt *s;
	int rc;
	if (name && *name && !store_text_ok(name, STORE_NAME_MAX))
		return STORE_EINVAL;
	if (owner < 0)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	if (name && *name) {
		snprintf(nm, sizeof(nm), "%s", name);
		rc = name_taken_owner(st, owner, nm);
		if (rc == 1)
			rc = STORE_EEXIST;
	} else {
		rc = auto_name(st, owner, nm);
	}
	for (int tries = 0; rc == 0; tries++) {
		if ((rc = gen_secret(secret)) != 0)
			break;
		if (!(s = store_stmt(st, STORE_ST_KEY_EXISTS))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			break;
		}
		store_bind_text(st, s, 0, secret);
		rc = store_next(st, s, "key exists");
		if (rc == 1) {
			st->ops->reset(s);
			rc = tries < 3 ? 0 : STORE_EDB;
			continue;
		}
		break;
	}
	if (rc == 0) {
		if (!(s = store_stmt(st, STORE_ST_KEY_INSERT))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
		} else {
			store_bind_text(st, s, 0, secret);
			store_bind_text(st, s, 1, nm);
			st->ops->bind_int(s, 2, now);
			rc = store_exec_stmt(st, s, "create key");
		}
	}
	if (rc == 0 && owner != 0) {
		if (!(s = store_stmt(st, STORE_ST_OWNER_ADD))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
		} else {
			store_bind_text(st, s, 0, secret);
			st->ops->bind_int(s, 1, owner);
			st->ops->bind_int(s, 2, now);
			rc = store_exec_stmt(st, s, "key owner");
		}
	}
	if (rc == 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc == 0) {
		if (secret_out)
			snprintf(secret_out, STORE_SECRET_MAX + 1, "%s", secret);
		if (name_out)
			snprintf(name_out, STORE_NAME_MAX + 1, "%s", nm);
	}
	return rc;
}

int store_key_exists(struct store *st, const char *secret)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_KEY_EXISTS);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "key exists");
	if (rc == 1)
		st->ops->reset(s);
	return rc;
}

int store_key_owners(struct store *st, const char *secret, int64_t *out, size_t cap, size_t *n)
{
	struct db_stmt *s;
	int rc;
	*n = 0;
	if (!store_secret_ok(secret))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_OWNERS);
	store_bind_text(st, s, 0, secret);
	while ((rc = store_next(st, s, "owners")) == 1) {
		if (*n < cap)
			out[*n] = st->ops->col_int(s, 0);
		(*n)++;
	}
	return rc;
}

static int fill_key(struct store *st, struct db_stmt *s, struct store_key *k)
{
	const char *p;
	int64_t newest;
	memset(k, 0, sizeof(*k));
	p = st->ops->col_text(s, 0, NULL);
	snprintf(k->secret, sizeof(k->secret), "%s", p ? p : "");
	p = st->ops->col_text(s, 1, NULL);
	snprintf(k->nickname, sizeof(k->nickname), "%s", p ? p : "");
	k->created = st->ops->col_int(s, 2);
	k->last_seen = st->ops->col_int(s, 3);
	newest = st->ops->col_null(s, 5) ? 0 : st->ops->col_int(s, 5);
	if (newest > k->last_seen)
		k->last_seen = newest;
	if (!st->ops->col_null(s, 4) && !(k->host = store_dup_col(st, s, 4)))
		return STORE_ENOMEM;
	return 0;
}

static int key_owners_alloc(struct store *st, struct store_key *k)
{
	size_t n = 0, cap = 8;
	int rc;
	for (;;) {
		int64_t *o = realloc(k->owners, cap * sizeof(*o));
		if (!o)
			return STORE_ENOMEM;
		k->owners = o;
		if ((rc = store_key_owners(st, k->secret, k->owners, cap, &n)) < 0)
			return rc;
		if (n <= cap)
			break;
		cap = n;
	}
	k->nowners = n;
	return 0;
}

void store_key_free(struct store_key *k)
{
	if (!k)
		return;
	free(k->host);
	free(k->owners);
	k->host = NULL;
	k->owners = NULL;
	k->nowners = 0;
}

void store_keys_free(struct store_key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_key_free(&keys[i]);
	free(keys);
}

int store_key_get(struct store *st, const char *secret, struct store_key *out)
{
	struct db_stmt *s;
	int rc;
	memset(out, 0, sizeof(*out));
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_KEY_GET);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "key get");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOKEY : rc;
	rc = fill_key(st, s, out);
	st->ops->reset(s);
	if (rc == 0)
		rc = key_owners_alloc(st, out);
	if (rc != 0)
		store_key_free(out);
	return rc;
}

int store_key_list(struct store *st, int64_t owner, struct store_key **out, size_t *n)
{
	struct db_stmt *s;
	struct store_key *keys = NULL;
	size_t cap = 0, cnt = 0;
	int rc;
	*out = NULL;
	*n = 0;
	STORE_NEED_CONN(st);
	if (owner == STORE_ANY_OWNER) {
		STORE_GET_STMT(s, st, STORE_ST_KEY_LIST_ALL);
	} else if (owner == 0) {
		STORE_GET_STMT(s, st, STORE_ST_KEY_LIST_NOOWNER);
	} else {
		STORE_GET_STMT(s, st, STORE_ST_KEY_LIST_OWNER);
		st->ops->bind_int(s, 0, owner);
	}
	while ((rc = store_next(st, s, "key list")) == 1) {
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct store_key *p = realloc(keys, nc * sizeof(*p));
			if (!p) {
				rc = STORE_ENOMEM;
				st->ops->reset(s);
				break;
			}
			keys = p;
			cap = nc;
		}
		if ((rc = fill_key(st, s, &keys[cnt])) != 0) {
			st->ops->reset(s);
			break;
		}
		cnt++;
	}
	for (size_t i = 0; rc == 0 && i < cnt; i++)
		rc = key_owners_alloc(st, &keys[i]);
	if (rc != 0) {
		store_keys_free(keys, cnt);
		return rc;
	}
	*out = keys;
	*n = cnt;
	return 0;
}

int store_key_is_owner(struct store *st, const char *secret, int64_t user)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_IS_OWNER);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, user);
	rc = store_next(st, s, "is owner");
	if (rc == 1)
		st->ops->reset(s);
	return rc;
}

int store_key_resolve(struct store *st, int64_t owner, const char *text, char secret_out[STORE_SECRET_MAX + 1])
{
	struct db_stmt *s;
	int rc, found = 0;
	if (!text || !*text)
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	if (store_secret_ok(text)) {
		rc = owner == STORE_ANY_OWNER ? store_key_exists(st, text) : store_key_is_owner(st, text, owner);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			snprintf(secret_out, STORE_SECRET_MAX + 1, "%s", text);
			return 0;
		}
	}
	if (!store_text_ok(text, STORE_NAME_MAX))
		return STORE_ENOKEY;
	if (owner == STORE_ANY_OWNER) {
		STORE_GET_STMT(s, st, STORE_ST_RESOLVE_ANY);
		store_bind_text(st, s, 0, text);
	} else {
		STORE_GET_STMT(s, st, STORE_ST_RESOLVE_OWNER);
		st->ops->bind_int(s, 0, owner);
		store_bind_text(st, s, 1, text);
	}
	while ((rc = store_next(st, s, "resolve")) == 1) {
		if (!found) {
			const char *p = st->ops->col_text(s, 0, NULL);
			snprintf(secret_out, STORE_SECRET_MAX + 1, "%s", p ? p : "");
		}
		found++;
	}
	if (rc < 0)
		return rc;
	return found == 0 ? STORE_ENOKEY : found > 1 ? STORE_EAMBIG : 0;
}

int store_key_rename(struct store *st, int64_t owner, const char *secret, const char *name)
{
	struct db_stmt *s;
	int rc, has_owners;
	if (!store_text_ok(name, STORE_NAME_MAX))
		return STORE_EINVAL;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = owner == STORE_ANY_OWNER ? store_key_exists(st, secret) : store_key_is_owner(st, secret, owner);
	if (rc == 0)
		rc = STORE_ENOKEY;
	if (rc == 1) {
		/* Unique among the names of every owner of this key. */
		if (!(s = store_stmt(st, STORE_ST_HAS_OWNERS))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		store_bind_text(st, s, 0, secret);
		if ((has_owners = store_next(st, s, "owners")) < 0) {
			rc = has_owners;
			goto out;
		}
		if (has_owners)
			st->ops->reset(s);
		if (!(s = store_stmt(st, has_owners ? STORE_ST_NAME_TAKEN_COOWNERS : STORE_ST_NAME_TAKEN_NOOWNER))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		if (has_owners) {
			store_bind_text(st, s, 0, secret);
			store_bind_text(st, s, 1, secret);
			store_bind_text(st, s, 2, name);
		} else {
			store_bind_text(st, s, 0, name);
			store_bind_text(st, s, 1, secret);
		}
		rc = store_next(st, s, "name check");
		if (rc == 1) {
			st->ops->reset(s);
			rc = STORE_EEXIST;
		}
	}
	if (rc == 0) {
		if (!(s = store_stmt(st, STORE_ST_RENAME))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		store_bind_text(st, s, 0, name);
		store_bind_text(st, s, 1, secret);
		rc = store_exec_stmt(st, s, "rename");
	}
out:
	if (rc == 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	return rc;
}

int store_key_add_owner(struct store *st, const char *secret, int64_t user, int64_t now)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	if (user <= 0)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	rc = store_key_exists(st, secret);
	if (rc <= 0)
		return rc == 0 ? STORE_ENOKEY : rc;
	STORE_GET_STMT(s, st, STORE_ST_OWNER_ADD);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, user);
	st->ops->bind_int(s, 2, now);
	if ((rc = store_exec_stmt(st, s, "add owner")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : 1;
}

int store_key_delete(struct store *st, const char *secret)
{
	static const int ids[] = {STORE_ST_DEL_AGENT, STORE_ST_DEL_OWNERS, STORE_ST_DEL_ACTIVE, STORE_ST_DEL_ALERTS,
	                          STORE_ST_DEL_CMDS, STORE_ST_DEL_METRICS, STORE_ST_DEL_1M, STORE_ST_DEL_1H,
	                          STORE_ST_DEL_DIRTY, STORE_ST_FLEET_DEL_RAW, STORE_ST_FLEET_DEL_1M,
	                          STORE_ST_FLEET_DEL_1H, STORE_ST_FLEET_STATE_DEL};
	int rc, existed = 0;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && rc == 0; i++) {
		struct db_stmt *s = store_stmt(st, ids[i]);
		if (!s) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			break;
		}
		store_bind_text(st, s, 0, secret);
		rc = store_exec_stmt(st, s, "delete key");
		if (rc == 0 && i == 0)
			existed = st->ops->changes(s) > 0;
	}
	if (rc == 0)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc == 0)
		store_forget_secret(st, secret);
	return rc == 0 && !existed ? STORE_ENOKEY : rc;
}

int store_agent_seen(struct store *st, const char *secret, int64_t ts, const char *host_json)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_SEEN);
	st->ops->bind_int(s, 0, ts);
	store_bind_text(st, s, 1, secret);
	st->ops->bind_int(s, 2, ts);
	if ((rc = store_exec_stmt(st, s, "seen")) != 0)
		return rc;
	if (host_json) {
		STORE_GET_STMT(s, st, STORE_ST_SEEN_HOST);
		store_bind_text(st, s, 0, host_json);
		store_bind_text(st, s, 1, secret);
		rc = store_exec_stmt(st, s, "host");
	}
	return rc;
}

int store_active_set(struct store *st, int64_t chat, const char *secret)
{
	struct db_stmt *s;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ACTIVE_SET);
	st->ops->bind_int(s, 0, chat);
	store_bind_text(st, s, 1, secret);
	return store_exec_stmt(st, s, "active set");
}

int store_active_get(struct store *st, int64_t chat, char secret_out[STORE_SECRET_MAX + 1])
{
	struct db_stmt *s;
	int rc;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ACTIVE_GET);
	st->ops->bind_int(s, 0, chat);
	rc = store_next(st, s, "active get");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	const char *p = st->ops->col_text(s, 0, NULL);
	snprintf(secret_out, STORE_SECRET_MAX + 1, "%s", p ? p : "");
	st->ops->reset(s);
	return 0;
}

/* ---- alerts ------------------------------------------------------------------- */

int store_alert_set(struct store *st, const struct store_alert *a)
{
	struct db_stmt *s;
	if (!store_secret_ok(a->secret) || !store_metric_ok(a->metric) || !isfinite(a->threshold))
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ALERT_SET);
	st->ops->bind_int(s, 0, a->user);
	store_bind_text(st, s, 1, a->secret);
	store_bind_text(st, s, 2, a->metric);
	st->ops->bind_double(s, 3, a->threshold);
	st->ops->bind_int(s, 4, a->for_s);
	st->ops->bind_double(s, 5, isfinite(a->hyst) ? a->hyst : 0);
	st->ops->bind_int(s, 6, a->state);
	st->ops->bind_int(s, 7, a->since);
	st->ops->bind_int(s, 8, a->last_sent);
	st->ops->bind_int(s, 9, a->muted_until);
	st->ops->bind_int(s, 10, a->remind_s);
	return store_exec_stmt(st, s, "alert set");
}

int store_alert_delete(struct store *st, int64_t user, const char *secret, const char *metric)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret) || !store_metric_ok(metric))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ALERT_DEL);
	st->ops->bind_int(s, 0, user);
	store_bind_text(st, s, 1, secret);
	store_bind_text(st, s, 2, metric);
	if ((rc = store_exec_stmt(st, s, "alert delete")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : STORE_ENOTFOUND;
}

int store_alert_list(struct store *st, const char *secret, int64_t user, struct store_alert **out, size_t *n)
{
	struct db_stmt *s;
	struct store_alert *v = NULL;
	size_t cap = 0, cnt = 0;
	int rc;
	*out = NULL;
	*n = 0;
	if (secret && !store_secret_ok(secret))
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ALERT_LIST);
	st->ops->bind_int(s, 0, user);
	st->ops->bind_int(s, 1, user);
	store_bind_text(st, s, 2, secret ? secret : "");
	store_bind_text(st, s, 3, secret ? secret : "");
	while ((rc = store_next(st, s, "alert list")) == 1) {
		struct store_alert *a;
		const char *p;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			a = realloc(v, nc * sizeof(*a));
			if (!a) {
				st->ops->reset(s);
				free(v);
				return STORE_ENOMEM;
			}
			v = a;
			cap = nc;
		}
		a = &v[cnt++];
		memset(a, 0, sizeof(*a));
		a->user = st->ops->col_int(s, 0);
		p = st->ops->col_text(s, 1, NULL);
		snprintf(a->secret, sizeof(a->secret), "%s", p ? p : "");
		p = st->ops->col_text(s, 2, NULL);
		snprintf(a->metric, sizeof(a->metric), "%s", p ? p : "");
		a->threshold = st->ops->col_double(s, 3);
		a->for_s = (int)st->ops->col_int(s, 4);
		a->hyst = st->ops->col_double(s, 5);
		a->state = (int)st->ops->col_int(s, 6);
		a->since = st->ops->col_int(s, 7);
		a->last_sent = st->ops->col_int(s, 8);
		a->muted_until = st->ops->col_int(s, 9);
		a->remind_s = (int)st->ops->col_int(s, 10);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int store_alert_update(struct store *st, const struct store_alert *a)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(a->secret) || !store_metric_ok(a->metric))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_ALERT_UPDATE);
	st->ops->bind_int(s, 0, a->state);
	st->ops->bind_int(s, 1, a->since);
	st->ops->bind_int(s, 2, a->last_sent);
	st->ops->bind_int(s, 3, a->muted_until);
	st->ops->bind_int(s, 4, a->user);
	store_bind_text(st, s, 5, a->secret);
	store_bind_text(st, s, 6, a->metric);
	if ((rc = store_exec_stmt(st, s, "alert update")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : STORE_ENOTFOUND;
}

/* ---- meta ------------------------------------------------------------------------- */

/* Meta keys are ASCII names ("import.state", "bot.offset"). */
static int meta_key_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return 0;
	return 1;
}

int store_meta_get(struct store *st, const char *key, char *buf, size_t cap)
{
	struct db_stmt *s;
	size_t len;
	const char *p;
	int rc;
	if (!meta_key_ok(key) || cap == 0)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_META_GET);
	store_bind_text(st, s, 0, key);
	rc = store_next(st, s, "meta get");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	p = st->ops->col_text(s, 0, &len);
	if (!p)
		len = 0;
	if (len >= cap) {
		st->ops->reset(s);
		return STORE_EFULL;
	}
	memcpy(buf, p ? p : "", len);
	buf[len] = 0;
	st->ops->reset(s);
	return 0;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	struct db_stmt *s;
	if (!meta_key_ok(key) || !value)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_META_SET);
	store_bind_text(st, s, 0, key);
	store_bind_text(st, s, 1, value);
	return store_exec_stmt(st, s, "meta set");
}

int store_fleet_state_get(struct store *st, const char *secret, int64_t *ts, char **state)
{
	struct db_stmt *s;
	int rc;
	*state = NULL;
	*ts = 0;
	if (!store_secret_ok(secret))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_FLEET_STATE_GET);
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "fleet state get");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	*ts = st->ops->col_int(s, 0);
	*state = store_dup_col(st, s, 1);
	st->ops->reset(s);
	return *state ? 0 : STORE_ENOMEM;
}

int store_fleet_state_set(struct store *st, const char *secret, int64_t ts, const char *state)
{
	struct db_stmt *s;
	if (!store_secret_ok(secret) || !state)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_FLEET_STATE_SET);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, ts);
	store_bind_text(st, s, 2, state);
	return store_exec_stmt(st, s, "fleet state set");
}

int store_meta_get_int(struct store *st, const char *key, int64_t *out)
{
	char buf[32];
	int rc = store_meta_get(st, key, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	*out = strtoll(buf, NULL, 10);
	return 0;
}

int store_meta_set_int(struct store *st, const char *key, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return store_meta_set(st, key, buf);
}
