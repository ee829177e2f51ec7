/* collect.c — sample arithmetic over port.h (see collect.h). */
#include "agent-min/collect.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

static void add_ignore(struct collector *c, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(c->ignore[0]) || c->n_ignore >= COLLECT_MAX_IGNORE)
		return;
	for (size_t i = 0; i < n; i++)
		c->ignore[c->n_ignore][i] = (char)tolower((unsigned char)s[i]);
	c->ignore[c->n_ignore][n] = '\0';
	c->n_ignore++;
}

void collect_init(struct collector *c, const char *net_ignore)
{
	const char *p;
	memset(c, 0, offsetof(struct collector, prev));
	if (!net_ignore)
		net_ignore = "lo,loopback,tun,tap,wg,tailscale";
	for (p = net_ignore; *p;) {
		size_t n = strcspn(p, ",");
		add_ignore(c, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
}

int collect_if_ignored(const struct collector *c, const char *name)
{
	char low[32];
	size_t n = strnlen(name, sizeof(low) - 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[n] = '\0';
	for (int i = 0; i < c->n_ignore; i++)
		if (strstr(low, c->ignore[i]))
			return 1;
	return 0;
}

/* The original agent's gather_disks_metrics(): no pseudo or RAM
 * filesystems, no loop devices (snaps), not under /snap, /var/lib/docker,
 * /var/snap or /boot, nothing under 1 GiB. */
int collect_disk_kind_wanted(const struct port_fs *f)
{
	static const char *const fstypes[] = {"tmpfs", "devtmpfs", "squashfs", "overlay", "aufs"};
	static const char *const prefixes[] = {"/snap", "/var/lib/docker", "/var/snap", "/boot"};
	if (!f->physical)
		return 0;
	for (size_t i = 0; i < sizeof(fstypes) / sizeof(fstypes[0]); i++)
		if (strcasecmp(f->fstype, fstypes[i]) == 0)
			return 0;
	if (strncmp(f->dev, "/dev/loop", 9) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(f->mount, prefixes[i], strlen(prefixes[i])) == 0)
			return 0;
	return 1;
}

int collect_disk_wanted(const struct port_fs *f)
{
	return collect_disk_kind_wanted(f) && (double)f->total >= GIB;
}

/* ---- processes --------------------------------------------------------- */

static void proc_add(const struct port_proc *p, void *arg)
{
	struct collector *c = arg;
	struct collect_proc *e;
	if (c->ncur >= COLLECT_MAX_PROCS) {
		c->proc_dropped++;
		return;
	}
	e = &c->cur[c->ncur++];
	e->pid = p->pid;
	e->start = p->start;
	e->ticks = p->ticks;
	e->rss = p->rss;
	memcpy(e->name, p->name, sizeof(e->name));
	e->name[sizeof(e->name) - 1] = '\0';
}

/* Shell sort: no allocation (glibc's qsort may call malloc), near-linear on
 * /proc's already ascending pids. */
typedef int (*proc_cmp)(const struct collect_proc *, const struct collect_proc *);

static void proc_sort(struct collect_proc *a, int n, proc_cmp cmp)
{
	static const int gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		int gap = gaps[g];
		for (int i = gap; i < n; i++) {
			struct collect_proc t = a[i];
			int j = i;
			while (j >= gap && cmp(&a[j - gap], &t) > 0) {
				a[j] = a[j - gap];
				j -= gap;
			}
			a[j] = t;
		}
	}
}

static int by_pid(const struct collect_proc *a, const struct collect_proc *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int by_name(const struct collect_proc *a, const struct collect_proc *b)
{
	int r = strcasecmp(a->name, b->name);
	return r ? r : by_pid(a, b);
}

static void proc_scan(struct collector *c)
{
	c->ncur = 0;
	port_proc_scan(proc_add, c);
	proc_sort(c->cur, c->ncur, by_pid);
}

static void proc_keep_baseline(struct collector *c, const struct port_cpu *cpu)
{
	memcpy(c->prev, c->cur, sizeof(c->cur[0]) * (size_t)c->ncur);
	c->nprev = c->ncur;
	c->proc_cpu = *cpu;
	c->have_procs = 1;
}

/* Top processes: CPU ticks since the baseline as a share of all cores'
 * ticks, merged by name case-insensitively (the original's "name (N)"),
 * the five busiest groups, ties broken by memory then name. */
static void top_procs(struct collector *c, struct sample *s, const struct port_cpu *cpu, int have_cpu)
{
	struct collect_proc *cur = c->cur;
	uint64_t dtotal = 0;
	int j = 0;
	struct group {
		int first; /* index in cur of the first member */
		int count;
		uint64_t dticks, rss;
	} top[SAMPLE_MAX_PROCS + 1];
	int ntop = 0;

	if (have_cpu && c->have_procs && cpu->total > c->proc_cpu.total)
		dtotal = cpu->total - c->proc_cpu.total;
	/* Ticks since baseline, matched by pid and start time (pid reuse). The
	 * delta is kept in .start's place once matched: cur is sorted by pid. */
	for (int i = 0; i < c->ncur; i++) {
		uint64_t d = 0;
		while (j < c->nprev && c->prev[j].pid < cur[i].pid)
			j++;
		if (j < c->nprev && c->prev[j].pid == cur[i].pid && c->prev[j].start == cur[i].start &&
		    cur[i].ticks >= c->prev[j].ticks)
			d = cur[i].ticks - c->prev[j].ticks;
		cur[i].start = d;
	}
	proc_sort(cur, c->ncur, by_name);
	for (int i = 0; i < c->ncur;) {
		struct group g = {i, 0, 0, 0};
		int k = i;
		for (; k < c->ncur && strcasecmp(cur[k].name, cur[i].name) == 0; k++) {
			g.count++;
			g.dticks += cur[k].start;
			g.rss += cur[k].rss;
		}
		i = k;
		/* Insert into the top list, kept sorted: busiest first. */
		int pos = ntop;
		while (pos > 0) {
			struct group *o = &top[pos - 1];
			int better = g.dticks != o->dticks ? g.dticks > o->dticks
			           : g.rss != o->rss       ? g.rss > o->rss
			                                   : strcasecmp(cur[g.first].name, cur[o->first].name) < 0;
			if (!better)
				break;
			if (pos < SAMPLE_MAX_PROCS)
				top[pos] = *o;
			pos--;
		}
		if (pos < SAMPLE_MAX_PROCS) {
			top[pos] = g;
			if (ntop < SAMPLE_MAX_PROCS)
				ntop++;
		}
	}
	s->has_procs = 1;
	s->nprocs = ntop;
	for (int i = 0; i < ntop; i++) {
		struct sample_proc *o = &s->procs[i];
		const struct collect_proc *p = &cur[top[i].first];
		char full[64];
		const char *name = p->name;
		if (strlen(p->name) == 15 && port_proc_fullname(p->pid, full, sizeof(full)) == PORT_OK)
			name = full;
		if (top[i].count > 1)
			snprintf(o->name, sizeof(o->name), "%.50s (%d)", name, top[i].count);
		else
			snprintf(o->name, sizeof(o->name), "%s", name);
		o->cpu = dtotal ? (double)top[i].dticks * 100.0 / (double)dtotal : 0.0;
		o->ram = (double)top[i].rss;
	}
}

/* ---- one sample -------------------------------------------------------- */

static void read_net(struct collector *c, struct sample *s, uint64_t now_ms)
{
	int n = 0;
	uint64_t up = 0, down = 0;
	int compared = 0, backwards = 0;
	if (port_if_list(c->cur_ifs, COLLECT_MAX_IFS, &n) != PORT_OK && n == 0) {
		c->have_net = 0;
		return;
	}
	if (c->have_net && now_ms > c->net_ms) {
		for (int i = 0; i < n; i++) {
			const struct port_if *cur = &c->cur_ifs[i];
			if (collect_if_ignored(c, cur->name))
				continue;
			for (int k = 0; k < c->nifs; k++) {
				const struct port_if *old = &c->ifs[k];
				if (strcmp(old->name, cur->name) != 0)
					continue;
				compared++;
				/* A counter that went back (wrap, driver reset) says
				 * nothing about this interval: leave it out. */
				if (cur->rx < old->rx || cur->tx < old->tx) {
					backwards++;
					break;
				}
				down += cur->rx - old->rx;
				up += cur->tx - old->tx;
				break;
			}
		}
		if (compared == 0 || backwards < compared) {
			double dt = (double)(now_ms - c->net_ms) / 1000.0;
			s->v[SK_NET_UP] = (double)up / dt;
			s->v[SK_NET_DOWN] = (double)down / dt;
		}
	}
	memcpy(c->ifs, c->cur_ifs, sizeof(c->ifs[0]) * (size_t)n);
	c->nifs = n;
	c->net_ms = now_ms;
	c->have_net = 1;
}

static void read_cpu(struct collector *c, struct sample *s, struct port_cpu *now, int *ok)
{
	*ok = port_cpu_read(now) == PORT_OK;
	if (!*ok) {
		c->have_cpu = 0;
		return;
	}
	if (now->ncpu)
		s->v[SK_CORES] = now->ncpu;
	if (c->have_cpu && now->total > c->cpu.total && now->idle >= c->cpu.idle &&
	    now->idle - c->cpu.idle <= now->total - c->cpu.total) {
		double dt = (double)(now->total - c->cpu.total);
		double di = (double)(now->idle - c->cpu.idle);
		s->v[SK_CPU] = (dt - di) * 100.0 / dt;
	}
	c->cpu = *now;
	c->have_cpu = 1;
}

static void read_mem(struct sample *s)
{
	struct port_mem m;
	if (port_mem_read(&m) != PORT_OK || m.total == PORT_NA || m.total == 0)
		return;
	if (m.avail != PORT_NA && m.avail <= m.total) {
		uint64_t total = m.total, used = m.total - m.avail;
		/* A cgroup limit below the host's memory is the container's RAM;
		 * its page cache that can be dropped is not "used" (as docker
		 * stats counts it). */
		if (m.cg_limit != PORT_NA && m.cg_limit < m.total && m.cg_usage != PORT_NA) {
			uint64_t inact = m.cg_inactive_file != PORT_NA ? m.cg_inactive_file : 0;
			total = m.cg_limit;
			used = m.cg_usage > inact ? m.cg_usage - inact : 0;
			if (used > total)
				used = total;
		}
		s->v[SK_RAM_TOTAL] = (double)total;
		s->v[SK_RAM_USED] = (double)used;
		s->v[SK_RAM] = (double)used * 100.0 / (double)total;
	}
	if (m.swap_total != PORT_NA && m.swap_free != PORT_NA && m.swap_free <= m.swap_total) {
		uint64_t used = m.swap_total - m.swap_free;
		s->v[SK_SWAP_TOTAL] = (double)m.swap_total;
		s->v[SK_SWAP_USED] = (double)used;
		s->v[SK_SWAP] = m.swap_total ? (double)used * 100.0 / (double)m.swap_total : 0.0;
	}
}

static void fill_disk(struct sample_disk *d, const struct port_fs *f)
{
	snprintf(d->mount, sizeof(d->mount), "%s", f->mount);
	d->total = (double)f->total;
	d->used = (double)f->used;
	/* psutil: percent of what a user may use (used + avail), as df. */
	d->percent = f->used + f->avail ? (double)f->used * 100.0 / (double)(f->used + f->avail) : 0.0;
}

/* One line per device, at its shortest mount point (as df shows it), and
 * one per mount point (the original's "seen"); otherwise in mount order.
 * The mount table is kept (read again when it changes), and a mount is
 * stat'ed only when it could be reported: one the rules refuse by type or
 * place, or a longer mount point of a device already listed, is not. */
static void read_disks(struct collector *c, struct sample *s)
{
	int src[SAMPLE_MAX_DISKS]; /* fs index behind each listed disk */
	s->has_disks = 1;
	port_fs_mounts(c->fs, COLLECT_MAX_FS, &c->nfs, &c->fs_gen);
	for (int i = 0; i < c->nfs; i++) {
		struct port_fs *f = &c->fs[i];
		int d;
		if (!collect_disk_kind_wanted(f))
			continue;
		for (d = 0; d < s->ndisks; d++) {
			const struct port_fs *o = &c->fs[src[d]];
			if (strcmp(o->dev, f->dev) == 0 || strcmp(o->mount, f->mount) == 0)
				break;
		}
		if (d < s->ndisks ? strlen(f->mount) >= strlen(c->fs[src[d]].mount) : d >= SAMPLE_MAX_DISKS)
			continue;
		if (port_fs_usage(f) != PORT_OK || !collect_disk_wanted(f))
			continue;
		src[d] = i;
		fill_disk(&s->disks[d], f);
		if (d == s->ndisks)
			s->ndisks++;
	}
}

static void read_gpus(struct collector *c, struct sample *s)
{
	int n = 0;
	port_gpu_list(c->gpus, SAMPLE_MAX_GPUS, &n);
	for (int i = 0; i < n; i++) {
		const struct port_gpu *g = &c->gpus[i];
		struct sample_gpu *o = &s->gpus[i];
		o->index = i;
		snprintf(o->name, sizeof(o->name), "%s", g->name);
		o->util = g->util;
		o->vram_used = g->vram_used != PORT_NA ? (double)g->vram_used : NAN;
		o->vram_total = g->vram_total != PORT_NA ? (double)g->vram_total : NAN;
		o->temp = g->temp;
		o->power_w = g->power_w;
	}
	s->ngpus = n;
	if (n > 0) {
		const struct sample_gpu *g = &s->gpus[0];
		s->v[SK_GPU] = g->util;
		s->v[SK_VRAM_USED] = g->vram_used;
		s->v[SK_VRAM_TOTAL] = g->vram_total;
		if (!isnan(g->vram_total) && g->vram_total > 0 && !isnan(g->vram_used))
			s->v[SK_VRAM] = g->vram_used * 100.0 / g->vram_total;
		s->v[SK_GPU_TEMP] = g->temp;
	}
}

void collect_baseline(struct collector *c, uint64_t now_ms, int procs)
{
	struct sample *none = NULL;
	struct port_cpu cpu;
	int ok;
	static struct sample scratch; /* deltas computed here are discarded */
	none = &scratch;
	sample_clear(none);
	read_cpu(c, none, &cpu, &ok);
	read_net(c, none, now_ms);
	if (procs && ok) {
		proc_scan(c);
		proc_keep_baseline(c, &cpu);
	}
}

void collect_sample(struct collector *c, struct sample *s, uint64_t now_ms, int full)
{
	struct port_cpu cpu;
	double up, temp;
	int cpu_ok;
	sample_clear(s);
	read_cpu(c, s, &cpu, &cpu_ok);
	read_mem(s);
	if (port_cpu_temp(&temp) == PORT_OK)
		s->v[SK_CPU_TEMP] = temp;
	if (port_uptime(&up) == PORT_OK)
		s->v[SK_UPTIME] = floor(up);
	if (port_loadavg(s->load) != PORT_OK)
		s->load[0] = s->load[1] = s->load[2] = NAN;
	read_net(c, s, now_ms);
	read_disks(c, s);
	read_gpus(c, s);
	/* The original sends "top_procs": [] in regular samples; keep the key. */
	s->has_procs = 1;
	if (full) {
		proc_scan(c);
		top_procs(c, s, &cpu, cpu_ok);
		/* top_procs reused .start for deltas: rescan order is by name
		 * now, so the next baseline is taken fresh by the caller. */
		c->have_procs = 0;
	}
}
