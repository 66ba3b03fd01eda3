/* The live view and the log together: a camera counts a clip while another
 * thread floods the log and the view (on a pseudo-terminal) runs. Counting
 * goes on at full speed and ends with the clip's true counts; the flood's
 * lines that did not fit are dropped and counted; nobody waits. */
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "camera.h"
#include "config.h"
#include "coord.h"
#include "log.h"
#include "tui.h"
#include "util.h"

#define FLOOD 50000

static atomic_bool flooding_done;
static atomic_uint_fast64_t flooded;

static void *flood(void *arg)
{
	(void)arg;
	for (int i = 0; i < FLOOD; i++) {
		log_warn("flood line %d", i);
		atomic_fetch_add(&flooded, 1);
	}
	atomic_store(&flooding_done, true);
	return NULL;
}

/* The terminal's other end: read and discard what the view draws, so the
 * view never waits on a full pseudo-terminal. */
static int master_fd = -1;
static atomic_bool reading = true;

static void *drain_master(void *arg)
{
	char buf[4096];
	(void)arg;
	while (atomic_load(&reading))
		if (read(master_fd, buf, sizeof(buf)) <= 0)
			break;
	return NULL;
}

static void flood_while_the_view_runs(void **state)
{
	const struct line lobby_line = {0.0f, 0.4f, 1.0f, 0.6f}; /* samples/lobby.truth.json */
	struct camera_list list = {0};
	struct coord_camera cc = {.nlines = 1, .line_names = {CONFIG_MAIN_LINE}};
	struct coord *co;
	struct camera *cam;
	struct tui *tui = NULL;
	pthread_t flooder, reader;
	char err[256];
	int slave;

	(void)state;
	assert_int_equal(openpty(&master_fd, &slave, NULL, NULL, NULL), 0);
	int saved_out = dup(STDOUT_FILENO), saved_in = dup(STDIN_FILENO);
	assert_true(saved_out >= 0 && saved_in >= 0);
	assert_int_equal(pthread_create(&reader, NULL, drain_master, NULL), 0);
	setenv("TERM", "xterm", 1);

	assert_int_equal(config_add_source(&list, SAMPLES_DIR "/lobby.avi", &lobby_line), 0);
	cc.name = list.cams[0].name;
	assert_int_equal(coord_create(&(struct coord_config){.ncameras = 1, .cams = &cc}, &co), 0);
	struct camera_opts o = {.index = 0, .cfg = &list.cams[0], .post = coord_post_cb,
				.post_ctx = co, .detect_width = 160, .ring_slots = 8};
	assert_int_equal(camera_open(&o, &cam, err, sizeof(err)), 0);

	dup2(slave, STDOUT_FILENO);
	dup2(slave, STDIN_FILENO);
	struct tui_config tc = {.ncameras = 1, .cam_cfgs = list.cams, .cams = &cam, .coord = co};
	int rc = tui_open(&tc, &tui);
	if (rc == 0) {
		uint64_t dropped0 = log_dropped();
		assert_int_equal(pthread_create(&flooder, NULL, flood, NULL), 0);
		assert_int_equal(camera_start(cam), 0);
		/* The main loop as main runs it: the view polled every 10 ms. */
		while (!(camera_done(cam) && atomic_load(&flooding_done))) {
			tui_poll(tui, now_ns(CLOCK_MONOTONIC), camera_done(cam));
			nanosleep(&(struct timespec){0, 10000000}, NULL);
		}
		pthread_join(flooder, NULL);
		tui_poll(tui, now_ns(CLOCK_MONOTONIC), true);
		uint64_t dropped = log_dropped() - dropped0;
		tui_close(tui);
		dup2(saved_out, STDOUT_FILENO);
		dup2(saved_in, STDIN_FILENO);
		fprintf(stderr, "flooded %llu lines, %llu dropped\n",
			(unsigned long long)atomic_load(&flooded), (unsigned long long)dropped);
		assert_int_equal(atomic_load(&flooded), FLOOD);
		assert_true(dropped > 0 && dropped < FLOOD);
	} else {
		dup2(saved_out, STDOUT_FILENO);
		dup2(saved_in, STDIN_FILENO);
	}
	camera_stop(cam);
	camera_join(cam);
	coord_stop(co);
	struct totals t;
	struct camera_stats s;
	coord_get_totals(co, 0, &t);
	camera_get_stats(cam, &s);
	camera_close(cam);
	coord_destroy(co);
	config_free(&list);
	/* The last slave end gone, the reader's read fails (EIO) and it ends;
	 * only then is the master closed under nobody. */
	atomic_store(&reading, false);
	close(slave);
	pthread_join(reader, NULL);
	close(master_fd);
	close(saved_out);
	close(saved_in);
	if (rc != 0) {
		fprintf(stderr, "skipped: the view cannot open on a pseudo-terminal here (%s)\n",
			strerror(-rc));
		skip();
	}
	/* Counting went on: the whole clip, its true counts (1 in, 1 out). */
	assert_int_equal(s.processed, 64);
	assert_int_equal(t.in, 1);
	assert_int_equal(t.out, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flood_while_the_view_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
