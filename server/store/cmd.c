/* cmd.c — the command queue: queued while the agent is away, handed
 * out once, reboot/shutdown expiring after COMMAND_TTL and reported once,
 * every command recorded with who asked, when, and the answer. */
#include "server/store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- command queue --------------------------------------------------------------- */

int store_cmd_ttl(const char *command, int command_ttl)
{
	if (!command)
		return 0;
	if (!strcmp(command, "reboot") || !strcmp(command, "shutdown"))
		return command_ttl;
	return 0;
}

static void fill_cmd(struct store *st, struct db_stmt *s, struct store_cmd *c)
{
	const char *p;
	memset(c, 0, sizeof(*c));
	c->id = st->ops->col_int(s, 0);
	p = st->ops->col_text(s, 1, NULL);
	snprintf(c->secret, sizeof(c->secret), "%s", p ? p : "");
	p = st->ops->col_text(s, 2, NULL);
	snprintf(c->command, sizeof(c->command), "%s", p ? p : "");
	c->requested_by = st->ops->col_int(s, 3);
	c->chat_id = st->ops->col_int(s, 4);
	c->requested_at = st->ops->col_int(s, 5);
	c->expires_at = st->ops->col_int(s, 6);
	c->delivered_at = st->ops->col_int(s, 7);
	c->answered_at = st->ops->col_int(s, 8);
	c->state = (int)st->ops->col_int(s, 9);
}

int store_cmd_enqueue(struct store *st, const char *secret, const char *command, int64_t requested_by,
                      int64_t chat_id, int64_t now, int ttl, int delivered, int64_t *id_out)
{
	struct db_stmt *s;
	int rc;
	if (!store_secret_ok(secret))
		return STORE_ENOKEY;
	if (!store_text_ok(command, STORE_CMD_MAX) || ttl < 0)
		return STORE_EINVAL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_INSERT);
	store_bind_text(st, s, 0, secret);
	store_bind_text(st, s, 1, command);
	st->ops->bind_int(s, 2, requested_by);
	st->ops->bind_int(s, 3, chat_id);
	st->ops->bind_int(s, 4, now);
	st->ops->bind_int(s, 5, ttl > 0 ? now + ttl : 0);
	st->ops->bind_int(s, 6, delivered ? now : 0);
	st->ops->bind_int(s, 7, delivered ? STORE_CMD_DELIVERED : STORE_CMD_QUEUED);
	if ((rc = store_exec_stmt(st, s, "enqueue")) != 0)
		return rc;
	if (id_out)
		*id_out = st->ops->last_id(s);
	return 0;
}

/* Selects up to cap rows with `sel`, then moves each from state 0 with
 * `mark` (WHERE id=? AND state=0): a row another taker got first is not
 * returned, so each is handed out once even with several servers. */
static int take_rows(struct store *st, struct db_stmt *sel, int mark_id, int64_t now, int mark_has_now,
                     struct store_cmd *out, size_t cap)
{
	struct db_stmt *mark;
	size_t n = 0, kept = 0;
	int rc;
	while ((rc = store_next(st, sel, "commands")) == 1) {
		if (n < cap)
			fill_cmd(st, sel, &out[n++]);
	}
	if (rc < 0)
		return rc;
	if (!(mark = store_stmt(st, mark_id)))
		return st->c ? STORE_EDB : STORE_EDOWN;
	for (size_t i = 0; i < n; i++) {
		if (mark_has_now) {
			st->ops->bind_int(mark, 0, now);
			st->ops->bind_int(mark, 1, out[i].id);
		} else {
			st->ops->bind_int(mark, 0, out[i].id);
		}
		if ((rc = store_exec_stmt(st, mark, "mark command")) != 0)
			return rc;
		if (st->ops->changes(mark) == 1) {
			out[kept] = out[i];
			if (mark_has_now) {
				out[kept].state = STORE_CMD_DELIVERED;
				out[kept].delivered_at = now;
			} else {
				out[kept].state = STORE_CMD_EXPIRED;
			}
			kept++;
		}
	}
	return (int)kept;
}

/* take_rows in one transaction: the select statement sel_id takes
 * (secret,) now and a row limit; secret NULL for a select without it. */
static int take_in_tx(struct store *st, int sel_id, const char *secret, int mark_id, int64_t now,
                      int deliver, struct store_cmd *out, size_t cap)
{
	struct db_stmt *s;
	int rc, i = 0;
	if ((rc = store_begin(st)) != 0)
		return rc;
	if (!(s = store_stmt(st, sel_id))) {
		store_rollback(st);
		return st->c ? STORE_EDB : STORE_EDOWN;
	}
	if (secret)
		store_bind_text(st, s, i++, secret);
	st->ops->bind_int(s, i++, now);
	st->ops->bind_int(s, i, (int64_t)(cap > 1000 ? 1000 : cap));
	rc = take_rows(st, s, mark_id, now, deliver, out, cap);
	return store_end(st, rc);
}

int store_cmd_take(struct store *st, const char *secret, int64_t now, struct store_cmd *out, size_t cap)
{
	if (!store_secret_ok(secret) || cap == 0)
		return 0;
	STORE_NEED_CONN(st);
	return take_in_tx(st, STORE_ST_CMD_QUEUED, secret, STORE_ST_CMD_DELIVER, now, 1, out, cap);
}

int store_cmd_queued_since(struct store *st, int64_t since_id, int64_t now, struct store_cmd *out,
                           size_t cap)
{
	struct db_stmt *s;
	size_t n = 0;
	int rc;
	if (cap == 0)
		return 0;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_NEW);
	st->ops->bind_int(s, 0, since_id);
	st->ops->bind_int(s, 1, now);
	st->ops->bind_int(s, 2, (int64_t)(cap > 1000 ? 1000 : cap));
	while ((rc = store_next(st, s, "new commands")) == 1)
		if (n < cap)
			fill_cmd(st, s, &out[n++]);
	return rc < 0 ? rc : (int)n;
}

int store_cmd_requeue(struct store *st, int64_t id)
{
	struct db_stmt *s;
	int rc;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_REQUEUE);
	st->ops->bind_int(s, 0, id);
	if ((rc = store_exec_stmt(st, s, "requeue")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : STORE_ENOTFOUND;
}

int store_cmd_expire(struct store *st, int64_t now, struct store_cmd *out, size_t cap)
{
	if (cap == 0)
		return 0;
	STORE_NEED_CONN(st);
	return take_in_tx(st, STORE_ST_CMD_DUE, NULL, STORE_ST_CMD_EXPIRE, now, 0, out, cap);
}

int store_cmd_answer(struct store *st, int64_t id, int64_t now, const char *answer)
{
	struct db_stmt *s;
	int rc;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_ANSWER);
	st->ops->bind_int(s, 0, now);
	store_bind_text(st, s, 1, answer ? answer : "");
	st->ops->bind_int(s, 2, id);
	if ((rc = store_exec_stmt(st, s, "answer")) != 0)
		return rc;
	return st->ops->changes(s) ? 0 : STORE_ENOTFOUND;
}

int store_cmd_answer_pending(struct store *st, const char *secret, const char *prefix, int newest,
                             int64_t now, const char *answer, int64_t *id_out)
{
	struct db_stmt *s;
	int64_t id = 0;
	size_t pl = prefix ? strlen(prefix) : 0;
	int rc;
	if (!store_secret_ok(secret))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_WAITING);
	store_bind_text(st, s, 0, secret);
	while ((rc = store_next(st, s, "waiting commands")) == 1) {
		const char *c = st->ops->col_text(s, 1, NULL);
		if ((!id || newest) && c && !strncmp(c, prefix ? prefix : "", pl) && (c[pl] == 0 || c[pl] == ' '))
			id = st->ops->col_int(s, 0);
	}
	if (rc < 0)
		return rc;
	if (!id)
		return STORE_ENOTFOUND;
	if (id_out)
		*id_out = id;
	return store_cmd_answer(st, id, now, answer);
}

int store_cmd_history(struct store *st, const char *secret, struct store_cmd *out,
                      char (*answers)[STORE_HIST_ANSWER], size_t cap)
{
	struct db_stmt *s;
	size_t n = 0;
	int rc;
	if (!store_secret_ok(secret))
		return STORE_ENOTFOUND;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_RECENT);
	store_bind_text(st, s, 0, secret);
	st->ops->bind_int(s, 1, (int64_t)cap);
	while ((rc = store_next(st, s, "command history")) == 1) {
		const char *a = st->ops->col_null(s, 10) ? NULL : st->ops->col_text(s, 10, NULL);
		size_t l = a ? strlen(a) : 0;
		if (n >= cap)
			continue;
		fill_cmd(st, s, &out[n]);
		if (l > STORE_HIST_ANSWER - 1) {
			l = STORE_HIST_ANSWER - 1;
			while (l > 0 && ((unsigned char)a[l] & 0xC0) == 0x80)
				l--; /* a[l] starts a character: cut before it */
		}
		if (l)
			memcpy(answers[n], a, l);
		answers[n][l] = '\0';
		n++;
	}
	return rc < 0 ? rc : (int)n;
}

int store_cmd_get(struct store *st, int64_t id, struct store_cmd *out, char **answer_out)
{
	struct db_stmt *s;
	int rc;
	if (answer_out)
		*answer_out = NULL;
	STORE_NEED_CONN(st);
	STORE_GET_STMT(s, st, STORE_ST_CMD_GET);
	st->ops->bind_int(s, 0, id);
	rc = store_next(st, s, "command");
	if (rc <= 0)
		return rc == 0 ? STORE_ENOTFOUND : rc;
	fill_cmd(st, s, out);
	if (answer_out && !st->ops->col_null(s, 10))
		*answer_out = store_dup_col(st, s, 10);
	st->ops->reset(s);
	return 0;
}
