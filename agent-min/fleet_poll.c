/* fleet_poll.c — the fleet collectors' I/O and cadence (fleet_poll.h); the
 * replies are parsed by fleet_read.c. Every exchange is non-blocking under
 * one deadline per cycle; an absent source rests before it is tried again,
 * so that its cost is one failed connect or open now and then. */
#include "agent-min/fleet_poll.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/alog.h"
#include "agent-min/fleet_read.h"
#include "wire/json.h"

#define DK_REST_MS 60000u       /* no engine socket: look again in a minute */
#define DK_INSPECT_MS 60000u    /* RestartCount: at most once a minute a container */
#define UPS_PERIOD_MS 30000u
#define UPS_TIMEOUT_MS 300u     /* a UPS daemon answers loopback in a millisecond */
#define UPS_REST_MS 300000u     /* silent or absent: five minutes */
#define UNITS_PERIOD_MS 30000u
#define SMART_PERIOD_MS 600000u /* drives' health changes over days */
#define ABSENT_REST_MS 600000u  /* no busctl / smartctl on PATH */
#define CHILD_TIMEOUT_MS 10000u
#define MAX_TEXTFILES 32

static const char *const dk_default[2] = {"/var/run/docker.sock", "/run/podman/podman.sock"};

void fleet_cfg_defaults(struct fleet_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->smart = 1;
	c->units = 1;
}

static int is_off(const char *s)
{
	return strcmp(s, "0") == 0 || strcmp(s, "off") == 0 || strcmp(s, "no") == 0;
}

/* host[:port][/ups] (an IPv6 address in brackets) into an address. */
static int ups_addr(const char *spec, unsigned dport, struct port_addr *a, char *ups, size_t cap)
{
	char host[256], err[256];
	const char *slash = strchr(spec, '/'), *end = slash ? slash : spec + strlen(spec);
	const char *colon = NULL, *h = spec, *he;
	unsigned port = dport;
	if (*spec == '[') {
		h = spec + 1;
		he = memchr(h, ']', (size_t)(end - h));
		if (!he)
			return -1;
		if (he + 1 < end && he[1] == ':')
			colon = he + 1;
	} else {
		colon = memchr(spec, ':', (size_t)(end - spec));
		he = colon ? colon : end;
	}
	if (colon) {
		char *e;
		unsigned long v = strtoul(colon + 1, &e, 10);
		if (e != end || v == 0 || v > 65535)
			return -1;
		port = (unsigned)v;
	}
	if (he == h || (size_t)(he - h) >= sizeof(host))
		return -1;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	if (ups)
		fr_clean(ups, cap, slash ? slash + 1 : "", slash ? strlen(slash + 1) : 0);
	if (port_addr_parse(host, port, a) == PORT_OK)
		return 0;
	/* A name: looked up once, here at start-up (the resolver allocates). */
	return port_addr_resolve(host, port, a, err, sizeof(err)) == PORT_OK ? 0 : -1;
}

void fleet_poll_init(struct fleet_poll *p, const struct fleet_cfg *cfg)
{
	/* The big buffers after the state are left untouched (RSS). */
	memset(p, 0, offsetof(struct fleet_poll, units_child));
	memset(&p->units_child, 0, offsetof(struct fp_child, out));
	memset(&p->smart_child, 0, offsetof(struct fp_child, out));
	p->cfg = *cfg;
	port_child_init(&p->units_child.c);
	port_child_init(&p->smart_child.c);
	p->dk_on = AGENT_FLEET_DOCKER && !is_off(cfg->docker_socket);
	if (AGENT_FLEET_UPS && !is_off(cfg->nut)) {
		p->nut_on = ups_addr(cfg->nut[0] ? cfg->nut : "127.0.0.1", 3493, &p->nut_addr, p->nut_ups,
		                     sizeof(p->nut_ups)) == 0;
		if (!p->nut_on)
			LOG_WARN("AGENT_NUT=%s: not host[:port][/ups], NUT not asked", cfg->nut);
	}
	if (AGENT_FLEET_UPS && !is_off(cfg->apcupsd)) {
		p->apc_on = ups_addr(cfg->apcupsd[0] ? cfg->apcupsd : "127.0.0.1", 3551, &p->apc_addr, NULL, 0) == 0;
		if (!p->apc_on)
			LOG_WARN("AGENT_APCUPSD=%s: not host[:port], apcupsd not asked", cfg->apcupsd);
	}
}

/* ---- one exchange over a socket ---------------------------------------- */

typedef int (*fp_done_fn)(struct fleet_poll *p, size_t len, int at_eof);

enum { X_OK = 0, X_ABSENT = -1, X_TIMEOUT = -2, X_FAIL = -3 };

static unsigned left_ms(uint64_t deadline)
{
	uint64_t now = port_mono_ms();
	return deadline > now ? (unsigned)(deadline - now) : 0;
}

/* Sends req on fd (connecting: a connect in progress), then reads into
 * p->http until done says the reply is whole, the peer closes or the
 * deadline passes. *len the bytes read. */
static int exchange(struct fleet_poll *p, int fd, int connecting, const void *req, size_t rl, size_t *len,
                    uint64_t deadline, fp_done_fn done)
{
	size_t sent = 0;
	int os_err;
	unsigned ready;
	*len = 0;
	while (connecting) {
		if (port_wait(fd, PORT_WAIT_WRITE, left_ms(deadline), &ready, &os_err) != PORT_OK)
			return X_FAIL;
		if (!ready)
			return left_ms(deadline) ? X_FAIL : X_TIMEOUT;
		int rc = port_sock_connected(fd, &os_err);
		if (rc == PORT_OK)
			break;
		if (rc != PORT_EAGAIN)
			return X_ABSENT; /* refused: nobody there */
	}
	while (sent < rl) {
		size_t n;
		int rc = port_sock_send(fd, (const char *)req + sent, rl - sent, &n, &os_err);
		if (rc == PORT_OK) {
			sent += n;
			continue;
		}
		if (rc != PORT_EAGAIN)
			return X_FAIL;
		if (port_wait(fd, PORT_WAIT_WRITE, left_ms(deadline), &ready, &os_err) != PORT_OK || !ready)
			return X_TIMEOUT;
	}
	for (;;) {
		size_t n;
		int rc = port_sock_recv(fd, p->http + *len, sizeof(p->http) - 1 - *len, &n, &os_err);
		if (rc == PORT_OK && n == 0)
			return done(p, *len, 1) == FR_OK ? X_OK : X_FAIL;
		if (rc == PORT_OK) {
			*len += n;
			p->http[*len] = '\0';
			rc = done(p, *len, 0); /* once: an HTTP body is dechunked in place */
			if (rc != FR_EAGAIN)
				return rc == FR_OK ? X_OK : X_FAIL;
			if (*len + 1 >= sizeof(p->http))
				return X_FAIL; /* a reply over our cap: refused */
			continue;
		}
		if (rc != PORT_EAGAIN)
			return X_FAIL;
		if (port_wait(fd, PORT_WAIT_READ, left_ms(deadline), &ready, &os_err) != PORT_OK || !ready)
			return X_TIMEOUT;
	}
}

/* ---- Docker / Podman ----------------------------------------------------- */

static size_t http_off, http_len;

static int http_done(struct fleet_poll *p, size_t len, int at_eof)
{
	int status;
	int rc = fr_http_body(p->http, len, at_eof, &status, &http_off, &http_len);
	if (rc == FR_OK && status != 200)
		return FR_ENOENT;
	return rc;
}

/* GET path from the engine: 0 and the body in p->http[http_off..+http_len). */
static int dk_get(struct fleet_poll *p, const char *sock, const char *path, uint64_t deadline)
{
	char req[512];
	int fd, os_err, rc, n;
	size_t len;
	/* HTTP/1.0: the engine closes after the reply, never chunks it. */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: docker\r\nUser-Agent: monbot-agent\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof(req))
		return X_FAIL;
	rc = port_unix_connect(sock, &fd, &os_err);
	if (rc != PORT_OK && rc != PORT_EAGAIN) {
		if (fd >= 0)
			port_sock_close(fd);
		return rc == PORT_ENOTAVAIL ? X_ABSENT : X_FAIL;
	}
	rc = exchange(p, fd, rc == PORT_EAGAIN, req, (size_t)n, &len, deadline, http_done);
	port_sock_close(fd);
	if (rc == X_OK)
		p->http[http_off + http_len] = '\0';
	return rc;
}

static struct fp_known *known_find(struct fleet_poll *p, const char *id)
{
	for (int i = 0; i < p->nknown; i++)
		if (strcmp(p->known[i].id, id) == 0)
			return &p->known[i];
	return NULL;
}

/* CPU% from the engine's counters since the last cycle (one-shot stats
 * carry no precpu of their own): share of all cores, as top_procs. */
static void dk_apply(struct fleet_container *c, struct fp_known *k, const char *body, size_t n,
                     jsmntok_t *tok)
{
	uint64_t cpu, sys;
	double mem;
	if (fr_docker_stats(body, n, tok, FP_TOKENS, &cpu, &sys, &mem) != FR_OK)
		return;
	c->mem = mem;
	if (sys && k->sys && sys > k->sys && cpu >= k->cpu) {
		double pc = (double)(cpu - k->cpu) * 100.0 / (double)(sys - k->sys);
		c->cpu = pc <= 100.0 ? pc : 100.0;
	}
	k->cpu = cpu;
	k->sys = sys;
}

/* The running containers' stats over one connection, the requests
 * pipelined (RFC 9112 §9.3.2): one write, the replies read in order, so
 * that 50 containers cost one connect and a few reads rather than fifty
 * of each. Returns how many were answered; an engine that closes after
 * one (HTTP/1.0 only) leaves the rest to one connection each. */
static int dk_stats_batch(struct fleet_poll *p, const char *sock, struct fleet *f, const int *idx, int n,
                          uint64_t deadline)
{
	char *req = p->text; /* scratch: textfiles are read after this */
	size_t rl = 0, have = 0, sent = 0;
	int fd, os_err, done = 0, eof = 0;
	unsigned ready;
	for (int i = 0; i < n; i++) {
		int m = snprintf(req + rl, sizeof(p->text) - rl,
		                 "GET /containers/%.72s/stats?stream=false&one-shot=true HTTP/1.1\r\nHost: docker\r\n"
		                 "User-Agent: monbot-agent\r\n%s\r\n", p->ids[idx[i]], i + 1 == n ? "Connection: close\r\n" : "");
		if (m < 0 || (size_t)m >= sizeof(p->text) - rl)
			return 0;
		rl += (size_t)m;
	}
	int rc = port_unix_connect(sock, &fd, &os_err);
	if (rc != PORT_OK && rc != PORT_EAGAIN) {
		if (fd >= 0)
			port_sock_close(fd);
		return 0;
	}
	while (sent < rl && left_ms(deadline)) {
		size_t k;
		rc = port_sock_send(fd, req + sent, rl - sent, &k, &os_err);
		if (rc == PORT_OK)
			sent += k;
		else if (rc != PORT_EAGAIN ||
		         port_wait(fd, PORT_WAIT_WRITE, left_ms(deadline), &ready, &os_err) != PORT_OK)
			break;
	}
	while (done < n && !eof && left_ms(deadline)) {
		size_t k, off, bl, used;
		int st;
		rc = port_sock_recv(fd, p->http + have, sizeof(p->http) - 1 - have, &k, &os_err);
		if (rc == PORT_EAGAIN) {
			if (port_wait(fd, PORT_WAIT_READ, left_ms(deadline), &ready, &os_err) != PORT_OK || !ready)
				break;
			continue;
		}
		if (rc != PORT_OK)
			break;
		eof = k == 0;
		have += k;
		while (done < n && (rc = fr_http_next(p->http, have, eof, &st, &off, &bl, &used)) == FR_OK) {
			char keep = p->http[off + bl];
			p->http[off + bl] = '\0';
			if (st == 200)
				dk_apply(&f->containers[idx[done]], &p->next[idx[done]], p->http + off, bl, p->tok);
			p->http[off + bl] = keep;
			memmove(p->http, p->http + used, have - used);
			have -= used;
			done++;
		}
		if (rc != FR_OK && rc != FR_EAGAIN)
			break;
		if (have + 1 >= sizeof(p->http))
			break;
	}
	port_sock_close(fd);
	return done;
}

static void dk_inspect(struct fleet_poll *p, const char *sock, const char *id, struct fp_known *k,
                       uint64_t now, uint64_t deadline)
{
	char path[128];
	int64_t r;
	snprintf(path, sizeof(path), "/containers/%.72s/json", id);
	if (dk_get(p, sock, path, deadline) == X_OK &&
	    fr_docker_inspect(p->http + http_off, http_len, p->tok, FP_TOKENS, &r) == FR_OK)
		k->restarts = r;
	k->inspected = now;
}

static void poll_docker(struct fleet_poll *p, struct fleet *f, uint64_t now, uint64_t deadline)
{
	char (*ids)[FR_ID] = p->ids;
	struct fp_known *next = p->next;
	const char *sock = p->cfg.docker_socket[0] ? p->cfg.docker_socket : dk_default[p->dk_idx];
	uint8_t engine = strstr(sock, "podman") ? FLEET_PODMAN : FLEET_DOCKER;
	int rc, n = 0, running[FLEET_MAX_CONTAINERS], nrun = 0, done;
	if (!p->dk_on || now < p->dk_rest_until)
		return;
	rc = dk_get(p, sock, "/containers/json?all=1", deadline);
	if (rc == X_ABSENT && !p->cfg.docker_socket[0] && p->dk_idx == 0) {
		sock = dk_default[1];
		engine = FLEET_PODMAN;
		if ((rc = dk_get(p, sock, "/containers/json?all=1", deadline)) == X_OK)
			p->dk_idx = 1;
	}
	if (rc == X_ABSENT) {
		p->dk_idx = 0;
		p->dk_rest_until = now + DK_REST_MS;
		p->nknown = 0;
		return;
	}
	if (rc == X_TIMEOUT) { /* a hung engine must not take every sample's budget */
		LOG_WARN("container engine at %s silent for the cycle's budget: asked again in %u s", sock,
		         DK_REST_MS / 1000);
		p->dk_rest_until = now + DK_REST_MS;
		return;
	}
	if (rc != X_OK ||
	    fr_docker_list(p->http + http_off, http_len, p->tok, FP_TOKENS, engine, f->containers, ids,
	                   FLEET_MAX_CONTAINERS, &n) != FR_OK)
		return; /* garbled or late: no key this cycle rather than a wrong list */
	f->has_containers = 1;
	f->ncontainers = n;
	for (int i = 0; i < n; i++) {
		struct fleet_container *c = &f->containers[i];
		struct fp_known *k = known_find(p, ids[i]), *o = &next[i];
		if (k)
			*o = *k;
		else
			*o = (struct fp_known){.restarts = -1};
		memcpy(o->id, ids[i], sizeof(o->id));
		/* Restart count: new, changed state, or a minute old. */
		if (!k || o->state != c->state || now - o->inspected >= DK_INSPECT_MS)
			if (left_ms(deadline))
				dk_inspect(p, sock, ids[i], o, now, deadline);
		o->state = c->state;
		c->restarts = o->restarts;
		if (c->state == FLEET_ST_RUNNING)
			running[nrun++] = i;
	}
	/* An engine that closed after one (HTTP/1.0 only): the rest one by one. */
	for (int i = 0, per = nrun; i < nrun && left_ms(deadline); i += done ? done : 1) {
		done = dk_stats_batch(p, sock, f, running + i, per < nrun - i ? per : nrun - i, deadline);
		if (done <= 1)
			per = 1;
	}
	memcpy(p->known, next, sizeof(next[0]) * (size_t)n);
	p->nknown = n;
}

/* ---- UPS ----------------------------------------------------------------- */

static int nut_list_done(struct fleet_poll *p, size_t len, int at_eof)
{
	return fr_nut_ups(p->http, len, p->nut_ups, sizeof(p->nut_ups));
}

static int nut_vars_done(struct fleet_poll *p, size_t len, int at_eof)
{
	p->ups.charge = p->ups.runtime = p->ups.load = NAN;
	p->ups.status[0] = '\0';
	return fr_nut_vars(p->http, len, &p->ups);
}

static int apc_done(struct fleet_poll *p, size_t len, int at_eof)
{
	p->ups.charge = p->ups.runtime = p->ups.load = NAN;
	p->ups.status[0] = p->ups.name[0] = '\0';
	return fr_apc_status((const uint8_t *)p->http, len, &p->ups);
}

/* One request to a UPS daemon: X_OK with the reply parsed into p->ups. */
static int ups_ask(struct fleet_poll *p, const struct port_addr *a, const void *req, size_t rl,
                   fp_done_fn done, uint64_t deadline)
{
	size_t len;
	int fd, os_err, rc = port_sock_connect(a, &fd, &os_err);
	if (rc != PORT_OK && rc != PORT_EAGAIN) {
		if (fd >= 0)
			port_sock_close(fd);
		return X_ABSENT;
	}
	rc = exchange(p, fd, rc == PORT_EAGAIN, req, rl, &len, deadline, done);
	port_sock_close(fd);
	return rc;
}

static int poll_nut(struct fleet_poll *p, uint64_t deadline)
{
	char req[96];
	int rc, n;
	if (!p->nut_ups[0]) {
		rc = ups_ask(p, &p->nut_addr, "LIST UPS\n", 9, nut_list_done, deadline);
		if (rc != X_OK)
			return rc;
	}
	n = snprintf(req, sizeof(req), "LIST VAR %s\n", p->nut_ups);
	memset(&p->ups, 0, sizeof(p->ups));
	rc = ups_ask(p, &p->nut_addr, req, (size_t)n, nut_vars_done, deadline);
	snprintf(p->ups.name, sizeof(p->ups.name), "%s", p->nut_ups);
	if (rc != X_OK && !p->cfg.nut[0])
		p->nut_ups[0] = '\0'; /* the first UPS may be another next time */
	return rc;
}

static void poll_ups(struct fleet_poll *p, struct fleet *f, uint64_t now, uint64_t deadline)
{
	static const uint8_t apc_req[8] = {0, 6, 's', 't', 'a', 't', 'u', 's'};
	if ((p->nut_on || p->apc_on) && now >= p->ups_next) {
		int rc = X_ABSENT;
		uint64_t d = now + UPS_TIMEOUT_MS < deadline ? now + UPS_TIMEOUT_MS : deadline;
		p->ups_next = now + UPS_PERIOD_MS;
		p->have_ups = 0;
		if (p->nut_on && now >= p->nut_rest_until) {
			rc = poll_nut(p, d);
			if (rc != X_OK)
				p->nut_rest_until = now + UPS_REST_MS;
		}
		if (rc != X_OK && p->apc_on && now >= p->apc_rest_until) {
			memset(&p->ups, 0, sizeof(p->ups));
			rc = ups_ask(p, &p->apc_addr, apc_req, sizeof(apc_req), apc_done, d);
			if (rc != X_OK)
				p->apc_rest_until = now + UPS_REST_MS;
		}
		p->have_ups = rc == X_OK;
		if (rc == X_TIMEOUT)
			LOG_WARN("UPS daemon silent for %u ms: asked again in %u s", UPS_TIMEOUT_MS, UPS_REST_MS / 1000);
	}
	if (p->have_ups) {
		f->has_ups = 1;
		f->ups = p->ups;
	}
}

/* ---- children: busctl, smartctl ------------------------------------------ */

/* Reads what the child wrote, waiting until deadline at most: 1 when it
 * has finished (out holds everything, NUL-terminated), 0 while it runs. */
static int child_pump(struct fp_child *ch, uint64_t now, uint64_t deadline)
{
	int os_err, code;
	for (;;) {
		size_t n;
		char sink[512];
		int full = ch->len + 1 >= sizeof(ch->out);
		int rc = port_child_read(&ch->c, full ? sink : ch->out + ch->len,
		                         full ? sizeof(sink) : sizeof(ch->out) - 1 - ch->len, &n, &os_err);
		if (rc == PORT_OK && n > 0) {
			if (!full)
				ch->len += n;
			continue;
		}
		if (rc == PORT_EAGAIN) {
			unsigned ready;
			if (now - ch->started > CHILD_TIMEOUT_MS) {
				port_child_kill(&ch->c);
				break;
			}
			if (left_ms(deadline) &&
			    port_wait(ch->c.fd, PORT_WAIT_READ, left_ms(deadline), &ready, &os_err) == PORT_OK && ready)
				continue;
			return 0;
		}
		break; /* end of output or an error */
	}
	port_child_reap(&ch->c, 1, &code, &os_err);
	ch->out[ch->len] = '\0';
	ch->running = 0;
	return code == 0 ? 1 : -1;
}

static const char *const drop_env[] = {"AGENT_SECRET", NULL};

static int child_start(struct fp_child *ch, const char *const argv[], uint64_t now)
{
	int os_err, rc;
	/* Not installed: a PATH search, no fork. */
	if (port_child_exists(argv[0]) != PORT_OK)
		return PORT_ENOTAVAIL;
	rc = port_child_start(&ch->c, argv, drop_env, &os_err);
	ch->len = 0;
	ch->running = rc == PORT_OK;
	ch->started = now;
	return rc;
}

static void poll_units(struct fleet_poll *p, struct fleet *f, uint64_t now, uint64_t deadline)
{
	static const char *const argv[] = {"busctl", "--json=short", "call", "org.freedesktop.systemd1",
	                                   "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
	                                   "ListUnitsFiltered", "as", "1", "failed", NULL};
	struct fp_child *ch = &p->units_child;
	if (!AGENT_FLEET_UNITS || !p->cfg.units)
		return;
	if (!ch->running && now >= p->units_next) {
		int rc = child_start(ch, argv, now);
		p->units_next = now + (rc == PORT_ENOTAVAIL ? ABSENT_REST_MS : UNITS_PERIOD_MS);
	}
	if (ch->running) {
		int rc = child_pump(ch, now, deadline);
		if (rc != 0) {
			int n = 0;
			p->have_units = rc > 0 && fr_busctl_units(ch->out, ch->len, p->tok, FP_TOKENS, p->units,
			                                          FLEET_MAX_UNITS, &n) == FR_OK;
			p->nunits = p->have_units ? n : 0;
			if (!p->have_units) /* busctl without systemd (a container): rest */
				p->units_next = now + ABSENT_REST_MS;
		}
	}
	if (p->have_units) {
		f->has_units = 1;
		f->nunits = p->nunits;
		memcpy(f->units_failed, p->units, sizeof(p->units[0]) * (size_t)p->nunits);
	}
}

/* The next drive: an NVMe one through its health log at once (0), else
 * smartctl started for it (0), or -1 when there is no smartctl. */
static int smart_next_drive(struct fleet_poll *p, uint64_t now)
{
	const struct port_drive *d = &p->drives[p->drive_at];
	struct fleet_smart *o = &p->smart[p->nsmart];
	uint8_t page[512];
	char dev[48];
	int os_err;
	memset(o, 0, sizeof(*o));
	memcpy(o->dev, d->name, sizeof(o->dev));
	memcpy(o->model, d->model, sizeof(o->model));
	o->temp = o->used = NAN;
	if (d->nvme && port_nvme_health(d->name, page, &os_err) == PORT_OK) {
		fr_nvme_health(page, o);
		p->nsmart++;
		p->drive_at++;
		return 0;
	}
	snprintf(dev, sizeof(dev), "/dev/%s", d->name);
	const char *argv[] = {"smartctl", "-j", "-H", "-A", "-i", dev, NULL};
	if (child_start(&p->smart_child, argv, now) != PORT_OK) {
		p->drive_at = p->ndrives; /* no smartctl: the NVMe ones only */
		return -1;
	}
	return 0;
}

/* NVMe through the health log at once; other drives, one smartctl at a
 * time, as long as the cycle's budget lasts, on in the next cycles. */
static void poll_smart(struct fleet_poll *p, struct fleet *f, uint64_t now, uint64_t deadline)
{
	struct fp_child *ch = &p->smart_child;
	if (!AGENT_FLEET_SMART || !p->cfg.smart)
		return;
	if (!ch->running && p->ndrives == 0 && now >= p->smart_next) {
		int n = 0;
		p->smart_next = now + SMART_PERIOD_MS;
		port_drive_list(p->drives, FLEET_MAX_SMART, &n);
		p->ndrives = n;
		p->drive_at = 0;
		p->nsmart = 0;
	}
	while (p->drive_at < p->ndrives) {
		if (!ch->running && smart_next_drive(p, now) < 0)
			break;
		if (!ch->running)
			continue;
		int rc = child_pump(ch, now, deadline);
		if (rc == 0)
			break; /* still running: read on in the next cycle */
		/* smartctl's exit status is a bit mask (failing drive: bit 3): its
		 * JSON is read whatever it says. */
		if (fr_smartctl(ch->out, ch->len, p->tok, FP_TOKENS, &p->smart[p->nsmart]) == FR_OK)
			p->nsmart++;
		p->drive_at++;
	}
	if (p->drive_at >= p->ndrives && p->ndrives > 0) { /* a round done */
		memcpy(p->last, p->smart, sizeof(p->smart[0]) * (size_t)p->nsmart);
		p->nlast = p->nsmart;
		p->have_smart = p->nsmart > 0;
		p->ndrives = p->drive_at = 0;
	}
	if (p->have_smart) {
		f->has_smart = 1;
		f->nsmart = p->nlast;
		memcpy(f->smart, p->last, sizeof(p->last[0]) * (size_t)p->nlast);
	}
}

/* ---- textfile metrics ---------------------------------------------------- */

struct tf_walk {
	struct fleet_poll *p;
	struct fleet *f;
	int files;
};

static int tf_file(const char *name, void *arg)
{
	struct tf_walk *w = arg;
	char path[1024];
	size_t n = strlen(name), len;
	uint64_t size;
	if (n < 6 || strcmp(name + n - 5, ".prom") != 0 || name[0] == '.')
		return 0;
	if (++w->files > MAX_TEXTFILES)
		return 1;
	if (snprintf(path, sizeof(path), "%s/%s", w->p->cfg.textfile_dir, name) >= (int)sizeof(path))
		return 0;
	if (port_file_head(path, w->p->text, sizeof(w->p->text), &len, &size) != PORT_OK)
		return 0;
	/* A file cut at our cap loses its last, partial line. */
	fr_textfile(w->p->text, len, size == len, w->f->custom, FLEET_MAX_CUSTOM, &w->f->ncustom);
	return w->f->ncustom >= FLEET_MAX_CUSTOM;
}

static void poll_textfile(struct fleet_poll *p, struct fleet *f)
{
	struct tf_walk w = {p, f, 0};
	if (!AGENT_FLEET_TEXTFILE || !p->cfg.textfile_dir[0])
		return;
	if (port_dir_each(p->cfg.textfile_dir, tf_file, &w) == PORT_OK)
		f->has_custom = 1;
}

/* ---- the cycle ----------------------------------------------------------- */

void fleet_poll(struct fleet_poll *p, struct fleet *f, unsigned budget_ms)
{
	uint64_t now = port_mono_ms(), deadline = now + budget_ms;
	fleet_clear(f);
	if (AGENT_FLEET_UPS)
		poll_ups(p, f, now, deadline);
	if (AGENT_FLEET_DOCKER)
		poll_docker(p, f, now, deadline);
	poll_textfile(p, f);
	poll_units(p, f, now, deadline);
	poll_smart(p, f, now, deadline);
}

void fleet_poll_stop(struct fleet_poll *p)
{
	int code, os_err;
	struct fp_child *ch[2] = {&p->units_child, &p->smart_child};
	for (int i = 0; i < 2; i++)
		if (ch[i]->running) {
			port_child_kill(&ch[i]->c);
			port_child_reap(&ch[i]->c, 1, &code, &os_err);
			ch[i]->running = 0;
		}
}

int fleet_sample_to_json(const struct sample *s, const struct fleet *f, char *buf, size_t cap, size_t *len)
{
	struct json_w w;
	json_init(&w, buf, cap);
	json_obj_open(&w);
	sample_json_members(&w, s);
	fleet_json_members(&w, f);
	json_obj_close(&w);
	return json_finish(&w, len);
}
