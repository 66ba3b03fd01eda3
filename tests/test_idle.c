/* Idle skipping's gap rule (idle.h): N from the geometry, the speed limit
 * and the measured frame interval, and the decisions frame by frame. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect.h"
#include "idle.h"

#define BAND 0.03

/* cmocka's assert_float_equal takes INFINITY for any number: this does not. */
#define assert_near(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-6)

static const struct regions no_regions;

static struct polygon rect(double x0, double y0, double x1, double y1)
{
	return (struct polygon){4, {(float)x0, (float)x1, (float)x1, (float)x0},
				{(float)y0, (float)y0, (float)y1, (float)y1}};
}

static void gap_is_the_largest_n_strictly_under_the_limit(void **state)
{
	(void)state;
	/* 0.18 s at 30 fps: 5 frames (0.167 s); 6 would be 0.2 s. */
	assert_int_equal(idle_gap_frames(0.18, 1.0 / 30), 5);
	/* Exactly 6 intervals long: strictly under means 5. */
	assert_int_equal(idle_gap_frames(6.0 / 25, 1.0 / 25), 5);
	assert_int_equal(idle_gap_frames(0.1, 0.04), 2);
	/* Less than one frame, or no rate: never skip. */
	assert_int_equal(idle_gap_frames(0.02, 1.0 / 30), 1);
	assert_int_equal(idle_gap_frames(0.0, 1.0 / 30), 1);
	assert_int_equal(idle_gap_frames(0.2, 0.0), 1);
}

static void a_line_touching_the_edge_gives_zero(void **state)
{
	(void)state;
	struct line def = LINE_DEFAULT;
	assert_true(idle_reach(&def, 1, BAND, &no_regions, NULL) == 0.0);
	/* Inside the band of the edge is as good as touching it. */
	struct line near = {0.02f, 0.5f, 0.98f, 0.5f};
	assert_true(idle_reach(&near, 1, BAND, &no_regions, NULL) == 0.0);
}

static void distance_is_to_the_band_of_the_drawn_segment(void **state)
{
	(void)state;
	/* The middle 40% of the width: 0.3 from the side edges, 0.5 from
	 * top and bottom; the band takes 0.03 off. */
	struct line seg = {0.3f, 0.5f, 0.7f, 0.5f};
	assert_near(idle_reach(&seg, 1, BAND, &no_regions, NULL), 0.27);
	/* Vertical, 0.2 short of top and bottom. */
	struct line v = {0.5f, 0.8f, 0.5f, 0.2f};
	assert_near(idle_reach(&v, 1, BAND, &no_regions, NULL), 0.17);
	/* A diagonal one: its end (0.25, 0.25) is 0.25 from two edges. */
	struct line diag = {0.25f, 0.25f, 0.6f, 0.6f};
	assert_near(idle_reach(&diag, 1, BAND, &no_regions, NULL), 0.22);
}

static void the_closest_line_decides(void **state)
{
	(void)state;
	struct line lines[2] = {{0.3f, 0.5f, 0.7f, 0.5f}, {0.5f, 0.9f, 0.5f, 0.15f}};
	int closest = -1;
	assert_near(idle_reach(lines, 2, BAND, &no_regions, &closest), 0.07);
	assert_int_equal(closest, 1);
}

/* With roi= objects come into sight at its edges, not the picture's. */
static void roi_edges_replace_the_picture_edges(void **state)
{
	(void)state;
	struct line seg = {0.3f, 0.5f, 0.7f, 0.5f};
	struct regions r = {.nroi = 1};
	r.roi[0] = rect(0.2, 0.1, 0.8, 0.9);
	assert_near(idle_reach(&seg, 1, BAND, &r, NULL), 0.07);
	/* A roi around the whole picture changes nothing... */
	r.roi[0] = rect(0.0, 0.0, 1.0, 1.0);
	assert_near(idle_reach(&seg, 1, BAND, &r, NULL), 0.27);
	/* ... and an edge-to-edge line inside a small roi is 0 only if it
	 * reaches the roi's edge: it does. */
	struct line def = LINE_DEFAULT;
	r.roi[0] = rect(0.2, 0.2, 0.8, 0.8);
	assert_true(idle_reach(&def, 1, BAND, &r, NULL) == 0.0);
}

/* Something can come out from under a mask= as from an edge. */
static void mask_edges_count_too(void **state)
{
	(void)state;
	struct line seg = {0.3f, 0.5f, 0.7f, 0.5f};
	struct regions r = {.nmask = 1};
	r.mask[0] = rect(0.45, 0.6, 0.55, 0.7);
	assert_near(idle_reach(&seg, 1, BAND, &r, NULL), 0.07);
}

/* Feeds frames at times t[0..n) with no activity after the first
 * `busy_until` seconds; returns the longest time between two decoded
 * frames once idle, and counts the skips. */
struct run {
	int skipped;
	double longest;   /* between two decoded frames */
	int decoded_at[4096];
	int ndecoded;
};

static void feed(struct idle *s, const double *t, int n, double busy_until, struct run *out)
{
	double last = -1.0;
	*out = (struct run){0};
	for (int i = 0; i < n; i++) {
		if (idle_skip(s, t[i])) {
			out->skipped++;
			continue;
		}
		if (last >= 0.0 && t[i] - last > out->longest)
			out->longest = t[i] - last;
		last = t[i];
		if (out->ndecoded < 4096)
			out->decoded_at[out->ndecoded++] = i;
		idle_decoded(s, t[i], t[i] < busy_until);
	}
}

static void steady_rate_decodes_one_in_n_after_the_hold(void **state)
{
	(void)state;
	static double t[300];
	static struct run r;
	struct idle s;
	for (int i = 0; i < 300; i++)
		t[i] = i / 30.0;
	idle_init(&s, true, 0.27 / 1.5, 30.0);
	assert_int_equal(s.n, 5);
	feed(&s, t, 300, 0.0, &r);
	/* Every frame for the first second (the hold), then one in five. */
	for (int k = 0; k <= 30; k++)
		assert_int_equal(r.decoded_at[k], k);
	for (int k = 31; k < r.ndecoded; k++)
		assert_int_equal(r.decoded_at[k] - r.decoded_at[k - 1], 5);
	assert_true(r.longest < 0.18);
	assert_true(r.skipped > 200);
}

/* The forecast the inference thread waits on (idle_frames_ahead): at a
 * steady rate, of the next K frames the first K - 1 are skipped and the
 * K-th decoded, exactly; 1 while every frame is decoded (the hold, busy). */
static void frames_ahead_forecasts_the_next_decoded_frame(void **state)
{
	(void)state;
	struct idle s;
	int checked = 0, batched = 0;
	idle_init(&s, true, 0.27 / 1.5, 30.0);
	assert_int_equal(idle_frames_ahead(&s), 1); /* no frame yet */
	for (int i = 0; i < 600;) {
		int k = idle_frames_ahead(&s);
		assert_true(k >= 1 && k <= s.n);
		for (int j = 1; j <= k; j++, i++) {
			double t = i / 30.0;
			bool busy = t < 2.0 || (t >= 10.0 && t < 11.0);
			bool skip = idle_skip(&s, t);
			/* Skipped exactly up to the forecast, which is decoded. */
			assert_int_equal(skip, j < k);
			if (skip)
				continue;
			idle_decoded(&s, t, busy);
			if (busy) /* seen busy: every frame again */
				assert_int_equal(idle_frames_ahead(&s), 1);
		}
		checked++;
		batched += k > 1;
	}
	assert_true(batched > 50); /* idle most of the time: runs of 5 */
	assert_true(checked < 300);
	/* Off, or N = 1: one at a time. */
	idle_init(&s, false, 0.27 / 1.5, 30.0);
	for (int i = 0; i < 90; i++) {
		assert_false(idle_skip(&s, i / 30.0));
		idle_decoded(&s, i / 30.0, false);
		assert_int_equal(idle_frames_ahead(&s), 1);
	}
}

/* The same geometry at 15 fps: N comes from time, so it is 2, not 5. */
static void n_follows_time_not_frames(void **state)
{
	(void)state;
	static double t[300];
	static struct run r;
	struct idle s;
	for (int i = 0; i < 300; i++)
		t[i] = i / 15.0;
	idle_init(&s, true, 0.27 / 1.5, 15.0);
	feed(&s, t, 300, 0.0, &r);
	assert_int_equal(s.n, 2);
	assert_true(r.longest < 0.18);
	assert_true(r.skipped > 100);
}

/* Foreground in a decoded frame: every frame again, at once, until the
 * scene has been empty for the hold time. */
static void activity_wakes_at_once_and_holds(void **state)
{
	(void)state;
	struct idle s;
	int i = 0;
	idle_init(&s, true, 0.18, 30.0);
	for (; i < 100; i++)
		if (!idle_skip(&s, i / 30.0))
			idle_decoded(&s, i / 30.0, false);
	assert_true(s.idle);
	/* The next decoded frame shows something. */
	while (idle_skip(&s, i / 30.0))
		i++;
	idle_decoded(&s, i / 30.0, true);
	int woke = i++;
	/* Every frame of the next second is decoded; then it is idle again. */
	for (; !s.idle; i++) {
		assert_false(idle_skip(&s, i / 30.0));
		idle_decoded(&s, i / 30.0, false);
	}
	assert_in_range(i - woke, 30, 32);
	assert_true(idle_skip(&s, i / 30.0));
	/* A restart of tracking (a source back after a loss) wakes it too. */
	idle_wake(&s, i / 30.0);
	assert_false(idle_skip(&s, ++i / 30.0));
}

/* A UVC camera halving its rate in the dark: N follows at once, so no gap
 * between decoded frames reaches the limit. */
static void a_slower_rate_lowers_n_at_once(void **state)
{
	(void)state;
	static double t[600];
	static struct run r;
	struct idle s;
	for (int i = 0; i < 600; i++)
		t[i] = i < 200 ? i / 30.0 : 200 / 30.0 + (i - 200) / 15.0;
	idle_init(&s, true, 0.18, 30.0);
	feed(&s, t, 600, 0.0, &r);
	assert_int_equal(s.n, 2);
	assert_true(r.longest < 0.18);
	/* And back up: over some frames it returns to 5. */
	for (int i = 0; i < 100; i++)
		t[i] = t[599] + (i + 1) / 30.0;
	feed(&s, t, 100, 0.0, &r);
	assert_int_equal(s.n, 5);
	assert_true(r.longest < 0.18);
}

/* Live timestamps that wander: never a gap at or over the limit. */
static void jittery_timestamps_never_exceed_the_limit(void **state)
{
	(void)state;
	static double t[3000];
	static struct run r;
	struct idle s;
	uint32_t x = 12345;
	t[0] = 0.0;
	for (int i = 1; i < 3000; i++) {
		x = x * 1664525u + 1013904223u;
		t[i] = t[i - 1] + 0.025 + 0.02 * (double)(x >> 8) / (double)(1u << 24);
	}
	idle_init(&s, true, 0.18, 30.0);
	feed(&s, t, 3000, 0.0, &r);
	assert_true(r.longest < 0.18);
	assert_true(r.skipped > 1000);
}

static void off_or_n_one_never_skips(void **state)
{
	(void)state;
	struct idle s;
	idle_init(&s, false, 0.18, 30.0);
	for (int i = 0; i < 200; i++) {
		assert_false(idle_skip(&s, i / 30.0));
		idle_decoded(&s, i / 30.0, false);
	}
	idle_init(&s, true, 0.0, 30.0); /* a line touching the edge */
	assert_int_equal(s.n, 1);
	for (int i = 0; i < 200; i++) {
		assert_false(idle_skip(&s, i / 30.0));
		idle_decoded(&s, i / 30.0, false);
	}
}

/* The detector and tracker take a step over 2 s as a clock jump: a slow
 * max_speed must not make gaps that long. */
static void gap_never_exceeds_the_cap(void **state)
{
	(void)state;
	struct idle s;
	idle_init(&s, true, 0.47 / 0.05, 30.0);
	assert_true(s.n * (1.0 / 30.0) < IDLE_MAX_GAP_SECONDS);
	assert_int_equal(s.n, 29);
}

/* The background model (detect.c) runs on seconds, not frames: one that
 * sees one frame in five while idle learns as fast, in time, as one that
 * sees them all, and its noise scale stays sound. A patch of light
 * brightening 10 levels a second (a cloud's shadow leaving) stays
 * background in both, with sensor noise; then an object appears and both
 * see it. (A model learning per frame lags five times more, in time, in
 * the one that skips, and the patch comes out as a blob there.) */
#define DW 160
#define DH 120

static uint32_t rng = 777;

static float noise(void)
{
	float s = 0;
	for (int i = 0; i < 4; i++) {
		rng = rng * 1664525u + 1013904223u;
		s += (float)(rng >> 8) / (float)(1u << 24) - 0.5f;
	}
	return s * 1.732f * 2.0f; /* sigma about 2 */
}

static void render(uint8_t *px, double t, bool object)
{
	float ramp = t > 2.0 ? (float)(t - 2.0) * 10.0f : 0.0f;
	for (int y = 0; y < DH; y++)
		for (int x = 0; x < DW; x++) {
			float v = 90 + 30 * sinf(x * 0.11f) * cosf(y * 0.07f);
			if (x >= 100 && x < 140 && y >= 20 && y < 60)
				v += ramp;
			if (object && x >= 30 && x < 55 && y >= 60 && y < 90)
				v += 45;
			v += noise();
			px[y * DW + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
		}
}

static void background_model_keeps_time_across_skipped_frames(void **state)
{
	(void)state;
	static uint8_t px[DW * DH];
	struct detect_params p = DETECT_PARAMS_DEFAULT;
	struct detector *every, *skipping;
	struct blob b[DETECT_MAX_BLOBS];
	int n;

	p.fps = 30.0f;
	assert_int_equal(detector_create(DW, DH, &p, &every), 0);
	assert_int_equal(detector_create(DW, DH, &p, &skipping), 0);
	int f = 0;
	for (; f < 8 * 30; f++) {
		double t = f / 30.0;
		struct gray g = {px, DW, DH};
		render(px, t, false);
		detector_process(every, &g, t, b, &n);
		assert_int_equal(n, 0);
		/* Every frame for 2 s, then one in five: what idle skipping does. */
		if (t < 2.0 || f % 5 == 0) {
			detector_process(skipping, &g, t, b, &n);
			assert_int_equal(n, 0);
		}
	}
	for (int k = 0; k < 2; k++, f++) {
		double t = f / 30.0;
		struct gray g = {px, DW, DH};
		render(px, t, true);
		detector_process(every, &g, t, b, &n);
		assert_int_equal(n, 1);
		assert_true(fabs(b[0].cx - 42.5 / DW) < 0.03 && fabs(b[0].cy - 75.0 / DH) < 0.03);
		detector_process(skipping, &g, t, b, &n);
		assert_int_equal(n, 1);
		assert_true(fabs(b[0].cx - 42.5 / DW) < 0.03 && fabs(b[0].cy - 75.0 / DH) < 0.03);
	}
	detector_destroy(every);
	detector_destroy(skipping);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gap_is_the_largest_n_strictly_under_the_limit),
		cmocka_unit_test(a_line_touching_the_edge_gives_zero),
		cmocka_unit_test(distance_is_to_the_band_of_the_drawn_segment),
		cmocka_unit_test(the_closest_line_decides),
		cmocka_unit_test(roi_edges_replace_the_picture_edges),
		cmocka_unit_test(mask_edges_count_too),
		cmocka_unit_test(steady_rate_decodes_one_in_n_after_the_hold),
		cmocka_unit_test(frames_ahead_forecasts_the_next_decoded_frame),
		cmocka_unit_test(n_follows_time_not_frames),
		cmocka_unit_test(activity_wakes_at_once_and_holds),
		cmocka_unit_test(a_slower_rate_lowers_n_at_once),
		cmocka_unit_test(jittery_timestamps_never_exceed_the_limit),
		cmocka_unit_test(off_or_n_one_never_skips),
		cmocka_unit_test(gap_never_exceeds_the_cap),
		cmocka_unit_test(background_model_keeps_time_across_skipped_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
