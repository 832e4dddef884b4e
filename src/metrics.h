/*
 * metrics: the Prometheus text exposition format (version 0.0.4), as
 * /metrics serves it. A family is announced once with its HELP and TYPE,
 * then its samples follow, each with at most one label. Label values are
 * escaped as the format says (backslash, double quote, line feed), so a
 * source's name cannot break a line.
 */
#ifndef FEEDMILL_METRICS_H
#define FEEDMILL_METRICS_H

#include "buf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help" and "# TYPE name type" (counter, gauge, summary). */
void metrics_family(struct buf *out, const char *name, const char *type,
    const char *help);
/* "name value", or "name{label="value"} value" when label is not NULL. */
void metrics_sample(struct buf *out, const char *name, const char *label,
    const char *label_value, double value);

#endif
