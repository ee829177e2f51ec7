/* udpecho.c — UDP echo for the stability test: the datagram checks, the
 * per-source token buckets and the socket. */
#include "server/net/udpecho.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/metrics.h"

_Static_assert(UDPECHO__COUNT - 1 == sizeof(mx.udp_refused) / sizeof(mx.udp_refused[0]),
               "one refusal counter per reason");

/* The source as 16 bytes (IPv4 mapped) and its port; -1 for another family. */
static int source_of(const struct sockaddr *sa, uint8_t addr[16], unsigned *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &a->sin_addr, 4);
		*port = ntohs(a->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		memcpy(addr, &a->sin6_addr, 16);
		*port = ntohs(a->sin6_port);
		return 0;
	}
	return -1;
}

static int bind_one(int family, const struct sockaddr *sa, socklen_t salen)
{
	int fd = socket(family, SOCK_DGRAM, 0), one = 1, zero = 0;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int udpecho_open(struct udpecho *e, const char *addr, unsigned port, char *err, size_t errlen)
{
	int fd = -1;
	if (!addr || !*addr) {
		struct sockaddr_in6 a6;
		struct sockaddr_in a4;
		memset(&a6, 0, sizeof(a6));
		a6.sin6_family = AF_INET6;
		a6.sin6_addr = in6addr_any;
		a6.sin6_port = htons((uint16_t)port);
		fd = bind_one(AF_INET6, (struct sockaddr *)&a6, sizeof(a6));
		if (fd < 0 && errno != EADDRINUSE) {
			memset(&a4, 0, sizeof(a4));
			a4.sin_family = AF_INET;
			a4.sin_addr.s_addr = htonl(INADDR_ANY);
			a4.sin_port = htons((uint16_t)port);
			fd = bind_one(AF_INET, (struct sockaddr *)&a4, sizeof(a4));
		}
	} else {
		struct addrinfo hints, *res = NULL, *ai;
		char ps[16];
		int rc;
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(ps, sizeof(ps), "%u", port);
		rc = getaddrinfo(addr, ps, &hints, &res);
		if (rc != 0) {
			snprintf(err, errlen, "UDP echo: %s: %s", addr, gai_strerror(rc));
			return -1;
		}
		for (ai = res; ai && fd < 0; ai = ai->ai_next)
			fd = bind_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(res);
	}
	if (fd < 0)
		snprintf(err, errlen, "UDP echo port %u: %s", port, strerror(errno));
	e->fd = fd;
	e->port = port;
	if (fd >= 0) {
		/* port 0 binds an ephemeral one: the loop check needs the real one */
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		uint8_t a[16];
		if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
			source_of((struct sockaddr *)&me, a, &e->port);
	}
	return fd;
}

void udpecho_close(struct udpecho *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}


void udpecho_init(struct udpecho *e, unsigned rate)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->rate = rate;
}

static size_t digits(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

int udpecho_well_formed(const void *buf, size_t len)
{
	const char *p = buf;
	size_t i = 0, d;

	d = digits(p, len);
	if (d < 1 || d > 10 || d == len || p[d] != ':')
		return 0;
	i = d + 1;
	d = digits(p + i, len - i);
	if (d < 1 || d > 12)
		return 0;
	i += d;
	if (i == len)
		return 1;
	if (p[i] != '.')
		return 0;
	i++;
	d = digits(p + i, len - i);
	return d >= 1 && d <= 9 && i + d == len;
}

/* Token bucket of the source: rate per second, burst the same. A source
 * not in the table takes a free slot or the least recently seen one. */
static int take_token(struct udpecho *e, const uint8_t addr[16], uint64_t now_ms)
{
	struct udpecho_source *s = NULL, *old = &e->src[0];
	uint64_t cap = (uint64_t)e->rate * 1000;

	/* free slots have seen_ms 0: the least recent is a free one when any */
	for (int i = 0; i < UDPECHO_SOURCES; i++) {
		struct udpecho_source *x = &e->src[i];
		if (x->seen_ms && memcmp(x->addr, addr, 16) == 0) {
			s = x;
			break;
		}
		if (x->seen_ms < old->seen_ms)
			old = x;
	}
	if (!s) {
		s = old;
		memcpy(s->addr, addr, 16);
		s->milli_tokens = cap;
	} else if (now_ms > s->seen_ms) {
		/* rate tokens per 1000 ms = rate milli-tokens per ms */
		uint64_t add = (now_ms - s->seen_ms) * e->rate;
		s->milli_tokens = add >= cap - s->milli_tokens ? cap : s->milli_tokens + add;
	}
	s->seen_ms = now_ms ? now_ms : 1;
	if (s->milli_tokens < 1000)
		return 0;
	s->milli_tokens -= 1000;
	return 1;
}

enum udpecho_verdict udpecho_judge(struct udpecho *e, const struct sockaddr *from,
                                   const void *buf, size_t len, uint64_t now_ms)
{
	enum udpecho_verdict v = UDPECHO_ANSWER;
	uint8_t addr[16];
	unsigned port = 0;

	if (len > UDPECHO_MAX_LEN)
		v = UDPECHO_REF_SIZE;
	else if (source_of(from, addr, &port) != 0 || port == e->port)
		v = UDPECHO_REF_LOOP;
	else if (port < 1024)
		v = UDPECHO_REF_PRIVILEGED;
	else if (!udpecho_well_formed(buf, len))
		v = UDPECHO_REF_FORMAT;
	else if (e->rate && !take_token(e, addr, now_ms))
		v = UDPECHO_REF_RATE;
	if (v != UDPECHO_ANSWER)
		mx.udp_refused[v - 1]++;
	return v;
}

int udpecho_serve(struct udpecho *e, int max, uint64_t now_ms)
{
	/* one byte more than is ever answered: a longer datagram shows as
	 * longer (its rest is discarded by the kernel) and is refused */
	char buf[UDPECHO_MAX_LEN + 1];
	int n = 0;
	for (; n < max; n++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			break;
		if (udpecho_judge(e, (struct sockaddr *)&from, buf, (size_t)r, now_ms) != UDPECHO_ANSWER)
			continue;
		if (sendto(e->fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl) == r)
			mx.udp_echoed++;
		else
			mx.udp_errors++;
	}
	return n;
}
