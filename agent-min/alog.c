/* alog.c — the agent's log lines (alog.h). */
#include "agent-min/alog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "wire/logesc.h"

void alog(const char *lvl, const char *fmt, ...)
{
	char tbuf[64], msg[1024], line[2048];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	int n;
	/* Fields, not strftime: strftime brings the time-zone code (it reads
	 * TZ and /etc/localtime), a tenth of the C library in a board's
	 * binary, for a UTC stamp. */
	gmtime_r(&t, &tm);
	snprintf(tbuf, sizeof(tbuf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Lines carry server-sent text (commands, errors): one line each. */
	logesc(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, line, sizeof(line), NULL);
	fprintf(stderr, "%s [%s] %s\n", tbuf, lvl, line);
}
