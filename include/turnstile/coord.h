/* Coordinator: one thread that receives crossing events from every camera's
 * inference thread, numbers them, writes the event log and keeps totals per
 * camera and for the site.
 *
 * Threads: coord_post is called from any inference thread; everything else
 * from the main thread. Lock order: coord's queue mutex is a leaf. */
#ifndef TURNSTILE_COORD_H
#define TURNSTILE_COORD_H

#include <stdint.h>
#include <stdio.h>

enum direction { DIR_IN, DIR_OUT };

#define COORD_MAX_LINES 8

/* A camera as the coordinator knows it: a name and its lines' names. */
struct coord_camera {
	const char *name;
	int nlines;
	const char *line_names[COORD_MAX_LINES];
};

struct event {
	int camera;          /* index into the cameras given to coord_create */
	int line;            /* index into that camera's lines */
	enum direction dir;
	uint64_t frame;      /* 0-based frame index where the crossing was counted */
	uint32_t track;      /* the tracker's object id */
	int64_t wall_ns;     /* CLOCK_REALTIME when counted */
};

struct coord_totals {
	uint64_t in, out;
	/* in - out, except that it never goes below zero: an exit counted while
	 * nobody is counted inside (a missed entry) is a correction instead. */
	int64_t occupancy;
	uint64_t corrections;
};

struct coord;

/* cams: ncameras cameras, names copied. events: stream for JSON lines (one
 * object per event, flushed per line) or NULL. Starts the thread "coord".
 * Returns 0 or -errno. */
int coord_create(int ncameras, const struct coord_camera *cams, FILE *events, struct coord **out);

/* Queues an event; never drops one (waits if the queue is full). Thread-safe. */
void coord_post(struct coord *c, const struct event *ev);

/* Current totals (consistent snapshot); camera = -1 for the site. */
void coord_get_totals(struct coord *c, int camera, struct coord_totals *out);

/* In and out of one line of one camera (occupancy and corrections are 0). */
void coord_get_line_totals(struct coord *c, int camera, int line, struct coord_totals *out);

/* Processes every queued event, stops and joins the thread. Totals stay
 * readable until coord_destroy. Idempotent. */
void coord_stop(struct coord *c);
void coord_destroy(struct coord *c);

#endif
