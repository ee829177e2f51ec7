/* spool.c — ring of unacknowledged samples (see spool.h). Record bytes are
 * contiguous: a record that does not fit before the end of the data ring
 * starts again at offset 0, and the oldest records are dropped until the
 * bytes it needs are free. */
#include "agent-min/spool.h"

#include <string.h>

void spool_init(struct spool *s, struct spool_rec *rec_mem, uint32_t max_recs,
                uint8_t *data_mem, uint32_t data_size)
{
	memset(s, 0, sizeof(*s));
	s->rec = rec_mem;
	s->max_recs = max_recs;
	s->data = data_mem;
	s->data_size = data_size;
}

static struct spool_rec *at(const struct spool *s, uint64_t seq)
{
	return &s->rec[seq % s->max_recs];
}

static void drop_oldest(struct spool *s)
{
	s->head++;
	if (s->send < s->head)
		s->send = s->head;
	if (s->head == s->tail)
		s->wpos = 0; /* empty: start the ring over */
}

/* Whether [off, off+len) overlaps any kept record's bytes. */
static int overlaps(const struct spool *s, uint32_t off, uint32_t len)
{
	for (uint64_t q = s->head; q < s->tail; q++) {
		const struct spool_rec *r = at(s, q);
		if (off < r->off + r->len && r->off < off + len)
			return 1;
	}
	return 0;
}

int spool_push(struct spool *s, int64_t id, const void *json, uint32_t len)
{
	struct spool_rec *r;
	uint32_t off;
	if (len > s->data_size || s->max_recs == 0)
		return SPOOL_ETOOBIG;
	if (s->tail - s->head == s->max_recs) {
		drop_oldest(s);
		s->dropped++;
	}
	off = s->wpos;
	if (off + len > s->data_size)
		off = 0;
	/* Kept records are laid out in order, so the one in the way is always
	 * the oldest: drop until the range is free. */
	while (s->head < s->tail && overlaps(s, off, len)) {
		drop_oldest(s);
		s->dropped++;
		if (s->head == s->tail)
			off = 0;
	}
	memcpy(s->data + off, json, len);
	r = at(s, s->tail);
	r->id = id;
	r->acked = 0;
	r->off = off;
	r->len = len;
	s->tail++;
	s->wpos = off + len;
	return SPOOL_OK;
}

int spool_ack_id(struct spool *s, int64_t id)
{
	for (uint64_t q = s->head; q < s->send; q++) {
		struct spool_rec *r = at(s, q);
		if (!r->acked && r->id == id) {
			r->acked = 1;
			while (s->head < s->tail && at(s, s->head)->acked)
				drop_oldest(s);
			return 1;
		}
	}
	return 0;
}

uint32_t spool_drop_backlog(struct spool *s, uint32_t keep)
{
	uint32_t n = 0;
	while (s->tail - s->head > keep) {
		drop_oldest(s);
		n++;
	}
	s->dropped += n;
	return n;
}

void spool_ack_oldest(struct spool *s)
{
	if (s->head < s->tail && s->head < s->send) {
		drop_oldest(s);
		while (s->head < s->tail && s->head < s->send && at(s, s->head)->acked)
			drop_oldest(s);
	}
}

const struct spool_rec *spool_next(const struct spool *s, const uint8_t **json)
{
	const struct spool_rec *r;
	if (s->send >= s->tail)
		return NULL;
	r = at(s, s->send);
	*json = s->data + r->off;
	return r;
}

static void skip_acked(struct spool *s)
{
	while (s->send < s->tail && at(s, s->send)->acked)
		s->send++;
}

void spool_sent(struct spool *s)
{
	if (s->send < s->tail)
		s->send++;
	skip_acked(s);
}

/* Acknowledged records behind an older unacknowledged one stay marked:
 * they are not sent again. */
void spool_rewind(struct spool *s)
{
	s->send = s->head;
	skip_acked(s);
}

uint32_t spool_count(const struct spool *s)
{
	return (uint32_t)(s->tail - s->head);
}

uint32_t spool_unsent(const struct spool *s)
{
	return (uint32_t)(s->tail - s->send);
}
