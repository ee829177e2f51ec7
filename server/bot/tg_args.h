/* tg_args.h — private to tg.c and tg_args.c: a call's arguments and the
 * request bodies made of them (JSON, or multipart/form-data with a file). */
#ifndef MONBOT_BOT_TG_ARGS_H
#define MONBOT_BOT_TG_ARGS_H

#include <curl/curl.h>
#include <stddef.h>

#include "server/bot/tg.h"

enum tg_kind { TG_F_INT, TG_F_STR, TG_F_BOOL, TG_F_JSON, TG_F_FILE };

struct tg_field {
	enum tg_kind kind;
	char *name;
	char *val; /* the value's text (JSON text but for TG_F_STR), a file's bytes */
	size_t len;
	char *filename, *mime;
};

struct tg_args {
	struct tg_field *f;
	size_t n, cap;
	int oom, has_file;
};

/* A NUL-terminated copy of p[0..n), or NULL. */
char *tg_memdup0(const void *p, size_t n);
/* The JSON object of the arguments (malloc'd), or NULL. */
char *tg_args_body(const struct tg_args *a, size_t *len);
/* The multipart body of the arguments, tied to e, or NULL. */
curl_mime *tg_args_mime(CURL *e, const struct tg_args *a);

#endif
