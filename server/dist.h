/* dist.h — the agent's one-line install: the agent binaries of
 * AGENT_DIST_DIR (monbot-agent-<arch>, the board names of `make boards`),
 * read whole once at start so that serving them never reads a file on the
 * loop, the certificate's pin, and the texts built from them: the
 * /install.sh script and the command /newkey prints. Immutable after
 * dist_load and dist_set_pin: the loop and the bot thread both read it. */
#ifndef MONBOT_SERVER_DIST_H
#define MONBOT_SERVER_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "wire/base64.h"

#define BASE64_SPKI_LEN (BASE64_LEN(32) + 1)
#define DIST_ARCH_MAX  8
#define DIST_FILE_MAX  (16u << 20) /* an agent binary is a few hundred KiB */
#define DIST_SCRIPT_MAX 8192
/* /agent/<board> responses at once: each holds a copy of its binary in the
 * connection's output until sent; one more is answered 503. */
#define DIST_DOWNLOADS_MAX 16

struct dist_file {
	char arch[16];
	uint8_t *data;
	size_t len;
};

struct dist {
	struct dist_file f[DIST_ARCH_MAX];
	unsigned n;
	int tls, have_pin;
	unsigned port;               /* the server's PORT */
	char host[256];              /* PUBLIC_HOST or this host's name */
	char fp_hex[65], spki_hex[65];
	char spki_b64[BASE64_SPKI_LEN];
};

void dist_init(struct dist *d);
/* Reads dir/monbot-agent-<arch> for every known arch that exists. dir ""
 * loads nothing (the endpoints answer 404). 0, or -1 with err filled (an
 * unreadable or oversized file, a dir that cannot be opened). */
int dist_load(struct dist *d, const char *dir, const char *public_host, unsigned port,
              int tls, char *err, size_t errlen);
/* The TLS certificate's SHA-256 and its public key's (conn_tls_own_hashes). */
void dist_set_pin(struct dist *d, const uint8_t cert[32], const uint8_t spki[32]);
void dist_free(struct dist *d);

/* 1 when the endpoints serve anything. */
static inline int dist_enabled(const struct dist *d)
{
	return d->n > 0;
}
/* The binary for an arch name of the URL, or NULL. */
const struct dist_file *dist_find(const struct dist *d, const char *arch);
/* The install script for a request whose Host header is host ("" or
 * invalid: the configured host). WS_ENOSPC-style -1 when cap is short. */
int dist_script(const struct dist *d, const char *host, char *out, size_t cap, size_t *len);
/* One shell line installing an agent with key on a Linux host. -1 when
 * the install is off (no binaries) or cap is short. */
int dist_command(const struct dist *d, const char *key, char *out, size_t cap);

#endif
