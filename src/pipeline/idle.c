/* Idle skipping: the gap rule from the line geometry (idle_reach,
 * idle_gap_frames) and the per-frame decision (idle_skip, idle_decoded).
 * See idle.h for the rule and its units. Inference thread only. */
#include "idle.h"

#include <math.h>

/* The measured interval follows a slower rate at once (a UVC camera
 * halving its rate in the dark must not leave N too large for a single
 * gap) and a faster one over about this many frames. */
#define INTERVAL_RELEASE 16.0

static double point_segment(double px, double py, double ax, double ay, double bx, double by)
{
	double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
	double u = len2 > 0.0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0;
	u = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
	return hypot(px - (ax + u * dx), py - (ay + u * dy));
}

static double cross(double ax, double ay, double bx, double by, double cx, double cy)
{
	return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* Distance between segments PQ and AB: 0 when they meet, else the
 * shortest of the four end-to-segment distances. */
static double segment_segment(double px, double py, double qx, double qy, double ax, double ay,
			      double bx, double by)
{
	double d1 = cross(px, py, qx, qy, ax, ay), d2 = cross(px, py, qx, qy, bx, by);
	double d3 = cross(ax, ay, bx, by, px, py), d4 = cross(ax, ay, bx, by, qx, qy);
	if (((d1 <= 0.0 && d2 >= 0.0) || (d1 >= 0.0 && d2 <= 0.0)) &&
	    ((d3 <= 0.0 && d4 >= 0.0) || (d3 >= 0.0 && d4 <= 0.0)))
		return 0.0;
	double d = point_segment(px, py, ax, ay, bx, by);
	d = fmin(d, point_segment(qx, qy, ax, ay, bx, by));
	d = fmin(d, point_segment(ax, ay, px, py, qx, qy));
	return fmin(d, point_segment(bx, by, px, py, qx, qy));
}

/* The shortest distance from line l to the edges of polygon p. */
static double polygon_distance(const struct line *l, const struct polygon *p)
{
	double d = INFINITY;
	for (int i = 0; i < p->n; i++) {
		int j = (i + 1) % p->n;
		d = fmin(d, segment_segment(p->x[i], p->y[i], p->x[j], p->y[j], l->ax, l->ay, l->bx,
					    l->by));
	}
	return d;
}

double idle_reach(const struct line *lines, int nlines, double band, const struct regions *r,
		  int *closest)
{
	static const struct polygon picture = {4, {0, 1, 1, 0}, {0, 0, 1, 1}};
	double best = INFINITY;
	int at = 0;

	for (int k = 0; k < nlines; k++) {
		const struct line *l = &lines[k];
		double d = INFINITY;
		/* Objects come into sight at the picture's edges, or with roi=
		 * only at the roi polygons' edges (nothing is foreground
		 * outside them), and out from under a mask= polygon. */
		if (r->nroi == 0)
			d = polygon_distance(l, &picture);
		for (int i = 0; i < r->nroi; i++)
			d = fmin(d, polygon_distance(l, &r->roi[i]));
		for (int i = 0; i < r->nmask; i++)
			d = fmin(d, polygon_distance(l, &r->mask[i]));
		/* To the band: within band of the drawn segment (the counter
		 * needs a track clearly outside it before it can count). */
		d = fmax(0.0, d - band);
		if (d < best) {
			best = d;
			at = k;
		}
	}
	if (closest)
		*closest = at;
	return nlines > 0 ? best : 0.0;
}

int idle_gap_frames(double limit, double interval)
{
	if (!(interval > 0.0) || !(limit > interval))
		return 1;
	/* Largest n with n * interval < limit: ceil(limit / interval) - 1. */
	double n = fmin(ceil(limit / interval) - 1.0, 1e6);
	/* The division may round either way: settle on the product. */
	while (n > 1.0 && n * interval >= limit)
		n -= 1.0;
	while ((n + 1.0) * interval < limit && n < 1e6)
		n += 1.0;
	return n < 1.0 ? 1 : (int)n;
}

void idle_init(struct idle *s, bool enabled, double limit, double fps)
{
	*s = (struct idle){
		.enabled = enabled,
		.limit = fmin(limit, IDLE_MAX_GAP_SECONDS),
		.interval = fps > 0.0 ? 1.0 / fps : 0.04,
	};
	s->n = idle_gap_frames(s->limit, s->interval);
}

bool idle_skip(struct idle *s, double t)
{
	if (!s->started) {
		/* The start counts as activity: the background model learns
		 * from every frame of the first hold time. */
		s->started = true;
		s->t_prev = s->t_decoded = s->t_active = t;
		return false;
	}
	double gap = t - s->t_prev;
	s->t_prev = t;
	if (gap > 0.0) {
		if (gap > s->interval)
			s->interval = gap;
		else
			s->interval += (gap - s->interval) / INTERVAL_RELEASE;
		s->n = idle_gap_frames(s->limit, s->interval);
	}
	s->since++;
	if (!s->enabled || s->n <= 1 || !s->idle || s->since >= s->n)
		return false;
	/* Irregular timing: never let the next frame come later than the
	 * limit after the last decoded one. */
	return t - s->t_decoded + s->interval < s->limit;
}

int idle_frames_ahead(const struct idle *s)
{
	/* idle_skip counts since up before it compares: the frame that makes
	 * since reach n is decoded. */
	if (!s->started || !s->enabled || s->n <= 1 || !s->idle || s->since >= s->n)
		return 1;
	return s->n - s->since;
}

void idle_decoded(struct idle *s, double t, bool active)
{
	s->since = 0;
	s->t_decoded = t;
	if (active) {
		s->t_active = t;
		s->idle = false;
	} else if (!s->idle && t - s->t_active >= IDLE_HOLD_SECONDS) {
		s->idle = true;
	}
}

void idle_wake(struct idle *s, double t)
{
	s->t_active = t;
	s->idle = false;
}
