/* Reduced-scale decoding: JPEG via DCT scaling, luma planes via box average,
 * and damaged frames reported as corrupt rather than half-decoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <turbojpeg.h>

#include "decode.h"

#define W 320
#define H 240

/* A smooth gradient that survives JPEG almost exactly. */
static unsigned char *make_jpeg(int w, int h, unsigned long *size)
{
	unsigned char *rgb = malloc((size_t)w * h * 3), *jpeg = NULL;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char v = (unsigned char)(x * 200 / w + 20);
			memset(rgb + ((size_t)y * w + x) * 3, v, 3);
		}
	tjhandle tj = tjInitCompress();
	assert_int_equal(tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &jpeg, size, TJSAMP_420, 90, 0), 0);
	tjDestroy(tj);
	free(rgb);
	return jpeg;
}

static void jpeg_decodes_at_the_smallest_scale_still_wide_enough(void **state)
{
	(void)state;
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct decoder *d;
	unsigned long size;
	unsigned char *jpeg = make_jpeg(W, H, &size);
	const struct gray *g;
	int w, h;

	assert_int_equal(decoder_create(&info, 160, &d), 0);
	decoder_get_size(d, &w, &h);
	assert_int_equal(w, 160);
	assert_int_equal(h, 120);
	struct frame f = {.data = jpeg, .len = size, .cap = size, .format = FRAME_JPEG};
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	assert_int_equal(g->w, 160);
	/* Left edge dark, right edge bright, as in the source. */
	assert_in_range(g->px[60 * 160 + 2], 15, 35);
	assert_in_range(g->px[60 * 160 + 157], 200, 225);
	decoder_destroy(d);

	/* 100 px wide target: 3/8 gives 120, 1/4 gives 80 < 100, so 3/8. */
	assert_int_equal(decoder_create(&info, 100, &d), 0);
	decoder_get_size(d, &w, &h);
	assert_int_equal(w, 120);
	assert_int_equal(h, 90);
	decoder_destroy(d);
	/* 80 px: 1/4 is exactly wide enough. */
	assert_int_equal(decoder_create(&info, 80, &d), 0);
	decoder_get_size(d, &w, &h);
	assert_int_equal(w, 80);
	assert_int_equal(h, 60);
	decoder_destroy(d);
	tjFree(jpeg);
}

static void truncated_jpeg_is_corrupt_not_half_an_image(void **state)
{
	(void)state;
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct decoder *d;
	unsigned long size;
	unsigned char *jpeg = make_jpeg(W, H, &size);
	const struct gray *g;

	assert_int_equal(decoder_create(&info, 160, &d), 0);
	struct frame f = {.data = jpeg, .len = size / 2, .cap = size, .format = FRAME_JPEG};
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	f.len = 10;
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	memset(jpeg + 200, 0xff, 64); /* damaged entropy data */
	f.len = size;
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	decoder_destroy(d);
	tjFree(jpeg);
}

static void jpeg_of_another_size_is_corrupt(void **state)
{
	(void)state;
	struct source_info info = {.format = FRAME_JPEG, .width = W, .height = H};
	struct decoder *d;
	unsigned long size;
	unsigned char *jpeg = make_jpeg(2 * W, 2 * H, &size);
	const struct gray *g;

	assert_int_equal(decoder_create(&info, 160, &d), 0);
	struct frame f = {.data = jpeg, .len = size, .cap = size, .format = FRAME_JPEG};
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	decoder_destroy(d);
	tjFree(jpeg);
}

static void luma_plane_is_box_averaged(void **state)
{
	(void)state;
	struct source_info info = {.format = FRAME_GRAY, .width = 8, .height = 4};
	struct decoder *d;
	uint8_t plane[32];
	const struct gray *g;
	int w, h;

	for (int i = 0; i < 32; i++)
		plane[i] = (uint8_t)(i * 4);
	assert_int_equal(decoder_create(&info, 4, &d), 0);
	decoder_get_size(d, &w, &h);
	assert_int_equal(w, 4);
	assert_int_equal(h, 2);
	struct frame f = {.data = plane, .len = 32, .cap = 32, .format = FRAME_GRAY,
			  .width = 8, .height = 4};
	assert_int_equal(decoder_decode(d, &f, &g), 0);
	/* Top-left 2x2: 0, 4, 32, 36 -> 18. */
	assert_int_equal(g->px[0], 18);
	/* Bottom-right 2x2: rows 2,3 cols 6,7: 88, 92, 120, 124 -> 106. */
	assert_int_equal(g->px[7], 106);
	f.height = 3; /* a plane of the wrong size */
	assert_int_equal(decoder_decode(d, &f, &g), SOURCE_CORRUPT);
	decoder_destroy(d);
}

/* Box factors around 257, where 16-bit column sums would overflow with a
 * white frame: every box averages exactly, and the ragged right and bottom
 * edges (narrower than a box) are left out as before. */
static void luma_box_average_is_exact_for_large_boxes(void **state)
{
	(void)state;
	static const int boxes[] = {2, 3, 8, 256, 257, 258, 300};
	for (size_t k = 0; k < sizeof(boxes) / sizeof(boxes[0]); k++) {
		const int b = boxes[k], sw = 2 * b + 1, sh = b + 1;
		struct source_info info = {.format = FRAME_GRAY, .width = sw, .height = sh};
		uint8_t *plane = malloc((size_t)sw * sh);
		struct decoder *d;
		const struct gray *g;
		int w, h;

		assert_non_null(plane);
		/* Left box white, right box white and black by column, the
		 * ragged edges 7. */
		for (int y = 0; y < sh; y++)
			for (int x = 0; x < sw; x++)
				plane[(size_t)y * sw + x] =
					y >= b || x >= 2 * b ? 7 : x < b ? 255 : (x % 2 ? 0 : 255);
		assert_int_equal(decoder_create(&info, 2, &d), 0);
		decoder_get_size(d, &w, &h);
		assert_int_equal(w, 2);
		assert_int_equal(h, 1);
		struct frame f = {.data = plane, .len = (size_t)sw * sh, .cap = (size_t)sw * sh,
				  .format = FRAME_GRAY, .width = sw, .height = sh};
		assert_int_equal(decoder_decode(d, &f, &g), 0);
		assert_int_equal(g->px[0], 255);
		/* The right box: the even columns of b..2b-1 are white. */
		unsigned white = 0, area = (unsigned)b * b;
		for (int x = b; x < 2 * b; x++)
			white += x % 2 ? 0 : 1;
		assert_int_equal(g->px[1], (white * b * 255 + area / 2) / area);
		decoder_destroy(d);
		free(plane);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jpeg_decodes_at_the_smallest_scale_still_wide_enough),
		cmocka_unit_test(truncated_jpeg_is_corrupt_not_half_an_image),
		cmocka_unit_test(jpeg_of_another_size_is_corrupt),
		cmocka_unit_test(luma_plane_is_box_averaged),
		cmocka_unit_test(luma_box_average_is_exact_for_large_boxes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
