/* fuzz_tls_pin.c — the pin file reader (first byte even) and the DER walk
 * that finds a certificate's public key for the "spki" pin (odd). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/conn_int.h"
#include "wire/tls_pin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf, fp[32], spki[32];
	int hf = -1, hs = -1;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1) {
		const uint8_t *k = NULL;
		size_t kl = 0;
		if (tls_der_spki(buf, size - 1, &k, &kl) == 0 &&
		    !(k >= buf && kl >= 2 && k + kl <= buf + size - 1 && k[0] == 0x30))
			__builtin_trap();
	} else {
		int rc = tls_pin_parse((const char *)buf, size - 1, fp, &hf, spki, &hs);
		if (rc != 0 && rc != TLS_PIN_EPARSE)
			__builtin_trap();
		if (rc == 0 && (hf < 0 || hf > 1 || hs < 0 || hs > 1))
			__builtin_trap();
	}
	free(buf);
	return 0;
}
