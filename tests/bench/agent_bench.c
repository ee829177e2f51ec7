/* agent_bench — measurements for tests/bench/agent.sh, built from the
 * agent's own objects (collect.o, the port, the JSON writer).
 *   agent_bench plain N    N samples without the process scan
 *   agent_bench full N     N full samples: process baseline, then a sample
 *                          with top processes (two scans of /proc)
 *   agent_bench mixed N    N samples, every 10th full (the alloc test's mix)
 *   agent_bench exec CMD...  runs CMD, prints its peak RSS
 * Prints key=value lines: cpu_ns (process CPU time per sample, from
 * CLOCK_PROCESS_CPUTIME_ID), user_us and sys_us (getrusage, per sample),
 * hwm_kib (peak RSS: VmHWM), anon_kib and file_kib (resident anonymous and
 * file pages at the end: RssAnon, RssFile), nprocs.
 * Peak RSS is VmHWM of the process's own address space. getrusage's
 * ru_maxrss is not used for it: Linux folds in the RSS the process had
 * before execve (a forked copy of its parent: 10 MiB under Python, 1.3 MiB
 * under bash), so exec mode stops CMD at its exit with ptrace
 * (PTRACE_O_TRACEEXIT) and reads /proc/<pid>/status there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "agent-min/collect.h"
#include "port/port.h"
#include "wire/sample.h"

static struct collector coll;
static struct sample smp;
static char json[65536];

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_us(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* VmHWM, RssAnon, RssFile of /proc/<pid>/status in KiB. */
static int status_kib(const char *pid, long *hwm, long *anon, long *file)
{
	char path[64], line[256];
	FILE *f;
	*hwm = *anon = *file = -1;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "RssAnon:", 8) == 0)
			*anon = strtol(line + 8, NULL, 10);
		else if (strncmp(line, "RssFile:", 8) == 0)
			*file = strtol(line + 8, NULL, 10);
	}
	fclose(f);
	return *hwm < 0 ? -1 : 0;
}

static void print_status(const char *pid)
{
	long hwm, anon, file;
	if (status_kib(pid, &hwm, &anon, &file) == 0)
		printf("hwm_kib=%ld\nanon_kib=%ld\nfile_kib=%ld\n", hwm, anon, file);
}

static int run_exec(char **argv)
{
	char pidstr[32];
	int status, traced = 1;
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	snprintf(pidstr, sizeof(pidstr), "%d", (int)pid);
	/* Stopped after execve (SIGTRAP) if tracing works here. */
	if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT) < 0)
		traced = 0;
	if (traced) {
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		for (;;) {
			if (waitpid(pid, &status, 0) < 0)
				break;
			if (WIFEXITED(status) || WIFSIGNALED(status))
				break;
			if (WIFSTOPPED(status) && status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
				print_status(pidstr); /* at exit, the address space still whole */
				ptrace(PTRACE_CONT, pid, NULL, NULL);
				continue;
			}
			/* Any other stop: pass the signal on. */
			ptrace(PTRACE_CONT, pid, NULL, (void *)(long)(WIFSTOPPED(status) ? WSTOPSIG(status) : 0));
		}
	} else {
		fprintf(stderr, "agent_bench: ptrace not permitted here, no peak RSS\n");
		while (waitpid(pid, &status, 0) < 0)
			;
	}
	printf("exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

static void one(int full, uint64_t now)
{
	size_t len;
	if (full) {
		collect_baseline(&coll, now, 1);
		collect_sample(&coll, &smp, now + 1000, 1);
	} else {
		collect_sample(&coll, &smp, now, 0);
	}
	if (sample_to_json(&smp, json, sizeof(json), &len) != 0) {
		fprintf(stderr, "agent_bench: JSON does not fit\n");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct rusage r0, r1;
	uint64_t t0, t1;
	long n;
	int mode;
	if (argc >= 3 && strcmp(argv[1], "exec") == 0)
		return run_exec(argv + 2);
	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: agent_bench plain|full|mixed N | exec CMD...\n");
		return 2;
	}
	mode = strcmp(argv[1], "plain") == 0 ? 0 : strcmp(argv[1], "full") == 0 ? 1
	     : strcmp(argv[1], "mixed") == 0 ? 2 : -1;
	if (mode < 0) {
		fprintf(stderr, "agent_bench: unknown mode %s\n", argv[1]);
		return 2;
	}
	if (port_init(getenv("MONBOT_ROOT")) != PORT_OK)
		return 1;
	collect_init(&coll, NULL);
	one(1, port_mono_ms()); /* start-up: first scan, first deltas */
	getrusage(RUSAGE_SELF, &r0);
	t0 = cpu_ns();
	for (long i = 1; i <= n; i++) {
		uint64_t now = port_mono_ms() + (uint64_t)i * 5000u;
		one(mode == 1 || (mode == 2 && i % 10 == 0), now);
	}
	t1 = cpu_ns();
	getrusage(RUSAGE_SELF, &r1);
	printf("samples=%ld\n", n);
	printf("cpu_ns=%.0f\n", (double)(t1 - t0) / (double)n);
	printf("user_us=%.2f\n", (double)(tv_us(r1.ru_utime) - tv_us(r0.ru_utime)) / (double)n);
	printf("sys_us=%.2f\n", (double)(tv_us(r1.ru_stime) - tv_us(r0.ru_stime)) / (double)n);
	print_status("self");
	printf("nprocs=%d\n", coll.ncur);
	printf("json_bytes=%zu\n", strlen(json));
	port_fini();
	return 0;
}
