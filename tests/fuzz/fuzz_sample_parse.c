/* fuzz_sample_parse.c — libFuzzer target for the server's parsers of peer
 * input: wire/jsonr.c + wire/sample_parse.c (agent messages) and
 * server/http.c (request heads). The first byte picks the parser (even:
 * JSON, odd: HTTP head fed in two pieces split at the second byte). Values
 * taken from a sample must be absent or in their range, never garbage.
 * Its kept inputs (tests/fuzz/fuzz_sample_parse/, with three generated
 * extremes: 20 000-deep nesting, more tokens than the pool, a 70 KB head)
 * are replayed by `make test` (tests/fuzz/module.mk). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/net/http.h"
#include "wire/jsonr.h"
#include "wire/sample_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jsmntok_t tok[4096];
static struct sample s;
static struct http_head head;
static struct http_req req;

static void check_sample(void)
{
	for (int i = 0; i < SK__COUNT; i++)
		if (!isnan(s.v[i]) && !(s.v[i] >= -300 && s.v[i] <= SAMPLE_BYTES_MAX))
			abort();
	if (!isnan(s.ts) && !(s.ts >= 0 && s.ts <= SAMPLE_TS_MAX))
		abort();
	if (s.ndisks < 0 || s.ndisks > SAMPLE_MAX_DISKS || s.nprocs < 0 || s.nprocs > SAMPLE_MAX_PROCS ||
	    s.ngpus < 0 || s.ngpus > SAMPLE_MAX_GPUS)
		abort();
	for (int i = 0; i < s.ndisks; i++)
		if (strlen(s.disks[i].mount) >= sizeof(s.disks[i].mount) ||
		    (!isnan(s.disks[i].percent) && !(s.disks[i].percent >= 0 && s.disks[i].percent <= SAMPLE_PCT_MAX)))
			abort();
	for (int i = 0; i < s.nprocs; i++)
		if (strlen(s.procs[i].name) >= sizeof(s.procs[i].name))
			abort();
	if (strlen(s.host.hostname) >= sizeof(s.host.hostname))
		abort();
}

/* Walks every token of a parsed document without recursion. */
static void walk(const struct jsonr *r)
{
	char buf[256];
	double d;
	int64_t i64;
	for (int i = 0; i < r->ntok; i++) {
		switch (jsonr_type(r, i)) {
		case JSONR_T_STRING:
			jsonr_str(r, i, buf, sizeof(buf), NULL);
			break;
		case JSONR_T_NUMBER:
			jsonr_num(r, i, &d);
			jsonr_int(r, i, INT64_MIN / 2, INT64_MAX / 2, &i64);
			break;
		case JSONR_T_OBJECT:
		case JSONR_T_ARRAY:
			for (int k = jsonr_first(r, i); k > 0; k = jsonr_after(r, i, k))
				if (k <= i || k >= r->ntok)
					abort();
			break;
		default:
			break;
		}
		if (jsonr_next(r, i) <= i)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		struct jsonr r;
		int rc = sample_parse(&s, (const char *)data + 1, size - 1, tok, 4096);
		if (rc >= 0)
			check_sample();
		if (jsonr_parse(&r, (const char *)data + 1, size - 1, tok, 4096, 64) == JSONR_OK)
			walk(&r);
	} else {
		size_t split = size > 1 ? data[1] : 0, used, off = 2;
		int rc = HTTP_MORE;
		http_head_init(&head);
		if (size < 2)
			return 0;
		if (split > size - 2)
			split = size - 2;
		rc = http_head_feed(&head, data + off, split, &used, &req);
		if (rc == HTTP_MORE)
			rc = http_head_feed(&head, data + off + split, size - off - split, &used, &req);
		if (rc == HTTP_DONE && req.route == HTTP_ROUTE_WS && !http_secret_valid(req.secret, strlen(req.secret)))
			abort();
		if (head.len > HTTP_HEAD_MAX)
			abort();
	}
	return 0;
}
