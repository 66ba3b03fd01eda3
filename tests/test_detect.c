/* Detector on synthetic gray frames: a square on a textured background,
 * with noise, a global exposure jump, and nothing at all. */
#include <math.h>
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

/* Textured background, optional square of side sq at (x, y), gain, noise. */
static void render(uint8_t *px, int sqx, int sqy, int sq, float gain, float sigma)
{
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			float v = 90 + 40 * sinf(x * 0.11f) * cosf(y * 0.07f) + 20 * sinf((x + y) * 0.3f);
			if (sq && x >= sqx && x < sqx + sq && y >= sqy && y < sqy + sq)
				v = 220;
			px[y * W + x] = clamp(gain * v + sigma * noise());
		}
}

static struct detector *make(void)
{
	struct detect_params p = DETECT_PARAMS_DEFAULT;
	p.fps = 15;
	struct detector *d;
	assert_int_equal(detector_create(W, H, &p, &d), 0);
	return d;
}

static int run(struct detector *d, uint8_t *px, struct blob *b)
{
	struct gray g = {px, W, H};
	int n;
	detector_process(d, &g, b, &n);
	return n;
}

/* The empty scene (noise 3, gain 1) for some frames: the background to
 * learn before an object appears. */
static void learn_empty_scene(struct detector *d, uint8_t *px, struct blob *b, int frames)
{
	for (int f = 0; f < frames; f++) {
		render(px, 0, 0, 0, 1.0f, 3.0f);
		run(d, px, b);
	}
}

static void static_noisy_scene_has_no_blobs(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	for (int f = 0; f < 100; f++) {
		render(px, 0, 0, 0, 1.0f, 4.0f);
		assert_int_equal(run(d, px, b), 0);
	}
	detector_destroy(d);
}

static void moving_square_is_one_blob_at_its_place(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	learn_empty_scene(d, px, b, 20);
	for (int f = 0; f < 40; f++) {
		int x = 60, y = 10 + 2 * f;
		render(px, x, y, 20, 1.0f, 3.0f);
		int n = run(d, px, b);
		assert_int_equal(n, 1);
		assert_float_equal(b[0].cx, (x + 10) / (float)W, 0.02);
		assert_float_equal(b[0].cy, (y + 10) / (float)H, 0.03);
		/* 20x20 of 160x120, give or take the cleanup's one-pixel dilation. */
		assert_true(b[0].area > 0.8f * 400 / (W * H) && b[0].area < 1.4f * 484 / (W * H));
	}
	detector_destroy(d);
}

static void global_exposure_jump_is_not_an_object(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	learn_empty_scene(d, px, b, 30);
	/* Auto-exposure darkens everything by 35% in one frame and stays there. */
	for (int f = 0; f < 60; f++) {
		render(px, 0, 0, 0, 0.65f, 3.0f);
		assert_int_equal(run(d, px, b), 0);
	}
	/* A moving object is still found under the new exposure. */
	render(px, 70, 50, 20, 0.65f, 3.0f);
	assert_int_equal(run(d, px, b), 1);
	detector_destroy(d);
}

static void two_separate_squares_are_two_blobs(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make();
	learn_empty_scene(d, px, b, 20);
	render(px, 20, 40, 20, 1.0f, 3.0f);
	for (int y = 40; y < 60; y++)
		memset(px + y * W + 110, 30, 16); /* a dark one too */
	assert_int_equal(run(d, px, b), 2);
	assert_true(b[0].area >= b[1].area);
	detector_destroy(d);
}

static void still_object_stays_foreground_for_60s_then_leaves_no_ghost(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detector *d = make(); /* 15 fps */
	learn_empty_scene(d, px, b, 20);
	/* A person stops for 60 s: still one blob at the end. */
	for (int f = 0; f < 60 * 15; f++) {
		render(px, 70, 50, 20, 1.0f, 3.0f);
		int n = run(d, px, b);
		assert_int_equal(n, 1);
	}
	/* Then walks away: nothing left behind where they stood. */
	for (int f = 0; f < 5; f++) {
		render(px, 0, 0, 0, 1.0f, 3.0f);
		assert_int_equal(run(d, px, b), 0);
	}
	detector_destroy(d);
}

static void parked_object_is_absorbed_after_absorb_time(void **state)
{
	(void)state;
	uint8_t px[W * H];
	struct blob b[DETECT_MAX_BLOBS];
	struct detect_params p = DETECT_PARAMS_DEFAULT;
	p.fps = 10;
	p.absorb_seconds = 20;
	struct detector *d;
	assert_int_equal(detector_create(W, H, &p, &d), 0);
	learn_empty_scene(d, px, b, 20);
	int last_seen = -1;
	for (int f = 0; f < 30 * 10; f++) {
		render(px, 70, 50, 20, 1.0f, 3.0f);
		if (run(d, px, b))
			last_seen = f;
	}
	/* Seen until about the absorb time (20 s = 200 frames), gone after. */
	assert_in_range(last_seen, 190, 205);
	detector_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(static_noisy_scene_has_no_blobs),
		cmocka_unit_test(moving_square_is_one_blob_at_its_place),
		cmocka_unit_test(global_exposure_jump_is_not_an_object),
		cmocka_unit_test(two_separate_squares_are_two_blobs),
		cmocka_unit_test(still_object_stays_foreground_for_60s_then_leaves_no_ghost),
		cmocka_unit_test(parked_object_is_absorbed_after_absorb_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
