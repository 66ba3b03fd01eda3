/* The calendar of counting periods: without a daily reset one period that
 * never ends; with one, a period per local day, starting at the reset time
 * and labelled "YYYY-MM-DD" by the date on which it began. Pure (but for the
 * time zone, read with localtime_r and mktime). */
#ifndef TURNSTILE_PERIOD_H
#define TURNSTILE_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERIOD_LABEL_SIZE 16

/* The period holding now (CLOCK_REALTIME ns): its label ("" without a daily
 * reset) and when it ends (INT64_MAX without). reset_minute: minutes after
 * local midnight. A reset time that does not exist on a day (a DST gap)
 * comes later that day, as mktime normalises it. */
void period_at(bool daily_reset, int reset_minute, int64_t now, char label[PERIOD_LABEL_SIZE],
	       int64_t *end_ns);

/* True when s[0..len) is a label: "dddd-dd-dd". */
bool period_label_ok(const char *s, size_t len);

#endif
