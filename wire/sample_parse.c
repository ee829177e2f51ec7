/* sample_parse.c — hostile-input reading of the agent's sample JSON. */
#include "wire/sample_parse.h"

#include <math.h>
#include <string.h>

struct range {
	double min, max;
};

static const struct range scalar_range[SK__COUNT] = {
	[SK_CPU] = {0, SAMPLE_PCT_MAX}, [SK_RAM] = {0, SAMPLE_PCT_MAX},
	[SK_SWAP] = {0, SAMPLE_PCT_MAX}, [SK_GPU] = {0, SAMPLE_PCT_MAX},
	[SK_VRAM] = {0, SAMPLE_PCT_MAX},
	[SK_RAM_USED] = {0, SAMPLE_BYTES_MAX}, [SK_RAM_TOTAL] = {0, SAMPLE_BYTES_MAX},
	[SK_SWAP_USED] = {0, SAMPLE_BYTES_MAX}, [SK_SWAP_TOTAL] = {0, SAMPLE_BYTES_MAX},
	[SK_VRAM_USED] = {0, SAMPLE_MIB_MAX}, [SK_VRAM_TOTAL] = {0, SAMPLE_MIB_MAX},
	[SK_CPU_TEMP] = {SAMPLE_TEMP_MIN, SAMPLE_TEMP_MAX},
	[SK_GPU_TEMP] = {SAMPLE_TEMP_MIN, SAMPLE_TEMP_MAX},
	[SK_NET_UP] = {0, SAMPLE_BYTES_MAX}, [SK_NET_DOWN] = {0, SAMPLE_BYTES_MAX},
	[SK_UPTIME] = {0, SAMPLE_UPTIME_MAX},
	[SK_CORES] = {1, 1048576},
};

/* A number in range, or null/absent; anything else counts as bad. */
static void take_num(const struct jsonr *r, int v, double min, double max,
                     double *out, int *bad)
{
	double x;
	if (jsonr_is_null(r, v))
		return;
	if (jsonr_num_range(r, v, min, max, &x) == JSONR_OK)
		*out = x;
	else
		(*bad)++;
}

/* A string that fits; else counted bad and left as it was (""). */
static int take_str(const struct jsonr *r, int v, char *buf, size_t cap, int *bad)
{
	if (jsonr_is_null(r, v))
		return -1;
	if (jsonr_str(r, v, buf, cap, NULL) == JSONR_OK)
		return 0;
	buf[0] = '\0';
	(*bad)++;
	return -1;
}

static void parse_disks(struct sample *s, const struct jsonr *r, int arr, int *bad)
{
	if (jsonr_type(r, arr) != JSONR_T_ARRAY) {
		if (!jsonr_is_null(r, arr))
			(*bad)++;
		return;
	}
	s->has_disks = 1;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		struct sample_disk d;
		int k;
		if (s->ndisks >= SAMPLE_MAX_DISKS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		memset(&d, 0, sizeof(d));
		d.percent = d.used = d.total = NAN;
		k = jsonr_get(r, e, "mount");
		if (k < 0 || take_str(r, k, d.mount, sizeof(d.mount), bad) != 0) {
			if (k < 0)
				(*bad)++;
			continue; /* a disk without its mount is no disk */
		}
		if ((k = jsonr_get(r, e, "percent")) >= 0)
			take_num(r, k, 0, SAMPLE_PCT_MAX, &d.percent, bad);
		if ((k = jsonr_get(r, e, "used")) >= 0)
			take_num(r, k, 0, SAMPLE_BYTES_MAX, &d.used, bad);
		if ((k = jsonr_get(r, e, "total")) >= 0)
			take_num(r, k, 0, SAMPLE_BYTES_MAX, &d.total, bad);
		s->disks[s->ndisks++] = d;
	}
}

static void parse_procs(struct sample *s, const struct jsonr *r, int arr, int *bad)
{
	if (jsonr_type(r, arr) != JSONR_T_ARRAY) {
		if (!jsonr_is_null(r, arr))
			(*bad)++;
		return;
	}
	s->has_procs = 1;
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		struct sample_proc p;
		int k;
		if (s->nprocs >= SAMPLE_MAX_PROCS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		memset(&p, 0, sizeof(p));
		p.cpu = p.ram = NAN;
		k = jsonr_get(r, e, "name");
		if (k < 0 || take_str(r, k, p.name, sizeof(p.name), bad) != 0) {
			if (k < 0)
				(*bad)++;
			continue;
		}
		if ((k = jsonr_get(r, e, "cpu")) >= 0)
			take_num(r, k, 0, SAMPLE_PCT_MAX * 1024, &p.cpu, bad);
		if ((k = jsonr_get(r, e, "ram")) >= 0)
			take_num(r, k, 0, SAMPLE_BYTES_MAX, &p.ram, bad);
		s->procs[s->nprocs++] = p;
	}
}

static void parse_gpus(struct sample *s, const struct jsonr *r, int arr, int *bad)
{
	if (jsonr_type(r, arr) != JSONR_T_ARRAY) {
		if (!jsonr_is_null(r, arr))
			(*bad)++;
		return;
	}
	for (int e = jsonr_first(r, arr); e > 0; e = jsonr_after(r, arr, e)) {
		struct sample_gpu g;
		int64_t idx;
		int k;
		if (s->ngpus >= SAMPLE_MAX_GPUS) {
			(*bad)++;
			break;
		}
		if (jsonr_type(r, e) != JSONR_T_OBJECT) {
			(*bad)++;
			continue;
		}
		memset(&g, 0, sizeof(g));
		g.index = s->ngpus;
		g.util = g.vram_used = g.vram_total = g.temp = g.power_w = NAN;
		if ((k = jsonr_get(r, e, "index")) >= 0 && !jsonr_is_null(r, k)) {
			if (jsonr_int(r, k, 0, 1023, &idx) == JSONR_OK)
				g.index = (int)idx;
			else
				(*bad)++;
		}
		if ((k = jsonr_get(r, e, "name")) >= 0)
			take_str(r, k, g.name, sizeof(g.name), bad);
		if ((k = jsonr_get(r, e, "util")) >= 0)
			take_num(r, k, 0, SAMPLE_PCT_MAX, &g.util, bad);
		if ((k = jsonr_get(r, e, "vram_used")) >= 0)
			take_num(r, k, 0, SAMPLE_MIB_MAX, &g.vram_used, bad);
		if ((k = jsonr_get(r, e, "vram_total")) >= 0)
			take_num(r, k, 0, SAMPLE_MIB_MAX, &g.vram_total, bad);
		if ((k = jsonr_get(r, e, "temp")) >= 0)
			take_num(r, k, SAMPLE_TEMP_MIN, SAMPLE_TEMP_MAX, &g.temp, bad);
		if ((k = jsonr_get(r, e, "power_w")) >= 0)
			take_num(r, k, 0, 1.0e6, &g.power_w, bad);
		s->gpus[s->ngpus++] = g;
	}
}

static void parse_host(struct sample *s, const struct jsonr *r, int obj, int *bad)
{
	static const struct {
		const char *key;
		size_t off, cap;
	} f[] = {
		{ "hostname", offsetof(struct sample_host, hostname), sizeof(((struct sample_host *)0)->hostname) },
		{ "os", offsetof(struct sample_host, os), sizeof(((struct sample_host *)0)->os) },
		{ "kernel", offsetof(struct sample_host, kernel), sizeof(((struct sample_host *)0)->kernel) },
		{ "arch", offsetof(struct sample_host, arch), sizeof(((struct sample_host *)0)->arch) },
		{ "agent", offsetof(struct sample_host, agent), sizeof(((struct sample_host *)0)->agent) },
	};
	if (jsonr_type(r, obj) != JSONR_T_OBJECT) {
		if (!jsonr_is_null(r, obj))
			(*bad)++;
		return;
	}
	s->has_host = 1;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int k = jsonr_get(r, obj, f[i].key);
		if (k >= 0)
			take_str(r, k, (char *)&s->host + f[i].off, f[i].cap, bad);
	}
}

static void parse_load(struct sample *s, const struct jsonr *r, int arr, int *bad)
{
	double l[3] = { NAN, NAN, NAN };
	int n = 0, ok = 1;
	if (jsonr_type(r, arr) != JSONR_T_ARRAY || jsonr_count(r, arr) != 3) {
		if (!jsonr_is_null(r, arr))
			(*bad)++;
		return;
	}
	for (int e = jsonr_first(r, arr); e > 0 && n < 3; e = jsonr_after(r, arr, e), n++)
		if (jsonr_num_range(r, e, 0, 1.0e7, &l[n]) != JSONR_OK)
			ok = 0;
	if (!ok) {
		(*bad)++;
		return;
	}
	memcpy(s->load, l, sizeof(l));
}

int sample_from_json(struct sample *s, const struct jsonr *r, int obj)
{
	int bad = 0;

	if (jsonr_type(r, obj) != JSONR_T_OBJECT)
		return 1;
	for (int k = jsonr_first(r, obj); k > 0; k = jsonr_after(r, obj, k)) {
		const jsmntok_t *t = &r->tok[k];
		int v = k + 1, i;
		/* Keys with escapes are compared unescaped; the common case is
		 * a plain key compared in place. */
		for (i = 0; i < SK__COUNT; i++)
			if (jsonr_str_eq(r, k, sample_scalar_names[i]))
				break;
		if (i < SK__COUNT) {
			take_num(r, v, scalar_range[i].min, scalar_range[i].max, &s->v[i], &bad);
			continue;
		}
		(void)t;
		if (jsonr_str_eq(r, k, "ts")) {
			take_num(r, v, 0, SAMPLE_TS_MAX, &s->ts, &bad);
		} else if (jsonr_str_eq(r, k, "disks")) {
			s->ndisks = 0;
			parse_disks(s, r, v, &bad);
		} else if (jsonr_str_eq(r, k, "top_procs")) {
			s->nprocs = 0;
			parse_procs(s, r, v, &bad);
		} else if (jsonr_str_eq(r, k, "gpus")) {
			s->ngpus = 0;
			parse_gpus(s, r, v, &bad);
		} else if (jsonr_str_eq(r, k, "host")) {
			parse_host(s, r, v, &bad);
		} else if (jsonr_str_eq(r, k, "load")) {
			parse_load(s, r, v, &bad);
		} else if (jsonr_str_eq(r, k, "oneshot")) {
			int b;
			if (jsonr_bool(r, v, &b) == JSONR_OK)
				s->oneshot = b;
			else if (!jsonr_is_null(r, v))
				bad++;
		}
	}
	return bad;
}

int sample_parse(struct sample *s, const char *js, size_t len, jsmntok_t *tok,
                 unsigned cap)
{
	struct jsonr r;
	int rc;

	sample_clear(s);
	rc = jsonr_parse(&r, js, len, tok, cap, SAMPLE_JSON_MAX_DEPTH);
	if (rc != JSONR_OK)
		return rc;
	if (jsonr_type(&r, 0) != JSONR_T_OBJECT)
		return JSONR_ETYPE;
	return sample_from_json(s, &r, 0);
}

int sample_is_metric(const struct sample *s)
{
	return !isnan(s->v[SK_CPU]) && !isnan(s->v[SK_RAM]);
}
