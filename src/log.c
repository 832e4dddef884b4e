#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

/* The loop's own state is the only global we keep; logging is process-wide. */
static const char *log_progname = "feedmill";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_to_journal;

/* sd-daemon(3) priorities: LOG_CRIT, LOG_WARNING, LOG_INFO, LOG_DEBUG */
#define PRIO_FATAL	2
#define PRIO_WARN	4
#define PRIO_INFO	6
#define PRIO_DEBUG	7

/*
 * systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected
 * to stderr; only while stderr is still that stream do we speak its prefix
 * protocol (a stderr redirected to a file must not get "<6>" noise).
 */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level = level;
	log_to_journal = stderr_is_journal();
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_vline(int prio, const char *fmt, va_list ap, const char *errstr)
    __attribute__((format(printf, 2, 0)));

static void
log_vline(int prio, const char *fmt, va_list ap, const char *errstr)
{
	char line[2048], prefix[64];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_to_journal)
		snprintf(prefix, sizeof(prefix), "<%d>", prio);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", log_progname);
	/* one call per line, so a line is never split between writes */
	if (errstr != NULL)
		fprintf(stderr, "%s%s: %s\n", prefix, line, errstr);
	else
		fprintf(stderr, "%s%s\n", prefix, line);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vline(PRIO_WARN, fmt, ap, err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(PRIO_WARN, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vline(PRIO_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vline(PRIO_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vline(PRIO_FATAL, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(PRIO_FATAL, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

char *
log_escape(char *out, size_t outsz, const char *text, size_t len)
{
	size_t i, o = 0;

	if (outsz == 0)
		return out;
	for (i = 0; i < len && text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		if (o + 4 >= outsz) {
			if (outsz >= 4) {
				o = outsz - 4;
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

char *
log_value(char *out, size_t outsz, const char *text)
{
	size_t o = 0, i;
	int plain = 1;

	if (outsz < 8) {
		if (outsz > 0)
			out[0] = '\0';
		return out;
	}
	if (text == NULL) {
		snprintf(out, outsz, "-");
		return out;
	}
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c == 0x7f) {
			plain = 0;
			break;
		}
	}
	if (plain && i > 0)
		return log_escape(out, outsz, text, i);
	out[o++] = '"';
	for (i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];

		/* room for an escaped pair, "...", the closing quote and NUL */
		if (o + 7 >= outsz) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else
			out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}
