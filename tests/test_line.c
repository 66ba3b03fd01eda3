#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "line.h"

static void parse_accepts_four_normalised_numbers(void **state)
{
	(void)state;
	struct line l;
	assert_int_equal(line_parse("0,0.5,1,0.5", &l), 0);
	assert_float_equal(l.ax, 0.0f, 1e-6);
	assert_float_equal(l.ay, 0.5f, 1e-6);
	assert_float_equal(l.bx, 1.0f, 1e-6);
	assert_float_equal(l.by, 0.5f, 1e-6);
}

static void parse_rejects_bad_text(void **state)
{
	(void)state;
	struct line l;
	const char *bad[] = {"", "0,0.5,1", "0,0.5,1,0.5,3", "a,b,c,d", "0,0.5,1,0.5x",
			     "0;0.5;1;0.5", "-0.1,0.5,1,0.5", "0,0.5,1.5,0.5", "0.3,0.3,0.3,0.3",
			     "nan,0,1,1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(line_parse(bad[i], &l), -EINVAL);
}

static void default_line_moving_down_is_in(void **state)
{
	(void)state;
	struct line l = LINE_DEFAULT;
	assert_true(line_side(&l, 0.5f, 0.9f) > 0.0f);  /* below: in side */
	assert_true(line_side(&l, 0.5f, 0.1f) < 0.0f);  /* above: out side */
	assert_float_equal(line_side(&l, 0.3f, 0.7f), 0.2f, 1e-5);
}

static void vertical_line_bottom_to_top_moving_right_is_in(void **state)
{
	(void)state;
	/* The real room clip's line: (0.8,1)->(0.8,0); moving right is in. */
	struct line l = {0.8f, 1.0f, 0.8f, 0.0f};
	assert_true(line_side(&l, 0.9f, 0.5f) > 0.0f);
	assert_true(line_side(&l, 0.7f, 0.5f) < 0.0f);
	/* Reversing the line reverses the direction. */
	struct line r = {0.8f, 0.0f, 0.8f, 1.0f};
	assert_true(line_side(&r, 0.9f, 0.5f) < 0.0f);
}

static void along_is_zero_at_a_and_one_at_b(void **state)
{
	(void)state;
	struct line l = {0.2f, 0.5f, 0.6f, 0.5f};
	assert_float_equal(line_along(&l, 0.2f, 0.1f), 0.0f, 1e-6);
	assert_float_equal(line_along(&l, 0.6f, 0.9f), 1.0f, 1e-6);
	assert_float_equal(line_along(&l, 0.4f, 0.5f), 0.5f, 1e-6);
}

static void crossing_inside_segment_only(void **state)
{
	(void)state;
	struct line l = {0.2f, 0.5f, 0.6f, 0.5f};
	assert_true(line_segment_crosses(&l, 0.4f, 0.4f, 0.4f, 0.6f));
	assert_true(line_segment_crosses(&l, 0.4f, 0.6f, 0.4f, 0.4f));
	/* Beyond the ends of the drawn segment. */
	assert_false(line_segment_crosses(&l, 0.1f, 0.4f, 0.1f, 0.6f));
	assert_false(line_segment_crosses(&l, 0.7f, 0.4f, 0.7f, 0.6f));
	/* Moving along one side never crosses. */
	assert_false(line_segment_crosses(&l, 0.1f, 0.4f, 0.7f, 0.45f));
	/* A diagonal step whose crossing point is inside the segment. */
	assert_true(line_segment_crosses(&l, 0.1f, 0.3f, 0.5f, 0.7f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_four_normalised_numbers),
		cmocka_unit_test(parse_rejects_bad_text),
		cmocka_unit_test(default_line_moving_down_is_in),
		cmocka_unit_test(vertical_line_bottom_to_top_moving_right_is_in),
		cmocka_unit_test(along_is_zero_at_a_and_one_at_b),
		cmocka_unit_test(crossing_inside_segment_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
