/* dist.c — the agent's one-line install (server/dist.h): the binaries are
 * read whole at start (a few hundred KiB each, DIST_FILE_MAX at most), so a
 * request for one is a copy into the connection's output and the loop never
 * waits on a disk; a new binary in AGENT_DIST_DIR is served after a restart
 * (the server package's upgrade restarts it). */
#include "server/dist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The board names of `make boards` (boards/<board>.mk); install.sh maps uname -m
 * to them. */
static const char *const arches[] = { "x86_64", "armhf", "arm64", "mipsel", "mips" };

void dist_init(struct dist *d)
{
	memset(d, 0, sizeof(*d));
}

void dist_free(struct dist *d)
{
	for (unsigned i = 0; i < d->n; i++)
		free(d->f[i].data);
	dist_init(d);
}

static int read_file(FILE *f, struct dist_file *df, const char *path, char *err, size_t errlen)
{
	long n;

	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "AGENT_DIST_DIR: %s: %s", path, strerror(errno));
		return -1;
	}
	if (n == 0 || (unsigned long)n > DIST_FILE_MAX) {
		snprintf(err, errlen, "AGENT_DIST_DIR: %s: size %ld (1 to %u bytes)", path, n,
		         DIST_FILE_MAX);
		return -1;
	}
	df->data = malloc((size_t)n);
	if (!df->data) {
		snprintf(err, errlen, "AGENT_DIST_DIR: %s: out of memory", path);
		return -1;
	}
	if (fread(df->data, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "AGENT_DIST_DIR: %s: short read", path);
		free(df->data);
		df->data = NULL;
		return -1;
	}
	df->len = (size_t)n;
	return 0;
}

int dist_load(struct dist *d, const char *dir, const char *public_host, unsigned port,
              int tls, char *err, size_t errlen)
{
	char path[1200];
	int rc = 0;

	d->port = port;
	d->tls = tls;
	if (public_host[0])
		snprintf(d->host, sizeof(d->host), "%s", public_host);
	else if (gethostname(d->host, sizeof(d->host) - 1) != 0)
		strcpy(d->host, "localhost");
	if (!dir[0])
		return 0;
	if (access(dir, R_OK | X_OK) != 0) {
		snprintf(err, errlen, "AGENT_DIST_DIR: %s: %s", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]) && rc == 0; i++) {
		FILE *f;
		snprintf(path, sizeof(path), "%s/monbot-agent-%s", dir, arches[i]);
		f = fopen(path, "rb");
		if (!f) {
			if (errno != ENOENT) {
				snprintf(err, errlen, "AGENT_DIST_DIR: %s: %s", path, strerror(errno));
				rc = -1;
			}
			continue;
		}
		snprintf(d->f[d->n].arch, sizeof(d->f[d->n].arch), "%s", arches[i]);
		rc = read_file(f, &d->f[d->n], path, err, errlen);
		if (rc == 0)
			d->n++;
		fclose(f);
	}
	return rc;
}

static void hex32(const uint8_t b[32], char out[65])
{
	static const char h[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[64] = '\0';
}

void dist_set_pin(struct dist *d, const uint8_t cert[32], const uint8_t spki[32])
{
	hex32(cert, d->fp_hex);
	hex32(spki, d->spki_hex);
	d->have_pin = base64_encode(spki, 32, d->spki_b64, sizeof(d->spki_b64)) == 0;
}

const struct dist_file *dist_find(const struct dist *d, const char *arch)
{
	for (unsigned i = 0; i < d->n; i++)
		if (strcmp(d->f[i].arch, arch) == 0)
			return &d->f[i];
	return NULL;
}

/* A Host header goes into a shell script: letters, digits and . - : [ ]
 * only (a name, IPv4, [IPv6], an optional :port). */
static int host_ok(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 255)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

/* host[:port] or [v6][:port] into the agent's AGENT_SERVER_IP and AGENT_PORT. */
static void split_host(const char *h, unsigned dflt, char *name, size_t cap, unsigned *port)
{
	const char *colon = strrchr(h, ':'), *rb = strchr(h, ']');
	size_t n = strlen(h);
	*port = dflt;
	if (h[0] == '[' && rb) {
		n = (size_t)(rb - h - 1);
		h++;
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon && strchr(h, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
	} else if (colon) {
		n = (size_t)(colon - h);
	}
	if (colon) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (*end == '\0' && p > 0 && p < 65536)
			*port = (unsigned)p;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(name, h, n);
	name[n] = '\0';
}

/* The script. Its fixed part is POSIX sh for bash, dash and busybox ash.
 * The unit it writes is packaging/systemd/monbot-agent.service with the
 * binary in /usr/local/bin. */
static const char script_head[] =
	"#!/bin/sh\n"
	"# MonitoringBot agent installer, from monbot-server's /install.sh.\n"
	"#   curl ... https://<server>/install.sh | sh -s -- <key from /newkey>\n"
	"# Puts the agent in /usr/local/bin, its settings in /etc/monbot/agent.env,\n"
	"# the server's pin in /var/lib/monbot-agent, and starts it (systemd unit\n"
	"# monbot-agent, else in the background). DESTDIR=<dir>: under <dir>.\n"
	"set -eu\n";

static const char script_body[] =
	"key=${1:-}\n"
	"case $key in ''|*[!A-Za-z0-9_-]*) echo 'usage: sh -s -- <key from /newkey>' >&2; exit 2;; esac\n"
	"D=${DESTDIR:-}\n"
	"m=$(uname -m)\n"
	"case $m in\n"
	"x86_64|amd64) a=x86_64 ;;\n"
	"aarch64|arm64) a=arm64 ;;\n"
	"armv7*|armv8l) a=armhf ;;\n"
	"mips*) # uname says mips for both byte orders: ask an ELF header (EI_DATA, 1 = little)\n"
	"\te=$(dd if=/bin/sh bs=1 skip=5 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')\n"
	"\tif [ \"$e\" = 1 ]; then a=mipsel; else a=mips; fi ;;\n"
	"*) echo \"monbot: no agent for $m\" >&2; exit 1 ;;\n"
	"esac\n"
	"command -v curl >/dev/null 2>&1 || { echo 'monbot: curl is needed' >&2; exit 1; }\n"
	"bin=$D/usr/local/bin/monbot-agent st=$D/var/lib/monbot-agent\n"
	"mkdir -p \"$D/usr/local/bin\" \"$D/etc/monbot\" \"$st\"\n"
	"if [ -n \"$pin\" ]; then\n"
	"\tcurl -fsS --pinnedpubkey \"sha256//$pin\" -k -o \"$bin.new\" \"$url/agent/$a\"\n"
	"else\n"
	"\tcurl -fsS -o \"$bin.new\" \"$url/agent/$a\"\n"
	"fi\n"
	"chmod 755 \"$bin.new\" && mv -f \"$bin.new\" \"$bin\"\n"
	"old=$(umask); umask 077\n"
	"printf 'AGENT_SECRET=%s\\nAGENT_SERVER_IP=%s\\nAGENT_PORT=%s\\nAGENT_TLS=%s\\nAGENT_FP_FILE=fingerprint.json\\n' \\\n"
	"\t\"$key\" \"$host\" \"$port\" \"$tls\" >\"$D/etc/monbot/agent.env\"\n"
	"# the first connection is pinned too: the same key the download was checked against\n"
	"[ -z \"$fp\" ] || printf '{\"fp\": \"%s\", \"spki\": \"%s\"}\\n' \"$fp\" \"$spki\" >\"$st/fingerprint.json\"\n"
	"umask \"$old\"\n"
	"# the user of the Debian package (packaging/debian/postinst.in); root where none can be made\n"
	"u=root\n"
	"if id monbot-agent >/dev/null 2>&1 || { [ -z \"$D\" ] && useradd --system --user-group --no-create-home \\\n"
	"\t--home-dir /var/lib/monbot-agent --shell /usr/sbin/nologin monbot-agent 2>/dev/null; }; then u=monbot-agent; fi\n"
	"[ -n \"$D\" ] || chown -R \"$u\" \"$st\"\n"
	"# reboot and shutdown through logind for that user only (packaging/etc/50-monbot-agent.rules)\n"
	"if [ \"$u\" != root ]; then\n"
	"\tmkdir -p \"$D/etc/polkit-1/rules.d\"\n"
	"\tcat >\"$D/etc/polkit-1/rules.d/50-monbot-agent.rules\" <<'EOT'\n"
	"polkit.addRule(function(action, subject) {\n"
	"\tif (subject.user == \"monbot-agent\" && /^org\\.freedesktop\\.login1\\.(reboot|power-off)(-multiple-sessions)?$/.test(action.id))\n"
	"\t\treturn polkit.Result.YES;\n"
	"});\n"
	"EOT\n"
	"fi\n"
	"mkdir -p \"$D/etc/systemd/system\"\n"
	"cat >\"$D/etc/systemd/system/monbot-agent.service\" <<EOT\n"
	"[Unit]\n"
	"Description=MonitoringBot agent\n"
	"Wants=network-online.target\n"
	"After=network-online.target\n"
	"\n"
	"[Service]\n"
	"ExecStart=/usr/local/bin/monbot-agent\n"
	"EnvironmentFile=/etc/monbot/agent.env\n"
	"User=$u\n"
	"WorkingDirectory=/var/lib/monbot-agent\n"
	"StateDirectory=monbot-agent\n"
	"Restart=always\n"
	"RestartSec=5\n"
	"NoNewPrivileges=yes\n"
	"ProtectSystem=strict\n"
	"ProtectHome=read-only\n"
	"CapabilityBoundingSet=\n"
	"RestartPreventExitStatus=2 3\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n"
	"EOT\n"
	"if [ -z \"$D\" ] && [ -d /run/systemd/system ]; then\n"
	"\tsystemctl daemon-reload\n"
	"\tsystemctl enable monbot-agent >/dev/null 2>&1\n"
	"\tsystemctl restart monbot-agent\n"
	"\techo \"monbot: agent installed and started (systemctl status monbot-agent)\"\n"
	"else\n"
	"\t# no systemd here (a container, another init) or DESTDIR: run it now, detached\n"
	"\t(cd \"$st\" && set -a && . \"$D/etc/monbot/agent.env\" && set +a &&\n"
	"\t\texec nohup \"$bin\" >>\"$st/monbot-agent.log\" 2>&1 </dev/null) &\n"
	"\techo \"monbot: agent installed in ${D:-/} and started in the background (log $st/monbot-agent.log)\"\n"
	"fi\n";

int dist_script(const struct dist *d, const char *host, char *out, size_t cap, size_t *len)
{
	char name[256];
	unsigned port;
	const char *h = host_ok(host) ? host : NULL;
	char hp[300];
	int n;

	if (!h) {
		int v6 = strchr(d->host, ':') != NULL;
		snprintf(hp, sizeof(hp), "%s%s%s:%u", v6 ? "[" : "", d->host, v6 ? "]" : "", d->port);
		h = hp;
	}
	split_host(h, d->port, name, sizeof(name), &port);
	n = snprintf(out, cap, "%surl='%s://%s' host='%s' port='%u' tls='%d' pin='%s' fp='%s' spki='%s'\n%s",
	             script_head, d->tls ? "https" : "http", h, name, port, d->tls ? 1 : 0,
	             d->have_pin ? d->spki_b64 : "", d->have_pin ? d->fp_hex : "",
	             d->have_pin ? d->spki_hex : "", script_body);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	*len = (size_t)n;
	return 0;
}

int dist_command(const struct dist *d, const char *key, char *out, size_t cap)
{
	int v6 = strchr(d->host, ':') != NULL;
	char h[300];
	int n;

	if (!dist_enabled(d))
		return -1;
	snprintf(h, sizeof(h), "%s%s%s", v6 ? "[" : "", d->host, v6 ? "]" : "");
	if (d->tls && d->have_pin)
		n = snprintf(out, cap, "curl -fsS --pinnedpubkey sha256//%s -k https://%s:%u/install.sh | sh -s -- %s",
		             d->spki_b64, h, d->port, key);
	else
		n = snprintf(out, cap, "curl -fsS %s://%s:%u/install.sh | sh -s -- %s",
		             d->tls ? "https" : "http", h, d->port, key);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
