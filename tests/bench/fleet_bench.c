/* fleet_bench — the fleet collectors' cost per cycle, for tests/bench/fleet.sh.
 *   fleet_bench absent <docker|nut|apcupsd|textfile|units|smart> N
 *       that collector alone, its source absent, asked every cycle (the
 *       agent rests an absent source for a minute or more: this is the
 *       cost of one attempt, not the average)
 *   fleet_bench docker50 N
 *       a Docker Engine with 50 running containers on a thread of this
 *       process (canned replies in the documented schema): list, 50 one-shot
 *       stats, inspect as the agent's cadence asks it
 * Prints cpu_ns (this thread's CPU time per cycle: CLOCK_THREAD_CPUTIME_ID,
 * the fake engine's thread not counted), wall_ns, bytes (the fleet members
 * of the last cycle). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent-min/fleet_poll.h"
#include "port/port.h"
#include "wire/json.h"

static struct fleet_poll fp;
static struct fleet f;
static char out[FLEET_JSON_MAX];
static char dk_list[65536], dk_stats[1024], dk_insp[256];

static uint64_t clk(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One connection: a reply for every whole request as it comes (pipelined
 * ones too, as the engine's Go server answers them), closed after one that
 * says Connection: close or is HTTP/1.0. */
static void serve_conn(int c)
{
	static char req[65536];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(c, req + have, sizeof(req) - 1 - have);
		char *start = req, *end;
		if (n <= 0)
			return;
		have += (size_t)n;
		req[have] = '\0';
		while ((end = strstr(start, "\r\n\r\n")) != NULL) {
			const char *r;
			int last;
			*end = '\0';
			r = strstr(start, "/containers/json") ? dk_list : strstr(start, "/stats") ? dk_stats : dk_insp;
			last = strstr(start, "Connection: close") || strstr(start, "HTTP/1.0");
			if (write(c, r, strlen(r)) < 0 || last)
				return;
			start = end + 4;
		}
		have -= (size_t)(start - req);
		memmove(req, start, have);
	}
}

static void *serve(void *arg)
{
	int ls = *(int *)arg;
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			return NULL;
		serve_conn(c);
		close(c);
	}
}

static void reply(char *o, size_t cap, const char *body)
{
	snprintf(o, cap, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nServer: Docker/24.0.7 (linux)\r\n"
	                 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
}

static const char *engine50(void)
{
	static char body[60000], path[108];
	static int ls;
	struct sockaddr_un su;
	pthread_t t;
	size_t o = 0;
	o += (size_t)snprintf(body + o, sizeof(body) - o, "[");
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		                      "%s{\"Id\":\"%064x\",\"Names\":[\"/app-%02d\"],\"Image\":\"nginx:1.25\",\"ImageID\":\"sha256:%064x\","
		                      "\"Command\":\"nginx -g 'daemon off;'\",\"Created\":1701648000,\"Ports\":[{\"PrivatePort\":80,"
		                      "\"Type\":\"tcp\"}],\"Labels\":{\"com.docker.compose.project\":\"site\"},\"State\":\"running\","
		                      "\"Status\":\"Up 2 hours (healthy)\",\"HostConfig\":{\"NetworkMode\":\"default\"},"
		                      "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.%d\"}}},\"Mounts\":[]}",
		                      i ? "," : "", i, i, i, i + 2);
	snprintf(body + o, sizeof(body) - o, "]");
	reply(dk_list, sizeof(dk_list), body);
	reply(dk_stats, sizeof(dk_stats),
	      "{\"read\":\"2023-12-04T01:00:00Z\",\"pids_stats\":{\"current\":3},\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":"
	      "100000000000,\"usage_in_kernelmode\":20000000000,\"usage_in_usermode\":80000000000},\"system_cpu_usage\":"
	      "4000000000000000,\"online_cpus\":4},\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":0}},\"memory_stats\":"
	      "{\"usage\":52428800,\"stats\":{\"active_anon\":31457280,\"inactive_file\":10485760},\"limit\":8589934592},"
	      "\"networks\":{\"eth0\":{\"rx_bytes\":1200,\"tx_bytes\":800}}}");
	reply(dk_insp, sizeof(dk_insp), "{\"Id\":\"x\",\"RestartCount\":0,\"State\":{\"Status\":\"running\"}}");
	snprintf(path, sizeof(path), "/tmp/monbot-fleet-bench-%d.sock", (int)getpid());
	unlink(path);
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	snprintf(su.sun_path, sizeof(su.sun_path), "%s", path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&su, sizeof(su)) < 0 || listen(ls, 64) < 0 ||
	    pthread_create(&t, NULL, serve, &ls) != 0) {
		perror("fake engine");
		exit(1);
	}
	return path;
}

int main(int argc, char **argv)
{
	struct fleet_cfg cfg;
	const char *mode = argc > 1 ? argv[1] : "";
	const char *what = argc > 3 ? argv[2] : "";
	int n = atoi(argc > 3 ? argv[3] : argc > 2 ? argv[2] : "100");
	uint64_t c0, w0;
	size_t len = 0;
	int absent = strcmp(mode, "absent") == 0;
	char root[64];
	if (n <= 0 || (!absent && strcmp(mode, "docker50") != 0)) {
		fprintf(stderr, "usage: fleet_bench absent <docker|nut|apcupsd|textfile|units|smart> N | docker50 N\n");
		return 2;
	}
	fleet_cfg_defaults(&cfg);
	strcpy(cfg.docker_socket, "0");
	strcpy(cfg.nut, "0");
	strcpy(cfg.apcupsd, "0");
	cfg.smart = cfg.units = 0;
	/* an empty root: no drives, nothing else read */
	snprintf(root, sizeof(root), "/tmp/monbot-fleet-root-%d", (int)getpid());
	if (absent && strcmp(what, "docker") == 0)
		strcpy(cfg.docker_socket, "/nonexistent/docker.sock");
	else if (absent && strcmp(what, "nut") == 0)
		strcpy(cfg.nut, "127.0.0.1:1"); /* nothing listens: refused */
	else if (absent && strcmp(what, "apcupsd") == 0)
		strcpy(cfg.apcupsd, "127.0.0.1:1");
	else if (absent && strcmp(what, "textfile") == 0)
		strcpy(cfg.textfile_dir, "/nonexistent/textfile");
	else if (absent && strcmp(what, "units") == 0) {
		cfg.units = 1;
		setenv("PATH", "/nonexistent:/nonexistent/bin:/nonexistent/sbin", 1);
	} else if (absent && strcmp(what, "smart") == 0) {
		cfg.smart = 1;
		setenv("PATH", "/nonexistent", 1);
	} else if (!absent)
		snprintf(cfg.docker_socket, sizeof(cfg.docker_socket), "%s", engine50());
	else
		return 2;
	port_init(absent && strcmp(what, "smart") == 0 ? root : NULL);
	fleet_poll_init(&fp, &cfg);
	fleet_poll(&fp, &f, 2000); /* the first cycle: counters, inspect */
	c0 = clk(CLOCK_THREAD_CPUTIME_ID);
	w0 = clk(CLOCK_MONOTONIC);
	for (int i = 0; i < n; i++) {
		struct json_w w;
		fp.dk_rest_until = fp.ups_next = fp.nut_rest_until = fp.apc_rest_until = 0;
		fp.units_next = fp.smart_next = 0;
		fleet_poll(&fp, &f, 200);
		json_init(&w, out, sizeof(out));
		json_obj_open(&w);
		fleet_json_members(&w, &f);
		json_obj_close(&w);
		json_finish(&w, &len);
	}
	printf("cpu_ns=%llu\nwall_ns=%llu\nbytes=%zu\ncontainers=%d\n",
	       (unsigned long long)((clk(CLOCK_THREAD_CPUTIME_ID) - c0) / (uint64_t)n),
	       (unsigned long long)((clk(CLOCK_MONOTONIC) - w0) / (uint64_t)n), len, f.ncontainers);
	return 0;
}
