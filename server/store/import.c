/* import.c — the one-time import of the original's state: its `state`
 * row of JSON ({"secrets", "active", "alerts", "alert_last"}, written by
 * Python's json.dumps, so non-ASCII arrives as \uXXXX escapes), or the older
 * layout of tables secrets/active/alerts/alert_last. Runs inside a
 * transaction the caller owns; rows already present are left alone. */
#include "server/store/store_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

struct jdoc {
	const char *js;
	jsmntok_t *t;
	int n;
};

static int jparse(struct jdoc *d, const char *js, size_t len)
{
	jsmn_parser p;
	int n;
	memset(d, 0, sizeof(*d));
	d->js = js;
	jsmn_init(&p);
	n = jsmn_parse(&p, js, len, NULL, 0);
	if (n <= 0)
		return STORE_EINVAL;
	d->t = calloc((size_t)n, sizeof(*d->t));
	if (!d->t)
		return STORE_ENOMEM;
	jsmn_init(&p);
	if (jsmn_parse(&p, js, len, d->t, (unsigned)n) != n) {
		free(d->t);
		d->t = NULL;
		return STORE_EINVAL;
	}
	d->n = n;
	return 0;
}

/* Index just past token i and everything under it. */
static int jskip(const struct jdoc *d, int i)
{
	int kids, j;
	if (i >= d->n)
		return d->n;
	kids = d->t[i].size;
	j = i + 1;
	for (int k = 0; k < kids; k++)
		j = jskip(d, j);
	return j;
}

static int jeq(const struct jdoc *d, int i, const char *s)
{
	const jsmntok_t *t = &d->t[i];
	size_t n = strlen(s);
	return t->type == JSMN_STRING && (size_t)(t->end - t->start) == n && !memcmp(d->js + t->start, s, n);
}

/* Value token of member `key` of object o, or -1. */
static int jmember(const struct jdoc *d, int o, const char *key)
{
	int j;
	if (o < 0 || o >= d->n || d->t[o].type != JSMN_OBJECT)
		return -1;
	j = o + 1;
	for (int k = 0; k < d->t[o].size && j + 1 < d->n; k++) {
		if (jeq(d, j, key))
			return j + 1;
		j = jskip(d, j);
	}
	return -1;
}

static void put_utf8(char *o, size_t *k, uint32_t cp)
{
	if (cp < 0x80) {
		o[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*k)++] = (char)(0xc0 | (cp >> 6));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*k)++] = (char)(0xe0 | (cp >> 12));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | (cp >> 18));
		o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* The decoded string of token i (malloc'd), NULL if not a string. A lone
 * surrogate becomes U+FFFD. */
static char *jstr(const struct jdoc *d, int i)
{
	const jsmntok_t *t;
	const char *p, *end;
	char *o;
	size_t k = 0;
	if (i < 0 || i >= d->n || d->t[i].type != JSMN_STRING)
		return NULL;
	t = &d->t[i];
	p = d->js + t->start;
	end = d->js + t->end;
	o = malloc((size_t)(t->end - t->start) * 3 + 1);
	if (!o)
		return NULL;
	while (p < end) {
		if (*p != '\\') {
			o[k++] = *p++;
			continue;
		}
		p++;
		if (p >= end)
			break;
		switch (*p) {
		case 'b': o[k++] = '\b'; p++; break;
		case 'f': o[k++] = '\f'; p++; break;
		case 'n': o[k++] = '\n'; p++; break;
		case 'r': o[k++] = '\r'; p++; break;
		case 't': o[k++] = '\t'; p++; break;
		case 'u': {
			uint32_t cp, lo;
			if (end - p < 5 || hex4(p + 1, &cp)) {
				p = end;
				break;
			}
			p += 5;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			    !hex4(p + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			put_utf8(o, &k, cp);
			break;
		}
		default: o[k++] = *p++; break; /* \" \\ \/ */
		}
	}
	o[k] = 0;
	return o;
}

/* A number, or a string holding one (ids are sometimes strings). */
static int jnum(const struct jdoc *d, int i, double *out)
{
	char buf[64], *e;
	const jsmntok_t *t;
	size_t n;
	if (i < 0 || i >= d->n)
		return -1;
	t = &d->t[i];
	if (t->type != JSMN_PRIMITIVE && t->type != JSMN_STRING)
		return -1;
	n = (size_t)(t->end - t->start);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, d->js + t->start, n);
	buf[n] = 0;
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
	if ((rc = store_one_int(st, ST_FIRST_TS, secret, &first, "import")) ||
	    (rc = store_one_int(st, ST_NEWEST, secret, &last, "import")))
		return rc;
	if (!(s = store_stmt(st, ST_KEY_IMPORT)))
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
	struct db_stmt *s = store_stmt(st, ST_OWNER_ADD);
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
	if (!(s = store_stmt(st, ST_CMD_INSERT)))
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
	if (!(s = store_stmt(st, ST_KEY_EXISTS)))
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

static int metric_name_ok(const char *m)
{
	size_t n = m ? strlen(m) : 0;
	if (n == 0 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_'))
			return 0;
	return 1;
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
	if (!metric_name_ok(m) || !isfinite(thr) || uid == 0)
		return 0;
	if ((rc = key_there(st, secret)) <= 0)
		return rc;
	if (!(s = store_stmt(st, ST_ALERT_IMPORT)))
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
	int v;
	double ts;
	snprintf(key, sizeof(key), "%s:%s:%s", uid, secret, metric);
	v = jmember(d, last, key);
	if (v < 0 || jnum(d, v, &ts))
		return 0;
	return (int64_t)ts;
}

/* Owners and pending commands of one key: arrays of numbers / strings. */
static int imp_lists(struct store *st, const struct jdoc *d, int owners, int pending, const char *secret,
                     int64_t now, int is_new)
{
	int rc = 0, j;
	if (owners >= 0 && d->t[owners].type == JSMN_ARRAY) {
		j = owners + 1;
		for (int k = 0; k < d->t[owners].size && rc == 0; k++) {
			int64_t uid;
			if (!jint(d, j, &uid))
				rc = imp_owner(st, secret, uid, now);
			j = jskip(d, j);
		}
	}
	/* Commands only with a new key, so a second import adds none twice. */
	if (is_new && pending >= 0 && d->t[pending].type == JSMN_ARRAY) {
		j = pending + 1;
		for (int k = 0; k < d->t[pending].size && rc == 0; k++) {
			char *cmd = jstr(d, j);
			if (cmd)
				rc = imp_cmd(st, secret, cmd, now);
			free(cmd);
			j = jskip(d, j);
		}
	}
	return rc;
}

int store_import_state_tx(struct store *st, const char *json, size_t len, int64_t now)
{
	struct jdoc d;
	int rc, secrets, active, alerts, last, imported = 0, j;
	if ((rc = jparse(&d, json, len)) != 0)
		return rc;
	if (d.t[0].type != JSMN_OBJECT) {
		free(d.t);
		return STORE_EINVAL;
	}
	secrets = jmember(&d, 0, "secrets");
	active = jmember(&d, 0, "active");
	alerts = jmember(&d, 0, "alerts");
	last = jmember(&d, 0, "alert_last");
	rc = 0;
	if (secrets >= 0 && d.t[secrets].type == JSMN_OBJECT) {
		j = secrets + 1;
		for (int k = 0; k < d.t[secrets].size && rc >= 0; k++) {
			char *secret = jstr(&d, j);
			int entry = j + 1;
			if (secret && store_secret_ok(secret) && d.t[entry].type == JSMN_OBJECT) {
				char *nick = jstr(&d, jmember(&d, entry, "nickname"));
				rc = imp_key(st, secret, nick, now);
				if (rc >= 0) {
					imported += rc;
					rc = imp_lists(st, &d, jmember(&d, entry, "owners"), jmember(&d, entry, "pending"),
					               secret, now, rc == 1);
				}
				free(nick);
			}
			free(secret);
			j = jskip(&d, j);
		}
	}
	if (rc >= 0 && active >= 0 && d.t[active].type == JSMN_OBJECT) {
		j = active + 1;
		for (int k = 0; k < d.t[active].size && rc >= 0; k++) {
			char *chat = jstr(&d, j), *secret = jstr(&d, j + 1);
			int64_t cid;
			if (chat && secret && !parse_i64(chat, &cid))
				rc = imp_active(st, cid, secret);
			free(chat);
			free(secret);
			j = jskip(&d, j);
		}
	}
	if (rc >= 0 && alerts >= 0 && d.t[alerts].type == JSMN_OBJECT) {
		j = alerts + 1;
		for (int k = 0; k < d.t[alerts].size && rc >= 0; k++) {
			char *uid_s = jstr(&d, j);
			int per_user = j + 1;
			int64_t uid;
			if (uid_s && !parse_i64(uid_s, &uid) && d.t[per_user].type == JSMN_OBJECT) {
				int s = per_user + 1;
				for (int a = 0; a < d.t[per_user].size && rc >= 0; a++) {
					char *secret = jstr(&d, s);
					int per_key = s + 1;
					if (secret && d.t[per_key].type == JSMN_OBJECT) {
						int m = per_key + 1;
						for (int b = 0; b < d.t[per_key].size && rc >= 0; b++) {
							char *metric = jstr(&d, m);
							double thr;
							if (metric && !jnum(&d, m + 1, &thr))
								rc = imp_alert(st, uid, secret, metric, thr,
								               alert_last_of(&d, last, uid_s, secret, metric), now);
							free(metric);
							m = jskip(&d, m);
						}
					}
					free(secret);
					s = jskip(&d, s);
				}
			}
			free(uid_s);
			j = jskip(&d, j);
		}
	}
	free(d.t);
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
		if (!(s = store_stmt(st, ST_OLD_ALERT_LAST)))
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
	if (!(s = store_stmt(st, ST_OLD_SECRETS))) {
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
			free(od.t);
			free(pd.t);
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
		if (!(s = store_stmt(st, ST_OLD_ACTIVE))) {
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
		if (!(s = store_stmt(st, ST_OLD_ALERTS))) {
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
	NEED_CONN(st);
	if ((rc = store_begin(st)) != 0)
		return rc;
	rc = store_import_state_tx(st, json, len, now);
	if (rc >= 0) {
		int c = store_commit(st);
		if (c != 0)
			rc = c;
	} else {
		store_rollback(st);
	}
	return rc;
}
