/*
 * log: the OpenBSD-style logging API used everywhere in feedmill.
 *
 * Messages are lowercase, without a trailing full stop, failure first and
 * subject in quotes: "source 'osce-pc': HTTP 503, retrying in 4m".
 * log_warn() appends ": strerror(errno)"; log_warnx() does not.
 * fatal()/fatalx() log and exit(1): only for conditions the process cannot
 * survive (out of memory, broken invariants), never for bad input.
 * Text that came from outside must be passed through log_escape() first.
 */
#ifndef FEEDMILL_LOG_H
#define FEEDMILL_LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

/*
 * Set the program name shown before each line and the most verbose level.
 * When stderr is the journal (JOURNAL_STREAM names it, as systemd sets it
 * for a service), lines carry sd-daemon "<N>" priority prefixes instead of
 * the program name, so journalctl -p filters them.
 */
void log_init(const char *progname, enum log_level level);
enum log_level log_get_level(void);
void log_set_level(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy at most len bytes of untrusted text into out (of size outsz, always
 * NUL-terminated), replacing control characters by '?' and truncating with
 * "..." so a hostile value cannot forge or flood log lines. Returns out.
 */
char *log_escape(char *out, size_t outsz, const char *text, size_t len);

/*
 * Format untrusted text as the value of a key=value pair: as it is when it
 * is a plain token, else in double quotes with '"' and '\\' escaped;
 * control characters become '?', long values are cut with "...". NULL gives
 * "-". Returns out, always NUL-terminated.
 */
char *log_value(char *out, size_t outsz, const char *text);
#define LOG_VALUE_MAX	256

#endif
