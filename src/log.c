#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The loop's own state is the only global we keep; logging is process-wide. */
static const char *log_progname = "feedmill";
static enum log_level log_level = LOG_LEVEL_INFO;

void
log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void log_vline(const char *fmt, va_list ap, const char *errstr)
    __attribute__((format(printf, 1, 0)));

static void
log_vline(const char *fmt, va_list ap, const char *errstr)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (errstr != NULL)
		fprintf(stderr, "%s: %s: %s\n", log_progname, line, errstr);
	else
		fprintf(stderr, "%s: %s\n", log_progname, line);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vline(fmt, ap, err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vline(fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
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
