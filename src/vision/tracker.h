/* Multi-object tracker: keeps an identity per moving object across frames
 * from the detector's blobs. Constant-velocity prediction, greedy nearest
 * assignment inside a gate, confirmation after a few hits, coasting through
 * short misses. Fixed capacity, no allocation after create. */
#ifndef TURNSTILE_TRACKER_H
#define TURNSTILE_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"

#define TRACKER_MAX_TRACKS 64

struct track {
	uint32_t id;         /* unique in the run, never 0 */
	float x, y;          /* current position, normalised */
	float vx, vy;        /* velocity, normalised units per frame */
	float w, h;          /* box of the last observation, normalised */
	float size;          /* its diagonal */
	float area;          /* its foreground area, fraction of the frame */
	int hits;            /* frames with a matched blob */
	int missed;          /* consecutive frames without one */
	bool confirmed;      /* hits reached the confirmation count */
	bool updated;        /* matched a blob this frame (false while coasting) */
};

struct tracker_params {
	int confirm_hits;   /* hits before a track may count (3) */
	int max_missed;     /* frames a track coasts before it ends (8) */
	float gate;         /* largest jump from the prediction, normalised (0.15) */
};

#define TRACKER_PARAMS_DEFAULT ((struct tracker_params){3, 8, 0.15f})

struct tracker;

int tracker_create(const struct tracker_params *p, struct tracker **out);

/* Associates blobs with the tracks and returns the live tracks in slots
 * tracks[0..TRACKER_MAX_TRACKS): a slot whose id is 0 is empty. A slot keeps
 * its track for the track's whole life, so callers may index state by slot;
 * a new id in a slot means a new track. */
const struct track *tracker_update(struct tracker *t, const struct blob *blobs, int n);

/* Ends every track at once (a live source restarted: what was seen before
 * does not continue); ids stay unique in the run. */
void tracker_reset(struct tracker *t);

void tracker_destroy(struct tracker *t);

#endif
