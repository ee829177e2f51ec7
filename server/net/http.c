/* http.c — request heads, routing and responses for the agents' port. */
#include "server/net/http.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void http_head_init(struct http_head *h)
{
	h->len = 0;
	h->scanned = 0;
}

int http_secret_valid(const char *s, size_t n)
{
	if (n == 0 || n > HTTP_SECRET_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Value of a decimal query parameter name=<digits>; -1 absent, -2 bad. */
static int64_t query_u64(const char *q, const char *name)
{
	size_t nl = strlen(name);
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t seg = amp ? (size_t)(amp - q) : strlen(q);
		if (seg > nl && strncmp(q, name, nl) == 0 && q[nl] == '=') {
			uint64_t v = 0;
			size_t i = nl + 1;
			if (i == seg)
				return -2;
			for (; i < seg; i++) {
				if (q[i] < '0' || q[i] > '9' || v > (UINT64_C(1) << 40))
					return -2;
				v = v * 10 + (uint64_t)(q[i] - '0');
			}
			return (int64_t)v;
		}
		q = amp ? amp + 1 : NULL;
	}
	return -1;
}

/* /speedtest?key=<secret>: into req->secret when well formed (else it
 * stays empty and the endpoint refuses with 403). */
static void query_key(const char *q, struct http_req *req)
{
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t seg = amp ? (size_t)(amp - q) : strlen(q);
		if (seg > 4 && strncmp(q, "key=", 4) == 0) {
			if (http_secret_valid(q + 4, seg - 4)) {
				memcpy(req->secret, q + 4, seg - 4);
				req->secret[seg - 4] = '\0';
			}
			return;
		}
		q = amp ? amp + 1 : NULL;
	}
}

void http_route(struct http_req *req)
{
	const char *t = req->head.target, *q;
	size_t plen;

	req->route = HTTP_ROUTE_ERROR;
	req->status = 404;
	req->secret[0] = '\0';
	req->bytes = 0;
	req->arch[0] = '\0';
	q = strchr(t, '?');
	plen = q ? (size_t)(q - t) : strlen(t);
	if (q)
		q++;

	if (plen > 4 && strncmp(t, "/ws/", 4) == 0) {
		int st = ws_http_check_upgrade(&req->head);
		if (st != 0) {
			req->status = st;
			return;
		}
		/* Unknown secret and a malformed one look the same to the peer. */
		if (!http_secret_valid(t + 4, plen - 4)) {
			req->status = 403;
			return;
		}
		memcpy(req->secret, t + 4, plen - 4);
		req->secret[plen - 4] = '\0';
		req->route = HTTP_ROUTE_WS;
		req->status = 101;
		return;
	}
	if (plen == 3 && strncmp(t, "/ws", 3) == 0) {
		req->status = 403;
		return;
	}
	if ((plen == 8 && strncmp(t, "/healthz", 8) == 0) ||
	    (plen == 8 && strncmp(t, "/metrics", 8) == 0)) {
		if (strcmp(req->head.method, "GET") != 0) {
			req->status = 405;
			return;
		}
		req->route = t[1] == 'h' ? HTTP_ROUTE_HEALTHZ : HTTP_ROUTE_METRICS;
		req->status = 200;
		return;
	}
	if ((plen == 11 && strncmp(t, "/install.sh", 11) == 0) ||
	    (plen > 7 && plen < 7 + sizeof(req->arch) && strncmp(t, "/agent/", 7) == 0)) {
		if (strcmp(req->head.method, "GET") != 0) {
			req->status = 405;
			return;
		}
		if (t[1] == 'a') {
			for (size_t i = 7; i < plen; i++)
				if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
					return; /* 404 */
			memcpy(req->arch, t + 7, plen - 7);
			req->arch[plen - 7] = '\0';
		}
		req->route = t[1] == 'i' ? HTTP_ROUTE_INSTALL : HTTP_ROUTE_AGENT;
		req->status = 200;
		return;
	}
	if (plen == 10 && strncmp(t, "/speedtest", 10) == 0) {
		query_key(q, req);
		if (strcmp(req->head.method, "GET") == 0) {
			int64_t n = query_u64(q, "bytes");
			if (n == -1)
				n = HTTP_SPEEDTEST_DEFAULT;
			if (n < 0 || (uint64_t)n > HTTP_SPEEDTEST_MAX) {
				req->status = 400;
				return;
			}
			req->route = HTTP_ROUTE_SPEEDTEST_DOWN;
			req->bytes = (uint64_t)n;
			req->status = 200;
			return;
		}
		if (strcmp(req->head.method, "POST") == 0) {
			if (req->head.chunked || req->head.content_length < 0) {
				req->status = 411;
				return;
			}
			if ((uint64_t)req->head.content_length > HTTP_SPEEDTEST_MAX) {
				req->status = 413;
				return;
			}
			req->route = HTTP_ROUTE_SPEEDTEST_UP;
			req->bytes = (uint64_t)req->head.content_length;
			req->status = 200;
			return;
		}
		req->status = 405;
		return;
	}
}

int http_head_feed(struct http_head *h, const void *data, size_t len, size_t *used,
                   struct http_req *req)
{
	size_t room = HTTP_HEAD_MAX - h->len, take = len < room ? len : room;
	size_t hu, from;
	int rc;

	memcpy(h->buf + h->len, data, take);
	h->len += take;
	*used = take;
	/* Only parse once a blank line can be there: a head trickled one byte
	 * at a time must not cost a full parse per byte. */
	from = h->scanned > 3 ? h->scanned - 3 : 0;
	{
		int found = 0;
		for (size_t i = from; i + 1 < h->len; i++) {
			if (h->buf[i] == '\n' && (h->buf[i + 1] == '\n' ||
			    (h->buf[i + 1] == '\r' && i + 2 < h->len && h->buf[i + 2] == '\n'))) {
				found = 1;
				break;
			}
		}
		h->scanned = h->len;
		if (!found) {
			if (h->len >= HTTP_HEAD_MAX)
				return 431;
			/* Garbage shows early: a request line is a method and a
			 * space within its first bytes (RFC 7230 §3.1.1). */
			for (size_t i = 0; i < h->len && i < 20; i++) {
				unsigned char c = (unsigned char)h->buf[i];
				if (c == ' ' && i > 0)
					return HTTP_MORE;
				if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_'))
					return 400;
			}
			return h->len >= 20 ? 400 : HTTP_MORE;
		}
	}
	rc = ws_http_parse_request(h->buf, h->len, &req->head, &hu);
	if (rc == WS_EAGAIN)
		return h->len >= HTTP_HEAD_MAX ? 431 : HTTP_MORE;
	if (rc != WS_OK)
		return rc > 0 ? rc : 400;
	http_route(req);
	return HTTP_DONE;
}

int http_response_head(int status, const char *content_type, uint64_t content_length,
                       char *out, size_t cap, size_t *out_len)
{
	int n = snprintf(out, cap,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Type: %s\r\n"
	                 "Content-Length: %llu\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "Connection: close\r\n\r\n",
	                 status, ws_http_reason(status), content_type,
	                 (unsigned long long)content_length);
	if (n < 0 || (size_t)n >= cap) {
		*out_len = 0;
		return WS_ENOSPC;
	}
	*out_len = (size_t)n;
	return WS_OK;
}

int http_response(int status, const char *content_type, const void *body, size_t body_len,
                  char *out, size_t cap, size_t *out_len)
{
	size_t hl;
	int rc = http_response_head(status, content_type, body_len, out, cap, &hl);
	if (rc != WS_OK)
		return rc;
	if (body_len > cap - hl) {
		*out_len = 0;
		return WS_ENOSPC;
	}
	memcpy(out + hl, body, body_len);
	*out_len = hl + body_len;
	return WS_OK;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int http_bearer_ok(const char *head, size_t len, const char *token)
{
	const char *v;
	size_t vl, tl = strlen(token);
	unsigned diff = 0;

	if (tl == 0 || !ws_http_header(head, len, "Authorization", &v, &vl) || vl < 7)
		return 0;
	for (size_t i = 0; i < 6; i++)
		diff |= (unsigned)(lower((unsigned char)v[i]) ^ "bearer"[i]);
	if (diff || v[6] != ' ')
		return 0;
	v += 7;
	vl -= 7;
	while (vl && *v == ' ')
		v++, vl--;
	/* time independent of where the first difference is */
	diff = vl != tl;
	for (size_t i = 0; i < tl; i++)
		diff |= (unsigned)(unsigned char)(i < vl ? v[i] : 0) ^ (unsigned char)token[i];
	return diff == 0;
}

int http_addr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const uint8_t one[16] = { [15] = 1 };
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		return memcmp(a, one, 16) == 0 || (memcmp(a, mapped, 12) == 0 && a[12] == 127);
	}
	return 0;
}
