/* The preview hook and its drawing, on the door sample: nothing is copied
 * out of the inference thread unless a view was requested, one request
 * gives one copy, and the annotated picture is a JPEG at the scale nearest
 * 640 wide with the line drawn where the line is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <turbojpeg.h>

#include "camera.h"
#include "draw.h"
#include "preview.h"

static void no_post(void *ctx, const struct event *ev)
{
	(void)ctx;
	(void)ev;
}

static struct camera *run_door(struct camera_config *cfg, bool request, uint64_t frames)
{
	struct camera *cam;
	char err[256];
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->name, sizeof(cfg->name), "door");
	snprintf(cfg->source, sizeof(cfg->source), "%s/door.avi", SAMPLES_DIR);
	snprintf(cfg->lines[0].name, sizeof(cfg->lines[0].name), "main");
	cfg->lines[0].line = LINE_DEFAULT;
	cfg->nlines = 1;
	cfg->tuning = TUNING_DEFAULT;
	struct camera_opts o = {.cfg = cfg, .post = no_post, .max_frames = frames,
				.detect_width = 160, .ring_slots = 4};
	assert_int_equal(camera_open(&o, &cam, err, sizeof(err)), 0);
	if (request)
		camera_view_request(cam);
	assert_int_equal(camera_start(cam), 0);
	camera_join(cam);
	return cam;
}

static void nothing_is_copied_unless_requested(void **state)
{
	(void)state;
	struct camera_config cfg;
	struct camera *cam = run_door(&cfg, false, 30);
	struct camera_view *v = camera_view_alloc(cam);
	assert_non_null(v);
	/* The camera has finished: get returns at once, with nothing. */
	assert_int_equal(camera_view_get(cam, v, 1000), -EAGAIN);
	assert_int_equal(v->seq, 0);
	camera_view_free(v);
	camera_close(cam);
}

static void one_request_is_one_copy_of_that_frame(void **state)
{
	(void)state;
	struct camera_config cfg;
	struct camera *cam = run_door(&cfg, true, 30);
	struct camera_view *v = camera_view_alloc(cam);
	assert_int_equal(camera_view_get(cam, v, 0), 0);
	assert_int_equal(v->seq, 1);
	assert_int_equal(v->index, 0);
	assert_int_equal(v->format, FRAME_JPEG);
	assert_int_equal(v->width, 320);
	assert_int_equal(v->height, 240);
	assert_true(v->len > 2 && v->data[0] == 0xFF && v->data[1] == 0xD8);
	assert_int_equal(camera_view_get(cam, v, 0), -EAGAIN); /* nothing newer */
	camera_view_free(v);
	camera_close(cam);
}

static void annotated_picture_is_640_wide_with_the_line(void **state)
{
	(void)state;
	struct camera_config cfg;
	struct camera *cam = run_door(&cfg, true, 5);
	struct preview *p;
	const uint8_t *jpeg;
	size_t len;
	int w, h, sub, cs;
	assert_int_equal(preview_create(cam, &cfg, NULL, 0, &p), 0);
	for (int raw = 0; raw < 2; raw++) {
		struct preview_opts o = {.raw = raw};
		assert_int_equal(preview_render(p, &o, 0, &jpeg, &len), 0);
		tjhandle tj = tjInitDecompress();
		assert_int_equal(tjDecompressHeader3(tj, jpeg, (unsigned long)len, &w, &h, &sub, &cs), 0);
		assert_int_equal(w, 640);
		assert_int_equal(h, 480);
		static uint8_t rgb[640 * 480 * 3];
		assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, 640, 0, 480, TJPF_RGB, 0), 0);
		tjDestroy(tj);
		int yellow = 0;
		for (int x = 100; x < 600; x += 10) {
			const uint8_t *px = rgb + (240 * 640 + x) * 3;
			yellow += px[0] > 180 && px[1] > 150 && px[2] < 100;
		}
		if (raw)
			assert_int_equal(yellow, 0);
		else
			assert_true(yellow >= 45);
	}
	preview_destroy(p);
	camera_close(cam);
}

/* Drawing clips: lines and text far outside the picture, and a huge
 * coordinate, touch nothing outside it (ASan watches) and end. */
static void drawing_is_clipped(void **state)
{
	(void)state;
	static uint8_t px[32 * 24 * 3];
	struct rgb_image im = {px, 32, 24};
	const struct rgb c = {255, 255, 255};
	draw_line(&im, -1000000, -5, 1000000, 30, 5, c);
	draw_line(&im, 2000000000, 2000000000, -2000000000, -2000000000, 3, c);
	draw_rect(&im, -10, -10, 50, 50, 3, 1, c);
	draw_text(&im, 20, 20, 4, "a\"b<c&d \x01\xff", c);
	int tri[6] = {-100, -100, 100, 0, 0, 100};
	draw_triangle(&im, tri, c);
	uint8_t mask[4] = {1, 0, 0, 1};
	draw_tint(&im, mask, 2, 2, c, 128);
	assert_int_equal(px[0], 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_is_copied_unless_requested),
		cmocka_unit_test(one_request_is_one_copy_of_that_frame),
		cmocka_unit_test(annotated_picture_is_640_wide_with_the_line),
		cmocka_unit_test(drawing_is_clipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
