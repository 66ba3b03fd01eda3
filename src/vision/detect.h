/* Moving-object detection on the reduced gray image: per-pixel background
 * statistics -> foreground mask -> morphology -> connected components ->
 * blobs. One detector per inference thread; every buffer is allocated at
 * create, nothing per frame. Sizes are normalised to the frame and times
 * are in seconds, so the result does not hang on the detection scale or
 * the frame rate. */
#ifndef TURNSTILE_DETECT_H
#define TURNSTILE_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"
#include "turnstile/gray.h"

#define DETECT_MAX_BLOBS 64

struct blob {
	float cx, cy;           /* centroid, normalised 0..1 */
	float x0, y0, x1, y1;   /* bounding box, normalised */
	float area;             /* fraction of the frame */
	bool small;             /* under min_area (but over half of it): only a track that
				 * has never been bigger may take it (a far object coming
				 * closer), and it cannot make one count */
	bool faint;             /* small, and under half of min_area (down to a quarter):
				 * it only keeps a track that has been small all its life
				 * (a far object at the edge of detection flickers across
				 * that half), and starts one only clear of every track */
	uint8_t queue;          /* nonzero: one of the parts a long blob was cut into
				 * across its length (objects nose to tail), all with
				 * this number; the tracker puts them back together
				 * unless an object moving along that length is there */
	float queue_ax, queue_ay; /* the queue's length, a unit vector (normalised
				 * coordinates): its parts follow one another along it */
	float queue_wide;       /* and its width across that, normalised */
};

struct detect_params {
	float min_area;      /* smallest blob that is an object, fraction of the frame (0.002);
			      * from half of it blobs come out marked small, from a
			      * quarter faint (after all the others) */
	float max_area;      /* largest blob that can be an object (0.81) */
	float learn_seconds; /* background time constant for background pixels (2 s) */
	float absorb_seconds;/* foreground still this long becomes background (90 s) */
	float fps;           /* nominal frame rate: the time step of the first frame */
	bool shadows;        /* a darkening that keeps the background's texture is a cast
			      * shadow, not foreground (docs/shadows.md; off by default) */
};

#define DETECT_PARAMS_DEFAULT ((struct detect_params){0.002f, 0.81f, 2.0f, 90.0f, 25.0f, false})

struct detector;

int detector_create(int w, int h, const struct detect_params *p, struct detector **out);

/* Updates the model with g, taken at time t_sec (seconds, any origin,
 * non-decreasing), and returns the foreground blobs (largest first) in
 * blobs[0..*n). The first frames after create or reset only train the
 * model (*n = 0). */
void detector_process(struct detector *d, const struct gray *g, double t_sec, struct blob *blobs,
		      int *n);

/* Restricts detection to the camera's regions: no foreground outside its
 * roi= polygons (if any) or inside its mask= polygons, and no exposure
 * measured there. Called at set-up, not per frame. Returns 0 or -ENOMEM. */
int detector_set_regions(struct detector *d, const struct regions *r);

/* Forgets the background: the next frame starts learning afresh. For a
 * camera that came back after losing its device (it may point elsewhere
 * now); a scene cut is detected by itself. */
void detector_reset(struct detector *d);

/* The last foreground mask (w * h, 0 or 1), for tests and debugging. */
const uint8_t *detector_mask(const struct detector *d);

/* The current exposure gain (frame / background model), for tests. */
float detector_gain(const struct detector *d);

/* The current frame's shift against the model, pixels (sway, drift), for
 * tests. */
void detector_shift(const struct detector *d, int *sx, int *sy);

void detector_destroy(struct detector *d);

#endif
