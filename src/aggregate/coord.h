/* Coordinator: one thread that receives crossing events from every camera's
 * inference thread, numbers them, appends them to the journal (when there is
 * one), keeps totals per line, camera and site, and writes the event log.
 *
 * Threads: coord_post is called from any inference thread; everything else
 * from the main thread (coord_get_* from any). Lock order: coord's queue
 * mutex is a leaf. */
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

/* An event as the coordinator numbered it, for a live view. */
struct coord_recent {
	uint64_t seq;
	struct event ev;
};

#define COORD_RECENT 256 /* events coord_get_recent can return */

struct coord;
struct journal;

/* cams: ncameras cameras, names copied. events: stream for JSON lines or
 * NULL; each line is written and flushed on its own, so the stream's file
 * descriptor may be swapped (dup2) between lines, as main does on SIGHUP.
 * Starts the thread "coord". Returns 0 or -errno. */
int coord_create(int ncameras, const struct coord_camera *cams, FILE *events, struct coord **out);

/* The same, with durable counts. journal: NULL, or one opened for the same
 * cameras (turnstile/journal.h): the totals and sequence numbers carry on
 * from it, every event is appended and synced to it before it is counted or
 * logged, its daily reset zeroes the totals, and it is snapshotted when the
 * thread stops. The journal is the thread's until coord_stop returns; the
 * caller closes it after. */
int coord_create_journaled(int ncameras, const struct coord_camera *cams, FILE *events,
			   struct journal *journal, struct coord **out);

/* Queues an event; never drops one (waits if the queue is full). Thread-safe. */
void coord_post(struct coord *c, const struct event *ev);

/* Current totals (consistent snapshot); camera = -1 for the site. */
void coord_get_totals(struct coord *c, int camera, struct coord_totals *out);

/* In and out of one line of one camera (occupancy and corrections are 0). */
void coord_get_line_totals(struct coord *c, int camera, int line, struct coord_totals *out);

/* Copies up to max (<= COORD_RECENT) of the latest events, oldest first;
 * returns how many. */
int coord_get_recent(struct coord *c, struct coord_recent *out, int max);

/* Adds one crossing to t the way the coordinator does: occupancy never goes
 * below zero, an exit with nobody inside is a correction. Pure. */
void coord_totals_add(struct coord_totals *t, enum direction dir);

/* Processes every queued event, stops and joins the thread. Totals stay
 * readable until coord_destroy. Idempotent. */
void coord_stop(struct coord *c);
void coord_destroy(struct coord *c);

#endif
