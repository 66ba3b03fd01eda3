/* Regions of a camera's picture, as polygons in normalised coordinates
 * (0..1, x right, y down): roi= polygons, where motion may count, and
 * mask= polygons, where it is ignored (a swinging door, a flag, a screen,
 * a road the line does not serve). Pure functions, no state. */
#ifndef TURNSTILE_REGION_H
#define TURNSTILE_REGION_H

#include <stdint.h>

#define REGION_MAX_POINTS 16 /* vertices of one polygon (one config line holds them) */
#define REGION_MAX 8         /* roi= polygons, and mask= polygons, per camera */

struct polygon {
	int n;
	float x[REGION_MAX_POINTS], y[REGION_MAX_POINTS];
};

/* The regions of one camera: no roi means the whole picture. */
struct regions {
	struct polygon roi[REGION_MAX], mask[REGION_MAX];
	int nroi, nmask;
};

/* Parses "X1,Y1,X2,Y2,X3,Y3[,...]": 3 to REGION_MAX_POINTS points, each
 * coordinate in 0..1, enclosing some area. Returns 0 or -EINVAL. */
int polygon_parse(const char *text, struct polygon *out);

/* Even-odd rule; a point on an edge may fall either side. */
int polygon_contains(const struct polygon *p, float x, float y);

/* Fills active (w * h) with 1 where a pixel's centre is inside some roi
 * (or there is none) and inside no mask, else 0. Returns how many are 1. */
long regions_rasterize(const struct regions *r, int w, int h, uint8_t *active);

#endif
