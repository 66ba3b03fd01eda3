/* Region polygons: parsing, the point test, and the per-pixel map the
 * detector applies (computed once per camera, not per frame). */
#include "region.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int polygon_parse(const char *text, struct polygon *out)
{
	float v[2 * REGION_MAX_POINTS];
	const char *p = text;
	int n = 0;

	for (;;) {
		char *end;
		if (n == 2 * REGION_MAX_POINTS)
			return -EINVAL;
		v[n] = strtof(p, &end);
		if (end == p || !isfinite(v[n]) || v[n] < 0.0f || v[n] > 1.0f)
			return -EINVAL;
		n++;
		p = end;
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	if (n % 2 || n < 6)
		return -EINVAL;
	/* Twice the signed area (shoelace): a polygon with none (all points
	 * on a line) selects nothing, which is a mistake, not a region. */
	double area2 = 0.0;
	for (int i = 0; i < n / 2; i++) {
		int j = (i + 1) % (n / 2);
		area2 += (double)v[2 * i] * v[2 * j + 1] - (double)v[2 * j] * v[2 * i + 1];
	}
	if (fabs(area2) < 1e-6)
		return -EINVAL;
	out->n = n / 2;
	for (int i = 0; i < out->n; i++) {
		out->x[i] = v[2 * i];
		out->y[i] = v[2 * i + 1];
	}
	return 0;
}

int polygon_contains(const struct polygon *p, float x, float y)
{
	int inside = 0;

	for (int i = 0, j = p->n - 1; i < p->n; j = i++) {
		float yi = p->y[i], yj = p->y[j];
		if ((yi > y) != (yj > y) &&
		    x < p->x[j] + (y - yj) / (yi - yj) * (p->x[i] - p->x[j]))
			inside = !inside;
	}
	return inside;
}

long regions_rasterize(const struct regions *r, int w, int h, uint8_t *active)
{
	long count = 0;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			float fx = ((float)x + 0.5f) / (float)w, fy = ((float)y + 0.5f) / (float)h;
			int on = r->nroi == 0;
			for (int k = 0; !on && k < r->nroi; k++)
				on = polygon_contains(&r->roi[k], fx, fy);
			for (int k = 0; on && k < r->nmask; k++)
				on = !polygon_contains(&r->mask[k], fx, fy);
			active[(size_t)y * w + x] = (uint8_t)on;
			count += on;
		}
	return count;
}
