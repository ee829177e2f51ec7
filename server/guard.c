/* guard.c — refused keys counted per source in a fixed window (guard.h). */
#include "server/guard.h"

#include <stdio.h>
#include <string.h>

#include "server/log.h"

void guard_init(struct guard *g, unsigned limit)
{
	memset(g, 0, sizeof(*g));
	g->limit = limit;
}

/* Closes a window that is over, saying what it held back. */
static void roll(struct guard_src *s, uint64_t now)
{
	if (!s->addr[0] || now - s->since < GUARD_WINDOW_MS)
		return;
	if (s->blocked)
		log_warn("key guessing from %s: %u request(s) answered 429 in the last %u s", s->addr,
		         s->blocked, GUARD_WINDOW_MS / 1000);
	s->since = now;
	s->refused = s->blocked = 0;
}

static struct guard_src *find(struct guard *g, const char *addr, uint64_t now, int add)
{
	struct guard_src *free_s = NULL, *stale = &g->src[0];

	for (int i = 0; i < GUARD_SLOTS; i++) {
		struct guard_src *s = &g->src[i];
		if (s->addr[0] && strcmp(s->addr, addr) == 0) {
			roll(s, now);
			return s;
		}
		if (!s->addr[0] && !free_s)
			free_s = s;
		else if (s->addr[0] && s->since < stale->since)
			stale = s;
	}
	if (!add)
		return NULL;
	if (!free_s) {
		roll(stale, now + GUARD_WINDOW_MS); /* its summary, if any */
		free_s = stale;
	}
	memset(free_s, 0, sizeof(*free_s));
	snprintf(free_s->addr, sizeof free_s->addr, "%s", addr);
	free_s->since = now;
	return free_s;
}

int guard_blocked(struct guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_src *s;

	if (!g->limit || !(s = find(g, addr, now_ms, 0)) || s->refused < g->limit)
		return 0;
	s->blocked++;
	return 1;
}

void guard_refused(struct guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_src *s;

	if (!g->limit) {
		log_info("refused /ws/ from %s with an unknown key (403)", addr);
		return;
	}
	s = find(g, addr, now_ms, 1);
	s->refused++;
	if (s->refused <= g->limit)
		log_info("refused /ws/ from %s with an unknown key (403)", addr);
	if (s->refused == g->limit)
		log_warn("key guessing from %s: %u keys refused within %u s; its /ws/ requests get 429 "
		         "for the rest of the minute", addr, s->refused, GUARD_WINDOW_MS / 1000);
}
