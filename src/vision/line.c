/* Counting-line geometry. Coordinates are normalised (0..1) so a line means
 * the same thing at every decode scale. */
#include "line.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

int line_parse(const char *text, struct line *out)
{
	float v[4];
	const char *p = text;
	char *end;

	for (int i = 0; i < 4; i++) {
		v[i] = strtof(p, &end);
		if (end == p || !isfinite(v[i]) || v[i] < 0.0f || v[i] > 1.0f)
			return -EINVAL;
		p = end;
		if (i < 3) {
			if (*p != ',')
				return -EINVAL;
			p++;
		}
	}
	/* A != B, and not so close that |AB|^2 underflows: line_side and
	 * line_along divide by it ("0,0,1e-40,0" made every side NaN: a line
	 * that silently never counts). */
	float dx = v[2] - v[0], dy = v[3] - v[1];
	if (*p != '\0' || !(dx * dx + dy * dy >= FLT_MIN))
		return -EINVAL;
	*out = (struct line){v[0], v[1], v[2], v[3]};
	return 0;
}

/* Cross product of AB and AP divided by |AB|. With y pointing down the
 * usual "left turn is positive" flips, which is exactly "right-hand side as
 * seen on the screen is positive". */
float line_side(const struct line *l, float x, float y)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay;
	return (dx * (y - l->ay) - dy * (x - l->ax)) / sqrtf(dx * dx + dy * dy);
}

float line_along(const struct line *l, float x, float y)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay;
	return (dx * (x - l->ax) + dy * (y - l->ay)) / (dx * dx + dy * dy);
}

bool line_segment_crosses(const struct line *l, float px, float py, float qx, float qy)
{
	float sp = line_side(l, px, py), sq = line_side(l, qx, qy);
	if ((sp > 0.0f) == (sq > 0.0f) || sp == sq)
		return false;
	float t = sp / (sp - sq);
	float along = line_along(l, px + t * (qx - px), py + t * (qy - py));
	return along >= 0.0f && along <= 1.0f;
}
