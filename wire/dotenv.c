/* dotenv.c — .env reading and writing; the value setters are in conf.c. */
#include "wire/dotenv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int valid_key(const char *k)
{
	if (!*k || isdigit((unsigned char)*k))
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return 0;
	return 1;
}

int dotenv_load(struct dotenv *d, const char *path, char *err, size_t errlen)
{
	char line[DOTENV_KEY_MAX + DOTENV_VAL_MAX + 16];
	FILE *f;
	int lineno = 0, rc = 0;

	d->n = 0;
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *k, *v, *eq;
		size_t vl;
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if (strncmp(k, "export ", 7) == 0)
			k = trim(k + 7);
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
			rc = -1;
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		vl = strlen(v);
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
		}
		if (!valid_key(k) || strlen(k) >= DOTENV_KEY_MAX || strlen(v) >= DOTENV_VAL_MAX) {
			snprintf(err, errlen, "%s:%d: bad key or value too long", path, lineno);
			rc = -1;
			goto out;
		}
		int i;
		for (i = 0; i < d->n; i++)
			if (strcmp(d->key[i], k) == 0)
				break;
		if (i == d->n) {
			if (d->n == DOTENV_MAX_VARS) {
				snprintf(err, errlen, "%s: more than %d variables", path, DOTENV_MAX_VARS);
				rc = -1;
				goto out;
			}
			d->n++;
		}
		strcpy(d->key[i], k);
		strcpy(d->val[i], v);
	}
out:
	fclose(f);
	return rc;
}

const char *dotenv_get(const struct dotenv *d, const char *key)
{
	const char *e = getenv(key);
	if (e)
		return e;
	for (int i = 0; d && i < d->n; i++)
		if (strcmp(d->key[i], key) == 0)
			return d->val[i];
	return NULL;
}

int dotenv_save(const char *path, const char *key, const char *value, char *err, size_t errlen)
{
	char tmp[4096], line[DOTENV_KEY_MAX + DOTENV_VAL_MAX + 16];
	size_t kl = strlen(key);
	int done = 0, rc = -1;
	FILE *in, *out;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	out = fopen(tmp, "w");
	if (!out) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	in = fopen(path, "r");
	while (in && fgets(line, sizeof(line), in)) {
		const char *k = line;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!done && strncmp(k, key, kl) == 0 && (k[kl] == '=' || k[kl] == ' ')) {
			fprintf(out, "%s=%s\n", key, value);
			done = 1;
			continue;
		}
		fputs(line, out);
		if (!strchr(line, '\n'))
			fputc('\n', out);
	}
	if (!done)
		fprintf(out, "%s=%s\n", key, value);
	if (in)
		fclose(in);
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		remove(tmp);
		goto done;
	}
	rc = 0;
done:
	return rc;
}
