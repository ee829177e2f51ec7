/* http.h — the server's HTTP/1.1 side without I/O: collecting a request head
 * (wire/ws.h parses it), routing it to an endpoint, and writing responses.
 * Every response here closes the connection. */
#ifndef MONBOT_HTTP_H
#define MONBOT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "wire/ws.h"

#define HTTP_HEAD_MAX WS_HTTP_HEAD_MAX
#define HTTP_SECRET_MAX 64                  /* STORE_SECRET_MAX */
#define HTTP_SPEEDTEST_DEFAULT (10u << 20)  /* GET /speedtest: 10 MiB */
#define HTTP_SPEEDTEST_MAX ((uint64_t)1 << 30) /* up or down: 1 GiB at most */

#define HTTP_MORE 0 /* http_head_feed: head incomplete */
#define HTTP_DONE 1 /* http_head_feed: head complete */

/* The bytes of a request head while it arrives (allocated per connection
 * only while reading it). */
struct http_head {
	size_t len;
	size_t scanned; /* bytes already searched for the blank line */
	char buf[HTTP_HEAD_MAX];
};

enum http_route {
	HTTP_ROUTE_ERROR = 0,      /* answer with status */
	HTTP_ROUTE_WS,             /* GET /ws/<secret>: upgrade after the key check */
	HTTP_ROUTE_HEALTHZ,
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_SPEEDTEST_DOWN, /* GET /speedtest?key=<secret>[&bytes=N]: send N bytes */
	HTTP_ROUTE_SPEEDTEST_UP,   /* POST /speedtest?key=<secret>: take Content-Length bytes */
	HTTP_ROUTE_INSTALL,        /* GET /install.sh: the agent's installer (server/dist.h) */
	HTTP_ROUTE_AGENT           /* GET /agent/<arch>: an agent binary */
};

struct http_req {
	struct ws_http_request head;
	enum http_route route;
	int status;                /* HTTP_ROUTE_ERROR: 400, 403, 404, 405... */
	char secret[HTTP_SECRET_MAX + 1]; /* /ws/<secret>, /speedtest?key=<secret> ("" none) */
	uint64_t bytes;            /* speedtest size */
	char arch[16];             /* /agent/<arch>: 1..15 of [a-z0-9_] */
};

void http_head_init(struct http_head *h);
/* Appends data[0..len) (takes at most what fits; *used says how much) and
 * parses. HTTP_MORE, HTTP_DONE (req routed; bytes after the head are
 * h->buf[req->head.head_len .. h->len) plus whatever was not used), or an
 * HTTP error status (> 0: 400 garbage, 431 head too long, 414, 505) to
 * answer before closing. */
int http_head_feed(struct http_head *h, const void *data, size_t len, size_t *used,
                   struct http_req *req);
/* Routes a parsed head (http_head_feed does it): fills route, status,
 * secret and bytes. */
void http_route(struct http_req *req);

/* Secret syntax: 1..64 of [A-Za-z0-9_-]. */
int http_secret_valid(const char *s, size_t n);

/* "HTTP/1.1 <status> <reason>" head with Content-Type, Content-Length and
 * Connection: close. WS_ENOSPC when cap is short. */
int http_response_head(int status, const char *content_type, uint64_t content_length,
                       char *out, size_t cap, size_t *out_len);
/* A whole response with a small body. */
int http_response(int status, const char *content_type, const void *body, size_t body_len,
                  char *out, size_t cap, size_t *out_len);

struct sockaddr;
/* 1 when the head carries "Authorization: Bearer <token>" (RFC 6750 §2.1)
 * with exactly token (compared in constant time); 0 otherwise or when
 * token is "". */
int http_bearer_ok(const char *head, size_t len, const char *token);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
int http_addr_loopback(const struct sockaddr *sa);

#endif
