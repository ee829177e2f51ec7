/* tg_args.c — the arguments of a Bot API call (tg.h's builders) and the
 * request bodies made of them: a JSON object, or multipart/form-data when a
 * file is attached. */
#include "server/bot/tg_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/json.h"

struct tg_args *tg_args_new(void)
{
	return calloc(1, sizeof(struct tg_args));
}

void tg_args_free(struct tg_args *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->f[i].name);
		free(a->f[i].val);
		free(a->f[i].filename);
		free(a->f[i].mime);
	}
	free(a->f);
	free(a);
}

char *tg_memdup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

static struct tg_field *add_field(struct tg_args *a, enum tg_kind kind, const char *name,
                                  const void *val, size_t len)
{
	struct tg_field *f;
	if (!a || a->oom)
		return NULL;
	if (!name || !val) {
		a->oom = 1;
		return NULL;
	}
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 8;
		struct tg_field *nf = realloc(a->f, nc * sizeof(*nf));
		if (!nf) {
			a->oom = 1;
			return NULL;
		}
		a->f = nf;
		a->cap = nc;
	}
	f = &a->f[a->n];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->name = tg_memdup0(name, strlen(name));
	f->val = tg_memdup0(val, len);
	f->len = len;
	if (!f->name || !f->val) {
		free(f->name);
		free(f->val);
		a->oom = 1;
		return NULL;
	}
	a->n++;
	return f;
}

void tg_args_int(struct tg_args *a, const char *name, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	add_field(a, TG_F_INT, name, tmp, (size_t)n);
}

void tg_args_str(struct tg_args *a, const char *name, const char *v)
{
	add_field(a, TG_F_STR, name, v, v ? strlen(v) : 0);
}

void tg_args_bool(struct tg_args *a, const char *name, int v)
{
	add_field(a, TG_F_BOOL, name, v ? "true" : "false", v ? 4 : 5);
}

void tg_args_json(struct tg_args *a, const char *name, const char *json)
{
	add_field(a, TG_F_JSON, name, json, json ? strlen(json) : 0);
}

void tg_args_file(struct tg_args *a, const char *name, const char *filename, const char *mime,
                  const void *data, size_t len)
{
	struct tg_field *f = add_field(a, TG_F_FILE, name, data ? data : "", data ? len : 0);
	if (!f)
		return;
	f->filename = tg_memdup0(filename ? filename : "file", strlen(filename ? filename : "file"));
	f->mime = mime ? tg_memdup0(mime, strlen(mime)) : NULL;
	if (!f->filename || (mime && !f->mime))
		a->oom = 1;
	a->has_file = 1;
}

char *tg_args_body(const struct tg_args *a, size_t *len)
{
	struct json_w w;
	size_t cap = 16;
	char *buf;
	for (size_t i = 0; i < a->n; i++)
		cap += strlen(a->f[i].name) * 6 + 4 +
		       (a->f[i].kind == TG_F_STR ? a->f[i].len * 6 + 2 : a->f[i].len) + 2;
	if (!(buf = malloc(cap)))
		return NULL;
	json_init(&w, buf, cap);
	json_obj_open(&w);
	for (size_t i = 0; i < a->n; i++) {
		json_key(&w, a->f[i].name);
		if (a->f[i].kind == TG_F_STR)
			json_strn(&w, a->f[i].val, a->f[i].len);
		else
			json_raw(&w, a->f[i].val, a->f[i].len);
	}
	json_obj_close(&w);
	if (json_finish(&w, len) != JSON_OK) {
		free(buf);
		return NULL;
	}
	return buf;
}

curl_mime *tg_args_mime(CURL *e, const struct tg_args *a)
{
	curl_mime *m = curl_mime_init(e);
	if (!m)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct tg_field *f = &a->f[i];
		curl_mimepart *p = curl_mime_addpart(m);
		if (!p || curl_mime_name(p, f->name) != CURLE_OK ||
		    curl_mime_data(p, f->val, f->len) != CURLE_OK)
			goto fail;
		if (f->kind == TG_F_FILE && (curl_mime_filename(p, f->filename) != CURLE_OK ||
		                          (f->mime && curl_mime_type(p, f->mime) != CURLE_OK)))
			goto fail;
	}
	return m;
fail:
	curl_mime_free(m);
	return NULL;
}
