/* alog.c — the agent's log lines (alog.h). */
#include "agent-min/alog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "wire/logesc.h"

void alog(const char *lvl, const char *fmt, ...)
{
	char tbuf[32], msg[1024], line[2048];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	int n;
	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Lines carry server-sent text (commands, errors): one line each. */
	logesc(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, line, sizeof(line), NULL);
	fprintf(stderr, "%s [%s] %s\n", tbuf, lvl, line);
}
