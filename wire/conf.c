/* conf.c — configuration value setters shared by the agent and the server. */
#include "wire/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int conf_uint(const char *name, const char *s, unsigned long min, unsigned long max,
              unsigned long *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;
	if (!s || !isdigit((unsigned char)*s)) {
		snprintf(err, errlen, "%s: '%s' is not a number", name, s ? s : "");
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0') {
		snprintf(err, errlen, "%s: '%s' is not a number", name, s);
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: %lu is out of range (%lu..%lu)", name, v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int conf_set_uint(unsigned *dst, const char *name, const char *s, unsigned long min,
                  unsigned long max, unsigned long scale, char *err, size_t errlen)
{
	unsigned long x;
	if (conf_uint(name, s, min, max, &x, err, errlen) < 0)
		return -1;
	*dst = (unsigned)(x * scale);
	return 0;
}

int conf_bool(const char *name, const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; s && i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: '%s' is not 0 or 1", name, s ? s : "");
	return -1;
}

int conf_set_str(char *dst, size_t cap, const char *name, const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	if (n >= cap) {
		snprintf(err, errlen, "%s: value too long (at most %zu bytes)", name, cap - 1);
		return -1;
	}
	memcpy(dst, s, n + 1);
	return 0;
}
