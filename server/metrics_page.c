/* metrics_page.c — GET /metrics: build info, the server's own counters and
 * resources, connections by state, the store's queue, and each agent's
 * latest values labelled by nickname and an id that is not the secret. */
#include "server/metrics_page.h"

#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

#include "server/metrics.h"
#include "server/server.h"
#include "wire/conn.h"

static const char *const state_names[CL__N] = {
	"tls_handshake", "http_head", "key_check", "http_body", "http_send", "session", "closing",
};

struct agent_gauge {
	const char *name, *help;
	int key;       /* SK_* or -1 */
	double scale;
};

/* The numeric fleet keys (wire/fleet.h) of each agent's latest sample,
 * one family each; a container, drive or custom metric is a label. */
enum { FX_UPS_CHARGE, FX_UPS_LOAD, FX_UPS_RUNTIME, FX_UPS_BATT, FX_UNITS, FX_C_CPU, FX_C_MEM,
       FX_C_RUN, FX_C_RESTARTS, FX_S_TEMP, FX_S_USED, FX_S_OK, FX_CUSTOM, FX__N };

static void fleet_family(struct prom *p, int k, const struct agent *all)
{
	static const struct { const char *name, *help, *label; } fx[FX__N] = {
		{ "monbot_agent_ups_charge_percent", "UPS battery charge, percent.", NULL },
		{ "monbot_agent_ups_load_percent", "UPS load, percent.", NULL },
		{ "monbot_agent_ups_runtime_seconds", "UPS runtime left on battery.", NULL },
		{ "monbot_agent_ups_on_battery", "1 while the UPS runs on battery.", NULL },
		{ "monbot_agent_units_failed", "Failed systemd units.", NULL },
		{ "monbot_agent_container_cpu_percent", "Container CPU use, percent of all cores.", "container" },
		{ "monbot_agent_container_memory_bytes", "Container memory use.", "container" },
		{ "monbot_agent_container_running", "1 while the container runs.", "container" },
		{ "monbot_agent_container_restarts", "Container restart count.", "container" },
		{ "monbot_agent_smart_temp_celsius", "Drive temperature.", "dev" },
		{ "monbot_agent_smart_used_percent", "Drive rated life used, percent.", "dev" },
		{ "monbot_agent_smart_ok", "1 while the drive's own health verdict passes.", "dev" },
		{ "monbot_agent_custom", "Custom metrics from the agent's text-file directory.", "key" },
	};
	int any = 0;
	for (const struct agent *a = all; a; a = a->next) {
		const struct fleet *f = a->fleet;
		const char *l[6] = { "agent", a->nickname, "id", a->id, fx[k].label, NULL };
		int n = 1;
		if (!f)
			continue;
		if (k >= FX_C_CPU && k <= FX_C_RESTARTS)
			n = f->has_containers ? f->ncontainers : 0;
		else if (k >= FX_S_TEMP && k <= FX_S_OK)
			n = f->has_smart ? f->nsmart : 0;
		else if (k == FX_CUSTOM)
			n = f->has_custom ? f->ncustom : 0;
		else if (k == FX_UNITS)
			n = f->has_units;
		else
			n = f->has_ups;
		for (int i = 0; i < n; i++) {
			double v = NAN;
			switch (k) {
			case FX_UPS_CHARGE: v = f->ups.charge; break;
			case FX_UPS_LOAD: v = f->ups.load; break;
			case FX_UPS_RUNTIME: v = f->ups.runtime; break;
			case FX_UPS_BATT: v = f->ups.on_battery; break;
			case FX_UNITS: v = f->nunits; break;
			case FX_C_CPU: v = f->containers[i].cpu; break;
			case FX_C_MEM: v = f->containers[i].mem; break;
			case FX_C_RUN: v = f->containers[i].state == FLEET_ST_RUNNING; break;
			case FX_C_RESTARTS:
				v = f->containers[i].restarts < 0 ? NAN : (double)f->containers[i].restarts;
				break;
			case FX_S_TEMP: v = f->smart[i].temp; break;
			case FX_S_USED: v = f->smart[i].used; break;
			case FX_S_OK: v = f->smart[i].ok; break;
			default: v = f->custom[i].value; break;
			}
			if (isnan(v))
				continue;
			if (k >= FX_C_CPU && k <= FX_C_RESTARTS)
				l[5] = f->containers[i].name;
			else if (k >= FX_S_TEMP && k <= FX_S_OK)
				l[5] = f->smart[i].dev;
			else if (k == FX_CUSTOM)
				l[5] = f->custom[i].key;
			if (!any) {
				prom_family(p, fx[k].name, "gauge", fx[k].help);
				any = 1;
			}
			prom_sample(p, fx[k].name, l, fx[k].label ? 3 : 2, v);
		}
	}
}

int server_metrics_page(struct server *s, struct obuf *o)
{
	static const struct agent_gauge g[] = {
		{ "monbot_agent_cpu_percent", "Agent CPU use, percent.", SK_CPU, 1 },
		{ "monbot_agent_ram_percent", "Agent RAM use, percent.", SK_RAM, 1 },
		{ "monbot_agent_swap_percent", "Agent swap use, percent.", SK_SWAP, 1 },
		{ "monbot_agent_gpu_percent", "Agent GPU 0 utilisation, percent.", SK_GPU, 1 },
		{ "monbot_agent_vram_percent", "Agent GPU 0 memory use, percent.", SK_VRAM, 1 },
		{ "monbot_agent_ram_used_bytes", "Agent RAM used.", SK_RAM_USED, 1 },
		{ "monbot_agent_ram_total_bytes", "Agent RAM size.", SK_RAM_TOTAL, 1 },
		{ "monbot_agent_swap_used_bytes", "Agent swap used.", SK_SWAP_USED, 1 },
		{ "monbot_agent_swap_total_bytes", "Agent swap size.", SK_SWAP_TOTAL, 1 },
		{ "monbot_agent_vram_used_bytes", "Agent GPU 0 memory used.", SK_VRAM_USED, 1048576 },
		{ "monbot_agent_vram_total_bytes", "Agent GPU 0 memory size.", SK_VRAM_TOTAL, 1048576 },
		{ "monbot_agent_cpu_temp_celsius", "Agent CPU temperature.", SK_CPU_TEMP, 1 },
		{ "monbot_agent_gpu_temp_celsius", "Agent GPU 0 temperature.", SK_GPU_TEMP, 1 },
		{ "monbot_agent_net_up_bytes_per_second", "Agent network upload rate.", SK_NET_UP, 1 },
		{ "monbot_agent_net_down_bytes_per_second", "Agent network download rate.", SK_NET_DOWN, 1 },
		{ "monbot_agent_uptime_seconds", "Agent host uptime.", SK_UPTIME, 1 },
		{ "monbot_agent_load1", "Agent 1-minute load average.", -1, 1 },
		{ "monbot_agent_disk_max_percent", "Agent's fullest disk, percent.", -2, 1 },
	};
	struct prom p;
	struct store_stats st;
	struct rusage ru;
	const char *lbl[4];
	char ver[64];

	prom_init(&p, o);
	snprintf(ver, sizeof(ver), "%s", SERVER_VERSION);
	lbl[0] = "version";
	lbl[1] = ver;
	lbl[2] = "tls";
	lbl[3] = s->tr.tls ? conn_tls_backend() : "off";
	prom_family(&p, "monbot_build_info", "gauge", "Server version and TLS back-end.");
	prom_sample(&p, "monbot_build_info", lbl, 2, 1);
	prom_family(&p, "monbot_start_time_seconds", "gauge", "Unix time the server started.");
	prom_sample(&p, "monbot_start_time_seconds", NULL, 0, (double)s->started);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		prom_family(&p, "monbot_cpu_seconds_total", "counter", "CPU time used by the server.");
		prom_sample(&p, "monbot_cpu_seconds_total", NULL, 0,
		            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
		prom_family(&p, "monbot_max_resident_bytes", "gauge", "Peak resident memory of the server.");
		prom_sample(&p, "monbot_max_resident_bytes", NULL, 0, (double)ru.ru_maxrss * 1024.0);
	}
	prom_family(&p, "monbot_agents_connected", "gauge", "Keys with at least one open agent session.");
	{
		unsigned n = 0;
		uint64_t pend = 0, dbw = 0;
		for (struct agent *a = s->agents.all; a; a = a->next)
			n += a->nconns > 0;
		prom_sample(&p, "monbot_agents_connected", NULL, 0, n);
		prom_family(&p, "monbot_sessions_open", "gauge", "Open agent WebSocket sessions.");
		prom_sample(&p, "monbot_sessions_open", NULL, 0, s->nsessions);
		prom_family(&p, "monbot_connections_open", "gauge", "Open connections by state.");
		for (int i = 0; i < CL__N; i++) {
			const char *l[2] = { "state", state_names[i] };
			prom_sample(&p, "monbot_connections_open", l, 1, s->tr.nstate[i]);
		}
		for (struct client *c = s->tr.clients; c; c = c->next) {
			pend += c->pending;
			dbw += c->dbwork;
		}
		prom_family(&p, "monbot_replies_pending", "gauge",
		            "Samples given to the store whose reply waits for the commit.");
		prom_sample(&p, "monbot_replies_pending", NULL, 0, (double)pend);
		prom_family(&p, "monbot_session_db_calls_pending", "gauge",
		            "Sessions' other database calls (answers, host info) not yet run.");
		prom_sample(&p, "monbot_session_db_calls_pending", NULL, 0, (double)dbw);
	}
	store_async_stats(s->store, &st);
	prom_family(&p, "monbot_store_queue_rows", "gauge",
	            "Samples and calls waiting for the database (queue and outage buffer).");
	prom_sample(&p, "monbot_store_queue_rows", NULL, 0, (double)st.queued_rows);
	prom_family(&p, "monbot_store_queue_bytes", "gauge", "Bytes of samples and calls waiting for the database.");
	prom_sample(&p, "monbot_store_queue_bytes", NULL, 0, (double)st.queued_bytes);
	prom_family(&p, "monbot_store_connected", "gauge", "1 while the database connection is up.");
	prom_sample(&p, "monbot_store_connected", NULL, 0, st.connected ? 1 : 0);
	prom_family(&p, "monbot_store_rows_inserted_total", "counter", "Rows the database committed.");
	prom_sample(&p, "monbot_store_rows_inserted_total", NULL, 0, (double)st.rows_inserted);
	prom_family(&p, "monbot_store_rows_duplicate_total", "counter",
	            "Samples already stored (same key and ts), ignored.");
	prom_sample(&p, "monbot_store_rows_duplicate_total", NULL, 0, (double)st.rows_duplicate);
	prom_family(&p, "monbot_store_rows_dropped_total", "counter",
	            "Samples refused at the buffer bound.");
	prom_sample(&p, "monbot_store_rows_dropped_total", NULL, 0, (double)st.rows_dropped_full);
	prom_family(&p, "monbot_store_commits_total", "counter", "Database transactions committed.");
	prom_sample(&p, "monbot_store_commits_total", NULL, 0, (double)st.commits);
	prom_family(&p, "monbot_store_reconnects_total", "counter", "Database reconnections.");
	prom_sample(&p, "monbot_store_reconnects_total", NULL, 0, (double)st.reconnects);
	prom_family(&p, "monbot_store_errors_total", "counter", "Database errors.");
	prom_sample(&p, "monbot_store_errors_total", NULL, 0, (double)st.db_errors);
	metrics_write_counters(&p);

	/* Each agent's latest values, labelled by nickname (label values are
	 * escaped by prom_sample) and an id that is not the secret. */
	prom_family(&p, "monbot_agent_connected", "gauge", "1 while the agent has a session.");
	for (struct agent *a = s->agents.all; a; a = a->next) {
		const char *l[4] = { "agent", a->nickname, "id", a->id };
		prom_sample(&p, "monbot_agent_connected", l, 2, a->nconns > 0);
	}
	prom_family(&p, "monbot_agent_last_sample_timestamp_seconds", "gauge",
	            "Unix time of the agent's latest sample.");
	for (struct agent *a = s->agents.all; a; a = a->next) {
		const char *l[4] = { "agent", a->nickname, "id", a->id };
		if (a->has_latest)
			prom_sample(&p, "monbot_agent_last_sample_timestamp_seconds", l, 2,
			            (double)a->latest_ts);
	}
	for (size_t k = 0; k < sizeof(g) / sizeof(g[0]); k++) {
		int any = 0;
		for (struct agent *a = s->agents.all; a; a = a->next) {
			const char *l[4] = { "agent", a->nickname, "id", a->id };
			double v;
			if (!a->has_latest)
				continue;
			v = g[k].key >= 0 ? a->latest[g[k].key]
			  : g[k].key == -1 ? a->latest_load1 : a->latest_disk_pct;
			if (isnan(v))
				continue;
			if (!any) {
				prom_family(&p, g[k].name, "gauge", g[k].help);
				any = 1;
			}
			prom_sample(&p, g[k].name, l, 2, v * g[k].scale);
		}
	}
	for (int k = 0; k < FX__N; k++)
		fleet_family(&p, k, s->agents.all);
	return p.err ? -1 : 0;
}
