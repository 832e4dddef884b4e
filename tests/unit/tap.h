/*
 * tap.h: the few TAP helpers feedmill's C unit tests need (after git's t/).
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * closing plan; automake's tap-driver counts them.
 */
#ifndef FEEDMILL_TAP_H
#define FEEDMILL_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline int
tap_is_str(const char *got, const char *want, const char *name)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!tap_ok(same, name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return same;
}

static inline int
tap_is_int(long long got, long long want, const char *name)
{
	if (!tap_ok(got == want, name))
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
