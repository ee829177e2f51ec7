/* log.h — the server's log: one line per event on stderr, with a level
 * filter (LOG_LEVEL, SPEC §2). Safe from any thread (one write per line). */
#ifndef MONBOT_LOG_H
#define MONBOT_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* "DEBUG", "INFO", "WARN"/"WARNING", "ERROR" (any case); -1 otherwise. */
int log_level_parse(const char *s);
void log_set_level(enum log_level lv);
enum log_level log_get_level(void);
int log_enabled(enum log_level lv);

void log_msg(enum log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Fits store_config.log: (ctx, level 0..3, message). */
void log_sink(void *ctx, int level, const char *msg);

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
