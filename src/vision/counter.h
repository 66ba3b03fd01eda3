/* Line-crossing counter for one line of one camera. Reads the tracker's
 * slots each frame and reports each crossing once, per track, on its
 * filtered trajectory: an object must be clearly on one side (beyond a
 * hysteresis band) and then clearly on the other, crossing inside the
 * drawn segment, as a confirmed track. Jitter on the line therefore never
 * counts twice, and a track in a group counts for itself, so a count never
 * depends on where two objects merged or split. */
#ifndef TURNSTILE_COUNTER_H
#define TURNSTILE_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

#include "objsize.h"
#include "tracker.h"
#include "turnstile/event.h"
#include "line.h"

enum counter_anchor {
	ANCHOR_CENTRE, /* the blob's centroid: cameras looking down */
	ANCHOR_BOTTOM, /* the middle of the box's bottom edge: where feet or wheels cross */
};

struct counter_params {
	float band;        /* half-width of the hysteresis band, normalised (0.03) */
	float object_area; /* area of one object (fraction of the frame); 0 = learn it */
	enum counter_anchor anchor;
};

#define COUNTER_PARAMS_DEFAULT ((struct counter_params){0.03f, 0.0f, ANCHOR_CENTRE})

struct crossing {
	uint32_t track;
	enum direction dir;
	int objects; /* a blob judged to hold k objects gives k crossings, each saying k */
};

struct counter;

int counter_create(const struct line *l, const struct counter_params *p, struct counter **out);

/* Room a caller's crossing array needs for one counter_update. */
#define COUNTER_MAX_CROSSINGS (TRACKER_MAX_TRACKS * OBJSIZE_MAX_MULTIPLE)

/* Updates side states from tracks (the tracker's TRACKER_MAX_TRACKS slots)
 * and writes the crossings of this frame to out (room for
 * COUNTER_MAX_CROSSINGS): one per object, so a blob never seen as separate
 * objects and the size of two gives two. Returns how many. */
int counter_update(struct counter *c, const struct track *tracks, struct crossing *out);

/* Forgets every track (the tracker started over: a camera came back after
 * losing its device). The learnt object size stays; counts are the
 * caller's. */
void counter_reset_tracks(struct counter *c);

/* Why the counts are what they are. */
struct counter_stats {
	uint64_t tracks_seen;  /* tracks confirmed (tentative ones are noise until then) */
	uint64_t turned_back;  /* tracks that came into the line's band from one side and
				* ended on that same side, uncounted */
	float object_area;     /* one object's area in use (objsize_one_area); 0 = learning */
};

/* A snapshot of the stats; any thread (relaxed atomics, one writer). */
void counter_get_stats(const struct counter *c, struct counter_stats *out);

/* One object's area and larger extent in use (objsize_one_area and _extent,
 * kept as it learns); 0 while learning. The counter's own thread. */
void counter_object_size(const struct counter *c, float *area, float *extent);

/* The object-size model, to keep across runs (the state directory). */
const struct objsize *counter_objsize(const struct counter *c);
void counter_set_objsize(struct counter *c, const struct objsize *s);

void counter_destroy(struct counter *c);

#endif
