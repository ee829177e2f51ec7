/* tls_pin.c — trust on first use for the agent (SPEC §4): reads, checks and
 * rewrites the pin file {"fp": "<64 hex>", "spki": "<64 hex>"}. No TLS
 * library here; the hashes come from conn_peer_hashes(). */
#include "wire/tls_pin.h"

#include "wire/hex.h"
#include "port/port.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PIN_FILE_MAX 4096

__attribute__((format(printf, 3, 4)))
static void msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void tls_pin_hex(const uint8_t h[32], char out[65])
{
	static const char d[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = d[h[i] >> 4];
		out[2 * i + 1] = d[h[i] & 15];
	}
	out[64] = '\0';
}

/* ---- the file's JSON: one object, string keys, values skipped unless ours */

struct rd {
	const char *s;
	size_t n, i;
};

static void ws_skip(struct rd *r)
{
	while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' ||
	                       r->s[r->i] == '\n' || r->s[r->i] == '\r'))
		r->i++;
}

/* A JSON string; *p and *len give its raw content (escapes left in place). */
static int str(struct rd *r, const char **p, size_t *len)
{
	if (r->i >= r->n || r->s[r->i] != '"')
		return -1;
	r->i++;
	*p = r->s + r->i;
	while (r->i < r->n && r->s[r->i] != '"') {
		if ((unsigned char)r->s[r->i] < 0x20)
			return -1;
		if (r->s[r->i] == '\\') {
			r->i++;
			if (r->i >= r->n)
				return -1;
		}
		r->i++;
	}
	if (r->i >= r->n)
		return -1;
	*len = (size_t)(r->s + r->i - *p);
	r->i++;
	return 0;
}

/* Skips any JSON value (nesting bounded by depth). */
static int skip_value(struct rd *r, int depth)
{
	const char *p;
	size_t l;

	ws_skip(r);
	if (r->i >= r->n || depth > 16)
		return -1;
	switch (r->s[r->i]) {
	case '"':
		return str(r, &p, &l);
	case '{':
	case '[': {
		char close = r->s[r->i] == '{' ? '}' : ']';
		int obj = close == '}';
		r->i++;
		ws_skip(r);
		if (r->i < r->n && r->s[r->i] == close) {
			r->i++;
			return 0;
		}
		for (;;) {
			if (obj) {
				ws_skip(r);
				if (str(r, &p, &l) != 0)
					return -1;
				ws_skip(r);
				if (r->i >= r->n || r->s[r->i++] != ':')
					return -1;
			}
			if (skip_value(r, depth + 1) != 0)
				return -1;
			ws_skip(r);
			if (r->i >= r->n)
				return -1;
			if (r->s[r->i] == close) {
				r->i++;
				return 0;
			}
			if (r->s[r->i++] != ',')
				return -1;
		}
	}
	default: {
		/* number or literal: a run of their characters */
		size_t st = r->i;
		while (r->i < r->n && strchr("0123456789+-.eEtruefalsn", r->s[r->i]) && r->s[r->i])
			r->i++;
		return r->i > st ? 0 : -1;
	}
	}
}

static int unhex_32(const char *p, size_t len, uint8_t out[32])
{
	return hex_decode(p, len, out, 32);
}

int tls_pin_parse(const char *s, size_t n, uint8_t fp[32], int *has_fp,
                  uint8_t spki[32], int *has_spki)
{
	struct rd r = { s, n, 0 };
	const char *k, *v;
	size_t kl, vl;

	*has_fp = *has_spki = 0;
	ws_skip(&r);
	if (r.i >= n || s[r.i++] != '{')
		return TLS_PIN_EPARSE;
	ws_skip(&r);
	if (r.i < n && s[r.i] == '}') {
		r.i++;
		goto end;
	}
	for (;;) {
		int which;
		ws_skip(&r);
		if (str(&r, &k, &kl) != 0)
			return TLS_PIN_EPARSE;
		ws_skip(&r);
		if (r.i >= n || s[r.i++] != ':')
			return TLS_PIN_EPARSE;
		ws_skip(&r);
		which = kl == 2 && memcmp(k, "fp", 2) == 0     ? 1
		      : kl == 4 && memcmp(k, "spki", 4) == 0 ? 2
		                                             : 0;
		if (which) {
			int *has = which == 1 ? has_fp : has_spki;
			if (*has || str(&r, &v, &vl) != 0 || unhex_32(v, vl, which == 1 ? fp : spki) != 0)
				return TLS_PIN_EPARSE; /* repeated, not a string, not 64 hex */
			*has = 1;
		} else if (skip_value(&r, 0) != 0) {
			return TLS_PIN_EPARSE;
		}
		ws_skip(&r);
		if (r.i >= n)
			return TLS_PIN_EPARSE;
		if (s[r.i] == '}') {
			r.i++;
			break;
		}
		if (s[r.i++] != ',')
			return TLS_PIN_EPARSE;
	}
end:
	ws_skip(&r);
	return r.i == n ? 0 : TLS_PIN_EPARSE;
}

/* Reads the whole file; 1 if it does not exist, 0 read, <0 error. */
static int read_file(const char *path, char *buf, size_t cap, size_t *len, int *err_no)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0) {
		*err_no = errno;
		return errno == ENOENT ? 1 : TLS_PIN_EIO;
	}
	for (;;) {
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			*err_no = errno;
			close(fd);
			return TLS_PIN_EIO;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n == cap) {
			close(fd);
			return TLS_PIN_EPARSE; /* far too big for a pin file */
		}
	}
	close(fd);
	*len = n;
	return 0;
}

/* Writes both hashes to path through an exclusive temporary file (port.h)
 * and rename: 0600 when new, the old file's mode kept. */
static int write_pin(const char *path, const uint8_t cert[32], const uint8_t spki[32], int *err_no)
{
	char fh[65], sh[65], body[200];
	struct port_file f;
	int n, rc;

	tls_pin_hex(cert, fh);
	tls_pin_hex(spki, sh);
	n = snprintf(body, sizeof body, "{\"fp\": \"%s\", \"spki\": \"%s\"}\n", fh, sh);
	*err_no = 0;
	rc = port_file_begin(&f, path, 0600, 0, err_no);
	if (rc == PORT_ENOSPC)
		*err_no = ENAMETOOLONG;
	if (rc != PORT_OK)
		return TLS_PIN_EIO;
	if (port_file_write(&f, body, (size_t)n, err_no) != PORT_OK) {
		port_file_abort(&f);
		return TLS_PIN_EIO;
	}
	return port_file_commit(&f, err_no) == PORT_OK ? 0 : TLS_PIN_EIO;
}

int tls_pin_check(const char *path, enum conn_verify mode,
                  const uint8_t cert_sha256[32], const uint8_t spki_sha256[32],
                  char *err, size_t errlen)
{
	char buf[PIN_FILE_MAX], fh[65], sh[65], ofh[65], osh[65];
	uint8_t fp[32], spki[32];
	int has_fp, has_spki, e = 0, rc;
	size_t len = 0;

	if (mode != CONN_VERIFY_PIN) {
		msg(err, errlen, "certificate pinning off (%s)", mode == CONN_VERIFY_FORCE ? "force" : "0");
		return TLS_PIN_SKIPPED;
	}
	tls_pin_hex(cert_sha256, fh);
	tls_pin_hex(spki_sha256, sh);
	rc = read_file(path, buf, sizeof buf, &len, &e);
	if (rc == 1) {
		if (write_pin(path, cert_sha256, spki_sha256, &e) != 0) {
			msg(err, errlen, "cannot write pin file %s: %s", path, strerror(e));
			return TLS_PIN_EIO;
		}
		msg(err, errlen, "first connection: pinned server certificate %s (key %s) in %s", fh, sh, path);
		return TLS_PIN_CREATED;
	}
	if (rc == TLS_PIN_EIO) {
		msg(err, errlen, "cannot read pin file %s: %s", path, strerror(e));
		return TLS_PIN_EIO;
	}
	if (rc != 0 || tls_pin_parse(buf, len, fp, &has_fp, spki, &has_spki) != 0 || !has_fp) {
		msg(err, errlen, "pin file %s is not {\"fp\": \"<64 hex>\", \"spki\": \"<64 hex>\"}; "
		    "delete it and restart the agent to pin the server again", path);
		return TLS_PIN_EPARSE;
	}
	tls_pin_hex(fp, ofh);
	if (has_spki)
		tls_pin_hex(spki, osh);
	if (memcmp(fp, cert_sha256, 32) == 0 && (!has_spki || memcmp(spki, spki_sha256, 32) == 0)) {
		if (has_spki) {
			msg(err, errlen, "server certificate matches the pin in %s", path);
			return TLS_PIN_MATCH;
		}
		if (write_pin(path, cert_sha256, spki_sha256, &e) != 0) {
			msg(err, errlen, "cannot update pin file %s: %s", path, strerror(e));
			return TLS_PIN_EIO;
		}
		msg(err, errlen, "server certificate matches the pin in %s; added its key %s", path, sh);
		return TLS_PIN_UPGRADED;
	}
	if (has_spki && memcmp(spki, spki_sha256, 32) == 0) {
		if (write_pin(path, cert_sha256, spki_sha256, &e) != 0) {
			msg(err, errlen, "cannot update pin file %s: %s", path, strerror(e));
			return TLS_PIN_EIO;
		}
		msg(err, errlen, "server certificate renewed with the same key %s: re-pinned %s in %s",
		    sh, fh, path);
		return TLS_PIN_REPINNED;
	}
	msg(err, errlen,
	    "the server's certificate does not match the one pinned in %s "
	    "(pinned %s%s%s, now %s with key %s). If the server was reinstalled or its key "
	    "changed on purpose, delete %s and restart the agent; otherwise someone may be "
	    "intercepting the connection.",
	    path, has_spki ? "key " : "certificate ", has_spki ? osh : ofh,
	    has_spki ? "" : " (old file without a key pin)", fh, sh, path);
	return TLS_PIN_EMISMATCH;
}
