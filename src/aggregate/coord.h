/* Coordinator: one thread that receives crossing events from every camera's
 * inference thread, numbers them, hands them to the event sinks (sink.h:
 * the journal first, then the event log...) and keeps the totals per line,
 * camera and site. It is the totals' only owner; sinks and views read what
 * it publishes.
 *
 * Threads: coord_post is called from any inference thread; everything else
 * from the main thread (coord_get_* from any). Lock order: coord's queue
 * mutex is a leaf. */
#ifndef TURNSTILE_COORD_H
#define TURNSTILE_COORD_H

#include <stdint.h>

#include "sink.h"
#include "tally.h"
#include "turnstile/event.h"
#include "turnstile/limits.h"
#include "turnstile/totals.h"

/* A camera as the coordinator and its sinks know it: a name and its lines'
 * names. */
struct coord_camera {
	const char *name;
	int nlines;
	const char *line_names[TURNSTILE_MAX_LINES];
};

/* An event as the coordinator numbered it, for a live view. */
struct coord_recent {
	uint64_t seq;
	struct event ev;
};

#define COORD_RECENT 256 /* events coord_get_recent can return */

struct coord_config {
	int ncameras;
	const struct coord_camera *cams; /* ncameras, 1..TURNSTILE_MAX_LINES lines each */
	const struct event_sink *sinks;  /* nsinks, copied; each is the thread's until
					  * coord_stop returns */
	int nsinks;
	const struct tally *resume;      /* totals to carry on from (a journal's); NULL: zero */
	uint64_t next_seq;               /* the first event's sequence number */
};

struct coord;

/* Starts the thread "coord". Returns 0 or -errno (-EINVAL for a bad
 * config). */
int coord_create(const struct coord_config *cfg, struct coord **out);

/* Queues an event; never drops one (waits if the queue is full). Thread-safe. */
void coord_post(struct coord *c, const struct event *ev);

/* The same, as a camera's post callback (ctx is the coordinator). */
void coord_post_cb(void *ctx, const struct event *ev);

/* Current totals (consistent snapshot); camera = -1 for the site. */
void coord_get_totals(struct coord *c, int camera, struct totals *out);

/* In and out of one line of one camera (occupancy and corrections are 0). */
void coord_get_line_totals(struct coord *c, int camera, int line, struct totals *out);

/* Copies up to max (<= COORD_RECENT) of the latest events, oldest first;
 * returns how many. */
int coord_get_recent(struct coord *c, struct coord_recent *out, int max);

/* Processes every queued event, closes the sinks, stops and joins the
 * thread. Totals stay readable until coord_destroy. Idempotent. */
void coord_stop(struct coord *c);
void coord_destroy(struct coord *c);

#endif
