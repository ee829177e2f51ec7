/* fuzz_sample_parse.c — libFuzzer target for the server's parsers of peer
 * input: wire/jsonr.c + wire/sample_parse.c (agent messages) and
 * server/http.c (request heads). The first byte picks the parser (even:
 * JSON, odd: HTTP head fed in two pieces split at the second byte). Values
 * taken from a sample must be absent or in their range, never garbage.
 * Built with -DFUZZ_REPLAY it is a plain program (the unit test
 * test_sample_parse_fuzz) that runs the corpus, tests/fuzz/corpus/server,
 * or the files it is given, and prints TAP. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"
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

#ifdef FUZZ_REPLAY
static int n_tests;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	if (!f) {
		printf("not ok %d - %s (cannot open)\n", ++n_tests, path);
		return;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		printf("ok %d - %s\n", ++n_tests, path);
	} else {
		printf("not ok %d - %s (cannot read)\n", ++n_tests, path);
	}
	free(buf);
	fclose(f);
}

/* Inputs made here too, so the replay covers the extremes without files. */
static void run_generated(void)
{
	static uint8_t big[70000];
	size_t n = 0;
	big[n++] = 0;
	n += (size_t)sprintf((char *)big + n, "{\"cpu\": ");
	while (n < 20000)
		big[n++] = '[';
	while (n < 40000)
		big[n++] = ']';
	big[n++] = '}';
	LLVMFuzzerTestOneInput(big, n);
	printf("ok %d - generated: 20000-deep nesting\n", ++n_tests);
	n = 0;
	big[n++] = 0;
	n += (size_t)sprintf((char *)big + n, "{\"disks\": [");
	while (n < 60000)
		n += (size_t)sprintf((char *)big + n, "{\"mount\":\"/\",\"percent\":1e308},");
	big[n - 1] = ']';
	big[n++] = '}';
	LLVMFuzzerTestOneInput(big, n);
	printf("ok %d - generated: more tokens than the pool\n", ++n_tests);
	n = 0;
	big[n++] = 1;
	big[n++] = 200;
	n += (size_t)sprintf((char *)big + n, "GET /ws/a HTTP/1.1\r\n");
	while (n < sizeof(big) - 4)
		big[n++] = 'h';
	LLVMFuzzerTestOneInput(big, n);
	printf("ok %d - generated: 70 KB head\n", ++n_tests);
}

int main(int argc, char **argv)
{
	const char *dir = "tests/fuzz/corpus/server";
	run_generated();
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run_file(argv[i]);
	} else {
		DIR *d = opendir(dir);
		struct dirent *e;
		if (!d) {
			printf("not ok %d - corpus %s not found (run from the repository root)\n", ++n_tests, dir);
			return 1;
		}
		while ((e = readdir(d))) {
			char p[1024];
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			run_file(p);
		}
		closedir(d);
	}
	printf("1..%d\n", n_tests);
	return 0;
}
#endif
