/* metrics_page.h — the GET /metrics page: the server's counters
 * (server/metrics.h), its connections, the store's queue and every agent's
 * latest values in the Prometheus text format. Reads the server's state,
 * changes nothing. Loop thread only. */
#ifndef MONBOT_SERVER_METRICS_PAGE_H
#define MONBOT_SERVER_METRICS_PAGE_H

struct server;
struct obuf;

/* Appends the page to o; 0, or -1 when it passed o's maximum. */
int server_metrics_page(struct server *s, struct obuf *o);

#endif
