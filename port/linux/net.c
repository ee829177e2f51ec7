/* net.c — network interfaces' byte counters (/proc/net/dev, kept open). */
#include "port/port.h"
#include "port/linux/linux.h"

#include <stdio.h>
#include <string.h>

/* ---- network ----------------------------------------------------------- */

struct if_walk {
	struct port_if *ifs;
	int max, n, line, full;
};

/* proc(5): two header lines, then "  name: rx_bytes rx_packets ... (8 rx
 * fields) tx_bytes ...". Names are at most 15 characters. */
static int if_line(char *line, void *arg)
{
	struct if_walk *w = arg;
	const char *s = line, *colon, *q;
	uint64_t f[9];
	size_t nl;
	if (w->line++ < 2)
		return 0;
	while (*s == ' ')
		s++;
	colon = strchr(s, ':');
	if (!colon || (nl = (size_t)(colon - s)) == 0 || nl >= sizeof(w->ifs[0].name))
		return 0;
	q = colon + 1;
	for (int i = 0; i < 9; i++)
		if (lx_field_u64(&q, &f[i]) != PORT_OK)
			return 0;
	if (w->n >= w->max) {
		w->full = 1;
		return 1;
	}
	memcpy(w->ifs[w->n].name, s, nl);
	w->ifs[w->n].name[nl] = '\0';
	w->ifs[w->n].rx = f[0];
	w->ifs[w->n].tx = f[8];
	w->n++;
	return 0;
}

int port_if_list(struct port_if *ifs, int max, int *n)
{
	static char buf[8192];
	struct if_walk w = {ifs, max, 0, 0, 0};
	int rc = lx_file_lines(&lx.file[LX_F_NETDEV], buf, sizeof(buf), if_line, &w);
	*n = w.n;
	if (rc)
		return rc;
	return w.full ? PORT_ENOSPC : PORT_OK;
}
