/* dotenv.c — .env reading and writing; the value setters are in conf.c. */
#include "wire/dotenv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "port/port.h"

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

static int put(struct port_file *f, const char *s, int *os_err)
{
	return port_file_write(f, s, strlen(s), os_err);
}

/* Through port_file (port.h): the new file has the old one's mode (0600 when
 * there was none) before its first byte, and a link planted at the temporary
 * name is not followed. */
int dotenv_save(const char *path, const char *key, const char *value, char *err, size_t errlen)
{
	char line[DOTENV_KEY_MAX + DOTENV_VAL_MAX + 16], buf[64];
	struct port_file pf;
	size_t kl = strlen(key);
	int done = 0, rc = -1, e = 0, r;
	FILE *in;

	r = port_file_begin(&pf, path, 0600, 0, &e);
	if (r != PORT_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         r == PORT_ENOSPC ? "path too long" :
		         r == PORT_ENOTAVAIL ? "cannot write files on this OS" :
		         port_strerror(e, buf, sizeof buf));
		return -1;
	}
	in = fopen(path, "r");
	r = PORT_OK;
	while (r == PORT_OK && in && fgets(line, sizeof(line), in)) {
		const char *k = line;
		while (*k == ' ' || *k == '\t')
			k++;
		if (!done && strncmp(k, key, kl) == 0 && (k[kl] == '=' || k[kl] == ' ')) {
			done = 1;
			if ((r = put(&pf, key, &e)) == PORT_OK && (r = put(&pf, "=", &e)) == PORT_OK &&
			    (r = put(&pf, value, &e)) == PORT_OK)
				r = put(&pf, "\n", &e);
			continue;
		}
		if ((r = put(&pf, line, &e)) == PORT_OK && !strchr(line, '\n'))
			r = put(&pf, "\n", &e);
	}
	if (in)
		fclose(in);
	if (r == PORT_OK && !done && (r = put(&pf, key, &e)) == PORT_OK &&
	    (r = put(&pf, "=", &e)) == PORT_OK && (r = put(&pf, value, &e)) == PORT_OK)
		r = put(&pf, "\n", &e);
	if (r != PORT_OK) {
		port_file_abort(&pf);
		goto out;
	}
	if ((r = port_file_commit(&pf, &e)) != PORT_OK)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, port_strerror(e, buf, sizeof buf));
	return rc;
}
