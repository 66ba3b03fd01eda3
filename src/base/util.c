#include "util.h"

#include <stdio.h>

int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);
	if (rc != 0)
		return -rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
	return -rc;
}

void cond_timedwait_ns(pthread_cond_t *c, pthread_mutex_t *m, int64_t timeout_ns)
{
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + timeout_ns;
	struct timespec ts = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
	pthread_cond_timedwait(c, m, &ts);
}

void format_time_utc(int64_t wall_ns, char *buf, size_t size)
{
	int64_t sec = wall_ns / 1000000000;
	int64_t rem = wall_ns % 1000000000;
	struct tm tm;
	time_t t;
	size_t n;

	if (rem < 0) {
		rem += 1000000000;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "invalid");
		return;
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03dZ", (int)(rem / 1000000));
}
