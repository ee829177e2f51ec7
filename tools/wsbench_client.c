/* wsbench_client.c — the smallest agent-like client: TLS on a static arena,
 * the WebSocket handshake, one text message. Built static and stripped by
 * tools/wsbench.sh, its size is what the wire layer and the TLS library add
 * to an agent with each back-end.  usage: wsbench_client <port> [tls] */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "wire/conn.h"
#include "wire/tls_pin.h"
#include "wire/ws.h"

static uint8_t arena[256 << 10];

static int io(struct conn *c, int rc)
{
	struct pollfd p = { conn_fd(c), (short)(conn_want(c) & CONN_WANT_WRITE ? POLLOUT : POLLIN), 0 };
	if (rc == CONN_EAGAIN)
		poll(&p, 1, 1000);
	return rc == CONN_EAGAIN;
}

int main(int argc, char **argv)
{
	struct conn_tls *t = NULL;
	struct conn c;
	struct port_addr ss;
	struct ws ws;
	uint8_t nonce[16], fp[32], spki[32], buf[1024];
	char req[512], key[WS_KEY_B64_LEN + 1], err[600];
	size_t n, have = 0, used;
	int rc, st;

	if (argc < 2 || conn_tls_arena_init(arena, sizeof arena) != CONN_OK)
		return 2;
	if (argc > 2 && conn_tls_client_new(&t, CONN_VERIFY_PIN, NULL, err, sizeof err) != CONN_OK)
		return 1;
	conn_init(&c);
	if (conn_resolve("127.0.0.1", (unsigned)atoi(argv[1]), &ss, err, sizeof err) != CONN_OK ||
	    conn_connect(&c, t, &ss, "localhost") != CONN_OK)
		return 1;
	while (io(&c, rc = conn_handshake(&c)))
		;
	if (rc != CONN_OK)
		return 1;
	if (t && (conn_peer_hashes(&c, fp, spki) != CONN_OK ||
	          tls_pin_check("/dev/null/pin", CONN_VERIFY_NONE, fp, spki, err, sizeof err) < 0))
		return 3;
	conn_random(NULL, nonce, sizeof nonce);
	ws_client_request("localhost", 8000, "/ws/x", nonce, req, sizeof req, &n, key);
	for (size_t off = 0; off < n;) {
		ssize_t w = conn_write(&c, req + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else if (!io(&c, (int)w))
			return 1;
	}
	do {
		ssize_t r = conn_read(&c, buf + have, sizeof buf - have);
		if (r > 0)
			have += (size_t)r;
		else if (!io(&c, (int)r))
			return 1;
	} while ((rc = ws_client_check_response((char *)buf, have, key, &used, &st)) == WS_EAGAIN);
	if (rc != WS_OK)
		return 4;
	ws_init(&ws, WS_ROLE_CLIENT, 0, conn_random, NULL);
	ws_frame_encode(&ws, WS_OP_TEXT, 1, "{}", 2, buf, sizeof buf, &n);
	conn_write(&c, buf, n);
	conn_close(&c);
	conn_tls_free(t);
	return 0;
}
