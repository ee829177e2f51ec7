/* udp.c — port.h's UDP socket for the stability test over POSIX sockets,
 * shared by the Linux and BSD ports: one unconnected datagram socket, the
 * reply's source handed up so the caller can refuse strangers. */
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int port_udp_open(const struct port_addr *to, int *fd, int *os_err)
{
	const struct sockaddr *sa = (const struct sockaddr *)(const void *)to->u.b;
	int fl;

	*fd = -1;
	if (to->len == 0) {
		*os_err = EINVAL;
		return PORT_EIO;
	}
	*fd = socket(sa->sa_family, SOCK_DGRAM, 0);
	if (*fd < 0) {
		*os_err = errno;
		return PORT_EIO;
	}
	fl = fcntl(*fd, F_GETFL, 0);
	if (fl < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(*fd, F_SETFD, FD_CLOEXEC) < 0) {
		*os_err = errno;
		close(*fd);
		*fd = -1;
		return PORT_EIO;
	}
	return PORT_OK;
}

int port_udp_send(int fd, const struct port_addr *to, const void *buf, size_t len, int *os_err)
{
	ssize_t r;
	do
		r = sendto(fd, buf, len, 0, (const struct sockaddr *)(const void *)to->u.b, (socklen_t)to->len);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return PORT_OK; /* a datagram goes whole or not at all */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return PORT_EAGAIN;
	*os_err = errno;
	return PORT_EIO;
}

int port_udp_recv(int fd, void *buf, size_t cap, size_t *n, struct port_addr *from, int *os_err)
{
	socklen_t fl = sizeof(from->u.b);
	ssize_t r;

	*n = 0;
	memset(from, 0, sizeof(*from));
	do
		r = recvfrom(fd, buf, cap, 0, (struct sockaddr *)(void *)from->u.b, &fl);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return PORT_EAGAIN;
		*os_err = errno;
		return PORT_EIO;
	}
	*n = (size_t)r;
	from->len = fl < sizeof(from->u.b) ? fl : sizeof(from->u.b);
	return PORT_OK;
}
