/* Drawing on an RGB image (3 bytes a pixel, stride w * 3) for the preview:
 * lines, boxes, a filled triangle, and text in a small built-in 3x5 font
 * (upper case, digits and common punctuation; lower case is drawn as upper
 * case, anything else as a box). Pure functions over the caller's pixels;
 * everything is clipped to the image. */
#ifndef TURNSTILE_DRAW_H
#define TURNSTILE_DRAW_H

#include <stdint.h>

struct rgb_image {
	uint8_t *px;
	int w, h;
};

struct rgb {
	uint8_t r, g, b;
};

/* A line thick pixels wide from (x0, y0) to (x1, y1). */
void draw_line(struct rgb_image *im, int x0, int y0, int x1, int y1, int thick, struct rgb c);
/* A rectangle's outline; dashed draws every other 4-pixel run only. */
void draw_rect(struct rgb_image *im, int x0, int y0, int x1, int y1, int thick, int dashed,
	       struct rgb c);
void draw_fill_rect(struct rgb_image *im, int x0, int y0, int x1, int y1, struct rgb c);
void draw_triangle(struct rgb_image *im, const int xy[6], struct rgb c);
/* Text with its top left at (x, y), each font pixel scale x scale, on a dark
 * box so it reads over any picture. Returns the width drawn. */
int draw_text(struct rgb_image *im, int x, int y, int scale, const char *s, struct rgb c);
/* Blends colour c at alpha/256 over the pixels where mask (mw x mh, scaled
 * to the image) is non-zero. */
void draw_tint(struct rgb_image *im, const uint8_t *mask, int mw, int mh, struct rgb c, int alpha);

#endif
