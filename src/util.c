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

void json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
