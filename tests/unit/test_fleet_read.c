/* test_fleet_read.c — agent-min/fleet_read.c on recorded replies in
 * tests/fixtures/fleet/ (Docker Engine API ContainerSummary, stats and
 * inspect; NUT LIST UPS / LIST VAR; apcupsd's status; NVMe health log
 * pages; smartctl -j; busctl's ListUnitsFiltered) with every value checked,
 * and hostile input for each: truncated, garbled, control characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-min/fleet_read.h"

#define FX "tests/fixtures/fleet/"
#define NTOK 8192

static jsmntok_t tok[NTOK];
static char buf[1 << 20];

static size_t load(const char *name)
{
	FILE *f = fopen(name, "rb");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* ---- Docker -------------------------------------------------------------- */

static void test_docker_list(void **state)
{
	struct fleet_container c[8];
	char ids[8][FR_ID];
	int n = -1;
	size_t len = load(FX "docker_list.json");
	(void)state;
	assert_int_equal(fr_docker_list(buf, len, tok, NTOK, FLEET_DOCKER, c, ids, 8, &n), FR_OK);
	assert_int_equal(n, 5);
	assert_string_equal(c[0].name, "web");
	assert_string_equal(ids[0], "8dfafdbc3a40a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a");
	assert_int_equal(c[0].state, FLEET_ST_RUNNING);
	assert_int_equal(c[0].health, FLEET_H_HEALTHY);
	assert_int_equal(c[0].engine, FLEET_DOCKER);
	assert_int_equal(c[0].restarts, -1);
	assert_true(isnan(c[0].cpu) && isnan(c[0].mem));
	assert_string_equal(c[1].name, "db");
	assert_int_equal(c[1].state, FLEET_ST_RESTARTING);
	assert_int_equal(c[1].health, FLEET_H_NONE);
	assert_string_equal(c[2].name, "worker"); /* the first of Names */
	assert_int_equal(c[2].state, FLEET_ST_EXITED);
	assert_string_equal(c[3].name, "cache");
	assert_int_equal(c[3].health, FLEET_H_STARTING);
	/* "/bad\u0007name\u001b[31m": the control characters dropped */
	assert_string_equal(c[4].name, "badname[31m");
	assert_int_equal(c[4].state, FLEET_ST_PAUSED);
	assert_int_equal(c[4].health, FLEET_H_UNHEALTHY);
	/* at most max */
	assert_int_equal(fr_docker_list(buf, len, tok, NTOK, FLEET_PODMAN, c, ids, 2, &n), FR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(c[1].engine, FLEET_PODMAN);
}

static void test_docker_list_hostile(void **state)
{
	struct fleet_container c[8];
	char ids[8][FR_ID];
	int n = -1;
	size_t len = load(FX "docker_list.json");
	(void)state;
	/* truncated at every tenth byte: refused whole, never a partial list */
	for (size_t cut = 0; cut < len - 1; cut += 10) {
		assert_int_equal(fr_docker_list(buf, cut, tok, NTOK, 0, c, ids, 8, &n), FR_EPARSE);
		assert_int_equal(n, 0);
	}
	/* more tokens than the pool */
	assert_int_equal(fr_docker_list(buf, len, tok, 50, 0, c, ids, 8, &n), FR_EPARSE);
	/* an object, not a list; entries of the wrong types skipped */
	assert_int_equal(fr_docker_list("{\"message\":\"page not found\"}", 28, tok, NTOK, 0, c, ids, 8, &n), FR_EPARSE);
	const char *odd = "[1,\"x\",{\"Id\":5,\"Names\":[\"/a\"]},{\"Id\":\"ab\",\"Names\":\"/b\"},"
	                  "{\"Id\":\"cd\",\"Names\":[\"/\"]},{\"Id\":\"ef\",\"Names\":[\"/ok\"],\"State\":\"zombie\"}]";
	assert_int_equal(fr_docker_list(odd, strlen(odd), tok, NTOK, 0, c, ids, 8, &n), FR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].name, "ok");
	assert_int_equal(c[0].state, FLEET_ST__COUNT); /* unknown state: not written */
	/* a 200-byte name: cut at FLEET_NAME - 1 */
	char big[600];
	int k = snprintf(big, sizeof(big), "[{\"Id\":\"aa\",\"Names\":[\"/%0200d\"],\"State\":\"running\"}]", 0);
	assert_int_equal(fr_docker_list(big, (size_t)k, tok, NTOK, 0, c, ids, 8, &n), FR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(c[0].name), FLEET_NAME - 1);
}

static void test_docker_stats(void **state)
{
	uint64_t cpu, sys;
	double mem;
	size_t len;
	(void)state;
	len = load(FX "docker_stats_t0.json");
	assert_int_equal(fr_docker_stats(buf, len, tok, NTOK, &cpu, &sys, &mem), FR_OK);
	assert_true(cpu == 100000000000ull && sys == 4000000000000000ull);
	assert_true(mem == 52428800.0 - 10485760.0); /* usage - inactive_file (cgroup v2) */
	len = load(FX "docker_stats_t1.json");
	assert_int_equal(fr_docker_stats(buf, len, tok, NTOK, &cpu, &sys, &mem), FR_OK);
	/* 0.5 s of CPU over 5 s of 4 CPUs: 2.5 % of all cores (fleet_poll) */
	assert_true(cpu - 100000000000ull == 500000000ull && sys - 4000000000000000ull == 20000000000ull);
	assert_true(mem == 54525952.0 - 10485760.0);
	len = load(FX "docker_stats_v1.json");
	assert_int_equal(fr_docker_stats(buf, len, tok, NTOK, &cpu, &sys, &mem), FR_OK);
	assert_true(cpu == 7000 && sys == 90000);
	assert_true(mem == 20971520.0 - 4194304.0); /* total_inactive_file (cgroup v1) */
	/* no memory_stats, no system_cpu_usage (a stopped container) */
	const char *stopped = "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":5}}}";
	assert_int_equal(fr_docker_stats(stopped, strlen(stopped), tok, NTOK, &cpu, &sys, &mem), FR_OK);
	assert_true(cpu == 0 && sys == 0 && isnan(mem));
	/* negative and fractional counters are not counters */
	const char *neg = "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":-5},\"system_cpu_usage\":1.5},"
	                  "\"memory_stats\":{\"usage\":-1}}";
	assert_int_equal(fr_docker_stats(neg, strlen(neg), tok, NTOK, &cpu, &sys, &mem), FR_OK);
	assert_true(cpu == 0 && sys == 0 && isnan(mem));
	len = load(FX "docker_stats_t0.json");
	assert_int_equal(fr_docker_stats(buf, len / 2, tok, NTOK, &cpu, &sys, &mem), FR_EPARSE);
	assert_true(isnan(mem));
}

static void test_docker_inspect(void **state)
{
	int64_t r;
	size_t len = load(FX "docker_inspect.json");
	(void)state;
	assert_int_equal(fr_docker_inspect(buf, len, tok, NTOK, &r), FR_OK);
	assert_int_equal(r, 7);
	assert_int_equal(fr_docker_inspect("{\"RestartCount\":\"7\"}", 20, tok, NTOK, &r), FR_OK);
	assert_int_equal(r, -1);
	assert_int_equal(fr_docker_inspect(buf, len - 3, tok, NTOK, &r), FR_EPARSE);
	assert_int_equal(r, -1);
}

/* ---- HTTP ---------------------------------------------------------------- */

static void test_http(void **state)
{
	char b[512];
	int st;
	size_t off, bl;
	(void)state;
	strcpy(b, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]");
	assert_int_equal(fr_http_body(b, strlen(b), 0, &st, &off, &bl), FR_OK);
	assert_int_equal(st, 200);
	assert_int_equal(bl, 2);
	assert_memory_equal(b + off, "[]", 2);
	/* short of its Content-Length: more, or refused at the end */
	assert_int_equal(fr_http_body(b, strlen(b) - 1, 0, &st, &off, &bl), FR_EAGAIN);
	assert_int_equal(fr_http_body(b, strlen(b) - 1, 1, &st, &off, &bl), FR_EPARSE);
	/* no length: the body ends where the peer closed */
	strcpy(b, "HTTP/1.0 200 OK\r\nServer: Docker/24.0.7 (linux)\r\n\r\n[{\"Id\":\"a\"}]");
	assert_int_equal(fr_http_body(b, strlen(b), 0, &st, &off, &bl), FR_EAGAIN);
	assert_int_equal(fr_http_body(b, strlen(b), 1, &st, &off, &bl), FR_OK);
	assert_int_equal(bl, 12);
	/* chunked (an HTTP/1.1 answer), split at every byte */
	const char *ch = "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n4\r\n[{\"a\r\n5;x=y\r\n\":1}]\r\n0\r\n\r\n";
	size_t cl = strlen(ch);
	for (size_t cut = 0; cut < cl; cut++) {
		memcpy(b, ch, cut);
		assert_int_not_equal(fr_http_body(b, cut, 0, &st, &off, &bl), FR_OK);
	}
	memcpy(b, ch, cl);
	assert_int_equal(fr_http_body(b, cl, 0, &st, &off, &bl), FR_OK);
	assert_int_equal(bl, 9);
	assert_memory_equal(b + off, "[{\"a\":1}]", 9);
	strcpy(b, "HTTP/1.1 404 Not Found\r\nContent-Length: 29\r\n\r\n{\"message\":\"No such image\"}\n\n");
	assert_int_equal(fr_http_body(b, strlen(b), 0, &st, &off, &bl), FR_OK);
	assert_int_equal(st, 404);
	/* pipelined: a sized reply, a chunked one, the start of a third */
	{
		static char pb[1024];
		size_t used, pl;
		const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{1}"
		                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{2\r\n1\r\n}\r\n0\r\n\r\n"
		                  "HTTP/1.1 200";
		pl = strlen(two);
		memcpy(pb, two, pl);
		assert_int_equal(fr_http_next(pb, pl, 0, &st, &off, &bl, &used), FR_OK);
		assert_int_equal(bl, 3);
		assert_memory_equal(pb + off, "{1}", 3);
		memmove(pb, pb + used, pl - used);
		pl -= used;
		assert_int_equal(fr_http_next(pb, pl, 0, &st, &off, &bl, &used), FR_OK);
		assert_int_equal(bl, 3);
		assert_memory_equal(pb + off, "{2}", 3);
		memmove(pb, pb + used, pl - used);
		pl -= used;
		assert_int_equal(pl, 12);
		assert_memory_equal(pb, "HTTP/1.1 200", 12);
		assert_int_equal(fr_http_next(pb, pl, 0, &st, &off, &bl, &used), FR_EAGAIN);
	}
	/* not HTTP; a bad chunk size; a huge length */
	strcpy(b, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
	assert_int_equal(fr_http_body(b, strlen(b), 1, &st, &off, &bl), FR_EPARSE);
	strcpy(b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
	assert_int_equal(fr_http_body(b, strlen(b), 0, &st, &off, &bl), FR_EPARSE);
	strcpy(b, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n");
	assert_int_equal(fr_http_body(b, strlen(b), 0, &st, &off, &bl), FR_EPARSE);
}

/* ---- NUT ----------------------------------------------------------------- */

static void ups_none(struct fleet_ups *u)
{
	memset(u, 0, sizeof(*u));
	u->charge = u->runtime = u->load = NAN;
}

static void test_nut(void **state)
{
	char name[64];
	struct fleet_ups u;
	size_t len;
	(void)state;
	len = load(FX "nut_list_ups.txt");
	assert_int_equal(fr_nut_ups(buf, len, name, sizeof(name)), FR_OK);
	assert_string_equal(name, "ups");
	assert_int_equal(fr_nut_ups(buf, len - 3, name, sizeof(name)), FR_EAGAIN);
	assert_int_equal(fr_nut_ups("BEGIN LIST UPS\nEND LIST UPS\n", 28, name, sizeof(name)), FR_ENOENT);
	assert_int_equal(fr_nut_ups("ERR ACCESS-DENIED\n", 18, name, sizeof(name)), FR_ENOENT);
	len = load(FX "nut_list_var.txt");
	ups_none(&u);
	assert_int_equal(fr_nut_vars(buf, len, &u), FR_OK);
	assert_int_equal(u.source, FLEET_UPS_NUT);
	assert_true(u.charge == 87 && u.runtime == 1820 && u.load == 23);
	assert_string_equal(u.status, "OB DISCHRG");
	assert_int_equal(u.on_battery, 1);
	/* every cut before END LIST: still waiting, never done */
	for (size_t cut = 0; cut + 1 < len; cut++) {
		ups_none(&u);
		assert_int_not_equal(fr_nut_vars(buf, cut, &u), FR_OK);
	}
	ups_none(&u);
	assert_int_equal(fr_nut_vars("ERR UNKNOWN-UPS\n", 16, &u), FR_ENOENT);
	const char *odd = "BEGIN LIST VAR ups\nVAR ups ups.status \"OL \\\"CHRG\\\"\"\nVAR ups battery.charge \"150\"\n"
	                  "VAR ups ups.load \"12abc\"\nVAR ups battery.runtime \"-5\"\nEND LIST VAR ups\n";
	ups_none(&u);
	assert_int_equal(fr_nut_vars(odd, strlen(odd), &u), FR_OK);
	assert_string_equal(u.status, "OL \"CHRG\"");
	assert_int_equal(u.on_battery, 0);
	assert_true(isnan(u.charge) && isnan(u.load) && isnan(u.runtime));
	ups_none(&u);
	assert_int_equal(fr_nut_vars("BEGIN LIST VAR ups\nHELLO\n", 25, &u), FR_EPARSE);
	ups_none(&u);
	assert_int_equal(fr_nut_vars("VAR ups ups.status \"OL\n", 23, &u), FR_EPARSE); /* no closing quote */
}

/* ---- apcupsd ------------------------------------------------------------- */

/* The text as apcupsd's NIS sends it: one frame per line, then length 0. */
static size_t apc_frames(const char *text, uint8_t *out, size_t cap)
{
	size_t o = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
		assert_true(o + 2 + n < cap);
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
		memcpy(out + o, l, n);
		o += n;
		l += n;
	}
	out[o++] = 0;
	out[o++] = 0;
	return o;
}

static void test_apcupsd(void **state)
{
	static uint8_t fr[8192];
	struct fleet_ups u;
	size_t n;
	(void)state;
	load(FX "apcupsd_status.txt");
	n = apc_frames(buf, fr, sizeof(fr));
	ups_none(&u);
	assert_int_equal(fr_apc_status(fr, n, &u), FR_OK);
	assert_int_equal(u.source, FLEET_UPS_APCUPSD);
	assert_string_equal(u.name, "office");
	assert_string_equal(u.status, "ONLINE");
	assert_int_equal(u.on_battery, 0);
	assert_true(u.charge == 100 && u.load == 12);
	assert_true(fabs(u.runtime - 45.3 * 60) < 1e-9); /* 45.3 minutes */
	for (size_t cut = 0; cut < n; cut++) {
		ups_none(&u);
		assert_int_equal(fr_apc_status(fr, cut, &u), FR_EAGAIN);
	}
	const char *batt = "STATUS   : ONBATT LOWBATT\nBCHARGE  : garbage\nTIMELEFT : 1e400 Minutes\n";
	n = apc_frames(batt, fr, sizeof(fr));
	ups_none(&u);
	assert_int_equal(fr_apc_status(fr, n, &u), FR_OK);
	assert_int_equal(u.on_battery, 1);
	assert_string_equal(u.status, "ONBATT LOWBATT");
	assert_true(isnan(u.charge) && isnan(u.runtime));
	/* a frame claiming more than was sent: waiting, never read past */
	const uint8_t lie[] = {0xff, 0xff, 'S', 'T'};
	ups_none(&u);
	assert_int_equal(fr_apc_status(lie, sizeof(lie), &u), FR_EAGAIN);
}

/* ---- disk health --------------------------------------------------------- */

static void test_nvme(void **state)
{
	struct fleet_smart d;
	uint8_t page[512];
	(void)state;
	assert_int_equal(load(FX "nvme_health_ok.bin"), 512);
	memcpy(page, buf, 512);
	fr_nvme_health(page, &d);
	assert_int_equal(d.ok, 1);
	assert_true(d.temp == 38 && d.used == 3); /* 311 K; 3 % of rated life */
	assert_int_equal(d.nattrs, 0);
	assert_int_equal(load(FX "nvme_health_failing.bin"), 512);
	memcpy(page, buf, 512);
	fr_nvme_health(page, &d);
	assert_int_equal(d.ok, 0); /* reliability degraded */
	assert_true(d.temp == 85 && d.used == 104);
	memset(page, 0, sizeof(page)); /* temperature 0 K: not reported */
	fr_nvme_health(page, &d);
	assert_true(isnan(d.temp));
}

static void test_smartctl(void **state)
{
	struct fleet_smart d;
	size_t len;
	(void)state;
	memset(&d, 0, sizeof(d));
	len = load(FX "smartctl_sda.json");
	assert_int_equal(fr_smartctl(buf, len, tok, NTOK, &d), FR_OK);
	assert_int_equal(d.ok, 1);
	assert_string_equal(d.model, "Samsung SSD 870 EVO 1TB");
	assert_true(d.temp == 34 && isnan(d.used));
	assert_int_equal(d.nattrs, 4);
	assert_int_equal(d.attrs[0].id, 5);
	assert_string_equal(d.attrs[0].name, "Reallocated_Sector_Ct");
	assert_true(d.attrs[0].value == 100 && d.attrs[0].worst == 100 && d.attrs[0].thresh == 10 && d.attrs[0].raw == 0);
	assert_true(d.attrs[1].id == 9 && d.attrs[1].raw == 8123);
	assert_true(d.attrs[3].id == 194 && d.attrs[3].value == 66 && d.attrs[3].worst == 52 &&
	            d.attrs[3].raw == 133145755682ll);
	len = load(FX "smartctl_failing.json");
	assert_int_equal(fr_smartctl(buf, len, tok, NTOK, &d), FR_OK);
	assert_int_equal(d.ok, 0);
	assert_string_equal(d.model, "WDC WD40EFRX-68N32N0");
	assert_int_equal(d.nattrs, 1);
	assert_true(d.attrs[0].value == 3 && d.attrs[0].thresh == 140 && d.attrs[0].raw == 2328);
	assert_true(d.temp == 41);
	/* no verdict (a USB bridge smartctl cannot see through); truncated */
	assert_int_equal(fr_smartctl("{\"smartctl\":{\"exit_status\":2}}", 30, tok, NTOK, &d), FR_EPARSE);
	assert_int_equal(fr_smartctl(buf, len - 3, tok, NTOK, &d), FR_EPARSE);
}

static void test_busctl(void **state)
{
	char units[4][FLEET_NAME];
	int n = -1;
	size_t len;
	(void)state;
	len = load(FX "busctl_failed.json");
	assert_int_equal(fr_busctl_units(buf, len, tok, NTOK, units, 4, &n), FR_OK);
	assert_int_equal(n, 3);
	assert_string_equal(units[0], "nginx.service");
	assert_string_equal(units[1], "backup@nightly.service");
	assert_string_equal(units[2], "evil[2J.mount"); /* ESC dropped */
	assert_int_equal(fr_busctl_units(buf, len, tok, NTOK, units, 2, &n), FR_OK);
	assert_int_equal(n, 2);
	len = load(FX "busctl_none.json");
	assert_int_equal(fr_busctl_units(buf, len, tok, NTOK, units, 4, &n), FR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(fr_busctl_units("Failed to connect to bus: No such file or directory\n", 52, tok, NTOK, units, 4,
	                                 &n), FR_EPARSE);
	/* a unit listed as active is not failed */
	const char *act = "{\"type\":\"a(ssssssouso)\",\"data\":[[[\"a.service\",\"\",\"loaded\",\"active\",\"running\"]]]}";
	assert_int_equal(fr_busctl_units(act, strlen(act), tok, NTOK, units, 4, &n), FR_OK);
	assert_int_equal(n, 0);
}

/* ---- textfile ------------------------------------------------------------ */

static void test_textfile(void **state)
{
	struct fleet_custom c[4];
	int n = 0, refused;
	const char *t = "# HELP backup_age_seconds Age of the last backup.\n"
	                "# TYPE backup_age_seconds gauge\n"
	                "backup_age_seconds 3600\n"
	                "\n"
	                "temp{room=\"attic\",note=\"a}b \\\"q\\\"\"} 21.5 1701648000000\r\n"
	                "  node:disk_ok 1e3\n"
	                "backup_age_seconds 3601\n"
	                "nan_metric NaN\n"
	                "inf_metric +Inf\n"
	                "9starts_with_digit 1\n"
	                "bad\x01name 2\n"
	                "lbl{a=\"\x1b[31m\"} 3\n"
	                "novalue\n"
	                "unterminated{a=\"b} 1\n"
	                "trailing 1 2 3\n"
	                "cut_line 4";
	(void)state;
	refused = fr_textfile(t, strlen(t), 0, c, 4, &n);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].key, "backup_age_seconds");
	assert_true(c[0].value == 3601); /* the later line wins */
	assert_string_equal(c[1].key, "temp{room=\"attic\",note=\"a}b \\\"q\\\"\"}");
	assert_true(c[1].value == 21.5);
	assert_string_equal(c[2].key, "node:disk_ok");
	assert_true(c[2].value == 1000);
	assert_int_equal(refused, 8); /* NaN, +Inf, digit, \x01, ESC, no value, unterminated, 3 fields */
	/* the file's end: the last line counts; past max refused */
	refused = fr_textfile(t, strlen(t), 1, c, 4, &n);
	assert_int_equal(n, 4);
	assert_string_equal(c[3].key, "cut_line");
	refused = fr_textfile("x_more 1\n", 9, 1, c, 4, &n);
	assert_int_equal(n, 4);
	assert_int_equal(refused, 1);
	/* a key at FLEET_CUSTOM_KEY bytes is refused, one under taken */
	char line[400];
	n = 0;
	memset(line, 'k', FLEET_CUSTOM_KEY);
	memcpy(line + FLEET_CUSTOM_KEY, " 1\n", 4);
	assert_int_equal(fr_textfile(line, strlen(line), 1, c, 4, &n), 1);
	memcpy(line + FLEET_CUSTOM_KEY - 1, " 1\n", 4);
	assert_int_equal(fr_textfile(line, strlen(line), 1, c, 4, &n), 0);
	assert_int_equal(n, 1);
	/* NUL bytes inside a line: refused */
	n = 0;
	assert_int_equal(fr_textfile("a\0b 1\nc 2\n", 10, 1, c, 4, &n), 1);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].key, "c");
}

/* 10 MB of one unterminated line, then of junk lines: nothing taken. */
static void test_textfile_huge(void **state)
{
	struct fleet_custom c[4];
	char *big = malloc(10u << 20);
	int n = 0;
	(void)state;
	assert_non_null(big);
	memset(big, 'a', 10u << 20);
	assert_int_equal(fr_textfile(big, 10u << 20, 0, c, 4, &n), 0);
	assert_int_equal(n, 0);
	for (size_t i = 99; i < (10u << 20); i += 100)
		big[i] = '\n';
	assert_int_equal(fr_textfile(big, 10u << 20, 1, c, 4, &n), (10 << 20) / 100 + 1);
	assert_int_equal(n, 0);
	free(big);
}

static void test_clean(void **state)
{
	char out[8];
	(void)state;
	fr_clean(out, sizeof(out), "a\tb\x7f" "c", 5);
	assert_string_equal(out, "abc");
	/* cut at the cap, never inside a UTF-8 sequence: "abcde" + "é" (2 bytes) */
	fr_clean(out, sizeof(out), "abcdef\xc3\xa9", 8);
	assert_string_equal(out, "abcdef");
	fr_clean(out, sizeof(out), "abcde\xc3\xa9zz", 9);
	assert_string_equal(out, "abcde\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_list),    cmocka_unit_test(test_docker_list_hostile),
		cmocka_unit_test(test_docker_stats),   cmocka_unit_test(test_docker_inspect),
		cmocka_unit_test(test_http),           cmocka_unit_test(test_nut),
		cmocka_unit_test(test_apcupsd),        cmocka_unit_test(test_nvme),
		cmocka_unit_test(test_smartctl),       cmocka_unit_test(test_busctl),
		cmocka_unit_test(test_textfile),       cmocka_unit_test(test_textfile_huge),
		cmocka_unit_test(test_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
