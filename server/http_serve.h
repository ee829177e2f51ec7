/* http_serve.h — HTTP on a connection, above the transport: the request
 * head is read and routed (server/http.h), then answered: /healthz,
 * /metrics, /speedtest both ways, errors. GET /ws/<secret> is handed to the
 * owner's upgrade handler (server->ws_upgrade). Every response here closes
 * the connection. Loop thread only. */
#ifndef MONBOT_SERVER_HTTP_SERVE_H
#define MONBOT_SERVER_HTTP_SERVE_H

#include <stddef.h>

#include "server/net/client.h"

/* The transport's ready handler: read the request head. */
void http_serve_start(struct client *c);
/* Reading in CL_HEAD and CL_BODY. */
void http_serve_read(struct client *c);
/* Frees the request's memory (on close). */
void http_serve_release(struct client *c);
/* The head buffer is no longer needed (the request stays). */
void http_serve_drop_head(struct client *c);

/* A response, then close. */
void http_serve_reply(struct client *c, int status, const char *ctype, const void *body,
                      size_t len);
void http_serve_error(struct client *c, int status);

#endif
