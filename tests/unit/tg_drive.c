/* tg_drive.c — drives server/bot/tg.c from a script for
 * tests/integration/bot_api.py: commands on stdin (read on a second thread,
 * which wakes the client with tg_wakeup), one result line per event on
 * stdout. TELEGRAM_API_URL and BOT_TOKEN select the endpoint.
 *
 *   send <tag> <chat> <reply|alert|once> <text...>     sendMessage
 *   edit <tag> <chat> <message_id> <class> <text...>   editMessageText
 *   answer <tag> <callback_query_id>                   answerCallbackQuery (once, chat 0)
 *   photo <tag> <chat> <path> <filename> <caption...>  sendPhoto, multipart
 *   poll <offset> <timeout_s>    getUpdates long polling; each answer prints
 *                                "updates <n> <id,id,...>" and moves the offset
 *   stoppoll | pending | stats | quit
 * Completions print "done <tag> ok=.. nm=.. http=.. code=.. mid=.. tries=.. desc=..".
 * At the end of input the queue is drained, then the client freed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/bot/tg.h"
#include "server/log.h"
#include "wire/jsonr.h"

#define LINE_MAX_ 8192

struct line {
	struct line *next;
	char s[];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct line *head, *tail;
static int eof;
static struct tg *tg;

static void *reader(void *arg)
{
	char buf[LINE_MAX_];
	(void)arg;
	while (fgets(buf, sizeof(buf), stdin)) {
		size_t n = strcspn(buf, "\r\n");
		struct line *l = malloc(sizeof(*l) + n + 1);
		if (!l)
			break;
		memcpy(l->s, buf, n);
		l->s[n] = 0;
		l->next = NULL;
		pthread_mutex_lock(&mu);
		if (tail)
			tail->next = l;
		else
			head = l;
		tail = l;
		if (tg)
			tg_wakeup(tg);
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	eof = 1;
	if (tg)
		tg_wakeup(tg);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void on_done(void *arg, const struct tg_result *r)
{
	char *tag = arg;
	printf("done %s ok=%d nm=%d http=%ld code=%d mid=%lld desc=%s\n", tag, r->ok, r->not_modified,
	       r->http_status, r->error_code, (long long)r->message_id, r->description);
	fflush(stdout);
	free(tag);
}

static void on_updates(void *arg, const char *body, size_t len)
{
	static jsmntok_t tok[4096];
	struct jsonr r;
	int res, k, n = 0;
	int64_t id, top = -1;
	char ids[2048] = "";
	size_t used = 0;
	(void)arg;
	if (jsonr_parse(&r, body, len, tok, 4096, 32) != JSONR_OK ||
	    (res = jsonr_get(&r, 0, "result")) < 0) {
		printf("updates unreadable\n");
		fflush(stdout);
		return;
	}
	for (k = jsonr_first(&r, res); k > 0; k = jsonr_after(&r, res, k)) {
		int u = jsonr_get(&r, k, "update_id");
		if (u < 0 || jsonr_int(&r, u, 0, INT64_MAX, &id) != JSONR_OK)
			continue;
		used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%lld", n ? "," : "",
		                         (long long)id);
		if (used >= sizeof(ids))
			used = sizeof(ids) - 1;
		n++;
		if (id > top)
			top = id;
	}
	if (top >= 0)
		tg_set_offset(tg, top + 1);
	printf("updates %d %s\n", n, n ? ids : "-");
	fflush(stdout);
}

static enum tg_class parse_class(const char *s)
{
	if (!strcmp(s, "alert"))
		return TG_ALERT;
	if (!strcmp(s, "once"))
		return TG_ONCE;
	return TG_REPLY;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void queue(const char *method, const char *tag, long long chat, enum tg_class cls,
                  struct tg_args *a)
{
	char *t = strdup(tag);
	if (tg_call(tg, method, chat, a, cls, on_done, t) != 0) {
		printf("refused %s\n", tag);
		free(t);
	}
}

/* One command; returns 1 on quit. */
static int command(char *s)
{
	char *save = NULL, *cmd = strtok_r(s, " ", &save);
	char *tag, *rest;
	struct tg_args *a;
	if (!cmd)
		return 0;
	if (!strcmp(cmd, "quit"))
		return 1;
	if (!strcmp(cmd, "pending") || !strcmp(cmd, "stats")) {
		struct tg_stats st;
		tg_get_stats(tg, &st);
		printf("pending %zu calls=%llu retries=%llu limited=%llu nm=%llu failed=%llu\n",
		       tg_pending(tg), (unsigned long long)st.calls, (unsigned long long)st.retries,
		       (unsigned long long)st.rate_limited, (unsigned long long)st.not_modified,
		       (unsigned long long)st.failed);
	} else if (!strcmp(cmd, "stoppoll")) {
		tg_stop_polling(tg);
		printf("stopped\n");
	} else if (!strcmp(cmd, "poll")) {
		char *off = strtok_r(NULL, " ", &save), *to = strtok_r(NULL, " ", &save);
		tg_poll_updates(tg, off ? strtoll(off, NULL, 10) : 0, to ? atoi(to) : 1, on_updates, NULL);
		printf("polling\n");
	} else if (!strcmp(cmd, "answer")) {
		tag = strtok_r(NULL, " ", &save);
		rest = strtok_r(NULL, " ", &save);
		a = tg_args_new();
		tg_args_str(a, "callback_query_id", rest ? rest : "");
		queue("answerCallbackQuery", tag ? tag : "?", 0, TG_ONCE, a);
	} else if (!strcmp(cmd, "send") || !strcmp(cmd, "edit") || !strcmp(cmd, "photo")) {
		char *chat, *mid = NULL, *cls = "reply", *path = NULL, *fname = NULL;
		tag = strtok_r(NULL, " ", &save);
		chat = strtok_r(NULL, " ", &save);
		if (!strcmp(cmd, "edit"))
			mid = strtok_r(NULL, " ", &save);
		if (!strcmp(cmd, "photo")) {
			path = strtok_r(NULL, " ", &save);
			fname = strtok_r(NULL, " ", &save);
		} else {
			cls = strtok_r(NULL, " ", &save);
		}
		rest = save ? save : "";
		if (!tag || !chat || !cls || (!strcmp(cmd, "edit") && !mid) ||
		    (!strcmp(cmd, "photo") && !fname)) {
			printf("usage error\n");
			goto out;
		}
		a = tg_args_new();
		tg_args_int(a, "chat_id", strtoll(chat, NULL, 10));
		if (mid)
			tg_args_int(a, "message_id", strtoll(mid, NULL, 10));
		if (path) {
			size_t len = 0;
			char *data = read_file(path, &len);
			if (!data) {
				printf("unreadable %s\n", path);
				tg_args_free(a);
				goto out;
			}
			tg_args_file(a, "photo", fname, "image/png", data, len);
			free(data);
			tg_args_str(a, "caption", rest);
			queue("sendPhoto", tag, strtoll(chat, NULL, 10), TG_REPLY, a);
		} else {
			tg_args_str(a, "text", rest);
			queue(mid ? "editMessageText" : "sendMessage", tag, strtoll(chat, NULL, 10),
			      parse_class(cls), a);
		}
	} else {
		printf("unknown %s\n", cmd);
	}
out:
	fflush(stdout);
	return 0;
}

int main(void)
{
	const char *url = getenv("TELEGRAM_API_URL"), *token = getenv("BOT_TOKEN");
	const char *lv = getenv("LOG_LEVEL");
	char err[256];
	pthread_t th;
	int quit = 0, at_eof = 0;
	if (lv && log_level_parse(lv) >= 0)
		log_set_level((enum log_level)log_level_parse(lv));
	if (tg_new(&tg, url ? url : "", token ? token : "", err, sizeof(err)) != 0) {
		fprintf(stderr, "tg_drive: %s\n", err);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (pthread_create(&th, NULL, reader, NULL) != 0)
		return 2;
	while (!quit && !(at_eof && !tg_pending(tg))) {
		struct line *l;
		int wait;
		pthread_mutex_lock(&mu);
		l = head;
		if (l && !(head = l->next))
			tail = NULL;
		at_eof = eof && !head;
		pthread_mutex_unlock(&mu);
		if (l) {
			quit = command(l->s);
			free(l);
			continue;
		}
		wait = tg_run(tg, 0);
		tg_run(tg, wait < 0 || wait > 1000 ? 1000 : wait);
	}
	tg_free(tg);
	pthread_mutex_lock(&mu);
	tg = NULL; /* the reader may still be waiting for a line */
	pthread_mutex_unlock(&mu);
	printf("bye\n");
	fflush(stdout);
	if (at_eof)
		pthread_join(th, NULL);
	return 0;
}
