/* sockaddr.c — socket addresses, the same code for every port with BSD
 * sockets (port/posix for Linux and FreeBSD, port/windows over Winsock):
 * parsing a numeric address and comparing two. */
#include "port/port.h"

#include <string.h>
#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

int port_addr_parse(const char *host, unsigned port, struct port_addr *a)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)a->u.b;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)a->u.b;
	memset(a, 0, sizeof(*a));
	if (!host || port == 0 || port > 65535)
		return PORT_EPARSE;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*s4);
		return PORT_OK;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*s6);
		return PORT_OK;
	}
	memset(a, 0, sizeof(*a));
	return PORT_EPARSE;
}

/* Family, 16-byte address (IPv4 as ::ffff:a.b.c.d) and port; -1 otherwise. */
static int addr_key(const struct port_addr *a, unsigned char key[16], unsigned *port)
{
	const struct sockaddr *sa = (const struct sockaddr *)(const void *)a->u.b;
	if (a->len >= sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)a->u.b;
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (a->len >= sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)a->u.b;
		memcpy(key, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

int port_addr_equal(const struct port_addr *a, const struct port_addr *b)
{
	unsigned char ka[16], kb[16];
	unsigned pa, pb;
	if (addr_key(a, ka, &pa) < 0 || addr_key(b, kb, &pb) < 0)
		return 0;
	return pa == pb && memcmp(ka, kb, 16) == 0;
}
