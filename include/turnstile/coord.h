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

struct event {
	int camera;          /* index into the names given to coord_create */
	enum direction dir;
	uint64_t frame;      /* 0-based frame index where the crossing was counted */
	uint32_t track;      /* the tracker's object id */
	int64_t wall_ns;     /* CLOCK_REALTIME when counted */
};

struct coord_totals {
	uint64_t in, out;
	int64_t occupancy; /* in - out */
};

struct coord;

/* names: ncameras camera names, copied. events: stream for JSON lines (one
 * object per event, flushed per line) or NULL. Starts the thread "coord".
 * Returns 0 or -errno. */
int coord_create(int ncameras, const char *const *names, FILE *events, struct coord **out);

/* Queues an event; never drops one (waits if the queue is full). Thread-safe. */
void coord_post(struct coord *c, const struct event *ev);

/* Current totals (consistent snapshot); camera = -1 for the site. */
void coord_get_totals(struct coord *c, int camera, struct coord_totals *out);

/* Processes every queued event, stops and joins the thread. Totals stay
 * readable until coord_destroy. Idempotent. */
void coord_stop(struct coord *c);
void coord_destroy(struct coord *c);

#endif
