/* spool.h — samples kept until the server's "ack" covers them (SPEC §3,
 * §4): a ring of records (timestamp + JSON text) in memory given once at
 * start-up. When full, the oldest record is dropped and counted. A send
 * cursor walks the records not yet sent on the current connection. */
#ifndef MONBOT_SPOOL_H
#define MONBOT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_OK      0
#define SPOOL_ETOOBIG (-1) /* one record larger than the whole data ring */

struct spool_rec {
	double ts;
	uint32_t off, len;
};

struct spool {
	struct spool_rec *rec; /* max_recs slots, indexed by seq % max_recs */
	uint32_t max_recs;
	uint8_t *data;
	uint32_t data_size;
	uint64_t head, tail;   /* sequence numbers: [head, tail) are kept */
	uint64_t send;         /* next sequence to send, head <= send <= tail */
	uint32_t wpos;         /* where the next record's bytes go */
	uint64_t dropped;      /* records dropped because the spool was full */
};

/* rec_mem holds max_recs struct spool_rec; data_mem data_size bytes. */
void spool_init(struct spool *s, struct spool_rec *rec_mem, uint32_t max_recs,
                uint8_t *data_mem, uint32_t data_size);
int spool_push(struct spool *s, double ts, const void *json, uint32_t len);
/* Drops every record from the oldest on whose ts <= ack (records are in
 * time order). Returns how many were dropped. */
uint32_t spool_ack(struct spool *s, double ack);
/* Drops the oldest record (a server without "ack" answered it). */
void spool_ack_oldest(struct spool *s);
/* The next record to send, or NULL; spool_sent() advances past it. */
const struct spool_rec *spool_next(const struct spool *s, const uint8_t **json);
void spool_sent(struct spool *s);
/* After a reconnect everything still kept is sent again, oldest first. */
void spool_rewind(struct spool *s);
uint32_t spool_count(const struct spool *s);
uint32_t spool_unsent(const struct spool *s);

#endif
