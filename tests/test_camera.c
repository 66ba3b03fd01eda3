/* The hand-over between a camera's capture and inference threads while its
 * scene is idle (docs/idle-skip.md): the inference thread takes the run of
 * frames it will skip in one go, so a skipped frame costs it no wake-up,
 * and every frame is still counted, in order, none dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "camera.h"
#include "helpers.h"

#define FRAMES 75 /* 3 s at raw MJPEG's 25 fps */

static void no_post(void *ctx, const struct event *ev)
{
	(void)ctx;
	(void)ev;
}

/* FRAMES copies of one picture: nothing ever moves. */
static char *empty_clip(void)
{
	struct jpeg j = make_jpeg(320, 240, 7, 0);
	uint8_t *all = malloc(j.len * FRAMES);
	assert_non_null(all);
	for (int i = 0; i < FRAMES; i++)
		memcpy(all + (size_t)i * j.len, j.p, j.len);
	char *path = temp_write(all, j.len * FRAMES, ".mjpg");
	free(all);
	free(j.p);
	return path;
}

static void run(const char *path, bool idle_skip, struct camera_stats *st)
{
	struct camera_config cfg = {0};
	struct camera *cam;
	char err[256];
	snprintf(cfg.name, sizeof(cfg.name), "empty");
	snprintf(cfg.source, sizeof(cfg.source), "%s", path);
	snprintf(cfg.lines[0].name, sizeof(cfg.lines[0].name), "main");
	/* 0.27 from the side edges with its band: N = 4 at 25 fps. */
	cfg.lines[0].line = (struct line){0.3f, 0.5f, 0.7f, 0.5f};
	cfg.nlines = 1;
	cfg.tuning = TUNING_DEFAULT;
	cfg.idle_skip = idle_skip;
	cfg.max_speed = 1.5f;
	/* Paced, as a live camera comes: the inference thread waits for frames. */
	struct camera_opts o = {.cfg = &cfg, .post = no_post, .realtime = true,
				.detect_width = 160, .ring_slots = 8};
	assert_int_equal(camera_open(&o, &cam, err, sizeof(err)), 0);
	assert_int_equal(camera_start(cam), 0);
	camera_join(cam);
	camera_get_stats(cam, st);
	camera_close(cam);
}

static void idle_camera_wakes_once_per_decoded_frame(void **state)
{
	(void)state;
	char *path = empty_clip();
	struct camera_stats on, off;
	run(path, true, &on);
	run(path, false, &off);
	temp_remove(path);

	/* Every frame handed over and counted, none dropped, either way. */
	assert_int_equal(on.captured, FRAMES);
	assert_int_equal(on.processed, FRAMES);
	assert_int_equal(on.dropped, 0);
	assert_int_equal(off.processed, FRAMES);
	assert_int_equal(off.skipped, 0);
	/* The first second decoded in full, then one in four. */
	assert_int_equal(on.idle_skip, 4);
	assert_true(on.skipped >= 30);
	uint64_t decoded = on.processed - on.skipped;
	/* About one wake-up per decoded frame (the skipped ones come with
	 * it; a frame late past the run's deadline may cost one more), where
	 * one per frame was the rule before. */
	print_message("idle: %llu frames, %llu decoded, %llu wake-ups; off: %llu wake-ups\n",
		      (unsigned long long)on.processed, (unsigned long long)decoded,
		      (unsigned long long)on.wakeups, (unsigned long long)off.wakeups);
	assert_true(on.wakeups <= decoded + decoded / 4);
	/* Without skipping it wakes for most frames, where the machine keeps
	 * up with the pace: a sanitizer build on a loaded machine finds
	 * several frames waiting at each wake-up either way, and then this
	 * run cannot tell the two apart. */
	if (off.wakeups <= FRAMES / 2) {
		print_message("off: %llu wake-ups for %d frames: too slow here to compare\n",
			      (unsigned long long)off.wakeups, FRAMES);
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(idle_camera_wakes_once_per_decoded_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
