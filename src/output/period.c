#include "period.h"

#include <time.h>

/* Epoch seconds of the reset time on day's date (local time); normalises
 * day. */
static time_t reset_on(int reset_minute, struct tm *day)
{
	day->tm_hour = reset_minute / 60;
	day->tm_min = reset_minute % 60;
	day->tm_sec = 0;
	day->tm_isdst = -1;
	return mktime(day);
}

void period_at(bool daily_reset, int reset_minute, int64_t now, char label[PERIOD_LABEL_SIZE],
	       int64_t *end_ns)
{
	struct tm day, next;
	time_t t, start, end;

	if (!daily_reset) {
		label[0] = '\0';
		*end_ns = INT64_MAX;
		return;
	}
	t = (time_t)(now / 1000000000 - (now % 1000000000 < 0));
	localtime_r(&t, &day);
	start = reset_on(reset_minute, &day);
	if (start > t) {
		day.tm_mday--;
		reset_on(reset_minute, &day);
	}
	next = day;
	next.tm_mday++;
	end = reset_on(reset_minute, &next);
	strftime(label, PERIOD_LABEL_SIZE, "%Y-%m-%d", &day);
	*end_ns = end > t ? (int64_t)end * 1000000000 : now + 1000000000;
}

bool period_label_ok(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-dd";

	if (len != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < len; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	return true;
}
