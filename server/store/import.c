/* import.c — the one-time import of the original's state: its `state`
 * row of JSON ({"secrets", "active", "alerts", "alert_last"}, written by
 * Python's json.dumps, so non-ASCII arrives as \uXXXX escapes), or the older
 * layout of tables secrets/active/alerts/alert_last. Runs inside a
 * transaction the caller owns; rows already present are left alone. */
#include "server/store/store_int.h"
#include "wire/jsonr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the JSON (wire/jsonr.h) ------------------------------------------- */

/* jsonr's own depth limit: the original's state is five deep, but a deeper
 * member it never wrote must not make the whole state unreadable. */
#define IMPORT_MAX_DEPTH 512

struct jdoc {
	struct jsonr r;
	jsmntok_t *tok;
};

/* Parses into a token pool grown until it fits (a token takes at least
 * two bytes of text, so len / 2 + 2 always does). */
static int jparse(struct jdoc *d, const char *js, size_t len)
{
	size_t cap = 256, most = len / 2 + 2;
	int rc;
	d->tok = NULL;
	for (;;) {
		jsmntok_t *t;
		if (cap > most)
			cap = most;
		if (cap > SIZE_MAX / sizeof(*t) || !(t = realloc(d->tok, cap * sizeof(*t))))
			return STORE_ENOMEM;
		d->tok = t;
		rc = jsonr_parse(&d->r, js, len, d->tok, (unsigned)cap, IMPORT_MAX_DEPTH);
		if (rc != JSONR_ENOMEM || cap == most)
			break;
		cap *= 4;
	}
	if (rc != JSONR_OK) {
		free(d->tok);
		d->tok = NULL;
		return rc == JSONR_ENOMEM ? STORE_ENOMEM : STORE_EINVAL;
	}
	return 0;
}

/* The decoded string of token i (malloc'd); NULL if it is no string or
 * cannot be a C string (\u0000, a lone surrogate). */
static char *jstr(const struct jdoc *d, int i)
{
	size_t cap;
	char *o;
	if (jsonr_type(&d->r, i) != JSONR_T_STRING)
		return NULL;
	cap = jsonr_str_cap(&d->r, i);
	if (!(o = malloc(cap)))
		return NULL;
	if (jsonr_str(&d->r, i, o, cap, NULL) != JSONR_OK) {
		free(o);
		return NULL;
	}
	return o;
}

static int is_type(const struct jdoc *d, int i, enum jsonr_type t)
{
	return i >= 0 && jsonr_type(&d->r, i) == t;
}

/* A number, or a string holding one (ids are sometimes strings). */
static int jnum(const struct jdoc *d, int i, double *out)
{
	char buf[64], *e;
	if (is_type(d, i, JSONR_T_NUMBER))
		return jsonr_num(&d->r, i, out) == JSONR_OK ? 0 : -1;
	if (jsonr_str(&d->r, i, buf, sizeof(buf), NULL) != JSONR_OK || !buf[0])
		return -1;
	errno = 0;
	*out = strtod(buf, &e);
	if (errno || *e || !isfinite(*out))
		return -1;
	return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
	char *e;
	long long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno || *e)
		return -1;
	*out = v;
	return 0;
}

static int jint(const struct jdoc *d, int i, int64_t *out)
{
	double v;
	if (jnum(d, i, &v) || v != floor(v) || fabs(v) > 9.0e18)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* ---- writing ------------------------------------------------------------------- */

/* 1 new, 0 was there. created = its first sample if it has metrics. */
static int imp_key(struct store *st, const char *secret, const char *nickname, int64_t now)
{
	struct db_stmt *s;
	int64_t first, last;
	int rc;
	if ((rc = store_one_int(st, STORE_ST_FIRST_TS, secret, &first, "import")) ||
	    (rc = store_one_int(st, STORE_ST_NEWEST, secret, &last, "import")))
		return rc;
	if (!(s = store_stmt(st, STORE_ST_KEY_IMPORT)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	store_bind_text(st, s, 0, secret);
	if (nickname && store_text_ok(nickname, STORE_NAME_MAX))
		store_bind_text(st, s, 1, nickname);
	else
		st->ops->bind_null(s, 1);
	st->ops->bind_int(s, 2, first ? first : now);
	st->ops->bind_int(s, 3, last);
	if ((rc = store_exec_stmt(st, s, "import key")) != 0)
		return rc;
	return st->ops->changes(s) > 0;
}

static int imp_owner(struct store *st, const char *secret, int64_t uid, int64_t added)
{
	struct db_stmt *s = store_stmt(st, STORE_ST_OWNER_ADD);
	if (uid <= 0)
		return 0;
	if (!s)
		return st->c ? STORE_EDB : STORE_EDOWN;
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, uid);
	st->ops->bind_int(s, 2, added);
	return store_exec_stmt(st, s, "import owner");
}

/* The original queued command strings without a time; reboot/shutdown get
 * COMMAND_TTL from the import, like a command asked for now. */
static int imp_cmd(struct store *st, const char *secret, const char *cmd, int64_t now)
{
	struct db_stmt *s;
	int ttl;
	if (!store_text_ok(cmd, STORE_CMD_MAX))
		return 0;
	if (!(s = store_stmt(st, STORE_ST_CMD_INSERT)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	ttl = store_cmd_ttl(cmd, st->cfg.command_ttl);
	store_bind_text(st, s, 0, secret);
	store_bind_text(st, s, 1, cmd);
	st->ops->bind_int(s, 2, 0);
	st->ops->bind_int(s, 3, 0);
	st->ops->bind_int(s, 4, now);
	st->ops->bind_int(s, 5, ttl ? now + ttl : 0);
	st->ops->bind_int(s, 6, 0);
	st->ops->bind_int(s, 7, STORE_CMD_QUEUED);
	return store_exec_stmt(st, s, "import command");
}

static int key_there(struct store *st, const char *secret)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return 0;
	if (!(s = store_stmt(st, STORE_ST_KEY_EXISTS)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	store_bind_text(st, s, 0, secret);
	rc = store_next(st, s, "import");
	if (rc == 1)
		st->ops->reset(s);
	return rc;
}

static int imp_active(struct store *st, int64_t chat, const char *secret)
{
	char cur[STORE_SECRET_MAX + 1];
	int rc = key_there(st, secret);
	if (rc <= 0)
		return rc;
	rc = store_active_get(st, chat, cur);
	if (rc == 0)
		return 0; /* already set here: keep it */
	if (rc != STORE_ENOTFOUND)
		return rc;
	return store_active_set(st, chat, secret);
}

static int imp_alert(struct store *st, int64_t uid, const char *secret, const char *metric, double thr,
                     int64_t last_sent, int64_t now)
{
	struct db_stmt *s;
	char m[17];
	size_t n;
	int rc;
	if (!metric || (n = strlen(metric)) == 0 || n > 16)
		return 0;
	for (size_t i = 0; i <= n; i++)
		m[i] = (char)(metric[i] >= 'A' && metric[i] <= 'Z' ? metric[i] + 32 : metric[i]);
	if (!store_metric_ok(m) || !isfinite(thr) || uid == 0)
		return 0;
	if ((rc = key_there(st, secret)) <= 0)
		return rc;
	if (!(s = store_stmt(st, STORE_ST_ALERT_IMPORT)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	st->ops->bind_int(s, 0, uid);
	store_bind_text(st, s, 1, secret);
	store_bind_text(st, s, 2, m);
	st->ops->bind_double(s, 3, thr);
	st->ops->bind_int(s, 4, now);
	st->ops->bind_int(s, 5, last_sent);
	return store_exec_stmt(st, s, "import alert");
}

/* ---- the state JSON ------------------------------------------------------------- */

static int64_t alert_last_of(const struct jdoc *d, int last, const char *uid, const char *secret,
                             const char *metric)
{
	char key[256];
	double ts;
	snprintf(key, sizeof(key), "%s:%s:%s", uid, secret, metric);
	if (jnum(d, jsonr_get(&d->r, last, key), &ts))
		return 0;
	return (int64_t)ts;
}

/* Owners and pending commands of one key: arrays of numbers / strings. */
static int imp_lists(struct store *st, const struct jdoc *d, int owners, int pending, const char *secret,
                     int64_t now, int is_new)
{
	int rc = 0;
	if (is_type(d, owners, JSONR_T_ARRAY))
		for (int k = jsonr_first(&d->r, owners); k > 0 && rc == 0; k = jsonr_after(&d->r, owners, k)) {
			int64_t uid;
			if (!jint(d, k, &uid))
				rc = imp_owner(st, secret, uid, now);
		}
	/* Commands only with a new key, so a second import adds none twice. */
	if (is_new && is_type(d, pending, JSONR_T_ARRAY))
		for (int k = jsonr_first(&d->r, pending); k > 0 && rc == 0; k = jsonr_after(&d->r, pending, k)) {
			char *cmd = jstr(d, k);
			if (cmd)
				rc = imp_cmd(st, secret, cmd, now);
			free(cmd);
		}
	return rc;
}

/* "secrets": {secret: {"owners", "nickname", "pending"}}. Returns keys new. */
static int imp_secrets(struct store *st, const struct jdoc *d, int secrets, int64_t now)
{
	int rc = 0, imported = 0;
	if (!is_type(d, secrets, JSONR_T_OBJECT))
		return 0;
	for (int k = jsonr_first(&d->r, secrets); k > 0 && rc >= 0; k = jsonr_after(&d->r, secrets, k)) {
		char *secret = jstr(d, k);
		int entry = k + 1;
		if (secret && store_secret_ok(secret) && is_type(d, entry, JSONR_T_OBJECT)) {
			char *nick = jstr(d, jsonr_get(&d->r, entry, "nickname"));
			rc = imp_key(st, secret, nick, now);
			if (rc >= 0) {
				imported += rc;
				rc = imp_lists(st, d, jsonr_get(&d->r, entry, "owners"), jsonr_get(&d->r, entry, "pending"),
				               secret, now, rc == 1);
			}
			free(nick);
		}
		free(secret);
	}
	return rc < 0 ? rc : imported;
}

/* "active": {chat id: secret}. */
static int imp_actives(struct store *st, const struct jdoc *d, int active)
{
	int rc = 0;
	if (!is_type(d, active, JSONR_T_OBJECT))
		return 0;
	for (int k = jsonr_first(&d->r, active); k > 0 && rc >= 0; k = jsonr_after(&d->r, active, k)) {
		char *chat = jstr(d, k), *secret = jstr(d, k + 1);
		int64_t cid;
		if (chat && secret && !parse_i64(chat, &cid))
			rc = imp_active(st, cid, secret);
		free(chat);
		free(secret);
	}
	return rc;
}

/* The alerts of one user: {secret: {metric: threshold}}. */
static int imp_user_alerts(struct store *st, const struct jdoc *d, int per_user, const char *uid_s, int64_t uid,
                           int last, int64_t now)
{
	int rc = 0;
	for (int s = jsonr_first(&d->r, per_user); s > 0 && rc >= 0; s = jsonr_after(&d->r, per_user, s)) {
		char *secret = jstr(d, s);
		int per_key = s + 1;
		if (secret && is_type(d, per_key, JSONR_T_OBJECT))
			for (int m = jsonr_first(&d->r, per_key); m > 0 && rc >= 0; m = jsonr_after(&d->r, per_key, m)) {
				char *metric = jstr(d, m);
				double thr;
				if (metric && !jnum(d, m + 1, &thr))
					rc = imp_alert(st, uid, secret, metric, thr, alert_last_of(d, last, uid_s, secret, metric),
					               now);
				free(metric);
			}
		free(secret);
	}
	return rc;
}

/* "alerts": {user id: {secret: {metric: threshold}}}, with "alert_last":
 * {"uid:secret:metric": ts}. */
static int imp_alerts(struct store *st, const struct jdoc *d, int alerts, int last, int64_t now)
{
	int rc = 0;
	if (!is_type(d, alerts, JSONR_T_OBJECT))
		return 0;
	for (int k = jsonr_first(&d->r, alerts); k > 0 && rc >= 0; k = jsonr_after(&d->r, alerts, k)) {
		char *uid_s = jstr(d, k);
		int64_t uid;
		if (uid_s && !parse_i64(uid_s, &uid) && is_type(d, k + 1, JSONR_T_OBJECT))
			rc = imp_user_alerts(st, d, k + 1, uid_s, uid, last, now);
		free(uid_s);
	}
	return rc;
}

int store_import_state_tx(struct store *st, const char *json, size_t len, int64_t now)
{
	struct jdoc d;
	int rc, imported;
	if ((rc = jparse(&d, json, len)) != 0)
		return rc;
	if (!is_type(&d, 0, JSONR_T_OBJECT)) {
		free(d.tok);
		return STORE_EINVAL;
	}
	imported = rc = imp_secrets(st, &d, jsonr_get(&d.r, 0, "secrets"), now);
	if (rc >= 0)
		rc = imp_actives(st, &d, jsonr_get(&d.r, 0, "active"));
	if (rc >= 0)
		rc = imp_alerts(st, &d, jsonr_get(&d.r, 0, "alerts"), jsonr_get(&d.r, 0, "alert_last"), now);
	free(d.tok);
	return rc < 0 ? rc : imported;
}

/* ---- the older layout: one row per key with JSON lists ---------------------------- */

struct kv {
	char *k;
	int64_t v;
};

int store_import_old_tables_tx(struct store *st, int64_t now)
{
	struct db_stmt *s;
	struct kv *lasts = NULL;
	size_t nl = 0, cl = 0;
	int rc, imported = 0;
	/* alert_last first: {"uid:secret:metric": ts} */
	if ((rc = store_table_exists(st, "alert_last")) == 1) {
		if (!(s = store_stmt(st, STORE_ST_OLD_ALERT_LAST)))
			return st->c ? STORE_EDB : STORE_EDOWN;
		while ((rc = store_next(st, s, "old alert_last")) == 1) {
			const char *k = st->ops->col_text(s, 0, NULL);
			if (!k)
				continue;
			if (nl == cl) {
				size_t nc = cl ? cl * 2 : 32;
				struct kv *p = realloc(lasts, nc * sizeof(*p));
				if (!p) {
					st->ops->reset(s);
					rc = STORE_ENOMEM;
					break;
				}
				lasts = p;
				cl = nc;
			}
			if (!(lasts[nl].k = strdup(k))) {
				st->ops->reset(s);
				rc = STORE_ENOMEM;
				break;
			}
			lasts[nl++].v = st->ops->col_int(s, 1);
		}
	}
	if (rc < 0)
		goto out;
	if (!(s = store_stmt(st, STORE_ST_OLD_SECRETS))) {
		rc = st->c ? STORE_EDB : STORE_EDOWN;
		goto out;
	}
	while ((rc = store_next(st, s, "old secrets")) == 1) {
		const char *sec = st->ops->col_text(s, 0, NULL);
		char *secret, *owners = NULL, *nick = NULL, *pending = NULL;
		int r;
		if (!sec || !store_secret_ok(sec))
			continue;
		secret = strdup(sec);
		if (!st->ops->col_null(s, 1))
			owners = strdup(st->ops->col_text(s, 1, NULL));
		if (!st->ops->col_null(s, 2))
			nick = strdup(st->ops->col_text(s, 2, NULL));
		if (!st->ops->col_null(s, 3))
			pending = strdup(st->ops->col_text(s, 3, NULL));
		r = secret ? imp_key(st, secret, nick, now) : STORE_ENOMEM;
		if (r >= 0) {
			struct jdoc od = {0}, pd = {0};
			int is_new = r;
			imported += r;
			if (owners && jparse(&od, owners, strlen(owners)) == 0)
				r = imp_lists(st, &od, 0, -1, secret, now, is_new);
			if (r >= 0 && pending && jparse(&pd, pending, strlen(pending)) == 0)
				r = imp_lists(st, &pd, -1, 0, secret, now, is_new);
			free(od.tok);
			free(pd.tok);
		}
		free(secret);
		free(owners);
		free(nick);
		free(pending);
		if (r < 0) {
			st->ops->reset(s);
			rc = r;
			break;
		}
	}
	if (rc == 0 && (rc = store_table_exists(st, "active")) == 1) {
		if (!(s = store_stmt(st, STORE_ST_OLD_ACTIVE))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		while ((rc = store_next(st, s, "old active")) == 1) {
			const char *c = st->ops->col_text(s, 0, NULL), *sec = st->ops->col_text(s, 1, NULL);
			char secret[STORE_SECRET_MAX + 1];
			int64_t chat;
			int r;
			if (!c || !sec || parse_i64(c, &chat) || !store_secret_ok(sec))
				continue;
			snprintf(secret, sizeof(secret), "%s", sec);
			if ((r = imp_active(st, chat, secret)) < 0) {
				st->ops->reset(s);
				rc = r;
				break;
			}
		}
	}
	if (rc == 0 && (rc = store_table_exists(st, "alerts")) == 1) {
		if (!(s = store_stmt(st, STORE_ST_OLD_ALERTS))) {
			rc = st->c ? STORE_EDB : STORE_EDOWN;
			goto out;
		}
		while ((rc = store_next(st, s, "old alerts")) == 1) {
			const char *u = st->ops->col_text(s, 0, NULL), *sec = st->ops->col_text(s, 1, NULL);
			const char *m = st->ops->col_text(s, 2, NULL);
			char secret[STORE_SECRET_MAX + 1], metric[17], key[256];
			int64_t uid, ls = 0;
			int r;
			if (!u || !sec || !m || parse_i64(u, &uid) || !store_secret_ok(sec) || strlen(m) > 16)
				continue;
			snprintf(secret, sizeof(secret), "%s", sec);
			snprintf(metric, sizeof(metric), "%s", m);
			snprintf(key, sizeof(key), "%s:%s:%s", u, secret, metric);
			for (size_t i = 0; i < nl; i++)
				if (!strcmp(lasts[i].k, key))
					ls = lasts[i].v;
			if ((r = imp_alert(st, uid, secret, metric, st->ops->col_double(s, 3), ls, now)) < 0) {
				st->ops->reset(s);
				rc = r;
				break;
			}
		}
	}
out:
	for (size_t i = 0; i < nl; i++)
		free(lasts[i].k);
	free(lasts);
	return rc < 0 ? rc : imported;
}

int store_import_json(struct store *st, const char *json, size_t len, int64_t now)
{
	int rc;
	STORE_NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = store_import_state_tx(st, json, len, now);
	return store_end(st, rc);
}
