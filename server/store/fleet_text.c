/* fleet_text.c — the fleet keys' numeric series of a sample (wire/fleet.h)
 * as the lines the insert stores (store.h "fleet series"), and the names
 * the store keeps. Calls nothing else of the store. */
#include "server/store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire/fleet.h"
#include "wire/logesc.h"

int store_series_ok(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	if (len == 0 || len >= STORE_SERIES_MAX)
		return 0;
	for (size_t i = 0; i < len;) {
		size_t u = 1;
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] >= 0x80 && !(u = utf8_char_len(p + i, len - i))))
			return 0;
		i += u;
	}
	return 1;
}

struct ftext {
	char *buf;
	size_t cap, off;
	int full;
};

static void fline(struct ftext *t, const char *prefix, const char *name, double v)
{
	char nm[STORE_SERIES_MAX + 8];
	int n;
	if (!isfinite(v) || t->full)
		return;
	n = snprintf(nm, sizeof(nm), "%s%s", prefix, name ? name : "");
	if (n < 0 || !store_series_ok(nm, (size_t)n))
		return;
	n = snprintf(t->buf + t->off, t->cap - t->off, "%s\t%.17g\n", nm, v);
	if (n < 0 || (size_t)n >= t->cap - t->off) {
		t->full = 1;
		t->buf[t->off] = '\0'; /* whole lines only */
	} else
		t->off += (size_t)n;
}

const char *store_fleet_text(const struct fleet *f, char *buf, size_t cap)
{
	struct ftext t = { buf, cap, 0, 0 };
	if (!f || !cap)
		return NULL;
	buf[0] = '\0';
	for (int i = 0; f->has_containers && i < f->ncontainers; i++) {
		fline(&t, "container_cpu:", f->containers[i].name, f->containers[i].cpu);
		fline(&t, "container_mem:", f->containers[i].name, f->containers[i].mem);
	}
	for (int i = 0; f->has_smart && i < f->nsmart; i++) {
		fline(&t, "smart_temp:", f->smart[i].dev, f->smart[i].temp);
		fline(&t, "smart_used:", f->smart[i].dev, f->smart[i].used);
	}
	if (f->has_ups) {
		fline(&t, "ups_charge", NULL, f->ups.charge);
		fline(&t, "ups_load", NULL, f->ups.load);
		fline(&t, "ups_runtime", NULL, f->ups.runtime);
	}
	for (int i = 0; f->has_custom && i < f->ncustom; i++)
		fline(&t, "custom:", f->custom[i].key, f->custom[i].value);
	return t.off ? buf : NULL;
}
