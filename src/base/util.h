/* Small helpers shared by every module: clocks, lock wrappers, logging.
 * A failing pthread call on a valid object is a bug, so it aborts. */
#ifndef TURNSTILE_UTIL_H
#define TURNSTILE_UTIL_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h" /* log_error and the other log lines */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline int64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void mutex_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) != 0)
		abort();
}

static inline void mutex_unlock(pthread_mutex_t *m)
{
	if (pthread_mutex_unlock(m) != 0)
		abort();
}

/* Condition variables on CLOCK_MONOTONIC, so wall-clock steps never stretch a wait. */
int cond_init_monotonic(pthread_cond_t *c);
/* Waits at most timeout_ns; returns 0 when signalled or timed out. */
void cond_timedwait_ns(pthread_cond_t *c, pthread_mutex_t *m, int64_t timeout_ns);


/* "2026-11-23T09:41:00.123Z" from CLOCK_REALTIME nanoseconds (floored, so
 * times before 1970 still read forwards); "invalid" when out of range. */
void format_time_utc(int64_t wall_ns, char *buf, size_t size);

#endif
