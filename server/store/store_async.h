/* store_async.h — the storage's asynchronous layer for the event loop,
 * over the synchronous handle of store.h. */
#ifndef MONBOT_STORE_ASYNC_H
#define MONBOT_STORE_ASYNC_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* ---- asynchronous layer for the event loop ----------------------------------
 *
 * A database thread owns a struct store. The loop submits samples and calls
 * without blocking; the thread writes samples in batched transactions and
 * runs calls in submission order (a call sees every sample submitted before
 * it, when the database is up). Completions come back through fd: when it is
 * readable, call store_async_dispatch on the loop thread.
 *
 * Acknowledgement (SPEC §3 `ack`): after a commit the dispatch reports, per
 * (tag, secret), the newest ts of that commit (now durably stored) and how
 * many rows; the session's ack is the largest such ts seen. Rows of a secret
 * are committed in submission order, so everything that session submitted
 * before is stored too, unless a STORE_EV_REFUSED came for it: then ack
 * nothing newer on that session and close it (1013) so the agent resends
 * from its spool after reconnecting. A refused sample at submission
 * (STORE_EFULL from store_async_sample) means the same.
 *
 * Losing the database (MySQL) keeps samples in the buffer (bounded by
 * max_buffered_*), reconnects every reconnect_ms, and writes them in order
 * when it is back; a retried batch cannot land twice (unique (secret, ts),
 * idempotent rollups). Calls fail with STORE_EDOWN meanwhile.
 */
struct store_async;

enum store_ev_kind {
	STORE_EV_STORED,   /* rows of (tag, secret) up to ts are committed */
	STORE_EV_REFUSED,  /* rows refused: rc says why (EFULL, ENOKEY, EDB) */
};
struct store_ev {
	enum store_ev_kind kind;
	uint64_t tag;                       /* the submitter's, e.g. a session id */
	char secret[STORE_SECRET_MAX + 1];
	int64_t ts;                         /* STORED: newest ts; REFUSED: first refused ts */
	uint32_t count;
	int rc;
};

/* Runs on the database thread with the thread's handle; returns a code
 * handed to done. Keep what it needs in arg. */
typedef int (*store_call_fn)(struct store *st, void *arg);
/* Runs on the loop thread from store_async_dispatch. */
typedef void (*store_done_fn)(void *arg, int rc);
/* Called from store_async_dispatch with a batch of sample events. */
typedef void (*store_ev_fn)(void *ctx, const struct store_ev *evs, size_t n);

/* Opens the store (as store_open) on a new thread and returns once it is
 * open or failed. A database that is down at start is an error for SQLite
 * and retried in the background for MySQL only if allow_down is set. */
int store_async_start(struct store_async **out, const struct store_config *cfg,
                      int allow_down, char err[STORE_ERR_LEN]);
/* eventfd: readable when there are completions. */
int store_async_fd(const struct store_async *a);
/* Queues one sample (copied). STORE_EFULL at the bound, STORE_ESTOPPED
 * after stop began; a refused sample gets no event. */
int store_async_sample(struct store_async *a, uint64_t tag, const struct store_row *row);

/* How full the sample bound is, in percent of the nearer of
 * max_buffered_rows and max_buffered_bytes (0-100). Any thread. */
unsigned store_async_fill(struct store_async *a);
/* Queues a call; done(arg, rc) comes back through dispatch (also with
 * STORE_EDOWN or STORE_ESTOPPED when it could not run). Calls count against
 * the samples' bound (max_buffered_rows/bytes: one row each, and the bytes
 * the caller declares its arg carries) until they have run: STORE_EFULL at
 * the bound, and done is not called. */
int store_async_call(struct store_async *a, store_call_fn fn, store_done_fn done, void *arg);
int store_async_call_sized(struct store_async *a, store_call_fn fn, store_done_fn done, void *arg,
                           size_t carried);
/* Like a call with no work: done(arg, 0) once every sample submitted before
 * it is committed, STORE_EDOWN if some are still buffered for a lost DB. */
int store_async_flush(struct store_async *a, store_done_fn done, void *arg);
/* Drains fd and delivers sample events to on_ev and call completions to
 * their done functions. Returns how many were delivered. */
int store_async_dispatch(struct store_async *a, store_ev_fn on_ev, void *ctx);
void store_async_stats(struct store_async *a, struct store_stats *out);
/* Writes everything queued (waiting up to shutdown_wait_ms for a lost
 * database), folds rollups, stops the thread and closes the store. Calls
 * still queued complete with STORE_ESTOPPED; a final dispatch after stop
 * delivers the last events, then store_async_free releases the rest.
 * Returns the number of samples that could not be written (0 normally). */
int64_t store_async_stop(struct store_async *a);
void store_async_free(struct store_async *a);

#endif
