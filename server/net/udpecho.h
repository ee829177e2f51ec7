/* udpecho.h — the UDP echo port for the agents' stability test (SPEC §2
 * UDP_TEST_PORT, §4 stability): a datagram goes back to its sender unchanged
 * only when it is a test datagram "<idx>:<unix_ts>" (what the agent and the
 * original's client/__main__.py send: decimal index, ':', decimal time with an
 * optional fraction), short, from an unprivileged port that is not the echo's
 * own, and within a per-source rate. Everything else is dropped and counted
 * by reason, so a spoofed source cannot make the echo loop or reflect. */
#ifndef MONBOT_UDPECHO_H
#define MONBOT_UDPECHO_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#define UDPECHO_MAX_LEN 33  /* the longest well-formed datagram: 10 + 1 + 12 + 1 + 9 */
#define UDPECHO_SOURCES 64  /* sources the rate table remembers (least recent goes) */
#define UDPECHO_RATE_DEFAULT 1100 /* per source per second: a 1 ms test (the bot offers it) and its catch-up; 1100 x 33 bytes is 36 KB/s a source, a 1:1 reflection */

enum udpecho_verdict {
	UDPECHO_ANSWER = 0,
	UDPECHO_REF_SIZE,       /* longer than UDPECHO_MAX_LEN */
	UDPECHO_REF_FORMAT,     /* not "<idx>:<ts>" */
	UDPECHO_REF_LOOP,       /* from the echo's own port (itself, another echo) */
	UDPECHO_REF_PRIVILEGED, /* source port < 1024 (echo, chargen, DNS...) */
	UDPECHO_REF_RATE,       /* over the source's rate */
	UDPECHO__COUNT
};

struct udpecho_source {
	uint8_t addr[16];       /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	uint64_t seen_ms;       /* last datagram; 0 = free slot */
	uint64_t milli_tokens;  /* token bucket, 1000 per datagram */
};

struct udpecho {
	int fd;
	unsigned port;          /* the echo's own port */
	unsigned rate;          /* datagrams per source per second, burst the same; 0 = no limit */
	struct udpecho_source src[UDPECHO_SOURCES];
};

/* fd -1, no limit until udpecho_open. */
void udpecho_init(struct udpecho *e, unsigned rate);
/* Binds a non-blocking UDP socket to addr:port (addr NULL or "" = every
 * address, IPv6 dual-stack when available). Returns the fd or -1 with err. */
int udpecho_open(struct udpecho *e, const char *addr, unsigned port, char *err, size_t errlen);
void udpecho_close(struct udpecho *e);
/* 1 when buf[0..len) is "<idx>:<ts>": 1..10 digits, ':', 1..12 digits,
 * optionally '.' and 1..9 digits, nothing else. */
int udpecho_well_formed(const void *buf, size_t len);
/* The verdict for a datagram of len bytes (buf holds at least
 * min(len, UDPECHO_MAX_LEN)) from `from` at now_ms; a refusal is counted in
 * mx.udp_refused[verdict - 1], an answer takes a token. */
enum udpecho_verdict udpecho_judge(struct udpecho *e, const struct sockaddr *from,
                                   const void *buf, size_t len, uint64_t now_ms);
/* Echoes what is waiting (at most max datagrams) at now_ms. Returns how
 * many were read. */
int udpecho_serve(struct udpecho *e, int max, uint64_t now_ms);

#endif
