/* The one-object size model on its own: when it may judge, what it judges,
 * and that a wrong start is outvoted. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "objsize.h"

/* One object: area a, width w along the line, length l across it. */
#define A 0.012f
#define WD 0.10f
#define L 0.15f

static void learn_n(struct objsize *s, int n, float area, float width, float length)
{
	for (int i = 0; i < n; i++)
		objsize_learn(s, area, width, length);
}

static void not_judged_before_min_samples(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * WD, L), 1);
	learn_n(&s, OBJSIZE_MIN_SAMPLES - 1, A, WD, L);
	/* Clearly two side by side, but too few samples to say so. */
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * WD, L), 1);
	objsize_learn(&s, A, WD, L);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * WD, L), 2);
}

static void thresholds_for_two_and_three(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	learn_n(&s, 8, A, WD, L);
	assert_int_equal(objsize_multiple(&s, A, WD, L), 1);
	/* Two from 1.6x the area and width, three from 2.5x. */
	assert_int_equal(objsize_multiple(&s, 1.55f * A, 1.55f * WD, L), 1);
	assert_int_equal(objsize_multiple(&s, 1.65f * A, 1.55f * WD, L), 1);
	assert_int_equal(objsize_multiple(&s, 1.65f * A, 1.65f * WD, L), 2);
	assert_int_equal(objsize_multiple(&s, 2.45f * A, 2.45f * WD, L), 2);
	assert_int_equal(objsize_multiple(&s, 2.55f * A, 2.55f * WD, L), 3);
	/* Never more than OBJSIZE_MAX_MULTIPLE. */
	assert_int_equal(objsize_multiple(&s, 10 * A, 10 * WD, L), OBJSIZE_MAX_MULTIPLE);
}

static void large_area_alone_is_one_big_object(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	learn_n(&s, 8, A, WD, L);
	/* Three times the area but no wider: a big object, not three. */
	assert_int_equal(objsize_multiple(&s, 3 * A, WD * 1.2f, L), 1);
}

static void longer_across_the_line_is_one_long_object(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	learn_n(&s, 8, A, WD, L);
	/* An articulated truck: wider and larger than two cars, but also much
	 * longer along the road than one: one object. */
	assert_int_equal(objsize_multiple(&s, 3 * A, 2.0f * WD, 1.6f * L), 1);
	/* The same area and width at a car's length: two side by side. */
	assert_int_equal(objsize_multiple(&s, 3 * A, 2.0f * WD, 1.1f * L), 2);
}

static void judgement_is_a_robust_middle_not_the_mean(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	/* Six single people and four pairs that stayed together all their
	 * life: the pairs must not raise "one" to where a pair is one. */
	learn_n(&s, 6, A, WD, L);
	learn_n(&s, 4, 2 * A, 2 * WD, L);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * WD, L), 2);
	/* ...and a few fragments below the percentile do not lower it either. */
	learn_n(&s, 2, A / 3, WD / 3, L);
	assert_int_equal(objsize_multiple(&s, A, WD, L), 1);
}

static void fragments_first_are_outvoted_by_whole_objects(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	/* Two torsos without their legs first: a third of the area and width. */
	learn_n(&s, 2, A / 3, WD / 3, L);
	/* Then whole people, each learnt whatever it was judged. */
	int judged_one = 0;
	for (int i = 0; i < 20; i++) {
		judged_one += objsize_multiple(&s, A, WD, L) == 1;
		objsize_learn(&s, A, WD, L);
	}
	assert_int_equal(objsize_multiple(&s, A, WD, L), 1);
	assert_true(judged_one >= 18);
}

static void old_samples_are_forgotten_after_the_history(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	/* A long wrong start: thirty fragments... */
	learn_n(&s, 30, A / 3, WD / 3, L);
	assert_int_equal(objsize_multiple(&s, A, WD, L), 3);
	/* ...then a full history of whole objects: the fragments are gone. */
	learn_n(&s, OBJSIZE_HISTORY, A, WD, L);
	assert_int_equal(s.n, OBJSIZE_HISTORY);
	assert_int_equal(objsize_multiple(&s, A, WD, L), 1);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * WD, L), 2);
}

static void unmeasurable_samples_are_ignored(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	objsize_learn(&s, 0, WD, L);
	objsize_learn(&s, A, 0, L);
	objsize_learn(&s, A, WD, 0);
	objsize_learn(&s, NAN, WD, L);
	objsize_learn(&s, -A, WD, L);
	assert_int_equal(s.n, 0);
}

/* One object's larger extent, for the tracker's parts: the larger of the
 * medians along and across the line, judged from the same samples as the
 * area; the configured area's side before then; 0 with neither. */
static void one_extent_is_the_larger_median(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, 0);
	learn_n(&s, OBJSIZE_MIN_SAMPLES - 1, A, WD, L);
	assert_float_equal(objsize_one_extent(&s), 0.0f, 0);
	learn_n(&s, 2, 3 * A, 3 * WD, 0.5f * L); /* a minority unlike the rest */
	assert_float_equal(objsize_one_extent(&s), L, 1e-6);
	objsize_init(&s, 0.04f);
	assert_float_equal(objsize_one_extent(&s), 0.2f, 1e-6);
	learn_n(&s, OBJSIZE_MIN_SAMPLES, A, 2 * L, L);
	assert_float_equal(objsize_one_extent(&s), 2 * L, 1e-6);
}

static void configured_area_judges_from_the_start(void **state)
{
	(void)state;
	struct objsize s;
	objsize_init(&s, A);
	/* No samples: the configured area, taken as a square object. */
	float side = sqrtf(A);
	assert_int_equal(objsize_multiple(&s, A, side, side), 1);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * side, side), 2);
	assert_int_equal(objsize_multiple(&s, 2 * A, side, side), 1);
	/* Negative means "learn". */
	objsize_init(&s, -1.0f);
	assert_true(s.fixed_area == 0.0f);
	assert_int_equal(objsize_multiple(&s, 2 * A, 2 * side, side), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(not_judged_before_min_samples),
		cmocka_unit_test(thresholds_for_two_and_three),
		cmocka_unit_test(large_area_alone_is_one_big_object),
		cmocka_unit_test(longer_across_the_line_is_one_long_object),
		cmocka_unit_test(judgement_is_a_robust_middle_not_the_mean),
		cmocka_unit_test(fragments_first_are_outvoted_by_whole_objects),
		cmocka_unit_test(old_samples_are_forgotten_after_the_history),
		cmocka_unit_test(unmeasurable_samples_are_ignored),
		cmocka_unit_test(configured_area_judges_from_the_start),
		cmocka_unit_test(one_extent_is_the_larger_median),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
