/* sample.c — from the wire record (wire/sample.h) to a stored row:
 * the original's columns, the additions, and the JSON texts of disks,
 * top_procs, gpus and host in the shape the original stored them. */
#include "server/store/store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wire/json.h"
#include "wire/sample.h"

static const struct {
	enum sample_key k;
	enum store_col c;
} scalar_map[] = {
	{SK_CPU, SC_CPU},           {SK_RAM, SC_RAM},             {SK_GPU, SC_GPU},
	{SK_VRAM, SC_VRAM},         {SK_RAM_USED, SC_RAM_USED},   {SK_RAM_TOTAL, SC_RAM_TOTAL},
	{SK_SWAP, SC_SWAP},         {SK_SWAP_USED, SC_SWAP_USED}, {SK_SWAP_TOTAL, SC_SWAP_TOTAL},
	{SK_VRAM_USED, SC_VRAM_USED}, {SK_VRAM_TOTAL, SC_VRAM_TOTAL}, {SK_CPU_TEMP, SC_CPU_TEMP},
	{SK_GPU_TEMP, SC_GPU_TEMP}, {SK_NET_UP, SC_NET_UP},       {SK_NET_DOWN, SC_NET_DOWN},
	{SK_UPTIME, SC_UPTIME},     {SK_CORES, SC_CORES},
};

static void num_member(struct json_w *w, const char *key, double v, int dec)
{
	json_key(w, key);
	json_num(w, v, dec); /* NAN is written as null, as the original had None */
}

/* Writes one JSON value into buf[*off..cap), NUL-terminated; returns its
 * start or NULL when it does not fit. */
static const char *emit(char *buf, size_t cap, size_t *off, struct json_w *w)
{
	size_t len;
	if (json_finish(w, &len) != JSON_OK)
		return NULL;
	const char *start = buf + *off;
	*off += len + 1;
	return start;
}

int store_row_from_sample(struct store_row *row, const char *secret, int64_t ts, const struct sample *s,
                          char *buf, size_t cap)
{
	struct json_w w;
	size_t off = 0;
	double fullest = NAN;
	store_row_clear(row);
	if (!secret || strlen(secret) > STORE_SECRET_MAX)
		return STORE_EINVAL;
	snprintf(row->secret, sizeof(row->secret), "%s", secret);
	row->ts = ts;
	for (size_t i = 0; i < sizeof(scalar_map) / sizeof(scalar_map[0]); i++)
		row->v[scalar_map[i].c] = s->v[scalar_map[i].k];
	row->v[SC_LOAD1] = s->load[0];
	row->v[SC_LOAD5] = s->load[1];
	row->v[SC_LOAD15] = s->load[2];
	if (s->has_disks) {
		json_init(&w, buf + off, cap - off);
		json_arr_open(&w);
		for (int i = 0; i < s->ndisks; i++) {
			const struct sample_disk *d = &s->disks[i];
			json_obj_open(&w);
			json_key(&w, "mount");
			json_str(&w, d->mount);
			num_member(&w, "percent", d->percent, 1);
			num_member(&w, "used", d->used, 0);
			num_member(&w, "total", d->total, 0);
			json_obj_close(&w);
			if (!isnan(d->percent) && (isnan(fullest) || d->percent > fullest))
				fullest = d->percent;
		}
		json_arr_close(&w);
		if (!(row->disks = emit(buf, cap, &off, &w)))
			return STORE_EFULL;
	}
	row->v[SC_DISK_PCT] = fullest;
	if (s->has_procs) {
		json_init(&w, buf + off, cap - off);
		json_arr_open(&w);
		for (int i = 0; i < s->nprocs; i++) {
			const struct sample_proc *p = &s->procs[i];
			json_obj_open(&w);
			json_key(&w, "name");
			json_str(&w, p->name);
			num_member(&w, "cpu", p->cpu, 1);
			num_member(&w, "ram", p->ram, 0);
			json_obj_close(&w);
		}
		json_arr_close(&w);
		if (!(row->top_procs = emit(buf, cap, &off, &w)))
			return STORE_EFULL;
	}
	if (s->ngpus > 0) {
		json_init(&w, buf + off, cap - off);
		json_arr_open(&w);
		for (int i = 0; i < s->ngpus; i++) {
			const struct sample_gpu *g = &s->gpus[i];
			json_obj_open(&w);
			json_key(&w, "index");
			json_int(&w, g->index);
			json_key(&w, "name");
			json_str(&w, g->name);
			num_member(&w, "util", g->util, 1);
			num_member(&w, "vram_used", g->vram_used, 1);
			num_member(&w, "vram_total", g->vram_total, 1);
			num_member(&w, "temp", g->temp, 1);
			num_member(&w, "power_w", g->power_w, 1);
			json_obj_close(&w);
		}
		json_arr_close(&w);
		if (!(row->gpus = emit(buf, cap, &off, &w)))
			return STORE_EFULL;
	}
	return 0;
}

int store_host_json(const struct sample *s, char *buf, size_t cap)
{
	struct json_w w;
	size_t len;
	json_init(&w, buf, cap);
	sample_host_write(&w, &s->host);
	return json_finish(&w, &len) == JSON_OK ? 0 : STORE_EFULL;
}
