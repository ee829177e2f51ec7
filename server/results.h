/* results.h — an agent's texts, diagnostics, stability chunks, command
 * answers and host details (server/results.c), for the session layer. */
#ifndef MONBOT_SERVER_RESULTS_H
#define MONBOT_SERVER_RESULTS_H

#include <stddef.h>

struct client;
struct jsonr;
struct sample;

/* The message's "text" (token k), "diag_ok"/"diag", "stability" object. */
void results_text(struct client *c, const struct jsonr *r, int k);
void results_diag(struct client *c, const struct jsonr *r, int kok, int kd);
void results_stability(struct client *c, const struct jsonr *r, int obj);
/* Records an answer to the oldest delivered command starting with prefix
 * ("" = any) in the store. */
void results_answer(struct client *c, const char *prefix, const char *text, size_t len);
/* A sample's host details to the store; a second host on the key reported. */
void results_host(struct client *c, const struct sample *sm);

#endif
