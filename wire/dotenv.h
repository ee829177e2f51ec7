/* dotenv.h — configuration sources both programs share (SPEC §2): a .env
 * file of KEY=VALUE lines and the environment, the environment winning.
 * Built-in defaults and command-line flags are the caller's. */
#ifndef MONBOT_DOTENV_H
#define MONBOT_DOTENV_H

#include <stddef.h>

#define DOTENV_MAX_VARS 64
#define DOTENV_KEY_MAX 64
#define DOTENV_VAL_MAX 512

struct dotenv {
	int n;
	char key[DOTENV_MAX_VARS][DOTENV_KEY_MAX];
	char val[DOTENV_MAX_VARS][DOTENV_VAL_MAX];
};

/* Reads path ("#" comments, blank lines, optional "export ", values may be
 * quoted with ' or "). A missing file is not an error (empty set). A line
 * that is not KEY=VALUE, or too long, is an error naming the line. */
int dotenv_load(struct dotenv *d, const char *path, char *err, size_t errlen);
/* The environment's value if set, else the file's, else NULL. */
const char *dotenv_get(const struct dotenv *d, const char *key);
/* Writes KEY=value into path, replacing an existing KEY line or appending
 * (used when a value was asked for on a terminal). */
int dotenv_save(const char *path, const char *key, const char *value, char *err, size_t errlen);

#endif
