/* Counting rules, first on scripted tracks (no video, no detector, no
 * tracker), then end to end through the tracker on scripted blobs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "counter.h"

struct script {
	struct counter *c;
	struct track slots[TRACKER_MAX_TRACKS];
	int in, out;
	int last_frame_counted;
	uint32_t last_id_counted;
};

static void setup_with(struct script *s, struct line l, struct counter_params p)
{
	*s = (struct script){.last_frame_counted = -1};
	assert_int_equal(counter_create(&l, &p, &s->c), 0);
}

static void setup_line(struct script *s, struct line l)
{
	setup_with(s, l, COUNTER_PARAMS_DEFAULT);
}

/* Runs the counter over the slots as they are; returns crossings. */
static int frame(struct script *s, int f)
{
	struct crossing cr[COUNTER_MAX_CROSSINGS];
	int n = counter_update(s->c, s->slots, cr);
	for (int i = 0; i < n; i++) {
		if (cr[i].dir == DIR_IN)
			s->in++;
		else
			s->out++;
		s->last_frame_counted = f;
		s->last_id_counted = cr[i].track;
	}
	return n;
}

/* One frame: slot 0 holds track id at (x, y); returns crossings this frame. */
static int step(struct script *s, int f, uint32_t id, float x, float y, bool confirmed, bool updated)
{
	s->slots[0] = (struct track){.id = id, .x = x, .y = y, .bottom = y, .confirmed = confirmed,
				     .updated = updated, .hits = confirmed ? 5 : 1};
	int n = frame(s, f);
	for (int i = 0; i < n; i++)
		assert_int_equal(s->last_id_counted, id);
	return n;
}

/* The track in slot 0 ends (the slot is empty this frame). */
static int end(struct script *s, int f)
{
	s->slots[0] = (struct track){0};
	return frame(s, f);
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
	/* Its end does not count it again. */
	assert_int_equal(end(&s, 41), 0);
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

static void jitter_inside_the_band_never_counts(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	/* Clearly out, then wobbling +-0.025 around the line for a long time... */
	for (; f < 10; f++)
		step(&s, f, 1, 0.5f, 0.3f + 0.015f * f, true, true);
	for (int k = 0; k < 60; k++, f++)
		step(&s, f, 1, 0.5f, 0.5f + (k % 2 ? 0.025f : -0.025f), true, true);
	assert_int_equal(s.in + s.out, 0);
	/* ...then on down: one crossing. */
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
	end(&s, 0);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

static void crossing_beyond_the_segment_ends_is_not_counted(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, (struct line){0.3f, 0.5f, 0.7f, 0.5f});
	walk(&s, 1, 0.1f, 0.1f, 0.1f, 0.9f, 40);
	walk(&s, 2, 0.9f, 0.9f, 0.9f, 0.1f, 40);
	/* Just outside each end, slanting. */
	walk(&s, 3, 0.25f, 0.1f, 0.29f, 0.9f, 40);
	walk(&s, 4, 0.75f, 0.9f, 0.71f, 0.1f, 40);
	end(&s, 0);
	assert_int_equal(s.in + s.out, 0);
	/* Just inside an end counts. */
	walk(&s, 5, 0.32f, 0.1f, 0.32f, 0.9f, 40);
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
	/* A turn-back is still counted both ways when the track ends. */
	end(&s, 0);
	assert_int_equal(s.in, 2);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void unconfirmed_crossing_counts_once_confirmed(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* A fast mover: first seen above, already below before it is confirmed. */
	assert_int_equal(step(&s, 0, 1, 0.5f, 0.2f, false, true), 0);
	assert_int_equal(step(&s, 1, 1, 0.5f, 0.6f, false, true), 0);
	assert_int_equal(step(&s, 2, 1, 0.5f, 0.9f, true, true), 1);
	assert_int_equal(s.in, 1);
	assert_int_equal(step(&s, 3, 1, 0.5f, 0.95f, true, true), 0);
	assert_int_equal(end(&s, 4), 0);
	assert_int_equal(s.in, 1);
	counter_destroy(s.c);
}

static void coasting_positions_never_count(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.4f, 10);
	/* The tracker predicts it onward across the line, but never sees it there... */
	step(&s, 11, 1, 0.5f, 0.6f, true, false);
	step(&s, 12, 1, 0.5f, 0.7f, true, false);
	assert_int_equal(s.in + s.out, 0);
	/* ...nor when the track ends there. */
	end(&s, 13);
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
	end(&s, 0);
	assert_int_equal(s.in + s.out, 0);
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
		end(&s, 0);
		for (int f = 0; f < 10; f++)
			step(&s, f, id, 0.5f, 0.5f + (f % 2 ? 0.06f : -0.01f), true, true);
	}
	/* Then it drives on. */
	walk(&s, 17, 0.5f, 0.56f, 0.5f, 0.9f, 10);
	end(&s, 0);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

/* The end-of-track rule replaces side inheritance: a track that went from
 * clearly one side to clearly the other without a crossing being counted
 * (it was tentative all along, a fast or briefly seen object) counts once
 * when it ends.
 * EXPOSES A BUG (fails at 29e483d): counter_update() leaves st->side at
 * the old side while the track is unconfirmed ("keeps its old side"), and
 * finish() asks st->side == -st->start_side, so a track that was tentative
 * on the far side never meets the end rule: 0 counts instead of 1. */
static void tentative_track_that_went_across_counts_once_at_its_end(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	s.slots[0] = (struct track){.id = 7, .x = 0.5f, .y = 0.2f, .updated = true, .hits = 1};
	assert_int_equal(frame(&s, 0), 0);
	s.slots[0] = (struct track){.id = 7, .x = 0.5f, .y = 0.8f, .updated = true, .hits = 2};
	assert_int_equal(frame(&s, 1), 0);
	assert_int_equal(end(&s, 2), 1);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.last_id_counted, 7);
	/* Upwards: out. */
	s.slots[0] = (struct track){.id = 8, .x = 0.5f, .y = 0.8f, .updated = true, .hits = 1};
	frame(&s, 3);
	s.slots[0] = (struct track){.id = 8, .x = 0.5f, .y = 0.2f, .updated = true, .hits = 2};
	frame(&s, 4);
	assert_int_equal(end(&s, 5), 1);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void a_single_sighting_never_counts_at_its_end(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* One hit only (noise), even if the counter saw it on both sides. */
	s.slots[0] = (struct track){.id = 3, .x = 0.5f, .y = 0.2f, .updated = true, .hits = 1};
	frame(&s, 0);
	s.slots[0] = (struct track){.id = 3, .x = 0.5f, .y = 0.8f, .updated = true, .hits = 1};
	frame(&s, 1);
	assert_int_equal(end(&s, 2), 0);
	counter_destroy(s.c);
}

static void a_track_that_ends_on_its_start_side_or_in_the_band_does_not_count(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* Starts out, ends in the band. */
	walk(&s, 1, 0.5f, 0.2f, 0.5f, 0.52f, 20);
	assert_int_equal(end(&s, 0), 0);
	/* Starts in the band, ends in. */
	walk(&s, 2, 0.5f, 0.49f, 0.5f, 0.8f, 20);
	assert_int_equal(end(&s, 0), 0);
	/* A tentative track that went across and back. */
	s.slots[0] = (struct track){.id = 3, .x = 0.5f, .y = 0.2f, .updated = true, .hits = 1};
	frame(&s, 0);
	s.slots[0] = (struct track){.id = 3, .x = 0.5f, .y = 0.8f, .updated = true, .hits = 2};
	frame(&s, 0);
	s.slots[0] = (struct track){.id = 3, .x = 0.5f, .y = 0.2f, .updated = true, .hits = 3};
	frame(&s, 0);
	assert_int_equal(end(&s, 0), 0);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

static void end_rule_keeps_to_the_segment(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, (struct line){0.3f, 0.5f, 0.7f, 0.5f});
	s.slots[0] = (struct track){.id = 4, .x = 0.1f, .y = 0.2f, .updated = true, .hits = 1};
	frame(&s, 0);
	s.slots[0] = (struct track){.id = 4, .x = 0.1f, .y = 0.8f, .updated = true, .hits = 2};
	frame(&s, 1);
	assert_int_equal(end(&s, 2), 0);
	counter_destroy(s.c);
}

/* Someone comes in at the left edge right on the line: the first sliver
 * of them is a little above it (out), then, seen whole, they walk along
 * the line and turn down (in). They were never on the out side: no count.
 * Someone cut by the edge all the way who crosses is counted as ever. */
static void edge_sliver_does_not_set_the_side_an_object_starts_on(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	s.slots[0] = (struct track){.id = 1, .x = 0.01f, .y = 0.46f, .bottom = 0.48f, .w = 0.03f,
				    .h = 0.04f, .updated = true, .hits = 1};
	frame(&s, f++);
	for (int k = 0; k < 20; k++, f++) {
		float x = 0.03f + 0.02f * k;
		s.slots[0] = (struct track){.id = 1, .x = x, .y = 0.5f, .bottom = 0.56f, .w = 0.06f,
					    .h = 0.12f, .updated = true, .confirmed = true, .hits = 3 + k};
		frame(&s, f);
	}
	for (int k = 0; k < 20; k++, f++) {
		s.slots[0] = (struct track){.id = 1, .x = 0.42f, .y = 0.5f + 0.02f * k, .w = 0.06f,
					    .h = 0.12f, .updated = true, .confirmed = true, .hits = 23 + k};
		frame(&s, f);
	}
	end(&s, f++);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);

	/* Walking down along the left edge, half outside all the way: cut by
	 * the edge in every frame, and counted once confirmed. */
	setup_line(&s, LINE_DEFAULT);
	for (int k = 0; k < 30; k++) {
		s.slots[0] = (struct track){.id = 2, .x = 0.03f, .y = 0.3f + 0.015f * k,
					    .w = 0.06f, .h = 0.12f, .updated = true,
					    .confirmed = k >= 2, .hits = 1 + k};
		frame(&s, k);
	}
	end(&s, 30);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

/* At a low frame rate someone coming in at the left edge above a level
 * line is seen twice, wholly above the band, before being confirmed inside
 * it: the left edge does not move their centre across a level line, so
 * those slivers tell the side they came from, and they count. Coming in at
 * the top edge toward a level line near it, a sliver tells nothing. */
static void edge_sliver_clear_of_the_band_sets_the_side(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	const float ys[6] = {0.39f, 0.45f, 0.48f, 0.52f, 0.55f, 0.58f};
	for (int k = 0; k < 6; k++) {
		float w = 0.05f + 0.02f * (float)k;
		s.slots[0] = (struct track){.id = 1, .x = w / 2, .y = ys[k], .bottom = ys[k] + 0.04f,
					    .w = w, .h = 0.075f, .updated = true,
					    .confirmed = k >= 2, .hits = 1 + k};
		frame(&s, k);
	}
	end(&s, 6);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);

	setup_line(&s, (struct line){0.0f, 0.1f, 1.0f, 0.1f});
	const float ty[6] = {0.01f, 0.03f, 0.08f, 0.12f, 0.16f, 0.2f};
	for (int k = 0; k < 6; k++) {
		s.slots[0] = (struct track){.id = 2, .x = 0.5f, .y = ty[k], .bottom = ty[k] + 0.02f,
					    .w = 0.06f, .h = 0.04f, .updated = true,
					    .confirmed = k >= 3, .hits = 1 + k};
		frame(&s, k);
	}
	end(&s, 6);
	assert_int_equal(s.in + s.out, 0);
	counter_destroy(s.c);
}

/* At 5 fps someone coming in at the left edge right at a level line is
 * seen once as a sliver that straddles the line, its centre well above it
 * (two bands and more), then in the band, and is only confirmed across it:
 * the left edge does not move their centre across a level line, so the
 * sliver's centre told their side, and they count. A sliver whose centre
 * is within two bands (a shoulder first) tells nothing; nor does one cut by
 * the top edge, which moves the centre toward a level line. */
static void edge_sliver_across_the_line_tells_its_side_once_confirmed(void **state)
{
	(void)state;
	for (int c = 0; c < 3; c++) {
		struct script s;
		struct line top = {0.0f, 0.2f, 1.0f, 0.2f};
		setup_line(&s, c == 2 ? top : LINE_DEFAULT);
		float y0 = c == 2 ? 0.12f : c == 1 ? 0.45f : 0.42f, line_y = c == 2 ? 0.2f : 0.5f;
		const float dy[4] = {0.0f, line_y - 0.02f - y0, line_y + 0.05f - y0, line_y + 0.12f - y0};
		for (int k = 0; k < 4; k++) {
			float y = y0 + dy[k], w = k ? 0.08f : 0.04f, h = c == 2 && !k ? 0.12f : 0.16f;
			s.slots[0] = (struct track){.id = 1, .x = c == 2 ? 0.5f : w / 2 + 0.04f * k,
						    .y = y, .bottom = y + h / 2, .w = w, .h = h,
						    .updated = true, .confirmed = k >= 2, .hits = 1 + k};
			if (c == 2 && k == 0)
				s.slots[0].y = 0.06f, s.slots[0].bottom = 0.12f; /* cut by the top */
			frame(&s, k);
		}
		end(&s, 4);
		assert_int_equal(s.in, c == 0 ? 1 : 0);
		assert_int_equal(s.out, 0);
		counter_destroy(s.c);
	}
}

/* Two cars pass each other in one blob on the line: inside the group the
 * members' positions are guesses and the one going down seems to stall
 * and drift back up. That drift back is no crossing; seen on its own
 * again where it really is, below, it has crossed once. Had it really
 * turned back inside the group, it counts out once seen above. */
static void grouped_drift_back_is_no_crossing(void **state)
{
	(void)state;
	for (int turned = 0; turned < 2; turned++) {
		struct script s;
		setup_line(&s, LINE_DEFAULT);
		int f = 0;
		for (float y = 0.3f; y < 0.56f; y += 0.02f, f++) {
			s.slots[0] = (struct track){.id = 1, .x = 0.5f, .y = y, .w = 0.1f, .h = 0.1f,
						    .updated = true, .confirmed = true, .hits = 5 + f,
						    .grouped = y > 0.45f, .ever_grouped = y > 0.45f};
			frame(&s, f);
		}
		assert_int_equal(s.in, 1);
		for (float y = 0.56f; y > 0.4f; y -= 0.02f, f++) {
			s.slots[0] = (struct track){.id = 1, .x = 0.5f, .y = y, .w = 0.1f, .h = 0.1f,
						    .updated = true, .confirmed = true, .hits = 5 + f,
						    .grouped = true, .ever_grouped = true};
			frame(&s, f);
		}
		assert_int_equal(s.out, 0);
		/* Apart again: below the line, or above it. */
		float y = turned ? 0.3f : 0.7f;
		s.slots[0] = (struct track){.id = 1, .x = 0.5f, .y = y, .w = 0.1f, .h = 0.1f,
					    .updated = true, .confirmed = true, .hits = 5 + f,
					    .ever_grouped = true};
		frame(&s, f++);
		end(&s, f);
		assert_int_equal(s.in, 1);
		assert_int_equal(s.out, turned);
		counter_destroy(s.c);
	}
}

static void reset_tracks_forgets_every_track(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	/* Track 1 is clearly above the line when the camera is lost... */
	walk(&s, 1, 0.5f, 0.1f, 0.5f, 0.46f, 20);
	counter_reset_tracks(s.c);
	/* ...and after the restart the same slot's id 1 is a new track of a new
	 * tracker, seen below: not a crossing. */
	walk(&s, 1, 0.5f, 0.8f, 0.5f, 0.9f, 10);
	end(&s, 0);
	assert_int_equal(s.in + s.out, 0);
	/* Counting itself carries on. */
	walk(&s, 3, 0.5f, 0.9f, 0.5f, 0.1f, 40);
	assert_int_equal(s.out, 1);
	counter_destroy(s.c);
}

static void bottom_anchor_counts_where_the_feet_cross(void **state)
{
	(void)state;
	/* A tall box whose centre stops short of the line while its bottom
	 * edge goes well past it. */
	struct counter_params p = COUNTER_PARAMS_DEFAULT;
	for (int anchor = 0; anchor < 2; anchor++) {
		struct script s;
		p.anchor = anchor ? ANCHOR_BOTTOM : ANCHOR_CENTRE;
		setup_with(&s, LINE_DEFAULT, p);
		for (int f = 0; f <= 20; f++) {
			float y = 0.1f + 0.018f * f; /* centre 0.1 .. 0.46 */
			s.slots[0] = (struct track){.id = 1, .x = 0.5f, .y = y, .w = 0.1f, .h = 0.3f,
						    .bottom = y + 0.15f, .confirmed = true,
						    .updated = true, .hits = 5};
			frame(&s, f);
		}
		end(&s, 21);
		assert_int_equal(s.in, anchor ? 1 : 0);
		assert_int_equal(s.out, 0);
		counter_destroy(s.c);
	}
}

/* A track of box w x h and area crossing the default line downwards; flags
 * as given. Returns the crossings (including at its end). */
static int cross_as(struct script *s, uint32_t id, float w, float h, float area, bool ever_grouped)
{
	int total = 0;
	for (int f = 0; f <= 20; f++) {
		s->slots[0] = (struct track){.id = id, .x = 0.5f, .y = 0.2f + 0.03f * f, .w = w, .h = h,
					     .area = area, .confirmed = true, .updated = true, .hits = 5,
					     .ever_grouped = ever_grouped};
		s->slots[0].bottom = s->slots[0].y + h / 2;
		total += frame(s, f);
	}
	total += end(s, 21);
	return total;
}

static int cross_with_size(struct script *s, uint32_t id, float w, float h, float area)
{
	return cross_as(s, id, w, h, area, false);
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
	assert_int_equal(counter_objsize(s.c)->n, 5);
	/* ...then two of them shoulder to shoulder: twice as wide, same depth. */
	assert_int_equal(cross_with_size(&s, id++, 0.23f, 0.17f, 2 * 0.8f * 0.11f * 0.11f * 1.5f), 2);
	/* Three abreast, of the median size. */
	assert_int_equal(cross_with_size(&s, id++, 0.37f, 0.18f, 3 * 0.8f * 0.12f * 0.12f * 1.5f), 3);
	counter_destroy(s.c);
}

static void group_members_count_for_themselves(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	uint32_t id = 1;
	for (int i = 0; i < 6; i++)
		assert_int_equal(cross_with_size(&s, id++, 0.10f, 0.15f, 0.012f), 1);
	/* A track that was once seen as one of two objects sharing a blob
	 * (ever_grouped) is one object whatever the size of its blob: its
	 * partner has a track of its own and counts for itself. */
	assert_int_equal(cross_as(&s, id++, 0.22f, 0.15f, 0.026f, true), 1);
	/* The same blob, never seen as separate objects: two. */
	assert_int_equal(cross_as(&s, id++, 0.22f, 0.15f, 0.026f, false), 2);
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
	/* 1.5 times larger in every direction: area 2.25x, but only 1.5x as
	 * wide (and 1.5x as long). */
	assert_int_equal(cross_with_size(&s, id++, 0.15f, 0.225f, 0.012f * 2.25f), 1);
	counter_destroy(s.c);
}

static void long_vehicle_wider_and_longer_is_one(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	uint32_t id = 1;
	/* Cars: 0.10 along the line, 0.15 across it (along the road). */
	for (int i = 0; i < 6; i++)
		cross_with_size(&s, id++, 0.10f, 0.15f, 0.012f);
	/* An articulated truck seen obliquely: twice as wide along the line,
	 * three times the area, but also twice as long across it. */
	assert_int_equal(cross_with_size(&s, id++, 0.20f, 0.30f, 0.036f), 1);
	/* Two cars side by side: as wide, as much area, a car's length. */
	assert_int_equal(cross_with_size(&s, id++, 0.20f, 0.15f, 0.024f), 2);
	counter_destroy(s.c);
}

static void long_vehicle_on_a_vertical_line(void **state)
{
	(void)state;
	/* The same on a line drawn top to bottom: along the line is h, across is w. */
	struct script s;
	setup_line(&s, (struct line){0.5f, 0.0f, 0.5f, 1.0f});
	struct crossing cr[COUNTER_MAX_CROSSINGS];
	int counts[8];
	float boxes[8][3] = {
		{0.15f, 0.10f, 0.012f}, {0.15f, 0.10f, 0.012f}, {0.15f, 0.10f, 0.012f},
		{0.15f, 0.10f, 0.012f}, {0.15f, 0.10f, 0.012f}, {0.15f, 0.10f, 0.012f},
		{0.30f, 0.20f, 0.036f}, /* truck */
		{0.15f, 0.20f, 0.024f}, /* two abreast */
	};
	for (int i = 0; i < 8; i++) {
		counts[i] = 0;
		for (int f = 0; f <= 20; f++) {
			s.slots[0] = (struct track){.id = (uint32_t)i + 1, .x = 0.2f + 0.03f * f, .y = 0.5f,
						    .w = boxes[i][0], .h = boxes[i][1], .area = boxes[i][2],
						    .confirmed = true, .updated = true, .hits = 5};
			counts[i] += counter_update(s.c, s.slots, cr);
		}
		s.slots[0] = (struct track){0};
		counts[i] += counter_update(s.c, s.slots, cr);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(counts[i], 1);
	assert_int_equal(counts[6], 1);
	assert_int_equal(counts[7], 2);
	counter_destroy(s.c);
}

static void configured_object_area_counts_from_the_first_crossing(void **state)
{
	(void)state;
	struct counter_params p = COUNTER_PARAMS_DEFAULT;
	struct script s;
	p.object_area = 0.01f;
	setup_with(&s, LINE_DEFAULT, p);
	/* No history yet: a blob of two objects' area and width is already two. */
	assert_int_equal(cross_with_size(&s, 1, 0.2f, 0.1f, 0.02f), 2);
	counter_destroy(s.c);
}

/* The overhead door of issue 12: the first two crossings were body
 * fragments (a third of a person's width, the same length), then twenty
 * whole people. Learning must not hang on the k judgement, or every whole
 * person is "three" for ever (56 counts). */
static int fragments_first_then_twenty_whole(int nfrag, int *last15)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	uint32_t id = 1;
	int total = 0;
	*last15 = 0;
	for (int i = 0; i < nfrag; i++)
		total += cross_with_size(&s, id++, 0.04f, 0.15f, 0.004f);
	for (int i = 0; i < 20; i++) {
		int k = cross_with_size(&s, id++, 0.12f, 0.15f, 0.013f);
		total += k;
		if (i >= 5)
			*last15 += k;
	}
	counter_destroy(s.c);
	return total;
}

static void fragments_first_are_outvoted_by_whole_people(void **state)
{
	(void)state;
	int last15;
	int total = fragments_first_then_twenty_whole(2, &last15);
	/* Whatever the first judgements, the model recovers: one each. */
	assert_int_equal(last15, 15);
	assert_true(total <= 24);
}

/* Regression: with the 40th percentile (up to 2c7f42c) this gave 24, since
 * v[(5 - 1) * 2 / 5] = v[1] let two fragments among the first five samples
 * decide; the median (381d872) gives the 22 the issue asks for. */
static void fragments_first_then_whole_people_count_exactly_22(void **state)
{
	(void)state;
	int last15;
	assert_int_equal(fragments_first_then_twenty_whole(2, &last15), 22);
}

/* Three fragments first: the first whole people judged after five samples
 * are "three", and must still be learnt from, or the model never recovers
 * (every whole person three for ever: 59 counts). */
static void three_fragments_first_are_outvoted_too(void **state)
{
	(void)state;
	int last15;
	int total = fragments_first_then_twenty_whole(3, &last15);
	assert_int_equal(last15, 15);
	assert_true(total <= 3 + 20 + 2 * 2);
}

static void size_is_learnt_only_from_isolated_tracks_that_crossed(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	uint32_t id = 1;
	for (int i = 0; i < 5; i++)
		cross_with_size(&s, id++, 0.10f, 0.15f, 0.012f);
	assert_int_equal(counter_objsize(s.c)->n, 5);
	/* Half-size tracks that were in a group at some time: not learnt. */
	for (int i = 0; i < 10; i++)
		cross_as(&s, id++, 0.05f, 0.15f, 0.006f, true);
	assert_int_equal(counter_objsize(s.c)->n, 5);
	/* Half-size isolated tracks that come near the line and turn back
	 * (or stop in the band): not learnt. */
	for (int i = 0; i < 10; i++) {
		walk(&s, id, 0.5f, 0.3f, 0.5f, 0.49f, 10);
		for (int f = 0; f < 10; f++) {
			s.slots[0] = (struct track){.id = id, .x = 0.5f, .y = 0.49f - 0.02f * f, .w = 0.05f,
						    .h = 0.15f, .area = 0.006f, .confirmed = true,
						    .updated = true, .hits = 5};
			frame(&s, f);
		}
		end(&s, 0);
		id++;
	}
	assert_int_equal(counter_objsize(s.c)->n, 5);
	/* So a whole person is still one. */
	assert_int_equal(cross_with_size(&s, id++, 0.10f, 0.15f, 0.012f), 1);
	assert_int_equal(counter_objsize(s.c)->n, 6);
	counter_destroy(s.c);
}

static void size_is_measured_near_the_line(void **state)
{
	(void)state;
	/* Perspective: a person is large near the camera, far from the line,
	 * and of the usual size where the line is. Only the latter is learnt. */
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	for (uint32_t id = 1; id <= 6; id++) {
		for (int f = 0; f <= 40; f++) {
			float y = 0.05f + 0.022f * f;
			float sc = fabsf(y - 0.5f) < 0.25f ? 1.0f : 3.0f;
			s.slots[0] = (struct track){.id = id, .x = 0.5f, .y = y, .w = 0.1f * sc,
						    .h = 0.15f, .area = 0.012f * sc, .confirmed = true,
						    .updated = true, .hits = 5};
			frame(&s, f);
		}
		end(&s, 0);
	}
	const struct objsize *m = counter_objsize(s.c);
	assert_int_equal(m->n, 6);
	for (int i = 0; i < m->n; i++) {
		assert_float_equal(m->area[i], 0.012f, 1e-5);
		assert_float_equal(m->width[i], 0.1f, 1e-5);
		assert_float_equal(m->length[i], 0.15f, 1e-5);
	}
	counter_destroy(s.c);
}

static void learnt_size_survives_a_restart(void **state)
{
	(void)state;
	struct script s, t;
	setup_line(&s, LINE_DEFAULT);
	for (uint32_t id = 1; id <= 5; id++)
		cross_with_size(&s, id, 0.10f, 0.15f, 0.012f);
	struct objsize saved = *counter_objsize(s.c);
	counter_destroy(s.c);
	setup_line(&t, LINE_DEFAULT);
	counter_set_objsize(t.c, &saved);
	assert_int_equal(cross_with_size(&t, 1, 0.22f, 0.15f, 0.026f), 2);
	counter_destroy(t.c);
}

/* ---- End to end: scripted blobs through the tracker into the counter. ---- */

struct e2e {
	struct tracker *t;
	struct counter *c;
	double now;
	int in, out;
	uint32_t ids[16];
	int objects[16]; /* each crossing's "objects" */
	int nids;
};

static void e2e_setup(struct e2e *e)
{
	struct tracker_params tp = TRACKER_PARAMS_DEFAULT;
	struct counter_params cp = COUNTER_PARAMS_DEFAULT;
	struct line l = LINE_DEFAULT;
	*e = (struct e2e){0};
	assert_int_equal(tracker_create(&tp, &e->t), 0);
	assert_int_equal(counter_create(&l, &cp, &e->c), 0);
}

static void e2e_frame(struct e2e *e, const struct blob *b, int n, double dt)
{
	struct crossing cr[COUNTER_MAX_CROSSINGS];
	e->now += dt;
	const struct track *tr = tracker_update(e->t, b, n, e->now);
	int k = counter_update(e->c, tr, cr);
	for (int i = 0; i < k; i++) {
		if (cr[i].dir == DIR_IN)
			e->in++;
		else
			e->out++;
		if (e->nids < 16) {
			e->objects[e->nids] = cr[i].objects;
			e->ids[e->nids++] = cr[i].track;
		}
	}
}

static void e2e_teardown(struct e2e *e)
{
	tracker_destroy(e->t);
	counter_destroy(e->c);
}

static struct blob box(float cx, float cy, float w, float h, float fill)
{
	return (struct blob){.cx = cx, .cy = cy, .x0 = cx - w / 2, .y0 = cy - h / 2, .x1 = cx + w / 2,
			     .y1 = cy + h / 2, .area = fill * w * h};
}

#define PW 0.08f /* a person's box */
#define PH 0.12f
#define FILL 0.7f

/* Two people walking down (dir +1) or up (-1) at 0.25/s, side by side and
 * drawing together around y in [z0, z1] until their blobs merge into one,
 * then apart again. Returns how many frames showed one merged blob. */
static int walk_pair(struct e2e *e, int dir, float z0, float z1, double fps)
{
	const float speed = 0.25f;
	int merged = 0;
	for (float y = 0.05f; y <= 0.95f; y += speed / (float)fps) {
		float yy = dir > 0 ? y : 1.0f - y;
		float d = yy < z0 ? z0 - yy : yy > z1 ? yy - z1 : 0.0f;
		float sep = fminf(0.06f + 0.6f * d, 0.24f);
		float xa = 0.5f - sep / 2, xb = 0.5f + sep / 2;
		struct blob b[2];
		int n;
		if (sep < PW + 0.01f) {
			float x0 = xa - PW / 2, x1 = xb + PW / 2;
			b[0] = (struct blob){.cx = 0.5f, .cy = yy, .x0 = x0, .y0 = yy - PH / 2, .x1 = x1,
					     .y1 = yy + PH / 2, .area = FILL * (x1 - x0) * PH};
			n = 1;
			merged++;
		} else {
			b[0] = box(xa, yy, PW, PH, FILL);
			b[1] = box(xb, yy, PW, PH, FILL);
			n = 2;
		}
		e2e_frame(e, b, n, 1.0 / fps);
	}
	/* Gone: let the tracks coast out and end. */
	for (int f = 0; f < fps; f++)
		e2e_frame(e, NULL, 0, 1.0 / fps);
	return merged;
}

static void check_pair(float z0, float z1)
{
	for (int dir = -1; dir <= 1; dir += 2) {
		struct e2e e;
		e2e_setup(&e);
		int merged = walk_pair(&e, dir, z0, z1, 25.0);
		assert_true(merged >= 5);
		assert_int_equal(e.in, dir > 0 ? 2 : 0);
		assert_int_equal(e.out, dir > 0 ? 0 : 2);
		/* One count each, for two different tracks. */
		assert_int_equal(e.nids, 2);
		assert_int_not_equal(e.ids[0], e.ids[1]);
		e2e_teardown(&e);
	}
}

static void pair_merging_and_splitting_before_the_line_counts_two(void **state)
{
	(void)state;
	check_pair(0.22f, 0.36f);
}

static void pair_merged_across_the_line_counts_two(void **state)
{
	(void)state;
	check_pair(0.40f, 0.60f);
}

static void pair_merging_on_the_line_and_splitting_after_counts_two(void **state)
{
	(void)state;
	check_pair(0.48f, 0.62f);
}

static void pair_merging_and_splitting_after_the_line_counts_two(void **state)
{
	(void)state;
	check_pair(0.64f, 0.78f);
}

/* Two cars bumper to bumper drive down as one long blob; the blob's centre
 * crosses the line, then the car in front pulls away while the one behind
 * has not reached the line yet. The track keeps the car behind, whose
 * centre is back before the line: that jump is not a crossing out, and
 * that car counts when it crosses itself. */
static void platoon_split_after_its_centre_crossed_counts_each_car_once(void **state)
{
	(void)state;
	const float cw = 0.1f, ch = 0.28f, rh = 0.32f, v = 0.5f, dt = 0.04f;
	struct e2e e;
	e2e_setup(&e);
	float gap = 0.0f;
	for (float rear = 0.0f; rear < 1.1f; rear += v * dt) {
		float front = rear + rh + gap;   /* top edge of the front car */
		if (rear + rh / 2 > 0.41f)       /* behind's centre near the line: the front speeds off */
			gap += 1.5f * v * dt;
		struct blob b[2];
		int n;
		if (gap < 0.01f) {
			float y0 = fmaxf(rear, 0.0f), y1 = fminf(front + ch, 1.0f);
			if (y1 - y0 < 0.02f)
				continue;
			b[0] = box(0.5f, (y0 + y1) / 2, cw, y1 - y0, FILL);
			n = 1;
		} else {
			n = 0;
			float fy0 = front, fy1 = fminf(front + ch, 1.0f);
			if (fy1 - fy0 > 0.02f)
				b[n++] = box(0.5f, (fy0 + fy1) / 2, cw, fy1 - fy0, FILL);
			float ry0 = fmaxf(rear, 0.0f), ry1 = fminf(rear + rh, 1.0f);
			if (ry1 - ry0 > 0.02f)
				b[n++] = box(0.5f, (ry0 + ry1) / 2, cw, ry1 - ry0, FILL);
		}
		e2e_frame(&e, b, n, dt);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, dt);
	assert_int_equal(e.out, 0);
	assert_int_equal(e.in, 2);
	e2e_teardown(&e);
}

/* Two tracks going down the picture at the same speed: the parent in
 * slot 0 and a piece that split off from it in slot 1. */
static struct track down_track(uint32_t id, uint32_t parent, float y, float h, float area, int hits,
			       bool rebased)
{
	return (struct track){.id = id, .parent = parent, .x = 0.5f, .y = y, .bottom = y + h / 2,
			      .w = 0.1f, .h = h, .vy = 0.3f, .area = area, .hits = hits,
			      .confirmed = hits >= 3, .updated = true, .rebased = rebased};
}

/* A blob that held two cars nose to tail crossed (one count); then the
 * car behind parts from it on the line (y 0.49, in the band) and drives
 * on. Alike in size, it is a car of its own and counts; a piece a third
 * the size of the rest (a cab, a bag) does not. */
static int piece_parting_on_the_line(float piece_h, float piece_area)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	for (float y = 0.2f; y < 0.62f; y += 0.02f, f++) {
		s.slots[0] = down_track(1, 0, y, 0.6f, 0.06f, 5 + f, false);
		frame(&s, f);
	}
	assert_int_equal(s.in, 1);
	for (int i = 0; i < 12; i++, f++) {
		s.slots[0] = down_track(1, 0, 0.8f + 0.012f * i, 0.3f, 0.03f, 30 + f, false);
		s.slots[1] = down_track(2, 1, 0.49f + 0.012f * i, piece_h, piece_area, 1 + i, false);
		frame(&s, f);
	}
	int in = s.in;
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
	return in;
}

static void car_behind_parting_on_the_line_counts(void **state)
{
	(void)state;
	assert_int_equal(piece_parting_on_the_line(0.3f, 0.03f), 2);
}

static void piece_unlike_the_rest_parting_on_the_line_does_not_count(void **state)
{
	(void)state;
	assert_int_equal(piece_parting_on_the_line(0.1f, 0.01f), 1);
}

/* Two people cross side by side as a group, each counting one; then one
 * of them ends inside the other's blob (taken in as a part of it, or lost
 * in it), and the tracker names it in the other's absorbed. The other's
 * blob now holds two counted people: a piece of it, alike in size, that
 * parts later (the one taken in, showing again) is no new person. Without
 * that name (the one ended elsewhere) the piece counts, as a blob that
 * crossed holding more than it counted. */
static int pair_crossed_then_one_ended_inside_the_other(bool named, bool same_way)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	for (float y = 0.2f; y < 0.7f; y += 0.02f, f++) {
		s.slots[0] = down_track(1, 0, y, 0.3f, 0.03f, 5 + f, false);
		s.slots[0].grouped = s.slots[0].ever_grouped = true;
		s.slots[1] = down_track(2, 0, same_way ? y : 0.9f - y, 0.3f, 0.03f, 5 + f, false);
		s.slots[1].vy = same_way ? 0.3f : -0.3f;
		s.slots[1].x = 0.56f;
		s.slots[1].grouped = s.slots[1].ever_grouped = true;
		frame(&s, f);
	}
	assert_int_equal(s.in + s.out, 2);
	s.slots[1] = (struct track){0};
	s.slots[0] = down_track(1, 0, 0.72f, 0.3f, 0.06f, 30, false);
	s.slots[0].absorbed = named ? 2 : 0;
	frame(&s, f++);
	for (int i = 0; i < 12; i++, f++) {
		s.slots[0] = down_track(1, 0, 0.74f + 0.01f * i, 0.3f, 0.03f, 31 + i, false);
		s.slots[2] = down_track(3, 1, 0.62f + 0.01f * i, 0.3f, 0.03f, 1 + i, false);
		s.slots[2].x = 0.75f;
		frame(&s, f);
	}
	int in = s.in;
	assert_int_equal(s.out, same_way ? 0 : 1);
	counter_destroy(s.c);
	return in;
}

/* And one who crossed the other way (met on the line, ended in the blob)
 * is not one of those the blob's crossing counted: the piece counts. */
static void piece_of_a_blob_that_took_in_a_counted_mate_does_not_count(void **state)
{
	(void)state;
	assert_int_equal(pair_crossed_then_one_ended_inside_the_other(true, true), 2);
	assert_int_equal(pair_crossed_then_one_ended_inside_the_other(false, true), 3);
	assert_int_equal(pair_crossed_then_one_ended_inside_the_other(true, false), 2);
}

/* Someone crosses (one count) and walks out of the picture: what is left
 * of their blob shrinks at the edge, and a scrap of it, alike to that
 * remnant but a few hundredths of what crossed, comes loose and is tracked
 * a while. It is not another person: no count when it parts, nor when it
 * ends with the parent's past (which started on the other side). */
static void scrap_left_as_someone_leaves_does_not_count(void **state)
{
	(void)state;
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	for (float y = 0.2f; y < 0.7f; y += 0.02f, f++) {
		s.slots[0] = down_track(1, 0, y, 0.4f, 0.06f, 5 + f, false);
		frame(&s, f);
	}
	assert_int_equal(s.in, 1);
	for (int i = 0; i < 10; i++, f++) {
		s.slots[0] = down_track(1, 0, 0.9f + 0.005f * i, 0.06f, 0.004f, 30 + f, false);
		s.slots[1] = down_track(2, 1, 0.8f + 0.005f * i, 0.06f, 0.004f, 1 + i, false);
		frame(&s, f);
	}
	s.slots[0] = s.slots[1] = (struct track){0};
	frame(&s, f);
	assert_int_equal(s.in, 1);
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
}

/* The blob of two cars is on the line (its centre in the band, nothing
 * counted) when the car in front parts and is already across: the track
 * keeps the car behind (jumping back), and the car in front counts, once,
 * from where the blob started; then the car behind counts itself. If the
 * blob had counted before they parted, that count was the front car's
 * (handed over): it is not counted again, even when the front car is
 * first seen cut by the picture's edge and so has no side of its own. */
static int front_car_parting_across_the_line(bool counted_before)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	float stop = counted_before ? 0.6f : 0.5f;
	for (float y = 0.2f; y < stop; y += 0.02f, f++) {
		s.slots[0] = down_track(1, 0, y, 0.6f, 0.06f, 5 + f, false);
		frame(&s, f);
	}
	assert_int_equal(s.in, counted_before ? 1 : 0);
	for (int i = 0; i < 30; i++, f++) {
		s.slots[0] = down_track(1, 0, 0.35f + 0.012f * i, 0.3f, 0.03f, 30 + f, i == 0);
		s.slots[1] = i < 12 ? down_track(2, 1, 0.84f + 0.01f * i, 0.3f, 0.03f, 1 + i, false)
				    : (struct track){0};
		frame(&s, f);
	}
	int in = s.in;
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
	return in;
}

static void front_car_parting_across_the_line_counts_once(void **state)
{
	(void)state;
	assert_int_equal(front_car_parting_across_the_line(false), 2);
}

static void front_car_whose_crossing_was_counted_is_not_counted_again(void **state)
{
	(void)state;
	assert_int_equal(front_car_parting_across_the_line(true), 2);
}

/* A piece split off a blob (the car in front, cut from the one behind
 * as they come) crosses on its own while still a part of it, too near to
 * be taken for an object, and counts; when it is later clear of the rest
 * it is not counted again, whether the rest had crossed too (and counted
 * one object: 2 in all) or stopped short of the line (1). */
static int piece_counted_on_its_own_then_clear(bool rest_crossed)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	float py = 0.2f, qy = 0.32f;
	for (; f < 40; f++) {
		bool clear = rest_crossed ? py > 0.62f : qy > 0.56f;
		py += rest_crossed || !clear ? 0.02f : 0.0f;
		qy += clear ? 0.04f : 0.02f;
		s.slots[0] = down_track(1, 0, py, 0.2f, 0.03f, 5 + f, false);
		s.slots[1] = f >= 3 && qy < 0.95f ? down_track(2, 1, qy, 0.1f, 0.03f, f - 2, false)
						   : (struct track){0};
		frame(&s, f);
		if (py > 0.8f || qy > 0.95f)
			break;
	}
	int in = s.in;
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
	return in;
}

static void piece_that_counted_its_own_crossing_is_not_counted_again_when_clear(void **state)
{
	(void)state;
	assert_int_equal(piece_counted_on_its_own_then_clear(true), 2);
	assert_int_equal(piece_counted_on_its_own_then_clear(false), 1);
}

/* The blob of two cars nose to tail has its centre on the line (nothing
 * counted) when the car in front parts, already across and going out of
 * the picture: cut by the bottom edge, it shows under 0.4 of the blob
 * behind. Alike in width across the motion it is the car in front, and
 * counts (then the car behind counts itself: 2); a piece of half that
 * width going out is not a car (1). At 10 fps a platoon parts that late
 * (followers at a third of its rate lost its cars this way). */
static int front_car_parting_at_the_edge(float piece_w)
{
	struct script s;
	setup_line(&s, LINE_DEFAULT);
	int f = 0;
	for (float y = 0.2f; y < 0.5f; y += 0.02f, f++) {
		s.slots[0] = down_track(1, 0, y, 0.6f, 0.06f, 5 + f, false);
		frame(&s, f);
	}
	assert_int_equal(s.in, 0);
	for (int i = 0; i < 30; i++, f++) {
		s.slots[0] = down_track(1, 0, 0.35f + 0.012f * i, 0.3f, 0.03f, 30 + f, i == 0);
		s.slots[1] = (struct track){0};
		if (i < 8) {
			s.slots[1] = down_track(2, 1, 0.9f + 0.01f * i, 0.2f, 0.008f - 0.0005f * i,
						1 + i, false);
			s.slots[1].w = piece_w;
		}
		frame(&s, f);
	}
	int in = s.in;
	assert_int_equal(s.out, 0);
	counter_destroy(s.c);
	return in;
}

static void front_car_parting_as_it_leaves_the_picture_counts(void **state)
{
	(void)state;
	assert_int_equal(front_car_parting_at_the_edge(0.1f), 2);
}

static void narrow_piece_parting_as_it_leaves_the_picture_does_not_count(void **state)
{
	(void)state;
	assert_int_equal(front_car_parting_at_the_edge(0.05f), 1);
}

/* Cars nose to tail, driving down as one long blob. The gap behind car i
 * opens (and grows as they come closer) once the back of car i reaches
 * open_at[i]: before the line, with the blob on it, or after it. Blobs
 * are the runs of cars with no gap between them. Returns the crossings
 * in and checks there were none out. */
static int drive_platoon(int ncars, const float *open_at)
{
	const float cw = 0.1f, ch = 0.2f, v = 0.5f, dt = 0.04f;
	struct e2e e;
	e2e_setup(&e);
	float gap[8] = {0};
	for (float lead = 0.0f; lead < 1.0f + ncars * 0.3f; lead += v * dt) {
		float top[8], bot[8];
		float y = lead; /* the lead car's front (bottom edge: they drive down) */
		for (int i = 0; i < ncars; i++) {
			if (i > 0) {
				if (bot[i - 1] - ch > open_at[i - 1] || gap[i] > 0.0f)
					gap[i] += 0.3f * v * dt;
				y = top[i - 1] - gap[i];
			}
			bot[i] = y;
			top[i] = y - ch;
		}
		struct blob b[8];
		int n = 0;
		for (int i = 0; i < ncars;) {
			int j = i;
			while (j + 1 < ncars && gap[j + 1] < 0.01f)
				j++;
			float y0 = fmaxf(top[j], 0.0f), y1 = fminf(bot[i], 1.0f);
			if (y1 - y0 > 0.02f)
				b[n++] = box(0.5f, (y0 + y1) / 2, cw, y1 - y0, FILL);
			i = j + 1;
		}
		e2e_frame(&e, b, n, dt);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, dt);
	assert_int_equal(e.out, 0);
	int in = e.in;
	e2e_teardown(&e);
	return in;
}

/* Where a platoon parts (before the line, with its blob's centre on the
 * line, after it) must not change its count; and the part that crossed
 * inside the blob, counted by the blob's crossing, is not counted again
 * when it pulls away. */
static void platoon_parting_after_the_line_counts_every_car(void **state)
{
	(void)state;
	assert_int_equal(drive_platoon(3, (const float[]){0.62f, 0.75f}), 3);
}

static void platoon_parting_on_the_line_counts_every_car(void **state)
{
	(void)state;
	assert_int_equal(drive_platoon(3, (const float[]){0.35f, 0.55f}), 3);
}

static void platoon_parting_before_the_line_counts_every_car(void **state)
{
	(void)state;
	assert_int_equal(drive_platoon(3, (const float[]){0.15f, 0.2f}), 3);
}

/* A cab and its trailer, one behind the other with road between them, are
 * one vehicle: pieces unlike in size do not make objects. */
static void cab_and_trailer_parting_is_one_vehicle(void **state)
{
	(void)state;
	const float cw = 0.1f, v = 0.5f, dt = 0.04f, cab = 0.1f, trailer = 0.36f;
	struct e2e e;
	e2e_setup(&e);
	for (float front = 0.0f; front < 1.5f; front += v * dt) {
		/* the road between them shows once they are past the line */
		float gap = front > 0.8f ? 0.03f : 0.0f;
		struct blob b[2];
		int n = 0;
		float c0 = fmaxf(front - cab, 0.0f), c1 = fminf(front, 1.0f);
		float t1 = front - cab - gap, t0 = fmaxf(t1 - trailer, 0.0f);
		t1 = fminf(t1, 1.0f);
		if (gap > 0.0f) {
			if (c1 - c0 > 0.02f)
				b[n++] = box(0.5f, (c0 + c1) / 2, cw, c1 - c0, FILL);
			if (t1 - t0 > 0.02f)
				b[n++] = box(0.5f, (t0 + t1) / 2, cw, t1 - t0, FILL);
		} else if (c1 - t0 > 0.02f) {
			b[n++] = box(0.5f, (t0 + c1) / 2, cw, c1 - t0, FILL);
		}
		e2e_frame(&e, b, n, dt);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, dt);
	assert_int_equal(e.out, 0);
	assert_int_equal(e.in, 1);
	e2e_teardown(&e);
}

/* A motorbike far up the road shows as a blob under the smallest object
 * size (marked small) until it is nearly at the line; it still counts,
 * from the side its small blobs were on. A scrap that jumps across the
 * line while small, and is only then whole, does not. */
static void far_object_seen_small_first_counts_from_where_it_came(void **state)
{
	(void)state;
	struct e2e e;
	e2e_setup(&e);
	for (float y = 0.1f; y < 0.9f; y += 0.015f) {
		float s = 0.02f + 0.05f * y;   /* grows as it comes closer */
		struct blob b = box(0.3f, y, s, s, FILL);
		b.small = y < 0.49f;           /* whole only from the band on */
		e2e_frame(&e, &b, 1, 0.04);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.04);
	assert_int_equal(e.in, 1);
	assert_int_equal(e.out, 0);
	e2e_teardown(&e);

	e2e_setup(&e);
	const float ys[] = {0.40f, 0.46f, 0.60f, 0.62f, 0.64f, 0.66f, 0.68f, 0.70f};
	for (int k = 0; k < 8; k++) {
		struct blob b = box(0.6f, ys[k], 0.05f, 0.05f, FILL);
		b.small = k < 3;
		e2e_frame(&e, &b, 1, 0.04);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.04);
	assert_int_equal(e.in + e.out, 0);
	e2e_teardown(&e);
}

/* A far motorbike first seen as a speck just before the line, at a low
 * frame rate, is over it before it has gone far enough to be confirmed: it
 * keeps the side it came from, and counts once it is confirmed, still a
 * speck. Gone before it is confirmed, it is nothing; whole before it is
 * confirmed, it starts over (the scrap in the test above). */
static void speck_over_the_line_before_it_is_confirmed_counts_once_confirmed(void **state)
{
	(void)state;
	struct e2e e;
	e2e_setup(&e);
	for (float y = 0.44f; y < 0.9f; y += 0.03f) {
		struct blob b = box(0.3f, y, 0.03f, 0.15f, FILL);
		b.small = true;
		e2e_frame(&e, &b, 1, 0.1);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.1);
	assert_int_equal(e.in, 1);
	assert_int_equal(e.out, 0);
	e2e_teardown(&e);

	/* The same speck gone before it is confirmed is nothing. */
	e2e_setup(&e);
	for (float y = 0.44f; y < 0.58f; y += 0.03f) {
		struct blob b = box(0.3f, y, 0.03f, 0.15f, FILL);
		b.small = true;
		e2e_frame(&e, &b, 1, 0.1);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.1);
	assert_int_equal(e.in + e.out, 0);
	e2e_teardown(&e);
}

/* A motorbike far up a road can stay under the smallest object size all
 * the way across the line: seen steadily for long enough, moving, it is
 * an object and counts once. */
static void small_all_the_way_but_steady_counts_once(void **state)
{
	(void)state;
	struct e2e e;
	e2e_setup(&e);
	for (float y = 0.2f; y < 0.8f; y += 0.012f) {
		struct blob b = box(0.3f, y, 0.03f, 0.06f, FILL);
		b.small = true;
		e2e_frame(&e, &b, 1, 0.04);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.04);
	assert_int_equal(e.in, 1);
	assert_int_equal(e.out, 0);
	e2e_teardown(&e);
}

/* A speck that goes along beside someone, off their path (feet, a shadow,
 * a scrap of a body on a floor of its own shade), is a part of them and
 * does not count however steadily it goes; a motorbike just ahead of a car
 * on its path, as near, is in file with it and counts. */
static void speck_beside_an_object_is_part_of_it_one_ahead_is_not(void **state)
{
	(void)state;
	for (int ahead = 0; ahead < 2; ahead++) {
		struct e2e e;
		e2e_setup(&e);
		for (float y = 0.1f; y < 0.9f; y += 0.01f) {
			struct blob b[2] = {box(0.5f, y, PW, PH, FILL),
					    ahead ? box(0.5f, y + 1.2f * PH, 0.03f, 0.04f, FILL)
						  : box(0.5f + 1.2f * PW, y, 0.03f, 0.04f, FILL)};
			b[1].small = true;
			e2e_frame(&e, b, 2, 0.04);
		}
		for (int f = 0; f < 25; f++)
			e2e_frame(&e, NULL, 0, 0.04);
		assert_int_equal(e.in, ahead ? 2 : 1);
		assert_int_equal(e.out, 0);
		e2e_teardown(&e);
	}
}

/* A pair that walks in as one blob and never separates is one track; once
 * the size of one person is known, it counts two. */
static void pair_never_seen_apart_counts_two_once_size_is_known(void **state)
{
	(void)state;
	struct e2e e;
	e2e_setup(&e);
	for (int p = 0; p < 6; p++) {
		for (float y = 0.05f; y <= 0.95f; y += 0.01f) {
			struct blob b = box(0.5f, y, PW, PH, FILL);
			e2e_frame(&e, &b, 1, 0.04);
		}
		for (int f = 0; f < 25; f++)
			e2e_frame(&e, NULL, 0, 0.04);
	}
	assert_int_equal(e.in, 6);
	for (float y = 0.05f; y <= 0.95f; y += 0.01f) {
		struct blob b = box(0.5f, y, 2 * PW + 0.01f, PH, FILL);
		e2e_frame(&e, &b, 1, 0.04);
	}
	for (int f = 0; f < 25; f++)
		e2e_frame(&e, NULL, 0, 0.04);
	assert_int_equal(e.in, 8);
	assert_int_equal(e.out, 0);
	/* The six alone say one object each; the pair's two crossings say two. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(e.objects[i], 1);
	assert_int_equal(e.objects[6], 2);
	assert_int_equal(e.objects[7], 2);
	e2e_teardown(&e);
}

/* A fast vehicle at 10 fps is seen in two frames, once on each side, and
 * never again: tentative all its life, it counts once when it ends.
 * EXPOSES THE SAME BUG as tentative_track_that_went_across_counts_once_at_its_end
 * (fails at 29e483d: 0 counts). */
static void fast_object_seen_once_each_side_counts_once(void **state)
{
	(void)state;
	struct e2e e;
	e2e_setup(&e);
	struct blob b = box(0.5f, 0.40f, 0.15f, 0.2f, FILL);
	e2e_frame(&e, &b, 1, 0.1);
	b = box(0.5f, 0.60f, 0.15f, 0.2f, FILL);
	e2e_frame(&e, &b, 1, 0.1);
	for (int f = 0; f < 10; f++)
		e2e_frame(&e, NULL, 0, 0.1);
	assert_int_equal(e.in, 1);
	assert_int_equal(e.out, 0);
	e2e_teardown(&e);
}

/* Why the counts are what they are: a track that walks into the band and
 * back out the side it came from is "turned back", one that crosses is
 * not, and a tentative one is not a track seen. */
static void stats_count_tracks_seen_and_turned_back(void **state)
{
	(void)state;
	struct script s;
	struct counter_stats cs;
	setup_line(&s, LINE_DEFAULT);
	/* Up to the line (inside the band) and back: turned back. */
	walk(&s, 1, 0.5f, 0.2f, 0.5f, 0.5f, 15);
	walk(&s, 1, 0.5f, 0.5f, 0.5f, 0.2f, 15);
	end(&s, 40);
	/* Across: counted, not turned back. */
	walk(&s, 2, 0.5f, 0.2f, 0.5f, 0.8f, 30);
	end(&s, 80);
	/* Near the line but never in its band: not turned back. */
	walk(&s, 3, 0.5f, 0.2f, 0.5f, 0.4f, 10);
	walk(&s, 3, 0.5f, 0.4f, 0.5f, 0.2f, 10);
	end(&s, 100);
	/* Tentative only: not seen. */
	for (int f = 0; f < 5; f++)
		step(&s, f, 4, 0.5f, 0.2f + 0.05f * (float)f, false, true);
	end(&s, 120);
	counter_get_stats(s.c, &cs);
	assert_int_equal(s.in, 1);
	assert_int_equal(cs.tracks_seen, 3);
	assert_int_equal(cs.turned_back, 1);
	assert_true(cs.object_area == 0.0f); /* nothing learnt from point-sized tracks */
	counter_destroy(s.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(moving_down_across_default_line_is_one_in),
		cmocka_unit_test(platoon_parting_after_the_line_counts_every_car),
		cmocka_unit_test(platoon_parting_on_the_line_counts_every_car),
		cmocka_unit_test(platoon_parting_before_the_line_counts_every_car),
		cmocka_unit_test(cab_and_trailer_parting_is_one_vehicle),
		cmocka_unit_test(car_behind_parting_on_the_line_counts),
		cmocka_unit_test(piece_unlike_the_rest_parting_on_the_line_does_not_count),
		cmocka_unit_test(piece_of_a_blob_that_took_in_a_counted_mate_does_not_count),
		cmocka_unit_test(scrap_left_as_someone_leaves_does_not_count),
		cmocka_unit_test(front_car_parting_across_the_line_counts_once),
		cmocka_unit_test(front_car_whose_crossing_was_counted_is_not_counted_again),
		cmocka_unit_test(piece_that_counted_its_own_crossing_is_not_counted_again_when_clear),
		cmocka_unit_test(front_car_parting_as_it_leaves_the_picture_counts),
		cmocka_unit_test(narrow_piece_parting_as_it_leaves_the_picture_does_not_count),
		cmocka_unit_test(moving_up_is_out),
		cmocka_unit_test(direction_follows_the_side_not_the_axis),
		cmocka_unit_test(jitter_inside_the_band_never_counts),
		cmocka_unit_test(stop_on_the_line_then_go_back_is_not_counted),
		cmocka_unit_test(crossing_beyond_the_segment_ends_is_not_counted),
		cmocka_unit_test(cross_and_come_back_counts_both_ways),
		cmocka_unit_test(unconfirmed_crossing_counts_once_confirmed),
		cmocka_unit_test(coasting_positions_never_count),
		cmocka_unit_test(a_new_track_in_a_reused_slot_starts_fresh),
		cmocka_unit_test(stopped_on_the_line_with_breaking_tracks_counts_once),
		cmocka_unit_test(tentative_track_that_went_across_counts_once_at_its_end),
		cmocka_unit_test(a_single_sighting_never_counts_at_its_end),
		cmocka_unit_test(a_track_that_ends_on_its_start_side_or_in_the_band_does_not_count),
		cmocka_unit_test(end_rule_keeps_to_the_segment),
		cmocka_unit_test(edge_sliver_does_not_set_the_side_an_object_starts_on),
		cmocka_unit_test(edge_sliver_clear_of_the_band_sets_the_side),
		cmocka_unit_test(edge_sliver_across_the_line_tells_its_side_once_confirmed),
		cmocka_unit_test(grouped_drift_back_is_no_crossing),
		cmocka_unit_test(reset_tracks_forgets_every_track),
		cmocka_unit_test(bottom_anchor_counts_where_the_feet_cross),
		cmocka_unit_test(two_side_by_side_in_one_blob_count_as_two),
		cmocka_unit_test(group_members_count_for_themselves),
		cmocka_unit_test(one_large_object_is_still_one),
		cmocka_unit_test(long_vehicle_wider_and_longer_is_one),
		cmocka_unit_test(long_vehicle_on_a_vertical_line),
		cmocka_unit_test(configured_object_area_counts_from_the_first_crossing),
		cmocka_unit_test(fragments_first_are_outvoted_by_whole_people),
		cmocka_unit_test(fragments_first_then_whole_people_count_exactly_22),
		cmocka_unit_test(three_fragments_first_are_outvoted_too),
		cmocka_unit_test(size_is_learnt_only_from_isolated_tracks_that_crossed),
		cmocka_unit_test(size_is_measured_near_the_line),
		cmocka_unit_test(learnt_size_survives_a_restart),
		cmocka_unit_test(pair_merging_and_splitting_before_the_line_counts_two),
		cmocka_unit_test(pair_merged_across_the_line_counts_two),
		cmocka_unit_test(pair_merging_on_the_line_and_splitting_after_counts_two),
		cmocka_unit_test(pair_merging_and_splitting_after_the_line_counts_two),
		cmocka_unit_test(pair_never_seen_apart_counts_two_once_size_is_known),
		cmocka_unit_test(platoon_split_after_its_centre_crossed_counts_each_car_once),
		cmocka_unit_test(far_object_seen_small_first_counts_from_where_it_came),
		cmocka_unit_test(small_all_the_way_but_steady_counts_once),
		cmocka_unit_test(speck_over_the_line_before_it_is_confirmed_counts_once_confirmed),
		cmocka_unit_test(speck_beside_an_object_is_part_of_it_one_ahead_is_not),
		cmocka_unit_test(fast_object_seen_once_each_side_counts_once),
		cmocka_unit_test(stats_count_tracks_seen_and_turned_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
