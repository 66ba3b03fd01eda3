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
#include <stdlib.h>
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

static struct camera *run_door_with(struct camera_config *cfg, bool request, uint64_t frames,
				    const struct regions *regions)
{
	struct camera *cam;
	char err[256];
	memset(cfg, 0, sizeof(*cfg));
	if (regions)
		cfg->regions = *regions;
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

static struct camera *run_door(struct camera_config *cfg, bool request, uint64_t frames)
{
	return run_door_with(cfg, request, frames, NULL);
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

/* A view already drawn, with the same options and counts, is handed out
 * again as it was encoded: a client watching a finished camera (or one
 * slower than preview_fps) costs no drawing and no encoding. */
static void the_same_view_is_not_encoded_again(void **state)
{
	(void)state;
	struct camera_config cfg;
	struct camera *cam = run_door(&cfg, true, 5);
	struct preview *p;
	const uint8_t *jpeg;
	size_t len, first_len;
	assert_int_equal(preview_create(cam, &cfg, NULL, 0, &p), 0);
	const struct preview_opts o = {0}, raw = {.raw = true};
	assert_int_equal(preview_render(p, &o, 0, &jpeg, &first_len), 0);
	assert_int_equal(preview_encodes(p), 1);
	uint8_t *first = malloc(first_len);
	assert_non_null(first);
	memcpy(first, jpeg, first_len);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(preview_render(p, &o, 0, &jpeg, &len), 0);
		assert_int_equal(len, first_len);
		assert_memory_equal(jpeg, first, len);
	}
	assert_int_equal(preview_encodes(p), 1);
	/* Other options are another picture. */
	assert_int_equal(preview_render(p, &raw, 0, &jpeg, &len), 0);
	assert_int_equal(preview_encodes(p), 2);
	free(first);
	preview_destroy(p);
	camera_close(cam);
}

/* The annotated picture (640x480) of door with regions, decoded by an
 * independent path (TurboJPEG here, the writer's JPEG). */
static void render_door(const struct regions *r, uint8_t *rgb)
{
	struct camera_config cfg;
	struct camera *cam = run_door_with(&cfg, true, 5, r);
	struct preview *p;
	const uint8_t *jpeg;
	size_t len;
	const struct preview_opts o = {0};
	assert_int_equal(preview_create(cam, &cfg, NULL, 0, &p), 0);
	assert_int_equal(preview_render(p, &o, 0, &jpeg, &len), 0);
	tjhandle tj = tjInitDecompress();
	assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, 640, 0, 480, TJPF_RGB, 0), 0);
	tjDestroy(tj);
	preview_destroy(p);
	camera_close(cam);
}

static int is_blue(const uint8_t *px)
{
	return px[2] > 180 && px[0] < 110 && px[1] < 150;
}

static int is_red(const uint8_t *px)
{
	return px[0] > 180 && px[1] < 100 && px[2] < 100;
}

/* Samples n points along the segment (x0,y0)-(x1,y1) (normalised), kept
 * `margin` pixels from its ends, and counts those pred holds for. */
static int along(const uint8_t *rgb, float x0, float y0, float x1, float y1, int n,
		 int (*pred)(const uint8_t *))
{
	int hits = 0;
	for (int i = 0; i < n; i++) {
		float t = 0.1f + 0.8f * (float)i / (float)(n - 1);
		int x = (int)((x0 + (x1 - x0) * t) * 640), y = (int)((y0 + (y1 - y0) * t) * 480);
		hits += pred(rgb + ((size_t)y * 640 + (size_t)x) * 3);
	}
	return hits;
}

/* roi= is outlined blue on its edges, mask= outlined red and hatched red
 * inside; without them, none of those pixels have those colours. The
 * polygons keep clear of the default line (y = 0.5) and the picture's edge. */
static void roi_and_mask_are_drawn_where_they_are(void **state)
{
	(void)state;
	static uint8_t rgb[640 * 480 * 3];
	struct regions r = {.nroi = 1, .nmask = 1};
	r.roi[0] = (struct polygon){.n = 4, .x = {0.1f, 0.9f, 0.9f, 0.1f}, .y = {0.1f, 0.1f, 0.4f, 0.4f}};
	r.mask[0] = (struct polygon){.n = 3, .x = {0.3f, 0.7f, 0.3f}, .y = {0.6f, 0.6f, 0.9f}};

	for (int with = 1; with >= 0; with--) {
		render_door(with ? &r : NULL, rgb);
		int roi = 0, mask = 0, roi_edges = 0, mask_edges = 0;
		for (int i = 0; i < 4; i++) {
			const struct polygon *g = &r.roi[0];
			int j = (i + 1) % 4;
			roi += along(rgb, g->x[i], g->y[i], g->x[j], g->y[j], 20, is_blue);
			roi_edges += 20;
		}
		for (int i = 0; i < 3; i++) {
			const struct polygon *g = &r.mask[0];
			int j = (i + 1) % 3;
			mask += along(rgb, g->x[i], g->y[i], g->x[j], g->y[j], 20, is_red);
			mask_edges += 20;
		}
		/* The hatch: red strokes inside the mask, none in the middle of the roi. */
		int hatch = 0, in_roi = 0;
		for (int y = 300; y < 400; y++)
			for (int x = 200; x < 260; x++)
				hatch += is_red(rgb + ((size_t)y * 640 + (size_t)x) * 3);
		for (int y = 80; y < 170; y++)
			for (int x = 100; x < 540; x++)
				in_roi += is_red(rgb + ((size_t)y * 640 + (size_t)x) * 3) ||
					  is_blue(rgb + ((size_t)y * 640 + (size_t)x) * 3);
		if (with) {
			assert_true(roi >= roi_edges * 9 / 10);
			assert_true(mask >= mask_edges * 9 / 10);
			assert_true(hatch >= 6000 / 12); /* a sixth of the pixels, less JPEG's blur */
			assert_int_equal(in_roi, 0);
		} else {
			assert_int_equal(roi, 0);
			assert_int_equal(mask, 0);
			assert_int_equal(hatch, 0);
		}
	}
}

static int is_cyan(const uint8_t *px)
{
	return px[0] < 120 && px[1] > 130 && px[2] > 150 && px[2] > px[0] + 60;
}

static int is_orange(const uint8_t *px)
{
	return px[0] > 190 && px[1] > 90 && px[1] < 190 && px[2] < 90;
}

/* Along the top edge of a track's box as preview.c draws it (normalised
 * centre and size, scaled to 640x480; 2 pixels thick): *covered, the
 * pixels pred holds for (in either row), of *tried, in how many separate
 * runs. Returns 0 when the edge is not in the picture, clear of the line
 * (y = 240) and its arrow, and at least 24 pixels long. */
static int top_edge(const uint8_t *rgb, const struct track *t, int (*pred)(const uint8_t *),
		    int *covered, int *tried, int *runs)
{
	int x0 = (int)((t->x - t->w / 2) * 640), y0 = (int)((t->y - t->h / 2) * 480);
	int x1 = (int)((t->x + t->w / 2) * 640);
	x0 = (x0 < 4 ? 4 : x0) + 2;
	x1 = (x1 > 635 ? 635 : x1) - 2;
	*covered = *tried = *runs = 0;
	if (x1 - x0 < 24 || y0 < 24 || y0 > 470 || (y0 > 200 && y0 < 300))
		return 0;
	int was = 0;
	for (int x = x0; x <= x1; x++) {
		int on = pred(rgb + ((size_t)y0 * 640 + (size_t)x) * 3) ||
			 pred(rgb + ((size_t)(y0 + 1) * 640 + (size_t)x) * 3);
		*covered += on;
		*runs += on && !was;
		was = on;
		(*tried)++;
	}
	return 1;
}

/* Mask cells of the view with the same value in their 5x5 neighbourhood
 * and set: those the tint test below can judge (away from the blobs' edges). */
#define MASK_INTERIOR 60 /* cells: over a hundred points of the tint test */

static int mask_interior(const struct camera_view *v)
{
	int n = 0;
	for (int my = 2; my < v->mask_h - 2; my++)
		for (int mx = 2; mx < v->mask_w - 2; mx++) {
			int all = 1;
			for (int dy = -2; dy <= 2 && all; dy++)
				for (int dx = -2; dx <= 2 && all; dx++)
					all = v->mask[(my + dy) * v->mask_w + mx + dx];
			n += all;
		}
	return n;
}

/* Door replayed at its frame rate while a preview renders each frame it
 * can: a confirmed track's box is drawn solid cyan where the track is, a
 * tentative one's dashed orange; then the foreground mask (?mask=1) tints
 * exactly the pixels of the view's mask, on a view whose mask holds
 * someone (the loop goes on until it has one: where the camera is when it
 * stops depends on the machine's load). */
static void tracks_are_drawn_where_they_are(void **state)
{
	(void)state;
	struct camera_config cfg;
	struct camera *cam;
	struct preview *p;
	const uint8_t *jpeg;
	size_t len;
	char err[256];
	static uint8_t rgb[640 * 480 * 3], plain[640 * 480 * 3], raw[640 * 480 * 3];
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "door");
	snprintf(cfg.source, sizeof(cfg.source), "%s/door.avi", SAMPLES_DIR);
	snprintf(cfg.lines[0].name, sizeof(cfg.lines[0].name), "main");
	cfg.lines[0].line = LINE_DEFAULT;
	cfg.nlines = 1;
	cfg.tuning = TUNING_DEFAULT;
	struct camera_opts co = {.cfg = &cfg, .post = no_post, .realtime = true,
				 .detect_width = 160, .ring_slots = 4};
	assert_int_equal(camera_open(&co, &cam, err, sizeof(err)), 0);
	assert_int_equal(camera_start(cam), 0);
	assert_int_equal(preview_create(cam, &cfg, NULL, 0, &p), 0);
	tjhandle tj = tjInitDecompress();
	const struct preview_opts o = {0};
	int confirmed = 0, tentative = 0, interior = 0;
	/* door.avi is 20 s; its first people come in its first 10. */
	while (!(confirmed >= 3 && tentative && interior >= MASK_INTERIOR) && !camera_done(cam)) {
		if (preview_render(p, &o, 500, &jpeg, &len) != 0) {
			/* Not open yet: the view comes with the source. */
			nanosleep(&(struct timespec){0, 20000000}, NULL);
			continue;
		}
		assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, 640, 0, 480,
					       TJPF_RGB, 0), 0);
		const struct camera_view *v = preview_view(p);
		interior = mask_interior(v);
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			const struct track *t = &v->tracks[i];
			int cyan, orange, n, cyan_runs, orange_runs;
			if (!t->id || !top_edge(rgb, t, is_cyan, &cyan, &n, &cyan_runs))
				continue;
			top_edge(rgb, t, is_orange, &orange, &n, &orange_runs);
			if (getenv("PREVIEW_DEBUG"))
				fprintf(stderr, "track %u %s: %d cyan in %d runs, %d orange in %d, of %d\n",
					(unsigned)t->id, t->confirmed ? "confirmed" : "tentative", cyan,
					cyan_runs, orange, orange_runs, n);
			if (t->confirmed) {
				/* Solid cyan: the whole edge, JPEG's blur aside. */
				assert_true(cyan >= n * 9 / 10);
				assert_int_equal(orange, 0);
				confirmed++;
			} else {
				/* Dashed orange: 4 on, 4 off. */
				assert_true(orange >= n / 4 && orange <= n * 4 / 5);
				assert_true(orange_runs >= n / 8 - 1);
				assert_true(cyan <= n / 10);
				tentative++;
			}
		}
	}
	assert_true(confirmed > 0);
	assert_true(tentative > 0);
	assert_true(interior >= MASK_INTERIOR);
	camera_stop(cam);
	camera_join(cam);

	/* The mask: the last view again, raw, plain and tinted. */
	const struct preview_opts om = {.mask = true}, oraw = {.raw = true};
	assert_int_equal(preview_render(p, &oraw, 0, &jpeg, &len), 0);
	assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, raw, 640, 0, 480, TJPF_RGB, 0), 0);
	assert_int_equal(preview_render(p, &o, 0, &jpeg, &len), 0);
	uint64_t seq = preview_view(p)->seq;
	assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, plain, 640, 0, 480, TJPF_RGB, 0), 0);
	assert_int_equal(preview_render(p, &om, 0, &jpeg, &len), 0);
	assert_int_equal(preview_view(p)->seq, seq);
	assert_int_equal(tjDecompress2(tj, jpeg, (unsigned long)len, rgb, 640, 0, 480, TJPF_RGB, 0), 0);
	const struct camera_view *v = preview_view(p);
	long on = 0, tinted = 0, off = 0, changed = 0;
	for (int y = 0; y < 480; y += 3)
		for (int x = 0; x < 640; x += 3) {
			/* Pixels well inside or well outside the mask (two mask cells,
			 * 8 pixels: JPEG's 16x16 blocks smear the tint's edges), and
			 * bright enough for a fall in green to show. */
			int mx = x * v->mask_w / 640, my = y * v->mask_h / 480, same = 1;
			for (int dy = -2; dy <= 2; dy++)
				for (int dx = -2; dx <= 2; dx++) {
					int ax = mx + dx, ay = my + dy;
					if (ax < 0 || ay < 0 || ax >= v->mask_w || ay >= v->mask_h ||
					    v->mask[ay * v->mask_w + ax] != v->mask[my * v->mask_w + mx])
						same = 0;
				}
			const uint8_t *a = plain + ((size_t)y * 640 + (size_t)x) * 3;
			const uint8_t *b = rgb + ((size_t)y * 640 + (size_t)x) * 3;
			const uint8_t *r = raw + ((size_t)y * 640 + (size_t)x) * 3;
			/* Where a track's box, its trail, a line or the text is
			 * drawn, over the tint, the tint does not show: only the
			 * picture as it was (plain within JPEG's noise of raw). */
			int drawn = abs(a[0] - r[0]) + abs(a[1] - r[1]) + abs(a[2] - r[2]) > 40;
			if (!same || drawn || a[1] < 60)
				continue;
			/* Magenta (no green) at 110/256 over it: green falls to 57 %. */
			int t = b[1] * 4 < a[1] * 3;
			if (v->mask[my * v->mask_w + mx]) {
				on++;
				tinted += t;
			} else {
				off++;
				changed += t;
			}
		}
	tjDestroy(tj);
	if (getenv("PREVIEW_DEBUG"))
		fprintf(stderr, "mask: %ld of %ld tinted (%d cells), %ld of %ld outside changed\n", tinted, on,
			mask_interior(v), changed, off);
	assert_true(on > 50);
	assert_true(tinted >= on * 9 / 10);
	assert_int_equal(changed, 0);
	(void)off;
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
		cmocka_unit_test(the_same_view_is_not_encoded_again),
		cmocka_unit_test(one_request_is_one_copy_of_that_frame),
		cmocka_unit_test(annotated_picture_is_640_wide_with_the_line),
		cmocka_unit_test(roi_and_mask_are_drawn_where_they_are),
		cmocka_unit_test(tracks_are_drawn_where_they_are),
		cmocka_unit_test(drawing_is_clipped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
