/* sample_parse.h — JSON text from an agent into struct sample (SPEC §3).
 * Input is hostile: a key of the wrong type, a number out of its range or
 * not finite, a string too long for its field, leaves that value absent
 * (NAN / not set) and is counted; it never yields a garbage value. */
#ifndef MONBOT_SAMPLE_PARSE_H
#define MONBOT_SAMPLE_PARSE_H

#include <stddef.h>

#include "wire/jsonr.h"
#include "wire/sample.h"

/* Deepest nesting a sample has is 3 ({"disks": [{...}]}); messages are
 * refused past this. */
#define SAMPLE_JSON_MAX_DEPTH 8

/* Ranges a value must be in to be taken (beyond them it is garbage). */
#define SAMPLE_PCT_MAX     1000.0     /* percent (a bit over 100 happens) */
#define SAMPLE_BYTES_MAX   1.0e18     /* bytes, bytes/s */
#define SAMPLE_MIB_MAX     1.0e12     /* MiB */
#define SAMPLE_TEMP_MIN    (-273.15)
#define SAMPLE_TEMP_MAX    1000.0
#define SAMPLE_UPTIME_MAX  1.0e11     /* seconds */
#define SAMPLE_TS_MAX      1.0e11     /* unix seconds (year 5138) */

/* Fills s from object obj of a parsed message (sample_clear first).
 * Returns how many values were present but unusable (0 = clean). Keys
 * that are not sample keys (text, diag...) are ignored, not counted. */
int sample_from_json(struct sample *s, const struct jsonr *r, int obj);

/* Parses js[0..len) with the caller's token pool and fills s. Returns the
 * count of unusable values (>= 0) or a JSONR_E* code when the text is not
 * a JSON object (too deep, too many tokens, malformed). */
int sample_parse(struct sample *s, const char *js, size_t len, jsmntok_t *tok,
                 unsigned cap);

/* 1 when the message is a metric sample (the original server stored a
 * message when it had both cpu and ram). */
int sample_is_metric(const struct sample *s);

#endif
