/* test_ev.c — server/ev.c with the build's backend: fd readiness on pipes
 * and socket pairs, mask changes, removal from inside a callback, and the
 * timer heap against a fake clock (no sleeping, no timing assertions). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/ev/ev.h"

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
	return fake_now;
}

static struct ev_loop *mkloop(void)
{
	struct ev_loop *l;
	char err[128];
	assert_int_equal(ev_loop_new(&l, 1024, err, sizeof(err)), EV_OK);
	return l;
}

static int fired_mask[1024];
static int fired_count;

static void on_fd(struct ev_loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)arg;
	fired_mask[fd] |= events;
	fired_count++;
}

static void test_readable_writable(void **st)
{
	struct ev_loop *l = mkloop();
	int p[2];
	(void)st;
	assert_int_equal(pipe(p), 0);
	memset(fired_mask, 0, sizeof(fired_mask));
	assert_int_equal(ev_fd_set(l, p[0], EV_READ, on_fd, NULL), EV_OK);
	assert_int_equal(ev_fd_set(l, p[1], EV_WRITE, on_fd, NULL), EV_OK);
	assert_int_equal(ev_run_once(l, 0), 1); /* only the write end is ready */
	assert_int_equal(fired_mask[p[1]], EV_WRITE);
	assert_int_equal(fired_mask[p[0]], 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	ev_fd_mask(l, p[1], 0); /* stop watching the write end, keep its owner */
	assert_int_equal(ev_fd_get_mask(l, p[1]), 0);
	memset(fired_mask, 0, sizeof(fired_mask));
	assert_int_equal(ev_run_once(l, 1000), 1);
	assert_int_equal(fired_mask[p[0]], EV_READ);
	assert_int_equal(ev_fd_mask(l, p[1], EV_WRITE), EV_OK);
	memset(fired_mask, 0, sizeof(fired_mask));
	assert_int_equal(ev_run_once(l, 0), 2);
	ev_fd_del(l, p[0]);
	ev_fd_del(l, p[1]);
	assert_int_equal(ev_fd_mask(l, p[0], EV_READ), EV_EINVAL);
	assert_int_equal(ev_run_once(l, 0), 0);
	assert_int_equal(ev_fd_set(l, 5000, EV_READ, on_fd, NULL), EV_ERANGE);
	close(p[0]);
	close(p[1]);
	ev_loop_free(l);
}

/* A hang-up is reported to a reader as readable. */
static void test_hangup(void **st)
{
	struct ev_loop *l = mkloop();
	int sv[2];
	(void)st;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(fired_mask, 0, sizeof(fired_mask));
	assert_int_equal(ev_fd_set(l, sv[0], EV_READ, on_fd, NULL), EV_OK);
	close(sv[1]);
	assert_int_equal(ev_run_once(l, 1000), 1);
	assert_true(fired_mask[sv[0]] & EV_READ);
	ev_fd_del(l, sv[0]);
	close(sv[0]);
	ev_loop_free(l);
}

/* Callback removes another ready fd: that one must not be called. */
static int victim_fd = -1, victim_calls;
static void on_killer(struct ev_loop *loop, int fd, int events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	ev_fd_del(loop, victim_fd);
}
static void on_victim(struct ev_loop *loop, int fd, int events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	(void)arg;
	victim_calls++;
}

static void test_delete_in_callback(void **st)
{
	struct ev_loop *l = mkloop();
	int a[2], b[2];
	(void)st;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	/* Whichever runs first deletes the other; exactly one callback runs. */
	victim_calls = 0;
	victim_fd = b[0];
	assert_int_equal(ev_fd_set(l, a[0], EV_READ, on_killer, NULL), EV_OK);
	assert_int_equal(ev_fd_set(l, b[0], EV_READ, on_victim, NULL), EV_OK);
	ev_run_once(l, 1000);
	if (victim_calls == 0) {
		assert_int_equal(ev_fd_get_mask(l, b[0]), 0);
	} else {
		/* victim ran first: killer ran too and removed it */
		assert_int_equal(victim_calls, 1);
	}
	victim_calls = 0;
	ev_run_once(l, 0);
	assert_int_equal(victim_calls, 0);
	ev_fd_del(l, a[0]);
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	ev_loop_free(l);
}

static int order[16], norder;
static void on_tm(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)loop;
	(void)t;
	order[norder++] = (int)(intptr_t)arg;
}

static void test_timers(void **st)
{
	struct ev_loop *l = mkloop();
	struct ev_timer t[6];
	static const int delay[6] = { 50, 10, 30, 10, 70, 20 };
	(void)st;
	fake_now = 1000;
	ev_set_clock(l, fake_clock);
	for (int i = 0; i < 6; i++) {
		ev_timer_init(&t[i], on_tm, (void *)(intptr_t)i);
		assert_int_equal(ev_timer_start(l, &t[i], (uint64_t)delay[i]), EV_OK);
	}
	ev_timer_stop(l, &t[2]);           /* removed from the middle */
	assert_false(ev_timer_armed(&t[2]));
	ev_timer_start(l, &t[4], 5);       /* re-armed earlier */
	norder = 0;
	fake_now = 1015;
	ev_run_once(l, 0);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 4);
	/* 1 and 3 both at 10, any order */
	assert_true((order[1] == 1 && order[2] == 3) || (order[1] == 3 && order[2] == 1));
	fake_now = 1100;
	ev_run_once(l, 0);
	assert_int_equal(norder, 5);
	assert_int_equal(order[3], 5);
	assert_int_equal(order[4], 0);
	for (int i = 0; i < 6; i++)
		assert_false(ev_timer_armed(&t[i]));
	ev_loop_free(l);
}

/* Many timers in random order come out sorted. */
static int64_t last_when;
static int sorted_ok = 1, sorted_n;
static void on_sorted(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)loop;
	(void)arg;
	if ((int64_t)t->when_ms < last_when)
		sorted_ok = 0;
	last_when = (int64_t)t->when_ms;
	sorted_n++;
}

static void test_timer_heap(void **st)
{
	struct ev_loop *l = mkloop();
	struct ev_timer *t = calloc(2000, sizeof(*t));
	(void)st;
	fake_now = 0;
	ev_set_clock(l, fake_clock);
	srand(7);
	for (int i = 0; i < 2000; i++) {
		ev_timer_init(&t[i], on_sorted, NULL);
		ev_timer_start(l, &t[i], (uint64_t)(rand() % 100000));
	}
	for (int i = 0; i < 2000; i += 3)
		ev_timer_stop(l, &t[i]);
	for (int i = 1; i < 2000; i += 7)
		ev_timer_start(l, &t[i], (uint64_t)(rand() % 100000));
	{
		int armed = 0;
		for (int i = 0; i < 2000; i++)
			armed += ev_timer_armed(&t[i]);
		last_when = -1;
		sorted_n = 0;
		sorted_ok = 1;
		fake_now = 200000;
		ev_run_once(l, 0);
		assert_true(sorted_ok);
		assert_int_equal(sorted_n, armed);
		assert_true(armed > 1333);
	}
	free(t);
	ev_loop_free(l);
}

/* A timer re-armed with 0 ms from its own callback runs once per turn. */
static int rearm_count;
static void on_rearm(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)arg;
	rearm_count++;
	ev_timer_start(loop, t, 0);
}

static void test_zero_rearm(void **st)
{
	struct ev_loop *l = mkloop();
	struct ev_timer t;
	(void)st;
	ev_timer_init(&t, on_rearm, NULL);
	ev_timer_start(l, &t, 0);
	rearm_count = 0;
	ev_run_once(l, 0);
	ev_run_once(l, 0);
	assert_int_equal(rearm_count, 2);
	ev_timer_stop(l, &t);
	ev_loop_free(l);
}

/* ev_run / ev_stop */
static void on_stop(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	ev_stop(loop);
}

static void test_run_stop(void **st)
{
	struct ev_loop *l = mkloop();
	struct ev_timer t;
	(void)st;
	ev_timer_init(&t, on_stop, NULL);
	ev_timer_start(l, &t, 1);
	assert_int_equal(ev_run(l), EV_OK);
	assert_non_null(ev_backend_name());
	ev_loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readable_writable),
		cmocka_unit_test(test_hangup),
		cmocka_unit_test(test_delete_in_callback),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_timer_heap),
		cmocka_unit_test(test_zero_rearm),
		cmocka_unit_test(test_run_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
