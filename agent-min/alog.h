/* alog.h — the agent's log: one line per event on stderr, UTC time and
 * level first; server-sent text in it is escaped to stay on one line. */
#ifndef MONBOT_AGENT_MIN_ALOG_H
#define MONBOT_AGENT_MIN_ALOG_H

void alog(const char *lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOG_INFO(...) alog("INFO", __VA_ARGS__)
#define LOG_WARN(...) alog("WARN", __VA_ARGS__)
#define LOG_ERR(...) alog("ERROR", __VA_ARGS__)

#endif
