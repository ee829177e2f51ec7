/* action.c — remote actions (action.h): power, diag, speedtest, stability.
 * Child runs have fixed argv lists and a buffer each; results wait in one
 * outbox of length-prefixed JSON messages until the link takes them. */
#include "agent-min/action.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/alog.h"
#include "agent-min/st_builtin.h"
#include "agent-min/st_parse.h"
#include "agent-min/stab.h"
#include "wire/json.h"

#define POWER_FLUSH_MS 2000u /* the reply's time to leave before the OS call */
#define REAP_POLL_MS 20u     /* output ended, the child not yet gone */
#define NOTE_MAX 512         /* room for a note before a diag report */
#define OB_CAP (ACT_MSG_MAX + STAB_MSG_MAX + (64u << 10))
#define ST_OUT_MAX (64u << 10)
#define REPORT_MAX (64u << 10)

/* The child's environment never holds the agent's secret. */
static const char *const drop_env[] = { "AGENT_SECRET", NULL };

struct cand {
	const char *argv[6];
	const char *desc;
	int tool;
};

static const struct cand diag_cands[] = {
	{ { "inxi", "-F", NULL }, "inxi -F", 0 },
	{ { "lshw", "-short", NULL }, "lshw -short", 0 },
	{ { "systeminfo", NULL }, "systeminfo", 0 }, /* Windows' own (SPEC §4) */
};
static const struct cand st_cands[] = {
	{ { "speedtest", "--format=json", "--accept-license", "--accept-gdpr", NULL }, "speedtest", ST_OOKLA },
	{ { "speedtest-cli", "--json", NULL }, "speedtest-cli", ST_CLI },
};

struct run {
	int active;
	const struct cand *c;
	struct port_child ch;
	char *buf;
	size_t cap, len;
	int cut, timed_out, killed, code;
	uint64_t deadline;
};

static struct {
	const struct act_link *l;
	uint64_t timeout_ms;
	struct run diag, st;
	int power;            /* enum port_power pending, -1 none */
	uint64_t power_at;
	size_t ob_len;
} A = { .power = -1 };

static char ob[OB_CAP];
static char diag_buf[NOTE_MAX + ACT_OUTPUT_MAX];
static char st_buf[ST_OUT_MAX];
static char report[REPORT_MAX];
static char stab_out[STAB_MSG_MAX];
static struct port_fs fs[64];
static struct port_if ifs[64];

/* ---- outbox -------------------------------------------------------------- */

static char *ob_tail(size_t *room)
{
	size_t r = OB_CAP - A.ob_len;
	*room = r > 4 ? r - 4 : 0;
	return ob + A.ob_len + 4;
}

static void ob_commit(size_t n)
{
	uint32_t v = (uint32_t)n;
	memcpy(ob + A.ob_len, &v, 4);
	A.ob_len += 4 + n;
}

const char *act_outbox(size_t *len)
{
	uint32_t v;
	if (A.ob_len == 0)
		return NULL;
	memcpy(&v, ob, 4);
	*len = v;
	return ob + 4;
}

void act_outbox_pop(void)
{
	uint32_t v;
	if (A.ob_len == 0)
		return;
	memcpy(&v, ob, 4);
	A.ob_len -= 4 + v;
	memmove(ob, ob + 4 + v, A.ob_len);
}

/* {"text": "..."} */
static void text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void text(const char *fmt, ...)
{
	char t[1024];
	struct json_w w;
	size_t room, n;
	char *p = ob_tail(&room);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	json_init(&w, p, room);
	json_obj_open(&w);
	json_key(&w, "text");
	json_str(&w, t);
	json_obj_close(&w);
	if (json_finish(&w, &n) == JSON_OK)
		ob_commit(n);
	else
		LOG_WARN("outbox full, text dropped: %s", t);
}

/* {"diag": "...", "diag_ok": ok} */
static void diag_msg(const char *s, size_t len, int ok)
{
	struct json_w w;
	size_t room, n;
	char *p = ob_tail(&room);
	json_init(&w, p, room);
	json_obj_open(&w);
	json_key(&w, "diag");
	json_strn(&w, s, len);
	json_key(&w, "diag_ok");
	json_bool(&w, ok);
	json_obj_close(&w);
	if (json_finish(&w, &n) == JSON_OK)
		ob_commit(n);
	else
		LOG_WARN("outbox full, diagnostics report of %zu bytes dropped", len);
}

/* ---- child runs ---------------------------------------------------------- */

/* 1 started, 0 none of the candidates is installed, -1 failed (err). */
static int run_start(struct run *r, const struct cand *c, size_t nc, char *buf, size_t cap, uint64_t now,
                     char *err, size_t errlen)
{
	for (size_t i = 0; i < nc; i++) {
		int os_err = 0, rc = port_child_start(&r->ch, c[i].argv, drop_env, &os_err);
		if (rc == PORT_ENOTAVAIL)
			continue;
		if (rc != PORT_OK) {
			char e[128];
			snprintf(err, errlen, "cannot start %s: %s", c[i].desc, port_strerror(os_err, e, sizeof(e)));
			return -1;
		}
		r->active = 1;
		r->c = &c[i];
		r->buf = buf;
		r->cap = cap;
		r->len = 0;
		r->cut = r->timed_out = r->killed = 0;
		r->code = 0;
		r->deadline = now + A.timeout_ms;
		return 1;
	}
	return 0;
}

/* 1 when the run's result is ready (r->code, cut, timed_out set). A run
 * stopped for its output or its time is reported at once and collected
 * afterwards without blocking (a child in uninterruptible sleep dies late);
 * it counts as running until then. */
static int run_step(struct run *r, uint64_t now)
{
	int os_err = 0, rc, code;
	size_t n;
	while (r->ch.fd >= 0 && !r->cut && !r->killed) {
		char scratch[512];
		if (r->len < r->cap)
			rc = port_child_read(&r->ch, r->buf + r->len, r->cap - r->len, &n, &os_err);
		else
			rc = port_child_read(&r->ch, scratch, sizeof(scratch), &n, &os_err);
		if (rc == PORT_EAGAIN || (rc == PORT_OK && n == 0))
			break;
		if (rc != PORT_OK || r->len == r->cap)
			r->cut = 1; /* a pipe that fails is stopped like one that overflows */
		else
			r->len += n;
	}
	if (r->killed) {
		if (port_child_reap(&r->ch, 0, &code, &os_err) != PORT_EAGAIN)
			r->active = 0;
		return 0;
	}
	if (!r->cut && r->ch.fd < 0 && (rc = port_child_reap(&r->ch, 0, &r->code, &os_err)) != PORT_EAGAIN) {
		if (rc != PORT_OK)
			r->code = -1;
		r->active = 0;
		return 1;
	}
	if (r->cut || now >= r->deadline) {
		r->timed_out = !r->cut;
		r->killed = 1;
		port_child_kill(&r->ch);
		if (port_child_reap(&r->ch, 0, &code, &os_err) != PORT_EAGAIN)
			r->active = 0;
		return 1;
	}
	return 0;
}

static uint64_t run_wake(const struct run *r, uint64_t now)
{
	if (!r->active)
		return UINT64_MAX;
	if (r->killed)
		return now + REAP_POLL_MS;
	if (r->ch.fd < 0)
		return now + REAP_POLL_MS < r->deadline ? now + REAP_POLL_MS : r->deadline;
	return r->deadline;
}

static void run_kill(struct run *r)
{
	int code, os_err;
	if (!r->active)
		return;
	port_child_kill(&r->ch);
	port_child_reap(&r->ch, 1, &code, &os_err);
	r->active = 0;
}

/* ---- diag ---------------------------------------------------------------- */

static size_t rep_len;

static void rep(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rep(const char *fmt, ...)
{
	va_list ap;
	int n;
	if (rep_len >= sizeof(report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(report + rep_len, sizeof(report) - rep_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		rep_len += (size_t)n < sizeof(report) - rep_len ? (size_t)n : sizeof(report) - 1 - rep_len;
}

static double gib(uint64_t b)
{
	return (double)b / (1024.0 * 1024.0 * 1024.0);
}

/* SPEC §4: OS, kernel, CPU model, memory, mounts, interfaces, uptime. */
static void builtin_report(void)
{
	struct port_host h;
	struct port_cpu cpu;
	struct port_mem m;
	double up, load[3];
	int n;
	rep_len = 0;
	port_host_read(&h);
	rep("Diagnostics of %s (built-in report of monbot-agent %s: inxi, lshw and systeminfo are not installed)\n\n",
	    h.hostname[0] ? h.hostname : "this host", AGENT_VERSION);
	rep("OS: %s\n", h.os[0] ? h.os : "unknown");
	rep("Kernel: %s (%s)\n", h.kernel[0] ? h.kernel : "unknown", h.arch[0] ? h.arch : "unknown");
	rep("CPU: %s", h.cpu_model[0] ? h.cpu_model : "model unknown");
	if (port_cpu_read(&cpu) == PORT_OK && cpu.ncpu > 0)
		rep(", %u logical CPUs", cpu.ncpu);
	rep("\n");
	if (port_loadavg(load) == PORT_OK)
		rep("Load: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	if (port_mem_read(&m) == PORT_OK) {
		rep("Memory: %.2f GiB total, %.2f GiB available", gib(m.total), gib(m.avail));
		if (m.swap_total != PORT_NA && m.swap_free != PORT_NA)
			rep("; swap %.2f GiB total, %.2f GiB free", gib(m.swap_total), gib(m.swap_free));
		rep("\n");
	} else {
		rep("Memory: unknown\n");
	}
	if (port_uptime(&up) == PORT_OK && up >= 0 && up < 1e10) {
		unsigned long long s = (unsigned long long)up;
		rep("Uptime: %llu d %02llu:%02llu:%02llu\n", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	} else {
		rep("Uptime: unknown\n");
	}
	rep("Mounts:\n");
	if (port_fs_list(fs, (int)(sizeof(fs) / sizeof(fs[0])), &n) == PORT_OK || n > 0)
		for (int i = 0; i < n; i++)
			if (fs[i].physical && fs[i].total > 0)
				rep("  %s  %s  %s  %.2f of %.2f GiB used (%.0f %%)\n", fs[i].mount, fs[i].fstype, fs[i].dev,
				    gib(fs[i].used), gib(fs[i].total), 100.0 * (double)fs[i].used / (double)fs[i].total);
	rep("Interfaces:\n");
	if (port_if_list(ifs, (int)(sizeof(ifs) / sizeof(ifs[0])), &n) == PORT_OK || n > 0)
		for (int i = 0; i < n; i++)
			rep("  %s  received %.2f GiB, sent %.2f GiB\n", ifs[i].name, gib(ifs[i].rx), gib(ifs[i].tx));
}

static void diag_done(struct run *r)
{
	char note[NOTE_MAX];
	int ok = 1;
	size_t nl;
	note[0] = '\0';
	if (r->timed_out) {
		snprintf(note, sizeof(note), "%s did not finish within %llu s and was stopped.\n", r->c->desc,
		         (unsigned long long)(A.timeout_ms / 1000));
		ok = 0;
	} else if (r->cut) {
		snprintf(note, sizeof(note), "[output cut off at %u KiB: %s was stopped]\n", ACT_OUTPUT_MAX >> 10,
		         r->c->desc);
	} else if (r->code != 0) {
		snprintf(note, sizeof(note), "%s exited with status %d.\n", r->c->desc, r->code);
		ok = 0;
	}
	nl = strlen(note);
	if (nl)
		LOG_WARN("diag: %.*s", (int)nl - 1, note);
	memcpy(r->buf - nl, note, nl); /* r->buf is diag_buf + NOTE_MAX */
	diag_msg(r->buf - nl, r->len + nl, ok);
}

static void diag_cmd(uint64_t now)
{
	char err[256];
	int rc;
	if (A.diag.active) {
		text("Diagnostics already running on this host.");
		return;
	}
	rc = run_start(&A.diag, diag_cands, sizeof(diag_cands) / sizeof(diag_cands[0]), diag_buf + NOTE_MAX,
	               ACT_OUTPUT_MAX, now, err, sizeof(err));
	if (rc < 0) {
		diag_msg(err, strlen(err), 0);
	} else if (rc == 0) {
		builtin_report();
		diag_msg(report, rep_len, 1);
	}
}

/* ---- speedtest ----------------------------------------------------------- */

static void st_done(struct run *r)
{
	struct st_result res;
	char err[256], out[512];
	if (r->timed_out) {
		text("Speedtest failed: %s did not finish within %llu s and was stopped.", r->c->desc,
		     (unsigned long long)(A.timeout_ms / 1000));
		return;
	}
	if (r->cut) {
		text("Speedtest failed: %s printed more than %u KiB and was stopped.", r->c->desc, ST_OUT_MAX >> 10);
		return;
	}
	if (st_parse((enum st_tool)r->c->tool, r->buf, r->len, &res, err, sizeof(err)) == 0) {
		st_format(&res, r->c->tool == ST_OOKLA ? "speedtest.net, Ookla" : "speedtest-cli", out, sizeof(out));
		text("%s", out);
		return;
	}
	if (r->code != 0)
		text("Speedtest failed: %s exited with status %d: %s", r->c->desc, r->code, err);
	else
		text("Speedtest failed: %s: %s", r->c->desc, err);
}

static void speedtest_cmd(uint64_t now)
{
	const struct act_link *l = A.l;
	char err[256];
	int rc;
	if (A.st.active || stb_running()) {
		text("Speedtest already running on this host.");
		return;
	}
	rc = run_start(&A.st, st_cands, sizeof(st_cands) / sizeof(st_cands[0]), st_buf, sizeof(st_buf), now, err,
	               sizeof(err));
	if (rc < 0) {
		text("Speedtest failed: %s", err);
	} else if (rc == 0) {
		struct stb_target t = {
			.tls = l->tls, .addr = l->addr, .host = l->cfg->server, .port = l->cfg->port,
			.secret = l->cfg->secret,
			.fp = l->tls && l->cfg->verify == VERIFY_PIN ? l->fp : NULL,
			.spki = l->tls && l->cfg->verify == VERIFY_PIN ? l->spki : NULL,
		};
		if (!l->open || (t.tls && t.fp && !l->pinned))
			text("Speedtest failed: not connected to the monitoring server");
		else if (stb_start(&t, now, err, sizeof(err)) < 0)
			text("Speedtest failed: %s", err);
	}
}

/* ---- commands ------------------------------------------------------------ */

static void power_cmd(enum port_power what, uint64_t now)
{
	const char *verb = what == PORT_POWER_REBOOT ? "reboot" : "shutdown";
	if (!A.l->cfg->allow_power) {
		text("Power commands are disabled on this host (AGENT_ALLOW_POWER=0): %s refused.", verb);
		return;
	}
	if (A.power >= 0) {
		text("A %s is already under way on this host.", A.power == PORT_POWER_REBOOT ? "reboot" : "shutdown");
		return;
	}
	if (what == PORT_POWER_REBOOT)
		text("Rebooting %s now (requested from the monitoring server).", A.l->hostname);
	else
		text("Shutting down %s now (requested from the monitoring server).", A.l->hostname);
	A.power = (int)what;
	A.power_at = now + POWER_FLUSH_MS;
}

static void stability_cmd(const char *args, uint64_t now)
{
	const struct agent_config *cfg = A.l->cfg;
	struct port_addr ua;
	char err[256];
	if (stab_running()) {
		text("Stability test already running on this host.");
		return;
	}
	if (conn_resolve(cfg->server, cfg->udp_port, &ua, err, sizeof(err)) != CONN_OK) {
		text("Stability test failed: %s", err);
		return;
	}
	if (stab_start(args, &ua, now, err, sizeof(err)) < 0)
		text("Stability test refused: %s", err);
}

void act_init(const struct act_link *l)
{
	const char *t = getenv("MONBOT_TEST_ACTION_TIMEOUT_MS");
	A.l = l;
	A.power = -1;
	A.timeout_ms = ACT_TIMEOUT_MS;
	port_child_init(&A.diag.ch);
	port_child_init(&A.st.ch);
	if (t && *t) {
		char *end;
		unsigned long v = strtoul(t, &end, 10);
		if (*end == '\0' && v >= 1 && v <= ACT_TIMEOUT_MS) {
			A.timeout_ms = v;
			LOG_WARN("MONBOT_TEST_ACTION_TIMEOUT_MS=%lu: actions time out early (a test setting)", v);
		}
	}
}

void act_command(const char *cmd, size_t n, uint64_t now)
{
	char c[256];
	if (n >= sizeof(c))
		n = sizeof(c) - 1;
	memcpy(c, cmd, n);
	c[n] = '\0';
	if (strcmp(c, "reboot") != 0 && strcmp(c, "shutdown") != 0 && strcmp(c, "diag") != 0 &&
	    strcmp(c, "speedtest") != 0 && !(strncmp(c, "stability", 9) == 0 && (c[9] == ' ' || c[9] == '\0'))) {
		LOG_INFO("command '%.*s' is not supported by this agent", (int)(n > 64 ? 64 : n), c);
		text("Command '%.*s' is not supported by this agent (monbot-agent %s).", (int)(n > 64 ? 64 : n), c,
		     AGENT_VERSION);
		return;
	}
	LOG_INFO("command '%s'", c);
	if (strcmp(c, "reboot") == 0)
		power_cmd(PORT_POWER_REBOOT, now);
	else if (strcmp(c, "shutdown") == 0)
		power_cmd(PORT_POWER_SHUTDOWN, now);
	else if (strcmp(c, "diag") == 0)
		diag_cmd(now);
	else if (strcmp(c, "speedtest") == 0)
		speedtest_cmd(now);
	else if (strncmp(c, "stability", 9) == 0 && (c[9] == ' ' || c[9] == '\0'))
		stability_cmd(c + 9 + (c[9] == ' '), now);
}

/* ---- the loop ------------------------------------------------------------ */

unsigned act_pollfds(struct port_pollfd *p)
{
	unsigned k = 0;
	if (A.diag.active && !A.diag.killed && A.diag.ch.fd >= 0)
		p[k++] = (struct port_pollfd){ A.diag.ch.fd, PORT_WAIT_READ, 0 };
	if (A.st.active && !A.st.killed && A.st.ch.fd >= 0)
		p[k++] = (struct port_pollfd){ A.st.ch.fd, PORT_WAIT_READ, 0 };
	if (stb_running()) {
		stb_pollfd(&p[k]);
		if (p[k].fd >= 0)
			k++;
	}
	if (stab_fd() >= 0)
		p[k++] = (struct port_pollfd){ stab_fd(), PORT_WAIT_READ, 0 };
	return k;
}

uint64_t act_next_wake(uint64_t now)
{
	uint64_t w = UINT64_MAX, x;
	if ((x = run_wake(&A.diag, now)) < w)
		w = x;
	if ((x = run_wake(&A.st, now)) < w)
		w = x;
	if ((x = stb_next_wake(now)) < w)
		w = x;
	if ((x = stab_next_wake(now)) < w)
		w = x;
	if (A.power >= 0)
		w = A.ob_len == 0 && A.l->tx_empty ? now : A.power_at < w ? A.power_at : w;
	return w;
}

void act_step(uint64_t now, const struct port_pollfd *p, unsigned n)
{
	char out[512];
	int stab_readable = 0;
	for (unsigned i = 0; i < n; i++)
		if (p[i].fd >= 0 && p[i].fd == stab_fd() && (p[i].ready & PORT_WAIT_READ))
			stab_readable = 1;
	if (A.diag.active && run_step(&A.diag, now))
		diag_done(&A.diag);
	if (A.st.active && run_step(&A.st, now))
		st_done(&A.st);
	if (stb_running() && stb_step(now, out, sizeof(out)))
		text("%s", out);
	if (stab_running() || stab_fd() >= 0) {
		size_t room, k;
		char *dst = ob_tail(&room);
		if (room >= STAB_MSG_MAX) {
			if ((k = stab_step(now, stab_readable, dst, STAB_MSG_MAX)) > 0)
				ob_commit(k);
		} else if (stab_step(now, stab_readable, stab_out, sizeof(stab_out)) > 0) {
			LOG_WARN("outbox full: a stability chunk was dropped");
		}
	}
	if (A.power >= 0 && ((A.ob_len == 0 && A.l->tx_empty) || now >= A.power_at)) {
		enum port_power what = (enum port_power)A.power;
		char err[256];
		A.power = -1;
		if (port_power(what, err, sizeof(err)) != PORT_OK)
			text("%s failed: %s", what == PORT_POWER_REBOOT ? "Reboot" : "Shutdown", err);
	}
}

int act_busy(void)
{
	return A.diag.active || A.st.active || stb_running() || stab_running() || A.power >= 0;
}

void act_stop(void)
{
	run_kill(&A.diag);
	run_kill(&A.st);
	stb_abort();
	stab_stop();
}
