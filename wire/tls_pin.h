/* tls_pin.h — the agent's trust-on-first-use pin file (SPEC §4,
 * AGENT_FP_FILE): {"fp": "<64 hex>", "spki": "<64 hex>"}, fp being the
 * SHA-256 of the server certificate's DER (the original agent's file, which
 * had only fp) and spki the SHA-256 of its public key. Pure file logic, no
 * TLS library: the hashes come from conn_peer_hashes(). */
#ifndef MONBOT_TLS_PIN_H
#define MONBOT_TLS_PIN_H

#include <stddef.h>
#include <stdint.h>

#include "wire/conn.h"

/* Results of tls_pin_check(): >= 0 the connection may be used. */
#define TLS_PIN_MATCH      0    /* fp (and spki when present) match */
#define TLS_PIN_CREATED    1    /* no file: pinned now (first use) */
#define TLS_PIN_REPINNED   2    /* new certificate, same key: file rewritten */
#define TLS_PIN_UPGRADED   3    /* old fp-only file matched: spki added */
#define TLS_PIN_SKIPPED    4    /* mode is not CONN_VERIFY_PIN: file unused */
#define TLS_PIN_EMISMATCH (-1)  /* a different key: refuse; the agent exits 3
                                   and err says to delete the file */
#define TLS_PIN_EPARSE    (-2)  /* the file is garbled: refuse, err says so */
#define TLS_PIN_EIO       (-3)  /* the file could not be read or written */

/* Checks the server's hashes against the pin file at path and updates it
 * (written whole to a temporary file and renamed, mode 0600). Rules:
 *  - no file: write both hashes, TLS_PIN_CREATED;
 *  - fp matches: TLS_PIN_MATCH (TLS_PIN_UPGRADED after adding a missing spki);
 *  - fp differs, spki present and equal: TLS_PIN_REPINNED;
 *  - otherwise (different key, or fp-only file with another certificate):
 *    TLS_PIN_EMISMATCH with a message naming the file and telling to delete
 *    it if the server's key was changed on purpose.
 * Hex is read in either case and written lower-case. err gets a message for
 * every code (also for the positive ones, for the log); may be NULL. */
int tls_pin_check(const char *path, enum conn_verify mode,
                  const uint8_t cert_sha256[32], const uint8_t spki_sha256[32],
                  char *err, size_t errlen);

/* The file's content, for tests and fuzzing: fills fp/spki and sets
 * *has_fp and *has_spki. Returns 0, or TLS_PIN_EPARSE for anything but one JSON
 * object whose "fp"/"spki" members (when present) are 64 hex digits; other
 * members are skipped. */
int tls_pin_parse(const char *s, size_t n, uint8_t fp[32], int *has_fp,
                  uint8_t spki[32], int *has_spki);

/* Lower-case hex of a 32-byte hash into out[65]. */
void tls_pin_hex(const uint8_t h[32], char out[65]);

#endif
