/* Counting rules on scripted tracks: no video, no detector, no tracker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "counter.h"

struct script {
	struct counter *c;
	struct track slots[TRACKER_MAX_TRACKS];
	int in, out;
	int last_frame_counted;
};

static void setup_line(struct script *s, struct line l)
{
	struct counter_params p = COUNTER_PARAMS_DEFAULT;
	*s = (struct script){.last_frame_counted = -1};
	assert_int_equal(counter_create(&l, &p, &s->c), 0);
}

/* One frame: slot 0 holds track id at (x, y); returns crossings this frame. */
static int step(struct script *s, int frame, uint32_t id, float x, float y, bool confirmed,
		bool updated)
{
	struct crossing cr[COUNTER_MAX_CROSSINGS];
	s->slots[0] = (struct track){.id = id, .x = x, .y = y, .confirmed = confirmed,
				     .updated = updated, .hits = confirmed ? 5 : 1};
	int n = counter_update(s->c, s->slots, cr);
	for (int i = 0; i < n; i++) {
		assert_int_equal(cr[i].track, id);
		if (cr[i].dir == DIR_IN)
			s->in++;
		else
			s->out++;
		s->last_frame_counted = frame;
	}
	return n;
}

static void walk(struct script *s, uint32_t id, float x0, float y0, float x1, float y1, int frames)
{
	for (int f = 0; f <= frames; f++)
		step(s, f, id, x0 + (x1 - x0) * f / frames, y0 + (y1 - y0) * f / frames, true, true);
}

static void moving_down_across_default_line_is_one_in(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.9f, 40);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	/* Counted once clearly past the band: y > 0.53 first at frame 22 (0.1 + 0.02*22 = 0.54). */
	assert_int_equal(s.last_frame_counted, 22);
	counter_destroy(s.c);
}

static void moving_up_is_out(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.9f, 0.5f, 0.1f, 40);
	assert_int_equal(s.in, 0);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void direction_follows_the_side_not_the_axis(void **state)
{
	(void)state;
	/* A line drawn right-to-left flips in and out for the same motion. */
	struct script s;
	setup_line(&s, (struct line){1.0f, 0.5f, 0.0f, 0.5f});
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.9f, 40);
	assert_int_equal(s.in, 0);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
	/* A diagonal line: moving right and down crosses from left to right of A->B. */
	setup_line(&s, (struct line){0.0f, 0.0f, 1.0f, 1.0f});
	walk(&s, 1, 0.3f, 0.6f, 0.7f, 0.4f, 40);
	assert_int_equal(s.in, 0);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void jitter_on_the_line_counts_once(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	for (; f < 10; f++)
		step(&s, f, 1, 0.5f, 0.3f + 0.02f * f, true, true);
	/* Centroid wobbles +-0.02 around the line for a long time. */
	for (int k = 0; k < 60; k++, f++)
		step(&s, f, 1, 0.5f, 0.5f + (k % 2 ? 0.02f : -0.02f), true, true);
	for (int k = 0; k < 10; k++, f++)
		step(&s, f, 1, 0.5f, 0.55f + 0.02f * k, true, true);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

static void stop_on_the_line_then_go_back_is_not_counted(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.51f, 20);
	for (int f = 0; f < 100; f++)
		step(&s, f, 1, 0.5f, 0.51f, true, true);
	walk(&s, 1, 0.5f, 0.51f, 0.5f, 0.1f, 20);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

static void crossing_beyond_the_segment_is_not_counted(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, (struct line){0.3f, 0.5f, 0.7f, 0.5f});
	walk(&s, 1, 0.1f, 0.1f, 0.1f, 0.9f, 40);
	walk(&s, 2, 0.9f, 0.9f, 0.9f, 0.1f, 40);
	assert_int_equal(s.in + s.out, 0);
	walk(&s, 3, 0.5f, 0.1f, 0.5f, 0.9f, 40);
	assert_int_equal(s.in, 1);
	counter_destroy(s.c);
}

static void cross_and_come_back_counts_both_ways(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.2f, 0.5f, 0.8f, 30);
	walk(&s, 1, 0.5f, 0.8f, 0.5f, 0.2f, 30);
	walk(&s, 1, 0.5f, 0.2f, 0.5f, 0.8f, 30);
	assert_int_equal(s.in, 2);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void unconfirmed_track_counts_once_confirmed(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* A fast mover: first seen above, already below before it is confirmed. */
	assert_int_equal(step(&s, 0, 1, 0.5f, 0.2f, false, true), 0);
	assert_int_equal(step(&s, 1, 1, 0.5f, 0.6f, false, true), 0);
	assert_int_equal(step(&s, 2, 1, 0.5f, 0.9f, true, true), 1);
	assert_int_equal(s.in, 1);
	/* And a track that is never confirmed never counts. */
	step(&s, 3, 2, 0.5f, 0.2f, false, true);
	step(&s, 4, 2, 0.5f, 0.8f, false, true);
	assert_int_equal(s.in, 1);
	counter_destroy(s.c);
}

static void track_lost_on_the_line_and_found_again_counts_once(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* Track 1 comes down to the line and is lost there... */
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.5f, 20);
	step(&s, 21, 0, 0, 0, false, false);
	/* ...track 2 starts where it was lost and carries on down. */
	walk(&s, 2, 0.5f, 0.51f, 0.5f, 0.9f, 20);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

static void stopped_on_the_line_with_breaking_tracks_counts_once(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* A car crosses and stops just past the line... */
	walk(&s, 1, 0.5f, 0.2f, 0.5f, 0.56f, 20);
	assert_int_equal(s.in, 1);
	/* ...where its track breaks and restarts fifteen times, jittering. */
	for (uint32_t id = 2; id < 17; id++) {
		step(&s, 0, 0, 0, 0, false, false);
		for (int f = 0; f < 10; f++)
			step(&s, f, id, 0.5f, 0.5f + (f % 2 ? 0.06f : -0.01f), true, true);
	}
	/* Then it drives on. */
	walk(&s, 17, 0.5f, 0.56f, 0.5f, 0.9f, 10);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

static void coasting_prediction_does_not_count(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.4f, 10);
	/* The tracker predicts it onward across the line, but never sees it there. */
	step(&s, 11, 1, 0.5f, 0.6f, true, false);
	step(&s, 12, 1, 0.5f, 0.7f, true, false);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

static void a_new_track_in_a_reused_slot_starts_fresh(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.3f, 10);
	/* Track 1 ends; track 2 appears below in the same slot: no crossing. */
	walk(&s, 2, 0.5f, 0.8f, 0.5f, 0.9f, 10);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

/* Regression: after a camera reconnect the tracker starts over, but the
 * counter kept the old track in its slot; the first frame after filed it as
 * just ended, and a new object near where it was last seen inherited its
 * side however long the outage was, counting a crossing nobody made. */
static void reset_tracks_forgets_sides_before_a_tracking_restart(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* Track 1 is clearly above the line (out side) when the camera is lost. */
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.46f, 20);
	counter_reset_tracks(s.c);
	/* Back: track 2 starts just below, within inheriting distance. */
	walk(&s, 2, 0.5f, 0.535f, 0.5f, 0.6f, 10);
	assert_int_equal(s.in + s.out, 0);
	/* Counting itself carries on. */
	walk(&s, 3, 0.5f, 0.9f, 0.5f, 0.1f, 40);
	assert_int_equal(s.in, 0);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

/* A track of box w x h and area crossing the default line downwards. */
static int cross_with_size(struct script *s, uint32_t id, float w, float h, float area)
{
	struct crossing cr[COUNTER_MAX_CROSSINGS];
	int total = 0;
	for (int f = 0; f <= 20; f++) {
		s->slots[0] = (struct track){.id = id, .x = 0.5f, .y = 0.2f + 0.03f * f, .w = w, .h = h,
					     .area = area, .confirmed = true, .updated = true, .hits = 5};
		total += counter_update(s->c, s->slots, cr);
	}
	return total;
}

static void two_side_by_side_in_one_blob_count_as_two(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* Single people of somewhat varied size teach the typical size... */
	const float sizes[] = {0.10f, 0.12f, 0.11f, 0.13f, 0.10f};
	uint32_t id = 1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		assert_int_equal(cross_with_size(&s, id++, sizes[i], 1.5f * sizes[i], 0.8f * sizes[i] * sizes[i] * 1.5f), 1);
	/* ...then two of them shoulder to shoulder: twice as wide, same depth. */
	assert_int_equal(cross_with_size(&s, id++, 0.23f, 0.17f, 2 * 0.8f * 0.11f * 0.11f * 1.5f), 2);
	/* Three abreast, of the median size. */
	assert_int_equal(cross_with_size(&s, id++, 0.37f, 0.18f, 3 * 0.8f * 0.12f * 0.12f * 1.5f), 3);
	counter_destroy(s.c);
}

static void one_large_object_is_still_one(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	uint32_t id = 1;
	for (int i = 0; i < 5; i++)
		cross_with_size(&s, id++, 0.10f, 0.15f, 0.012f);
	/* 1.6 times larger in every direction: area 2.6x, but only 1.6x as wide. */
	assert_int_equal(cross_with_size(&s, id++, 0.16f, 0.24f, 0.012f * 2.56f), 1);
	counter_destroy(s.c);
}

static void configured_object_area_counts_from_the_first_crossing(void **state)
{
	(void)state;
	struct counter_params p = COUNTER_PARAMS_DEFAULT;
	struct line l = LINE_DEFAULT;
	struct script s = {.last_frame_counted = -1};
	p.object_area = 0.01f;
	assert_int_equal(counter_create(&l, &p, &s.c), 0);
	/* No history yet: a blob of two objects' area and width is already two. */
	assert_int_equal(cross_with_size(&s, 1, 0.2f, 0.1f, 0.02f), 2);
	counter_destroy(s.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(moving_down_across_default_line_is_one_in),
		cmocka_unit_test(moving_up_is_out),
		cmocka_unit_test(direction_follows_the_side_not_the_axis),
		cmocka_unit_test(jitter_on_the_line_counts_once),
		cmocka_unit_test(stop_on_the_line_then_go_back_is_not_counted),
		cmocka_unit_test(crossing_beyond_the_segment_is_not_counted),
		cmocka_unit_test(cross_and_come_back_counts_both_ways),
		cmocka_unit_test(unconfirmed_track_counts_once_confirmed),
		cmocka_unit_test(track_lost_on_the_line_and_found_again_counts_once),
		cmocka_unit_test(stopped_on_the_line_with_breaking_tracks_counts_once),
		cmocka_unit_test(coasting_prediction_does_not_count),
		cmocka_unit_test(a_new_track_in_a_reused_slot_starts_fresh),
		cmocka_unit_test(reset_tracks_forgets_sides_before_a_tracking_restart),
		cmocka_unit_test(two_side_by_side_in_one_blob_count_as_two),
		cmocka_unit_test(one_large_object_is_still_one),
		cmocka_unit_test(configured_object_area_counts_from_the_first_crossing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
