/* spool.h — samples kept until the server acknowledges them (SPEC §3,
 * §4): a ring of records (the sample's id, its ts in milliseconds exactly as
 * sent, and its JSON text) in memory given once at start-up. When full, the
 * oldest record is dropped and counted. A send cursor walks the records not
 * yet sent on the current connection; an ack names one record. */
#ifndef MONBOT_SPOOL_H
#define MONBOT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_OK      0
#define SPOOL_ETOOBIG (-1) /* one record larger than the whole data ring */

struct spool_rec {
	int64_t id;            /* the sample's ts in ms, as it goes on the wire */
	uint32_t off, len;
	uint32_t acked;        /* acknowledged, waiting for older ones */
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
int spool_push(struct spool *s, int64_t id, const void *json, uint32_t len);
/* Acknowledges the oldest sent, unacknowledged record whose id is id (and
 * no other): ids need not be in order (a clock that jumped back). Records
 * leave from the oldest on once acknowledged. Returns 1 when one matched. */
int spool_ack_id(struct spool *s, int64_t id);
/* Drops the oldest record (a server without "ack" answered it). */
void spool_ack_oldest(struct spool *s);
/* The next record to send, or NULL; spool_sent() advances past it. */
const struct spool_rec *spool_next(const struct spool *s, const uint8_t **json);
void spool_sent(struct spool *s);
/* Drops every kept record but the newest keep ones (a server that cannot
 * place a backlog in time); returns how many went (also in dropped). */
uint32_t spool_drop_backlog(struct spool *s, uint32_t keep);
/* After a reconnect everything still kept is sent again, oldest first. */
void spool_rewind(struct spool *s);
uint32_t spool_count(const struct spool *s);
uint32_t spool_unsent(const struct spool *s);

#endif
