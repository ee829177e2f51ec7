/* dec_misc.c — getifaddrs(3)'s AF_LINK if_data counters and the host's
 * identity strings into port.h values. */
#include "port/bsd/bsd.h"

#include <stdio.h>
#include <string.h>

/* ---- network ------------------------------------------------------------- */

/* struct if_data (sys/net/if.h, FreeBSD 11 to 15): byte offsets. */
#define IFD_DATALEN 6 /* uint16_t */
#define IFD_IBYTES 64
#define IFD_OBYTES 72
#define IFD_NEED 80 /* through ifi_obytes */

int bsd_ifdata_decode(const char *name, const void *data, size_t len, int be, struct port_if *out)
{
	const unsigned char *p = data;
	size_t nl = name ? strlen(name) : 0;
	if (nl == 0 || nl >= sizeof(out->name))
		return PORT_EPARSE;
	/* ifi_datalen: FreeBSD 10's if_data had u_long counters (and a u_char
	 * length at offset 7); a length short of the counters is not ours. */
	if (!p || len < IFD_NEED || bsd_rdu(p + IFD_DATALEN, 2, be) < IFD_NEED)
		return PORT_EPARSE;
	memcpy(out->name, name, nl + 1);
	/* 64-bit on every architecture since FreeBSD 11: read whole. A counter
	 * that goes down (a driver reset) is collect.c's to leave out. */
	out->rx = bsd_rd64(p + IFD_IBYTES, be);
	out->tx = bsd_rd64(p + IFD_OBYTES, be);
	return PORT_OK;
}

/* ---- host ---------------------------------------------------------------- */

/* A sysctl string (NUL-terminated or not within len) into out; cut to fit. */
static void copy_sysctl_str(char *out, size_t cap, const char *s, size_t len)
{
	size_t n = 0;
	if (s)
		while (n < len && s[n] != '\0')
			n++;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
}

/* os-release(5): PRETTY_NAME="..." (quotes optional) into out. */
static int pretty_name(const char *text, char *out, size_t cap)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *v, *end;
		size_t n;
		if (strncmp(p, "PRETTY_NAME=", 12) != 0)
			continue;
		v = p + 12;
		end = v + strcspn(v, "\n");
		if (end > v && (*v == '"' || *v == '\'')) {
			char q = *v++;
			if (end > v && end[-1] == q)
				end--;
		}
		n = (size_t)(end - v);
		if (n == 0)
			return -1;
		if (n >= cap)
			n = cap - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

int bsd_host_fill(const struct bsd_host_raw *r, struct port_host *h)
{
	char ostype[64], rel[96];
	memset(h, 0, sizeof(*h));
	copy_sysctl_str(h->hostname, sizeof(h->hostname), r->hostname, r->hostname_len);
	copy_sysctl_str(h->kernel, sizeof(h->kernel), r->osrelease, r->osrelease_len);
	copy_sysctl_str(h->arch, sizeof(h->arch), r->arch, r->arch_len);
	copy_sysctl_str(ostype, sizeof(ostype), r->ostype, r->ostype_len);
	copy_sysctl_str(rel, sizeof(rel), r->osrelease, r->osrelease_len);
	if (!r->os_release || pretty_name(r->os_release, h->os, sizeof(h->os)) != 0) {
		if (ostype[0] && rel[0])
			snprintf(h->os, sizeof(h->os), "%.40s %.80s", ostype, rel);
		else
			snprintf(h->os, sizeof(h->os), "%s", ostype[0] ? ostype : "FreeBSD");
	}
	return h->hostname[0] || h->kernel[0] ? PORT_OK : PORT_ENOTAVAIL;
}
