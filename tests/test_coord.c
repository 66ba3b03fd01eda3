#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#include "coord.h"
#include "eventlog.h"

/* coord.c's COORD_QUEUE_CAP: the queue-full test fills exactly this many. */
#define QUEUE_CAP 1024

/* 2026-11-23T09:41:00Z */
#define T0 INT64_C(1795426860000000000)

/* Every camera with one line, "main", as the command line gives. */
static struct coord_camera cams_buf[16];

static const struct coord_camera *one_line_each(const char *const *names, int n)
{
	if (!names)
		return NULL;
	for (int i = 0; i < n; i++)
		cams_buf[i] = (struct coord_camera){.name = names[i], .nlines = 1,
						    .line_names = {"main"}};
	return cams_buf;
}

/* A coordinator with the event log as its one sink when events is given,
 * as main builds it without --state. One at a time. */
static struct eventlog *the_log;

static int coord_start(int n, const struct coord_camera *cams, FILE *events, struct coord **out)
{
	struct event_sink sink;
	struct coord_config cfg = {.ncameras = n, .cams = cams};

	if (events) {
		assert_int_equal(eventlog_create(events, n, cams, &the_log), 0);
		sink = eventlog_sink(the_log);
		cfg.sinks = &sink;
		cfg.nsinks = 1;
	}
	return coord_create(&cfg, out);
}

static void coord_end(struct coord *c)
{
	coord_destroy(c);
	eventlog_destroy(the_log);
	the_log = NULL;
}

static void assert_totals(struct coord *c, int camera, uint64_t in, uint64_t out)
{
	struct totals t;

	coord_get_totals(c, camera, &t);
	assert_int_equal(t.in, in);
	assert_int_equal(t.out, out);
	/* Never below zero; each exit that would have gone below is a correction. */
	assert_true(t.occupancy >= 0);
	assert_int_equal(t.occupancy - (int64_t)t.corrections, (int64_t)in - (int64_t)out);
}

static void post(struct coord *c, int camera, enum direction dir, uint64_t frame, uint32_t track,
		 int64_t wall_ns)
{
	struct event ev = {.camera = camera, .dir = dir, .frame = frame, .track = track,
			   .wall_ns = wall_ns};

	coord_post(c, &ev);
}

static void single_poster_log_lines_and_totals(void **state)
{
	(void)state;
	const char *names[] = {"door", "we\"ird\\cam\n"};
	struct coord *c;
	char *log = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&log, &len);

	assert_non_null(f);
	assert_int_equal(coord_start(2, one_line_each(names, 2), f, &c), 0);
	post(c, 0, DIR_IN, 123, 7, T0 + 123456789);
	post(c, 1, DIR_OUT, 5, 8, T0 + 999999999);
	post(c, 0, DIR_OUT, 124, 7, 0);
	post(c, 0, DIR_IN, UINT64_MAX, UINT32_MAX, -1);
	coord_stop(c);

	assert_totals(c, 0, 2, 1);
	assert_totals(c, 1, 0, 1);
	assert_totals(c, -1, 2, 2);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(log,
		"{\"seq\":0,\"time\":\"2026-11-23T09:41:00.123Z\",\"pts\":0.000000,\"camera\":\"door\",\"line\":\"main\","
		"\"direction\":\"in\",\"frame\":123,\"track\":7,\"objects\":1}\n"
		"{\"seq\":1,\"time\":\"2026-11-23T09:41:00.999Z\",\"pts\":0.000000,\"camera\":\"we\\\"ird\\\\cam\\u000a\",\"line\":\"main\","
		"\"direction\":\"out\",\"frame\":5,\"track\":8,\"objects\":1}\n"
		"{\"seq\":2,\"time\":\"1970-01-01T00:00:00.000Z\",\"pts\":0.000000,\"camera\":\"door\",\"line\":\"main\","
		"\"direction\":\"out\",\"frame\":124,\"track\":7,\"objects\":1}\n"
		"{\"seq\":3,\"time\":\"1969-12-31T23:59:59.999Z\",\"pts\":0.000000,\"camera\":\"door\",\"line\":\"main\","
		"\"direction\":\"in\",\"frame\":18446744073709551615,\"track\":4294967295,\"objects\":1}\n");
	coord_end(c);
	free(log);
}

static void totals_start_at_zero_and_ignore_bad_camera(void **state)
{
	(void)state;
	const char *names[] = {"a", "b"};
	struct coord *c;

	assert_int_equal(coord_start(2, one_line_each(names, 2), NULL, &c), 0);
	assert_totals(c, 0, 0, 0);
	assert_totals(c, 1, 0, 0);
	assert_totals(c, -1, 0, 0);
	assert_totals(c, 2, 0, 0);
	assert_totals(c, -2, 0, 0);
	coord_end(c);
}

static void stop_is_idempotent(void **state)
{
	(void)state;
	const char *names[] = {"a"};
	struct coord *c;

	assert_int_equal(coord_start(1, one_line_each(names, 1), NULL, &c), 0);
	post(c, 0, DIR_IN, 1, 1, T0);
	coord_stop(c);
	coord_stop(c);
	assert_totals(c, -1, 1, 0);
	coord_end(c);

	/* Destroy alone stops and joins too. */
	assert_int_equal(coord_start(1, one_line_each(names, 1), NULL, &c), 0);
	post(c, 0, DIR_OUT, 1, 1, T0);
	coord_end(c);
	coord_stop(NULL);
	coord_end(NULL);
}

/* Both are caller bugs: logged once, never counted, never a hang. */
static void bad_and_late_events_are_not_counted(void **state)
{
	(void)state;
	const char *names[] = {"a"};
	struct event bad_dir = {.camera = 0, .dir = (enum direction)7};
	struct coord *c;

	assert_int_equal(coord_start(1, one_line_each(names, 1), NULL, &c), 0);
	post(c, 1, DIR_IN, 1, 1, T0);
	post(c, -1, DIR_IN, 1, 1, T0);
	coord_post(c, &bad_dir);
	post(c, 0, DIR_IN, 1, 1, T0);
	coord_stop(c);
	for (int i = 0; i < 2 * QUEUE_CAP; i++)
		post(c, 0, DIR_OUT, 2, 2, T0);
	assert_totals(c, 0, 1, 0);
	assert_totals(c, -1, 1, 0);
	coord_end(c);
}

static void create_rejects_bad_arguments(void **state)
{
	(void)state;
	struct coord *c = (struct coord *)&c;

	assert_int_equal(coord_start(-1, NULL, NULL, &c), -EINVAL);
	assert_null(c);
	assert_int_equal(coord_start(1, one_line_each(NULL, 1), NULL, &c), -EINVAL);
	assert_int_equal(coord_start(0, NULL, NULL, &c), 0);
	coord_end(c);
}

/* Many posters: the totals and the log must account for every event once. */
#define POSTERS 8
#define PER_POSTER 20000
#define CAMERAS 3

struct poster {
	pthread_t thread;
	struct coord *c;
	int id;
};

/* Event i of poster t, derived from its track id alone so the log can be
 * checked line by line. */
static int event_camera(uint32_t track)
{
	return (int)((track / 7) % CAMERAS);
}

static enum direction event_dir(uint32_t track)
{
	return track % 3 == 0 ? DIR_OUT : DIR_IN;
}

static void *poster_main(void *arg)
{
	struct poster *p = arg;

	for (uint32_t i = 0; i < PER_POSTER; i++) {
		uint32_t track = (uint32_t)p->id * PER_POSTER + i;

		post(p->c, event_camera(track), event_dir(track), i, track, T0 + i);
	}
	return NULL;
}

static void concurrent_posters_exact_totals_and_seq(void **state)
{
	(void)state;
	const char *names[CAMERAS] = {"door", "back", "dock"};
	const uint32_t total = POSTERS * PER_POSTER;
	uint64_t want_in[CAMERAS] = {0}, want_out[CAMERAS] = {0}, site_in = 0, site_out = 0;
	struct poster posters[POSTERS];
	struct totals prev = {0};
	unsigned char *seen;
	struct coord *c;
	char *log = NULL, *line;
	size_t len = 0;
	uint64_t nlines = 0;
	FILE *f = open_memstream(&log, &len);

	assert_non_null(f);
	seen = calloc(total, 1);
	assert_non_null(seen);
	assert_int_equal(coord_start(CAMERAS, one_line_each(names, CAMERAS), f, &c), 0);
	for (int t = 0; t < POSTERS; t++) {
		posters[t] = (struct poster){.c = c, .id = t};
		assert_int_equal(pthread_create(&posters[t].thread, NULL, poster_main, &posters[t]), 0);
	}

	/* Snapshots taken while counting are consistent and only grow. */
	for (int i = 0; i < 1000; i++) {
		struct totals now;

		coord_get_totals(c, -1, &now);
		assert_true(now.occupancy >= 0);
		assert_int_equal(now.occupancy - (int64_t)now.corrections,
				 (int64_t)now.in - (int64_t)now.out);
		assert_true(now.in >= prev.in && now.out >= prev.out);
		prev = now;
	}
	for (int t = 0; t < POSTERS; t++)
		assert_int_equal(pthread_join(posters[t].thread, NULL), 0);
	coord_stop(c);

	for (uint32_t track = 0; track < total; track++) {
		int cam = event_camera(track);

		if (event_dir(track) == DIR_IN) {
			want_in[cam]++;
			site_in++;
		} else {
			want_out[cam]++;
			site_out++;
		}
	}
	for (int cam = 0; cam < CAMERAS; cam++)
		assert_totals(c, cam, want_in[cam], want_out[cam]);
	assert_totals(c, -1, site_in, site_out);

	assert_int_equal(fclose(f), 0);
	line = log;
	while (*line) {
		uint64_t seq, frame;
		uint32_t track;
		char camera[16], dir[4];
		char *next = strchr(line, '\n');

		assert_non_null(next);
		*next = '\0';
		assert_int_equal(sscanf(line,
					"{\"seq\":%" SCNu64 ",\"time\":\"%*[^\"]\",\"pts\":%*f,\"camera\":\"%15[^\"]\",\"line\":\"main\","
					"\"direction\":\"%3[^\"]\",\"frame\":%" SCNu64 ",\"track\":%" SCNu32 "}",
					&seq, camera, dir, &frame, &track), 5);
		/* One writer, so seq is the line number: 0..N-1, each once. */
		assert_int_equal(seq, nlines);
		assert_true(track < total);
		assert_int_equal(seen[track], 0);
		seen[track] = 1;
		assert_string_equal(camera, names[event_camera(track)]);
		assert_string_equal(dir, event_dir(track) == DIR_IN ? "in" : "out");
		assert_int_equal(frame, track % PER_POSTER);
		nlines++;
		line = next + 1;
	}
	assert_int_equal(nlines, total);

	coord_end(c);
	free(log);
	free(seen);
}

/* A log stream whose writes block until the test opens the gate, so the
 * coordinator thread can be held inside its first write while the queue
 * fills. Writes are kept for checking. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
	bool writer_waiting;
	char *buf;
	size_t len;
	int posted; /* events the poster thread has finished posting */
	struct coord *c;
};

static ssize_t gate_write(void *cookie, const char *data, size_t size)
{
	struct gate *g = cookie;
	char *buf;

	pthread_mutex_lock(&g->lock);
	while (!g->open) {
		g->writer_waiting = true;
		pthread_cond_broadcast(&g->cond);
		pthread_cond_wait(&g->cond, &g->lock);
	}
	buf = realloc(g->buf, g->len + size + 1);
	if (buf) {
		memcpy(buf + g->len, data, size);
		g->len += size;
		buf[g->len] = '\0';
		g->buf = buf;
	}
	pthread_mutex_unlock(&g->lock);
	return buf ? (ssize_t)size : -1;
}

#define GATED_POSTS (3 * QUEUE_CAP)

static void *gated_poster_main(void *arg)
{
	struct gate *g = arg;

	for (uint32_t i = 0; i < GATED_POSTS; i++) {
		post(g->c, (int)(i % 2), i % 4 == 3 ? DIR_OUT : DIR_IN, i, i + 1, T0);
		pthread_mutex_lock(&g->lock);
		g->posted++;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

static void full_queue_blocks_poster_and_loses_nothing(void **state)
{
	(void)state;
	const char *names[] = {"a", "b"};
	struct gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	cookie_io_functions_t io = {.write = gate_write};
	uint64_t in[2] = {1, 0}, out[2] = {0, 0};
	pthread_t poster;
	FILE *f = fopencookie(&g, "w", io);
	uint64_t nlines = 0;

	assert_non_null(f);
	assert_int_equal(coord_start(2, one_line_each(names, 2), f, &g.c), 0);

	/* Event 0 is taken off the queue, counted, and its write blocks. */
	post(g.c, 0, DIR_IN, 0, 0, T0);
	pthread_mutex_lock(&g.lock);
	while (!g.writer_waiting)
		pthread_cond_wait(&g.cond, &g.lock);
	pthread_mutex_unlock(&g.lock);

	/* With the thread held, exactly QUEUE_CAP posts fit; the next waits. */
	assert_int_equal(pthread_create(&poster, NULL, gated_poster_main, &g), 0);
	pthread_mutex_lock(&g.lock);
	while (g.posted < QUEUE_CAP)
		pthread_cond_wait(&g.cond, &g.lock);
	assert_int_equal(g.posted, QUEUE_CAP);
	assert_totals(g.c, -1, 1, 0);
	g.open = true;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);

	assert_int_equal(pthread_join(poster, NULL), 0);
	coord_stop(g.c);

	for (uint32_t i = 0; i < GATED_POSTS; i++) {
		if (i % 4 == 3)
			out[i % 2]++;
		else
			in[i % 2]++;
	}
	assert_totals(g.c, 0, in[0], out[0]);
	assert_totals(g.c, 1, in[1], out[1]);
	assert_totals(g.c, -1, in[0] + in[1], out[0] + out[1]);

	/* The log holds every event in posting order (one poster). */
	assert_int_equal(fclose(f), 0);
	for (char *line = g.buf; line && *line; nlines++) {
		uint64_t seq;
		uint32_t track;
		char *next = strchr(line, '\n');

		assert_non_null(next);
		assert_int_equal(sscanf(line, "{\"seq\":%" SCNu64 ",%*[^}]", &seq), 1);
		assert_int_equal(seq, nlines);
		assert_non_null(strstr(line, "\"track\":"));
		assert_int_equal(sscanf(strstr(line, "\"track\":"), "\"track\":%" SCNu32, &track), 1);
		assert_int_equal(track, (uint32_t)nlines);
		line = next + 1;
	}
	assert_int_equal(nlines, GATED_POSTS + 1);

	coord_end(g.c);
	free(g.buf);
}

static void occupancy_never_goes_below_zero(void **state)
{
	(void)state;
	const char *names[] = {"door"};
	struct coord *c;
	struct totals t;

	assert_int_equal(coord_start(1, one_line_each(names, 1), NULL, &c), 0);
	/* Two exits before any entry (missed entries), then two in, one out. */
	post(c, 0, DIR_OUT, 1, 1, T0);
	post(c, 0, DIR_OUT, 2, 2, T0);
	post(c, 0, DIR_IN, 3, 3, T0);
	post(c, 0, DIR_IN, 4, 4, T0);
	post(c, 0, DIR_OUT, 5, 4, T0);
	coord_stop(c);
	coord_get_totals(c, -1, &t);
	assert_int_equal(t.in, 2);
	assert_int_equal(t.out, 3);
	assert_int_equal(t.occupancy, 1);
	assert_int_equal(t.corrections, 2);
	coord_end(c);
}

static void lines_are_counted_and_logged_apart(void **state)
{
	(void)state;
	struct coord_camera cams[2] = {
		{.name = "gates", .nlines = 2, .line_names = {"north", "south"}},
		{.name = "door", .nlines = 1, .line_names = {"main"}},
	};
	struct coord *c;
	struct totals t;
	char *log = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&log, &len);

	assert_non_null(f);
	assert_int_equal(coord_start(2, cams, f, &c), 0);
	struct event evs[] = {
		{.camera = 0, .line = 1, .dir = DIR_IN, .wall_ns = T0},
		{.camera = 0, .line = 0, .dir = DIR_OUT, .wall_ns = T0},
		{.camera = 0, .line = 1, .dir = DIR_IN, .wall_ns = T0},
		{.camera = 1, .line = 0, .dir = DIR_IN, .wall_ns = T0},
		{.camera = 1, .line = 1, .dir = DIR_IN, .wall_ns = T0}, /* no such line: ignored */
	};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		coord_post(c, &evs[i]);
	coord_stop(c);
	coord_get_line_totals(c, 0, 0, &t);
	assert_int_equal(t.in, 0);
	assert_int_equal(t.out, 1);
	coord_get_line_totals(c, 0, 1, &t);
	assert_int_equal(t.in, 2);
	assert_int_equal(t.out, 0);
	coord_get_line_totals(c, 1, 0, &t);
	assert_int_equal(t.in, 1);
	coord_get_line_totals(c, 1, 1, &t);
	assert_int_equal(t.in + t.out, 0);
	assert_totals(c, 0, 2, 1);
	assert_totals(c, -1, 3, 1);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(log, "\"camera\":\"gates\",\"line\":\"south\",\"direction\":\"in\""));
	assert_non_null(strstr(log, "\"camera\":\"gates\",\"line\":\"north\",\"direction\":\"out\""));
	assert_null(strstr(log, "\"line\":\"main\",\"direction\":\"out\""));
	free(log);
	coord_end(c);
}

/* The live view's events pane: the latest events, oldest first, numbered. */
static void recent_events_are_the_latest_in_order(void **state)
{
	(void)state;
	const char *names[] = {"a", "b"};
	struct coord_recent r[COORD_RECENT + 8];
	struct coord *c;

	assert_int_equal(coord_start(2, one_line_each(names, 2), NULL, &c), 0);
	assert_int_equal(coord_get_recent(c, r, 8), 0);
	post(c, 1, DIR_OUT, 7, 70, T0);
	post(c, 0, DIR_IN, 8, 80, T0 + 1);
	coord_stop(c);
	assert_int_equal(coord_get_recent(c, r, 8), 2);
	assert_int_equal(r[0].seq, 0);
	assert_int_equal(r[0].ev.camera, 1);
	assert_int_equal(r[0].ev.dir, DIR_OUT);
	assert_int_equal(r[1].seq, 1);
	assert_int_equal(r[1].ev.track, 80);
	assert_int_equal(r[1].ev.wall_ns, T0 + 1);
	assert_int_equal(coord_get_recent(c, r, 1), 1);
	assert_int_equal(r[0].seq, 1);
	assert_int_equal(coord_get_recent(c, r, 0), 0);
	coord_end(c);

	/* Past the ring's size: the last COORD_RECENT, never more. */
	assert_int_equal(coord_start(2, one_line_each(names, 2), NULL, &c), 0);
	for (uint32_t i = 0; i < COORD_RECENT + 5; i++)
		post(c, 0, DIR_IN, i, i, T0);
	coord_stop(c);
	assert_int_equal(coord_get_recent(c, r, COORD_RECENT + 8), COORD_RECENT);
	for (int i = 0; i < COORD_RECENT; i++) {
		assert_int_equal(r[i].seq, 5 + i);
		assert_int_equal(r[i].ev.track, 5 + i);
	}
	coord_end(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_poster_log_lines_and_totals),
		cmocka_unit_test(totals_start_at_zero_and_ignore_bad_camera),
		cmocka_unit_test(stop_is_idempotent),
		cmocka_unit_test(bad_and_late_events_are_not_counted),
		cmocka_unit_test(create_rejects_bad_arguments),
		cmocka_unit_test(concurrent_posters_exact_totals_and_seq),
		cmocka_unit_test(full_queue_blocks_poster_and_loses_nothing),
		cmocka_unit_test(occupancy_never_goes_below_zero),
		cmocka_unit_test(lines_are_counted_and_logged_apart),
		cmocka_unit_test(recent_events_are_the_latest_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
