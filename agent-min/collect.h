/* collect.h — turns the port's raw counters into a sample with the original
 * agent's rules (SPEC §3, §4): CPU% and net speed as deltas, RAM as
 * total - available, the disk filters, the interface ignore list, top
 * processes merged by name. All state is in struct collector: no allocation,
 * no hidden statics, so tests can run two snapshots side by side. */
#ifndef MONBOT_COLLECT_H
#define MONBOT_COLLECT_H

#include <stdint.h>

#include "port/port.h"
#include "wire/sample.h"

#define COLLECT_MAX_IFS 128
#define COLLECT_MAX_FS 256
#define COLLECT_MAX_PROCS 8192
#define COLLECT_MAX_IGNORE 16

struct collect_proc {
	uint32_t pid;
	uint64_t start, ticks, rss;
	char name[32];
};

struct collector {
	int n_ignore;
	char ignore[COLLECT_MAX_IGNORE][32]; /* lower-case substrings */

	int have_cpu;
	struct port_cpu cpu;

	int have_net;
	uint64_t net_ms;
	int nifs;
	struct port_if ifs[COLLECT_MAX_IFS];

	/* Process baseline: sorted by pid, with the CPU total taken with it. */
	int have_procs;
	struct port_cpu proc_cpu;
	int nprev;
	uint64_t proc_dropped; /* processes past COLLECT_MAX_PROCS, counted */

	/* The mount table, kept between cycles (port_fs_mounts reads it
	 * again when it changed): nfs entries of fs, as of generation fs_gen. */
	uint64_t fs_gen;
	int nfs;

	/* Large tables last: collect_init clears only what comes before them,
	 * so pages a small host never uses are never touched (RSS). */
	struct collect_proc prev[COLLECT_MAX_PROCS];

	/* Scratch for one cycle. */
	int ncur;
	struct collect_proc cur[COLLECT_MAX_PROCS];
	struct port_if cur_ifs[COLLECT_MAX_IFS];
	struct port_fs fs[COLLECT_MAX_FS]; /* not scratch: the kept mount table */
	struct port_gpu gpus[SAMPLE_MAX_GPUS];
};

/* net_ignore: comma-separated substrings (AGENT_NET_IGNORE), NULL for the
 * default "lo,loopback,tun,tap,wg,tailscale". */
void collect_init(struct collector *c, const char *net_ignore);
/* Takes the CPU and net counters (and with procs, the process table) as the
 * reference for the next sample's deltas, without producing a sample. */
void collect_baseline(struct collector *c, uint64_t now_ms, int procs);
/* Fills s (cleared first). full adds top processes (against the last
 * process baseline). Deltas are against the previous call. */
void collect_sample(struct collector *c, struct sample *s, uint64_t now_ms, int full);

/* The original's disk rules, exposed for tests: 1 = report this mount.
 * collect_disk_kind_wanted is the part that needs no usage (type, device,
 * mount point): a mount it refuses is never stat'ed. */
int collect_disk_wanted(const struct port_fs *f);
int collect_disk_kind_wanted(const struct port_fs *f);
int collect_if_ignored(const struct collector *c, const char *name);

#endif
