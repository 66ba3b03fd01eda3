/* Detector on synthetic gray frames at 160x120 with noise, times in
 * seconds: objects large and small, dark on dark and low contrast, and the
 * things that are not motion (exposure, sway, drift, a scene cut, a
 * shadow). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect.h"

#define W 160
#define H 120

static uint32_t rng = 12345;

static float noise(void)
{
	/* Sum of uniforms: close enough to Gaussian with sigma ~ 1. */
	float s = 0;
	for (int i = 0; i < 4; i++) {
		rng = rng * 1664525u + 1013904223u;
		s += (float)(rng >> 8) / (float)(1u << 24) - 0.5f;
	}
	return s * 1.732f;
}

static uint8_t clamp(float v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5f);
}

enum scene { TEXTURED, MILD, DARK_FLOOR, OTHER, OTHER_SAME_MEAN };

/* The background at (x, y) in pixels, continuous in x and y: smooth
 * texture plus hard-edged tiles, so a shift of a pixel changes pixels. */
static float background(enum scene s, float x, float y)
{
	switch (s) {
	case TEXTURED: {
		float v = 90 + 40 * sinf(x * 0.11f) * cosf(y * 0.07f) + 20 * sinf((x + y) * 0.3f);
		if (((int)floorf(x / 16) + (int)floorf(y / 16)) % 3 == 0)
			v += 30;
		return v;
	}
	case MILD:
		/* A floor with texture of about a level a pixel. */
		return 90 + 10 * sinf(x * 0.1f) * cosf(y * 0.08f);
	case DARK_FLOOR:
		return 40 + 3 * sinf(x * 0.2f) * sinf(y * 0.17f);
	case OTHER_SAME_MEAN:
		return 95 + 50 * cosf(x * 0.05f + y * 0.13f) + ((int)(x / 10) % 2 ? 25 : -25);
	case OTHER:
	default:
		return 150 + 60 * cosf(x * 0.05f + y * 0.13f) + ((int)(x / 10) % 2 ? 25 : -25);
	}
}

struct rect {
	float x0, y0, x1, y1; /* pixels; empty when x1 <= x0 */
	float value;          /* absolute gray level, or... */
	float above;          /* ...if nonzero, this much above the background, or... */
	float scale;          /* ...if positive, the background times this (a shadow); if
			       * negative, a texture of its own (OTHER_SAME_MEAN's) times -scale */
};

static float background(enum scene s, float x, float y);

/* What r makes of the background (or of what is under it) b at (x, y) inside it. */
static float paint(const struct rect *r, float b, float x, float y)
{
	if (r->scale > 0)
		return b * r->scale;
	if (r->scale < 0)
		return -r->scale * background(OTHER_SAME_MEAN, x, y);
	return r->above != 0 ? b + r->above : r->value;
}

/* A frame: scene shifted by dx pixels (the camera moved left by dx),
 * times gain, an optional object, noise sigma. Each pixel is the mean of
 * four samples, as a lens and a sensor blur an edge. */
static void render_objects(uint8_t *px, enum scene s, float dx, float gain, const struct rect *o,
			   int no, float sigma)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			float v = 0;
			for (int k = 0; k < 4; k++) {
				float sx = x + 0.25f + 0.5f * (k & 1) + dx, sy = y + 0.25f + 0.5f * (k >> 1);
				float b = background(s, sx, sy);
				for (int j = 0; j < no; j++) /* in order: a shadow first, then its caster */
					if (x >= o[j].x0 && x < o[j].x1 && y >= o[j].y0 && y < o[j].y1)
						b = paint(&o[j], b, sx, sy);
				v += b;
			}
			px[y * W + x] = clamp(gain * v / 4 + sigma * noise());
		}
}

static void render(uint8_t *px, enum scene s, float dx, float gain, const struct rect *o, float sigma)
{
	render_objects(px, s, dx, gain, o, o ? 1 : 0, sigma);
}

static struct detector *make_fps(float fps, float absorb)
{
	struct detect_params p = DETECT_PARAMS_DEFAULT;
	p.fps = fps;
	if (absorb > 0)
		p.absorb_seconds = absorb;
	struct detector *d;
	assert_int_equal(detector_create(W, H, &p, &d), 0);
	return d;
}

static struct detector *make(void)
{
	return make_fps(25, 0);
}

/* With shadow suppression (shadows=1), which is off by default. */
static struct detector *make_shadows(void)
{
	struct detect_params p = DETECT_PARAMS_DEFAULT;
	p.shadows = true;
	struct detector *d;
	assert_int_equal(detector_create(W, H, &p, &d), 0);
	return d;
}

struct clock {
	double now, dt;
};

/* One frame; returns the blobs of object size (the small ones, which only a
 * far object's track may take, are dropped here: most tests are about
 * objects), largest first, in b. */
static int run(struct detector *d, struct clock *c, uint8_t *px, struct blob *b)
{
	struct gray g = {px, W, H};
	int n, k = 0;
	detector_process(d, &g, c->now, b, &n);
	c->now += c->dt;
	for (int i = 0; i < n; i++)
		if (!b[i].small)
			b[k++] = b[i];
	return k;
}

/* The empty scene for some seconds: the background to learn. */
static void learn(struct detector *d, struct clock *c, enum scene s, float sigma, double seconds)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	for (double end = c->now + seconds; c->now < end;) {
		render(px, s, 0, 1.0f, NULL, sigma);
		run(d, c, px, b);
	}
}

/* Share of r (clipped to the frame) covered by the blob's box. */
static float box_cover(const struct blob *b, const struct rect *r)
{
	float rx0 = fmaxf(r->x0, 0) / W, rx1 = fminf(r->x1, W) / W;
	float ry0 = fmaxf(r->y0, 0) / H, ry1 = fminf(r->y1, H) / H;
	float ix = fminf(rx1, b->x1) - fmaxf(rx0, b->x0), iy = fminf(ry1, b->y1) - fmaxf(ry0, b->y0);
	if (ix <= 0 || iy <= 0 || rx1 <= rx0 || ry1 <= ry0)
		return 0;
	return ix * iy / ((rx1 - rx0) * (ry1 - ry0));
}

static void static_noisy_scene_has_no_blobs(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	for (int f = 0; f < 100; f++) {
		render(px, TEXTURED, 0, 1.0f, NULL, 4.0f);
		assert_int_equal(run(d, &c, px, b), 0);
	}
	detector_destroy(d);
}

static void moving_square_is_one_blob_at_its_place(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 3.0f, 1.0);
	for (int f = 0; f < 40; f++) {
		int x = 60, y = 10 + 2 * f;
		struct rect o = {x, y, x + 20, y + 20, 220, 0, 0};
		render(px, TEXTURED, 0, 1.0f, &o, 3.0f);
		int n = run(d, &c, px, b);
		assert_int_equal(n, 1);
		assert_float_equal(b[0].cx, (x + 10) / (float)W, 0.02);
		assert_float_equal(b[0].cy, (y + 10) / (float)H, 0.03);
		/* 20x20 of 160x120, give or take the cleanup's one-pixel dilation. */
		assert_true(b[0].area > 0.8f * 400 / (W * H) && b[0].area < 1.4f * 484 / (W * H));
	}
	detector_destroy(d);
}

/* Under the smallest object size, down to half of it, a blob comes out
 * marked small; down to a quarter, small and faint (last); under that,
 * not at all. */
static void blobs_under_the_object_size_come_out_marked_small(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	struct gray g = {px, W, H};
	int n;
	learn(d, &c, TEXTURED, 3.0f, 1.0);
	/* min_area 0.002 of 160x120 = 38 px; the closing adds a pixel all
	 * round: squares of 3, 7, 2 and 1 px come out as 25 (small), 81 (an
	 * object), 16 (faint) and nothing. */
	render(px, TEXTURED, 0, 1.0f, NULL, 3.0f);
	for (int y = 30; y < 33; y++)
		memset(px + y * W + 21, 240, 3);
	for (int y = 30; y < 37; y++)
		memset(px + y * W + 80, 240, 7);
	for (int y = 80; y < 82; y++)
		memset(px + y * W + 50, 240, 2);
	px[90 * W + 130] = 240;
	detector_process(d, &g, c.now, b, &n);
	int small = 0, whole = 0, faint = 0;
	for (int i = 0; i < n; i++) {
		if (b[i].faint) {
			faint++;
			assert_true(b[i].small);
			assert_int_equal(i, n - 1);
			assert_float_equal(b[i].cx, 51.0f / W, 0.02);
		} else if (b[i].small) {
			small++;
			assert_float_equal(b[i].cx, 22.5f / W, 0.02);
		} else {
			whole++;
			assert_float_equal(b[i].cx, 83.5f / W, 0.02);
		}
	}
	assert_int_equal(small, 1);
	assert_int_equal(whole, 1);
	assert_int_equal(faint, 1);
	detector_destroy(d);
}

static void two_separate_squares_are_two_blobs(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 3.0f, 1.0);
	struct rect o = {20, 40, 40, 60, 220, 0, 0};
	render(px, TEXTURED, 0, 1.0f, &o, 3.0f);
	for (int y = 40; y < 60; y++)
		memset(px + y * W + 110, 10, 16); /* a dark one too */
	assert_int_equal(run(d, &c, px, b), 2);
	assert_true(b[0].area >= b[1].area);
	detector_destroy(d);
}

/* Two cars nose to tail, a strip of floor two pixels wide between them,
 * which the edge cue and the closing bridge: the blob is cut at the strip
 * into the two, marked as parts of one queue, cut across rows. */
static void queue_nose_to_tail_is_cut_at_the_strip_of_floor(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, MILD, 2.0f, 1.0);
	struct rect o[2] = {{60, 20, 76, 50, 200, 0, 0}, {60, 52, 76, 82, 190, 0, 0}};
	render_objects(px, MILD, 0, 1.0f, o, 2, 2.0f);
	assert_int_equal(run(d, &c, px, b), 2);
	assert_int_not_equal(b[0].queue, 0);
	assert_int_equal(b[0].queue, b[1].queue);
	/* along the picture's height, the cars' length */
	assert_float_equal(fabsf(b[0].queue_ay), 1.0f, 0.01);
	assert_float_equal(fabsf(b[1].queue_ay), 1.0f, 0.01);
	float top = fminf(b[0].cy, b[1].cy), bottom = fmaxf(b[0].cy, b[1].cy);
	assert_float_equal(top, 35.0f / H, 0.03);
	assert_float_equal(bottom, 67.0f / H, 0.03);
	detector_destroy(d);
}

/* The same two cars on a lane that recedes at a slant in the picture (30
 * degrees from its height), their ends and the strip between them across
 * the picture as a lane's are: the pair's box is not long for its width,
 * the pair is along its slant, and is cut at the strip into the two. */
static void queue_on_a_slanted_lane_is_cut(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	const float slant = 0.577f; /* tan 30 degrees: columns per row */
	const float cx[2] = {60, 76.2f}, cy[2] = {30, 58};
	learn(d, &c, MILD, 2.0f, 1.0);
	render(px, MILD, 0, 1.0f, NULL, 2.0f);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			for (int k = 0; k < 2; k++) {
				float dy = (float)y + 0.5f - cy[k];
				float dx = (float)x + 0.5f - (cx[k] + slant * dy);
				if (fabsf(dy) <= 13.0f && fabsf(dx) <= 6.0f)
					px[y * W + x] = (uint8_t)(200 - 10 * k);
			}
	assert_int_equal(run(d, &c, px, b), 2);
	assert_int_not_equal(b[0].queue, 0);
	assert_int_equal(b[0].queue, b[1].queue);
	/* the lane's direction in normalised coordinates */
	float nx = slant / W, ny = 1.0f / H, nn = hypotf(nx, ny);
	assert_float_equal(fabsf(b[0].queue_ax), nx / nn, 0.05);
	assert_float_equal(fabsf(b[0].queue_ay), ny / nn, 0.05);
	/* and its width across the lane: 12 columns, 10.4 pixels across (and
	 * what the closing adds at its edges) */
	float ux = slant / hypotf(slant, 1.0f), uy = 1.0f / hypotf(slant, 1.0f);
	float px_wide = b[0].queue_wide / hypotf(uy / W, ux / H);
	assert_true(px_wide >= 10.0f && px_wide <= 16.0f);
	int top = b[0].cy < b[1].cy ? 0 : 1;
	for (int k = 0; k < 2; k++) {
		assert_float_equal(b[top ^ k].cx, cx[k] / W, 0.03);
		assert_float_equal(b[top ^ k].cy, cy[k] / H, 0.03);
	}
	detector_destroy(d);
}

/* Two cars nose to tail in a lane seen by a camera that is not level
 * (rolled 12 degrees): their ends and the strip of floor between them (2
 * pixels) are square to the lane, not to the picture, so no row is clear
 * of car. The blob is cut at the strip into the two all the same. */
static void queue_seen_by_a_tilted_camera_is_cut(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	const float ux = 0.2079f, uy = 0.9781f; /* along the lane: sin, cos 12 degrees */
	const float mx = 70, my = 55, half_len = 16.0f, half_wide = 8.0f, gap = 2.0f;
	learn(d, &c, MILD, 2.0f, 1.0);
	render(px, MILD, 0, 1.0f, NULL, 2.0f);
	float cx[2], cy[2];
	for (int k = 0; k < 2; k++) {
		float along = (k ? 1.0f : -1.0f) * (half_len + gap / 2);
		cx[k] = mx + along * ux;
		cy[k] = my + along * uy;
	}
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			for (int k = 0; k < 2; k++) {
				float dx = (float)x + 0.5f - cx[k], dy = (float)y + 0.5f - cy[k];
				float u = dx * ux + dy * uy, v = dx * uy - dy * ux;
				if (fabsf(u) <= half_len && fabsf(v) <= half_wide)
					px[y * W + x] = (uint8_t)(200 - 10 * k);
			}
	assert_int_equal(run(d, &c, px, b), 2);
	assert_int_not_equal(b[0].queue, 0);
	assert_int_equal(b[0].queue, b[1].queue);
	int top = b[0].cy < b[1].cy ? 0 : 1;
	for (int k = 0; k < 2; k++) {
		assert_float_equal(b[top ^ k].cx, cx[k] / W, 0.03);
		assert_float_equal(b[top ^ k].cy, cy[k] / H, 0.03);
	}
	detector_destroy(d);
}

/* A lorry's cab, shorter than wide, behind the same strip in front of
 * its trailer is not an object of its own: one blob. So is a blob that is
 * not long for its width, and one whose parts are not both foreground by
 * brightness. */
static void what_is_not_a_queue_stays_one_blob(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, MILD, 2.0f, 1.0);
	struct rect o[2] = {{60, 20, 76, 66, 200, 0, 0}, {60, 68, 76, 80, 190, 0, 0}};
	render_objects(px, MILD, 0, 1.0f, o, 2, 2.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	assert_int_equal(b[0].queue, 0);
	/* two squares one above the other: parts not long for their width */
	struct rect sq[2] = {{60, 20, 84, 44, 200, 0, 0}, {60, 46, 84, 70, 190, 0, 0}};
	render_objects(px, MILD, 0, 1.0f, sq, 2, 2.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	assert_int_equal(b[0].queue, 0);
	/* long parts, but the whole is not long for its box's width: arms
	 * held out (someone standing, a belt the colour of the floor) */
	struct rect arms[3] = {{60, 20, 72, 50, 200, 0, 0}, {46, 33, 86, 36, 200, 0, 0},
			       {60, 52, 72, 82, 190, 0, 0}};
	render_objects(px, MILD, 0, 1.0f, arms, 3, 2.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	assert_int_equal(b[0].queue, 0);
	detector_destroy(d);
}

/* A dark person (25) on a dark floor (40), noise 2, covering a share of
 * the frame (80% of its height), walking across it in 2 s. In every frame
 * where most of them is in view, a blob's box covers most of them, and the
 * exposure gain is not dragged down by them. */
static void large_dark_object_on_dark_floor(float share)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, DARK_FLOOR, 2.0f, 2.0);
	const float ow = share / 0.8f * W, oh = 0.8f * H;
	int checked = 0;
	for (float x = -ow; x < W; x += (W + ow) / 50.0f) {
		struct rect o = {x, 0.1f * H, x + ow, 0.1f * H + oh, 25, 0, 0};
		render(px, DARK_FLOOR, 0, 1.0f, &o, 2.0f);
		int n = run(d, &c, px, b);
		assert_float_equal(detector_gain(d), 1.0f, 0.05f);
		float visible = (fminf(o.x1, W) - fmaxf(o.x0, 0)) / ow;
		if (visible < 0.5f)
			continue;
		checked++;
		float best = 0;
		for (int i = 0; i < n; i++)
			best = fmaxf(best, box_cover(&b[i], &o));
		if (best < 0.7f)
			print_message("share %.2f x %.1f: %d blobs, best cover %.2f\n", share, x, n, best);
		assert_true(best >= 0.7f);
	}
	assert_true(checked >= 15);
	detector_destroy(d);
}

static void dark_object_on_dark_floor_30_percent(void **state)
{
	(void)state;
	large_dark_object_on_dark_floor(0.30f);
}

static void dark_object_on_dark_floor_45_percent(void **state)
{
	(void)state;
	large_dark_object_on_dark_floor(0.45f);
}

static void dark_object_on_dark_floor_60_percent(void **state)
{
	(void)state;
	large_dark_object_on_dark_floor(0.60f);
}

/* An object only 12 levels above a textured floor, noise 2. */
static void low_contrast_object_is_detected(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, MILD, 2.0f, 2.0);
	int found = 0, frames = 0;
	for (int f = 0; f < 40; f++, frames++) {
		float y = 10 + 2.0f * f;
		struct rect o = {60, y, 84, y + 24, 0, 12, 0};
		render(px, MILD, 0, 1.0f, &o, 2.0f);
		int n = run(d, &c, px, b);
		for (int i = 0; i < n; i++)
			if (box_cover(&b[i], &o) > 0.5f) {
				found++;
				break;
			}
	}
	if (found < frames * 9 / 10)
		print_message("low contrast: found in %d of %d frames\n", found, frames);
	assert_true(found >= frames * 9 / 10);
	detector_destroy(d);
}

static void global_exposure_change_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 3.0f, 1.5);
	/* Auto-exposure darkens everything to 0.6 in one frame and stays there. */
	for (int f = 0; f < 75; f++) {
		render(px, TEXTURED, 0, 0.6f, NULL, 3.0f);
		assert_int_equal(run(d, &c, px, b), 0);
	}
	assert_float_equal(detector_gain(d), 0.6f, 0.05f);
	/* A moving object is still found under the new exposure. */
	struct rect o = {70, 50, 90, 70, 220, 0, 0};
	render(px, TEXTURED, 0, 0.6f, &o, 3.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	detector_destroy(d);
}

/* Auto-exposure raises the gain to 1.9 for three seconds (a door opened
 * to daylight, exposure hunting): over half the floor clips at white
 * (which a median of ratios alone would be pulled down by). A clipped pixel says only that the floor there is at least that
 * bright: it is no motion, it does not pull the gain down, and the model
 * does not learn the clipped level (so when the gain comes back, the
 * floor is the floor). A moving object is still found meanwhile. */
static void exposure_raised_until_the_floor_clips_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, OTHER, 3.0f, 1.5);
	int clipped = 0;
	render(px, OTHER, 0, 1.9f, NULL, 3.0f);
	for (int i = 0; i < W * H; i++)
		clipped += px[i] == 255;
	assert_true(clipped > W * H / 2);
	for (int f = 0; f < 75; f++) {
		render(px, OTHER, 0, 1.9f, NULL, 3.0f);
		assert_int_equal(run(d, &c, px, b), 0);
		assert_float_equal(detector_gain(d), 1.9f, 0.095f);
	}
	struct rect o = {70, 50, 90, 70, 20, 0, 0};
	render(px, OTHER, 0, 1.9f, &o, 3.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	for (int f = 0; f < 25; f++) {
		render(px, OTHER, 0, 1.0f, NULL, 3.0f);
		assert_int_equal(run(d, &c, px, b), 0);
		assert_float_equal(detector_gain(d), 1.0f, 0.05f);
	}
	detector_destroy(d);
}

static void camera_sway_of_one_pixel_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 1.5);
	/* A pole in the wind: back and forth by a pixel, for 5 s. */
	for (int f = 0; f < 125; f++) {
		float dx = (f / 3) % 2 ? 1.0f : (f / 3) % 4 == 0 ? 0.0f : -1.0f;
		render(px, TEXTURED, dx, 1.0f, NULL, 2.0f);
		int n = run(d, &c, px, b);
		if (n)
			print_message("sway frame %d dx %.0f: %d blobs, first %.3f at %.2f,%.2f\n", f, dx, n, b[0].area, b[0].cx, b[0].cy);
		assert_int_equal(n, 0);
	}
	detector_destroy(d);
}

/* A pole in a stronger wind: three pixels each way at 0.7 Hz, beyond what
 * the neighbourhood match covers. The frame's shift against the model is
 * found and taken out: no foreground from the sway, and an object that
 * walks in meanwhile is found where it is in the frame. */
static void camera_sway_of_three_pixels_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 1.5);
	int sx, sy, seen = 0;
	for (int f = 0; f < 150; f++) {
		float dx = roundf(3.0f * sinf(2.0f * 3.14159265f * 0.7f * (float)c.now));
		struct rect o = {0, 45, 0, 75, 200, 0, 0};
		if (f >= 100) { /* someone walks in on the left */
			o.x0 = 10 + (float)(f - 100);
			o.x1 = o.x0 + 14;
		}
		render(px, TEXTURED, dx, 1.0f, f >= 100 ? &o : NULL, 2.0f);
		int n = run(d, &c, px, b);
		detector_shift(d, &sx, &sy);
		if (f < 100) {
			if (n)
				print_message("sway frame %d dx %.0f shift %d: %d blobs, first %.4f at %.2f,%.2f\n",
					      f, dx, sx, n, b[0].area, b[0].cx, b[0].cy);
			assert_int_equal(n, 0);
		} else if (n == 1) {
			/* The object's own place in the frame, whatever the shift. */
			assert_true(box_cover(&b[0], &o) > 0.8f);
			assert_float_equal(b[0].cx, (o.x0 + o.x1) / 2 / W, 1.5f / W);
			seen++;
		}
		assert_int_equal(sy, 0);
	}
	assert_true(seen > 40);
	detector_destroy(d);
}

static void slow_drift_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 1.5);
	/* A camera settling: 1 px per second for 12 s. */
	for (int f = 0; f < 300; f++) {
		render(px, TEXTURED, (float)f * 0.04f, 1.0f, NULL, 2.0f);
		assert_int_equal(run(d, &c, px, b), 0);
	}
	detector_destroy(d);
}

/* A light slowly coming up over a third of the picture (+24 levels in
 * 12 s), at 10 fps from a camera configured as 25: the background follows
 * it at learn_seconds in seconds, so it is never motion. */
static void slow_local_light_change_is_not_motion(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.1};
	learn(d, &c, MILD, 2.0f, 2.0);
	for (int f = 0; f < 120; f++) {
		struct rect o = {0, 0, W / 3.0f, H, 0, 0.2f * (float)f, 0};
		render(px, MILD, 0, 1.0f, f ? &o : NULL, 2.0f);
		int n = run(d, &c, px, b);
		if (n)
			print_message("light frame %d: %d blobs, first %.3f\n", f, n, b[0].area);
		assert_int_equal(n, 0);
	}
	detector_destroy(d);
}

/* At 10 fps from a camera configured as 25: the times are seconds. */
static void scene_cut(enum scene other)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.1};
	learn(d, &c, TEXTURED, 2.0f, 2.0);
	double cut = c.now;
	int late = 0;
	while (c.now < cut + 5.0) {
		double t = c.now;
		render(px, other, 0, 1.0f, NULL, 2.0f);
		int n = run(d, &c, px, b);
		if (t >= cut + 2.0)
			late += n;
		if (n && getenv("DET_DEBUG")) {
			int fg = 0;
			for (int i = 0; i < W * H; i++)
				fg += detector_mask(d)[i];
			print_message("cut +%.2f s: %d blobs, mask %.2f, gain %.2f\n", t - cut, n, fg / (float)(W * H), detector_gain(d));
		}
	}
	assert_int_equal(late, 0);
	/* And the new scene works: an object in it is found. */
	struct rect o = {70, 50, 90, 70, 10, 0, 0};
	render(px, other, 0, 1.0f, &o, 2.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	detector_destroy(d);
}

/* A cut to a picture of about the same brightness. */
static void scene_cut_is_relearnt_within_two_seconds(void **state)
{
	(void)state;
	scene_cut(OTHER_SAME_MEAN);
}

/* EXPOSES A BUG (fails at 2c7f42c): a cut to a brighter picture. On the
 * first frame after the cut every pixel was background a frame ago, so
 * estimate_gain() takes the median frame/model ratio of the whole new
 * picture as an exposure change (gain 1.48); under that gain only ~70% of
 * the frame is foreground, below CUT_FRACTION (75%), so no cut is declared
 * and the foreground learns at FG_SLOW * absorb_seconds: blobs for the
 * whole 5 s of the test (and beyond). */
static void cut_to_a_brighter_scene_is_relearnt_within_two_seconds(void **state)
{
	(void)state;
	scene_cut(OTHER);
}

static void reset_starts_learning_afresh(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 2.0);
	/* The camera came back pointing elsewhere. */
	detector_reset(d);
	double t0 = c.now;
	while (c.now < t0 + 2.0) {
		render(px, OTHER, 0, 1.0f, NULL, 2.0f);
		assert_int_equal(run(d, &c, px, b), 0);
	}
	struct rect o = {70, 50, 90, 70, 10, 0, 0};
	render(px, OTHER, 0, 1.0f, &o, 2.0f);
	assert_int_equal(run(d, &c, px, b), 1);
	detector_destroy(d);
}

/* A parked object, at 10 and at 30 fps from a camera configured as 25:
 * foreground until absorb_seconds (20 s here), background after, at the
 * same time in seconds. */
static double absorbed_after(float fps)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make_fps(25, 20);
	struct clock c = {0, 1.0 / fps};
	learn(d, &c, TEXTURED, 3.0f, 2.0);
	double t0 = c.now, last_seen = -1;
	struct rect o = {70, 50, 90, 70, 220, 0, 0};
	while (c.now < t0 + 30.0) {
		double t = c.now;
		render(px, TEXTURED, 0, 1.0f, &o, 3.0f);
		if (run(d, &c, px, b))
			last_seen = t - t0;
	}
	/* Nothing left behind once it has gone either. */
	for (int f = 0; f < 5; f++) {
		render(px, TEXTURED, 0, 1.0f, NULL, 3.0f);
		run(d, &c, px, b);
	}
	detector_destroy(d);
	return last_seen;
}

static void still_object_is_absorbed_after_absorb_seconds_at_any_fps(void **state)
{
	(void)state;
	double a = absorbed_after(10), b = absorbed_after(30);
	assert_true(a > 19.0 && a < 20.5);
	assert_true(b > 19.0 && b < 20.5);
	assert_true(fabs(a - b) < 0.3);
}

/* EXPOSES A BUG (fails at 2c7f42c): detect.c's header promises "a person
 * who stood still a minute leaves no ghost", but after 60 s at 15 fps the
 * model under them has moved ~20% toward them (foreground learns with time
 * constant FG_SLOW * absorb_seconds = 270 s), and the spot stays a blob of
 * about 0.015 of the frame for 7.9 s after they leave. */
static void still_person_stays_foreground_for_a_minute_and_leaves_no_ghost(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make_fps(15, 0);
	struct clock c = {0, 1.0 / 15};
	learn(d, &c, TEXTURED, 3.0f, 1.5);
	struct rect o = {70, 50, 90, 70, 220, 0, 0};
	for (int f = 0; f < 60 * 15; f++) {
		render(px, TEXTURED, 0, 1.0f, &o, 3.0f);
		assert_int_equal(run(d, &c, px, b), 1);
	}
	for (int f = 0; f < 5; f++) {
		render(px, TEXTURED, 0, 1.0f, NULL, 3.0f);
		int n = run(d, &c, px, b);
		if (n)
			print_message("after leaving, frame %d: %d blobs, first %.4f at %.2f,%.2f\n", f, n, b[0].area, b[0].cx, b[0].cy);
		assert_int_equal(n, 0);
	}
	detector_destroy(d);
}

/* Two squares move down the picture, one on the left half, one on the
 * right, below a flag that flaps over the top of the picture. Returns how
 * many frames had a blob whose centre lies in each half (left, right) and
 * in the flag's band (corner), with the detector restricted to regions r. */
static void run_regions(const char *roi, const char *mask, int *left, int *right, int *corner,
			float *gain_min, float *gain_max)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct regions r = {0};
	struct clock c = {0, 0.04};
	if (roi)
		assert_int_equal(polygon_parse(roi, &r.roi[r.nroi++]), 0);
	if (mask)
		assert_int_equal(polygon_parse(mask, &r.mask[r.nmask++]), 0);
	assert_int_equal(detector_set_regions(d, &r), 0);
	learn(d, &c, TEXTURED, 3.0f, 1.0);
	*left = *right = *corner = 0;
	*gain_min = *gain_max = 1.0f;
	for (int f = 0; f < 28; f++) {
		int y = 72 + f;
		struct rect o = {30, y, 50, y + 20, 220, 0, 0};
		render(px, TEXTURED, 0, 1.0f, &o, 3.0f);
		for (int yy = y; yy < y + 20; yy++)
			memset(px + yy * W + 110, 10, 20);
		/* The flag (or a screen): the top 58% of the frame, flapping
		 * between white and black. */
		for (int yy = 0; yy < 70; yy++)
			memset(px + yy * W, f % 2 ? 250 : 5, W);
		int n = run(d, &c, px, b);
		bool l = false, rt = false, k = false;
		for (int i = 0; i < n; i++) {
			if (b[i].cy < 71.0f / H)
				k = true;
			else if (b[i].cx < 0.5f)
				l = true;
			else
				rt = true;
		}
		*left += l;
		*right += rt;
		*corner += k;
		*gain_min = fminf(*gain_min, detector_gain(d));
		*gain_max = fmaxf(*gain_max, detector_gain(d));
	}
	detector_destroy(d);
}

/* The right fifth of the picture is all that is looked at (mask= over
 * the rest: a road the line does not serve); an object covers a third of
 * it when auto-exposure darkens everything to 0.6. Two thirds of the
 * pixels that can tell are background: the gain follows the exposure
 * (0.6), and only the object is a blob. Against the whole picture they
 * are under a quarter, and a gain held at 1 would make all of it one. */
static void exposure_followed_when_most_of_the_picture_is_masked(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	struct regions r = {0};
	struct clock c = {0, 0.04};
	assert_int_equal(polygon_parse("0,0,0.8,0,0.8,1,0,1", &r.mask[r.nmask++]), 0);
	assert_int_equal(detector_set_regions(d, &r), 0);
	learn(d, &c, TEXTURED, 3.0f, 1.5);
	for (int f = 0; f < 25; f++) {
		struct rect o = {130, 20, 160, 60, 220, 0, 0};
		render(px, TEXTURED, 0, f < 5 ? 1.0f : 0.6f, &o, 3.0f);
		int n = run(d, &c, px, b);
		if (f < 5)
			continue;
		assert_float_equal(detector_gain(d), 0.6f, 0.05f);
		assert_int_equal(n, 1);
		assert_true(b[0].y1 < 70.0f / H);
	}
	detector_destroy(d);
}

/* Shadows: the TEXTURED floor (mean ~100) darkened to 0.6 under a shadow
 * that moves across it for 1.6 s, noise 2. */
#define SHADOW_K 0.6f

/* Count the frames with a blob of object size while rects o[0..no) move
 * right by 2 px a frame for 40 frames over scene s. */
static int frames_with_blobs(enum scene s, const struct rect *o0, int no)
{
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make_shadows();
	struct clock c = {0, 0.04};
	int frames = 0;
	rng = 12345; /* the same noise whichever tests ran before */
	learn(d, &c, s, 2.0f, 1.5);
	for (int f = 0; f < 40; f++) {
		struct rect o[2];
		for (int j = 0; j < no; j++) {
			o[j] = o0[j];
			o[j].x0 += 2.0f * f;
			o[j].x1 += 2.0f * f;
		}
		render_objects(px, s, 0, 1.0f, o, no, 2.0f);
		int n = run(d, &c, px, b);
		frames += n > 0;
		if (getenv("DET_DEBUG")) {
			int dsx, dsy;
			detector_shift(d, &dsx, &dsy);
			print_message("frame %d: shift %d,%d %d blobs, first %.4f at %.2f,%.2f\n", f, dsx, dsy, n, n ? b[0].area : 0, n ? b[0].cx : 0, n ? b[0].cy : 0);
		}
		assert_float_equal(detector_gain(d), 1.0f, 0.05f); /* a shadow is no exposure change */
	}
	detector_destroy(d);
	return frames;
}

static void shadow_on_textured_floor_is_not_foreground(void **state)
{
	(void)state;
	struct rect sh = {20, 40, 60, 70, 0, 0, SHADOW_K};
	assert_int_equal(frames_with_blobs(TEXTURED, &sh, 1), 0);
}

/* A dark flat object of the shadow's mean brightness (0.6 of the floor's
 * ~100), and one of that mean with a texture of its own: objects, found in
 * every frame. */
static void dark_object_as_dark_as_a_shadow_is_foreground(void **state)
{
	(void)state;
	struct rect flat = {20, 40, 60, 70, 60, 0, 0};
	struct rect own = {20, 40, 60, 70, 0, 0, -SHADOW_K};
	assert_int_equal(frames_with_blobs(TEXTURED, &flat, 1), 40);
	assert_int_equal(frames_with_blobs(TEXTURED, &own, 1), 40);
}

/* A person (bright, 16x32) with their shadow on the floor beside them
 * (34x14, at their feet): the blob is the person, give or take the
 * closing, not the person and the shadow. */
static void shadow_beside_a_person_does_not_grow_their_blob(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make_shadows();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 1.5);
	for (int f = 0; f < 30; f++) {
		float x = 20.0f + 2.0f * f;
		struct rect o[2] = {
			{x + 16, 58, x + 50, 72, 0, 0, SHADOW_K}, /* the shadow, then the person */
			{x, 40, x + 16, 72, 220, 0, 0},
		};
		render_objects(px, TEXTURED, 0, 1.0f, o, 2, 2.0f);
		int n = run(d, &c, px, b);
		assert_int_equal(n, 1);
		if (getenv("DET_DEBUG"))
			print_message("frame %d: box %.1f..%.1f x %.1f..%.1f area %.0f px\n", f, b[0].x0 * W, b[0].x1 * W, b[0].y0 * H, b[0].y1 * H, b[0].area * W * H);
		/* 16x32 = 512 px; the closing and a corner of the shadow's rim
		 * where it meets the person (which no window can explain as lit or
		 * shadow) may add a little; the shadow itself is 476 px and
		 * reaches 34 px further. */
		assert_true(b[0].x1 * W <= x + 16 + 4);
		assert_true(b[0].area * W * H <= 1.25f * 512);
		assert_true(box_cover(&b[0], &o[1]) > 0.9f);
	}
	detector_destroy(d);
}

/* A patch of the floor made brighter (x1.5, texture and all: a light, a
 * reflection): a shadow is darker than the background, never brighter, so
 * this stays foreground in every frame. */
static void brighter_copy_of_the_floor_is_not_a_shadow(void **state)
{
	(void)state;
	struct rect lit = {20, 40, 60, 70, 0, 0, 1.5f};
	assert_int_equal(frames_with_blobs(TEXTURED, &lit, 1), 40);
}

/* A cloud's shadow over most of the picture (100 of 160 px wide, all the
 * height), drifting: shadow pixels are not background, so the exposure
 * gain, measured on the lit rest, stays 1 (taken as background, they would
 * pull the median ratio to 0.6 and the lit rest would turn foreground).
 * Where the floor is too flat to tell, bits of the shadow may stay
 * foreground: not asserted here. */
static void large_shadow_does_not_move_the_gain(void **state)
{
	(void)state;
	static uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make_shadows();
	struct clock c = {0, 0.04};
	learn(d, &c, TEXTURED, 2.0f, 1.5);
	for (int f = 0; f < 50; f++) {
		struct rect cloud = {-40.0f + f, -5, 60.0f + f, H + 5, 0, 0, SHADOW_K};
		render(px, TEXTURED, 0, 1.0f, &cloud, 2.0f);
		int n = run(d, &c, px, b);
		if (getenv("DET_DEBUG"))
			print_message("cloud frame %d: %d blobs, gain %.3f\n", f, n, detector_gain(d));
		assert_float_equal(detector_gain(d), 1.0f, 0.05f);
	}
	detector_destroy(d);
}

static void regions_restrict_where_motion_counts(void **state)
{
	(void)state;
	int left, right, corner;
	float gmin, gmax;
	/* Without regions a flag that large upsets everything (it is most of
	 * the picture, changing every frame): the mask is the way out. */
	/* A mask over the flag: it is gone, both squares stay, and the
	 * flapping does not move the exposure estimate. */
	run_regions(NULL, "0,0,1,0,1,0.59,0,0.59", &left, &right, &corner, &gmin, &gmax);
	assert_true(left >= 24 && right >= 24);
	assert_int_equal(corner, 0);
	assert_true(gmin > 0.95f && gmax < 1.05f);
	/* An roi over the lower left quarter only: only the left square. */
	run_regions("0,0.6,0.5,0.6,0.5,1,0,1", NULL, &left, &right, &corner, &gmin, &gmax);
	assert_true(left >= 24);
	assert_int_equal(right, 0);
	assert_int_equal(corner, 0);
}

static void polygons_parse_and_contain(void **state)
{
	(void)state;
	struct polygon p;
	assert_int_equal(polygon_parse("0,0,1,0,0,1", &p), 0);
	assert_int_equal(p.n, 3);
	assert_true(polygon_contains(&p, 0.2f, 0.2f));
	assert_false(polygon_contains(&p, 0.8f, 0.8f));
	/* A concave L: the notch is outside. */
	assert_int_equal(polygon_parse("0,0,0.5,0,0.5,0.5,1,0.5,1,1,0,1", &p), 0);
	assert_true(polygon_contains(&p, 0.25f, 0.25f));
	assert_false(polygon_contains(&p, 0.75f, 0.25f));
	assert_true(polygon_contains(&p, 0.75f, 0.75f));
	assert_int_equal(polygon_parse("0,0,1,0", &p), -EINVAL);          /* two points */
	assert_int_equal(polygon_parse("0,0,1,0,0.5", &p), -EINVAL);      /* odd count */
	assert_int_equal(polygon_parse("0,0,0.5,0.5,1,1", &p), -EINVAL);  /* no area */
	assert_int_equal(polygon_parse("0,0,1.5,0,0,1", &p), -EINVAL);    /* outside 0..1 */
	assert_int_equal(polygon_parse("0,0,1,0,0,1,", &p), -EINVAL);     /* trailing comma */
	assert_int_equal(polygon_parse("0,0,1,0,0,nan", &p), -EINVAL);
	char many[512] = "0,0,1,0";
	for (int i = 0; i < REGION_MAX_POINTS - 1; i++)
		strcat(many, ",0.5,0.5");
	assert_int_equal(polygon_parse(many, &p), -EINVAL);                /* 17 points */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(static_noisy_scene_has_no_blobs),
		cmocka_unit_test(moving_square_is_one_blob_at_its_place),
		cmocka_unit_test(blobs_under_the_object_size_come_out_marked_small),
		cmocka_unit_test(two_separate_squares_are_two_blobs),
		cmocka_unit_test(queue_nose_to_tail_is_cut_at_the_strip_of_floor),
		cmocka_unit_test(queue_on_a_slanted_lane_is_cut),
		cmocka_unit_test(queue_seen_by_a_tilted_camera_is_cut),
		cmocka_unit_test(what_is_not_a_queue_stays_one_blob),
		cmocka_unit_test(dark_object_on_dark_floor_30_percent),
		cmocka_unit_test(dark_object_on_dark_floor_45_percent),
		cmocka_unit_test(dark_object_on_dark_floor_60_percent),
		cmocka_unit_test(low_contrast_object_is_detected),
		cmocka_unit_test(global_exposure_change_is_not_motion),
		cmocka_unit_test(exposure_raised_until_the_floor_clips_is_not_motion),
		cmocka_unit_test(camera_sway_of_one_pixel_is_not_motion),
		cmocka_unit_test(camera_sway_of_three_pixels_is_not_motion),
		cmocka_unit_test(slow_drift_is_not_motion),
		cmocka_unit_test(slow_local_light_change_is_not_motion),
		cmocka_unit_test(scene_cut_is_relearnt_within_two_seconds),
		cmocka_unit_test(cut_to_a_brighter_scene_is_relearnt_within_two_seconds),
		cmocka_unit_test(reset_starts_learning_afresh),
		cmocka_unit_test(still_object_is_absorbed_after_absorb_seconds_at_any_fps),
		cmocka_unit_test(still_person_stays_foreground_for_a_minute_and_leaves_no_ghost),
		cmocka_unit_test(shadow_on_textured_floor_is_not_foreground),
		cmocka_unit_test(dark_object_as_dark_as_a_shadow_is_foreground),
		cmocka_unit_test(shadow_beside_a_person_does_not_grow_their_blob),
		cmocka_unit_test(brighter_copy_of_the_floor_is_not_a_shadow),
		cmocka_unit_test(large_shadow_does_not_move_the_gain),
		cmocka_unit_test(regions_restrict_where_motion_counts),
		cmocka_unit_test(exposure_followed_when_most_of_the_picture_is_masked),
		cmocka_unit_test(polygons_parse_and_contain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
