/* Idle skipping (issue 17, docs/idle-skip.md): while a camera's scene is
 * empty its inference thread decodes only one frame in N, N chosen from
 * time so that nothing can come from where it first becomes visible to the
 * band of a line between two decoded frames.
 *
 * The rule, taken literally from the issue: N is the largest N with
 *     N * frame_interval < d / max_speed
 * where d is the shortest distance from any edge an object can first be
 * seen at (the picture's edges, or with roi= the roi polygons' edges; and
 * the mask= polygons' edges, from under which an object can come just the
 * same) to the band (the line's hysteresis band) of any line, and
 * max_speed is the camera's max_speed= key. Distances and speeds are in
 * normalised picture coordinates, the ones lines, polygons and the band
 * are given in: x is a detect-image pixel divided by the image's width, y
 * by its height, so a speed of 1.0 crosses the whole picture, either way,
 * in one second. A line that touches an edge gives d = 0 and N = 1.
 *
 * The decisions depend only on the frames' timestamps and on what decoded
 * frames showed (never on the wall clock), so a replay decides the same
 * every run, paced or not. One struct idle per camera, used by its
 * inference thread only; no locks, no allocation. */
#ifndef TURNSTILE_IDLE_H
#define TURNSTILE_IDLE_H

#include <stdbool.h>

#include "line.h"
#include "region.h"

/* max_speed= default: people running in a normal door view (a picture in
 * about a second) and cars at car-park speeds, with margin. Roads: 3. */
#define IDLE_MAX_SPEED_DEFAULT 1.5f
/* Seconds with no track and no foreground before skipping starts. */
#define IDLE_HOLD_SECONDS 1.0
/* The longest gap between decoded frames whatever the geometry: the
 * detector and tracker take a time step over 2 s for a clock jump
 * (detect.c, tracker.c), and a skipped stretch must stay an ordinary step. */
#define IDLE_MAX_GAP_SECONDS 1.0

/* The shortest distance (normalised, see above) from any edge where an
 * object can first be seen to the band of any of lines[0..nlines); 0 when
 * a line touches or crosses one. *closest (may be NULL) is the index of
 * the line that gives it. */
double idle_reach(const struct line *lines, int nlines, double band, const struct regions *r,
		  int *closest);

/* The largest N >= 1 with N * interval < limit (1 when even one frame is
 * too long); limit and interval in seconds. */
int idle_gap_frames(double limit, double interval);

struct idle {
	bool enabled;
	double limit;      /* seconds: d / max_speed, at most IDLE_MAX_GAP_SECONDS */
	double interval;   /* measured frame interval, seconds */
	int n;             /* N for that interval (1: skipping inactive) */
	bool started;      /* a frame was seen */
	double t_prev;     /* the last frame's time */
	double t_decoded;  /* the last decoded frame's time */
	double t_active;   /* the last time something was seen (or the start) */
	int since;         /* frames since the last decoded one */
	bool idle;         /* skipping now */
};

/* limit: d / max_speed in seconds (0 or less: never skip); fps: the
 * source's nominal rate, the first guess at the interval. */
void idle_init(struct idle *s, bool enabled, double limit, double fps);

/* For every frame, in order, before decoding it: true when the frame may
 * be skipped. t: the frame's time in seconds (non-decreasing). */
bool idle_skip(struct idle *s, double t);

/* After a frame was decoded and run through detection and tracking:
 * active when it showed any foreground blob or any live track. */
void idle_decoded(struct idle *s, double t, bool active);

/* How many frames from the next one on until the first that idle_skip will
 * decode whatever their times: all before it are skipped unless frames
 * come irregularly (idle_skip decides each one, this is only a forecast).
 * 1 while every frame is decoded. The inference thread waits for that many
 * frames at once (ring_acquire_read_many), so a skipped frame costs it no
 * wake-up. */
int idle_frames_ahead(const struct idle *s);

/* Something happened that is as good as motion (the tracking restarted):
 * decode every frame for the hold time from t. */
void idle_wake(struct idle *s, double t);

#endif
