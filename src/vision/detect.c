/* Background subtraction tuned for fixed cameras:
 * - the background is a per-pixel running mean, learnt where the pixel looks
 *   like background and frozen under foreground. A pixel that stays
 *   foreground longer than absorb_seconds joins the background at once: a
 *   parked car goes, a person who stood still for a minute does not, and no
 *   half-learnt "ghost" is left where somebody stood;
 * - a global gain (median of frame/background) is divided out first, so
 *   auto-exposure or a light switched on does not turn the frame into one
 *   big "object"; the model itself stays at a reference exposure;
 * - the threshold follows the measured noise (median absolute deviation),
 *   so a noisy sensor does not sprinkle the mask with specks.
 * All work is proportional to the reduced frame. */
#include "detect.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WARMUP_FRAMES 8
#define RATIO_BINS 512          /* frame/background ratios 0..4 in steps of 1/128 */
#define DIFF_BINS 256
#define MIN_THRESHOLD 14.0f
#define NOISE_K 4.0f

struct component {
	int parent;
	int area;
	int x0, y0, x1, y1;
	long sx, sy;
};

struct detector {
	int w, h;
	struct detect_params p;
	float alpha;            /* per-frame learning rate for background pixels */
	unsigned absorb_frames; /* foreground this long joins the background */
	unsigned frames;
	float *bg;
	uint16_t *fg_age;       /* frames each pixel has been foreground in a row */
	uint8_t *mask, *tmp;
	uint8_t *col;           /* one row of column sums for clean_mask */
	int *labels;
	struct component *comp;
	int max_comp;
	unsigned hist[RATIO_BINS];
};

int detector_create(int w, int h, const struct detect_params *p, struct detector **out)
{
	struct detector *d = calloc(1, sizeof(*d));
	size_t n = (size_t)w * h;

	if (!d)
		return -ENOMEM;
	d->w = w;
	d->h = h;
	d->p = *p;
	float fps = p->fps > 0 ? p->fps : 25.0f;
	d->alpha = 1.0f / fmaxf(1.0f, p->learn_seconds * fps);
	d->absorb_frames = (unsigned)fminf(65535.0f, fmaxf(1.0f, p->absorb_seconds * fps));
	/* A 4-connected labelling of an image needs at most one label per two pixels. */
	d->max_comp = (int)(n / 2 + 2);
	d->bg = calloc(n, sizeof(*d->bg));
	d->fg_age = calloc(n, sizeof(*d->fg_age));
	d->mask = calloc(n, 1);
	d->tmp = calloc(n, 1);
	d->col = calloc((size_t)w, 1);
	d->labels = calloc(n, sizeof(*d->labels));
	d->comp = calloc((size_t)d->max_comp, sizeof(*d->comp));
	if (!d->bg || !d->fg_age || !d->mask || !d->tmp || !d->col || !d->labels || !d->comp) {
		detector_destroy(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void detector_destroy(struct detector *d)
{
	if (!d)
		return;
	free(d->bg);
	free(d->fg_age);
	free(d->mask);
	free(d->tmp);
	free(d->col);
	free(d->labels);
	free(d->comp);
	free(d);
}

const uint8_t *detector_mask(const struct detector *d)
{
	return d->mask;
}

/* m ? x : y for m all ones or all zeros, as a bit mask: a float ?: would
 * keep the loop scalar, because GCC will not compute a float expression
 * that the source evaluates on one path only when FP traps are honoured. */
static inline float select_float(uint32_t m, float x, float y)
{
	uint32_t a, b, r;
	float out;
	memcpy(&a, &x, sizeof(a));
	memcpy(&b, &y, sizeof(b));
	r = (a & m) | (b & ~m);
	memcpy(&out, &r, sizeof(out));
	return out;
}

static unsigned hist_median(const unsigned *hist, int bins, unsigned total)
{
	unsigned acc = 0;
	for (int i = 0; i < bins; i++) {
		acc += hist[i];
		if (acc * 2 >= total)
			return (unsigned)i;
	}
	return (unsigned)bins - 1;
}

/* Global gain: median of frame/background over a sparse grid of pixels that
 * are bright enough for a ratio to mean something. */
static float estimate_gain(struct detector *d, const uint8_t *px)
{
	unsigned total = 0;
	memset(d->hist, 0, sizeof(d->hist));
	for (int y = 1; y < d->h; y += 3)
		for (int x = 1; x < d->w; x += 3) {
			size_t i = (size_t)y * d->w + x;
			if (d->bg[i] < 12.0f)
				continue;
			int bin = (int)(px[i] / d->bg[i] * 128.0f);
			d->hist[bin < RATIO_BINS ? bin : RATIO_BINS - 1]++;
			total++;
		}
	if (total < 32)
		return 1.0f;
	return ((float)hist_median(d->hist, RATIO_BINS, total) + 0.5f) / 128.0f;
}

/* Noise level: median absolute difference after gain compensation, which
 * foreground (a minority of pixels) cannot move much. */
static float estimate_threshold(struct detector *d, const uint8_t *px, float gain)
{
	unsigned total = 0;
	memset(d->hist, 0, sizeof(d->hist));
	for (int y = 0; y < d->h; y += 2)
		for (int x = 0; x < d->w; x += 2) {
			size_t i = (size_t)y * d->w + x;
			int diff = (int)fabsf(px[i] - gain * d->bg[i]);
			d->hist[diff < DIFF_BINS ? diff : DIFF_BINS - 1]++;
			total++;
		}
	float mad = (float)hist_median(d->hist, DIFF_BINS, total) + 0.5f;
	return fmaxf(MIN_THRESHOLD, NOISE_K * 1.4826f * mad);
}

/* 3x3 majority vote drops isolated specks and fills pinholes; a following
 * 3x3 dilation joins the parts of one object split by a low-contrast band.
 * The border rows and columns come out 0. Both are computed separably (a
 * column sum over three rows, then three neighbouring column sums), in
 * straight byte loops the compiler turns into SIMD. */
static void clean_mask(struct detector *d)
{
	const int w = d->w, h = d->h;
	uint8_t *col = d->col;

	if (w < 1 || h < 1)
		return; /* an empty image: a luma plane shorter than one box */
	memset(d->tmp, 0, (size_t)w);
	memset(d->tmp + (size_t)(h - 1) * w, 0, (size_t)w);
	for (int y = 1; y < h - 1; y++) {
		const uint8_t *a = d->mask + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
		uint8_t *t = d->tmp + (size_t)y * w;
		for (int x = 0; x < w; x++)
			col[x] = (uint8_t)(a[x] + b[x] + c[x]);
		t[0] = t[w - 1] = 0;
		for (int x = 1; x < w - 1; x++)
			t[x] = col[x - 1] + col[x] + col[x + 1] >= 5;
	}
	memset(d->mask, 0, (size_t)w);
	memset(d->mask + (size_t)(h - 1) * w, 0, (size_t)w);
	for (int y = 1; y < h - 1; y++) {
		const uint8_t *a = d->tmp + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
		uint8_t *m = d->mask + (size_t)y * w;
		for (int x = 0; x < w; x++)
			col[x] = a[x] | b[x] | c[x];
		m[0] = m[w - 1] = 0;
		for (int x = 1; x < w - 1; x++)
			m[x] = col[x - 1] | col[x] | col[x + 1];
	}
}

static int find_root(struct component *c, int i)
{
	while (c[i].parent != i) {
		c[i].parent = c[c[i].parent].parent;
		i = c[i].parent;
	}
	return i;
}

static void merge(struct component *c, int a, int b)
{
	a = find_root(c, a);
	b = find_root(c, b);
	if (a != b)
		c[b > a ? b : a].parent = b > a ? a : b;
}

/* Two-pass 4-connected labelling with union-find; label 0 is background. */
static int label_components(struct detector *d)
{
	const int w = d->w, h = d->h;
	int next = 1;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			if (!d->mask[i]) {
				d->labels[i] = 0;
				continue;
			}
			int up = y > 0 ? d->labels[i - w] : 0;
			int left = x > 0 ? d->labels[i - 1] : 0;
			if (!up && !left) {
				if (next >= d->max_comp) {
					d->labels[i] = 0;
					continue;
				}
				d->comp[next] = (struct component){.parent = next};
				d->labels[i] = next++;
			} else {
				d->labels[i] = up ? up : left;
				if (up && left && up != left)
					merge(d->comp, up, left);
			}
		}
	for (int l = 1; l < next; l++) {
		struct component *c = &d->comp[l];
		c->area = 0;
		c->x0 = w;
		c->y0 = h;
		c->x1 = c->y1 = -1;
		c->sx = c->sy = 0;
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int l = d->labels[(size_t)y * w + x];
			if (!l)
				continue;
			struct component *c = &d->comp[find_root(d->comp, l)];
			c->area++;
			c->sx += x;
			c->sy += y;
			if (x < c->x0) c->x0 = x;
			if (x > c->x1) c->x1 = x;
			if (y < c->y0) c->y0 = y;
			if (y > c->y1) c->y1 = y;
		}
	return next;
}

static void collect_blobs(struct detector *d, int nlabels, struct blob *blobs, int *n)
{
	const float fw = (float)d->w, fh = (float)d->h, npx = fw * fh;
	int count = 0;

	for (int l = 1; l < nlabels; l++) {
		const struct component *c = &d->comp[l];
		if (c->parent != l || c->area < d->p.min_area * npx || c->area > d->p.max_area * npx)
			continue;
		struct blob b = {
			.cx = ((float)c->sx / c->area + 0.5f) / fw,
			.cy = ((float)c->sy / c->area + 0.5f) / fh,
			.x0 = c->x0 / fw, .y0 = c->y0 / fh,
			.x1 = (c->x1 + 1) / fw, .y1 = (c->y1 + 1) / fh,
			.area = c->area / npx,
		};
		/* Keep the largest DETECT_MAX_BLOBS, sorted by area (insertion). */
		int pos = count < DETECT_MAX_BLOBS ? count : DETECT_MAX_BLOBS - 1;
		if (count == DETECT_MAX_BLOBS && blobs[pos].area >= b.area)
			continue;
		while (pos > 0 && blobs[pos - 1].area < b.area) {
			blobs[pos] = blobs[pos - 1];
			pos--;
		}
		blobs[pos] = b;
		if (count < DETECT_MAX_BLOBS)
			count++;
	}
	*n = count;
}

void detector_process(struct detector *d, const struct gray *g, struct blob *blobs, int *n)
{
	const size_t npx = (size_t)d->w * d->h;
	const uint8_t *px = g->px;

	*n = 0;
	if (d->frames < WARMUP_FRAMES) {
		/* Plain average of the first frames: a usable model from the start. */
		float a = 1.0f / (float)(d->frames + 1);
		for (size_t i = 0; i < npx; i++)
			d->bg[i] += a * (px[i] - d->bg[i]);
		d->frames++;
		return;
	}
	d->frames++;

	float gain = estimate_gain(d, px);
	float thr = estimate_threshold(d, px, gain);
	{
		/* Block-scoped restrict pointers: a byte store may alias
		 * anything, d->bg included, and would keep the loop scalar. */
		uint8_t *restrict mask = d->mask;
		const float *restrict bg = d->bg;
		for (size_t i = 0; i < npx; i++)
			mask[i] = fabsf(px[i] - gain * bg[i]) > thr;
	}
	clean_mask(d);

	/* Learn toward the frame brought back to the model's reference exposure.
	 * Learning the frame as it is would re-learn the exposure everywhere
	 * except under a slow object, whose old footprint then stands out as a
	 * trail once the exposure has moved (a white car darkening the frame).
	 * Background pixels learn and reset their age; foreground ones age, and
	 * join the background once old enough. Without branches (both outcomes
	 * computed, one kept by select_float), so that it vectorises. */
	{
		const float a = d->alpha, inv_gain = 1.0f / gain;
		const unsigned absorb = d->absorb_frames;
		const uint8_t *restrict mask = d->mask;
		float *restrict bg = d->bg;
		uint16_t *restrict age = d->fg_age;
		for (size_t i = 0; i < npx; i++) {
			float v = px[i] * inv_gain;
			float learnt = bg[i] + a * (v - bg[i]);
			unsigned older = age[i] + 1u;
			unsigned fg = mask[i]; /* 0 or 1 */
			unsigned joins = fg & (older >= absorb);
			float kept = select_float(0u - joins, v, bg[i]);
			bg[i] = select_float(0u - fg, kept, learnt);
			age[i] = (uint16_t)(older * (fg & (joins ^ 1u)));
		}
	}

	collect_blobs(d, label_components(d), blobs, n);
}
