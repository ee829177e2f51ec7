/* st_parse.c — the external speed test tools' JSON (st_parse.h). Figures
 * out of range (negative, over 100 Gbit/s, a ping over a minute) are
 * garbage, not results. */
#include "agent-min/st_parse.h"

#include <stdio.h>
#include <string.h>

#include "wire/jsonr.h"

#define ST_TOKENS 512
#define ST_DEPTH 8
#define MAX_BPS 1e11
#define MAX_PING_MS 60000.0

static jsmntok_t tok[ST_TOKENS];

static int num_at(const struct jsonr *j, int obj, const char *key, double max, double *v)
{
	int k = jsonr_get(j, obj, key);
	return k > 0 && jsonr_num_range(j, k, 0, max, v) == JSONR_OK ? 0 : -1;
}

static void str_at(const struct jsonr *j, int obj, const char *key, char *buf, size_t cap)
{
	int k = jsonr_get(j, obj, key);
	if (k <= 0 || jsonr_type(j, k) != JSONR_T_STRING || jsonr_str(j, k, buf, cap, NULL) != JSONR_OK)
		buf[0] = '\0';
}

/* "<a> (<b>)", "<a>" or "" into out. */
static void pair(char *out, size_t cap, const char *a, const char *b)
{
	if (a[0] && b[0])
		snprintf(out, cap, "%s (%s)", a, b);
	else
		snprintf(out, cap, "%s", a[0] ? a : b);
}

/* One line: 1 a result (r filled), 0 not one, -1 a result with bad figures. */
static int one(enum st_tool tool, const char *s, size_t n, struct st_result *r, char *why, size_t whylen)
{
	struct jsonr j;
	char a[76], b[76];
	int d, u, p, srv;
	if (jsonr_parse(&j, s, n, tok, ST_TOKENS, ST_DEPTH) != JSONR_OK || jsonr_type(&j, 0) != JSONR_T_OBJECT)
		return 0;
	memset(r, 0, sizeof(*r));
	if (tool == ST_OOKLA) {
		int t = jsonr_get(&j, 0, "type");
		if (t > 0 && jsonr_str_eq(&j, t, "log")) {
			int lv = jsonr_get(&j, 0, "level");
			if (lv > 0 && jsonr_str_eq(&j, lv, "error"))
				str_at(&j, 0, "message", why, whylen);
			return 0;
		}
		d = jsonr_get(&j, 0, "download");
		u = jsonr_get(&j, 0, "upload");
		p = jsonr_get(&j, 0, "ping");
		if (d <= 0 && u <= 0)
			return 0;
		if (d <= 0 || u <= 0 || p <= 0 || num_at(&j, d, "bandwidth", MAX_BPS / 8, &r->down_bps) < 0 ||
		    num_at(&j, u, "bandwidth", MAX_BPS / 8, &r->up_bps) < 0 ||
		    num_at(&j, p, "latency", MAX_PING_MS, &r->ping_ms) < 0)
			return -1;
		r->down_bps *= 8;
		r->up_bps *= 8;
		if ((srv = jsonr_get(&j, 0, "server")) > 0 && jsonr_type(&j, srv) == JSONR_T_OBJECT) {
			str_at(&j, srv, "name", a, sizeof(a));
			str_at(&j, srv, "location", b, sizeof(b));
			pair(r->server, sizeof(r->server), a, b);
		}
		return 1;
	}
	if (jsonr_get(&j, 0, "download") <= 0 && jsonr_get(&j, 0, "upload") <= 0)
		return 0;
	if (num_at(&j, 0, "download", MAX_BPS, &r->down_bps) < 0 || num_at(&j, 0, "upload", MAX_BPS, &r->up_bps) < 0 ||
	    num_at(&j, 0, "ping", MAX_PING_MS, &r->ping_ms) < 0)
		return -1;
	if ((srv = jsonr_get(&j, 0, "server")) > 0 && jsonr_type(&j, srv) == JSONR_T_OBJECT) {
		str_at(&j, srv, "sponsor", a, sizeof(a));
		str_at(&j, srv, "name", b, sizeof(b));
		pair(r->server, sizeof(r->server), a, b);
	}
	return 1;
}

int st_parse(enum st_tool tool, const char *out, size_t len, struct st_result *r, char *err, size_t errlen)
{
	struct st_result cur;
	char why[160] = "";
	int found = 0, bad = 0;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(out + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (out + i)) : len - i;
		int rc = one(tool, out + i, n, &cur, why, sizeof(why));
		if (rc > 0) {
			*r = cur;
			found = 1;
		} else if (rc < 0) {
			bad = 1;
		}
		i += n + 1;
	}
	if (found)
		return 0;
	if (why[0])
		snprintf(err, errlen, "%s", why);
	else if (bad)
		snprintf(err, errlen, "the result's figures are missing or out of range");
	else
		snprintf(err, errlen, "no JSON result in its output");
	return -1;
}

void st_format(const struct st_result *r, const char *via, char *out, size_t cap)
{
	snprintf(out, cap, "Speedtest (%s): download %.2f Mbit/s, upload %.2f Mbit/s, ping %.1f ms%s%s%s", via,
	         r->down_bps / 1e6, r->up_bps / 1e6, r->ping_ms, r->server[0] ? " (" : "", r->server,
	         r->server[0] ? ")" : "");
}
