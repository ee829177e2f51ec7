/* fuzz_ws_http.c — the handshake parsers: the server's request parser and
 * upgrade checks (first byte even) and the client's check of the 101
 * answer (odd). A head must parse the same from a longer buffer, and
 * whatever is accepted must produce a well-formed answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void server(const char *buf, size_t n)
{
	struct ws_http_request req, req2;
	size_t used = 0, used2 = 0, olen;
	char out[512];
	int rc = ws_http_parse_request(buf, n, &req, &used), rc2;

	check(rc == WS_EAGAIN || rc == WS_OK || (rc >= 400 && rc <= 505));
	if (rc == WS_OK) {
		int st;
		check(used == req.head_len && used <= n && used >= 4);
		check(memcmp(buf + used - 4, "\r\n\r\n", 4) == 0);
		check(strlen(req.method) > 0 && strlen(req.target) > 0);
		/* the head alone parses the same */
		rc2 = ws_http_parse_request(buf, used, &req2, &used2);
		check(rc2 == WS_OK && used2 == used && memcmp(&req, &req2, sizeof req) == 0);
		st = ws_http_check_upgrade(&req);
		check(st == 0 || st == 400 || st == 405 || st == 426);
		if (st == 0) {
			check(strlen(req.key) == WS_KEY_B64_LEN);
			check(ws_server_accept_response(&req, out, sizeof out, &olen) == WS_OK);
			check(olen == strlen(out));
		} else {
			check(ws_http_error_response(st, out, sizeof out, &olen) == WS_OK);
		}
	} else if (rc != WS_EAGAIN) {
		check(ws_http_error_response(rc, out, sizeof out, &olen) == WS_OK);
	}
}

static void client(const char *buf, size_t n)
{
	size_t used = 0;
	int status = -1;
	int rc = ws_client_check_response(buf, n, "dGhlIHNhbXBsZSBub25jZQ==", &used, &status);

	check(rc == WS_OK || rc == WS_EAGAIN || rc == WS_EPROTO);
	check(used <= n);
	check(status >= 0 && status <= 999);
	if (rc == WS_OK)
		check(status == 101 && used >= 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size < 1)
		return 0;
	/* an exact-size copy so reads past the end are caught */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		client(buf, size - 1);
	else
		server(buf, size - 1);
	free(buf);
	return 0;
}
