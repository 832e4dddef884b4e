/*
 * metrics: writing the Prometheus text format. Output only; there is no
 * parser here (the tests read what we write with the Prometheus project's
 * own Python parser).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "metrics.h"

void
metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_addstr(out, "# HELP ");
	buf_addstr(out, name);
	buf_addc(out, ' ');
	buf_addstr(out, help);	/* our own text: no backslash, no line feed */
	buf_addstr(out, "\n# TYPE ");
	buf_addstr(out, name);
	buf_addc(out, ' ');
	buf_addstr(out, type);
	buf_addc(out, '\n');
}

static void
add_label_value(struct buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			buf_addstr(out, "\\\\");
		else if (*v == '"')
			buf_addstr(out, "\\\"");
		else if (*v == '\n')
			buf_addstr(out, "\\n");
		else
			buf_addc(out, *v);
	}
}

void
metrics_sample(struct buf *out, const char *name, const char *label,
    const char *label_value, double value)
{
	char num[64];

	buf_addstr(out, name);
	if (label != NULL) {
		buf_addc(out, '{');
		buf_addstr(out, label);
		buf_addstr(out, "=\"");
		add_label_value(out, label_value ? label_value : "");
		buf_addstr(out, "\"}");
	}
	/* integers exactly (counters up to 2^53), the rest as %g does */
	if (value == floor(value) && fabs(value) < 9007199254740992.0)
		snprintf(num, sizeof(num), " %.0f\n", value);
	else if (isnan(value))
		snprintf(num, sizeof(num), " NaN\n");
	else
		snprintf(num, sizeof(num), " %.9g\n", value);
	buf_addstr(out, num);
}
