/* conf.h — setters both programs' configuration share (SPEC §2): a value
 * from .env, the environment or a flag, checked and stored. Each returns 0,
 * or -1 with "<name>: ..." written into err; the wording of those messages
 * is what the configuration tests check. */
#ifndef MONBOT_CONF_H
#define MONBOT_CONF_H

#include <stddef.h>

/* A whole decimal number within [min, max]. */
int conf_uint(const char *name, const char *s, unsigned long min, unsigned long max,
              unsigned long *out, char *err, size_t errlen);
/* The same stored as *dst = value * scale (seconds to milliseconds...);
 * max * scale must fit an unsigned. */
int conf_set_uint(unsigned *dst, const char *name, const char *s, unsigned long min,
                  unsigned long max, unsigned long scale, char *err, size_t errlen);
/* "0"/"1"/"true"/"false"/"yes"/"no"/"on"/"off", any case. */
int conf_bool(const char *name, const char *s, int *out, char *err, size_t errlen);
/* A string into dst[cap] with its NUL; longer is an error, never cut. */
int conf_set_str(char *dst, size_t cap, const char *name, const char *s, char *err, size_t errlen);

#endif
