/* fleet_read.c — the fleet sources' replies, parsed without I/O (see
 * fleet_read.h). Numbers are read with checked readers; a reply that is
 * not whole is refused, never half-believed. */
#include "agent-min/fleet_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_DEPTH 32

void fr_clean(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;
	if (cap == 0)
		return;
	for (size_t i = 0; i < n && s[i] && o + 1 < cap; i++)
		if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			dst[o++] = s[i];
	/* never end inside a UTF-8 sequence cut by the cap */
	if (o + 1 >= cap && o > 0) {
		size_t k = o;
		while (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0xc0) {
			unsigned char lead = (unsigned char)dst[k - 1];
			size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
			if (o - (k - 1) < need)
				o = k - 1;
		}
	}
	dst[o] = '\0';
}

/* A JSON string member into dst, cleaned; 0, or -1 when absent/not a string. */
static int json_member_str(const struct jsonr *r, int obj, const char *key, char *dst, size_t cap)
{
	char tmp[512];
	size_t n;
	int v = jsonr_get(r, obj, key);
	if (v < 0 || jsonr_type(r, v) != JSONR_T_STRING || jsonr_str(r, v, tmp, sizeof(tmp), &n) != JSONR_OK)
		return -1;
	fr_clean(dst, cap, tmp, n);
	return 0;
}

static int json_path(const struct jsonr *r, int obj, const char *a, const char *b, const char *c)
{
	int v = jsonr_get(r, obj, a);
	if (v >= 0 && b)
		v = jsonr_get(r, v, b);
	if (v >= 0 && c)
		v = jsonr_get(r, v, c);
	return v;
}

static int json_u64(const struct jsonr *r, int v, uint64_t *out)
{
	int64_t x;
	if (v < 0 || jsonr_int(r, v, 0, INT64_MAX, &x) != JSONR_OK)
		return -1;
	*out = (uint64_t)x;
	return 0;
}

/* ---- Docker Engine API --------------------------------------------------- */

static uint8_t health_of(const char *status)
{
	if (strstr(status, "(unhealthy)"))
		return FLEET_H_UNHEALTHY;
	if (strstr(status, "(healthy)"))
		return FLEET_H_HEALTHY;
	if (strstr(status, "(health: starting)"))
		return FLEET_H_STARTING;
	return FLEET_H_NONE;
}

int fr_docker_list(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, uint8_t engine,
                   struct fleet_container *c, char (*ids)[FR_ID], int max, int *n)
{
	struct jsonr r;
	*n = 0;
	if (jsonr_parse(&r, js, len, tok, ntok, JSON_DEPTH) != JSONR_OK || jsonr_type(&r, 0) != JSONR_T_ARRAY)
		return FR_EPARSE;
	for (int k = jsonr_first(&r, 0); k > 0 && *n < max; k = jsonr_after(&r, 0, k)) {
		struct fleet_container *o = &c[*n];
		char state[32], status[256], name[FLEET_NAME];
		int names, first, st;
		if (jsonr_type(&r, k) != JSONR_T_OBJECT || json_member_str(&r, k, "Id", ids[*n], FR_ID) < 0 ||
		    !ids[*n][0])
			continue;
		names = jsonr_get(&r, k, "Names");
		first = names >= 0 && jsonr_type(&r, names) == JSONR_T_ARRAY ? jsonr_at(&r, names, 0) : -1;
		if (first < 0 || jsonr_type(&r, first) != JSONR_T_STRING)
			continue;
		{
			char tmp[512];
			size_t tl;
			if (jsonr_str(&r, first, tmp, sizeof(tmp), &tl) != JSONR_OK)
				continue;
			fr_clean(name, sizeof(name), tmp[0] == '/' ? tmp + 1 : tmp, tmp[0] == '/' ? tl - 1 : tl);
		}
		if (!name[0])
			continue;
		memset(o, 0, sizeof(*o));
		memcpy(o->name, name, sizeof(o->name));
		o->engine = engine;
		o->restarts = -1;
		o->cpu = o->mem = NAN;
		o->state = FLEET_ST__COUNT; /* not written */
		if (json_member_str(&r, k, "State", state, sizeof(state)) == 0 &&
		    (st = fleet_state_from(state, (int)strlen(state))) >= 0)
			o->state = (uint8_t)st;
		if (json_member_str(&r, k, "Status", status, sizeof(status)) == 0)
			o->health = health_of(status);
		(*n)++;
	}
	return FR_OK;
}

int fr_docker_stats(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, uint64_t *cpu_total,
                    uint64_t *sys_total, double *mem)
{
	struct jsonr r;
	uint64_t usage, inact = 0;
	int ms;
	*cpu_total = *sys_total = 0;
	*mem = NAN;
	if (jsonr_parse(&r, js, len, tok, ntok, JSON_DEPTH) != JSONR_OK || jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return FR_EPARSE;
	if (json_u64(&r, json_path(&r, 0, "cpu_stats", "cpu_usage", "total_usage"), cpu_total) < 0 ||
	    json_u64(&r, json_path(&r, 0, "cpu_stats", "system_cpu_usage", NULL), sys_total) < 0)
		*cpu_total = *sys_total = 0;
	ms = jsonr_get(&r, 0, "memory_stats");
	if (ms >= 0 && json_u64(&r, jsonr_get(&r, ms, "usage"), &usage) == 0) {
		int st = jsonr_get(&r, ms, "stats");
		if (st >= 0 && json_u64(&r, jsonr_get(&r, st, "inactive_file"), &inact) < 0 &&
		    json_u64(&r, jsonr_get(&r, st, "total_inactive_file"), &inact) < 0)
			inact = 0;
		*mem = (double)(usage > inact ? usage - inact : 0);
	}
	return FR_OK;
}

int fr_docker_inspect(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, int64_t *restarts)
{
	struct jsonr r;
	int v;
	*restarts = -1;
	if (jsonr_parse(&r, js, len, tok, ntok, JSON_DEPTH) != JSONR_OK || jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return FR_EPARSE;
	v = jsonr_get(&r, 0, "RestartCount");
	if (v >= 0 && jsonr_int(&r, v, 0, INT32_MAX, restarts) != JSONR_OK)
		*restarts = -1;
	return FR_OK;
}

/* ---- HTTP/1.x ------------------------------------------------------------ */

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Chunked body at b[0..len): FR_OK with *out once the last chunk is in,
 * or FR_EAGAIN. move 0 only checks (b untouched, callers ask again as bytes
 * come), 1 joins the chunks in place. */
static int dechunk(char *b, size_t len, size_t *out, size_t *used, int move)
{
	size_t in = 0, o = 0;
	for (;;) {
		size_t sz = 0, p = in;
		int d, digits = 0;
		while (p < len && (d = hex_digit(b[p])) >= 0) {
			if (sz > (SIZE_MAX >> 5))
				return FR_EPARSE;
			sz = sz * 16 + (size_t)d;
			p++, digits++;
		}
		if (p >= len)
			return FR_EAGAIN;
		if (!digits)
			return FR_EPARSE;
		while (p < len && b[p] != '\n') /* chunk extensions, '\r' */
			p++;
		if (p >= len)
			return FR_EAGAIN;
		p++;
		if (sz == 0) { /* the empty line after the last chunk (no trailers kept) */
			while (p < len && b[p] != '\n')
				p++;
			if (p >= len)
				return FR_EAGAIN;
			*out = o;
			*used = p + 1;
			return FR_OK;
		}
		if (len - p < sz + 2)
			return FR_EAGAIN;
		if (move)
			memmove(b + o, b + p, sz);
		o += sz;
		in = p + sz;
		if (b[in] == '\r')
			in++;
		if (b[in] != '\n')
			return FR_EPARSE;
		in++;
	}
}

static int header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n <= k || line[k] != ':')
		return 0;
	for (size_t i = 0; i < k; i++)
		if ((line[i] | 0x20) != (name[i] | 0x20))
			return 0;
	return 1;
}

int fr_http_body(char *buf, size_t len, int at_eof, int *status, size_t *body_off, size_t *body_len)
{
	size_t used;
	return fr_http_next(buf, len, at_eof, status, body_off, body_len, &used);
}

int fr_http_next(char *buf, size_t len, int at_eof, int *status, size_t *body_off, size_t *body_len,
                 size_t *used)
{
	const char *end = NULL;
	size_t hl, clen = SIZE_MAX;
	int chunked = 0;
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i;
			break;
		}
	if (!end)
		return at_eof ? FR_EPARSE : FR_EAGAIN;
	hl = (size_t)(end - buf) + 4;
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || hex_digit(buf[9]) < 0 ||
	    buf[9] > '9' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return FR_EPARSE;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	for (const char *line = memchr(buf, '\n', hl); line && line + 1 < end;) {
		const char *l = line + 1, *nl = memchr(l, '\n', (size_t)(end + 2 - l));
		size_t n = nl ? (size_t)(nl - l) : 0;
		if (!nl)
			break;
		if (header_is(l, n, "Content-Length")) {
			const char *p = l + 15;
			size_t v = 0;
			while (*p == ' ')
				p++;
			if (*p < '0' || *p > '9')
				return FR_EPARSE;
			for (; *p >= '0' && *p <= '9'; p++) {
				if (v > SIZE_MAX / 10 - 10)
					return FR_EPARSE;
				v = v * 10 + (size_t)(*p - '0');
			}
			clen = v;
		} else if (header_is(l, n, "Transfer-Encoding")) {
			for (size_t i = 0; i + 7 <= n; i++)
				if (strncasecmp(l + i, "chunked", 7) == 0)
					chunked = 1;
		}
		line = nl;
	}
	*body_off = hl;
	if (chunked) {
		int rc = dechunk(buf + hl, len - hl, body_len, used, 0);
		if (rc == FR_OK)
			rc = dechunk(buf + hl, len - hl, body_len, used, 1);
		*used += hl;
		return rc == FR_EAGAIN && at_eof ? FR_EPARSE : rc;
	}
	if (clen != SIZE_MAX) {
		if (len - hl < clen)
			return at_eof ? FR_EPARSE : FR_EAGAIN;
		*body_len = clen;
		*used = hl + clen;
		return FR_OK;
	}
	if (!at_eof)
		return FR_EAGAIN;
	*body_len = len - hl;
	*used = len;
	return FR_OK;
}

/* ---- numbers in text ----------------------------------------------------- */

/* A decimal number at s[0..n) (leading blanks skipped; the rest must be a
 * unit word or nothing): 0 and *out, else -1. */
static int text_num(const char *s, size_t n, double *out)
{
	char tmp[48], *end;
	size_t i = 0, k = 0;
	double v;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '"'))
		i++;
	while (i < n && k + 1 < sizeof(tmp) && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' ||
	                                        s[i] == '+' || s[i] == 'e' || s[i] == 'E'))
		tmp[k++] = s[i++];
	tmp[k] = '\0';
	if (k == 0 || (i < n && s[i] != ' ' && s[i] != '"' && s[i] != '\r' && s[i] != '\n'))
		return -1;
	v = strtod(tmp, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static void ups_status(struct fleet_ups *u, const char *s, size_t n, const char *onbatt)
{
	fr_clean(u->status, sizeof(u->status), s, n);
	u->on_battery = 0;
	/* whole words: "OB" in NUT's "OL CHRG OB"?, "ONBATT" in apcupsd's */
	for (const char *p = u->status; *p;) {
		size_t w = strcspn(p, " ");
		if (w == strlen(onbatt) && memcmp(p, onbatt, w) == 0)
			u->on_battery = 1;
		p += w;
		while (*p == ' ')
			p++;
	}
}

/* ---- NUT ----------------------------------------------------------------- */

/* The next line of text[*off..len) (without '\n', '\r'): 1, or 0 when no
 * whole line is left. */
static int next_line(const char *text, size_t len, size_t *off, const char **l, size_t *n)
{
	const char *nl;
	if (*off >= len || !(nl = memchr(text + *off, '\n', len - *off)))
		return 0;
	*l = text + *off;
	*n = (size_t)(nl - *l);
	*off = (size_t)(nl - text) + 1;
	if (*n && (*l)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

static int starts(const char *l, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n >= k && memcmp(l, w, k) == 0;
}

int fr_nut_ups(const char *text, size_t len, char *name, size_t cap)
{
	size_t off = 0, n;
	const char *l;
	int found = 0;
	while (next_line(text, len, &off, &l, &n)) {
		if (starts(l, n, "ERR"))
			return FR_ENOENT;
		if (starts(l, n, "UPS ")) {
			size_t w = 4;
			if (found)
				continue;
			while (w < n && l[w] != ' ')
				w++;
			fr_clean(name, cap, l + 4, w - 4);
			found = name[0] != '\0';
		} else if (starts(l, n, "END LIST UPS")) {
			return found ? FR_OK : FR_ENOENT;
		} else if (!starts(l, n, "BEGIN LIST UPS")) {
			return FR_EPARSE;
		}
	}
	return FR_EAGAIN;
}

/* VAR <ups> <name> "<value>": the value between the quotes (escapes: \" \\). */
static int nut_value(const char *l, size_t n, const char **var, size_t *vn, char *val, size_t cap)
{
	size_t p = 4, o = 0;
	while (p < n && l[p] != ' ') /* the UPS name */
		p++;
	if (++p >= n)
		return -1;
	*var = l + p;
	while (p < n && l[p] != ' ')
		p++;
	*vn = (size_t)(l + p - *var);
	if (p + 1 >= n || l[p + 1] != '"')
		return -1;
	for (p += 2; p < n && l[p] != '"'; p++) {
		if (l[p] == '\\' && p + 1 < n)
			p++;
		if (o + 1 < cap)
			val[o++] = l[p];
	}
	if (p >= n)
		return -1;
	val[o] = '\0';
	return 0;
}

int fr_nut_vars(const char *text, size_t len, struct fleet_ups *u)
{
	size_t off = 0, n;
	const char *l;
	u->source = FLEET_UPS_NUT;
	while (next_line(text, len, &off, &l, &n)) {
		const char *var;
		size_t vn;
		char val[128];
		double x;
		if (starts(l, n, "ERR"))
			return FR_ENOENT;
		if (starts(l, n, "BEGIN LIST VAR"))
			continue;
		if (starts(l, n, "END LIST VAR"))
			return FR_OK;
		if (!starts(l, n, "VAR ") || nut_value(l, n, &var, &vn, val, sizeof(val)) < 0)
			return FR_EPARSE;
#define IS(s) (vn == sizeof(s) - 1 && memcmp(var, s, vn) == 0)
		if (IS("ups.status"))
			ups_status(u, val, strlen(val), "OB");
		else if (IS("battery.charge") && text_num(val, strlen(val), &x) == 0 && x >= 0 && x <= 100)
			u->charge = x;
		else if (IS("battery.runtime") && text_num(val, strlen(val), &x) == 0 && x >= 0 && x < 1e7)
			u->runtime = x;
		else if (IS("ups.load") && text_num(val, strlen(val), &x) == 0 && x >= 0 && x <= 1000)
			u->load = x;
#undef IS
	}
	return FR_EAGAIN;
}

/* ---- apcupsd NIS --------------------------------------------------------- */

int fr_apc_status(const uint8_t *buf, size_t len, struct fleet_ups *u)
{
	size_t off = 0;
	u->source = FLEET_UPS_APCUPSD;
	while (off + 2 <= len) {
		size_t fl = (size_t)buf[off] << 8 | buf[off + 1];
		const char *l = (const char *)buf + off + 2, *colon;
		size_t kn, vn;
		double x;
		if (fl == 0)
			return FR_OK;
		if (len - off - 2 < fl)
			return FR_EAGAIN;
		off += 2 + fl;
		colon = memchr(l, ':', fl);
		if (!colon)
			continue;
		kn = (size_t)(colon - l);
		while (kn > 0 && l[kn - 1] == ' ')
			kn--;
		vn = fl - (size_t)(colon + 1 - l);
		colon++;
		while (vn > 0 && *colon == ' ')
			colon++, vn--;
		while (vn > 0 && (colon[vn - 1] == '\n' || colon[vn - 1] == ' ' || colon[vn - 1] == '\r'))
			vn--;
#define IS(s) (kn == sizeof(s) - 1 && memcmp(l, s, kn) == 0)
		if (IS("UPSNAME"))
			fr_clean(u->name, sizeof(u->name), colon, vn);
		else if (IS("STATUS"))
			ups_status(u, colon, vn, "ONBATT");
		else if (IS("BCHARGE") && text_num(colon, vn, &x) == 0 && x >= 0 && x <= 100)
			u->charge = x;
		else if (IS("TIMELEFT") && text_num(colon, vn, &x) == 0 && x >= 0 && x < 1e6)
			u->runtime = x * 60.0;
		else if (IS("LOADPCT") && text_num(colon, vn, &x) == 0 && x >= 0 && x <= 1000)
			u->load = x;
#undef IS
	}
	return FR_EAGAIN;
}

/* ---- disk health --------------------------------------------------------- */

void fr_nvme_health(const uint8_t page[512], struct fleet_smart *d)
{
	unsigned kelvin = (unsigned)page[1] | (unsigned)page[2] << 8;
	/* Critical Warning: spare below threshold, temperature, reliability
	 * degraded, read-only, volatile backup; any bit is the drive's own
	 * "failing" (as smartctl's overall-health). */
	d->ok = page[0] == 0;
	d->temp = kelvin > 0 && kelvin < 273 + 200 ? (double)kelvin - 273.0 : NAN;
	d->used = page[5]; /* may pass 100: the rated life is an estimate */
	d->nattrs = 0;
}

int fr_smartctl(const char *js, size_t len, jsmntok_t *tok, unsigned ntok, struct fleet_smart *d)
{
	struct jsonr r;
	int v, tab;
	double x;
	if (jsonr_parse(&r, js, len, tok, ntok, JSON_DEPTH) != JSONR_OK || jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return FR_EPARSE;
	v = json_path(&r, 0, "smart_status", "passed", NULL);
	if (v < 0 || jsonr_bool(&r, v, &d->ok) != JSONR_OK)
		return FR_EPARSE; /* no verdict: no health to report */
	if (json_member_str(&r, 0, "model_name", d->model, sizeof(d->model)) < 0)
		d->model[0] = '\0';
	v = json_path(&r, 0, "temperature", "current", NULL);
	d->temp = v >= 0 && jsonr_num_range(&r, v, -60, 200, &x) == JSONR_OK ? x : NAN;
	v = json_path(&r, 0, "nvme_smart_health_information_log", "percentage_used", NULL);
	d->used = v >= 0 && jsonr_num_range(&r, v, 0, 255, &x) == JSONR_OK ? x : NAN;
	d->nattrs = 0;
	tab = json_path(&r, 0, "ata_smart_attributes", "table", NULL);
	if (tab >= 0 && jsonr_type(&r, tab) == JSONR_T_ARRAY) {
		for (int k = jsonr_first(&r, tab); k > 0 && d->nattrs < FLEET_MAX_ATTRS; k = jsonr_after(&r, tab, k)) {
			struct fleet_attr *a = &d->attrs[d->nattrs];
			int64_t id, val, worst, thr, raw;
			if (jsonr_type(&r, k) != JSONR_T_OBJECT ||
			    jsonr_int(&r, jsonr_get(&r, k, "id"), 1, 255, &id) != JSONR_OK ||
			    jsonr_int(&r, jsonr_get(&r, k, "value"), 0, 255, &val) != JSONR_OK ||
			    jsonr_int(&r, jsonr_get(&r, k, "worst"), 0, 255, &worst) != JSONR_OK ||
			    jsonr_int(&r, jsonr_get(&r, k, "thresh"), 0, 255, &thr) != JSONR_OK ||
			    jsonr_int(&r, json_path(&r, k, "raw", "value", NULL), 0, INT64_MAX, &raw) != JSONR_OK)
				continue;
			if (json_member_str(&r, k, "name", a->name, sizeof(a->name)) < 0)
				a->name[0] = '\0';
			a->id = (int)id;
			a->value = (int)val;
			a->worst = (int)worst;
			a->thresh = (int)thr;
			a->raw = raw;
			d->nattrs++;
		}
	}
	return FR_OK;
}

/* ---- failed units -------------------------------------------------------- */

int fr_busctl_units(const char *js, size_t len, jsmntok_t *tok, unsigned ntok,
                    char (*units)[FLEET_NAME], int max, int *n)
{
	struct jsonr r;
	int data, list;
	*n = 0;
	if (jsonr_parse(&r, js, len, tok, ntok, JSON_DEPTH) != JSONR_OK || jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return FR_EPARSE;
	data = jsonr_get(&r, 0, "data");
	list = data >= 0 && jsonr_type(&r, data) == JSONR_T_ARRAY ? jsonr_at(&r, data, 0) : -1;
	if (list < 0 || jsonr_type(&r, list) != JSONR_T_ARRAY)
		return FR_EPARSE;
	for (int k = jsonr_first(&r, list); k > 0 && *n < max; k = jsonr_after(&r, list, k)) {
		/* (ssssssouso): name, description, load, active, sub, ... */
		int name = jsonr_type(&r, k) == JSONR_T_ARRAY ? jsonr_at(&r, k, 0) : -1;
		int active = name >= 0 ? jsonr_at(&r, k, 3) : -1;
		char tmp[512];
		size_t tl;
		if (name < 0 || jsonr_type(&r, name) != JSONR_T_STRING ||
		    jsonr_str(&r, name, tmp, sizeof(tmp), &tl) != JSONR_OK)
			continue;
		if (active >= 0 && !jsonr_str_eq(&r, active, "failed"))
			continue;
		fr_clean(units[*n], FLEET_NAME, tmp, tl);
		if (units[*n][0])
			(*n)++;
	}
	return FR_OK;
}

/* ---- textfile metrics ---------------------------------------------------- */

static int name_char(char ch, int first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
	       (!first && ch >= '0' && ch <= '9');
}

/* One line: 0 taken or skipped (comment, blank), -1 refused. */
static int text_line(const char *l, size_t n, struct fleet_custom *c, int max, int *nc)
{
	size_t p = 0, key_end;
	double v;
	char num[48], *end;
	size_t k = 0;
	while (p < n && (l[p] == ' ' || l[p] == '\t'))
		p++;
	if (p == n || l[p] == '#')
		return 0;
	if (!name_char(l[p], 1))
		return -1;
	size_t key_start = p;
	while (p < n && name_char(l[p], 0))
		p++;
	if (p < n && l[p] == '{') {
		int quoted = 0;
		for (p++; p < n; p++) {
			unsigned char ch = (unsigned char)l[p];
			if (ch < 0x20 || ch == 0x7f)
				return -1;
			if (quoted && ch == '\\' && p + 1 < n)
				p++;
			else if (ch == '"')
				quoted = !quoted;
			else if (!quoted && ch == '}')
				break;
		}
		if (p >= n)
			return -1;
		p++;
	}
	key_end = p;
	if (key_end - key_start >= FLEET_CUSTOM_KEY || p >= n || (l[p] != ' ' && l[p] != '\t'))
		return -1;
	while (p < n && (l[p] == ' ' || l[p] == '\t'))
		p++;
	while (p < n && l[p] != ' ' && l[p] != '\t' && k + 1 < sizeof(num))
		num[k++] = l[p++];
	num[k] = '\0';
	if (k == 0 || (p < n && l[p] != ' ' && l[p] != '\t'))
		return -1;
	v = strtod(num, &end);
	if (*end || !isfinite(v))
		return -1; /* NaN, +Inf: nothing to chart */
	/* an optional timestamp (integer milliseconds), then nothing */
	while (p < n && (l[p] == ' ' || l[p] == '\t'))
		p++;
	if (p < n && l[p] == '-')
		p++;
	while (p < n && l[p] >= '0' && l[p] <= '9')
		p++;
	while (p < n && (l[p] == ' ' || l[p] == '\t'))
		p++;
	if (p < n)
		return -1;
	for (int i = 0; i < *nc; i++)
		if (strlen(c[i].key) == key_end - key_start && memcmp(c[i].key, l + key_start, key_end - key_start) == 0) {
			c[i].value = v;
			return 0;
		}
	if (*nc >= max)
		return -1;
	memcpy(c[*nc].key, l + key_start, key_end - key_start);
	c[*nc].key[key_end - key_start] = '\0';
	c[*nc].value = v;
	(*nc)++;
	return 0;
}

int fr_textfile(const char *text, size_t len, int complete, struct fleet_custom *c, int max, int *n)
{
	size_t off = 0;
	int refused = 0;
	while (off < len) {
		const char *l = text + off, *nl = memchr(l, '\n', len - off);
		size_t ln;
		if (!nl && !complete)
			break;
		ln = nl ? (size_t)(nl - l) : len - off;
		off += ln + (nl ? 1 : 0);
		if (ln && l[ln - 1] == '\r')
			ln--;
		if (memchr(l, '\0', ln) || text_line(l, ln, c, max, n) < 0)
			refused++;
	}
	return refused;
}
