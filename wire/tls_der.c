/* tls_der.c — the little DER both TLS back-ends share: finding the
 * SubjectPublicKeyInfo in a certificate (RFC 5280 §4.1), so both hash the
 * same bytes for the "spki" pin, and the SAN of the generated certificate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/conn_int.h"

/* Reads one DER TLV at p[0..n): tag, header length and content length. */
static int tlv(const uint8_t *p, size_t n, uint8_t *tag, size_t *hl, size_t *cl)
{
	size_t l, k;

	if (n < 2)
		return -1;
	*tag = p[0];
	if ((p[0] & 0x1F) == 0x1F)
		return -1; /* high tag numbers do not occur here */
	l = p[1];
	k = 2;
	if (l & 0x80) {
		size_t nb = l & 0x7F;
		if (nb == 0 || nb > 4 || n < 2 + nb)
			return -1;
		l = 0;
		for (size_t i = 0; i < nb; i++)
			l = l << 8 | p[2 + i];
		k += nb;
	}
	if (l > n - k)
		return -1;
	*hl = k;
	*cl = l;
	return 0;
}

int tls_der_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *spki_len)
{
	uint8_t tag;
	size_t hl, cl, n;
	const uint8_t *p;

	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } ... } */
	if (tlv(der, len, &tag, &hl, &cl) || tag != 0x30)
		return -1;
	p = der + hl;
	n = cl;
	if (tlv(p, n, &tag, &hl, &cl) || tag != 0x30)
		return -1;
	p += hl;
	n = cl;
	/* [0] version (optional), serialNumber, signature, issuer, validity,
	 * subject, then subjectPublicKeyInfo */
	if (n > 0 && p[0] == 0xA0) {
		if (tlv(p, n, &tag, &hl, &cl))
			return -1;
		p += hl + cl;
		n -= hl + cl;
	}
	for (int field = 0; field < 6; field++) {
		if (tlv(p, n, &tag, &hl, &cl))
			return -1;
		if (field == 5) {
			if (tag != 0x30)
				return -1;
			*spki = p;
			*spki_len = hl + cl;
			return 0;
		}
		p += hl + cl;
		n -= hl + cl;
	}
	return -1;
}

size_t tls_der_san(const char *host, uint8_t *out, size_t cap)
{
	const char *names[2] = { host, "localhost" };
	int count = strcmp(host, "localhost") == 0 ? 1 : 2;
	size_t body = 0, n = 0;

	for (int i = 0; i < count; i++)
		body += 2 + strlen(names[i]);
	/* short form lengths only: names under 128 bytes, body under 128 */
	if (body > 127 || body + 2 > cap)
		return 0;
	out[n++] = 0x30;
	out[n++] = (uint8_t)body;
	for (int i = 0; i < count; i++) {
		size_t l = strlen(names[i]);
		out[n++] = 0x82; /* [2] dNSName */
		out[n++] = (uint8_t)l;
		memcpy(out + n, names[i], l);
		n += l;
	}
	return n;
}
