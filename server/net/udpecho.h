/* udpecho.h — the UDP echo port for the agents' stability test (SPEC §2
 * UDP_TEST_PORT): every datagram goes back to its sender unchanged. */
#ifndef MONBOT_UDPECHO_H
#define MONBOT_UDPECHO_H

#include <stddef.h>

/* A non-blocking UDP socket bound to addr:port (addr NULL or "" = every
 * address, IPv6 dual-stack when available). Returns the fd or -1 with err. */
int udpecho_open(const char *addr, unsigned port, char *err, size_t errlen);
/* Echoes what is waiting (at most max datagrams). Returns how many. */
int udpecho_serve(int fd, int max);

#endif
