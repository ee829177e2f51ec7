/* log.c — level-filtered log lines on stderr with a UTC time stamp, control
 * bytes escaped (wire/logesc.h). */
#include "server/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "wire/logesc.h"

static volatile int log_level = LOG_INFO;

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

int log_level_parse(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "WARNING") == 0)
		return LOG_WARN;
	return -1;
}

void log_set_level(enum log_level lv)
{
	log_level = lv;
}

enum log_level log_get_level(void)
{
	return (enum log_level)log_level;
}

int log_enabled(enum log_level lv)
{
	return (int)lv >= log_level;
}

static void log_write(enum log_level lv, const char *msg, size_t mlen)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03dZ %-5s ",
	                      (int)(tv.tv_usec / 1000), level_names[lv & 3]);
	/* Messages carry peer text (keys, nicknames, commands, answers):
	 * control bytes escaped, so one event is one line. */
	while (mlen > 0 && msg[mlen - 1] == '\n')
		mlen--;
	logesc(msg, mlen, line + n, sizeof(line) - n - 1, &mlen);
	n += mlen;
	/* One write(2) per line keeps lines whole across threads. */
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere else to say it */
	}
}

void log_msg(enum log_level lv, const char *fmt, ...)
{
	char msg[1536];
	va_list ap;
	int n;

	if (!log_enabled(lv))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_write(lv, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

void log_sink(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level < 0)
		level = 0;
	if (level > 3)
		level = 3;
	if (!log_enabled((enum log_level)level))
		return;
	log_write((enum log_level)level, msg, strlen(msg));
}
