/* sample.c — the shared metric record and its JSON form (SPEC §3). */
#include "wire/sample.h"

#include <math.h>
#include <string.h>

const char *const sample_scalar_names[SK__COUNT] = {
	[SK_CPU] = "cpu", [SK_RAM] = "ram", [SK_SWAP] = "swap", [SK_GPU] = "gpu",
	[SK_VRAM] = "vram", [SK_RAM_USED] = "ram_used", [SK_RAM_TOTAL] = "ram_total",
	[SK_SWAP_USED] = "swap_used", [SK_SWAP_TOTAL] = "swap_total",
	[SK_VRAM_USED] = "vram_used", [SK_VRAM_TOTAL] = "vram_total",
	[SK_CPU_TEMP] = "cpu_temp", [SK_GPU_TEMP] = "gpu_temp",
	[SK_NET_UP] = "net_up", [SK_NET_DOWN] = "net_down", [SK_UPTIME] = "uptime",
	[SK_CORES] = "cores",
};

/* Decimal places on the wire: byte counts and counts are integers. */
static const signed char scalar_decimals[SK__COUNT] = {
	[SK_CPU] = 1, [SK_RAM] = 1, [SK_SWAP] = 1, [SK_GPU] = 1, [SK_VRAM] = 1,
	[SK_RAM_USED] = 0, [SK_RAM_TOTAL] = 0, [SK_SWAP_USED] = 0, [SK_SWAP_TOTAL] = 0,
	[SK_VRAM_USED] = 1, [SK_VRAM_TOTAL] = 1,
	[SK_CPU_TEMP] = 1, [SK_GPU_TEMP] = 1,
	[SK_NET_UP] = 1, [SK_NET_DOWN] = 1, [SK_UPTIME] = 0, [SK_CORES] = 0,
};

void sample_clear(struct sample *s)
{
	memset(s, 0, sizeof(*s));
	s->ts = NAN;
	for (int i = 0; i < SK__COUNT; i++)
		s->v[i] = NAN;
	for (int i = 0; i < 3; i++)
		s->load[i] = NAN;
}

static void num_member(struct json_w *w, const char *key, double v, int dec)
{
	if (isnan(v))
		return;
	json_key(w, key);
	json_num(w, v, dec);
}

void sample_host_write(struct json_w *w, const struct sample_host *h)
{
	json_obj_open(w);
	json_key(w, "hostname");
	json_str(w, h->hostname);
	json_key(w, "os");
	json_str(w, h->os);
	json_key(w, "kernel");
	json_str(w, h->kernel);
	json_key(w, "arch");
	json_str(w, h->arch);
	json_key(w, "agent");
	json_str(w, h->agent);
	json_obj_close(w);
}

void sample_json_members(struct json_w *w, const struct sample *s)
{
	if (!isnan(s->ts))
		num_member(w, "ts", s->ts, 3);
	for (int i = 0; i < SK__COUNT; i++)
		num_member(w, sample_scalar_names[i], s->v[i], scalar_decimals[i]);
	if (!isnan(s->load[0])) {
		json_key(w, "load");
		json_arr_open(w);
		for (int i = 0; i < 3; i++)
			json_num(w, s->load[i], 2);
		json_arr_close(w);
	}
	if (s->has_disks) {
		json_key(w, "disks");
		json_arr_open(w);
		for (int i = 0; i < s->ndisks; i++) {
			const struct sample_disk *d = &s->disks[i];
			json_obj_open(w);
			json_key(w, "mount");
			json_str(w, d->mount);
			num_member(w, "percent", d->percent, 1);
			num_member(w, "used", d->used, 0);
			num_member(w, "total", d->total, 0);
			json_obj_close(w);
		}
		json_arr_close(w);
	}
	if (s->has_procs) {
		json_key(w, "top_procs");
		json_arr_open(w);
		for (int i = 0; i < s->nprocs; i++) {
			const struct sample_proc *p = &s->procs[i];
			json_obj_open(w);
			json_key(w, "name");
			json_str(w, p->name);
			num_member(w, "cpu", p->cpu, 1);
			num_member(w, "ram", p->ram, 0);
			json_obj_close(w);
		}
		json_arr_close(w);
	}
	if (s->ngpus > 0) {
		json_key(w, "gpus");
		json_arr_open(w);
		for (int i = 0; i < s->ngpus; i++) {
			const struct sample_gpu *g = &s->gpus[i];
			json_obj_open(w);
			json_key(w, "index");
			json_int(w, g->index);
			json_key(w, "name");
			json_str(w, g->name);
			num_member(w, "util", g->util, 1);
			num_member(w, "vram_used", g->vram_used, 1);
			num_member(w, "vram_total", g->vram_total, 1);
			num_member(w, "temp", g->temp, 1);
			num_member(w, "power_w", g->power_w, 1);
			json_obj_close(w);
		}
		json_arr_close(w);
	}
	if (s->has_host) {
		json_key(w, "host");
		sample_host_write(w, &s->host);
	}
	if (s->oneshot) {
		json_key(w, "oneshot");
		json_bool(w, 1);
	}
}

int sample_to_json(const struct sample *s, char *buf, size_t cap, size_t *len)
{
	struct json_w w;
	json_init(&w, buf, cap);
	json_obj_open(&w);
	sample_json_members(&w, s);
	json_obj_close(&w);
	return json_finish(&w, len);
}
