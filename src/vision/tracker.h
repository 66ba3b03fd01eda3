/* Multi-object tracker: keeps an identity per moving object across frames
 * from the detector's blobs.
 * - Each track is a constant-velocity Kalman filter on its position (x and
 *   y independent) with the time step from frame timestamps; its box size
 *   is smoothed the same way with no velocity.
 * - Blobs are assigned to tracks by a globally optimal assignment
 *   (Hungarian) on a cost from box overlap and distance to the prediction.
 * - Tracks that merge into one blob form a group: each member keeps its
 *   own predicted position, moved along with the blob, so the members are
 *   told apart again when the blob splits.
 * - A smaller blob inside a track's box is a fragment of that object (legs
 *   apart from the torso) and joins its observation.
 * Fixed capacity, no allocation after create. */
#ifndef TURNSTILE_TRACKER_H
#define TURNSTILE_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "detect.h"

#define TRACKER_MAX_TRACKS 64

struct track {
	uint32_t id;         /* unique in the run, never 0 */
	uint32_t parent;     /* the track this one split off from (several objects
			      * that came in as one blob), or 0 */
	float x, y;          /* filtered position (centroid), normalised */
	float vx, vy;        /* velocity, normalised units per second */
	float w, h;          /* filtered box size, normalised */
	float bottom;        /* filtered bottom edge of the box (feet), normalised */
	float area;          /* foreground area of its last own observation */
	int hits;            /* frames with an observation (own or as a group) */
	int missed;          /* consecutive frames without one */
	bool confirmed;      /* hits reached the confirmation count */
	bool updated;        /* observed this frame, alone or within a group */
	bool grouped;        /* this frame it shares its blob with other tracks */
	bool ever_grouped;   /* it has shared a blob with another track */
	bool small;          /* seen only in blobs under the smallest object size so far
			      * (far away, coming closer): never confirmed, never counts */
	bool rebased;        /* this frame part of its blob split off as a new track:
			      * its position jumped to what is left, it did not move */
	uint32_t absorbed;   /* a track that ended inside this one this frame (a
			      * fragment taken in, a group member lost in its blob), or 0 */
};

struct tracker_params {
	int confirm_hits;     /* hits before a track may count (3) */
	float max_coast;      /* seconds a track coasts before it ends (0.5) */
	float gate;           /* largest jump from the prediction, normalised (0.15) */
	float fps;            /* nominal frame rate: the time step of the first frame */
};

#define TRACKER_PARAMS_DEFAULT ((struct tracker_params){3, 0.5f, 0.15f, 25.0f})

struct tracker;

int tracker_create(const struct tracker_params *p, struct tracker **out);

/* Associates blobs seen at time t_sec (seconds, non-decreasing) with the
 * tracks and returns the live tracks in slots tracks[0..TRACKER_MAX_TRACKS):
 * a slot whose id is 0 is empty. A slot keeps its track for the track's
 * whole life, so callers may index state by slot; a new id in a slot means
 * a new track. */
const struct track *tracker_update(struct tracker *t, const struct blob *blobs, int n,
				   double t_sec);

/* One object's area and larger extent (normalised), as the counters learnt
 * them; 0 while not known. Blobs each under half that area are parts of the
 * object of a track that was once half an object or more: inside its box,
 * or, while it is seen in part (under half an object), together with it no
 * larger than one object. */
void tracker_set_object_size(struct tracker *t, float area, float extent);

/* Ends every track at once (ids stay unique in the run): for a camera that
 * came back after losing its device, whose objects may be anywhere now. */
void tracker_reset(struct tracker *t);

void tracker_destroy(struct tracker *t);

#endif
