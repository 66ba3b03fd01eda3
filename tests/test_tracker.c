/* Tracker identities on scripted blobs: no video needed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tracker.h"

static struct blob blob_at(float x, float y, float r)
{
	return (struct blob){.cx = x, .cy = y, .x0 = x - r, .y0 = y - r, .x1 = x + r, .y1 = y + r,
			     .area = 4 * r * r};
}

static const struct track *find_near(const struct track *t, float x, float y)
{
	const struct track *best = NULL;
	float bd = 1e9f;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		if (!t[i].id)
			continue;
		float d = hypotf(t[i].x - x, t[i].y - y);
		if (d < bd) {
			bd = d;
			best = &t[i];
		}
	}
	return best;
}

static int live_tracks(const struct track *t)
{
	int n = 0;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		n += t[i].id != 0;
	return n;
}

static struct tracker *make(void)
{
	struct tracker_params p = TRACKER_PARAMS_DEFAULT;
	struct tracker *t;
	assert_int_equal(tracker_create(&p, &t), 0);
	return t;
}

static void one_object_keeps_one_id_and_is_confirmed(void **state)
{
	(void)state;
	struct tracker *t = make();
	uint32_t id = 0;
	for (int f = 0; f < 30; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.025f * f, 0.04f);
		const struct track *tr = tracker_update(t, &b, 1);
		assert_int_equal(live_tracks(tr), 1);
		const struct track *k = find_near(tr, b.cx, b.cy);
		if (!id)
			id = k->id;
		assert_int_equal(k->id, id);
		assert_int_equal(k->confirmed, f >= 2);
	}
	tracker_destroy(t);
}

static void fast_mover_is_followed(void **state)
{
	(void)state;
	/* Across the frame in 4 frames: jumps of a quarter of the frame. */
	struct tracker *t = make();
	uint32_t id = 0;
	for (int f = 0; f < 4; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.25f * f, 0.07f);
		const struct track *k = find_near(tracker_update(t, &b, 1), b.cx, b.cy);
		if (!id)
			id = k->id;
		assert_int_equal(k->id, id);
	}
	tracker_destroy(t);
}

static void short_occlusion_keeps_the_id(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.03f * f, 0.04f);
		tr = tracker_update(t, &b, 1);
	}
	uint32_t id = find_near(tr, 0.5f, 0.37f)->id;
	/* Hidden for 5 frames, then seen where constant velocity puts it. */
	for (int f = 10; f < 15; f++) {
		tr = tracker_update(t, NULL, 0);
		assert_int_equal(live_tracks(tr), 1);
		assert_false(find_near(tr, 0.5f, 0.5f)->updated);
	}
	struct blob b = blob_at(0.5f, 0.1f + 0.03f * 15, 0.04f);
	tr = tracker_update(t, &b, 1);
	assert_int_equal(find_near(tr, b.cx, b.cy)->id, id);
	assert_true(find_near(tr, b.cx, b.cy)->updated);
	tracker_destroy(t);
}

static void track_ends_after_too_many_misses(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.5f, 0.5f, 0.04f);
		tr = tracker_update(t, &b, 1);
	}
	struct tracker_params p = TRACKER_PARAMS_DEFAULT;
	for (int f = 0; f < p.max_missed; f++)
		tr = tracker_update(t, NULL, 0);
	assert_int_equal(live_tracks(tr), 1);
	tr = tracker_update(t, NULL, 0);
	assert_int_equal(live_tracks(tr), 0);
	tracker_destroy(t);
}

static void single_frame_noise_never_confirms(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr;
	for (int f = 0; f < 20; f++) {
		/* A speck in a different place every frame. */
		struct blob b = blob_at((float)((f * 37) % 10) / 10.0f + 0.05f,
					(float)((f * 53) % 10) / 10.0f + 0.05f, 0.01f);
		tr = tracker_update(t, &b, 1);
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
			assert_false(tr[i].id && tr[i].confirmed);
	}
	tracker_destroy(t);
}

static void two_objects_passing_each_other_keep_their_ids(void **state)
{
	(void)state;
	/* A walks down, B walks up, on paths 0.1 apart: they pass at frame 20. */
	struct tracker *t = make();
	uint32_t ida = 0, idb = 0;
	for (int f = 0; f <= 40; f++) {
		float ya = 0.1f + 0.02f * f, yb = 0.9f - 0.02f * f;
		struct blob b[2] = {blob_at(0.45f, ya, 0.03f), blob_at(0.55f, yb, 0.03f)};
		const struct track *tr = tracker_update(t, b, 2);
		const struct track *a = find_near(tr, 0.45f, ya), *c = find_near(tr, 0.55f, yb);
		if (f == 0) {
			ida = a->id;
			idb = c->id;
			assert_int_not_equal(ida, idb);
		}
		assert_int_equal(a->id, ida);
		assert_int_equal(c->id, idb);
	}
	tracker_destroy(t);
}

static void slots_hold_their_track_for_its_life(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	int slot = -1;
	for (int f = 0; f < 20; f++) {
		struct blob b[2] = {blob_at(0.2f, 0.1f + 0.02f * f, 0.03f),
				    blob_at(0.8f, 0.1f + 0.02f * f, 0.03f)};
		/* The second object appears late and must not move the first. */
		tr = tracker_update(t, b, f < 5 ? 1 : 2);
		const struct track *a = find_near(tr, 0.2f, 0.1f + 0.02f * f);
		if (slot < 0)
			slot = (int)(a - tr);
		assert_int_equal((int)(a - tr), slot);
	}
	tracker_destroy(t);
}

static void body_fragments_join_their_track_instead_of_new_tracks(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	/* A tall person walking right... */
	for (int f = 0; f < 10; f++) {
		struct blob b = {.cx = 0.3f + 0.02f * f, .cy = 0.5f, .x0 = 0.25f + 0.02f * f, .x1 = 0.35f + 0.02f * f,
				 .y0 = 0.1f, .y1 = 0.9f, .area = 0.06f};
		tr = tracker_update(t, &b, 1);
	}
	/* ...splits into legs and torso for a few frames. */
	for (int f = 10; f < 14; f++) {
		float x = 0.3f + 0.02f * f;
		struct blob parts[2] = {
			{.cx = x, .cy = 0.7f, .x0 = x - 0.05f, .x1 = x + 0.05f, .y0 = 0.5f, .y1 = 0.9f, .area = 0.03f},
			{.cx = x, .cy = 0.3f, .x0 = x - 0.04f, .x1 = x + 0.04f, .y0 = 0.1f, .y1 = 0.45f, .area = 0.012f},
		};
		tr = tracker_update(t, parts, 2);
		assert_int_equal(live_tracks(tr), 1);
	}
	/* The observation is the whole body: its centroid lies between the parts. */
	const struct track *k = find_near(tr, 0.56f, 0.5f);
	assert_true(k->y > 0.5f && k->y < 0.7f);
	tracker_destroy(t);
}

static void a_speck_cannot_jump_onto_a_large_blob(void **state)
{
	(void)state;
	struct tracker *t = make();
	/* A speck appears... */
	struct blob speck = blob_at(0.60f, 0.45f, 0.01f);
	const struct track *tr = tracker_update(t, &speck, 1);
	uint32_t speck_id = find_near(tr, 0.60f, 0.45f)->id;
	/* ...and next frame a body-sized blob shows up nearby: a new object, not the speck. */
	struct blob big = blob_at(0.75f, 0.45f, 0.08f);
	tr = tracker_update(t, &big, 1);
	const struct track *k = find_near(tr, 0.75f, 0.45f);
	assert_int_not_equal(k->id, speck_id);
	assert_int_equal(k->hits, 1);
	tracker_destroy(t);
}

static void lost_track_does_not_grab_a_far_blob(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.2f, 0.1f + 0.05f * f, 0.03f);
		tr = tracker_update(t, &b, 1);
	}
	uint32_t id = find_near(tr, 0.2f, 0.55f)->id;
	/* Lost for six frames, then a blob appears half a frame away. */
	for (int f = 0; f < 6; f++)
		tr = tracker_update(t, NULL, 0);
	struct blob far = blob_at(0.7f, 0.5f, 0.03f);
	tr = tracker_update(t, &far, 1);
	assert_int_not_equal(find_near(tr, 0.7f, 0.5f)->id, id);
	tracker_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_object_keeps_one_id_and_is_confirmed),
		cmocka_unit_test(fast_mover_is_followed),
		cmocka_unit_test(short_occlusion_keeps_the_id),
		cmocka_unit_test(track_ends_after_too_many_misses),
		cmocka_unit_test(single_frame_noise_never_confirms),
		cmocka_unit_test(two_objects_passing_each_other_keep_their_ids),
		cmocka_unit_test(slots_hold_their_track_for_its_life),
		cmocka_unit_test(body_fragments_join_their_track_instead_of_new_tracks),
		cmocka_unit_test(a_speck_cannot_jump_onto_a_large_blob),
		cmocka_unit_test(lost_track_does_not_grab_a_far_blob),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
