/* main.c — monbot-agent: configuration, then either one sample (--once) or
 * the link loop (agent_run). Exit codes: 0 done, 2 bad configuration,
 * 3 TLS pin mismatch. port_main comes first: on Windows it answers
 * --install-service / --remove-service and runs the agent as a service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/agent.h"
#include "agent-min/collect.h"
#include "agent-min/config.h"
#include "agent-min/fleet_poll.h"
#include "port/port.h"

static struct collector coll;
static struct sample smp;
static struct fleet fleet;
static struct fleet_poll fpoll;
static char out[16384 + FLEET_JSON_MAX];

/* One full sample: a baseline, one second, then deltas against it. */
static int run_once(const struct agent_config *cfg)
{
	struct port_host h;
	size_t len;
	uint64_t t0;
	collect_init(&coll, cfg->net_ignore);
	t0 = port_mono_ms();
	collect_baseline(&coll, t0, 1);
	/* The fleet sources too: containers' CPU counters, children started. */
	fleet_poll_init(&fpoll, &cfg->fleet);
	fleet_poll(&fpoll, &fleet, 500);
	port_sleep_ms(1000);
	collect_sample(&coll, &smp, port_mono_ms(), 1);
	fleet_poll(&fpoll, &fleet, 3000);
	fleet_poll_stop(&fpoll);
	smp.ts = (double)port_wall_ms() / 1000.0;
	port_host_read(&h);
	smp.has_host = 1;
	memcpy(smp.host.hostname, h.hostname, sizeof(smp.host.hostname));
	memcpy(smp.host.os, h.os, sizeof(smp.host.os));
	memcpy(smp.host.kernel, h.kernel, sizeof(smp.host.kernel));
	memcpy(smp.host.arch, h.arch, sizeof(smp.host.arch));
	snprintf(smp.host.agent, sizeof(smp.host.agent), "monbot-agent %s", AGENT_VERSION);
	if (fleet_sample_to_json(&smp, &fleet, out, sizeof(out), &len) != 0) {
		fprintf(stderr, "monbot-agent: sample does not fit the output buffer\n");
		return 1;
	}
	puts(out);
	return 0;
}

static int agent_main(int argc, char **argv)
{
	struct agent_config cfg;
	char err[512];
	int rc = agent_config_load(&cfg, argc, argv, err, sizeof(err));
	if (rc == CONFIG_EXIT)
		return 0;
	if (rc == CONFIG_ERROR) {
		fprintf(stderr, "monbot-agent: %s\n", err);
		return 2;
	}
	if (port_init(getenv("MONBOT_ROOT")) != PORT_OK) {
		fprintf(stderr, "monbot-agent: MONBOT_ROOT is too long\n");
		return 2;
	}
	if (cfg.once) {
		rc = run_once(&cfg);
		port_fini();
		return rc;
	}
	if (agent_config_ask(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "monbot-agent: %s\n", err);
		return 2;
	}
	/* the tray icon where there is a desktop (Windows): its Exit stops the
	 * loop like Ctrl-C */
	if (port_tray_start(cfg.icon_file, "MonitoringBot agent") == PORT_OK)
		fprintf(stderr, "monbot-agent: tray icon shown (%s)\n", cfg.icon_file);
	rc = agent_run(&cfg);
	port_tray_stop();
	port_fini();
	return rc;
}

int main(int argc, char **argv)
{
	return port_main(argc, argv, agent_main);
}
