/* Stage timers: empty, one value, percentiles of known distributions within
 * the bins' resolution, the extremes (0, negative, beyond the last bin), and
 * a reader running beside the writer (TSan checks the access pattern). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "stagetime.h"

/* Bins are 1/16 of a power of two wide: within 1/16 of the true value. */
static void assert_near(double got, double want)
{
	double tol = want / 16 + 1e-3;
	if (got < want - tol || got > want + tol)
		fail_msg("%f is not within %f of %f", got, tol, want);
}

static struct stagetime *make(void)
{
	struct stagetime *st = calloc(1, sizeof(*st));
	assert_non_null(st);
	return st;
}

static void empty_reports_zero(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	stagetime_get(st, &s);
	assert_int_equal(s.count, 0);
	assert_true(s.mean_us == 0 && s.p99_us == 0 && s.max_us == 0);
	free(st);
}

static void one_value_is_mean_p99_and_max(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	stagetime_add(st, 123456);
	stagetime_get(st, &s);
	assert_int_equal(s.count, 1);
	assert_true(s.mean_us == 123.456);
	assert_true(s.max_us == 123.456);
	assert_near(s.p99_us, 123.456);
	assert_true(s.p99_us <= s.max_us);
	free(st);
}

static void small_values_are_exact(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	for (int i = 0; i < 100; i++)
		stagetime_add(st, 7);
	stagetime_get(st, &s);
	assert_true(s.mean_us == 0.007);
	assert_true(s.p99_us >= 0.007 && s.p99_us <= 0.008);
	free(st);
}

/* 1..10000 us, each once: the 99th percentile is 9900 us. */
static void p99_of_uniform_values(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	for (int i = 1; i <= 10000; i++)
		stagetime_add(st, (int64_t)i * 1000);
	stagetime_get(st, &s);
	assert_int_equal(s.count, 10000);
	assert_true(s.mean_us == 5000.5);
	assert_near(s.p99_us, 9900);
	assert_true(s.max_us == 10000);
	free(st);
}

/* 98 fast frames and 2 slow ones: p99 is a slow one, however slow. */
static void p99_sees_the_slowest_percent(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	for (int i = 0; i < 98; i++)
		stagetime_add(st, 1000);
	stagetime_add(st, 50000000);
	stagetime_add(st, 50000000);
	stagetime_get(st, &s);
	assert_near(s.p99_us, 50000);
	/* ...and with only one slow frame in 100, p99 is a fast one. */
	struct stagetime *st2 = make();
	for (int i = 0; i < 99; i++)
		stagetime_add(st2, 1000);
	stagetime_add(st2, 50000000);
	stagetime_get(st2, &s);
	assert_near(s.p99_us, 1);
	free(st);
	free(st2);
}

static void negative_is_zero_and_huge_is_capped_by_max(void **state)
{
	(void)state;
	struct stagetime *st = make();
	struct stagetime_stats s;
	stagetime_add(st, -5);
	stagetime_get(st, &s);
	assert_true(s.mean_us == 0 && s.p99_us == 0);
	stagetime_add(st, INT64_MAX / 2); /* far beyond the last bin */
	stagetime_get(st, &s);
	assert_int_equal(s.count, 2);
	assert_true(s.max_us == (double)(INT64_MAX / 2) / 1e3);
	assert_true(s.p99_us <= s.max_us);
	assert_true(s.p99_us >= (double)(1ull << STAGETIME_MAX_EXP) / 1e3);
	free(st);
}

/* Every power of two and its neighbours lands in a bin whose range holds it:
 * the p99 of a single value is never more than a bin off. */
static void every_magnitude_round_trips(void **state)
{
	(void)state;
	for (int e = 0; e <= STAGETIME_MAX_EXP; e++) {
		for (int64_t d = -1; d <= 1; d++) {
			int64_t v = ((int64_t)1 << e) + d;
			if (v < 1)
				continue;
			struct stagetime *st = make();
			struct stagetime_stats s;
			stagetime_add(st, v);
			stagetime_get(st, &s);
			assert_near(s.p99_us * 1e3, (double)v);
			free(st);
		}
	}
}

struct race {
	struct stagetime *st;
	atomic_bool done;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 200000; i++)
		stagetime_add(r->st, 1000 + i % 5000);
	atomic_store(&r->done, true);
	return NULL;
}

static void reader_beside_writer_sees_consistent_snapshots(void **state)
{
	(void)state;
	struct race r = {.st = make()};
	pthread_t t;
	uint64_t last = 0;
	assert_int_equal(pthread_create(&t, NULL, writer, &r), 0);
	while (!atomic_load(&r.done)) {
		struct stagetime_stats s;
		stagetime_get(r.st, &s);
		assert_true(s.count >= last);
		last = s.count;
		assert_true(s.count == 0 || (s.p99_us >= 0.9 && s.p99_us <= 6.5));
	}
	pthread_join(t, NULL);
	struct stagetime_stats s;
	stagetime_get(r.st, &s);
	assert_int_equal(s.count, 200000);
	free(r.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_reports_zero),
		cmocka_unit_test(one_value_is_mean_p99_and_max),
		cmocka_unit_test(small_values_are_exact),
		cmocka_unit_test(p99_of_uniform_values),
		cmocka_unit_test(p99_sees_the_slowest_percent),
		cmocka_unit_test(negative_is_zero_and_huge_is_capped_by_max),
		cmocka_unit_test(every_magnitude_round_trips),
		cmocka_unit_test(reader_beside_writer_sees_consistent_snapshots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
