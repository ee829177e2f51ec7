/* tg.c — the Telegram Bot API client (tg.h): one curl multi handle, one
 * easy handle per attempt (connections stay in the multi's cache), a send
 * queue kept in arrival order with Telegram's rates and retries, and
 * getUpdates long polling beside it. */
#include "server/bot/tg.h"
#include "server/bot/tg_args.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/log.h"
#include "wire/json.h"
#include "wire/jsonr.h"

/* Telegram's Bot FAQ: about 30 messages a second overall, one a second per
 * chat. The global gap is a token bucket of depth one: never more than 31
 * starts in any second. */
#define TG_GLOBAL_GAP_MS 34
#define TG_CHAT_GAP_MS 1000
#define TG_MAX_INFLIGHT 8
#define TG_REPLY_TRIES 5
#define TG_BACKOFF_MIN_MS 500
#define TG_BACKOFF_MAX_MS 30000
#define TG_POLL_BACKOFF_MIN_MS 1000
#define TG_CALL_TIMEOUT_MS 30000L
#define TG_CONNECT_TIMEOUT_MS 10000L
#define TG_POLL_EXTRA_MS 10000L
#define TG_RETRY_AFTER_MAX_S 3600
#define TG_BODY_MAX ((size_t)8 << 20)
#define TG_TOK_START 512u
#define TG_TOK_MAX 65536u
#define TG_METHOD_MAX 64
#define TG_NONE UINT64_MAX

/* A queued call, or the getUpdates poll. */
struct tg_req {
	struct tg_req *prev, *next;
	struct tg *t;
	char method[TG_METHOD_MAX];
	int64_t chat_id;
	struct tg_args *args;
	enum tg_class cls;
	tg_done_fn done;
	void *arg;
	int is_poll;
	int tries;           /* failed attempts so far */
	uint64_t not_before; /* backoff */
	/* the attempt in flight */
	CURL *easy;
	curl_mime *mime;
	struct curl_slist *hdr;
	char *post;
	char *body;
	size_t body_len, body_cap;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
};

struct tg_chat {
	int64_t id;
	uint64_t last_done; /* when its last attempt finished, 0 = never */
	unsigned gen;       /* scan in which an earlier call of it was seen */
};

struct tg {
	CURLM *multi;
	char *base; /* <api_url>/bot<token>/ */
	char *token;
	struct tg_req *head, *tail;
	size_t npending;
	unsigned inflight;
	uint64_t next_global, pause_until;
	struct tg_chat *chats;
	size_t nchats, chats_cap;
	unsigned gen;
	int polling, poll_timeout_s, poll_fails;
	int conflict_logged; /* once per client: two instances fight on and on */
	int64_t offset;
	tg_updates_fn poll_fn;
	void *poll_arg;
	struct tg_req *poll; /* in flight */
	uint64_t poll_at;
	jsmntok_t *tok;
	unsigned tok_cap;
	uint64_t rng;
	int closing;
	struct tg_stats st;
};

/* What a finished attempt amounts to. */
enum tg_outcome { OUT_OK, OUT_FAIL, OUT_RETRY, OUT_LIMITED };

struct tg_reply {
	long http;
	int ok, not_modified, error_code;
	int64_t retry_after, message_id;
	char *desc; /* malloc'd or NULL */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* min doubling per failure up to max, then jittered to 75..125 % (an
 * xorshift draw). */
static uint64_t backoff_ms(struct tg *t, int fails, uint64_t min, uint64_t max)
{
	uint64_t d = min;
	for (int i = 1; i < fails && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return d * 3 / 4 + t->rng % (d / 2 + 1);
}

/* ---- the queue ---------------------------------------------------------- */

static void req_unlink(struct tg *t, struct tg_req *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		t->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		t->tail = q->prev;
	q->prev = q->next = NULL;
}

/* Ends the attempt in flight (if any); the response body stays. */
static void attempt_end(struct tg *t, struct tg_req *q)
{
	if (q->easy) {
		curl_multi_remove_handle(t->multi, q->easy);
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
		if (!q->is_poll)
			t->inflight--;
	}
	curl_mime_free(q->mime);
	q->mime = NULL;
	curl_slist_free_all(q->hdr);
	q->hdr = NULL;
	free(q->post);
	q->post = NULL;
}

static void req_free(struct tg *t, struct tg_req *q)
{
	attempt_end(t, q);
	tg_args_free(q->args);
	free(q->body);
	free(q);
}

static size_t on_write(char *p, size_t sz, size_t nm, void *ud)
{
	struct tg_req *q = ud;
	size_t n = sz * nm;
	if (n > TG_BODY_MAX - q->body_len) {
		q->too_big = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (q->body_len + n + 1 > q->body_cap) {
		size_t nc = q->body_cap ? q->body_cap : 4096;
		char *nb;
		while (nc < q->body_len + n + 1)
			nc *= 2;
		if (!(nb = realloc(q->body, nc)))
			return 0;
		q->body = nb;
		q->body_cap = nc;
	}
	memcpy(q->body + q->body_len, p, n);
	q->body_len += n;
	q->body[q->body_len] = 0;
	return n;
}

/* Starts one attempt of q: 0, or -1 (out of memory). */
static int attempt_start(struct tg *t, struct tg_req *q)
{
	size_t blen = strlen(t->base), mlen = strlen(q->method), plen = 0;
	char *url = malloc(blen + mlen + 1);
	int rc = -1;
	CURL *e = curl_easy_init();
	if (!url || !e || q->args->oom)
		goto out;
	memcpy(url, t->base, blen);
	memcpy(url + blen, q->method, mlen + 1);
	free(q->body);
	q->body = NULL;
	q->body_len = q->body_cap = 0;
	q->too_big = 0;
	q->errbuf[0] = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, TG_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
	                 q->is_poll ? (long)t->poll_timeout_s * 1000L + TG_POLL_EXTRA_MS
	                            : TG_CALL_TIMEOUT_MS);
	/* no 100-continue round trip before a big body */
	if (!(q->hdr = curl_slist_append(NULL, "Expect:")))
		goto out;
	if (q->args->has_file) {
		if (!(q->mime = tg_args_mime(e, q->args)))
			goto out;
		curl_easy_setopt(e, CURLOPT_MIMEPOST, q->mime);
	} else {
		struct curl_slist *h = curl_slist_append(q->hdr, "Content-Type: application/json");
		if (!h)
			goto out;
		q->hdr = h;
		if (!(q->post = tg_args_body(q->args, &plen)))
			goto out;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->post);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)plen);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdr);
	if (curl_multi_add_handle(t->multi, e) != CURLM_OK)
		goto out;
	q->easy = e;
	e = NULL;
	if (!q->is_poll) {
		t->inflight++;
		t->st.calls++;
	}
	log_debug("tg: %s started (try %d)", q->method, q->tries + 1);
	rc = 0;
out:
	if (e)
		curl_easy_cleanup(e);
	if (rc) {
		curl_mime_free(q->mime);
		q->mime = NULL;
		curl_slist_free_all(q->hdr);
		q->hdr = NULL;
		free(q->post);
		q->post = NULL;
	}
	free(url);
	return rc;
}

/* ---- responses ---------------------------------------------------------- */

/* Replaces the token, should it appear, in a text that may be logged. */
static void scrub(const struct tg *t, char *s)
{
	size_t tl = strlen(t->token);
	char *p;
	while (tl && (p = strstr(s, t->token)))
		memset(p, '*', tl);
}

static int parse_json(struct tg *t, const char *js, size_t len, struct jsonr *r)
{
	for (;;) {
		int rc;
		if (!t->tok) {
			if (!(t->tok = malloc(TG_TOK_START * sizeof(jsmntok_t))))
				return JSONR_ENOMEM;
			t->tok_cap = TG_TOK_START;
		}
		rc = jsonr_parse(r, js, len, t->tok, t->tok_cap, 32);
		if (rc != JSONR_ENOMEM || t->tok_cap >= TG_TOK_MAX)
			return rc;
		free(t->tok);
		t->tok = NULL;
		if (!(t->tok = malloc(t->tok_cap * 4 * sizeof(jsmntok_t))))
			return JSONR_ENOMEM;
		t->tok_cap *= 4;
	}
}

/* Reads ok, error_code, description, parameters.retry_after and
 * result.message_id out of a response body. */
static void read_reply(struct tg *t, const struct tg_req *q, struct tg_reply *rp)
{
	struct jsonr r;
	int k, res;
	int64_t v;
	if (!q->body_len || parse_json(t, q->body, q->body_len, &r) != JSONR_OK ||
	    jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return;
	if ((k = jsonr_get(&r, 0, "ok")) >= 0)
		jsonr_bool(&r, k, &rp->ok);
	if ((k = jsonr_get(&r, 0, "error_code")) >= 0 && jsonr_int(&r, k, 0, 999, &v) == JSONR_OK)
		rp->error_code = (int)v;
	if ((k = jsonr_get(&r, 0, "description")) >= 0 && jsonr_type(&r, k) == JSONR_T_STRING) {
		size_t cap = jsonr_str_cap(&r, k);
		if ((rp->desc = malloc(cap)) && jsonr_str(&r, k, rp->desc, cap, NULL) != JSONR_OK) {
			free(rp->desc);
			rp->desc = NULL;
		}
	}
	if ((k = jsonr_get(&r, 0, "parameters")) >= 0 && (k = jsonr_get(&r, k, "retry_after")) >= 0 &&
	    jsonr_int(&r, k, 0, TG_RETRY_AFTER_MAX_S, &v) == JSONR_OK)
		rp->retry_after = v;
	if ((res = jsonr_get(&r, 0, "result")) >= 0 && jsonr_type(&r, res) == JSONR_T_OBJECT &&
	    (k = jsonr_get(&r, res, "message_id")) >= 0 &&
	    jsonr_int(&r, k, INT64_MIN, INT64_MAX, &v) == JSONR_OK)
		rp->message_id = v;
}

static void set_desc(struct tg_reply *rp, const char *s)
{
	free(rp->desc);
	rp->desc = tg_memdup0(s, strlen(s));
}

static enum tg_outcome classify(struct tg *t, struct tg_req *q, CURLcode cc, struct tg_reply *rp)
{
	if (q->easy)
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &rp->http);
	if (q->too_big) {
		set_desc(rp, "response body over 8 MiB");
		return OUT_FAIL;
	}
	if (cc != CURLE_OK) {
		set_desc(rp, q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
		return OUT_RETRY;
	}
	read_reply(t, q, rp);
	if (rp->http == 429) {
		if (rp->retry_after < 1)
			rp->retry_after = 1;
		return OUT_LIMITED;
	}
	if (rp->http >= 500) {
		if (!rp->desc)
			set_desc(rp, "HTTP error");
		return OUT_RETRY;
	}
	if (rp->http == 200 && rp->ok)
		return OUT_OK;
	if (rp->http == 400 && rp->desc && strstr(rp->desc, "message is not modified")) {
		rp->ok = rp->not_modified = 1;
		return OUT_OK;
	}
	rp->ok = 0;
	if (!rp->desc)
		set_desc(rp, rp->http == 200 ? "unreadable response" : "HTTP error");
	return OUT_FAIL;
}

static void pause_for(struct tg *t, int64_t retry_after_s, uint64_t now, const char *method)
{
	uint64_t until = now + (uint64_t)retry_after_s * 1000u;
	t->st.rate_limited++;
	if (until > t->pause_until)
		t->pause_until = until;
	log_warn("tg: %s: 429 Too Many Requests, no calls for %lld s", method,
	         (long long)retry_after_s);
}

static void complete(struct tg *t, struct tg_req *q, const struct tg_reply *rp)
{
	struct tg_result res;
	res.ok = rp->ok;
	res.not_modified = rp->not_modified;
	res.http_status = rp->http;
	res.error_code = rp->error_code;
	res.description = rp->desc ? rp->desc : "";
	res.message_id = rp->ok ? rp->message_id : 0;
	res.body = q->body ? q->body : "";
	res.body_len = q->body ? q->body_len : 0;
	if (rp->not_modified)
		t->st.not_modified++;
	if (!rp->ok)
		t->st.failed++;
	req_unlink(t, q);
	t->npending--;
	attempt_end(t, q);
	if (q->done)
		q->done(q->arg, &res);
	req_free(t, q);
}

/* The API answered: what backs off from network errors or 5xx goes now (not
 * up to 30 s later); 409 backoff and rate limits stay as they are. */
static void reachable_again(struct tg *t, uint64_t now)
{
	if (t->poll_fails && !t->conflict_logged && t->poll_at > now)
		t->poll_at = now;
	for (struct tg_req *q = t->head; q; q = q->next)
		if (!q->easy && q->tries && q->not_before > now)
			q->not_before = now;
}

/* A queued call's attempt has finished. */
static void call_finished(struct tg *t, struct tg_req *q, CURLcode cc, uint64_t now)
{
	struct tg_reply rp = {0};
	enum tg_outcome o = classify(t, q, cc, &rp);
	int retry = 0;
	if (q->chat_id && q->cls != TG_ONCE) {
		for (size_t i = 0; i < t->nchats; i++)
			if (t->chats[i].id == q->chat_id)
				t->chats[i].last_done = now;
	}
	if (rp.desc)
		scrub(t, rp.desc);
	if (o == OUT_LIMITED)
		pause_for(t, rp.retry_after, now, q->method);
	if (o == OUT_RETRY || o == OUT_LIMITED) {
		q->tries++;
		retry = q->cls == TG_ALERT || (q->cls == TG_REPLY && q->tries < TG_REPLY_TRIES);
	}
	if (o == OUT_OK || o == OUT_FAIL)
		reachable_again(t, now);
	if (retry) {
		attempt_end(t, q);
		q->not_before = o == OUT_RETRY ? now + backoff_ms(t, q->tries, TG_BACKOFF_MIN_MS,
		                                                  TG_BACKOFF_MAX_MS) : 0;
		t->st.retries++;
		log_info("tg: %s: %ld %s; retrying (try %d)", q->method, rp.http,
		         rp.desc ? rp.desc : "", q->tries + 1);
	} else {
		if (o == OUT_OK)
			log_debug("tg: %s -> %ld%s", q->method, rp.http,
			          rp.not_modified ? " (not modified)" : "");
		else
			log_warn("tg: %s failed after %d tr%s: %ld %s", q->method, q->tries ? q->tries : 1,
			         q->tries > 1 ? "ies" : "y", rp.http, rp.desc ? rp.desc : "");
		complete(t, q, &rp);
	}
	free(rp.desc);
}

static void poll_finished(struct tg *t, struct tg_req *q, CURLcode cc, uint64_t now)
{
	struct tg_reply rp = {0};
	int fail = 1;
	if (q->easy)
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &rp.http);
	t->poll = NULL;
	attempt_end(t, q);
	if (q->too_big) {
		set_desc(&rp, "response body over 8 MiB");
	} else if (cc != CURLE_OK) {
		set_desc(&rp, q->errbuf[0] ? q->errbuf : curl_easy_strerror(cc));
	} else if (rp.http == 200) {
		fail = 0;
		reachable_again(t, now);
		t->poll_fails = 0;
		t->poll_at = 0;
		if (t->polling && t->poll_fn)
			t->poll_fn(t->poll_arg, q->body ? q->body : "", q->body ? q->body_len : 0);
	} else {
		read_reply(t, q, &rp);
	}
	if (fail && rp.http == 429) {
		pause_for(t, rp.retry_after < 1 ? 1 : rp.retry_after, now, "getUpdates");
		t->poll_at = 0;
	} else if (fail) {
		t->poll_fails++;
		t->poll_at = now + backoff_ms(t, t->poll_fails, TG_POLL_BACKOFF_MIN_MS,
		                              TG_BACKOFF_MAX_MS);
		if (rp.desc)
			scrub(t, rp.desc);
		if (rp.http == 409 && !t->conflict_logged) {
			t->conflict_logged = 1;
			log_warn("tg: getUpdates: 409 Conflict (%s): another instance polls this bot; "
			         "backing off", rp.desc ? rp.desc : "");
		} else if (rp.http != 409 && t->poll_fails == 1) {
			log_warn("tg: getUpdates failed: %ld %s; backing off", rp.http,
			         rp.desc ? rp.desc : "");
		} else {
			log_debug("tg: getUpdates failed again: %ld %s", rp.http, rp.desc ? rp.desc : "");
		}
	}
	free(rp.desc);
	req_free(t, q);
}

static void reap(struct tg *t)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(t->multi, &left))) {
		struct tg_req *q = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		if (!q)
			continue;
		if (q->is_poll)
			poll_finished(t, q, m->data.result, mono_ms());
		else
			call_finished(t, q, m->data.result, mono_ms());
	}
}

/* ---- starting calls ----------------------------------------------------- */

static struct tg_chat *chat_get(struct tg *t, int64_t id)
{
	for (size_t i = 0; i < t->nchats; i++)
		if (t->chats[i].id == id)
			return &t->chats[i];
	if (t->nchats == t->chats_cap) {
		size_t nc = t->chats_cap ? t->chats_cap * 2 : 16;
		struct tg_chat *n = realloc(t->chats, nc * sizeof(*n));
		if (!n)
			return NULL;
		t->chats = n;
		t->chats_cap = nc;
	}
	t->chats[t->nchats] = (struct tg_chat){ .id = id };
	return &t->chats[t->nchats++];
}

/* Forgets chats with nothing queued whose spacing has run out. */
static void chat_prune(struct tg *t, uint64_t now)
{
	for (size_t i = 0; i < t->nchats;) {
		struct tg_chat *c = &t->chats[i];
		if (c->gen != t->gen && (!c->last_done || c->last_done + TG_CHAT_GAP_MS <= now))
			*c = t->chats[--t->nchats];
		else
			i++;
	}
}

static void fail_now(struct tg *t, struct tg_req *q, const char *why)
{
	struct tg_reply rp = {0};
	set_desc(&rp, why);
	if (!t->closing)
		log_warn("tg: %s failed: %s", q->method, why);
	complete(t, q, &rp);
	free(rp.desc);
}

#define MIN_U64(a, b) ((a) < (b) ? (a) : (b))

static uint64_t start_poll(struct tg *t, uint64_t now)
{
	struct tg_req *q;
	if (!t->polling || t->poll || t->closing)
		return TG_NONE;
	if (t->poll_at > now)
		return t->poll_at;
	if (!(q = calloc(1, sizeof(*q))) || !(q->args = tg_args_new()))
		goto fail;
	q->t = t;
	q->is_poll = 1;
	snprintf(q->method, sizeof(q->method), "getUpdates");
	tg_args_int(q->args, "offset", t->offset);
	tg_args_int(q->args, "timeout", t->poll_timeout_s);
	tg_args_json(q->args, "allowed_updates", "[\"message\",\"callback_query\"]");
	if (attempt_start(t, q) != 0)
		goto fail;
	t->poll = q;
	return TG_NONE;
fail:
	if (q)
		req_free(t, q);
	t->poll_fails++;
	t->poll_at = now + backoff_ms(t, t->poll_fails, TG_POLL_BACKOFF_MIN_MS, TG_BACKOFF_MAX_MS);
	return t->poll_at;
}

/* Starts what the rates allow; returns when the next one may start
 * (TG_NONE: nothing waits on a clock). */
static uint64_t start_calls(struct tg *t, uint64_t now)
{
	uint64_t next = TG_NONE, poll_at;
	struct tg_req *q, *nx;
	if (t->pause_until > now)
		return t->npending || t->polling ? t->pause_until : TG_NONE;
	t->gen++;
	for (q = t->head; q; q = nx) {
		struct tg_chat *c = NULL;
		uint64_t at;
		nx = q->next;
		if (q->chat_id && q->cls != TG_ONCE && (c = chat_get(t, q->chat_id))) {
			if (c->gen == t->gen)
				continue; /* an earlier call to this chat goes first */
			c->gen = t->gen;
		}
		if (q->easy)
			continue;
		at = q->not_before;
		if (c && c->last_done && c->last_done + TG_CHAT_GAP_MS > at)
			at = c->last_done + TG_CHAT_GAP_MS;
		if (t->next_global > at)
			at = t->next_global;
		if (at > now) {
			next = MIN_U64(next, at);
			continue;
		}
		if (t->inflight >= TG_MAX_INFLIGHT)
			continue; /* waits for a completion, not for a clock */
		if (attempt_start(t, q) != 0) {
			fail_now(t, q, "out of memory");
			continue;
		}
		t->next_global = now + TG_GLOBAL_GAP_MS;
	}
	chat_prune(t, now);
	poll_at = start_poll(t, now);
	return MIN_U64(next, poll_at);
}

/* ---- the interface ------------------------------------------------------ */

int tg_new(struct tg **out, const char *api_url, const char *token, char *err, size_t errlen)
{
	struct tg *t = NULL;
	size_t ul, tl;
	int rc = -1;
	*out = NULL;
	if (!api_url || !*api_url || !token || !*token) {
		snprintf(err, errlen, "no Bot API URL or token");
		goto out;
	}
	if (strspn(token, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:_-") !=
	    strlen(token)) {
		snprintf(err, errlen, "BOT_TOKEN holds characters a token never has");
		goto out;
	}
	ul = strlen(api_url);
	while (ul && api_url[ul - 1] == '/')
		ul--;
	tl = strlen(token);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl did not initialise");
		goto out;
	}
	if (!(t = calloc(1, sizeof(*t))) || !(t->base = malloc(ul + tl + 6)) ||
	    !(t->token = tg_memdup0(token, tl)) || !(t->multi = curl_multi_init())) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(t->base, api_url, ul);
	memcpy(t->base + ul, "/bot", 4);
	memcpy(t->base + ul + 4, token, tl);
	memcpy(t->base + ul + 4 + tl, "/", 2);
	curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)(TG_MAX_INFLIGHT + 4));
	t->rng = mono_ms() ^ (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ull;
	if (!t->rng)
		t->rng = 1;
	*out = t;
	t = NULL;
	rc = 0;
out:
	if (t) {
		free(t->base);
		free(t->token);
		if (t->multi)
			curl_multi_cleanup(t->multi);
		free(t);
		curl_global_cleanup();
	}
	return rc;
}

void tg_free(struct tg *t)
{
	if (!t)
		return;
	t->closing = 1;
	t->polling = 0;
	if (t->poll) {
		req_free(t, t->poll);
		t->poll = NULL;
	}
	while (t->head)
		fail_now(t, t->head, "shutting down");
	curl_multi_cleanup(t->multi);
	free(t->chats);
	free(t->tok);
	free(t->base);
	free(t->token);
	free(t);
	curl_global_cleanup();
}

int tg_call(struct tg *t, const char *method, int64_t chat_id, struct tg_args *a,
            enum tg_class cls, tg_done_fn done, void *arg)
{
	struct tg_req *q = NULL;
	int rc = -1;
	if (!t || t->closing || !a || a->oom || !method || !*method ||
	    strlen(method) >= TG_METHOD_MAX || !(q = calloc(1, sizeof(*q))))
		goto out;
	q->t = t;
	snprintf(q->method, sizeof(q->method), "%s", method);
	q->chat_id = chat_id;
	q->args = a;
	a = NULL;
	q->cls = cls;
	q->done = done;
	q->arg = arg;
	q->prev = t->tail;
	if (t->tail)
		t->tail->next = q;
	else
		t->head = q;
	t->tail = q;
	t->npending++;
	rc = 0;
out:
	tg_args_free(a);
	return rc;
}

void tg_poll_updates(struct tg *t, int64_t offset, int timeout_s, tg_updates_fn fn, void *arg)
{
	t->polling = 1;
	t->offset = offset;
	t->poll_timeout_s = timeout_s < 0 ? 0 : timeout_s;
	t->poll_fn = fn;
	t->poll_arg = arg;
}

void tg_set_offset(struct tg *t, int64_t offset)
{
	t->offset = offset;
}

void tg_stop_polling(struct tg *t)
{
	t->polling = 0;
	if (t->poll) {
		req_free(t, t->poll);
		t->poll = NULL;
	}
}

static int ms_until(uint64_t at, uint64_t now)
{
	if (at == TG_NONE)
		return -1;
	if (at <= now)
		return 0;
	return at - now > 86400000u ? 86400000 : (int)(at - now);
}

int tg_run(struct tg *t, int timeout_ms)
{
	int running = 0, wait, ms;
	long ct = -1;
	uint64_t now = mono_ms(), next;
	start_calls(t, now);
	curl_multi_perform(t->multi, &running);
	reap(t);
	now = mono_ms();
	next = start_calls(t, now);
	wait = timeout_ms < 0 ? 86400000 : timeout_ms;
	ms = ms_until(next, now);
	if (ms >= 0 && ms < wait)
		wait = ms;
	curl_multi_poll(t->multi, NULL, 0, wait, NULL);
	curl_multi_perform(t->multi, &running);
	reap(t);
	now = mono_ms();
	next = start_calls(t, now);
	curl_multi_perform(t->multi, &running);
	ms = ms_until(next, now);
	/* transfers in flight need the next turn when curl's own timer runs out */
	if (running && curl_multi_timeout(t->multi, &ct) == CURLM_OK && ct >= 0 &&
	    (ms < 0 || ct < ms))
		ms = (int)ct;
	return ms;
}

void tg_wakeup(struct tg *t)
{
	curl_multi_wakeup(t->multi);
}

size_t tg_pending(const struct tg *t)
{
	return t->npending;
}

void tg_get_stats(const struct tg *t, struct tg_stats *out)
{
	*out = t->st;
	out->retry_after_until_ms = t->pause_until > mono_ms() ? (int64_t)t->pause_until : 0;
}
