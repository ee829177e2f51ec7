/* clockshim.c — LD_PRELOAD for the clock tests: the wall clock (time,
 * gettimeofday, clock_gettime(CLOCK_REALTIME*)) runs offset by the number of
 * seconds in the file MONBOT_CLOCK_FILE, read again at every call so a test
 * can move it mid-run. CLOCK_MONOTONIC and the others are left alone. Reads
 * with open/read: no allocation (the agent allocates nothing after start). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long offset_s(void)
{
	const char *p = getenv("MONBOT_CLOCK_FILE");
	char buf[32];
	long long v = 0;
	int neg = 0, fd;
	ssize_t n, i = 0;
	if (!p || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && buf[0] == '-') {
		neg = 1;
		i = 1;
	}
	for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		v = v * 10 + (buf[i] - '0');
	return neg ? -v : v;
}

static int real_clock(clockid_t id, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, id, ts);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = real_clock(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset_s();
	return rc;
}

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	(void)tz;
	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
