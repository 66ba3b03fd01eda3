/* Line-crossing counter for one line of one camera. Reads the tracker's
 * slots each frame and reports each crossing once: an object must be
 * clearly on one side (beyond a hysteresis band) and then clearly on the
 * other, crossing inside the drawn segment, as a confirmed track.
 * Jitter on the line therefore never counts twice. */
#ifndef TURNSTILE_COUNTER_H
#define TURNSTILE_COUNTER_H

#include <stdint.h>

#include "objsize.h"
#include "tracker.h"
#include "turnstile/event.h"
#include "line.h"

struct counter_params {
	float band;        /* half-width of the hysteresis band, normalised (0.03) */
	float object_area; /* area of one object (fraction of the frame); 0 = learn it */
};

#define COUNTER_PARAMS_DEFAULT ((struct counter_params){0.03f, 0.0f})

struct crossing {
	uint32_t track;
	enum direction dir;
};

struct counter;

int counter_create(const struct line *l, const struct counter_params *p, struct counter **out);

/* Room a caller's crossing array needs for one counter_update. */
#define COUNTER_MAX_CROSSINGS (TRACKER_MAX_TRACKS * OBJSIZE_MAX_MULTIPLE)

/* Updates side states from tracks (the tracker's TRACKER_MAX_TRACKS slots)
 * and writes the crossings of this frame to out (room for
 * COUNTER_MAX_CROSSINGS): one per object, so a merged blob the size of two
 * objects gives two. Returns how many. */
int counter_update(struct counter *c, const struct track *tracks, struct crossing *out);

/* Forgets every track: the per-slot sides and the recently ended tracks a
 * new one could inherit a side from. For when the tracker started over (a
 * camera came back after losing its device): the objects may be anywhere
 * by now, so a track that begins where an old one was last seen is not
 * that object. The learnt object size stays; counts are the caller's. */
void counter_reset_tracks(struct counter *c);

void counter_destroy(struct counter *c);

#endif
