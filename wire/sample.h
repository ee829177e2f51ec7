/* sample.h — the metric record both ends share (SPEC §3 sample keys).
 * Every scalar is a double; NAN means absent (the key is left out or null on
 * the wire). Byte counts up to 2^53 are exact in a double. Fixed arrays keep
 * the agent allocation-free; a parser drops entries past the caps. */
#ifndef MONBOT_SAMPLE_H
#define MONBOT_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "wire/json.h"

#define SAMPLE_MAX_DISKS 32
#define SAMPLE_MAX_PROCS 5
#define SAMPLE_MAX_GPUS 8

struct sample_disk {
	char mount[256];
	double percent, used, total; /* percent, bytes, bytes */
};

struct sample_proc {
	char name[64]; /* "nginx" or merged "nginx (4)" */
	double cpu;    /* percent of all cores */
	double ram;    /* bytes, summed over merged processes */
};

struct sample_gpu {
	int index;
	char name[96];
	double util;                 /* percent */
	double vram_used, vram_total; /* MiB */
	double temp;                 /* Celsius */
	double power_w;
};

struct sample_host {
	char hostname[128];
	char os[128];
	char kernel[128];
	char arch[32];
	char agent[64]; /* "monbot-agent 0.1.0" */
};

/* Scalar keys in wire order; sample_scalar_names[i] is the JSON key of
 * sample.v[i]. The first block are the original's keys. */
enum sample_key {
	SK_CPU, SK_RAM, SK_SWAP, SK_GPU, SK_VRAM,
	SK_RAM_USED, SK_RAM_TOTAL, SK_SWAP_USED, SK_SWAP_TOTAL,
	SK_VRAM_USED, SK_VRAM_TOTAL,
	SK_CPU_TEMP, SK_GPU_TEMP,
	SK_NET_UP, SK_NET_DOWN,
	SK_UPTIME,
	SK_CORES, /* addition */
	SK__COUNT
};
extern const char *const sample_scalar_names[SK__COUNT];

struct sample {
	double ts;                 /* unix seconds; NAN = not stamped (old agents) */
	double v[SK__COUNT];       /* NAN = absent */
	double load[3];            /* NAN = absent */
	int has_disks;             /* "disks" key present (may be an empty list) */
	int ndisks;
	struct sample_disk disks[SAMPLE_MAX_DISKS];
	int has_procs;             /* "top_procs" key present */
	int nprocs;
	struct sample_proc procs[SAMPLE_MAX_PROCS];
	int ngpus;
	struct sample_gpu gpus[SAMPLE_MAX_GPUS];
	int has_host;
	struct sample_host host;
	int oneshot;
};

/* Everything absent. */
void sample_clear(struct sample *s);

/* Writes the sample as one JSON object (SPEC §3). Absent scalars are left
 * out; "disks" and "top_procs" are written when has_* is set. Returns
 * JSON_OK or JSON_ENOSPC; *len is the length written. */
int sample_to_json(const struct sample *s, char *buf, size_t cap, size_t *len);
/* The same into an open writer, as the members of an object the caller
 * opened (so a caller may add keys of its own). */
void sample_json_members(struct json_w *w, const struct sample *s);
/* The "host" object {"hostname","os","kernel","arch","agent"} as the next
 * value of an open writer; the one place that writes it (the sample, the
 * agent's first record after connecting, the store's host column). */
void sample_host_write(struct json_w *w, const struct sample_host *h);

#endif
