/* store_outage — drives the async store through a MySQL outage and prints
 * TAP. Three keys get a sample every 20 ms (ts = base + sequence) while
 * $MB_STOP takes MariaDB down (run in the background, so the writer has
 * samples queued and in flight when it goes) and $MB_START brings it back.
 * Then every sample must be in `metrics` exactly once, the acks must cover
 * the last one, and the rollups must count each sample once.
 * Environment: DB=mysql, MYSQL_HOST/PORT/USER/SOCKET, MB_STOP, MB_START. */
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/store/db_backend.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "server/store/store_async.h"

extern char **environ;

#define NKEYS 3

static int tap_n, tap_fail;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_fail++;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static pid_t spawn_sh(const char *cmd)
{
	pid_t pid;
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
		return -1;
	return pid;
}

static int done_pid(pid_t *pid, int *status)
{
	if (*pid <= 0)
		return 1;
	if (waitpid(*pid, status, WNOHANG) == *pid) {
		*pid = 0;
		return 1;
	}
	return 0;
}

struct state {
	char keys[NKEYS][STORE_SECRET_MAX + 1];
	int64_t acked[NKEYS];
	uint64_t stored_events, refused;
	int flush_rc, flushed;
};

static void on_ev(void *ctx, const struct store_ev *evs, size_t n)
{
	struct state *s = ctx;
	for (size_t i = 0; i < n; i++) {
		int k = (int)evs[i].tag;
		if (evs[i].kind == STORE_EV_STORED) {
			s->stored_events++;
			if (k >= 0 && k < NKEYS && evs[i].ts > s->acked[k])
				s->acked[k] = evs[i].ts;
		} else {
			s->refused += evs[i].count;
			printf("# refused %u rows of %s from ts %lld: %s\n", evs[i].count, evs[i].secret,
			       (long long)evs[i].ts, store_strerror(evs[i].rc));
		}
	}
}

static void on_flush(void *arg, int rc)
{
	struct state *s = arg;
	s->flush_rc = rc;
	s->flushed = 1;
}

static void pump(struct store_async *a, struct state *s, int ms)
{
	struct pollfd p = {store_async_fd(a), POLLIN, 0};
	if (poll(&p, 1, ms) > 0)
		store_async_dispatch(a, on_ev, s);
}

static double t0;

static void log_sink(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level >= 1)
		printf("# store (%.2f s): %s\n", now_s() - t0, msg);
	fflush(stdout);
}

int main(void)
{
	static const char *const vars[] = {"DB", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USER", "MYSQL_PASSWORD",
	                                   "MYSQL_SOCKET", "MYSQL_DB"};
	struct store_config cfg;
	struct store *st;
	struct store_async *a;
	struct store_stats stats;
	struct state s;
	char err[STORE_ERR_LEN];
	const char *stop_cmd = getenv("MB_STOP"), *start_cmd = getenv("MB_START");
	int64_t base = (int64_t)time(NULL) - 7200, seq = 0, sent_down = 0;
	pid_t pid = 0;
	int status = 0, phase = 0;
	double t_phase = 0;
	size_t max_queued = 0;

	memset(&s, 0, sizeof(s));
	signal(SIGPIPE, SIG_IGN);
	store_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (getenv(vars[i]) && store_config_set(&cfg, vars[i], getenv(vars[i]), err) < 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	if (!stop_cmd || !start_cmd) {
		fprintf(stderr, "store_outage: set MB_STOP and MB_START\n");
		return 2;
	}
	cfg.log = log_sink;
	cfg.reconnect_ms = 200;
	printf("1..7\n");
	if (store_open(&st, &cfg, err) != 0) {
		printf("not ok 1 - open: %s\n", err);
		return 1;
	}
	for (int k = 0; k < NKEYS; k++)
		store_key_create(st, 1, NULL, 1, s.keys[k], NULL);
	store_close(st);
	if (store_async_start(&a, &cfg, 1, err) != 0) {
		printf("not ok 1 - async start: %s\n", err);
		return 1;
	}

	/* phase 0: feeding; 1 s in, the stop command starts (1); when it is
	 * done and 1.5 s passed (2) the start command runs (3); when it is done
	 * and 1 s passed (4) the feeding ends. */
	t0 = now_s();
	while (phase < 4) {
		struct store_row r;
		seq++;
		for (int k = 0; k < NKEYS; k++) {
			store_row_clear(&r);
			snprintf(r.secret, sizeof(r.secret), "%s", s.keys[k]);
			r.ts = base + seq;
			r.v[SC_CPU] = (double)(seq % 100);
			r.v[SC_RAM] = k;
			if (store_async_sample(a, (uint64_t)k, &r) != 0) {
				printf("# sample refused at submission\n");
				tap_fail++;
			}
		}
		if (phase == 2 || phase == 3)
			sent_down += NKEYS;
		pump(a, &s, 20);
		store_async_stats(a, &stats);
		if (stats.queued_rows > max_queued)
			max_queued = stats.queued_rows;
		if (phase == 0 && now_s() - t0 > 1.0) {
			pid = spawn_sh(stop_cmd);
			phase = 1;
		} else if (phase == 1 && done_pid(&pid, &status)) {
			ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			   "MariaDB stopped while samples were being written (%.2f s)", now_s() - t0);
			t_phase = now_s();
			phase = 2;
		} else if (phase == 2 && now_s() - t_phase > 1.5) {
			/* Everything sent since it went down is held (plus what was in
			 * flight when it went). */
			ok(!stats.connected && stats.queued_rows >= (uint64_t)sent_down && sent_down > 0,
			   "samples buffered while it is down (%llu queued, %lld sent since, connected=%d)",
			   (unsigned long long)stats.queued_rows, (long long)sent_down, stats.connected);
			pid = spawn_sh(start_cmd);
			phase = 3;
		} else if (phase == 3 && done_pid(&pid, &status)) {
			ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "MariaDB started again (%.2f s)", now_s() - t0);
			t_phase = now_s();
			phase = 4;
		}
	}
	/* Flush until it reports everything written (it answers EDOWN at once
	 * while the database is still unreachable). */
	for (int tries = 0; tries < 30; tries++) {
		s.flushed = 0;
		store_async_flush(a, on_flush, &s);
		for (int i = 0; i < 3000 && !s.flushed; i++)
			pump(a, &s, 10);
		if (s.flush_rc == 0)
			break;
		pump(a, &s, 1000);
	}
	ok(s.flushed && s.flush_rc == 0, "everything written after it came back (flush rc %d, peak queue %zu)",
	   s.flush_rc, max_queued);
	store_async_stop(a);
	store_async_dispatch(a, on_ev, &s);
	store_async_stats(a, &stats);
	store_async_free(a);
	{
		int acks_ok = 1;
		for (int k = 0; k < NKEYS; k++)
			if (s.acked[k] != base + seq)
				acks_ok = 0;
		ok(acks_ok && s.refused == 0, "acks cover the last sample of every key (%lld), none refused",
		   (long long)(base + seq));
	}

	/* Count what landed, with a connection of our own. */
	{
		const struct db_ops *ops = &db_mysql_ops;
		struct db_conn *c;
		struct db_stmt *q;
		int exact = 1, rolled = 1;
		if (ops->open(&c, &cfg, err, sizeof(err)) != 0) {
			printf("not ok - reopen: %s\n", err);
			return 1;
		}
		for (int k = 0; k < NKEYS; k++) {
			char sql[400];
			int64_t cnt = -1, distinct = -1, mn = -1, mx = -1, sum = -1, n1m = -1;
			snprintf(sql, sizeof(sql),
			         "SELECT COUNT(*), COUNT(DISTINCT ts), MIN(ts), MAX(ts), SUM(cpu), "
			         "(SELECT SUM(n) FROM metrics_1m WHERE secret='%s') FROM metrics WHERE secret='%s'",
			         s.keys[k], s.keys[k]);
			if (ops->prepare(c, sql, &q) == 0 && ops->step(q) == DB_ROW) {
				cnt = ops->col_int(q, 0);
				distinct = ops->col_int(q, 1);
				mn = ops->col_int(q, 2);
				mx = ops->col_int(q, 3);
				sum = ops->col_int(q, 4);
				n1m = ops->col_int(q, 5);
			}
			ops->finalize(q);
			int64_t want_sum = 0;
			for (int64_t i = 1; i <= seq; i++)
				want_sum += i % 100;
			printf("# key %d: %lld rows, %lld distinct ts, %lld..%lld, sum %lld (want %lld), rollup n %lld\n", k,
			       (long long)cnt, (long long)distinct, (long long)(mn - base), (long long)(mx - base),
			       (long long)sum, (long long)want_sum, (long long)n1m);
			if (cnt != seq || distinct != seq || mn != base + 1 || mx != base + seq || sum != want_sum)
				exact = 0;
			if (n1m != seq)
				rolled = 0;
		}
		ops->close(c);
		ok(exact, "every sample stored exactly once (%lld per key, %llu duplicates skipped on retry)",
		   (long long)seq, (unsigned long long)stats.rows_duplicate);
		ok(rolled, "rollups count every sample once");
	}
	return tap_fail ? 1 : 0;
}
