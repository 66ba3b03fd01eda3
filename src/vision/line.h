/* Counting-line geometry in normalised image coordinates (0..1, x right,
 * y down). Pure functions, no state. */
#ifndef TURNSTILE_LINE_H
#define TURNSTILE_LINE_H

#include <stdbool.h>

struct line {
	float ax, ay, bx, by; /* walking from A to B, the right-hand side is "in" */
};

#define LINE_DEFAULT ((struct line){0.0f, 0.5f, 1.0f, 0.5f})

/* Parses "X1,Y1,X2,Y2" (each 0..1, A != B). Returns 0 or -EINVAL. */
int line_parse(const char *text, struct line *out);

/* Signed distance of (x, y) from the infinite line through A and B, in
 * normalised units: > 0 on the right-hand side (in), < 0 on the left (out).
 * The y axis points down, so "right-hand" is as seen on the screen. */
float line_side(const struct line *l, float x, float y);

/* Position of the projection of (x, y) along A->B: 0 at A, 1 at B. */
float line_along(const struct line *l, float x, float y);

/* True when the segment p->q crosses the line within its drawn segment
 * (the crossing point's along-position is in [0, 1]). */
bool line_segment_crosses(const struct line *l, float px, float py, float qx, float qy);

#endif
