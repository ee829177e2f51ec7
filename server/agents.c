/* agents.c — the per-key in-memory table and result areas. */
#include "server/agents.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "wire/hex.h"
#include "wire/sha1.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void agents_init(struct agent_table *t)
{
	memset(t, 0, sizeof(*t));
}

void agents_set_id_key(struct agent_table *t, const uint8_t key[AGENT_ID_KEY_LEN])
{
	memcpy(t->id_key, key, AGENT_ID_KEY_LEN);
}

void agents_hmac_sha1(const uint8_t *key, size_t keylen, const void *msg, size_t len,
                      uint8_t out[20])
{
	uint8_t pad[64], inner[SHA1_LEN];
	struct sha1 h;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, keylen);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	sha1_init(&h);
	sha1_update(&h, pad, sizeof(pad));
	sha1_update(&h, msg, len);
	sha1_final(&h, inner);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	sha1_init(&h);
	sha1_update(&h, pad, sizeof(pad));
	sha1_update(&h, inner, sizeof(inner));
	sha1_final(&h, out);
}

static int key_read(int fd, uint8_t key[AGENT_ID_KEY_LEN])
{
	char b[2 * AGENT_ID_KEY_LEN + 2];
	ssize_t n = read(fd, b, sizeof(b));
	if (n < 2 * AGENT_ID_KEY_LEN || (n > 2 * AGENT_ID_KEY_LEN && b[2 * AGENT_ID_KEY_LEN] != '\n') ||
	    n == (ssize_t)sizeof(b))
		return -1;
	return hex_decode(b, 2 * AGENT_ID_KEY_LEN, key, AGENT_ID_KEY_LEN);
}

static int key_make(const char *path, uint8_t key[AGENT_ID_KEY_LEN])
{
	static const char hx[] = "0123456789abcdef";
	char b[2 * AGENT_ID_KEY_LEN + 1];
	int fd, rc = -1;

	if (getrandom(key, AGENT_ID_KEY_LEN, 0) != AGENT_ID_KEY_LEN)
		return -1;
	for (int i = 0; i < AGENT_ID_KEY_LEN; i++) {
		b[2 * i] = hx[key[i] >> 4];
		b[2 * i + 1] = hx[key[i] & 15];
	}
	b[2 * AGENT_ID_KEY_LEN] = '\n';
	/* exclusively and 0600 from the first byte: never through a link */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, b, sizeof(b)) == (ssize_t)sizeof(b) && fsync(fd) == 0)
		rc = 0;
	close(fd);
	if (rc != 0)
		unlink(path);
	return rc;
}

int agents_id_key_load(const char *path, uint8_t key[AGENT_ID_KEY_LEN], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
	if (fd < 0 && errno == ENOENT) {
		if (key_make(path, key) == 0)
			return 0;
		snprintf(err, errlen, "METRICS_ID_KEY %s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "METRICS_ID_KEY %s: %s", path, strerror(errno));
		return -1;
	}
	rc = key_read(fd, key);
	close(fd);
	if (rc != 0)
		snprintf(err, errlen, "METRICS_ID_KEY %s: not %d hex digits", path, 2 * AGENT_ID_KEY_LEN);
	return rc;
}

static void agent_free(struct agent *a)
{
	free(a->text);
	free(a->diag);
	free(a->oneshot);
	free(a->fleet);
	free(a->stab.rtts);
	free(a);
}

void agents_free(struct agent_table *t)
{
	struct agent *a = t->all;
	while (a) {
		struct agent *n = a->next;
		agent_free(a);
		a = n;
	}
	memset(t, 0, sizeof(*t));
}

struct agent *agents_find(struct agent_table *t, const char *secret)
{
	struct agent *a = t->bucket[fnv1a(secret) % AGENT_HASH_SIZE];
	for (; a; a = a->hnext)
		if (strcmp(a->secret, secret) == 0)
			return a;
	return NULL;
}

struct agent *agents_get(struct agent_table *t, const char *secret)
{
	struct agent *a = agents_find(t, secret);
	size_t b;

	if (a)
		return a;
	if (strlen(secret) > STORE_SECRET_MAX)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	strcpy(a->secret, secret);
	/* A label must not be a fingerprint of the secret: keyed with the
	 * server's own key, so only this server can tie it to a key. */
	{
		uint8_t mac[SHA1_LEN];
		agents_hmac_sha1(t->id_key, sizeof(t->id_key), secret, strlen(secret), mac);
		for (int i = 0; i < 8; i++)
			snprintf(a->id + 2 * i, 3, "%02x", mac[i]);
	}
	a->stab.start_ts = NAN;
	for (int i = 0; i < SK__COUNT; i++)
		a->latest[i] = NAN;
	a->latest_load1 = a->latest_disk_pct = NAN;
	b = fnv1a(secret) % AGENT_HASH_SIZE;
	a->hnext = t->bucket[b];
	t->bucket[b] = a;
	a->next = t->all;
	if (t->all)
		t->all->prev = a;
	t->all = a;
	t->n++;
	return a;
}

void agents_remove(struct agent_table *t, struct agent *a)
{
	struct agent **pp = &t->bucket[fnv1a(a->secret) % AGENT_HASH_SIZE];
	while (*pp && *pp != a)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = a->hnext;
	if (a->prev)
		a->prev->next = a->next;
	else
		t->all = a->next;
	if (a->next)
		a->next->prev = a->prev;
	t->stab_total -= a->stab.n;
	t->n--;
	agent_free(a);
}

size_t agents_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;
	if (len <= max)
		return len;
	n = max;
	/* back off continuation bytes, then the lead byte of the cut char */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static int set_copy(char **dst, const char *s, size_t len, size_t max)
{
	size_t n = agents_utf8_cut(s, len, max);
	char *p = malloc(n + 1);
	if (!p)
		return -1;
	memcpy(p, s, n);
	p[n] = '\0';
	free(*dst);
	*dst = p;
	return 0;
}

int agents_set_text(struct agent *a, const char *text, size_t len, int64_t now)
{
	if (set_copy(&a->text, text, len, AGENT_TEXT_MAX) != 0)
		return -1;
	a->text_ts = now;
	return 0;
}

int agents_set_diag(struct agent *a, const char *text, size_t len, int ok, int64_t now)
{
	if (set_copy(&a->diag, text, len, AGENT_DIAG_MAX) != 0)
		return -1;
	a->diag_ok = ok;
	a->has_diag = 1;
	a->diag_ts = now;
	return 0;
}

int agents_set_oneshot(struct agent *a, const struct sample *s, int64_t now)
{
	if (!a->oneshot) {
		a->oneshot = malloc(sizeof(*a->oneshot));
		if (!a->oneshot)
			return -1;
	}
	*a->oneshot = *s;
	a->oneshot_ts = now;
	return 0;
}

int agents_fleet_any(const struct fleet *f)
{
	return f->has_containers || f->has_units || f->has_smart || f->has_ups || f->has_custom;
}

int agents_set_fleet(struct agent *a, const struct fleet *f, int64_t ts)
{
	if (!a->fleet && !(a->fleet = malloc(sizeof(*a->fleet))))
		return -1;
	*a->fleet = *f;
	a->fleet_ts = ts;
	return 0;
}

void agents_set_latest(struct agent *a, const struct sample *s, int64_t ts)
{
	double dmax = NAN;
	a->has_latest = 1;
	a->latest_ts = ts;
	memcpy(a->latest, s->v, sizeof(a->latest));
	a->latest_load1 = s->load[0];
	for (int i = 0; i < s->ndisks; i++)
		if (!isnan(s->disks[i].percent) && (isnan(dmax) || s->disks[i].percent > dmax))
			dmax = s->disks[i].percent;
	if (s->has_disks && s->ndisks > 0)
		a->latest_disk_pct = dmax;
}

int agents_stab_add(struct agent_table *t, struct agent *a, double start_ts,
                   unsigned interval_ms, const float *rtts, size_t n, int done,
                   const char *error, int64_t now)
{
	struct agent_stability *st = &a->stab;
	size_t room, take;

	if (isnan(st->start_ts) || start_ts != st->start_ts) {
		t->stab_total -= st->n;
		st->n = 0;
		st->dropped = 0;
		st->done = 0;
		st->error[0] = '\0';
		st->start_ts = start_ts;
		st->interval_ms = interval_ms;
	}
	st->updated = now;
	if (done)
		st->done = 1;
	if (error && *error)
		snprintf(st->error, sizeof(st->error), "%s", error);
	room = AGENT_STAB_MAX - st->n;
	if (t->stab_total < AGENT_STAB_TOTAL && AGENT_STAB_TOTAL - t->stab_total < room)
		room = AGENT_STAB_TOTAL - t->stab_total;
	else if (t->stab_total >= AGENT_STAB_TOTAL)
		room = 0;
	take = n < room ? n : room;
	st->dropped += n - take;
	if (take == 0)
		return 0;
	if (st->n + take > st->cap) {
		size_t nc = st->cap ? st->cap : 1024;
		float *nr;
		while (nc < st->n + take)
			nc *= 2;
		if (nc > AGENT_STAB_MAX)
			nc = AGENT_STAB_MAX;
		nr = realloc(st->rtts, nc * sizeof(*nr));
		if (!nr)
			return -1;
		st->rtts = nr;
		st->cap = nc;
	}
	memcpy(st->rtts + st->n, rtts, take * sizeof(*rtts));
	st->n += take;
	t->stab_total += take;
	return 0;
}

int agents_host_seen(struct agent *a, const char *hostname)
{
	if (!hostname[0])
		return 0;
	if (!a->hostname[0] || a->nconns <= 1) {
		snprintf(a->hostname, sizeof(a->hostname), "%s", hostname);
		return 0;
	}
	if (!strcmp(a->hostname, hostname) || !strcmp(a->other_host, hostname))
		return 0;
	snprintf(a->other_host, sizeof(a->other_host), "%s", hostname);
	return 1;
}
