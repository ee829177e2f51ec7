/* gpu_smi.c — NVIDIA GPUs through `nvidia-smi --query-gpu ... --format=csv`
 * where NVML cannot be opened (static builds, no driver library), as the
 * original agent did. The program's path is found once at start-up. */
#include "port/linux/linux.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMI_QUERY "--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw"
#define SMI_TIMEOUT_MS 3000
/* nvidia-smi costs tens of milliseconds and can hang with a sick driver: its
 * answer is reused for SMI_PERIOD_MS, and after a hang it rests. */
#define SMI_PERIOD_MS 10000
#define SMI_REST_MS 300000

static char smi_path[512];

int lx_smi_find(void)
{
	const char *path = getenv("PATH");
	lx_smi_reset();
	smi_path[0] = '\0';
	while (path && *path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && n + 12 < sizeof(smi_path)) {
			memcpy(smi_path, path, n);
			strcpy(smi_path + n, "/nvidia-smi");
			if (access(smi_path, X_OK) == 0)
				return PORT_OK;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	smi_path[0] = '\0';
	return PORT_ENOTAVAIL;
}

/* One CSV value: "[N/A]", "[Not Supported]" or anything not a number is NAN. */
static double csv_num(const char *s, size_t n)
{
	char tmp[32];
	char *end;
	double v;
	while (n > 0 && *s == ' ')
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= sizeof(tmp))
		return NAN;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v = strtod(tmp, &end);
	if (*end != '\0' || !isfinite(v) || v < 0)
		return NAN;
	return v;
}

int lx_smi_parse(const char *csv, struct port_gpu *g, int max, int *n)
{
	const char *line = csv;
	int start = *n;
	while (*line && *n < max) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol ? (size_t)(eol - line) : strlen(line);
		const char *f[8];
		size_t fl[8];
		int nf = 0;
		const char *p = line;
		/* Up to 8 fields are split so a line with more than 7 is seen. */
		while (nf < 8 && p <= line + ll) {
			const char *c = memchr(p, ',', (size_t)(line + ll - p));
			const char *e = c ? c : line + ll;
			f[nf] = p;
			fl[nf] = (size_t)(e - p);
			nf++;
			if (!c)
				break;
			p = c + 1;
		}
		if (ll > 0) {
			struct port_gpu *o = &g[*n];
			double idx, used, total;
			/* Anything but seven fields with a numeric index and memory is
			 * not nvidia-smi's answer: the whole output is discarded. */
			if (nf != 7)
				goto garbage;
			idx = csv_num(f[0], fl[0]);
			used = csv_num(f[3], fl[3]);
			total = csv_num(f[4], fl[4]);
			if (isnan(idx) || isnan(used) || isnan(total) || used > total || total == 0)
				goto garbage;
			memset(o, 0, sizeof(*o));
			while (fl[1] > 0 && f[1][0] == ' ')
				f[1]++, fl[1]--;
			snprintf(o->name, sizeof(o->name), "%.*s", (int)fl[1], f[1]);
			snprintf(o->vendor, sizeof(o->vendor), "nvidia");
			o->util = csv_num(f[2], fl[2]);
			if (o->util > 100)
				o->util = NAN;
			o->vram_used = (uint64_t)used;
			o->vram_total = (uint64_t)total;
			o->temp = csv_num(f[5], fl[5]);
			o->power_w = csv_num(f[6], fl[6]);
			(*n)++;
		}
		if (!eol)
			break;
		line = eol + 1;
	}
	return PORT_OK;
garbage:
	*n = start;
	return PORT_EPARSE;
}

static struct {
	uint64_t next_run;
	int n, rc;
	struct port_gpu g[8];
} cache;

static int smi_run(struct port_gpu *g, int max, int *n, int *timed_out)
{
	static char out[8192];
	size_t got = 0;
	int fds[2], status = 0;
	uint64_t deadline;
	pid_t pid;
	if (!smi_path[0])
		return PORT_ENOTAVAIL;
	if (pipe(fds) < 0)
		return PORT_EIO;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return PORT_EIO;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(smi_path, "nvidia-smi", SMI_QUERY, "--format=csv,noheader,nounits", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	deadline = port_mono_ms() + SMI_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = {fds[0], POLLIN, 0};
		uint64_t now = port_mono_ms();
		ssize_t r;
		if (now >= deadline) {
			kill(pid, SIGKILL);
			*timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		r = read(fds[0], out + got, sizeof(out) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || got + (size_t)r >= sizeof(out) - 1) {
			if (r > 0)
				got += (size_t)r;
			break;
		}
		got += (size_t)r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out[got] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return PORT_EIO;
	return lx_smi_parse(out, g, max, n);
}

int lx_smi_list(struct port_gpu *g, int max, int *n)
{
	uint64_t now = port_mono_ms();
	int timed_out = 0;
	if (!smi_path[0])
		return PORT_ENOTAVAIL;
	if (cache.next_run && now < cache.next_run) {
		for (int i = 0; i < cache.n && *n < max; i++)
			g[(*n)++] = cache.g[i];
		return cache.rc;
	}
	cache.n = 0;
	cache.rc = smi_run(cache.g, (int)(sizeof(cache.g) / sizeof(cache.g[0])), &cache.n, &timed_out);
	cache.next_run = now + (timed_out ? SMI_REST_MS : SMI_PERIOD_MS);
	for (int i = 0; i < cache.n && *n < max; i++)
		g[(*n)++] = cache.g[i];
	return cache.rc;
}

void lx_smi_reset(void)
{
	memset(&cache, 0, sizeof(cache));
}
