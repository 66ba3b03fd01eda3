#include "util.h"

#include <stdarg.h>

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

void log_error(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "turnstile: %s\n", buf);
}
