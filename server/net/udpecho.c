/* udpecho.c — UDP echo for the stability test. */
#include "server/net/udpecho.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/metrics.h"

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

int udpecho_open(const char *addr, unsigned port, char *err, size_t errlen)
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
	return fd;
}

int udpecho_serve(int fd, int max)
{
	char buf[65536];
	int n = 0;
	for (; n < max; n++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			break;
		if (sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl) == r)
			mx.udp_echoed++;
		else
			mx.udp_errors++;
	}
	return n;
}
