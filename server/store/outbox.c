/* outbox.c — what the bot keeps for itself: the outbox of messages not yet
 * taken by Telegram (alerts and notices survive a restart or an outage)
 * and the hosts in maintenance (/mute). Over core.c, like keys.c. */
#include "server/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_outbox_add(struct store *st, int64_t chat_id, const char *html, const char *markup,
                     int64_t now, int64_t *id_out)
{
	struct db_stmt *s;
	int rc;
	if (!html || !*html)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_OUTBOX_ADD);
	st->ops->bind_int(s, 0, chat_id);
	store_bind_text(st, s, 1, html);
	store_bind_text(st, s, 2, markup && *markup ? markup : NULL);
	st->ops->bind_int(s, 3, now);
	if ((rc = store_exec_stmt(st, s, "outbox add")) != 0)
		return rc;
	if (id_out)
		*id_out = st->ops->last_id(s);
	return 0;
}

int store_outbox_del(struct store *st, int64_t id)
{
	struct db_stmt *s;
	int rc;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_OUTBOX_DEL);
	st->ops->bind_int(s, 0, id);
	if ((rc = store_exec_stmt(st, s, "outbox delete")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : STORE_ENOTFOUND;
}

void store_outbox_free(struct store_outbox *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].html);
		free(v[i].markup);
	}
	free(v);
}

int store_outbox_list(struct store *st, struct store_outbox **out, size_t *n)
{
	struct db_stmt *s;
	struct store_outbox *v = NULL;
	size_t cap = 0, cnt = 0;
	int rc;
	*out = NULL;
	*n = 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_OUTBOX_LIST);
	while ((rc = store_next(st, s, "outbox list")) == 1) {
		struct store_outbox *o;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			o = realloc(v, nc * sizeof(*o));
			if (!o) {
				rc = STORE_ENOMEM;
				st->ops->reset(s);
				break;
			}
			v = o;
			cap = nc;
		}
		o = &v[cnt];
		memset(o, 0, sizeof(*o));
		o->id = st->ops->col_int(s, 0);
		o->chat_id = st->ops->col_int(s, 1);
		o->html = store_dup_col(st, s, 2);
		o->markup = store_dup_col(st, s, 3);
		o->created = st->ops->col_int(s, 4);
		cnt++;
		if (!o->html) { /* NOT NULL column: no memory */
			rc = STORE_ENOMEM;
			st->ops->reset(s);
			break;
		}
	}
	if (rc < 0) {
		store_outbox_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int store_maint_set(struct store *st, const char *secret, int64_t until, int64_t by, int64_t now)
{
	struct db_stmt *s;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	STORE_NEED_CONN(st);
	if (until == 0) {
		STORE_GET_STMT(s, st, STORE_ST_MAINT_DEL);
		store_bind_text(st, s, 0, secret);
		return store_exec_stmt(st, s, "maintenance end");
	}
	STORE_GET_STMT(s, st, STORE_ST_MAINT_SET);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, until);
	st->ops->bind_int(s, 2, by);
	st->ops->bind_int(s, 3, now);
	return store_exec_stmt(st, s, "maintenance set");
}

int store_maint_list(struct store *st, struct store_maint **out, size_t *n)
{
	struct db_stmt *s;
	struct store_maint *v = NULL;
	size_t cap = 0, cnt = 0;
	int rc;
	*out = NULL;
	*n = 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_MAINT_LIST);
	while ((rc = store_next(st, s, "maintenance list")) == 1) {
		struct store_maint *m;
		const char *p;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			m = realloc(v, nc * sizeof(*m));
			if (!m) {
				rc = STORE_ENOMEM;
				st->ops->reset(s);
				break;
			}
			v = m;
			cap = nc;
		}
		m = &v[cnt++];
		memset(m, 0, sizeof(*m));
		p = st->ops->col_text(s, 0, NULL);
		snprintf(m->secret, sizeof(m->secret), "%s", p ? p : "");
		m->until = st->ops->col_int(s, 1);
		m->by = st->ops->col_int(s, 2);
		m->since = st->ops->col_int(s, 3);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}
