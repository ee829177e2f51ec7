/* ws_handshake.c — the HTTP side of RFC 6455 §4: the client's GET and the
 * check of the server's 101, the server's request parser, its upgrade
 * checks (§4.2.1) and its answers. Parses only from the caller's buffer. */
#include "wire/ws.h"

#include <stdio.h>
#include <string.h>

#include "wire/base64.h"
#include "wire/sha1.h"

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_accept_key(const char *key_b64, char out[WS_ACCEPT_LEN + 1])
{
	struct sha1 s;
	uint8_t d[SHA1_LEN];

	sha1_init(&s);
	sha1_update(&s, key_b64, strlen(key_b64));
	sha1_update(&s, ws_guid, sizeof ws_guid - 1);
	sha1_final(&s, d);
	base64_encode(d, sizeof d, out, WS_ACCEPT_LEN + 1);
}

/* ---- small text helpers ---- */

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

static int is_tchar(int c)
{
	/* RFC 7230 §3.2.6 token characters */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_ows(int c)
{
	return c == ' ' || c == '\t';
}

/* Whether the comma-separated list v[0..n) holds token tok (any case). */
static int list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;
		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && is_ows(v[e - 1]))
			e--;
		if (e > s && ieq(v + s, e - s, tok))
			return 1;
	}
	return 0;
}

/* Finds the end of the head (after CRLF CRLF) within the limit. Returns the
 * head length, 0 if not complete yet, -1 if it cannot complete in time. */
static long head_end(const char *buf, size_t len)
{
	size_t lim = len < WS_HTTP_HEAD_MAX ? len : WS_HTTP_HEAD_MAX;

	for (size_t i = 3; i < lim; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return (long)(i + 1);
	return len >= WS_HTTP_HEAD_MAX ? -1 : 0;
}

/* Header line iterator over head[*pos..end): the next "Name: value" line.
 * Returns 1 with name/value set, 0 at the blank line, -1 on a malformed line
 * (no colon, space before the colon, obsolete folding, control bytes). */
static int next_header(const char *h, size_t end, size_t *pos,
                       const char **name, size_t *nlen, const char **val, size_t *vlen)
{
	size_t i = *pos, eol, c, vs, ve;

	for (eol = i; eol + 1 < end && !(h[eol] == '\r' && h[eol + 1] == '\n'); eol++)
		if (h[eol] == '\n' || h[eol] == '\r' || h[eol] == '\0')
			return -1; /* bare CR/LF or NUL inside a line */
	if (eol + 1 >= end)
		return -1;
	*pos = eol + 2;
	if (eol == i)
		return 0;
	for (c = i; c < eol && is_tchar((unsigned char)h[c]); c++)
		;
	if (c == i || c >= eol || h[c] != ':')
		return -1; /* also catches folding (line starting with space) */
	for (vs = c + 1; vs < eol && is_ows(h[vs]); vs++)
		;
	for (ve = eol; ve > vs && is_ows(h[ve - 1]); ve--)
		;
	for (size_t k = vs; k < ve; k++)
		if ((unsigned char)h[k] < 0x20 && h[k] != '\t')
			return -1;
	*name = h + i;
	*nlen = c - i;
	*val = h + vs;
	*vlen = ve - vs;
	return 1;
}

int ws_http_header(const char *head, size_t len, const char *name, const char **val,
                   size_t *vlen)
{
	size_t pos = 0, nlen, vl;
	const char *n, *v;

	while (pos + 1 < len && !(head[pos] == '\r' && head[pos + 1] == '\n'))
		pos++; /* the request line */
	pos += 2;
	while (pos < len && next_header(head, len, &pos, &n, &nlen, &v, &vl) == 1)
		if (ieq(n, nlen, name)) {
			*val = v;
			*vlen = vl;
			return 1;
		}
	return 0;
}

/* Copies v[0..n) into dst[cap] with a NUL; -1 if it does not fit. */
static int copy_field(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* A Sec-WebSocket-Key is valid when it is base64 of exactly 16 bytes. */
static int key_valid(const char *v, size_t n)
{
	uint8_t raw[18];
	size_t rl;

	return n == WS_KEY_B64_LEN && base64_decode(v, n, raw, sizeof raw, &rl) == 0 && rl == 16;
}

/* Parses a decimal number of at most 18 digits; -1 when not a number. */
static int64_t parse_dec(const char *v, size_t n)
{
	int64_t x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* "HTTP/1.x": returns x (0..9), -2 for another major version, -1 garbage. */
static int http_version(const char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return -1;
	if (v[5] != '1')
		return -2;
	return v[7] - '0';
}

/* ---- server side ---- */

int ws_http_parse_request(const char *buf, size_t len, struct ws_http_request *req,
                          size_t *used)
{
	long hl = head_end(buf, len);
	size_t end, pos, sp1, sp2, eol;
	const char *name, *val;
	size_t nlen, vlen;
	int r, hosts = 0, keys = 0;

	*used = 0;
	if (hl < 0)
		return 431;
	if (hl == 0)
		return WS_EAGAIN;
	end = (size_t)hl;
	memset(req, 0, sizeof *req);
	req->ws_version = -1;
	req->content_length = -1;
	req->head_len = end;

	/* request line: method SP target SP version CRLF (RFC 7230 §3.1.1) */
	for (eol = 0; eol + 1 < end && !(buf[eol] == '\r' && buf[eol + 1] == '\n'); eol++)
		;
	for (sp1 = 0; sp1 < eol && is_tchar((unsigned char)buf[sp1]); sp1++)
		;
	if (sp1 == 0 || sp1 >= eol || buf[sp1] != ' ' ||
	    copy_field(req->method, sizeof req->method, buf, sp1) != 0)
		return 400;
	for (sp2 = sp1 + 1; sp2 < eol && (unsigned char)buf[sp2] > 0x20 && buf[sp2] != 0x7F; sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 >= eol || buf[sp2] != ' ')
		return 400;
	if (copy_field(req->target, sizeof req->target, buf + sp1 + 1, sp2 - sp1 - 1) != 0)
		return 414;
	r = http_version(buf + sp2 + 1, eol - sp2 - 1);
	if (r == -2)
		return 505;
	if (r < 0)
		return 400;
	req->version_minor = r;

	pos = eol + 2;
	while ((r = next_header(buf, end, &pos, &name, &nlen, &val, &vlen)) == 1) {
		if (ieq(name, nlen, "host")) {
			if (hosts++ || copy_field(req->host, sizeof req->host, val, vlen) != 0)
				return 400;
		} else if (ieq(name, nlen, "upgrade")) {
			req->upgrade_websocket |= (uint8_t)list_has(val, vlen, "websocket");
		} else if (ieq(name, nlen, "connection")) {
			req->connection_upgrade |= (uint8_t)list_has(val, vlen, "upgrade");
			req->connection_close |= (uint8_t)list_has(val, vlen, "close");
		} else if (ieq(name, nlen, "sec-websocket-key")) {
			req->key_present = 1;
			req->key[0] = '\0';
			if (keys++ == 0 && key_valid(val, vlen))
				copy_field(req->key, sizeof req->key, val, vlen);
		} else if (ieq(name, nlen, "sec-websocket-version")) {
			int64_t v = parse_dec(val, vlen);
			/* a repeated or listed version is not "13" */
			req->ws_version = req->ws_version == -1 && v >= 0 && v < 1000 ? (int)v : 0;
		} else if (ieq(name, nlen, "content-length")) {
			int64_t v = parse_dec(val, vlen);
			if (v < 0 || (req->content_length >= 0 && req->content_length != v))
				return 400; /* RFC 7230 §3.3.3: invalid or conflicting */
			req->content_length = v;
		} else if (ieq(name, nlen, "transfer-encoding")) {
			req->chunked |= (uint8_t)list_has(val, vlen, "chunked");
		}
	}
	if (r < 0)
		return 400;
	if (req->chunked && req->content_length >= 0)
		return 400; /* request smuggling shape, RFC 7230 §3.3.3 */
	*used = end;
	return WS_OK;
}

int ws_http_check_upgrade(const struct ws_http_request *req)
{
	if (strcmp(req->method, "GET") != 0)
		return 405;
	if (req->version_minor < 1 || req->host[0] == '\0' || !req->upgrade_websocket ||
	    !req->connection_upgrade || req->key[0] == '\0')
		return 400;
	if (req->ws_version != 13)
		return 426;
	return 0;
}

static int emit(size_t cap, size_t *out_len, int n)
{
	if (n < 0 || (size_t)n >= cap) {
		*out_len = 0;
		return WS_ENOSPC;
	}
	*out_len = (size_t)n;
	return WS_OK;
}

int ws_server_accept_response(const struct ws_http_request *req,
                              char *out, size_t cap, size_t *out_len)
{
	char acc[WS_ACCEPT_LEN + 1];

	ws_accept_key(req->key, acc);
	return emit(cap, out_len,
	            snprintf(out, cap,
	                     "HTTP/1.1 101 Switching Protocols\r\n"
	                     "Upgrade: websocket\r\n"
	                     "Connection: Upgrade\r\n"
	                     "Sec-WebSocket-Accept: %s\r\n\r\n",
	                     acc));
}

const char *ws_http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

int ws_http_error_response(int status, char *out, size_t cap, size_t *out_len)
{
	const char *rp = ws_http_reason(status);
	const char *extra = status == 426 ? "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
	                  : status == 405 ? "Allow: GET\r\n" : "";

	if (status < 100 || status > 999)
		status = 500, rp = ws_http_reason(500);
	return emit(cap, out_len,
	            snprintf(out, cap,
	                     "HTTP/1.1 %d %s\r\n"
	                     "Content-Type: text/plain\r\n"
	                     "Content-Length: %zu\r\n"
	                     "%s"
	                     "Connection: close\r\n\r\n"
	                     "%d %s\n",
	                     status, rp, strlen(rp) + 5, extra, status, rp));
}

/* ---- client side ---- */

int ws_client_request(const char *host, unsigned port, const char *path,
                      const uint8_t nonce[16],
                      char *out, size_t cap, size_t *out_len,
                      char key_b64[WS_KEY_B64_LEN + 1])
{
	char portbuf[8] = "";
	int v6 = strchr(host, ':') != NULL;

	*out_len = 0;
	if (path[0] != '/' || port == 0 || port > 65535 || host[0] == '\0')
		return WS_EINVAL;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7F)
			return WS_EINVAL;
	for (const char *p = host; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7F || *p == '/' || *p == '[' || *p == ']')
			return WS_EINVAL;
	base64_encode(nonce, 16, key_b64, WS_KEY_B64_LEN + 1);
	if (port != 80 && port != 443)
		snprintf(portbuf, sizeof portbuf, ":%u", port);
	return emit(cap, out_len,
	            snprintf(out, cap,
	                     "GET %s HTTP/1.1\r\n"
	                     "Host: %s%s%s%s\r\n"
	                     "Upgrade: websocket\r\n"
	                     "Connection: Upgrade\r\n"
	                     "Sec-WebSocket-Key: %s\r\n"
	                     "Sec-WebSocket-Version: 13\r\n\r\n",
	                     path, v6 ? "[" : "", host, v6 ? "]" : "", portbuf, key_b64));
}

int ws_client_check_response(const char *buf, size_t len, const char *key_b64,
                             size_t *used, int *status)
{
	long hl = head_end(buf, len);
	size_t end, pos, eol;
	const char *name, *val;
	size_t nlen, vlen;
	char acc[WS_ACCEPT_LEN + 1];
	int r, upgrade = 0, connection = 0, accept_ok = 0, accepts = 0;

	*used = 0;
	*status = 0;
	if (hl < 0)
		return WS_EPROTO;
	if (hl == 0)
		return WS_EAGAIN;
	end = (size_t)hl;
	*used = end;

	/* status line: HTTP/1.x SP 3DIGIT SP reason (RFC 7230 §3.1.2) */
	for (eol = 0; eol + 1 < end && !(buf[eol] == '\r' && buf[eol + 1] == '\n'); eol++)
		;
	if (eol < 12 || http_version(buf, 8) < 0 || buf[8] != ' ' ||
	    (eol > 12 && buf[12] != ' '))
		return WS_EPROTO;
	for (int i = 9; i < 12; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return WS_EPROTO;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (*status != 101)
		return WS_EPROTO;

	ws_accept_key(key_b64, acc);
	pos = eol + 2;
	while ((r = next_header(buf, end, &pos, &name, &nlen, &val, &vlen)) == 1) {
		if (ieq(name, nlen, "upgrade"))
			upgrade |= list_has(val, vlen, "websocket");
		else if (ieq(name, nlen, "connection"))
			connection |= list_has(val, vlen, "upgrade");
		else if (ieq(name, nlen, "sec-websocket-accept"))
			accept_ok = accepts++ == 0 && vlen == WS_ACCEPT_LEN && memcmp(val, acc, vlen) == 0;
		else if ((ieq(name, nlen, "sec-websocket-extensions") ||
		          ieq(name, nlen, "sec-websocket-protocol")) && vlen > 0)
			return WS_EPROTO; /* §4.1: we asked for none */
	}
	if (r < 0 || !upgrade || !connection || !accept_ok)
		return WS_EPROTO;
	return WS_OK;
}
