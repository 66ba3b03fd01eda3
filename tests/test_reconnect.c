/* The reconnect state of live sources (reconnect.h), on a fake clock: the
 * backoff rule (backoff_min doubling to backoff_max, back to the min after
 * a loss or a recovery), one log line per change of reason, the reconnect
 * and session counted only when the source had streamed, the watchdog. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "reconnect.h"
#include "source_impl.h"

#define S 1000000000LL
#define MS 1000000LL

static struct source src;

static int setup(void **state)
{
	(void)state;
	memset(&src, 0, sizeof(src));
	snprintf(src.name, sizeof(src.name), "door");
	snprintf(src.path, sizeof(src.path), "rtsp://cam/door");
	log_capture_begin();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_capture_end();
	return 0;
}

/* Lines logged since the last call containing needle (all drained). */
static int lines_with(const char *needle, enum log_pri want_pri)
{
	char line[LOG_LINE_MAX];
	enum log_pri pri;
	int n = 0;

	while (log_pop(line, sizeof(line), &pri)) {
		if (strstr(line, needle)) {
			assert_int_equal(pri, want_pri);
			n++;
		}
	}
	return n;
}

/* Fails at t, then returns the wait the next attempt is due after. */
static int64_t wait_after_failure(struct reconnect *r, int64_t t)
{
	assert_int_equal(reconnect_wait_ns(r, t), 0); /* the attempt was due */
	reconnect_failed(r, &src, -ECONNREFUSED, "cannot open: Connection refused", t);
	return reconnect_wait_ns(r, t);
}

/* Loses the stream at t, then fails every attempt when it is due: the
 * waits must be want[0] (after the loss), want[1], ... Returns the time of
 * the last attempt's due. */
static int64_t expect_waits(struct reconnect *r, int64_t t, const int64_t *want, size_t n)
{
	reconnect_lost(r, &src, "no frame for 5.0 s", t);
	for (size_t i = 0; i < n; i++) {
		int64_t w = i == 0 ? reconnect_wait_ns(r, t) : wait_after_failure(r, t);
		assert_int_equal(w, want[i]);
		assert_int_equal(reconnect_wait_ns(r, t + w - 1), 1); /* not a ns early */
		t += w;
	}
	return t;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void backoff_doubles_from_the_default_one_second_to_thirty(void **state)
{
	struct reconnect r;
	const int64_t want[] = {1 * S, 2 * S, 4 * S, 8 * S, 16 * S, 30 * S, 30 * S, 30 * S};
	int64_t t = 100 * S;

	(void)state;
	reconnect_init(&r, &src, LOG_PRI_WARNING, LOG_PRI_NOTICE);
	reconnect_up(&r, &src, NULL, t);
	t = expect_waits(&r, t, want, N(want));
	/* Streaming again: the next loss starts over at the minimum. */
	reconnect_up(&r, &src, NULL, t);
	t = expect_waits(&r, t + 60 * S, want, 3);
	/* A loss during the backoff (never up in between) starts over too. */
	t = expect_waits(&r, t, want, 2);
	/* And so does a failure right after being up. */
	reconnect_up(&r, &src, NULL, t);
	assert_int_equal(wait_after_failure(&r, t), 1 * S);
	assert_int_equal(wait_after_failure(&r, t + 1 * S), 2 * S);
}

static void backoff_stays_within_the_configured_bounds(void **state)
{
	const int64_t capped[] = {100 * MS, 200 * MS, 250 * MS, 250 * MS};
	const int64_t flat[] = {300 * MS, 300 * MS, 300 * MS};
	struct reconnect r;

	(void)state;
	src.opts.backoff_min_ms = 100;
	src.opts.backoff_max_ms = 250;
	reconnect_init(&r, &src, LOG_PRI_ERR, LOG_PRI_ERR);
	expect_waits(&r, 0, capped, N(capped));
	/* A max below the min is the min: every wait the same. */
	src.opts.backoff_min_ms = 300;
	src.opts.backoff_max_ms = 50;
	reconnect_init(&r, &src, LOG_PRI_ERR, LOG_PRI_ERR);
	expect_waits(&r, 0, flat, N(flat));

	/* The rule near the top of int64_t: capped, never overflowing. */
	assert_int_equal(reconnect_next_backoff(INT64_MAX / 2 + 1, INT64_MAX), INT64_MAX);
	assert_int_equal(reconnect_next_backoff(3, 7), 6);
	assert_int_equal(reconnect_next_backoff(4, 7), 7);
}

static void a_failure_is_logged_once_per_reason(void **state)
{
	struct reconnect r;

	(void)state;
	reconnect_init(&r, &src, LOG_PRI_WARNING, LOG_PRI_NOTICE);
	reconnect_up(&r, &src, NULL, 0);
	reconnect_lost(&r, &src, "No such device", 0);
	assert_int_equal(lines_with("camera 'door': 'rtsp://cam/door' lost (No such device); "
				    "reconnecting",
				    LOG_PRI_WARNING),
			 1);
	for (int i = 0; i < 5; i++)
		reconnect_failed(&r, &src, -ENOENT, "cannot be reopened: No such file", (i + 1) * S);
	assert_int_equal(lines_with("'rtsp://cam/door' cannot be reopened: No such file; retrying, "
				    "waits doubling from 1 to 30 s",
				    LOG_PRI_WARNING),
			 1);
	reconnect_failed(&r, &src, -EIO, "cannot start streaming", 10 * S);
	reconnect_failed(&r, &src, -EIO, "cannot start streaming", 12 * S);
	assert_int_equal(lines_with("cannot start streaming; retrying", LOG_PRI_WARNING), 1);
	/* Lost again (a new outage): the same reason is news again. */
	reconnect_lost(&r, &src, "Input/output error", 13 * S);
	reconnect_failed(&r, &src, -EIO, "cannot start streaming", 14 * S);
	assert_int_equal(lines_with("cannot start streaming; retrying", LOG_PRI_WARNING), 1);
	/* Back, then the same failure at once (no loss between): news too. */
	reconnect_up(&r, &src, NULL, 15 * S);
	reconnect_failed(&r, &src, -EIO, "cannot start streaming", 16 * S);
	assert_int_equal(lines_with("cannot start streaming; retrying", LOG_PRI_WARNING), 1);
	/* Back, lost again: likewise. */
	reconnect_up(&r, &src, "MJPG 64x48", 20 * S);
	reconnect_lost(&r, &src, "Input/output error", 30 * S);
	reconnect_failed(&r, &src, -EIO, "cannot start streaming", 31 * S);
	assert_int_equal(lines_with("cannot start streaming; retrying", LOG_PRI_WARNING), 1);
}

static void coming_back_counts_a_reconnect_only_after_streaming(void **state)
{
	struct reconnect r;

	(void)state;
	reconnect_init(&r, &src, LOG_PRI_WARNING, LOG_PRI_NOTICE);
	/* Never streamed: the first start fails, then works. */
	reconnect_failed(&r, &src, -ENOSPC, "not enough USB bandwidth", 0);
	assert_true(atomic_load(&src.reconnecting));
	reconnect_up(&r, &src, "YUYV 640x480", 3 * S);
	assert_int_equal(lines_with("'rtsp://cam/door' streaming now after 3.0 s (YUYV 640x480)",
				    LOG_PRI_NOTICE),
			 1);
	assert_false(atomic_load(&src.reconnecting));
	assert_int_equal(atomic_load(&src.reconnects), 0);
	assert_int_equal(src.session, 0);

	/* Up without a failure before: nothing to say, nothing counted. */
	reconnect_up(&r, &src, NULL, 4 * S);
	assert_int_equal(lines_with("streaming", LOG_PRI_NOTICE), 0);
	assert_int_equal(atomic_load(&src.reconnects), 0);

	/* Lost and back: one reconnect, a new session, timed from the loss
	 * (not from the last failed attempt). */
	reconnect_lost(&r, &src, "no frame for 5.0 s", 10 * S);
	assert_true(atomic_load(&src.reconnecting));
	reconnect_failed(&r, &src, -ENOENT, "cannot be reopened", 11 * S);
	reconnect_up(&r, &src, NULL, 12500 * MS);
	assert_int_equal(lines_with("'rtsp://cam/door' streaming again after 2.5 s", LOG_PRI_NOTICE),
			 1);
	assert_false(atomic_load(&src.reconnecting));
	assert_int_equal(atomic_load(&src.reconnects), 1);
	assert_int_equal(src.session, 1);
}

static void watchdog_is_the_option_or_three_frame_times(void **state)
{
	(void)state;
	assert_int_equal(reconnect_watchdog_ns(&src, 0), 5 * S);
	assert_int_equal(reconnect_watchdog_ns(&src, 30), 5 * S);
	assert_int_equal(reconnect_watchdog_ns(&src, 0.1), 30 * S);
	src.opts.watchdog_ms = 1500;
	assert_int_equal(reconnect_watchdog_ns(&src, 0), 1500 * MS);
	assert_int_equal(reconnect_watchdog_ns(&src, 1), 3 * S);
}

static void pause_sleeps_at_most_one_slice(void **state)
{
	struct reconnect r;
	struct timespec a, b;

	(void)state;
	reconnect_init(&r, &src, LOG_PRI_WARNING, LOG_PRI_NOTICE);
	reconnect_lost(&r, &src, "x", 0);
	assert_false(reconnect_pause(&r, 1 * S, 10 * MS)); /* due: no sleep */
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_true(reconnect_pause(&r, 0, 20 * MS));   /* 1 s due, 20 ms slice */
	clock_gettime(CLOCK_MONOTONIC, &b);
	int64_t slept = (b.tv_sec - a.tv_sec) * S + (b.tv_nsec - a.tv_nsec);
	assert_true(slept >= 20 * MS);
	assert_true(slept < 900 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(backoff_doubles_from_the_default_one_second_to_thirty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(backoff_stays_within_the_configured_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_failure_is_logged_once_per_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(coming_back_counts_a_reconnect_only_after_streaming,
						setup, teardown),
		cmocka_unit_test_setup_teardown(watchdog_is_the_option_or_three_frame_times, setup,
						teardown),
		cmocka_unit_test_setup_teardown(pause_sleeps_at_most_one_slice, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
