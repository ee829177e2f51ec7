/* chart_plot.c — metric names, the original's unit tables and best_unit, and
 * the /plot argument parser with its error texts (SPEC §7). */
#include "server/chart/chart.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const metric_names[CHART_M_COUNT] = {
	[CHART_M_CPU] = "cpu",           [CHART_M_RAM] = "ram",
	[CHART_M_GPU] = "gpu",           [CHART_M_VRAM] = "vram",
	[CHART_M_SWAP] = "swap",         [CHART_M_NET_UP] = "net_up",
	[CHART_M_NET_DOWN] = "net_down", [CHART_M_RAM_USED] = "ram_used",
	[CHART_M_VRAM_USED] = "vram_used", [CHART_M_CPU_TEMP] = "cpu_temp",
	[CHART_M_GPU_TEMP] = "gpu_temp",
};

const char *chart_metric_name(enum chart_metric m)
{
	return (unsigned)m < CHART_M_COUNT ? metric_names[m] : "?";
}

int chart_metric_from_name(const char *name)
{
	for (int i = 0; i < CHART_M_COUNT; i++)
		if (!strcasecmp(name, metric_names[i]))
			return i;
	return -1;
}

/* The original's best_unit: bits per second scaled by 1000s. */
void chart_best_unit(double max_bytes, double *scale, const char **unit)
{
	static const char *const names[] = {"bit/s", "Kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", "Pbit/s"};
	double bits = max_bytes * 8, sb = 1;
	int i = 0;
	while (i < 5 && bits >= 1000) {
		bits /= 1000;
		sb *= 1000;
		i++;
	}
	*scale = sb / 8;
	*unit = names[i];
}

void chart_best_unit_bytes(double max_bytes, double *scale, const char **unit)
{
	static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = max_bytes, s = 1;
	int i = 0;
	while (i < 5 && v >= 1024) {
		v /= 1024;
		s *= 1024;
		i++;
	}
	*scale = s;
	*unit = names[i];
}

/* The original's tables: MEM_UNITS (every "kb"/"mb"/"gb" is a power of 1024,
 * shown here with the binary name it really is) and NET_UNITS (powers of
 * 1000 of bit/s). */
static const struct unit {
	const char *tok;
	enum chart_family fam;
	double scale; /* base units (B or bit/s) per axis unit */
	const char *label;
} units[] = {
	{"%", CHART_F_PERCENT, 1, "%"},
	{"percent", CHART_F_PERCENT, 1, "%"},
	{"b", CHART_F_BYTES, 1, "B"},
	{"kb", CHART_F_BYTES, 1024.0, "KiB"},
	{"kib", CHART_F_BYTES, 1024.0, "KiB"},
	{"mb", CHART_F_BYTES, 1048576.0, "MiB"},
	{"mib", CHART_F_BYTES, 1048576.0, "MiB"},
	{"gb", CHART_F_BYTES, 1073741824.0, "GiB"},
	{"gib", CHART_F_BYTES, 1073741824.0, "GiB"},
	{"bit", CHART_F_BITS, 1, "bit/s"},
	{"kbit", CHART_F_BITS, 1e3, "Kbit/s"},
	{"mbit", CHART_F_BITS, 1e6, "Mbit/s"},
	{"gbit", CHART_F_BITS, 1e9, "Gbit/s"},
};

int64_t chart_parse_span(const char *s)
{
	int64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		int64_t v = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > CHART_MAX_RANGE_S)
				return -1;
			s++;
		}
		int64_t mul;
		switch (tolower((unsigned char)*s)) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return -1;
		}
		s++;
		total += v * mul;
		if (total > CHART_MAX_RANGE_S)
			return -1;
	}
	return total > 0 ? total : -1;
}

enum msg { M_USAGE, M_INTERVAL, M_TOOMANY, M_UNITS, M_METRIC, M_UNIT, M_LIMIT };
/* Each message: text before the argument, text after it. */
static const char *const msgs[2][7][2] = {
	{{"Usage: /plot <key or name> <metrics> <interval> [limit] [unit]", ""},
	 {"Invalid interval", ""},
	 {"Too many arguments", ""},
	 {"Metric units do not match", ""},
	 {"Unknown metric: ", ""},
	 {"Unknown unit: ", " (use % b kb kib mb mib gb gib bit kbit mbit gbit)"},
	 {"Invalid limit: ", ""}},
	{{"Синтаксис: /plot <ключ/имя> <метрики> <интервал> [предел] [единицы]", ""},
	 {"Неверный интервал", ""},
	 {"Слишком много аргументов", ""},
	 {"Единицы метрик не совпадают", ""},
	 {"Неизвестная метрика: ", ""},
	 {"Неизвестные единицы: ", " (можно % b kb kib mb mib gb gib bit kbit mbit gbit)"},
	 {"Неверный предел: ", ""}},
};

static int fail(char *err, size_t errlen, enum chart_lang lang, enum msg m, const char *arg, int rc)
{
	if (err && errlen) {
		const char *const *t = msgs[lang == CHART_RU][m];
		snprintf(err, errlen, "%s%.40s%s", t[0], t[0][strlen(t[0]) - 1] == ' ' && arg ? arg : "", t[1]);
	}
	return rc;
}

int chart_plot_set(struct chart_plot *p, const char *metrics, const char *unit, double limit,
                   int64_t seconds, enum chart_lang lang, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->limit = NAN;
	p->seconds = seconds;
	if (!isnan(limit)) {
		if (!isfinite(limit) || limit <= 0) {
			char b[32];
			snprintf(b, sizeof(b), "%g", limit);
			return fail(err, errlen, lang, M_LIMIT, b, CHART_EINVAL);
		}
		p->limit = limit;
	}
	const struct unit *u = NULL;
	if (unit && *unit) {
		char lu[sizeof(p->unit)];
		size_t n = strlen(unit);
		while (n > 0 && unit[n - 1] == ';') /* the original strips trailing ';' */
			n--;
		if (n == 0 || n >= sizeof(lu))
			return fail(err, errlen, lang, M_UNIT, unit, CHART_EINVAL);
		for (size_t i = 0; i < n; i++)
			lu[i] = (char)tolower((unsigned char)unit[i]);
		lu[n] = 0;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(lu, units[i].tok))
				u = &units[i];
		if (!u)
			return fail(err, errlen, lang, M_UNIT, unit, CHART_EINVAL);
		memcpy(p->unit, lu, n + 1);
	}
	/* Metrics joined by ';' ("net" means up and down), each once. */
	char buf[160];
	snprintf(buf, sizeof(buf), "%s", metrics ? metrics : "");
	int have_family = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		int list[2], nl = 0;
		if (!strcasecmp(tok, "net")) {
			list[nl++] = CHART_M_NET_UP;
			list[nl++] = CHART_M_NET_DOWN;
		} else {
			int m = chart_metric_from_name(tok);
			if (m < 0)
				return fail(err, errlen, lang, M_METRIC, tok, CHART_EINVAL);
			list[nl++] = m;
		}
		for (int k = 0; k < nl; k++) {
			int m = list[k];
			enum chart_family fam;
			switch (m) {
			case CHART_M_RAM:
			case CHART_M_VRAM:
				/* Percent, or the used amount when a byte unit is asked. */
				if (u && u->fam == CHART_F_BYTES) {
					m = m == CHART_M_RAM ? CHART_M_RAM_USED : CHART_M_VRAM_USED;
					fam = CHART_F_BYTES;
				} else {
					fam = CHART_F_PERCENT;
				}
				break;
			case CHART_M_RAM_USED:
			case CHART_M_VRAM_USED: fam = CHART_F_BYTES; break;
			case CHART_M_NET_UP:
			case CHART_M_NET_DOWN: fam = CHART_F_BITS; break;
			case CHART_M_CPU_TEMP:
			case CHART_M_GPU_TEMP: fam = CHART_F_TEMP; break;
			default: fam = CHART_F_PERCENT; break;
			}
			if (have_family && fam != p->family)
				return fail(err, errlen, lang, M_UNITS, NULL, CHART_EUNITS);
			p->family = fam;
			have_family = 1;
			int dup = 0;
			for (int j = 0; j < p->nmetrics; j++)
				dup |= p->metric[j] == (enum chart_metric)m;
			if (dup)
				continue;
			if (p->nmetrics == CHART_MAX_SERIES)
				return fail(err, errlen, lang, M_TOOMANY, NULL, CHART_EINVAL);
			p->metric[p->nmetrics++] = (enum chart_metric)m;
		}
	}
	if (!p->nmetrics)
		return fail(err, errlen, lang, M_METRIC, metrics ? metrics : "", CHART_EINVAL);
	/* A unit of another family than the metrics' (cpu in MiB, net in %) is
	 * the same mistake as mixing metrics. */
	if (u && u->fam != p->family)
		return fail(err, errlen, lang, M_UNITS, NULL, CHART_EUNITS);
	if (p->family == CHART_F_PERCENT) {
		p->unit_scale = 1;
		snprintf(p->unit_label, sizeof(p->unit_label), "%%");
	} else if (p->family == CHART_F_TEMP) {
		p->unit_scale = 1;
		snprintf(p->unit_label, sizeof(p->unit_label), "\xc2\xb0" "C");
	} else if (u) {
		p->unit_scale = u->scale;
		snprintf(p->unit_label, sizeof(p->unit_label), "%s", u->label);
	} else {
		p->unit_scale = 0; /* best_unit (bit/s) or binary prefixes (bytes) */
	}
	return CHART_OK;
}

int chart_plot_parse(int argc, const char *const *argv, enum chart_lang lang, struct chart_plot *out,
                     char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->limit = NAN;
	if (argc < 2)
		return fail(err, errlen, lang, M_USAGE, NULL, CHART_EINVAL);
	int i = 1;
	int64_t total = 0;
	while (i < argc) {
		int64_t s = chart_parse_span(argv[i]);
		if (s < 0)
			break;
		total += s;
		if (total > CHART_MAX_RANGE_S)
			return fail(err, errlen, lang, M_INTERVAL, NULL, CHART_EINVAL);
		i++;
	}
	if (total <= 0)
		return fail(err, errlen, lang, M_INTERVAL, NULL, CHART_EINVAL);
	/* Then [limit] [unit], as the original: a number first is the limit. */
	double limit = NAN;
	const char *unit = NULL;
	if (i < argc) {
		char *end;
		double v = strtod(argv[i], &end);
		if (end != argv[i] && !*end) {
			if (!isfinite(v) || v <= 0)
				return fail(err, errlen, lang, M_LIMIT, argv[i], CHART_EINVAL);
			limit = v;
			i++;
		}
		if (i < argc)
			unit = argv[i++];
	}
	if (i < argc)
		return fail(err, errlen, lang, M_TOOMANY, NULL, CHART_EINVAL);
	return chart_plot_set(out, argv[0], unit, limit, total, lang, err, errlen);
}
