/* metrics.h — the server's counters and the Prometheus text exposition
 * format 0.0.4 writer for GET /metrics (HELP and TYPE lines, label values
 * escaped: backslash, double quote and line feed). Counters are bumped on
 * the loop thread; metrics_chart_render() may be called from any thread. */
#ifndef MONBOT_METRICS_H
#define MONBOT_METRICS_H

#include <stdint.h>

#include "server/net/obuf.h"

/* Why a connection was refused or dropped before or outside a session. */
enum mx_reject {
	MX_REJ_BAD_REQUEST,     /* garbage instead of HTTP (400) */
	MX_REJ_HEAD_TOO_LARGE,  /* 431 */
	MX_REJ_HEADER_TIMEOUT,  /* head not complete in time (slow client) */
	MX_REJ_TLS_TIMEOUT,     /* TLS handshake not finished in time */
	MX_REJ_TLS_FAILED,      /* TLS handshake error */
	MX_REJ_FORBIDDEN,       /* /ws/<unknown secret> (403) */
	MX_REJ_NOT_FOUND,       /* other paths, methods, upgrade errors */
	MX_REJ_CONN_LIMIT,      /* MAX_CONNECTIONS reached */
	MX_REJ_BODY_TIMEOUT,    /* speedtest transfer stalled */
	MX_REJ_METRICS_AUTH,    /* /metrics without the token (401) or not from loopback (403) */
	MX_REJ_KEY_SESSIONS,    /* MAX_SESSIONS_PER_KEY reached (429) */
	MX_REJ__COUNT
};

/* Why an agent message was ignored. */
enum mx_badmsg {
	MX_BAD_JSON,      /* not JSON */
	MX_BAD_DEPTH,     /* nested too deep */
	MX_BAD_TOKENS,    /* more values than the token pool */
	MX_BAD_TYPE,      /* not an object, or binary */
	MX_BAD_UNKNOWN,   /* an object with nothing we know */
	MX_BAD__COUNT
};

/* Close codes the server sent. */
enum mx_close {
	MX_CLOSE_1001, MX_CLOSE_1002, MX_CLOSE_1007, MX_CLOSE_1008,
	MX_CLOSE_1009, MX_CLOSE_1011, MX_CLOSE_1013, MX_CLOSE__COUNT
};

/* The MX_CLOSE_* slot of a close code (1011 for any other). */
int metrics_close_index(unsigned code);

struct metrics {
	uint64_t connections_accepted;
	uint64_t tls_handshakes[2];    /* completed: [0] full, [1] resumed from a session ticket */
	uint64_t rejected[MX_REJ__COUNT];
	uint64_t http_requests[8];     /* by enum http_route */
	uint64_t sessions_opened;
	uint64_t sessions_idle_dropped;/* silent past IDLE_TIMEOUT */
	uint64_t sessions_held;        /* paused while the storage queue was over half full */
	uint64_t ws_closed[MX_CLOSE__COUNT];
	uint64_t messages_received;
	uint64_t messages_bad[MX_BAD__COUNT];
	uint64_t sample_fields_bad;    /* values present but unusable */
	uint64_t samples_received;
	uint64_t samples_stored;       /* acknowledged by the store */
	uint64_t samples_refused;      /* store refused / full: not acked */
	uint64_t samples_ts_stamped;   /* no sane ts: the server stamped it */
	uint64_t oneshots, texts, diags, stability_chunks;
	uint64_t commands_sent;        /* command texts written to agents */
	uint64_t commands_queued;      /* for offline agents */
	uint64_t commands_expired;
	uint64_t replies_sent;
	uint64_t bytes_in, bytes_out;
	uint64_t speedtest_bytes_down, speedtest_bytes_up;
	uint64_t udp_echoed, udp_errors;
	uint64_t udp_refused[5];       /* by enum udpecho_verdict - 1 (server/net/udpecho.h) */
	uint64_t output_overflow;      /* peer did not read: dropped */
	/* chart rendering (any thread: atomics) */
	uint64_t chart_renders;
	uint64_t chart_render_us;
};

extern struct metrics mx;

void metrics_reset(void);
/* Records one chart render (thread-safe). */
void metrics_chart_render(uint64_t micros);

/* ---- text format writer ---- */

struct prom {
	struct obuf *o;
	int err; /* sticky OBUF_EFULL */
};

void prom_init(struct prom *p, struct obuf *o);
/* # HELP and # TYPE lines (type: counter, gauge, untyped). */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);
/* name{k1="v1",...} value — labels as alternating key, value strings
 * (values escaped here); nlabels pairs. */
void prom_sample(struct prom *p, const char *name, const char *const *labels,
                 int nlabels, double value);
void prom_u64(struct prom *p, const char *name, uint64_t value);
/* Escapes a label value into out (cap); returns the length, or -1 when it
 * does not fit. */
int prom_escape_label(const char *s, char *out, size_t cap);

/* Writes every family of struct metrics. */
void metrics_write_counters(struct prom *p);

#endif
