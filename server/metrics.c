/* metrics.c — counters and the Prometheus text format writer. */
#include "server/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct metrics mx;

void metrics_reset(void)
{
	memset(&mx, 0, sizeof(mx));
}

void metrics_chart_render(uint64_t micros)
{
	__atomic_add_fetch(&mx.chart_renders, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&mx.chart_render_us, micros, __ATOMIC_RELAXED);
}

void prom_init(struct prom *p, struct obuf *o)
{
	p->o = o;
	p->err = 0;
}

static void put(struct prom *p, const char *s, size_t n)
{
	if (!p->err && obuf_append(p->o, s, n) != OBUF_OK)
		p->err = OBUF_EFULL;
}

static void puts_(struct prom *p, const char *s)
{
	put(p, s, strlen(s));
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	put(p, " ", 1);
	/* HELP text escapes backslash and line feed. */
	for (const char *c = help; *c; c++) {
		if (*c == '\\')
			put(p, "\\\\", 2);
		else if (*c == '\n')
			put(p, "\\n", 2);
		else
			put(p, c, 1);
	}
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	put(p, " ", 1);
	puts_(p, type);
	put(p, "\n", 1);
}

int prom_escape_label(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s; s++) {
		const char *e = NULL;
		if (*s == '\\')
			e = "\\\\";
		else if (*s == '"')
			e = "\\\"";
		else if (*s == '\n')
			e = "\\n";
		if (e) {
			if (o + 2 >= cap)
				return -1;
			out[o++] = e[0];
			out[o++] = e[1];
		} else {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *s;
		}
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static void put_value(struct prom *p, double v)
{
	char num[64];
	int n;
	if (isnan(v))
		n = snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		n = snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		n = snprintf(num, sizeof(num), "%.0f", v);
	else
		n = snprintf(num, sizeof(num), "%.15g", v);
	put(p, num, (size_t)n);
}

void prom_sample(struct prom *p, const char *name, const char *const *labels,
                 int nlabels, double value)
{
	puts_(p, name);
	if (nlabels > 0) {
		put(p, "{", 1);
		for (int i = 0; i < nlabels; i++) {
			char esc[1024];
			if (i)
				put(p, ",", 1);
			puts_(p, labels[2 * i]);
			put(p, "=\"", 2);
			if (prom_escape_label(labels[2 * i + 1], esc, sizeof(esc)) < 0)
				puts_(p, "(too long)");
			else
				puts_(p, esc);
			put(p, "\"", 1);
		}
		put(p, "}", 1);
	}
	put(p, " ", 1);
	put_value(p, value);
	put(p, "\n", 1);
}

void prom_u64(struct prom *p, const char *name, uint64_t value)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)value);
	puts_(p, name);
	put(p, " ", 1);
	put(p, num, (size_t)n);
	put(p, "\n", 1);
}

static void labelled(struct prom *p, const char *name, const char *label,
                     const char *const *values, const uint64_t *counts, int n)
{
	for (int i = 0; i < n; i++) {
		const char *l[2] = { label, values[i] };
		prom_sample(p, name, l, 1, (double)counts[i]);
	}
}

static void counter(struct prom *p, const char *name, const char *help, uint64_t v)
{
	prom_family(p, name, "counter", help);
	prom_u64(p, name, v);
}

void metrics_write_counters(struct prom *p)
{
	static const char *const rej[MX_REJ__COUNT] = {
		"bad_request", "head_too_large", "header_timeout", "tls_timeout",
		"tls_failed", "forbidden", "not_found", "connection_limit", "body_timeout",
		"metrics_auth",
		"key_sessions",
	};
	static const char *const bad[MX_BAD__COUNT] = {
		"json", "depth", "tokens", "type", "unknown",
	};
	static const char *const codes[MX_CLOSE__COUNT] = {
		"1001", "1002", "1007", "1008", "1009", "1011", "1013",
	};
	static const char *const kinds[2] = { "full", "resumed" };
	static const char *const routes[8] = {
		"error", "ws", "healthz", "metrics", "speedtest_down", "speedtest_up",
		"install", "agent",
	};
	uint64_t renders = __atomic_load_n(&mx.chart_renders, __ATOMIC_RELAXED);
	uint64_t render_us = __atomic_load_n(&mx.chart_render_us, __ATOMIC_RELAXED);

	counter(p, "monbot_connections_accepted_total", "TCP connections accepted.",
	        mx.connections_accepted);
	prom_family(p, "monbot_tls_handshakes_total", "counter",
	            "TLS handshakes completed: full, or resumed from a session ticket (no key exchange).");
	labelled(p, "monbot_tls_handshakes_total", "kind", kinds, mx.tls_handshakes, 2);
	prom_family(p, "monbot_connections_rejected_total", "counter",
	            "Connections refused or dropped for misbehaviour, by reason.");
	labelled(p, "monbot_connections_rejected_total", "reason", rej, mx.rejected, MX_REJ__COUNT);
	prom_family(p, "monbot_http_requests_total", "counter", "HTTP requests by endpoint.");
	labelled(p, "monbot_http_requests_total", "endpoint", routes, mx.http_requests, 8);
	counter(p, "monbot_sessions_opened_total", "Agent WebSocket sessions opened.",
	        mx.sessions_opened);
	counter(p, "monbot_sessions_held_total",
	        "Agent sessions paused (not read) while the storage queue was over half full.", mx.sessions_held);
	counter(p, "monbot_sessions_idle_dropped_total",
	        "Agent sessions dropped after IDLE_TIMEOUT of silence.", mx.sessions_idle_dropped);
	prom_family(p, "monbot_ws_close_sent_total", "counter",
	            "WebSocket close frames sent, by close code.");
	labelled(p, "monbot_ws_close_sent_total", "code", codes, mx.ws_closed, MX_CLOSE__COUNT);
	counter(p, "monbot_messages_received_total", "Agent messages received.",
	        mx.messages_received);
	prom_family(p, "monbot_messages_ignored_total", "counter",
	            "Agent messages ignored as malformed, by reason.");
	labelled(p, "monbot_messages_ignored_total", "reason", bad, mx.messages_bad, MX_BAD__COUNT);
	counter(p, "monbot_sample_fields_invalid_total",
	        "Sample values present but of the wrong type or out of range (left absent).",
	        mx.sample_fields_bad);
	counter(p, "monbot_samples_received_total", "Metric samples received from agents.",
	        mx.samples_received);
	counter(p, "monbot_samples_ingested_total",
	        "Samples durably stored (or already stored) and acknowledged.", mx.samples_stored);
	counter(p, "monbot_samples_refused_total",
	        "Samples the storage refused or had no room for (not acknowledged).",
	        mx.samples_refused);
	counter(p, "monbot_samples_ts_stamped_total",
	        "Samples without a sane ts, stamped with the server's time.", mx.samples_ts_stamped);
	counter(p, "monbot_oneshot_samples_total", "Full samples answering a status command.",
	        mx.oneshots);
	counter(p, "monbot_text_messages_total", "Text messages from agents.", mx.texts);
	counter(p, "monbot_diag_reports_total", "Diagnostics reports from agents.", mx.diags);
	counter(p, "monbot_stability_chunks_total", "Stability result chunks from agents.",
	        mx.stability_chunks);
	counter(p, "monbot_commands_sent_total", "Commands written to connected agents.",
	        mx.commands_sent);
	counter(p, "monbot_commands_queued_total", "Commands queued for offline agents.",
	        mx.commands_queued);
	counter(p, "monbot_commands_expired_total",
	        "Queued reboot/shutdown commands that expired undelivered.", mx.commands_expired);
	counter(p, "monbot_replies_sent_total", "{\"commands\": [...]} replies sent.",
	        mx.replies_sent);
	counter(p, "monbot_received_bytes_total", "Bytes read from agents and HTTP clients.",
	        mx.bytes_in);
	counter(p, "monbot_sent_bytes_total", "Bytes written to agents and HTTP clients.",
	        mx.bytes_out);
	counter(p, "monbot_speedtest_download_bytes_total", "Bytes served by GET /speedtest.",
	        mx.speedtest_bytes_down);
	counter(p, "monbot_speedtest_upload_bytes_total", "Bytes taken by POST /speedtest.",
	        mx.speedtest_bytes_up);
	counter(p, "monbot_udp_echo_packets_total", "UDP datagrams echoed.", mx.udp_echoed);
	counter(p, "monbot_udp_echo_errors_total", "UDP datagrams that could not be echoed.",
	        mx.udp_errors);
	{
		static const char *const why[5] = { "too_large", "malformed", "own_port",
		                                    "privileged_port", "rate" };
		prom_family(p, "monbot_udp_echo_refused_total", "counter",
		            "UDP datagrams not echoed, by reason.");
		for (int i = 0; i < 5; i++) {
			const char *l[2] = { "reason", why[i] };
			prom_sample(p, "monbot_udp_echo_refused_total", l, 1, (double)mx.udp_refused[i]);
		}
	}
	counter(p, "monbot_output_overflow_total",
	        "Connections dropped because the peer did not read its output.", mx.output_overflow);
	counter(p, "monbot_chart_renders_total", "Charts rendered.", renders);
	prom_family(p, "monbot_chart_render_seconds_total", "counter",
	            "Time spent rendering charts.");
	prom_sample(p, "monbot_chart_render_seconds_total", NULL, 0, (double)render_us / 1e6);
}

int metrics_close_index(unsigned code)
{
	switch (code) {
	case 1001: return MX_CLOSE_1001;
	case 1002: return MX_CLOSE_1002;
	case 1007: return MX_CLOSE_1007;
	case 1008: return MX_CLOSE_1008;
	case 1009: return MX_CLOSE_1009;
	case 1013: return MX_CLOSE_1013;
	default: return MX_CLOSE_1011;
	}
}
