/* Tracker identities on scripted blobs with timestamps: no video needed. */
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

static struct blob box(float cx, float cy, float w, float h, float area)
{
	return (struct blob){.cx = cx, .cy = cy, .x0 = cx - w / 2, .y0 = cy - h / 2, .x1 = cx + w / 2,
			     .y1 = cy + h / 2, .area = area};
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

static const struct track *find_id(const struct track *t, uint32_t id)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
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
		const struct track *tr = tracker_update(t, &b, 1, f * 0.04);
		assert_int_equal(live_tracks(tr), 1);
		const struct track *k = find_near(tr, b.cx, b.cy);
		if (!id)
			id = k->id;
		assert_int_equal(k->id, id);
		assert_int_equal(k->confirmed, f >= 2);
		assert_true(k->updated);
	}
	tracker_destroy(t);
}

static void velocity_is_per_second(void **state)
{
	(void)state;
	/* 0.3 of the frame per second, at 25 fps. */
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 50; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.3f * f / 25.0f, 0.04f);
		tr = tracker_update(t, &b, 1, f / 25.0);
	}
	const struct track *k = find_near(tr, 0.5f, 0.7f);
	assert_float_equal(k->vy, 0.3f, 0.03f);
	assert_float_equal(k->vx, 0.0f, 0.03f);
	assert_float_equal(k->y, 0.1f + 0.3f * 49 / 25.0f, 0.01f);
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
		const struct track *k = find_near(tracker_update(t, &b, 1, f * 0.04), b.cx, b.cy);
		if (!id)
			id = k->id;
		assert_int_equal(k->id, id);
	}
	tracker_destroy(t);
}

/* Two side by side, then both jump right by most of their spacing in one
 * frame (a jolt of the camera, a late frame). Nearest-first gives B the
 * blob A moved to and leaves A without one; the global optimum keeps both. */
static void global_assignment_keeps_ids_where_nearest_first_would_swap(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b[2] = {blob_at(0.40f, 0.5f, 0.04f), blob_at(0.50f, 0.5f, 0.04f)};
		tr = tracker_update(t, b, 2, f * 0.04);
	}
	uint32_t a = find_near(tr, 0.40f, 0.5f)->id, c = find_near(tr, 0.50f, 0.5f)->id;
	struct blob b[2] = {blob_at(0.46f, 0.5f, 0.04f), blob_at(0.56f, 0.5f, 0.04f)};
	tr = tracker_update(t, b, 2, 0.40);
	assert_int_equal(live_tracks(tr), 2);
	assert_float_equal(find_id(tr, a)->x, 0.46f, 0.03f);
	assert_float_equal(find_id(tr, c)->x, 0.56f, 0.03f);
	assert_true(find_id(tr, a)->updated && find_id(tr, c)->updated);
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
		const struct track *tr = tracker_update(t, b, 2, f * 0.04);
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

/* Two people meet head on, a small one going up and a big one going down
 * a little to its side, each tracked on its own for a second and more,
 * and pass in one blob for 0.8 s (the blob's centre goes mostly with the
 * big one): each goes on its own way through it and keeps its id after,
 * not carried back the way the other goes. */
static void two_passing_in_one_blob_keep_their_own_ways(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t ida = 0, idb = 0;
	const float wa = 0.05f, ha = 0.06f, aa = 0.002f, wb = 0.08f, hb = 0.08f, ab = 0.0045f;
	float ya = 0, yb = 0;
	for (int f = 0; f < 50; f++) {
		double now = 0.1 * f;
		ya = 0.75f - 0.1f * (float)now;
		yb = 0.25f + 0.1f * (float)now;
		struct blob bl[2];
		int n = 0;
		if (fabsf(ya - yb) >= (ha + hb) / 2 + 0.01f) {
			bl[n++] = box(0.48f, ya, wa, ha, aa);
			bl[n++] = box(0.52f, yb, wb, hb, ab);
		} else {
			struct blob a = box(0.48f, ya, wa, ha, aa), b = box(0.52f, yb, wb, hb, ab);
			struct blob u = {.x0 = fminf(a.x0, b.x0), .y0 = fminf(a.y0, b.y0),
					 .x1 = fmaxf(a.x1, b.x1), .y1 = fmaxf(a.y1, b.y1), .area = aa + ab};
			u.cx = (a.cx * aa + b.cx * ab) / u.area;
			u.cy = (a.cy * aa + b.cy * ab) / u.area;
			bl[n++] = u;
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 3) {
			ida = find_near(tr, 0.48f, ya)->id;
			idb = find_near(tr, 0.52f, yb)->id;
		}
	}
	assert_int_equal(find_near(tr, 0.48f, ya)->id, ida);
	assert_int_equal(find_near(tr, 0.52f, yb)->id, idb);
	assert_true(find_id(tr, ida)->vy < 0.0f && find_id(tr, idb)->vy > 0.0f);
	tracker_destroy(t);
}

/* A fast object (2 frame widths a second, 0.08 a frame at 25 fps) whose
 * next frame is lost: it has moved twice as far when seen again. The time
 * step from the timestamps puts the prediction there. */
static void identity_kept_through_dropped_frames(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	const float v = 2.0f;
	double now = 0;
	int f = 0;
	for (; f < 6; f++, now += 0.04)
		{
			struct blob b = blob_at(0.05f + v * (float)now, 0.5f, 0.015f);
			tr = tracker_update(t, &b, 1, now);
		}
	uint32_t id = find_near(tr, 0.05f + v * 0.2f, 0.5f)->id;
	/* Two frames dropped: 0.12 s since the last one. */
	now += 0.08;
	for (int k = 0; k < 3; k++, now += 0.04) {
		float x = 0.05f + v * (float)now;
		struct blob b = blob_at(x, 0.5f, 0.015f);
		tr = tracker_update(t, &b, 1, now);
		assert_int_equal(live_tracks(tr), 1);
		assert_int_equal(find_near(tr, x, 0.5f)->id, id);
		assert_float_equal(find_near(tr, x, 0.5f)->x, x, 0.02f);
	}
	tracker_destroy(t);
}

/* The same motion in seconds at 10 and at 30 fps (nominal 25): the same
 * identity, the same velocity, the same coasting time. */
struct run_result {
	int ids;
	float vx;
	double ended_after; /* seconds from the last sighting to the end */
};

static struct run_result same_motion_at(double fps)
{
	struct tracker *t = make();
	struct run_result r = {0};
	uint32_t last = 0;
	const struct track *tr = NULL;
	double now = 0;
	/* Stops at x = 0.6: coasting 0.5 s more keeps it in the picture. */
	for (; now < 1.0; now += 1.0 / fps) {
		float x = 0.1f + 0.5f * (float)now;
		struct blob b = blob_at(x, 0.5f, 0.04f);
		tr = tracker_update(t, &b, 1, now);
		const struct track *k = find_near(tr, x, 0.5f);
		if (k->id != last)
			r.ids++;
		last = k->id;
	}
	r.vx = find_id(tr, last)->vx;
	double seen = now - 1.0 / fps;
	for (; now < seen + 2.0; now += 1.0 / fps) {
		tr = tracker_update(t, NULL, 0, now);
		if (!live_tracks(tr)) {
			r.ended_after = now - seen;
			break;
		}
	}
	tracker_destroy(t);
	return r;
}

static void same_behaviour_at_10_and_30_fps(void **state)
{
	(void)state;
	struct run_result a = same_motion_at(10), b = same_motion_at(30);
	assert_int_equal(a.ids, 1);
	assert_int_equal(b.ids, 1);
	assert_float_equal(a.vx, 0.5f, 0.05f);
	assert_float_equal(b.vx, 0.5f, 0.05f);
	/* max_coast 0.5 s: ends on the first frame more than 0.5 s after. */
	assert_true(a.ended_after > 0.5 && a.ended_after <= 0.5 + 0.1 + 1e-6);
	assert_true(b.ended_after > 0.5 && b.ended_after <= 0.5 + 1.0 / 30 + 1e-6);
}

static void confirmed_track_coasts_max_coast_seconds_then_ends(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.03f * f, 0.04f);
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	uint32_t id = find_near(tr, 0.5f, 0.37f)->id;
	/* Hidden: still there, coasting (not updated), for up to 0.5 s. */
	double last = 9 * 0.04;
	tr = tracker_update(t, NULL, 0, last + 0.25);
	assert_non_null(find_id(tr, id));
	assert_false(find_id(tr, id)->updated);
	assert_int_equal(find_id(tr, id)->missed, 1);
	/* Predicted onward at its speed. */
	assert_float_equal(find_id(tr, id)->y, 0.37f + 0.75f * 0.25f, 0.03f);
	tr = tracker_update(t, NULL, 0, last + 0.49);
	assert_non_null(find_id(tr, id));
	tr = tracker_update(t, NULL, 0, last + 0.51);
	assert_null(find_id(tr, id));
	assert_int_equal(live_tracks(tr), 0);
	tracker_destroy(t);
}

static void short_occlusion_keeps_the_id(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.5f, 0.1f + 0.03f * f, 0.04f);
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	uint32_t id = find_near(tr, 0.5f, 0.37f)->id;
	/* Hidden for 5 frames (0.2 s), then seen where constant velocity puts it. */
	for (int f = 10; f < 15; f++) {
		tr = tracker_update(t, NULL, 0, f * 0.04);
		assert_int_equal(live_tracks(tr), 1);
		assert_false(find_near(tr, 0.5f, 0.5f)->updated);
	}
	struct blob b = blob_at(0.5f, 0.1f + 0.03f * 15, 0.04f);
	tr = tracker_update(t, &b, 1, 15 * 0.04);
	assert_int_equal(find_near(tr, b.cx, b.cy)->id, id);
	assert_true(find_near(tr, b.cx, b.cy)->updated);
	tracker_destroy(t);
}

/* The box size is filtered (a Kalman step on a random walk): frame after
 * frame at 25 fps a new size is taken 0.3 of the way, but after a gap,
 * when the old size is less sure, a new one counts for more. */
static float size_after_step(int hidden_frames)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	int f = 0;
	for (; f < 25; f++) {
		struct blob b = box(0.5f, 0.1f + 0.01f * f, 0.1f, 0.1f, 0.008f);
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	for (int k = 0; k < hidden_frames; k++, f++)
		tr = tracker_update(t, NULL, 0, f * 0.04);
	struct blob b = box(0.5f, 0.1f + 0.01f * f, 0.14f, 0.1f, 0.011f);
	tr = tracker_update(t, &b, 1, f * 0.04);
	const struct track *k = find_near(tr, b.cx, b.cy);
	assert_non_null(k);
	assert_true(k->updated);
	float w = k->w;
	tracker_destroy(t);
	return w;
}

static void box_size_is_filtered_and_trusts_a_measurement_more_after_a_gap(void **state)
{
	(void)state;
	float seen = size_after_step(0), after_gap = size_after_step(8);
	print_message("width after a step 0.10 -> 0.14: %.4f seen every frame, %.4f after 0.32 s "
		      "unseen\n", seen, after_gap);
	assert_float_equal(seen, 0.1f + 0.3f * 0.04f, 0.004f);
	assert_true(after_gap > 0.1f + 0.55f * 0.04f);
}

/* A blob under the smallest object size (marked small) starts a track of
 * its own only away from every object: a far car coming closer, not a
 * hand or a head next to a person. Such a track is never confirmed while
 * it is small, and no object's track takes a small blob. */
static void small_blobs_start_tracks_only_away_from_objects(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b[3] = {box(0.3f, 0.5f, 0.1f, 0.2f, 0.014f),
				    box(0.37f, 0.42f, 0.03f, 0.03f, 0.0007f),  /* beside it */
				    box(0.8f, 0.2f, 0.03f, 0.03f, 0.0007f)};   /* far away */
		b[1].small = b[2].small = true;
		tr = tracker_update(t, b, 3, f * 0.04);
	}
	assert_int_equal(live_tracks(tr), 2);
	const struct track *far = find_near(tr, 0.8f, 0.2f);
	assert_non_null(far);
	assert_true(far->small);
	assert_false(far->confirmed);
	assert_int_equal(far->hits, 10);
	const struct track *person = find_near(tr, 0.3f, 0.5f);
	assert_true(person->confirmed && !person->small);
	/* The far one grows: now an object, confirmed at once (it has its hits). */
	struct blob b = box(0.8f, 0.21f, 0.05f, 0.05f, 0.002f);
	tr = tracker_update(t, &b, 1, 10 * 0.04);
	far = find_near(tr, 0.8f, 0.21f);
	assert_true(far->confirmed && !far->small);
	/* And a track that was an object never takes a speck much smaller
	 * than itself... */
	b = box(0.8f, 0.22f, 0.02f, 0.02f, 0.00055f);
	b.small = true;
	tr = tracker_update(t, &b, 1, 11 * 0.04);
	far = find_near(tr, 0.8f, 0.22f);
	assert_false(far->updated);
	tracker_destroy(t);
}

/* ...nor one away from where it is predicted, but a faint object seen in
 * part (a small blob of a third of its area or more, where it should be)
 * is still that object: low contrast, dark on dark. */
static void object_track_takes_a_small_blob_only_where_predicted(void **state)
{
	(void)state;
	for (int away = 0; away < 2; away++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		for (int f = 0; f < 10; f++) {
			struct blob b = box(0.5f, 0.2f + 0.02f * f, 0.05f, 0.06f, 0.0025f);
			tr = tracker_update(t, &b, 1, f * 0.1);
		}
		uint32_t id = find_near(tr, 0.5f, 0.38f)->id;
		struct blob part = box(0.5f + (away ? 0.06f : 0.0f), 0.4f, 0.04f, 0.05f, 0.0010f);
		part.small = true;
		tr = tracker_update(t, &part, 1, 1.0);
		const struct track *k = find_id(tr, id);
		assert_non_null(k);
		if (away) {
			assert_false(k->updated);
		} else {
			assert_true(k->updated);
			assert_false(k->small); /* still an object */
		}
		tracker_destroy(t);
	}
}

/* A track seen only in small blobs is confirmed once it has three times
 * the usual hits and has gone more than its own size: a far motorbike,
 * not a speck that stays put (above). */
static void small_track_that_moves_steadily_is_confirmed(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	const struct track *bike = NULL;
	for (int f = 0; f < 9; f++) {
		struct blob b = box(0.5f, 0.2f + 0.015f * f, 0.03f, 0.05f, 0.0007f);
		b.small = true;
		tr = tracker_update(t, &b, 1, f * 0.04);
		bike = find_near(tr, 0.5f, 0.2f + 0.015f * f);
		assert_non_null(bike);
		assert_true(bike->small);
		if (f < 8)
			assert_false(bike->confirmed);
	}
	assert_true(bike->confirmed);
	tracker_destroy(t);
}

/* At 8 fps the same motorbike is confirmed after four hits, once it has
 * been tracked for 0.35 s (at 12.5 fps after six): nine, or six, would
 * take it past the line first. Six hits in a fifth of a second (30 fps)
 * are not enough, nor three in a quarter (8 fps). */
static void small_track_confirms_in_time_at_a_low_frame_rate(void **state)
{
	(void)state;
	const double fps[3] = {30.0, 12.5, 25.0 / 3};
	const int frames[3] = {6, 6, 4};
	for (int k = 0; k < 3; k++) {
		struct tracker *t = make();
		const struct track *tr = NULL, *bike = NULL;
		for (int f = 0; f < frames[k]; f++) {
			struct blob b = box(0.5f, 0.2f + 0.03f * f, 0.03f, 0.05f, 0.0007f);
			b.small = true;
			tr = tracker_update(t, &b, 1, f / fps[k]);
			bike = find_near(tr, 0.5f, 0.2f + 0.03f * f);
			assert_non_null(bike);
			if (f < frames[k] - 1)
				assert_false(bike->confirmed);
		}
		assert_int_equal(bike->confirmed, k > 0);
		tracker_destroy(t);
	}
}

/* A far motorbike at the edge of detection flickers under the small
 * size: in the frames where it comes out faint (a quarter to a half of
 * the smallest object), its track, small all its life, takes it where it
 * is predicted and goes on to be confirmed. A faint blob starts no track,
 * and a track that was ever an object does not take one. */
static void small_track_is_kept_by_a_faint_blob_where_predicted(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL, *bike = NULL;
	uint32_t id = 0;
	for (int f = 0; f < 9; f++) {
		/* Faint every other frame, from the second on; a car far off. */
		struct blob b[2] = {box(0.5f, 0.2f + 0.015f * f, 0.03f, 0.05f, f % 2 ? 0.0004f : 0.0007f),
				    box(0.2f, 0.6f + 0.01f * f, 0.04f, 0.04f, 0.0012f)};
		b[0].small = true;
		b[0].faint = f % 2;
		tr = tracker_update(t, b, 2, f * 0.04);
		bike = find_near(tr, 0.5f, 0.2f + 0.015f * f);
		assert_non_null(bike);
		if (!id)
			id = bike->id;
		assert_int_equal(bike->id, id);
		assert_true(bike->updated && bike->small);
	}
	assert_true(bike->confirmed);
	/* The car, an object all along, does not take a faint blob where it
	 * is predicted (half its area: it would take a small one), and that
	 * blob, within twice the car's size of it, starts nothing either. */
	struct blob b = box(0.2f, 0.69f, 0.03f, 0.03f, 0.0006f);
	b.small = b.faint = true;
	tr = tracker_update(t, &b, 1, 9 * 0.04);
	const struct track *car = find_near(tr, 0.2f, 0.69f);
	assert_non_null(car);
	assert_false(car->updated);
	assert_int_equal(live_tracks(tr), 2); /* the car and the bike, coasting */
	tracker_destroy(t);
}

/* Far off, a motorbike's blob stays under half the object size all the way
 * to the line: a faint blob clear of every track starts a small track, which
 * is confirmed as small ones are (it goes further than its own size). One
 * beside a tracked object, within twice its size, is a scrap of it and
 * starts nothing. */
static void faint_blob_clear_of_every_track_starts_one(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL, *bike = NULL;
	for (int f = 0; f < 12; f++) {
		/* A person at (0.2, 0.4), 0.1 x 0.2, walking down; a scrap
		 * 0.15 to their side and a little below (over their width,
		 * within twice it); the bike far up at x 0.7. */
		struct blob b[3] = {box(0.2f, 0.4f + 0.005f * f, 0.1f, 0.2f, 0.012f),
				    box(0.35f, 0.45f + 0.005f * f, 0.02f, 0.02f, 0.0006f),
				    box(0.7f, 0.2f + 0.012f * f, 0.02f, 0.03f, 0.0006f)};
		b[1].small = b[1].faint = b[2].small = b[2].faint = true;
		tr = tracker_update(t, b, 3, f * 0.04);
		const struct track *scrap = find_near(tr, 0.35f, 0.45f + 0.005f * f);
		assert_true(hypotf(scrap->x - 0.35f, scrap->y - 0.45f - 0.005f * f) > 0.1f);
	}
	bike = find_near(tr, 0.7f, 0.2f + 0.012f * 11);
	assert_non_null(bike);
	assert_true(bike->small && bike->confirmed);
	assert_int_equal(bike->hits, 12);
	tracker_destroy(t);
}

/* Within twice a car's size but in file with it (a motorbike just ahead
 * in its lane, or just behind, clear of its box along the way), a faint
 * blob starts a track. As near but off the car's path (diagonally ahead,
 * over half as far across as along), or long enough to reach back to the
 * car's box, it is a scrap and starts nothing. A car going down with the
 * blob ahead, and one going right with it behind. */
static void faint_blob_in_file_with_a_vehicle_starts_one(void **state)
{
	(void)state;
	/* the faint blob's place from the car's centre, along the car's way
	 * and across it, and its length */
	const float at[3][3] = {{0.11f, 0.01f, 0.05f}, {0.11f, 0.07f, 0.05f}, {0.11f, 0.01f, 0.14f}};
	for (int right = 0; right < 2; right++) {
		for (int k = 0; k < 3; k++) {
			struct tracker *t = make();
			const struct track *tr = NULL;
			float along = right ? -at[k][0] : at[k][0]; /* behind, or ahead */
			float bx = 0, by = 0;
			for (int f = 0; f < 24; f++) {
				float c = 0.2f + 0.008f * f, x = right ? c : 0.4f, y = right ? 0.4f : c;
				bx = right ? x + along : x + at[k][1];
				by = right ? y + at[k][1] : y + along;
				struct blob b[2] = {
					right ? box(x, y, 0.1f, 0.05f, 0.004f) : box(x, y, 0.05f, 0.1f, 0.004f),
					right ? box(bx, by, at[k][2], 0.02f, 0.0006f)
					      : box(bx, by, 0.02f, at[k][2], 0.0006f)};
				b[1].small = b[1].faint = true;
				/* the car alone until it is confirmed and moving */
				tr = tracker_update(t, b, f < 8 ? 1 : 2, f * 0.04);
			}
			if (k == 0) {
				const struct track *bike = find_near(tr, bx, by);
				assert_true(bike->small && bike->confirmed);
				assert_int_equal(bike->hits, 16);
			} else {
				assert_int_equal(live_tracks(tr), 1);
			}
			tracker_destroy(t);
		}
	}
}

static void tentative_track_ends_at_its_first_miss(void **state)
{
	(void)state;
	struct tracker *t = make();
	struct blob b = blob_at(0.5f, 0.5f, 0.04f);
	const struct track *tr = tracker_update(t, &b, 1, 0.0);
	tr = tracker_update(t, &b, 1, 0.04);
	assert_int_equal(live_tracks(tr), 1);
	assert_false(find_near(tr, 0.5f, 0.5f)->confirmed);
	tr = tracker_update(t, NULL, 0, 0.08);
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
		tr = tracker_update(t, &b, 1, f * 0.04);
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
			assert_false(tr[i].id && tr[i].confirmed);
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
		tr = tracker_update(t, b, f < 5 ? 1 : 2, f * 0.04);
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
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	uint32_t id = find_near(tr, 0.48f, 0.5f)->id;
	/* ...splits into legs and torso for a few frames. */
	for (int f = 10; f < 14; f++) {
		float x = 0.3f + 0.02f * f;
		struct blob parts[2] = {
			{.cx = x, .cy = 0.7f, .x0 = x - 0.05f, .x1 = x + 0.05f, .y0 = 0.5f, .y1 = 0.9f, .area = 0.03f},
			{.cx = x, .cy = 0.3f, .x0 = x - 0.04f, .x1 = x + 0.04f, .y0 = 0.1f, .y1 = 0.45f, .area = 0.012f},
		};
		tr = tracker_update(t, parts, 2, f * 0.04);
		assert_int_equal(live_tracks(tr), 1);
		assert_non_null(find_id(tr, id));
		/* Its observation is the whole body: both parts' area. */
		assert_float_equal(find_id(tr, id)->area, 0.042f, 1e-6);
	}
	/* The centroid lies between the parts. */
	const struct track *k = find_id(tr, id);
	assert_true(k->y > 0.5f && k->y < 0.7f);
	tracker_destroy(t);
}

/* Someone walking sideways behind a railing is found as torso and legs
 * from the first frame: two tracks, one above the other, at one speed,
 * that become one. The railing hides a band of the body: a gap of up to a
 * fifth of the two together (here more than the usual 0.3 of the shorter
 * part). Two people further apart than that stay two. */
static void torso_and_legs_apart_from_the_start_become_one(void **state)
{
	(void)state;
	const float gaps[3] = {0.02f, 0.03f, 0.06f};
	for (int g = 0; g < 3; g++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		for (int f = 0; f < 15; f++) {
			float x = 0.7f - 0.01f * f, gap = gaps[g];
			struct blob parts[2] = {
				box(x, 0.45f, 0.05f, 0.10f, 0.004f),               /* torso */
				box(x, 0.54f + gap, 0.05f, 0.08f, 0.0032f),       /* legs */
			};
			tr = tracker_update(t, parts, 2, f * 0.04);
		}
		assert_int_equal(live_tracks(tr), g < 2 ? 1 : 2);
		tracker_destroy(t);
	}
}

/* Walking down (not sideways), a person's head or bag comes apart from
 * the body inside the person's box: it joins the track's observation. */
static void fragment_inside_the_box_of_an_object_walking_down_joins_it(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		float y = 0.2f + 0.01f * f;
		struct blob b = box(0.5f, y, 0.1f, 0.2f, 0.014f);
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	uint32_t id = find_near(tr, 0.5f, 0.29f)->id;
	for (int f = 10; f < 16; f++) {
		float y = 0.2f + 0.01f * f;
		struct blob parts[2] = {
			box(0.5f, y + 0.015f, 0.1f, 0.17f, 0.012f), /* body */
			box(0.51f, y - 0.08f, 0.04f, 0.03f, 0.001f), /* head, a gap above */
		};
		tr = tracker_update(t, parts, 2, f * 0.04);
		assert_int_equal(live_tracks(tr), 1);
		assert_non_null(find_id(tr, id));
		assert_float_equal(find_id(tr, id)->area, 0.013f, 1e-6);
	}
	tracker_destroy(t);
}

/* A fragment two tracks could own joins the one whose own blob it lies
 * against, whichever slot each track holds: a big person close to the
 * camera beside a smaller one whose legs come apart from the torso; the
 * legs lie inside the big one's enlarged box too. */
static void fragment_two_tracks_could_own_joins_the_one_it_lies_against(void **state)
{
	(void)state;
	for (int big_first = 0; big_first < 2; big_first++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		struct blob big = box(0.3f, 0.5f, 0.24f, 0.4f, 0.06f);
		for (int f = 0; f < 10; f++) {
			struct blob whole[2] = {big, box(0.5f, 0.5f, 0.12f, 0.3f, 0.024f)};
			/* The one seen first takes the first slot. */
			int first = big_first ? 0 : 1;
			tr = f == 0 ? tracker_update(t, &whole[first], 1, 0.0)
				    : tracker_update(t, whole, 2, f * 0.04);
		}
		uint32_t big_id = find_near(tr, 0.3f, 0.5f)->id;
		uint32_t small_id = find_near(tr, 0.5f, 0.5f)->id;
		assert_int_not_equal(big_id, small_id);
		for (int f = 10; f < 14; f++) {
			struct blob parts[3] = {
				big,
				box(0.5f, 0.45f, 0.12f, 0.2f, 0.016f),    /* torso, down to 0.55 */
				box(0.44f, 0.6f, 0.02f, 0.1f, 0.002f),    /* legs, from 0.55 */
			};
			tr = tracker_update(t, parts, 3, f * 0.04);
			assert_int_equal(live_tracks(tr), 2);
			assert_float_equal(find_id(tr, small_id)->area, 0.018f, 1e-6);
			assert_float_equal(find_id(tr, big_id)->area, 0.06f, 1e-6);
		}
		tracker_destroy(t);
	}
}

/* Someone seated (a box on the upper body only) stands up: the blob the
 * track takes grows down at once, and the legs, found as a blob of their
 * own below the old box but inside the grown blob's, are a part of that
 * person, not a second one. */
static void fragment_inside_the_grown_blob_joins_it(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 20; f++) {
		struct blob b = box(0.6f, 0.2f, 0.18f, 0.4f, 0.03f);
		tr = tracker_update(t, &b, 1, f * 0.1);
	}
	uint32_t id = find_near(tr, 0.6f, 0.2f)->id;
	for (int f = 20; f < 24; f++) {
		float grow = 0.15f * (float)(f - 19);
		struct blob parts[2] = {
			box(0.6f, 0.2f + grow / 2, 0.18f, 0.4f + grow, 0.03f + 0.03f * grow),
			box(0.56f, 0.35f + grow, 0.03f, 0.2f, 0.004f), /* legs, below the old box */
		};
		tr = tracker_update(t, parts, 2, f * 0.1);
		assert_int_equal(live_tracks(tr), 1);
		assert_non_null(find_id(tr, id));
	}
	tracker_destroy(t);
}

/* One person, seen from above walking down, comes apart in a frame into
 * two sides, the smaller more than half the other but under half of one
 * object: once one object's size is known it is a part, not a track; two
 * people parting are one object each, and two tracks. */
static int parted_in_a_frame(float one_area, float side)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	int most = 0;
	tracker_set_object_size(t, one_area, 0.3f);
	for (int f = 0; f < 20; f++) {
		float y = 0.3f + 0.01f * f;
		struct blob b[2] = {box(0.5f, y, 0.2f, 0.15f, 0.05f), box(0.57f, y, 0.07f, 0.15f, side)};
		if (f >= 8)
			b[0] = box(0.47f, y, 0.14f, 0.15f, 0.05f - side);
		tr = tracker_update(t, b, f < 8 ? 1 : 2, f / 25.0);
		most = live_tracks(tr) > most ? live_tracks(tr) : most;
	}
	tracker_destroy(t);
	return most;
}

static void a_side_under_half_an_object_is_a_part_once_its_size_is_known(void **state)
{
	(void)state;
	assert_int_equal(parted_in_a_frame(0.05f, 0.02f), 1);
	assert_int_equal(parted_in_a_frame(0.0f, 0.02f), 2);  /* not known */
	assert_int_equal(parted_in_a_frame(0.025f, 0.02f), 2); /* two people */
}

/* A dark person on a floor of their shade, seen from above, falls apart
 * into pieces of a like size (arms, head, the edges of a coat), none half
 * of another, each far under one object: once one object's size is known
 * they are one track, whose observation is all of them, and a piece that
 * trails it, outside its box, joins it while it is seen in part. Returns
 * the most tracks alive at once. */
static int dark_body_in_pieces(float one_area, float one_extent, float *area_in_pieces)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	int most = 0;
	tracker_set_object_size(t, one_area, one_extent);
	for (int f = 0; f < 30; f++) {
		float y = 0.85f - 0.015f * f;
		struct blob b[4];
		int n;
		if (f < 8) {
			b[0] = box(0.5f, y, 0.3f, 0.3f, 0.05f);
			n = 1;
		} else if (f < 20) {
			b[0] = box(0.42f, y + 0.04f, 0.1f, 0.15f, 0.012f);
			b[1] = box(0.58f, y + 0.02f, 0.1f, 0.14f, 0.011f);
			b[2] = box(0.5f, y - 0.1f, 0.06f, 0.08f, 0.006f);
			b[3] = box(0.5f, y + 0.11f, 0.08f, 0.05f, 0.004f);
			n = 4;
		} else {
			b[0] = box(0.45f, y, 0.1f, 0.15f, 0.012f);
			b[1] = box(0.5f, y + 0.16f, 0.06f, 0.06f, 0.003f); /* a hand, trailing */
			n = 2;
		}
		tr = tracker_update(t, b, n, f / 15.0);
		if (f == 19)
			*area_in_pieces = find_near(tr, 0.5f, y)->area;
		most = live_tracks(tr) > most ? live_tracks(tr) : most;
	}
	tracker_destroy(t);
	return most;
}

static void dark_body_in_pieces_is_one_track_once_one_objects_size_is_known(void **state)
{
	(void)state;
	float area = 0.0f;
	assert_int_equal(dark_body_in_pieces(0.05f, 0.35f, &area), 1);
	assert_float_equal(area, 0.033f, 1e-6);
	/* Not known: each piece not under half the one the track took is a track. */
	assert_true(dark_body_in_pieces(0.0f, 0.0f, &area) > 1);
}

/* A motorbike filtering past a car, its own track: however near the car's
 * centre it comes, under half an object, it stays its own, even where the
 * car's blob comes in two halves. And one that comes into view just ahead
 * of a car seen whole is not a part of it, though the two together are no
 * longer than one object. */
static void motorbike_by_a_car_stays_its_own(void **state)
{
	(void)state;
	for (int ahead = 0; ahead < 2; ahead++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		tracker_set_object_size(t, 0.01f, 0.25f);
		for (int f = 0; f < 30; f++) {
			float y = 0.2f + 0.012f * f;
			float bx = ahead ? 0.5f : 0.56f - 0.002f * f;
			float by = ahead ? y + 0.11f : y + 0.1f - 0.004f * f;
			struct blob b[3] = {box(0.5f, y, 0.08f, 0.16f, 0.01f),
					    box(bx, by, 0.03f, 0.05f, 0.0012f),
					    box(0.5f, y + 0.04f, 0.08f, 0.08f, 0.0045f)};
			int first = ahead ? 10 : 0;
			if (f >= 10)
				b[0] = box(0.5f, y - 0.04f, 0.08f, 0.08f, 0.0045f);
			tr = tracker_update(t, b, f < first ? 1 : f < 10 ? 2 : 3, f / 25.0);
			if (f >= first + 5)
				assert_int_equal(live_tracks(tr), 2);
		}
		tracker_destroy(t);
	}
	/* A speck (a far motorbike) beside the halves of a car seen whole
	 * is no part of it either: a speck may be an object of its own. */
	struct tracker *t = make();
	const struct track *tr = NULL;
	tracker_set_object_size(t, 0.01f, 0.25f);
	for (int f = 0; f < 20; f++) {
		float y = 0.2f + 0.012f * f;
		struct blob b[3] = {box(0.5f, y, 0.08f, 0.16f, 0.01f), box(0.5f, y + 0.04f, 0.08f, 0.08f, 0.0045f),
				    box(0.52f, y + 0.05f, 0.02f, 0.03f, 0.0005f)};
		b[2].small = true;
		if (f >= 10)
			b[0] = box(0.5f, y - 0.04f, 0.08f, 0.08f, 0.0045f);
		tr = tracker_update(t, b, f < 10 ? 1 : 3, f / 25.0);
		if (f >= 10)
			assert_float_equal(find_near(tr, 0.5f, y)->area, 0.009f, 1e-6);
	}
	tracker_destroy(t);
	/* Nor does a speck's own track take a blob under half an object that
	 * comes up on it: the speck may be a far object of its own. */
	t = make();
	tracker_set_object_size(t, 0.01f, 0.25f);
	for (int f = 0; f < 24; f++) {
		float y = 0.2f + 0.01f * f;
		struct blob b[2] = {box(0.5f, y, 0.02f, 0.02f, 0.0004f), box(0.505f, y + 0.005f, 0.05f, 0.05f, 0.003f)};
		b[0].small = true;
		tr = tracker_update(t, b, f < 16 ? 1 : 2, f / 25.0);
		if (f >= 16) {
			const struct track *speck = find_near(tr, 0.5f, y);
			assert_true(speck->small);
			assert_float_equal(speck->area, 0.0004f, 1e-6);
		}
	}
	tracker_destroy(t);
}

static void a_speck_cannot_jump_onto_a_large_blob(void **state)
{
	(void)state;
	struct tracker *t = make();
	/* A speck appears... */
	struct blob speck = blob_at(0.60f, 0.45f, 0.01f);
	const struct track *tr = tracker_update(t, &speck, 1, 0.0);
	uint32_t speck_id = find_near(tr, 0.60f, 0.45f)->id;
	/* ...and next frame a body-sized blob shows up nearby: a new object, not the speck. */
	struct blob big = blob_at(0.75f, 0.45f, 0.08f);
	tr = tracker_update(t, &big, 1, 0.04);
	const struct track *k = find_near(tr, 0.75f, 0.45f);
	assert_int_not_equal(k->id, speck_id);
	assert_int_equal(k->hits, 1);
	tracker_destroy(t);
}

/* No object grows fourfold in a frame: a confirmed track does not take a
 * blob of more than 4x its area on its own (that blob is something else,
 * or a group), even right where it is. Less than 4x it does. */
static void confirmed_track_does_not_take_a_blob_over_4x_its_area(void **state)
{
	(void)state;
	for (int grow = 0; grow < 2; grow++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		for (int f = 0; f < 10; f++) {
			struct blob b = box(0.5f, 0.5f, 0.1f, 0.1f, 0.008f);
			tr = tracker_update(t, &b, 1, f * 0.04);
		}
		uint32_t id = find_near(tr, 0.5f, 0.5f)->id;
		float scale = grow ? 4.5f : 3.5f;
		struct blob big = box(0.5f, 0.5f, 0.1f * sqrtf(scale), 0.1f * sqrtf(scale), 0.008f * scale);
		tr = tracker_update(t, &big, 1, 0.40);
		assert_non_null(find_id(tr, id));
		assert_int_equal(find_id(tr, id)->updated, !grow);
		assert_int_equal(live_tracks(tr), grow ? 2 : 1);
		tracker_destroy(t);
	}
}

static void lost_track_does_not_grab_a_far_blob(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	for (int f = 0; f < 10; f++) {
		struct blob b = blob_at(0.2f, 0.1f + 0.05f * f, 0.03f);
		tr = tracker_update(t, &b, 1, f * 0.04);
	}
	uint32_t id = find_near(tr, 0.2f, 0.55f)->id;
	/* Lost for six frames, then a blob appears half a frame away. */
	for (int f = 0; f < 6; f++)
		tr = tracker_update(t, NULL, 0, (10 + f) * 0.04);
	struct blob far = blob_at(0.7f, 0.5f, 0.03f);
	tr = tracker_update(t, &far, 1, 16 * 0.04);
	assert_int_not_equal(find_near(tr, 0.7f, 0.5f)->id, id);
	tracker_destroy(t);
}

/* Two people converge, walk as one blob for plateau frames, and part
 * again (x in the frame, both walking down at 0.25/s, 25 fps). Each keeps
 * its id as a member of a group, and after the split each id continues on
 * its own side. */
static void merge_and_split(int plateau)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t left = 0, right = 0;
	int grouped_frames = 0, split = 0;
	double now = 0;
	const int close = 25, open = close + plateau;
	for (int f = 0; f < open + 40; f++, now += 0.04) {
		float y = 0.1f + 0.01f * f;
		/* Spacing 0.24, closing at 0.3/s to 0.06, held, then opening. */
		float sep = f < 10 ? 0.24f : f < close ? 0.24f - 0.012f * (f - 10) : f <= open ? 0.06f :
			    fminf(0.06f + 0.012f * (f - open), 0.24f);
		float xa = 0.5f - sep / 2, xb = 0.5f + sep / 2;
		struct blob b[2];
		int n;
		if (sep < 0.09f) {
			b[0] = box(0.5f, y, sep + 0.08f, 0.12f, 0.7f * (sep + 0.08f) * 0.12f);
			n = 1;
		} else {
			b[0] = box(xa, y, 0.08f, 0.12f, 0.7f * 0.08f * 0.12f);
			b[1] = box(xb, y, 0.08f, 0.12f, 0.7f * 0.08f * 0.12f);
			n = 2;
		}
		tr = tracker_update(t, b, n, now);
		if (f == 5) {
			left = find_near(tr, xa, y)->id;
			right = find_near(tr, xb, y)->id;
			assert_int_not_equal(left, right);
		}
		if (f < 5)
			continue;
		const struct track *l = find_id(tr, left), *r = find_id(tr, right);
		assert_non_null(l);
		assert_non_null(r);
		assert_true(l->updated && r->updated);
		if (n == 1) {
			grouped_frames++;
			assert_true(l->grouped && r->grouped);
			/* Both follow the blob down. */
			assert_float_equal(l->y, y, 0.03f);
			assert_float_equal(r->y, y, 0.03f);
			continue;
		}
		assert_false(l->grouped || r->grouped);
		if (grouped_frames)
			split++;
		if (split) {
			assert_true(l->ever_grouped && r->ever_grouped);
			/* At the split and after: each id on its own side. */
			assert_true(l->x < r->x);
		}
		if (split > 5) {
			assert_float_equal(l->x, xa, 0.02f);
			assert_float_equal(r->x, xb, 0.02f);
		}
	}
	assert_true(grouped_frames >= plateau + 4);
	assert_true(split > 10);
	assert_int_equal(live_tracks(tr), 2);
	tracker_destroy(t);
}

static void brief_merge_and_split_keep_ids_on_their_own_sides(void **state)
{
	(void)state;
	merge_and_split(0); /* one blob for 5 frames (0.2 s) */
}

/* EXPOSES A BUG (fails at 29e483d): two people who converge and then walk
 * together as one blob for 0.4 s (plateau 5) or 0.8 s (plateau 15) come
 * out with their ids swapped. In observe_group() every member gets the same innovation (the blob
 * centroid minus the members' mean prediction), so the members' relative
 * velocity is never corrected inside a group: their predictions keep
 * closing at the approach speed, pass through each other, and at the
 * split the left person's id is on the right (plateau 5, frame 33:
 * l.x 0.540, r.x 0.460 for true 0.452 / 0.548). */
static void long_merge_and_split_keep_ids_on_their_own_sides(void **state)
{
	(void)state;
	merge_and_split(5);
	merge_and_split(15);
}

/* A small static thing (a bag put down, a scrap of shadow) that has a
 * confirmed track is not a second person inside a passer-by's blob: the
 * passer-by stays an isolated track, the scrap coasts and ends. */
static void tiny_static_track_does_not_join_a_persons_group(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	double now = 0;
	for (int f = 0; f < 10; f++, now += 0.04) {
		struct blob b = box(0.5f, 0.5f, 0.03f, 0.03f, 0.0007f);
		tr = tracker_update(t, &b, 1, now);
	}
	uint32_t scrap = find_near(tr, 0.5f, 0.5f)->id;
	uint32_t person = 0;
	for (int f = 0; f < 50; f++, now += 0.04) {
		float y = 0.1f + 0.016f * f;
		struct blob b[2] = {box(0.5f, y, 0.1f, 0.15f, 0.01f), box(0.5f, 0.5f, 0.03f, 0.03f, 0.0007f)};
		/* While the person covers it, one blob. */
		int n = fabsf(y - 0.5f) < 0.09f ? 1 : 2;
		tr = tracker_update(t, b, n, now);
		const struct track *p = find_near(tr, 0.5f, y);
		if (f == 0)
			person = p->id;
		const struct track *k = find_id(tr, person);
		assert_non_null(k);
		assert_false(k->ever_grouped);
		const struct track *s = find_id(tr, scrap);
		if (s)
			assert_false(s->grouped);
	}
	tracker_destroy(t);
}

/* A child and a parent: a smaller partner (a third of the other's area)
 * first seen side by side with a clear gap, who then walks into the
 * other's blob, is a member of a group, not a fragment of the other: it
 * keeps its identity through the merge and comes out of it itself
 * (10 fps, both walking down). */
static void smaller_partner_seen_side_by_side_stays_itself_through_a_merge(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t big = 0, small = 0;
	int merged = 0;
	double now = 0;
	for (int f = 0; f < 30; f++, now += 0.1) {
		float y = 0.1f + 0.02f * f;
		/* the small one closes in from the right, walks along, parts */
		float xs = f < 8 ? 0.75f - 0.03f * f : f < 18 ? 0.51f : 0.51f + 0.03f * (f - 17);
		struct blob b[2] = {box(0.4f, y, 0.1f, 0.15f, 0.012f), box(xs, y, 0.05f, 0.1f, 0.004f)};
		int n = 2;
		if (xs - 0.025f < 0.45f + 0.05f) {
			b[0] = box((0.4f * 0.012f + xs * 0.004f) / 0.016f, y, xs + 0.025f - 0.35f, 0.15f,
				   0.016f);
			n = 1;
			merged++;
		}
		tr = tracker_update(t, b, n, now);
		if (f == 4) {
			big = find_near(tr, 0.4f, y)->id;
			small = find_near(tr, xs, y)->id;
			assert_int_not_equal(big, small);
		}
		if (f < 4)
			continue;
		const struct track *k = find_id(tr, small);
		assert_non_null(k);
		assert_non_null(find_id(tr, big));
		if (n == 1)
			assert_true(k->grouped);
		else if (merged)
			assert_float_equal(k->x, xs, 0.03f);
	}
	assert_true(merged >= 8);
	tracker_destroy(t);
}

/* The same sizes one above the other are one upright body in parts (the
 * torso of someone seated, legs showing below the desk as they stand up):
 * the smaller joins the larger as a fragment and ends, however far below
 * it was first seen. */
static void smaller_part_below_joins_as_a_fragment(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t torso = 0, legs = 0;
	double now = 0;
	for (int f = 0; f < 20; f++, now += 0.1) {
		float yl = f < 10 ? 0.8f - 0.035f * f : 0.45f;
		struct blob b[2] = {box(0.5f, 0.2f, 0.2f, 0.3f, 0.03f), box(0.5f, yl, 0.08f, 0.2f, 0.01f)};
		int n = 2;
		if (yl - 0.1f < 0.35f + 0.02f) {
			b[0] = box(0.5f, 0.25f, 0.2f, 0.45f, 0.042f);
			n = 1;
		}
		tr = tracker_update(t, b, n, now);
		if (f == 4) {
			torso = find_near(tr, 0.5f, 0.2f)->id;
			legs = find_near(tr, 0.5f, yl)->id;
			assert_int_not_equal(torso, legs);
		}
		if (f > 4 && n == 1) {
			assert_null(find_id(tr, legs));
			assert_non_null(find_id(tr, torso));
			assert_false(find_id(tr, torso)->grouped);
		}
	}
	tracker_destroy(t);
}

/* Seen apart is not enough: a scrap beside the path (a fifteenth of a
 * person's area) that the person walks over is no partner; nor is a
 * partner that vanished while its prediction ran into the other's blob,
 * which did not grow by it (it left the picture, or hid behind something):
 * neither turns the person into a group that could carry a phantom over
 * the line. */
static void seen_apart_joins_only_a_partner_that_is_there(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t person = 0;
	double now = 0;
	for (int f = 0; f < 40; f++, now += 0.04) {
		float x = 0.2f + 0.015f * f;
		struct blob b[2] = {box(x, 0.5f, 0.1f, 0.15f, 0.01f), box(0.6f, 0.5f, 0.03f, 0.03f, 0.0007f)};
		int n = 2;
		if (fabsf(x - 0.6f) < 0.07f) {
			b[0].area += b[1].area; /* the blob holds both */
			n = 1;
		}
		tr = tracker_update(t, b, n, now);
		if (f == 3)
			person = find_near(tr, x, 0.5f)->id;
		if (f >= 3)
			assert_false(find_id(tr, person)->ever_grouped);
	}
	tracker_destroy(t);

	t = make();
	now = 0;
	for (int f = 0; f < 16; f++, now += 0.1) {
		float xs = 0.75f - 0.03f * f;
		struct blob b[2] = {box(0.4f, 0.5f, 0.1f, 0.15f, 0.012f), box(xs, 0.5f, 0.05f, 0.1f, 0.004f)};
		/* the partner is not seen from frame 6 on, short of the other */
		tr = tracker_update(t, b, f < 6 ? 2 : 1, now);
		if (f == 3)
			person = find_near(tr, 0.4f, 0.5f)->id;
		if (f >= 3)
			assert_false(find_id(tr, person)->ever_grouped);
	}
	tracker_destroy(t);
}

/* The detector's cut of a long blob into a queue's parts (cars nose to
 * tail), as it gives them: two halves along y with one queue number. */
static void queue_parts(struct blob *b, float cx, float cy, float w, float h, float area)
{
	b[0] = box(cx, cy - h / 4, w, h / 2, area / 2);
	b[1] = box(cx, cy + h / 4, w, h / 2, area / 2);
	b[0].queue = b[1].queue = 1;
	b[0].queue_ax = b[1].queue_ax = 0.0f;
	b[0].queue_ay = b[1].queue_ay = 1.0f;
	b[0].queue_wide = b[1].queue_wide = w;
}

/* One blob that has come down the picture whole (two cars too close to
 * tell), then comes cut into its two cars: each becomes a track of its own.
 * The same cut of a blob that has not come along its length (someone
 * standing, a person walking sideways, cut at the belt) is put back
 * together: one track. (25 fps.) */
static void queue_cut_is_taken_only_from_a_track_going_along_it(void **state)
{
	(void)state;
	for (int kind = 0; kind < 3; kind++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		double now = 0;
		float x = 0.3f, y = 0.25f;
		uint32_t front = 0, back = 0;
		for (int f = 0; f < 40; f++, now += 0.04) {
			if (kind == 0)
				y += 0.01f; /* down its length: a lane */
			else if (kind == 2)
				x += 0.01f; /* sideways */
			struct blob b[2];
			int n = 1;
			if (f < 25)
				b[0] = box(x, y, 0.08f, 0.4f, 0.025f);
			else {
				queue_parts(b, x, y, 0.08f, 0.4f, 0.025f);
				n = 2;
			}
			tr = tracker_update(t, b, n, now);
			/* one track, or (a lane) from a few frames after the cut
			 * its two cars, the same two throughout */
			if (f < 25 || kind > 0)
				assert_int_equal(live_tracks(tr), 1);
			else if (f >= 28)
				assert_int_equal(live_tracks(tr), 2);
			if (kind == 0 && f == 28) {
				front = find_near(tr, x, y + 0.1f)->id;
				back = find_near(tr, x, y - 0.1f)->id;
				assert_int_not_equal(front, back);
			}
		}
		if (kind == 0) {
			assert_non_null(find_id(tr, front));
			assert_non_null(find_id(tr, back));
			assert_true(find_id(tr, front)->confirmed && find_id(tr, back)->confirmed);
		}
		tracker_destroy(t);
	}
}

/* A long queue coming down a lane at x 0.3, its centroid at y: one blob,
 * or (cut) the cars behind, longer, and the one in front, as the detector
 * cuts it. Returns the number of blobs written to b. */
static int long_queue(struct blob *b, float y, bool cut)
{
	if (!cut) {
		b[0] = box(0.3f, y + 0.025f, 0.08f, 0.5f, 0.03f);
		b[0].cy = y;
		return 1;
	}
	b[0] = box(0.3f, y - 0.1f, 0.08f, 0.3f, 0.018f);  /* the cars behind */
	b[1] = box(0.3f, y + 0.15f, 0.08f, 0.2f, 0.012f); /* the one in front */
	for (int k = 0; k < 2; k++) {
		b[k].queue = 1;
		b[k].queue_ax = 0.0f;
		b[k].queue_ay = 1.0f;
		b[k].queue_wide = 0.08f;
	}
	return 2;
}

/* A lane's track cut from a queue takes the cars behind (the longer part,
 * nearer its prediction) and jumps back to them: that jump is no travel of
 * its own, and the cut holds on the next frames. It once went back
 * together every other frame, as the track's way since it was first seen
 * seemed to shrink by the jump, and the car in front never lived long
 * enough to be counted. */
static void lane_track_rebased_onto_the_cars_behind_keeps_the_cut(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	double now = 0;
	float y = 0.2f; /* the whole's centroid */
	uint32_t front = 0;
	for (int f = 0; f < 40; f++, now += 0.04, y += 0.01f) {
		struct blob b[2];
		int n = long_queue(b, y, f >= 20);
		tr = tracker_update(t, b, n, now);
		if (f == 22)
			front = find_near(tr, 0.3f, y + 0.15f)->id;
		if (f >= 22) {
			assert_int_equal(live_tracks(tr), 2);
			assert_non_null(find_id(tr, front));
		}
	}
	assert_true(find_id(tr, front)->confirmed);
	tracker_destroy(t);
}

/* At a low frame rate the detector's cut of a queue comes and goes: the
 * car in front, cut from it in two frames running, is hidden in the queue's
 * blob when the cut is missing for a frame, and is the same track when the
 * cut is back, and is confirmed. Cut in one frame only, it was as likely a
 * person's blob cut at the belt for a frame: it ends. (10 fps.) */
static void car_cut_from_a_queue_waits_in_it_when_the_cut_misses_a_frame(void **state)
{
	(void)state;
	for (int twice = 1; twice >= 0; twice--) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		double now = 0;
		float y = 0.05f; /* the whole's centroid */
		uint32_t front = 0;
		int uncut = twice ? 22 : 21; /* the frame the cut is missing */
		for (int f = 0; f < 32; f++, now += 0.1, y += 0.02f) {
			struct blob b[2];
			int n = long_queue(b, y, f >= 20 && f != uncut);
			tr = tracker_update(t, b, n, now);
			if (f == 20)
				front = find_near(tr, 0.3f, y + 0.15f)->id;
		}
		const struct track *k = find_id(tr, front);
		if (twice) {
			assert_non_null(k);
			assert_true(k->confirmed);
		} else {
			assert_null(k);
		}
		tracker_destroy(t);
	}
}

/* Two tracks one behind the other, each with its own blob, then (for
 * merged frames) one blob, then that blob cut as a queue: they stay a
 * group from the first frame they share a blob. */
static void two_tracks_meet_in_a_cut_queue(int merged)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	double now = 0;
	float y = 0.2f;
	uint32_t a = 0, c = 0;
	for (int f = 0; f < 40 + merged; f++, now += 0.04, y += 0.01f) {
		struct blob b[2];
		int n = 2;
		if (f < 25) { /* apart, one behind the other */
			b[0] = box(0.3f, y - 0.12f, 0.08f, 0.18f, 0.011f);
			b[1] = box(0.3f, y + 0.12f, 0.08f, 0.18f, 0.011f);
		} else if (f < 25 + merged) {
			b[0] = box(0.3f, y, 0.08f, 0.42f, 0.024f);
			n = 1;
		} else {
			queue_parts(b, 0.3f, y, 0.08f, 0.42f, 0.024f);
		}
		tr = tracker_update(t, b, n, now);
		if (f == 10) {
			a = find_near(tr, 0.3f, y - 0.12f)->id;
			c = find_near(tr, 0.3f, y + 0.12f)->id;
		}
		if (f >= 25) {
			assert_true(find_id(tr, a)->grouped);
			assert_true(find_id(tr, c)->grouped);
		}
	}
	tracker_destroy(t);
}

/* A queue on a slanted lane (direction 0.6, 0.8), two cars 0.06 wide: the
 * cut is kept for a track that went along the lane, not for one that went
 * straight down the picture (as far along the lane, but across it too). */
static void queue_cut_on_a_slanted_lane_follows_the_lane(void **state)
{
	(void)state;
	const float ux = 0.6f, uy = 0.8f;
	for (int along = 1; along >= 0; along--) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		double now = 0;
		float x = 0.3f, y = 0.2f;
		for (int f = 0; f < 40; f++, now += 0.04) {
			x += along ? 0.01f * ux : 0.0f;
			y += along ? 0.01f * uy : 0.01f;
			struct blob b[2];
			int n = 1;
			if (f < 25) {
				b[0] = box(x, y, 0.2f, 0.3f, 0.025f);
			} else {
				for (int k = 0; k < 2; k++) {
					float sgn = k ? 1.0f : -1.0f;
					b[k] = box(x + sgn * 0.1f * ux, y + sgn * 0.1f * uy, 0.12f, 0.16f,
						   0.0125f);
					b[k].queue = 1;
					b[k].queue_ax = ux;
					b[k].queue_ay = uy;
					b[k].queue_wide = 0.06f;
				}
				n = 2;
			}
			tr = tracker_update(t, b, n, now);
			if (f >= 28)
				assert_int_equal(live_tracks(tr), along ? 2 : 1);
		}
		tracker_destroy(t);
	}
}

/* A queue is first cut only where one track had all of it as its blob:
 * two tracks that each had part of it (pieces of one car at low contrast
 * tracked apart, or two cars seen apart that close up) meet as a group,
 * by the group's rules, whether their blob comes cut at once or after
 * some frames as one; cutting it would count each. */
static void queue_is_first_cut_only_from_a_track_that_had_all_of_it(void **state)
{
	(void)state;
	two_tracks_meet_in_a_cut_queue(0);
	two_tracks_meet_in_a_cut_queue(15);
}

/* Two cars nose to tail going up the picture at speed (a frame's step),
 * seen apart for 5 frames, then one blob; each car's size scaled by
 * 1 - shrink * frame (going away). The blob is cut by the picture's top.
 * Checks, each frame, that the car behind is tracked where it is, and that
 * the one in front has no track once it is wholly out of the picture. */
static void pair_going_away(float speed, float shrink, int frames)
{
	struct tracker *t = make();
	uint32_t front = 0, back = 0;
	int merged = 0;
	for (int f = 0; f < frames; f++) {
		double now = f * 0.04;
		float s = 1.0f - shrink * (float)f;
		float w = 0.14f * s, h = 0.25f * s;
		float ya = 0.55f - speed * (float)f, yb = ya + 0.32f * s;
		struct blob b[2];
		int n;
		if (f < 5) {
			b[0] = box(0.5f, ya, w, h, 0.7f * w * h);
			b[1] = box(0.5f, yb, w, h, 0.7f * w * h);
			n = 2;
		} else {
			float y0 = fmaxf(ya - h / 2, 0.0f), y1 = yb + h / 2;
			float front_seen = fmaxf(ya + h / 2 - y0, 0.0f);
			float area = 0.7f * w * (front_seen + h);
			float cy = (front_seen * (y0 + front_seen / 2) + h * yb) / (front_seen + h);
			b[0] = (struct blob){.cx = 0.5f, .cy = cy, .x0 = 0.5f - w / 2, .y0 = y0,
					     .x1 = 0.5f + w / 2, .y1 = y1, .area = area};
			n = 1;
		}
		const struct track *tr = tracker_update(t, b, n, now);
		if (f == 4) {
			front = find_near(tr, 0.5f, ya)->id;
			back = find_near(tr, 0.5f, yb)->id;
			assert_int_not_equal(front, back);
		}
		if (f < 5)
			continue;
		const struct track *k = find_id(tr, back);
		assert_non_null(k);
		assert_true(k->updated);
		assert_float_equal(k->y, yb, h / 2);
		if (ya + h / 2 < 0.0f)
			assert_null(find_id(tr, front));
		merged++;
	}
	assert_int_equal(merged, frames - 5);
	tracker_destroy(t);
}

/* The blob of two cars going away shrinks to under 0.6 of what it was
 * when they merged: the car behind stays a member of the group, not a
 * track left coasting because its own area, last measured when it was
 * near and whole, no longer fits the blob (followers at 320 wide lost its
 * crossing this way). */
static void group_going_away_keeps_the_member_behind(void **state)
{
	(void)state;
	pair_going_away(0.02f, 0.025f, 24);
}

/* Once the car in front has left the picture, the blob is the car behind
 * alone: the one in front is not held in it as a member that is not
 * there, dragging the other's position. */
static void member_gone_out_of_the_picture_leaves_the_group(void **state)
{
	(void)state;
	pair_going_away(0.03f, 0.0f, 26);
}

/* Two people walking down side by side as one blob for two seconds, the
 * blob's area wavering by 15 % from frame to frame (a JPEG, a swinging
 * arm): both stay members of the group, seen every frame. Their areas are
 * kept against the group's largest blob, so the wavering does not wear
 * them down until the blob is too big for either (caviar_tls2 lost a
 * count to that). */
static void wavering_group_blob_keeps_its_members(void **state)
{
	(void)state;
	struct tracker *t = make();
	uint32_t a = 0, b = 0;
	for (int f = 0; f < 60; f++) {
		float y = 0.2f + 0.008f * (float)f;
		struct blob bl[2];
		int n = 2;
		if (f < 5) {
			bl[0] = box(0.45f, y, 0.06f, 0.15f, 0.006f);
			bl[1] = box(0.55f, y, 0.06f, 0.15f, 0.006f);
		} else {
			bl[0] = box(0.5f, y, 0.16f, 0.15f, f % 2 ? 0.0102f : 0.012f);
			n = 1;
		}
		const struct track *tr = tracker_update(t, bl, n, f * 0.04);
		if (f == 4) {
			a = find_near(tr, 0.45f, y)->id;
			b = find_near(tr, 0.55f, y)->id;
		}
		if (f < 5)
			continue;
		const struct track *ta = find_id(tr, a), *tb = find_id(tr, b);
		assert_non_null(ta);
		assert_non_null(tb);
		assert_true(ta->updated && ta->grouped);
		assert_true(tb->updated && tb->grouped);
	}
	tracker_destroy(t);
}

/* Two people who came in side by side as one blob part at 5 fps: in one
 * frame the one going left has its centre out of the box the pair had.
 * It still split off from the pair (its parent, whose past it takes over
 * in the counter) if within a third of the box's width of it; a blob
 * further out than that is someone else. */
static void part_split_off_at_a_low_frame_rate_keeps_its_parent(void **state)
{
	(void)state;
	for (int far = 0; far < 2; far++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		float y = 0.8f;
		for (int f = 0; f < 6; f++, y -= 0.06f) {
			struct blob b = box(0.5f, y, 0.26f, 0.16f, 0.028f);
			tr = tracker_update(t, &b, 1, f * 0.2);
		}
		uint32_t pair = find_near(tr, 0.5f, y + 0.06f)->id;
		assert_true(find_id(tr, pair)->confirmed);
		/* The pair's box is 0.37 to 0.63 across. */
		struct blob b[2] = {box(0.62f, y, 0.12f, 0.16f, 0.013f),
				    box(far ? 0.27f : 0.32f, y, 0.12f, 0.16f, 0.013f)};
		tr = tracker_update(t, b, 2, 6 * 0.2);
		const struct track *left = find_near(tr, b[1].cx, y);
		assert_non_null(left);
		assert_int_not_equal(left->id, pair);
		assert_int_equal(left->parent, far ? 0 : pair);
		assert_non_null(find_id(tr, pair));
		tracker_destroy(t);
	}
}

/* Something found beside a larger object already there (an arm of a dark
 * person seen from above, 1.3 of the body's width from its centre), clear
 * of it for apart_frames frames at 25 fps, then in its blob again. Returns
 * how many tracks live ten frames after, and whether the smaller is one of
 * them, in the group; if it ended, whether the body named it as taken in
 * that frame. */
static int found_beside_then_merged(int apart_frames, bool *small_grouped, bool *named)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t small = 0;
	double now = 0;
	const int merge = 5 + apart_frames;
	for (int f = 0; f < merge + 10; f++, now += 0.04) {
		float y = 0.2f + 0.01f * f;
		struct blob b[2] = {box(0.5f, y, 0.1f, 0.15f, 0.012f)};
		int n = 1;
		if (f >= 5 && f < merge) {
			b[1] = box(0.63f, y, 0.04f, 0.06f, 0.004f);
			n = 2;
		} else if (f >= merge) {
			b[0] = box(0.54f, y, 0.18f, 0.15f, 0.016f);
		}
		tr = tracker_update(t, b, n, now);
		if (f == merge - 1)
			small = find_near(tr, 0.63f, y)->id;
		if (f == merge && !find_id(tr, small))
			*named = find_near(tr, 0.54f, y)->absorbed == small;
	}
	const struct track *k = find_id(tr, small);
	*small_grouped = k && k->grouped;
	int live = live_tracks(tr);
	tracker_destroy(t);
	return live;
}

/* Found beside the body and clear of it for 0.28 s: a part of it, not a
 * partner, when it rejoins (it ends, uncounted). Clear of it for 0.8 s: a
 * partner (a child beside a parent), a member of the merged blob. And one
 * first seen far from it, closing in fast (clear of it for 0.2 s): a
 * partner at once. */
static void part_found_beside_an_object_is_a_partner_only_after_half_a_second_apart(void **state)
{
	bool grouped, named = false;
	(void)state;
	assert_int_equal(found_beside_then_merged(7, &grouped, &named), 1);
	assert_true(named); /* the body took the arm in: its crossing is the body's */
	assert_int_equal(found_beside_then_merged(20, &grouped, &named), 2);
	assert_true(grouped);

	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t small = 0;
	double now = 0;
	for (int f = 0; f < 25; f++, now += 0.04) {
		float y = 0.2f + 0.01f * f, xs = 0.8f - 0.04f * (float)(f - 5);
		struct blob b[2] = {box(0.5f, y, 0.1f, 0.15f, 0.012f)};
		int n = 1;
		if (f >= 5 && xs - 0.02f > 0.56f) {
			b[1] = box(xs, y, 0.04f, 0.06f, 0.004f);
			n = 2;
			small = f == 8 ? find_near(tr, xs, y)->id : small;
		} else if (f >= 5) {
			b[0] = box(0.54f, y, 0.18f, 0.15f, 0.016f);
		}
		tr = tracker_update(t, b, n, now);
	}
	assert_non_null(find_id(tr, small));
	assert_true(find_id(tr, small)->grouped);
	tracker_destroy(t);
}

/* Two people walking left together behind a pillar, seen apart at first
 * (until t_merge), then as one blob: the pillar eats the blob from the
 * left, hides the pair for 0.25 s, and lets it out on its left, where it
 * grows from a sliver; past it, the two come toward the camera and grow
 * (their blob fivefold in a second). With rear_stays the one behind stops
 * behind the pillar. Writes each one's id at the end (0: ended) and in how many
 * frames after the pair was hidden either shared a blob. */
static void pair_behind_a_pillar(double t_merge, bool rear_stays, uint32_t *ids_end,
				 int *grouped_after)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	const float px0 = 0.35f, px1 = 0.48f, y = 0.5f;
	uint32_t a = 0, b = 0;
	double now = 0;
	*grouped_after = 0;
	for (int f = 0; f <= 100; f++, now += 0.04) {
		float l = 0.6f - 0.12f * (float)now; /* the pair's left edge */
		float near = 1.0f + 1.2f * fmaxf(0.0f, (float)now - 3.0f);
		float h = 0.1f * near * near;
		/* 0.05 wide each: apart, 0.02 between; then side by side. */
		float lb = l + (now >= t_merge ? 0.05f : 0.07f);
		if (rear_stays)
			lb = fmaxf(lb, 0.38f);
		float part[2][2] = {{l, l + 0.05f}, {lb, lb + 0.05f}};
		struct blob bl[4];
		int n = 0;
		for (int k = 0; k < 2; k++)
			for (int side = 0; side < 2; side++) {
				/* What shows left and right of the pillar. */
				float x0 = side ? fmaxf(part[k][0], px1) : part[k][0];
				float x1 = side ? part[k][1] : fminf(part[k][1], px0);
				if (x1 - x0 >= 0.01f)
					bl[n++] = box((x0 + x1) / 2, y, x1 - x0, h, 0.7f * (x1 - x0) * h);
			}
		/* Parts that touch are one blob. */
		if (n == 2 && bl[0].x1 >= bl[1].x0 - 1e-6f) {
			bl[0] = box((bl[0].x0 + bl[1].x1) / 2, y, bl[1].x1 - bl[0].x0, h,
				    bl[0].area + bl[1].area);
			n = 1;
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 5) {
			a = find_near(tr, l + 0.025f, y)->id;
			b = find_near(tr, l + 0.095f, y)->id;
			assert_int_not_equal(a, b);
		}
		const struct track *ta = find_id(tr, a), *tb = find_id(tr, b);
		if (l < px0 && ((ta && ta->grouped) || (tb && tb->grouped)))
			(*grouped_after)++;
	}
	ids_end[0] = find_id(tr, a) ? a : 0;
	ids_end[1] = find_id(tr, b) ? b : 0;
	tracker_destroy(t);
}

/* Together for 0.6 s before the pillar: the two are lost together, and
 * when the one in front comes out the one behind goes along beside it,
 * hidden, and is a member of the blob again once it holds room for both:
 * both come out of the pillar alive, together. */
static void pair_lost_together_comes_back_together(void **state)
{
	uint32_t ids[2];
	int grouped;
	(void)state;
	pair_behind_a_pillar(0.4, false, ids, &grouped);
	assert_int_not_equal(ids[0], 0);
	assert_int_not_equal(ids[1], 0);
	assert_true(grouped > 20);
}

/* The one behind stops behind the pillar: the one in front comes out
 * alone, its blob never has room for two, and no one hidden is put in
 * it: one of the two ids goes on (which one, the tracker cannot know: the
 * two were hidden), the other ends. */
static void one_of_a_pair_left_behind_the_pillar_is_not_brought_out(void **state)
{
	uint32_t ids[2];
	int grouped;
	(void)state;
	pair_behind_a_pillar(0.4, true, ids, &grouped);
	assert_int_equal((ids[0] != 0) + (ids[1] != 0), 1);
	assert_int_equal(grouped, 0);
}

/* Two people of one size walk together, B beside A at k times (dx, dy)
 * (k 1: touching), at speed (vx, vy): apart at first (k 1.8), closing
 * into one blob, one blob for 0.7 s, parting again (k 1.6) for three
 * frames, then B is lost from sight for hidden_frames while A stays in
 * view alone (a dark coat in front of a dark pillar), then B shows again
 * right beside A, as one blob with it. Writes how many of the two ids are
 * alive at the end and whether both are members of one group then. */
static void pair_one_lost_after_parting(float w, float h, float dx, float dy, float vx, float vy,
					int hidden_frames, int *alive, bool *grouped)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	const float a = 0.67f * w * h;
	uint32_t ida = 0, idb = 0;
	const int lost = 33, back = lost + hidden_frames;
	for (int f = 0; f < back + 20; f++) {
		double now = 0.04 * f;
		float ax = 0.6f + vx * (float)now, ay = 0.3f + vy * (float)now;
		float k = f < 5 ? 1.8f : f < 10 ? 1.8f - 0.16f * (float)(f - 4) : f < 28 ? 1.0f
			: f < 31 ? 1.0f + 0.2f * (float)(f - 27) : f < lost ? 1.6f : 1.0f;
		float bx = ax + k * dx, by = ay + k * dy;
		float gap = fmaxf(fabsf(bx - ax) - w, fabsf(by - ay) - h);
		struct blob bl[2];
		int n = 0;
		if (f >= lost && f < back) {
			bl[n++] = box(ax, ay, w, h, a);
		} else if (gap > 0.01f) {
			bl[n++] = box(ax, ay, w, h, a);
			bl[n++] = box(bx, by, w, h, a);
		} else {
			float x0 = fminf(ax, bx) - w / 2, x1 = fmaxf(ax, bx) + w / 2;
			float y0 = fminf(ay, by) - h / 2, y1 = fmaxf(ay, by) + h / 2;
			bl[n++] = box((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, 2 * a);
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 3) {
			ida = find_near(tr, ax, ay)->id;
			idb = find_near(tr, bx, by)->id;
			assert_int_not_equal(ida, idb);
		}
	}
	const struct track *ta = find_id(tr, ida), *tb = find_id(tr, idb);
	*alive = (ta != NULL) + (tb != NULL);
	*grouped = ta && tb && ta->grouped && tb->grouped;
	tracker_destroy(t);
}

/* Side by side, going left: B is lost 0.12 s after the pair's blob came
 * apart and stays hidden 0.64 s, longer than a track coasts alone. Its
 * mate in view, it coasts on, and is a member of A's blob again when it
 * shows (caviar_tls2 at 320 wide lost its second person this way). */
static void one_lost_just_after_its_group_parted_comes_back_into_it(void **state)
{
	int alive;
	bool grouped;
	(void)state;
	pair_one_lost_after_parting(0.05f, 0.15f, 0.05f, 0.0f, -0.12f, 0.0f, 16, &alive, &grouped);
	assert_int_equal(alive, 2);
	assert_true(grouped);
}

/* The same with B below A, going down: never seen side by side, the two
 * may be the torso and the legs of one person (a railing between them),
 * and the legs lost from sight are not held for the torso's blob: B ends
 * after the usual coast, and the blob that shows is A's alone. */
static void part_never_seen_beside_its_group_is_not_held(void **state)
{
	int alive;
	bool grouped;
	(void)state;
	pair_one_lost_after_parting(0.05f, 0.07f, 0.0f, 0.07f, 0.03f, 0.12f, 16, &alive, &grouped);
	assert_int_equal(alive, 1);
	assert_false(grouped);
}

/* Two people seen side by side, then walking left as one blob that a
 * railing cuts across for 0.4 s into a band of their heads and shoulders
 * and a band of their legs: still the pair, each band a part of both
 * (not one of them the torso and the other the legs of one body): both
 * stay members of one group through the cut and after it. */
static void group_cut_across_by_a_railing_stays_a_group(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	const float w = 0.05f, h = 0.15f, a = 0.005f;
	uint32_t ida = 0, idb = 0;
	for (int f = 0; f < 60; f++) {
		double now = 0.04 * f;
		float ax = 0.6f - 0.12f * (float)now, y = 0.4f;
		float k = f < 5 ? 1.8f : f < 10 ? 1.8f - 0.16f * (float)(f - 4) : 1.0f;
		float bx = ax + k * w;
		struct blob bl[2];
		int n = 0;
		if (bx - ax - w > 0.01f) {
			bl[n++] = box(ax, y, w, h, a);
			bl[n++] = box(bx, y, w, h, a);
		} else if (f >= 30 && f < 40) {
			/* The railing: a band 0.02 high across the middle. */
			float cx = (ax + bx) / 2, top = y - h / 2, bottom = y + h / 2;
			bl[n++] = box(cx, (top + y - 0.01f) / 2, 2 * w, y - 0.01f - top, 0.9f * a);
			bl[n++] = box(cx, (y + 0.01f + bottom) / 2, 2 * w, bottom - y - 0.01f, 0.9f * a);
		} else {
			bl[n++] = box((ax + bx) / 2, y, 2 * w, h, 2 * a);
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 5) {
			ida = find_near(tr, ax, y)->id;
			idb = find_near(tr, bx, y)->id;
			assert_int_not_equal(ida, idb);
		}
		if (f >= 15) {
			const struct track *ta = find_id(tr, ida), *tb = find_id(tr, idb);
			assert_non_null(ta);
			assert_non_null(tb);
			assert_true(ta->grouped && tb->grouped);
		}
	}
	tracker_destroy(t);
}

/* Two seen side by side walk away together as one blob, growing smaller
 * (to 0.45 of their size); for one frame only the one in front shows. The
 * other, lost alone, is a member again the next frame by the group's own
 * rules, which weigh the members' areas as they shrank with the blob, not
 * only once the blob has room for the two as they were when they met. */
static void one_lost_for_a_frame_from_a_shrinking_group_is_back_in_it(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t ida = 0, idb = 0;
	for (int f = 0; f < 60; f++) {
		double now = 0.04 * f;
		float sc = f < 10 ? 1.0f : 1.0f - 0.55f * (float)(f - 10) / 50.0f;
		float w = 0.05f * sc, h = 0.15f * sc, a = 0.005f * sc * sc;
		float ax = 0.4f, ay = 0.7f - 0.1f * (float)now;
		float k = f < 5 ? 1.8f : f < 10 ? 1.8f - 0.16f * (float)(f - 4) : 1.0f;
		float bx = ax + k * w;
		struct blob bl[2];
		int n = 0;
		if (bx - ax - w > 0.01f) {
			bl[n++] = box(ax, ay, w, h, a);
			bl[n++] = box(bx, ay, w, h, a);
		} else if (f == 45) {
			bl[n++] = box(ax, ay, w, h, a);
		} else {
			bl[n++] = box((ax + bx) / 2, ay, 2 * w, h, 2 * a);
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 3) {
			ida = find_near(tr, ax, ay)->id;
			idb = find_near(tr, bx, ay)->id;
			assert_int_not_equal(ida, idb);
		}
		if (f == 44 || f == 47)
			assert_true(find_id(tr, ida) && find_id(tr, ida)->grouped && find_id(tr, idb) &&
				    find_id(tr, idb)->grouped);
	}
	tracker_destroy(t);
}

/* Two seen side by side walk as one blob that fades to a fifth (they go
 * behind something, or into a dark patch far off), are lost for three
 * frames, and come out whole where they were going: the members take
 * their blob again, as big as when they met, not a new track. A blob as
 * big away from where they were going is something else. (Found again,
 * the members' areas are still the faded ones: the frame after, a new
 * track may take the blob; not pinned here.) */
static void group_that_faded_and_was_lost_is_taken_whole_again(void **state)
{
	(void)state;
	for (int away = 0; away < 2; away++) {
		struct tracker *t = make();
		const struct track *tr = NULL;
		uint32_t ida = 0, idb = 0;
		const float w = 0.05f, h = 0.15f, a = 0.005f;
		for (int f = 0; f < 40; f++) {
			double now = 0.04 * f;
			float ax = 0.3f + 0.1f * (float)now, y = 0.5f;
			float k = f < 5 ? 1.8f : f < 10 ? 1.8f - 0.16f * (float)(f - 4) : 1.0f;
			float bx = ax + k * w;
			float fade = f < 20 ? 1.0f : fmaxf(0.2f, 1.0f - 0.8f * (float)(f - 20) / 15.0f);
			struct blob bl[2];
			int n = 0;
			if (bx - ax - w > 0.01f) {
				bl[n++] = box(ax, y, w, h, a);
				bl[n++] = box(bx, y, w, h, a);
			} else if (f < 36) {
				bl[n++] = box((ax + bx) / 2, y, 2 * w, h, 2 * a * fade);
			} else if (f >= 39) {
				bl[n++] = box((ax + bx) / 2 + (away ? 0.17f : 0.0f), y, 2 * w, h, 2 * a);
			}
			tr = tracker_update(t, bl, n, now);
			if (f == 3) {
				ida = find_near(tr, ax, y)->id;
				idb = find_near(tr, bx, y)->id;
			}
		}
		const struct track *ta = find_id(tr, ida), *tb = find_id(tr, idb);
		int others = 0;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
			others += tr[i].id && tr[i].id != ida && tr[i].id != idb;
		if (away) {
			assert_int_equal(others, 1);
		} else {
			assert_int_equal(others, 0);
			assert_true(ta && tb);
			assert_true(ta->updated && tb->updated);
		}
		tracker_destroy(t);
	}
}

/* One person's torso and legs, found apart (a railing between them) while
 * walking down the picture, then one blob; they turn to walk left, and a
 * railing cuts the blob across for 0.4 s. The two tracks were a group (of
 * about equal size) but never seen side by side: the cut is the torso and
 * the legs again, one body, not a pair whose heads and legs are cut:
 * one id goes on. */
static void torso_and_legs_cut_across_are_one_body(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	const float w = 0.05f, h = 0.07f, a = 0.0023f;
	uint32_t ida = 0, idb = 0;
	bool ended = false;
	float x = 0.6f, y = 0.3f;
	for (int f = 0; f < 60; f++) {
		double now = 0.04 * f;
		if (f < 10) {
			x += 0.03f * 0.04f;
			y += 0.12f * 0.04f;
		} else {
			x -= 0.15f * 0.04f;
		}
		float gap = f < 5 ? 0.02f : f < 10 ? 0.02f - 0.004f * (float)(f - 4) : 0.0f;
		if (f >= 30 && f < 40)
			gap = 0.02f;
		float yb = y + h + gap;
		struct blob bl[2];
		int n = 0;
		if (gap > 0.01f) {
			bl[n++] = box(x, y, w, h, a);
			bl[n++] = box(x, yb, w, h, a);
		} else {
			bl[n++] = box(x, (y + yb) / 2, w, 2 * h + gap, 2 * a);
		}
		tr = tracker_update(t, bl, n, now);
		if (f == 3) {
			ida = find_near(tr, x, y)->id;
			idb = find_near(tr, x, yb)->id;
			assert_int_not_equal(ida, idb);
		}
		if (f == 25)
			assert_true(find_id(tr, ida) && find_id(tr, ida)->grouped && find_id(tr, idb) &&
				    find_id(tr, idb)->grouped);
		/* The one that goes on names the one that ended in it, that
		 * frame only. */
		if (ended) {
			const struct track *on = find_id(tr, ida) ? find_id(tr, ida) : find_id(tr, idb);
			assert_int_equal(on->absorbed, 0);
		}
		if (f > 25 && !ended && (!find_id(tr, ida) || !find_id(tr, idb))) {
			const struct track *on = find_id(tr, ida) ? find_id(tr, ida) : find_id(tr, idb);
			assert_non_null(on);
			assert_int_equal(on->absorbed, on->id == ida ? idb : ida);
			ended = true;
		}
	}
	assert_true(ended);
	assert_int_equal((find_id(tr, ida) != NULL) + (find_id(tr, idb) != NULL), 1);
	tracker_destroy(t);
}

/* P walks down the picture beside X (clear of it) for a second; X leaves
 * and its track ends. Then P's blob comes apart for split_frames frames
 * into P and a piece beside it, gap_px apart (a low sun's shadow coming
 * loose from the one who casts it), and is one blob again. Returns the
 * tracks alive at the end; *p_alive: P's id among them; *named: P named
 * the piece as taken in when it ended. */
static int piece_split_off_then_back(int split_frames, float gap, float piece_share, bool *p_alive,
				     bool *named)
{
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t p = 0, piece = 0;
	float piece_x = 0.5f;
	*named = false;
	for (int f = 0; f < 90; f++) {
		double now = 0.04 * f;
		float y = 0.1f + 0.2f * (float)now;
		struct blob b[2];
		int n = 0;
		if (f < 25)
			b[n++] = box(0.8f, y, 0.08f, 0.15f, 0.008f);
		if (f >= 45 && f < 45 + split_frames) {
			/* P keeps the wider part (nearer its box), whatever
			 * the parts' areas. */
			b[n++] = box(0.475f, y, 0.04f, 0.15f, 0.009f * piece_share);
			b[n++] = box(0.52f + gap, y, 0.05f, 0.15f, 0.009f * (1.0f - piece_share));
		} else if (f >= 45) {
			/* One blob, its centre of mass on the piece's side:
			 * the piece takes it, P is the one left beside it. */
			b[n] = box(0.5f + gap / 2, y, 0.09f + gap, 0.15f, 0.009f);
			b[n++].cx = piece_x;
		} else {
			b[n++] = box(0.5f, y, 0.09f, 0.15f, 0.009f);
		}
		tr = tracker_update(t, b, n, now);
		if (f == 5)
			p = find_near(tr, 0.5f, y)->id;
		if (f == 45) {
			for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
				if (tr[i].id && tr[i].parent == p)
					piece = tr[i].id;
			assert_int_not_equal(piece, 0);
		}
		if (f >= 45 && f < 45 + split_frames && find_id(tr, piece))
			piece_x = find_id(tr, piece)->x;
		if (f > 45 && piece && !find_id(tr, piece) && find_id(tr, p) && !*named)
			*named = find_id(tr, p)->absorbed == piece;
	}
	*p_alive = find_id(tr, p) != NULL;
	int live = live_tracks(tr);
	tracker_destroy(t);
	return live;
}

/* Split off for 0.28 s, never clear of P: P seen in two, the piece ends
 * as its part (even in the slot of X, which was clear of P: what P knew
 * of that slot is not the piece's), and P goes on, even when the piece
 * was the bigger part (a shadow come loose is as big as its person). For
 * 0.8 s, or clear of P: two objects, both go on. */
static void piece_back_in_its_parent_within_half_a_second_is_a_part(void **state)
{
	bool p_alive, named;
	(void)state;
	for (int bigger = 0; bigger < 2; bigger++) {
		float share = bigger ? 0.6f : 0.45f;
		assert_int_equal(piece_split_off_then_back(7, 0.005f, share, &p_alive, &named), 1);
		assert_true(p_alive);
		assert_true(named);
	}
	assert_int_equal(piece_split_off_then_back(20, 0.005f, 0.45f, &p_alive, &named), 2);
	assert_true(p_alive);
	assert_int_equal(piece_split_off_then_back(7, 0.04f, 0.45f, &p_alive, &named), 2);
	assert_true(p_alive);
}

static void reset_ends_every_track_and_ids_stay_unique(void **state)
{
	(void)state;
	struct tracker *t = make();
	const struct track *tr = NULL;
	uint32_t max_id = 0;
	for (int f = 0; f < 10; f++) {
		struct blob b[3] = {blob_at(0.2f, 0.5f, 0.03f), blob_at(0.5f, 0.5f, 0.03f),
				    blob_at(0.8f, 0.5f, 0.03f)};
		tr = tracker_update(t, b, 3, f * 0.04);
	}
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		if (tr[i].id > max_id)
			max_id = tr[i].id;
	assert_int_equal(live_tracks(tr), 3);
	tracker_reset(t);
	/* The same objects after the reset are new tracks with new ids. */
	struct blob b[3] = {blob_at(0.2f, 0.5f, 0.03f), blob_at(0.5f, 0.5f, 0.03f),
			    blob_at(0.8f, 0.5f, 0.03f)};
	tr = tracker_update(t, b, 3, 0.40);
	assert_int_equal(live_tracks(tr), 3);
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		if (tr[i].id) {
			assert_true(tr[i].id > max_id);
			assert_int_equal(tr[i].hits, 1);
			assert_false(tr[i].confirmed);
		}
	/* And with nothing seen, nothing lives. */
	tracker_reset(t);
	tr = tracker_update(t, NULL, 0, 0.44);
	assert_int_equal(live_tracks(tr), 0);
	tracker_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_object_keeps_one_id_and_is_confirmed),
		cmocka_unit_test(velocity_is_per_second),
		cmocka_unit_test(fast_mover_is_followed),
		cmocka_unit_test(global_assignment_keeps_ids_where_nearest_first_would_swap),
		cmocka_unit_test(two_objects_passing_each_other_keep_their_ids),
		cmocka_unit_test(two_passing_in_one_blob_keep_their_own_ways),
		cmocka_unit_test(identity_kept_through_dropped_frames),
		cmocka_unit_test(same_behaviour_at_10_and_30_fps),
		cmocka_unit_test(confirmed_track_coasts_max_coast_seconds_then_ends),
		cmocka_unit_test(short_occlusion_keeps_the_id),
		cmocka_unit_test(box_size_is_filtered_and_trusts_a_measurement_more_after_a_gap),
		cmocka_unit_test(small_blobs_start_tracks_only_away_from_objects),
		cmocka_unit_test(small_track_that_moves_steadily_is_confirmed),
		cmocka_unit_test(small_track_confirms_in_time_at_a_low_frame_rate),
		cmocka_unit_test(small_track_is_kept_by_a_faint_blob_where_predicted),
		cmocka_unit_test(faint_blob_clear_of_every_track_starts_one),
		cmocka_unit_test(faint_blob_in_file_with_a_vehicle_starts_one),
		cmocka_unit_test(object_track_takes_a_small_blob_only_where_predicted),
		cmocka_unit_test(tentative_track_ends_at_its_first_miss),
		cmocka_unit_test(single_frame_noise_never_confirms),
		cmocka_unit_test(slots_hold_their_track_for_its_life),
		cmocka_unit_test(body_fragments_join_their_track_instead_of_new_tracks),
		cmocka_unit_test(fragment_inside_the_box_of_an_object_walking_down_joins_it),
		cmocka_unit_test(torso_and_legs_apart_from_the_start_become_one),
		cmocka_unit_test(fragment_inside_the_grown_blob_joins_it),
		cmocka_unit_test(a_side_under_half_an_object_is_a_part_once_its_size_is_known),
		cmocka_unit_test(dark_body_in_pieces_is_one_track_once_one_objects_size_is_known),
		cmocka_unit_test(motorbike_by_a_car_stays_its_own),
		cmocka_unit_test(fragment_two_tracks_could_own_joins_the_one_it_lies_against),
		cmocka_unit_test(a_speck_cannot_jump_onto_a_large_blob),
		cmocka_unit_test(confirmed_track_does_not_take_a_blob_over_4x_its_area),
		cmocka_unit_test(lost_track_does_not_grab_a_far_blob),
		cmocka_unit_test(brief_merge_and_split_keep_ids_on_their_own_sides),
		cmocka_unit_test(long_merge_and_split_keep_ids_on_their_own_sides),
		cmocka_unit_test(tiny_static_track_does_not_join_a_persons_group),
		cmocka_unit_test(smaller_partner_seen_side_by_side_stays_itself_through_a_merge),
		cmocka_unit_test(smaller_part_below_joins_as_a_fragment),
		cmocka_unit_test(seen_apart_joins_only_a_partner_that_is_there),
		cmocka_unit_test(queue_cut_is_taken_only_from_a_track_going_along_it),
		cmocka_unit_test(queue_is_first_cut_only_from_a_track_that_had_all_of_it),
		cmocka_unit_test(queue_cut_on_a_slanted_lane_follows_the_lane),
		cmocka_unit_test(lane_track_rebased_onto_the_cars_behind_keeps_the_cut),
		cmocka_unit_test(car_cut_from_a_queue_waits_in_it_when_the_cut_misses_a_frame),
		cmocka_unit_test(group_going_away_keeps_the_member_behind),
		cmocka_unit_test(member_gone_out_of_the_picture_leaves_the_group),
		cmocka_unit_test(wavering_group_blob_keeps_its_members),
		cmocka_unit_test(part_split_off_at_a_low_frame_rate_keeps_its_parent),
		cmocka_unit_test(part_found_beside_an_object_is_a_partner_only_after_half_a_second_apart),
		cmocka_unit_test(pair_lost_together_comes_back_together),
		cmocka_unit_test(one_of_a_pair_left_behind_the_pillar_is_not_brought_out),
		cmocka_unit_test(one_lost_just_after_its_group_parted_comes_back_into_it),
		cmocka_unit_test(part_never_seen_beside_its_group_is_not_held),
		cmocka_unit_test(group_cut_across_by_a_railing_stays_a_group),
		cmocka_unit_test(torso_and_legs_cut_across_are_one_body),
		cmocka_unit_test(one_lost_for_a_frame_from_a_shrinking_group_is_back_in_it),
		cmocka_unit_test(group_that_faded_and_was_lost_is_taken_whole_again),
		cmocka_unit_test(piece_back_in_its_parent_within_half_a_second_is_a_part),
		cmocka_unit_test(reset_ends_every_track_and_ids_stay_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
