/* Background subtraction for fixed cameras that are not quite fixed.
 *
 * The model is per pixel: a running mean mu, kept at a reference exposure,
 * and s, the running mean of how far background pixels stray from it (a
 * noise scale). A pixel is foreground when the frame, brought back to the
 * reference exposure, lies outside the range of the model over a small
 * neighbourhood by more than max(T_MIN, K_S * s) (the neighbourhood is what
 * lets a camera sway or drift a pixel or two without that being motion),
 * or when it shows an edge the background has nowhere near (the gradient
 * cue: a dark coat on a dark floor still has an outline).
 *
 * - The exposure gain (median frame/model ratio) is measured only on pixels
 *   that were background in the last frame, and held while too few are: a
 *   person filling half the picture is not a change of exposure.
 * - Background pixels learn with time constant learn_seconds; foreground
 *   pixels learn much more slowly (no hard freeze, so nothing stays wrong
 *   for ever), and a pixel foreground for absorb_seconds joins at once (a
 *   parked car goes; a person who stood still a minute leaves no ghost).
 * - A camera on a pole sways, one that settles drifts: each frame's
 *   shift against the model (whole pixels, found by matching the model's
 *   textured background) is taken out before anything is compared or
 *   learnt, so the model stays put and the sway is not motion; blobs are
 *   reported where they are in the frame.
 * - A dark change that is the background scaled by one factor, texture and
 *   all, is a cast shadow and not foreground (shadow_test); shadows do
 *   not move the gain and are not learnt as background.
 * - Morphology is scaled to the frame: an opening (3x3 majority) drops
 *   specks, a closing joins the parts of one object split by a band of
 *   background-coloured pixels.
 * - A scene cut (most of the picture foreground for a while) or a reset
 *   starts the model again from the current frame.
 * All times come from frame timestamps; all work is proportional to the
 * reduced frame and allocation-free after create. */
#include "detect.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define BOOT_SECONDS 0.3f      /* plain average of the first frames: no blobs */
#define BOOT_MIN_FRAMES 3
#define RATIO_BINS 512         /* frame/model ratios 0..4 in steps of 1/128 */
#define T_MIN 6.0f             /* smallest difference that is foreground, gray levels */
#define T_REL 0.08f            /* and as a share of the background's brightness */
#define K_S 5.0f               /* threshold in units of the pixel's own noise scale */
#define S_INIT 2.0f
#define S_MAX 40.0f
#define G_MIN 18.0f            /* smallest new edge strength that is foreground */
/* A pixel this bright may be clipped by the sensor (exposure raised, a
 * door opened to daylight): it says only that the scene there is at least
 * this bright. It is foreground only if the model is brighter still
 * nowhere near it, it says nothing of the exposure, and the model learns
 * from it only upward. */
#define SATURATED 250.0f
#define FG_SLOW 5.0f           /* barely-foreground pixels learn this many times slower */
#define NEAR_FG 2.0f           /* barely foreground: within this many thresholds */
#define CUT_FRACTION 0.75f     /* this much of the frame foreground ... */
#define MODEL_REFRESH 0.1f     /* seconds between refreshes of the model's range and edges */
#define TEXTURE_REFRESH 1.0f   /* and of its texture (only a gate for the shadow test) */
#define CUT_AGREEMENT 0.35f    /* fewer background samples within 1/8 of the gain: a cut */
#define CUT_SECONDS 1.0f       /* ... for this long is a new scene */
#define GHOST_RATIO 0.5f       /* a ghost's outline: frame edges under half the model's */
#define GHOST_MODEL_EDGES 0.5f /* and the model has clear edges along it */
#define GAIN_MIN_BG 0.25f      /* fewer background samples than this: hold the gain */
#define SMALL_SHARE 0.5f       /* blobs from this share of min_area up come out, marked small */
#define FAINT_SHARE 0.25f      /* and from this share, marked faint */
#define QUEUE_ELONGATION 2.0f  /* a blob this many times longer than its box is wide may be a queue */
#define QUEUE_CUT_FILL 0.2f    /* a strip across it where at most this share differs in brightness */
#define QUEUE_PART_LENGTH 1.2f /* parts between strips at least this long against their mean width */
#define QUEUE_TILT 0.1f        /* a length this far (sine) off rows or columns: try strips square to it */
#define SHIFT_STEP 2           /* steps of a pixel from the last shift per frame, at 160 wide */
#define SHIFT_MAX 4            /* never further than this from the model, pixels at 160 wide */
#define SHIFT_MIN_SAMPLES 48   /* textured background samples needed to move the shift */
#define SHIFT_TRUNCATE 48.0f  /* a sample's gradient mismatch counts up to this, gray levels */
#define SHIFT_MOVE 0.1f        /* another shift must match better by this share */
#define SHIFT_PREFER 0.04f     /* and by this share more per pixel from none */
/* Shadows (see shadow_test). Chosen on the hard scenes and the real clips at
 * 160 wide and the unit tests, confirmed on the samples, the scripted
 * scenarios and all of them at 320 (docs/shadows.md has the table). */
#define SH_R_LO 0.35f          /* a shadow keeps at least this share of the light ... */
#define SH_R_HI 0.8f           /* ... and at most this: fainter ones stay foreground */
#define SH_K_RES 1.5f          /* fit residual allowed, in units of the noise (per pixel) */
#define SH_TEX_SLACK 0.1f      /* and this share of the scaled texture energy */
#define SH_SIG_MIN 1.5f        /* smallest noise sigma assumed (JPEG, rounding), gray levels */
#define SH_K_PIX 3.0f          /* a rim pixel within this many sigmas of the shadow's factor */
#define SH_FLAT_FLOORS 0       /* 1: a flat window that fits is a shadow too (costs clips) */

/* fminf and fmaxf keep NaN semantics, so GCC calls libm for them and
 * will not vectorise a loop that uses them; no NaN is ever compared here. */
static inline float minf(float a, float b)
{
	return a < b ? a : b;
}

static inline float maxf(float a, float b)
{
	return a > b ? a : b;
}

struct component {
	int parent;
	int area;
	int x0, y0, x1, y1;
	long sx, sy;
	long sxx, syy, sxy;     /* second moments, for its long axis */
	float edge_frame, edge_model; /* edge strength along its outline */
	bool ghost;
};

struct detector {
	int w, h;
	int r;                  /* neighbourhood radius for sway, pixels */
	int rc;                 /* closing radius, pixels */
	int sx, sy;             /* the frame's shift against the model, pixels */
	int shift_step, shift_max;
	struct detect_params p;
	unsigned frames;        /* since the model (re)started */
	double t_start, t_last;
	double t_refresh;       /* when lo, hi and gb were last computed from mu */
	double t_texture;       /* when tex1 and tex2 were */
	float gain;
	float cut_time;         /* how long most of the frame has been foreground */
	bool reset;
	float *mu, *s;          /* model: mean at reference exposure, noise scale */
	float *lo, *hi;         /* min / max of mu over the neighbourhood */
	float *gb;              /* the model's edge strength, max over the neighbourhood */
	float *tex1, *tex2;     /* the model's texture energy over windows of radius r, 2r */
	float *ftmp;
	float *age;             /* seconds each pixel has been foreground in a row */
	uint8_t *mask, *tmp;
	uint8_t *bright;        /* the brightness cue alone (no edges), before the morphology */
	int *along_px, *along_bright; /* a blob's pixels and bright ones, per strip across it */
	uint8_t *shifted;       /* the frame moved back onto the model */
	int *samples;           /* where the shift is measured this frame */
	float *sgx, *sgy;       /* and the model's gradient there */
	uint8_t *sh;            /* 1 where the last frame was a shadow on the background */
	uint8_t *active;        /* 1 where motion may count (roi=, mask=); NULL: everywhere */
	uint16_t *cnt;          /* column counts for the separable morphology */
	uint16_t *hsum;         /* and their sums along a row */
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
	/* One pixel of sway tolerance and two of closing at 160 wide, in
	 * proportion above, so 160 and 320 see the same picture. */
	d->r = (int)maxf(1.0f, roundf((float)w / 160.0f));
	d->rc = (int)maxf(1.0f, roundf((float)w / 160.0f));
	d->shift_step = d->r * SHIFT_STEP;
	d->shift_max = d->r * SHIFT_MAX;
	d->gain = 1.0f;
	d->reset = true;
	/* A 4-connected labelling of an image needs at most one label per two pixels. */
	d->max_comp = (int)(n / 2 + 2);
	d->mu = calloc(n, sizeof(*d->mu));
	d->s = calloc(n, sizeof(*d->s));
	d->lo = calloc(n, sizeof(*d->lo));
	d->hi = calloc(n, sizeof(*d->hi));
	d->gb = calloc(n, sizeof(*d->gb));
	d->tex1 = calloc(n, sizeof(*d->tex1));
	d->tex2 = calloc(n, sizeof(*d->tex2));
	d->ftmp = calloc(n, sizeof(*d->ftmp));
	d->age = calloc(n, sizeof(*d->age));
	d->mask = calloc(n, 1);
	d->tmp = calloc(n, 1);
	d->bright = calloc(n, 1);
	d->along_px = calloc((size_t)(w + h), sizeof(*d->along_px));
	d->along_bright = calloc((size_t)(w + h), sizeof(*d->along_bright));
	d->shifted = calloc(n, 1);
	d->samples = calloc(n / 4 + 1, sizeof(*d->samples));
	d->sgx = calloc(n / 4 + 1, sizeof(*d->sgx));
	d->sgy = calloc(n / 4 + 1, sizeof(*d->sgy));
	d->sh = calloc(n, 1);
	d->cnt = calloc((size_t)w, sizeof(*d->cnt));
	d->hsum = calloc((size_t)w, sizeof(*d->hsum));
	d->labels = calloc(n, sizeof(*d->labels));
	d->comp = calloc((size_t)d->max_comp, sizeof(*d->comp));
	if (!d->mu || !d->s || !d->lo || !d->hi || !d->gb || !d->tex1 || !d->tex2 || !d->ftmp ||
	    !d->age || !d->mask || !d->tmp || !d->bright || !d->along_px || !d->along_bright ||
	    !d->sh || !d->shifted || !d->samples || !d->sgx ||
	    !d->sgy || !d->cnt || !d->hsum || !d->labels || !d->comp) {
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
	free(d->mu);
	free(d->s);
	free(d->lo);
	free(d->hi);
	free(d->gb);
	free(d->tex1);
	free(d->tex2);
	free(d->ftmp);
	free(d->age);
	free(d->mask);
	free(d->tmp);
	free(d->bright);
	free(d->along_px);
	free(d->along_bright);
	free(d->shifted);
	free(d->samples);
	free(d->sgx);
	free(d->sgy);
	free(d->sh);
	free(d->active);
	free(d->cnt);
	free(d->hsum);
	free(d->labels);
	free(d->comp);
	free(d);
}

const uint8_t *detector_mask(const struct detector *d)
{
	return d->mask;
}

float detector_gain(const struct detector *d)
{
	return d->gain;
}

void detector_shift(const struct detector *d, int *sx, int *sy)
{
	*sx = d->sx;
	*sy = d->sy;
}

int detector_set_regions(struct detector *d, const struct regions *r)
{
	if (r->nroi == 0 && r->nmask == 0) {
		free(d->active);
		d->active = NULL;
		return 0;
	}
	if (!d->active) {
		d->active = malloc((size_t)d->w * d->h);
		if (!d->active)
			return -ENOMEM;
	}
	regions_rasterize(r, d->w, d->h, d->active);
	return 0;
}

void detector_reset(struct detector *d)
{
	d->reset = true;
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

/* Exposure gain: median of frame/model over a sparse grid of pixels that
 * were background in the last frame and are bright enough for a ratio to
 * mean something. With too few such pixels (a large object, a scene cut)
 * the last gain is kept: a big dark object must not darken the model.
 * Too few of those that could say: a masked-out road, a black border or
 * a night sky never do, and must not hold the gain of what is left. */
static float estimate_gain(struct detector *d, const uint8_t *px)
{
	unsigned total = 0, grid = 0;
	memset(d->hist, 0, sizeof(d->hist));
	for (int y = 1; y < d->h; y += 3)
		for (int x = 1; x < d->w; x += 3) {
			size_t i = (size_t)y * d->w + x;
			if (d->mu[i] < 12.0f || px[i] >= SATURATED || (d->active && !d->active[i]))
				continue; /* too dark, clipped, a masked screen or flag: no ratio */
			grid++;
			if (d->mask[i] || d->sh[i])
				continue; /* an object or a shadow says nothing of exposure */
			int bin = (int)(px[i] / d->mu[i] * 128.0f);
			d->hist[bin < RATIO_BINS ? bin : RATIO_BINS - 1]++;
			total++;
		}
	if (total < 32 || (float)total < GAIN_MIN_BG * (float)grid)
		return d->gain;
	unsigned med = hist_median(d->hist, RATIO_BINS, total);
	/* A change of exposure moves every background pixel by about one
	 * ratio; a new scene (a camera knocked, a cut in a recording) moves
	 * them every which way. Most samples far from the median: a cut. */
	unsigned near = 0;
	for (unsigned i = med - med / 8; i <= med + med / 8 && i < RATIO_BINS; i++)
		near += d->hist[i];
	if ((float)near < CUT_AGREEMENT * (float)total)
		d->reset = true;
	return ((float)med + 0.5f) / 128.0f;
}

/* Separable min and max of src over a (2r+1)^2 square, clamped at borders. */
static void envelope(struct detector *d, const float *src, float *lo, float *hi)
{
	const int w = d->w, h = d->h, r = d->r;
	float *t = d->ftmp;

	/* Rows: min into lo, max into t; shift by shift so that the inner
	 * loops are straight and vectorise. */
	for (int y = 0; y < h; y++) {
		const float *restrict s = src + (size_t)y * w;
		float *restrict l = lo + (size_t)y * w, *restrict m = t + (size_t)y * w;
		memcpy(l, s, sizeof(float) * (size_t)w);
		memcpy(m, s, sizeof(float) * (size_t)w);
		for (int k = 1; k <= r && k < w; k++) {
			for (int x = 0; x < w - k; x++) {
				l[x] = minf(l[x], s[x + k]);
				m[x] = maxf(m[x], s[x + k]);
			}
			for (int x = k; x < w; x++) {
				l[x] = minf(l[x], s[x - k]);
				m[x] = maxf(m[x], s[x - k]);
			}
		}
	}
	/* Columns, in place row by row from a copy kept in hi/lo order:
	 * hi from t, then lo from lo via t as scratch. */
	for (int y = 0; y < h; y++) {
		int a = y - r < 0 ? 0 : y - r, b = y + r >= h ? h - 1 : y + r;
		float *o = hi + (size_t)y * w;
		memcpy(o, t + (size_t)a * w, sizeof(float) * (size_t)w);
		for (int k = a + 1; k <= b; k++) {
			const float *s = t + (size_t)k * w;
			for (int x = 0; x < w; x++)
				o[x] = maxf(o[x], s[x]);
		}
	}
	memcpy(t, lo, sizeof(float) * (size_t)w * h);
	for (int y = 0; y < h; y++) {
		int a = y - r < 0 ? 0 : y - r, b = y + r >= h ? h - 1 : y + r;
		float *o = lo + (size_t)y * w;
		memcpy(o, t + (size_t)a * w, sizeof(float) * (size_t)w);
		for (int k = a + 1; k <= b; k++) {
			const float *s = t + (size_t)k * w;
			for (int x = 0; x < w; x++)
				o[x] = minf(o[x], s[x]);
		}
	}
}

/* Edge strength |dx| + |dy| (central differences) of the model, then its
 * maximum over the neighbourhood into d->gb. Borders get 0. */
static void model_edges(struct detector *d)
{
	const int w = d->w, h = d->h;
	float *g = d->lo; /* scratch: lo and hi are rebuilt after this */

	memset(g, 0, sizeof(float) * (size_t)w * h);
	for (int y = 1; y < h - 1; y++) {
		const float *m = d->mu + (size_t)y * w;
		float *o = g + (size_t)y * w;
		for (int x = 1; x < w - 1; x++)
			o[x] = fabsf(m[x + 1] - m[x - 1]) + fabsf(m[x + w] - m[x - w]);
	}
	envelope(d, g, d->hi, d->gb); /* hi is scratch here */
}

/* The model's texture energy (sum of squared deviations from the mean)
 * over the (2k+1)^2 window of each pixel at least k from the border (0 at
 * the border), at the reference exposure: what the shadow test can tell
 * with, before it looks at a frame. Uses lo, hi and ftmp as scratch (they
 * are rebuilt after it). */
static void model_texture(struct detector *d, int k, float *tex)
{
	const int w = d->w, h = d->h;
	const float nwin = (float)((2 * k + 1) * (2 * k + 1));
	float *s1 = d->lo, *s2 = d->hi;

	memset(tex, 0, sizeof(float) * (size_t)w * h);
	if (2 * k >= w || 2 * k >= h)
		return;
	/* Rows: sums of mu and mu^2 over x-k..x+k; shift by shift, so the
	 * inner loops are straight and vectorise. */
	for (int y = 0; y < h; y++) {
		const float *restrict m = d->mu + (size_t)y * w;
		float *restrict a = s1 + (size_t)y * w, *restrict b = s2 + (size_t)y * w;
		memset(a, 0, sizeof(float) * (size_t)w);
		memset(b, 0, sizeof(float) * (size_t)w);
		for (int j = -k; j <= k; j++)
			for (int x = k; x < w - k; x++) {
				a[x] += m[x + j];
				b[x] += m[x + j] * m[x + j];
			}
	}
	/* Columns, row by row into two accumulators (ftmp is free here). */
	float *restrict sa = d->ftmp, *restrict sb = d->ftmp + w;
	for (int y = k; y < h - k; y++) {
		float *restrict o = tex + (size_t)y * w;
		memset(sa, 0, sizeof(float) * (size_t)w);
		memset(sb, 0, sizeof(float) * (size_t)w);
		for (int j = -k; j <= k; j++) {
			const float *restrict a = s1 + (size_t)(y + j) * w, *restrict b = s2 + (size_t)(y + j) * w;
			for (int x = 0; x < w; x++) {
				sa[x] += a[x];
				sb[x] += b[x];
			}
		}
		for (int x = k; x < w - k; x++)
			o[x] = maxf(0.0f, sb[x] - sa[x] * sa[x] / nwin);
	}
}

/* Separable box dilation (keep = 0) or erosion (keep = 1) of src into dst,
 * both h rows of the frame's width, with radius r: a pixel's output is
 * whether any (all) of the square is set. Outside counts as unset for
 * dilation and set for erosion, so a closing does not eat objects at the
 * border. dst != src. */
static void box_morph(struct detector *d, const uint8_t *src, uint8_t *dst, int h, int r, bool erode)
{
	const int w = d->w, full = 2 * r + 1;
	uint16_t *cnt = d->cnt;

	/* Vertical counts over the window, updated row by row. */
	memset(cnt, 0, sizeof(*cnt) * (size_t)w);
	for (int y = -r; y <= r; y++) {
		int yy = y < 0 ? 0 : y >= h ? h - 1 : y;
		const uint8_t *s = src + (size_t)yy * w;
		for (int x = 0; x < w; x++)
			cnt[x] = (uint16_t)(cnt[x] + ((y < 0 || y >= h) ? erode : s[x]));
	}
	for (int y = 0; y < h; y++) {
		uint8_t *restrict o = dst + (size_t)y * w;
		uint16_t *restrict hs = d->hsum;
		const uint16_t *restrict cn = cnt;
		/* Horizontal sums of the column counts, shift by shift (straight
		 * loops that vectorise); outside the image counts as full for an
		 * erosion and empty for a dilation. */
		for (int x = 0; x < w; x++)
			hs[x] = cn[x];
		for (int k = 1; k <= r; k++) {
			for (int x = k; x < w; x++)
				hs[x] = (uint16_t)(hs[x] + cn[x - k]);
			for (int x = 0; x < w - k; x++)
				hs[x] = (uint16_t)(hs[x] + cn[x + k]);
			if (erode) {
				for (int x = 0; x < k && x < w; x++)
					hs[x] = (uint16_t)(hs[x] + full);
				for (int x = w - k < 0 ? 0 : w - k; x < w; x++)
					hs[x] = (uint16_t)(hs[x] + full);
			}
		}
		if (erode)
			for (int x = 0; x < w; x++)
				o[x] = hs[x] == full * full;
		else
			for (int x = 0; x < w; x++)
				o[x] = hs[x] > 0;
		/* Slide the vertical window down one row. */
		int out = y - r, in = y + r + 1;
		const uint8_t *so = src + (size_t)(out < 0 ? 0 : out) * w;
		const uint8_t *si = src + (size_t)(in >= h ? h - 1 : in) * w;
		for (int x = 0; x < w; x++) {
			int v = cnt[x];
			v -= out < 0 ? erode : so[x];
			v += in >= h ? erode : si[x];
			cnt[x] = (uint16_t)v;
		}
	}
}

/* 3x3 majority vote into tmp (drops specks and fills pinholes), then a
 * closing back into mask. */
static void clean_mask(struct detector *d)
{
	const int w = d->w, h = d->h;

	memset(d->tmp, 0, (size_t)w * h);
	for (int y = 1; y < h - 1; y++) {
		const uint8_t *a = d->mask + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
		uint8_t *t = d->tmp + (size_t)y * w;
		for (int x = 1; x < w - 1; x++)
			t[x] = a[x - 1] + a[x] + a[x + 1] + b[x - 1] + b[x] + b[x + 1] + c[x - 1] +
				       c[x] + c[x + 1] >=
			       5;
	}
	box_morph(d, d->tmp, d->mask, h, d->rc, false);
	box_morph(d, d->mask, d->tmp, h, d->rc, true);
	memcpy(d->mask, d->tmp, (size_t)w * h);
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
		c->sxx = c->syy = c->sxy = 0;
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
			c->sxx += (long)x * x;
			c->syy += (long)y * y;
			c->sxy += (long)x * y;
			if (x < c->x0) c->x0 = x;
			if (x > c->x1) c->x1 = x;
			if (y < c->y0) c->y0 = y;
			if (y > c->y1) c->y1 = y;
		}
	return next;
}

/* A ghost is foreground where the model is wrong, not where something is:
 * what was there (a person who stood a long while, a car that parked) has
 * left a footprint in the model. Its outline is an edge of the model and
 * not of the frame; a real object's outline is an edge of the frame. A
 * ghost's pixels join the background at once. */
static void find_ghosts(struct detector *d, int nlabels, const uint8_t *px)
{
	const int w = d->w, h = d->h;

	for (int l = 1; l < nlabels; l++) {
		d->comp[l].edge_frame = d->comp[l].edge_model = 0.0f;
		d->comp[l].ghost = false;
	}
	for (int y = 1; y < h - 1; y++)
		for (int x = 1; x < w - 1; x++) {
			size_t i = (size_t)y * w + x;
			int l = d->labels[i];
			if (!l || (d->labels[i - 1] && d->labels[i + 1] && d->labels[i - w] &&
				   d->labels[i + w]))
				continue; /* background, or inside */
			struct component *c = &d->comp[find_root(d->comp, l)];
			c->edge_frame += (float)(abs(px[i + 1] - px[i - 1]) + abs(px[i + w] - px[i - w]));
			c->edge_model += d->gain * (fabsf(d->mu[i + 1] - d->mu[i - 1]) +
						    fabsf(d->mu[i + w] - d->mu[i - w]));
		}
	for (int l = 1; l < nlabels; l++) {
		struct component *c = &d->comp[l];
		if (c->parent != l || c->area == 0)
			continue;
		float perimeter = 2.0f * (float)(c->x1 - c->x0 + c->y1 - c->y0 + 2);
		c->ghost = c->edge_model > G_MIN * perimeter * GHOST_MODEL_EDGES &&
			   c->edge_frame < GHOST_RATIO * c->edge_model;
	}
	for (size_t i = 0; i < (size_t)w * h; i++) {
		int l = d->labels[i];
		if (l && d->comp[find_root(d->comp, l)].ghost) {
			d->mu[i] = px[i] / d->gain;
			d->age[i] = 0.0f;
			d->mask[i] = 0;
		}
	}
}

/* Keeps the largest DETECT_MAX_BLOBS, sorted by area (insertion). */
static void add_blob(struct blob *blobs, int *count, struct blob b)
{
	int pos = *count < DETECT_MAX_BLOBS ? *count : DETECT_MAX_BLOBS - 1;
	if (*count == DETECT_MAX_BLOBS && blobs[pos].area >= b.area)
		return;
	while (pos > 0 && blobs[pos - 1].area < b.area) {
		blobs[pos] = blobs[pos - 1];
		pos--;
	}
	b.x0 = maxf(b.x0, 0.0f);
	b.y0 = maxf(b.y0, 0.0f);
	b.x1 = minf(b.x1, 1.0f);
	b.y1 = minf(b.y1, 1.0f);
	blobs[pos] = b;
	if (*count < DETECT_MAX_BLOBS)
		(*count)++;
}

static struct blob blob_of(const struct detector *d, const struct component *c)
{
	const float fw = (float)d->w, fh = (float)d->h, npx = fw * fh;
	const float ox = (float)d->sx / fw, oy = (float)d->sy / fh; /* back into the frame */
	return (struct blob){
		.cx = ((float)c->sx / c->area + 0.5f) / fw + ox,
		.cy = ((float)c->sy / c->area + 0.5f) / fh + oy,
		.x0 = c->x0 / fw + ox, .y0 = c->y0 / fh + oy,
		.x1 = (c->x1 + 1) / fw + ox, .y1 = (c->y1 + 1) / fh + oy,
		.area = c->area / npx,
		.small = c->area < d->p.min_area * npx,
		.faint = c->area < SMALL_SHARE * d->p.min_area * npx,
	};
}

/* A blob's length: the major axis of its pixels (second moments), and
 * how it is stepped along: by rows when the axis is nearer the picture's
 * height, else by columns. Rows, not steps along the axis: a lane seen
 * receding at a slant in the picture still has the ends of its cars, and
 * the strips of road between them, across the picture. */
struct axis {
	float ux, uy; /* unit vector along the length */
	float wide;   /* its extent across, pixels */
	float nx, ny; /* the strips' normal: (0, 1) rows, (1, 0) columns, or the length */
	float k0;     /* where the first strip starts along the normal */
	int len;      /* how many strips */
};

/* The strip pixel (x, y) is in. */
static int step_of(const struct axis *ax, int x, int y)
{
	return (int)((float)x * ax->nx + (float)y * ax->ny - ax->k0);
}

static bool in_component(const struct detector *d, int l, int x, int y)
{
	int lab = d->labels[(size_t)y * d->w + x];
	return lab && find_root(d->comp, lab) == l;
}

/* Component l's major axis, and whether it is QUEUE_ELONGATION times as
 * long along it as wide across it: a queue or a lorry along a lane at any
 * angle in the picture, not someone holding their arms out (long both
 * ways). */
static bool long_axis(const struct detector *d, int l, const struct component *c, struct axis *ax)
{
	const float n = (float)c->area, mx = (float)c->sx / n, my = (float)c->sy / n;
	const float sxx = (float)c->sxx / n - mx * mx, syy = (float)c->syy / n - my * my;
	const float sxy = (float)c->sxy / n - mx * my;
	/* Its extents are measured only where the moments already say it is
	 * long: for a filled box the square root of the eigenvalues' ratio is
	 * its length over its width. */
	const float mid = 0.5f * (sxx + syy), dev = hypotf(0.5f * (sxx - syy), sxy);
	const float k = 0.75f * QUEUE_ELONGATION;
	if (mid + dev < k * k * (mid - dev))
		return false;
	float th = 0.5f * atan2f(2.0f * sxy, sxx - syy), ux = cosf(th), uy = sinf(th);
	float t0 = INFINITY, t1 = -INFINITY, q0 = INFINITY, q1 = -INFINITY;
	for (int y = c->y0; y <= c->y1; y++)
		for (int x = c->x0; x <= c->x1; x++)
			if (in_component(d, l, x, y)) {
				float dx = (float)x - mx, dy = (float)y - my;
				float t = dx * ux + dy * uy, q = dy * ux - dx * uy;
				t0 = minf(t0, t);
				t1 = maxf(t1, t);
				q0 = minf(q0, q);
				q1 = maxf(q1, q);
			}
	bool rows = fabsf(uy) >= fabsf(ux);
	*ax = (struct axis){ux, uy, q1 - q0 + 1.0f, rows ? 0.0f : 1.0f, rows ? 1.0f : 0.0f,
			    (float)(rows ? c->y0 : c->x0), rows ? c->y1 - c->y0 + 1 : c->x1 - c->x0 + 1};
	return t1 - t0 + 1.0f >= QUEUE_ELONGATION * (q1 - q0 + 1.0f);
}

/* The same length cut by strips square to it instead of rows (columns):
 * the ends of cars in a lane seen by a camera that is not level are
 * square to the lane, not to the picture. */
static void strips_across(const struct detector *d, int l, const struct component *c,
			  struct axis *ax)
{
	float nx = ax->ux, ny = ax->uy;
	if (ny < 0.0f || (ny == 0.0f && nx < 0.0f)) {
		nx = -nx;
		ny = -ny;
	}
	float k0 = INFINITY, k1 = -INFINITY;
	for (int y = c->y0; y <= c->y1; y++)
		for (int x = c->x0; x <= c->x1; x++)
			if (in_component(d, l, x, y)) {
				float k = (float)x * nx + (float)y * ny;
				k0 = minf(k0, k);
				k1 = maxf(k1, k);
			}
	ax->nx = nx;
	ax->ny = ny;
	ax->k0 = floorf(k0);
	ax->len = (int)(k1 - ax->k0) + 1;
}

/* The pixels of component l in steps [a, b] along the axis (rows or
 * columns), as a component of their own. */
static struct component part_of(const struct detector *d, int l, const struct component *c,
				const struct axis *ax, int a, int b)
{
	struct component p = {.x0 = d->w, .y0 = d->h, .x1 = -1, .y1 = -1};
	for (int y = c->y0; y <= c->y1; y++)
		for (int x = c->x0; x <= c->x1; x++) {
			int k = step_of(ax, x, y);
			if (k < a || k > b || !in_component(d, l, x, y))
				continue;
			p.area++;
			p.sx += x;
			p.sy += y;
			if (x < p.x0) p.x0 = x;
			if (x > p.x1) p.x1 = x;
			if (y < p.y0) p.y0 = y;
			if (y > p.y1) p.y1 = y;
		}
	return p;
}

/* Objects nose to tail (cars queueing, seen along the road) are one blob
 * after the morphology: the edge cue and the closing bridge the strip of
 * road between them. The brightness cue alone still shows that strip. A
 * blob much longer than wide (along its major axis, at whatever slant the
 * lane runs in the picture) is cut across at such strips into parts when
 * at least two of them are objects in their own right: of object size,
 * and longer than wide, as a vehicle is along its way (a lorry's cab,
 * shorter than wide, stays with its trailer). Each part is added as a blob
 * marked with the queue's number: an upright person cut at the belt is
 * such a blob too, and only the tracker, which knows which way things
 * move, can tell (see detect.h). Returns whether it split. */
/* Parts of component l between strips across it (ax) where at most
 * QUEUE_CUT_FILL of the pixels differ in brightness from the background,
 * each an object by itself: [part_a[i], part_b[i]] in strips. Returns how
 * many. */
static int find_parts(struct detector *d, int l, const struct component *c, const struct axis *ax,
		      int *part_a, int *part_b)
{
	const int len = ax->len;
	int *npx = d->along_px, *nbr = d->along_bright;
	memset(npx, 0, sizeof(*npx) * (size_t)len);
	memset(nbr, 0, sizeof(*nbr) * (size_t)len);
	for (int y = c->y0; y <= c->y1; y++)
		for (int x = c->x0; x <= c->x1; x++) {
			if (!in_component(d, l, x, y))
				continue;
			int k = step_of(ax, x, y);
			npx[k]++;
			nbr[k] += d->bright[(size_t)y * d->w + x];
		}
	int nparts = 0;
	const float min_px = d->p.min_area * (float)d->w * (float)d->h;
	for (int k = 0; k < len && nparts < DETECT_MAX_BLOBS;) {
		if ((float)nbr[k] <= QUEUE_CUT_FILL * (float)npx[k]) {
			k++;
			continue;
		}
		int a = k, sum_px = 0;
		for (; k < len && (float)nbr[k] > QUEUE_CUT_FILL * (float)npx[k]; k++)
			sum_px += npx[k];
		float run = (float)(k - a), across = (float)sum_px / run;
		if ((float)sum_px >= min_px && run >= QUEUE_PART_LENGTH * across) {
			part_a[nparts] = a;
			part_b[nparts++] = k - 1;
		}
	}
	return nparts;
}

static bool split_queue(struct detector *d, int l, const struct component *c, struct blob *blobs,
			int *count, uint8_t queue)
{
	struct axis ax;
	if (!long_axis(d, l, c, &ax))
		return false;
	int part_a[DETECT_MAX_BLOBS], part_b[DETECT_MAX_BLOBS];
	int nparts = find_parts(d, l, c, &ax, part_a, part_b);
	/* Rows (columns) find the strips of road between cars in a lane at
	 * a slant in the picture; square to the lane finds them when the
	 * camera is not level. */
	if (nparts < 2 && fabsf(ax.ux * ax.ny - ax.uy * ax.nx) > QUEUE_TILT) {
		strips_across(d, l, c, &ax);
		nparts = find_parts(d, l, c, &ax, part_a, part_b);
	}
	if (nparts < 2)
		return false;
	const int len = ax.len;
	/* The length, and the width across it, in the blobs' coordinates (x
	 * and y normalised apart). */
	float qx = ax.ux / (float)d->w, qy = ax.uy / (float)d->h, qn = hypotf(qx, qy);
	float wide = ax.wide * hypotf(ax.uy / (float)d->w, ax.ux / (float)d->h);
	/* Every pixel goes to a part: what lies between two is shared at
	 * the middle of the strip. */
	for (int i = 0; i < nparts; i++) {
		int a = i == 0 ? 0 : (part_b[i - 1] + part_a[i]) / 2 + 1;
		int b = i == nparts - 1 ? len - 1 : (part_b[i] + part_a[i + 1]) / 2;
		struct component p = part_of(d, l, c, &ax, a, b);
		if (p.area <= 0)
			continue;
		struct blob part = blob_of(d, &p);
		part.queue = queue;
		part.queue_ax = qx / qn;
		part.queue_ay = qy / qn;
		part.queue_wide = wide;
		add_blob(blobs, count, part);
	}
	return true;
}

static int collect_blobs(struct detector *d, int nlabels, struct blob *blobs)
{
	const float npx = (float)d->w * (float)d->h;
	int count = 0;
	uint8_t queue = 0;

	for (int l = 1; l < nlabels; l++) {
		const struct component *c = &d->comp[l];
		if (c->parent != l || c->ghost || c->area < FAINT_SHARE * d->p.min_area * npx ||
		    c->area > d->p.max_area * npx)
			continue;
		if (queue < UINT8_MAX && split_queue(d, l, c, blobs, &count, (uint8_t)(queue + 1)))
			queue++;
		else
			add_blob(blobs, &count, blob_of(d, c));
	}
	return count;
}

/* How badly the frame, moved by (sx, sy), matches the model at the
 * sampled pixels, at exposure g. */
static float shift_cost(const struct detector *d, const uint8_t *px, int n, float g, int sx, int sy)
{
	const int w = d->w;
	const ptrdiff_t off = (ptrdiff_t)sy * w + sx;
	float cost = 0.0f;
	for (int k = 0; k < n; k++) {
		const uint8_t *c = px + d->samples[k] + off;
		float gx = (float)(c[1] - c[-1]), gy = (float)(c[w] - c[-w]);
		/* Truncated: where something stands over the background, no
		 * shift matches, and it must not pull toward any. */
		cost += minf(fabsf(gx - g * d->sgx[k]) + fabsf(gy - g * d->sgy[k]), SHIFT_TRUNCATE);
	}
	return cost;
}

/* The frame's shift against the model: from the last one, a step at a time
 * to whichever neighbouring shift matches the model's textured background
 * better (differences of gradients, which a change of light over part of
 * the picture leaves alone, on a sparse grid of pixels with edges that
 * were background last frame, at the exposure of the frame there), never
 * further than shift_max from none. Flat pictures say nothing of a shift:
 * with too few textured samples the last one is kept, and another must
 * match clearly better, the more so the farther it is from none. */
static void estimate_shift(struct detector *d, const uint8_t *px)
{
	const int w = d->w, h = d->h, m = d->shift_max, grid = 3 * d->r, e = m + 1;
	const ptrdiff_t off = (ptrdiff_t)d->sy * w + d->sx;
	float model_sum = 0.0f, frame_sum = 0.0f;
	int n = 0;

	for (int y = e; y < h - e; y += grid)
		for (int x = e; x < w - e; x += grid) {
			int i = y * w + x;
			if (d->mask[i] || d->gb[i] < G_MIN || (d->active && !d->active[i]))
				continue;
			d->sgx[n] = d->mu[i + 1] - d->mu[i - 1];
			d->sgy[n] = d->mu[i + w] - d->mu[i - w];
			d->samples[n++] = i;
			model_sum += d->mu[i];
			frame_sum += (float)px[i + off];
		}
	if (n < SHIFT_MIN_SAMPLES || model_sum <= 0.0f)
		return;
	const float g = frame_sum / model_sum;
	float here = shift_cost(d, px, n, g, d->sx, d->sy);
	for (int step = 0; step < d->shift_step; step++) {
		int bx = d->sx, by = d->sy, far = abs(d->sx) + abs(d->sy);
		float best = here * (1.0f + SHIFT_PREFER * (float)far / (float)d->r);
		for (int j = -1; j <= 1; j++)
			for (int k = -1; k <= 1; k++) {
				int sx = d->sx + k, sy = d->sy + j, dist = abs(sx) + abs(sy);
				if ((!j && !k) || abs(sx) > m || abs(sy) > m)
					continue;
				/* Back toward none needs only to match as well: along
				 * a straight edge every shift matches alike, and the
				 * shift must not wander off along it. */
				float c = shift_cost(d, px, n, g, sx, sy);
				float judged = c * (1.0f + (dist < far ? 0.0f : SHIFT_MOVE) +
						    SHIFT_PREFER * (float)dist / (float)d->r);
				if (judged < best) {
					best = judged;
					bx = sx;
					by = sy;
					here = c;
				}
			}
		if (bx == d->sx && by == d->sy)
			break;
		d->sx = bx;
		d->sy = by;
	}
}

/* The frame moved back onto the model by the shift, its own edge pixels
 * repeated where it has nothing (clear_shift_border keeps those out of the
 * mask). Unshifted, the frame itself. */
static const uint8_t *shift_frame(struct detector *d, const uint8_t *px)
{
	const int w = d->w, h = d->h, sx = d->sx, sy = d->sy;
	if (!sx && !sy)
		return px;
	for (int y = 0; y < h; y++) {
		int yy = y + sy < 0 ? 0 : y + sy >= h ? h - 1 : y + sy;
		const uint8_t *src = px + (size_t)yy * w;
		uint8_t *dst = d->shifted + (size_t)y * w;
		if (sx >= 0) {
			memcpy(dst, src + sx, (size_t)(w - sx));
			memset(dst + w - sx, src[w - 1], (size_t)sx);
		} else {
			memset(dst, src[0], (size_t)-sx);
			memcpy(dst - sx, src, (size_t)(w + sx));
		}
	}
	return d->shifted;
}

/* The rows and columns the shifted frame has no picture for are never
 * foreground. */
static void clear_shift_border(struct detector *d)
{
	const int w = d->w, h = d->h, sx = d->sx, sy = d->sy;
	for (int y = 0; y < h; y++) {
		uint8_t *m = d->mask + (size_t)y * w;
		if (y + sy < 0 || y + sy >= h) {
			memset(m, 0, (size_t)w);
			continue;
		}
		if (sx > 0)
			memset(m + w - sx, 0, (size_t)sx);
		else if (sx < 0)
			memset(m, 0, (size_t)-sx);
	}
}

/* Shadow suppression. A cast shadow takes a share of the light and leaves
 * the surface as it was: over a small window the frame is the background
 * scaled by one factor, where an object replaces the background with a
 * pattern of its own. So a pixel the background test called foreground is
 * a shadow when, over its (2r+1)^2 window (or the (4r+1)^2 one where that
 * holds too little texture),
 * - the brightness distortion a = sum(f m) / sum(m m), the least-squares
 *   factor that scales the model m = gain * mu onto the frame f (Horprasert,
 *   Harwood & Davis 1999, there over colour channels, here over a window of
 *   gray pixels) lies in [SH_R_LO, SH_R_HI] (Cucchiara et al. 2003's band:
 *   darker, but not black), and
 * - the frame agrees with the scaled model: the residual sum (f - a m)^2 is
 *   within the noise plus SH_TEX_SLACK of the scaled texture (texture
 *   agreement, as the gray-level normalised cross-correlation of Jacques,
 *   Jung & Musse 2005), and
 * - the window holds texture enough for that to tell: a flat object over
 *   the floor leaves all of the scaled texture a^2 tex unexplained (a
 *   textured one over a flat floor, its own), so a^2 tex must exceed the
 *   tolerance. A flat floor has nothing to agree with, and there a shadow
 *   and a flat dark object look the same: the dark coat on a dark floor
 *   wins, and a flat floor keeps its shadows as foreground (SH_FLAT_FLOORS
 *   says what it cost to decide otherwise).
 * The window test rejects the shadow's own rim, where the window straddles
 * light and shadow; the rim is taken by growing the shadow over 4r pixels
 * into foreground pixels whose whole window is either lit (the model) or
 * shadowed by the same factor, which an object's pixels are not. Last, an
 * opening: specks of shadow (a floor's pattern fitting here and there
 * inside a soft shadow or an object) stay foreground, since taking them
 * out would cut a blob into fragments; only shadow regions go.
 * Shadow pixels are not background either: they are left out of the gain
 * and learn as foreground does. All of it is allocation-free, and costs
 * time only where the background test found dark foreground. */

/* Least-squares fit of the frame onto the model over the (2k+1)^2 window
 * around (x, y): *a the factor, *res the residual sum of squares, *tex the
 * model's texture energy (squared deviations from its mean), at the frame's
 * exposure. */
static void window_fit(const struct detector *d, const uint8_t *px, int x, int y, int k, float *a,
		       float *res, float *tex)
{
	const int w = d->w;
	const float gain = d->gain, nwin = (float)((2 * k + 1) * (2 * k + 1));
	const size_t i = (size_t)y * w + x;
	float smm = 0.0f, sfm = 0.0f, sff = 0.0f, sm = 0.0f;

	for (int dy = -k; dy <= k; dy++) {
		const uint8_t *restrict fp = px + i + (ptrdiff_t)dy * w;
		const float *restrict mp = d->mu + i + (ptrdiff_t)dy * w;
		for (int dx = -k; dx <= k; dx++) {
			float f = fp[dx], mm = gain * mp[dx];
			smm += mm * mm;
			sfm += f * mm;
			sff += f * f;
			sm += mm;
		}
	}
	*a = smm > 0.0f ? sfm / smm : 0.0f;
	*res = sff - *a * sfm;
	*tex = maxf(0.0f, smm - sm * sm / nwin);
}

/* Whether the foreground pixel (x, y), at least r from the border, is a
 * shadow by its window (radius r, or 2r where r holds too little texture
 * to tell); *ratio is the window's factor. */
static bool shadow_at(const struct detector *d, const uint8_t *px, int x, int y, float *ratio)
{
	const int r = d->r;
	const size_t i = (size_t)y * d->w + x;
	const float sig = maxf(SH_SIG_MIN, 1.25f * d->gain * d->s[i]); /* mean abs dev -> sigma */
	const float g2 = d->gain * d->gain, best = (1.0f - SH_TEX_SLACK) * SH_R_HI * SH_R_HI;

	for (int k = r;; k = 2 * r) {
		float a, res, tex, nwin = (float)((2 * k + 1) * (2 * k + 1));
		float tol = SH_K_RES * SH_K_RES * nwin * sig * sig;
		bool last = k == 2 * r || x < 2 * r || y < 2 * r || x >= d->w - 2 * r || y >= d->h - 2 * r;
		/* The model's own texture says, without a fit, whether this
		 * window can tell even at the largest factor. */
		if (!SH_FLAT_FLOORS && best * g2 * (k == r ? d->tex1 : d->tex2)[i] < tol) {
			if (last)
				return false;
			continue;
		}
		window_fit(d, px, x, y, k, &a, &res, &tex);
		*ratio = a;
		if (a < SH_R_LO || a > SH_R_HI)
			return false;
		if ((1.0f - SH_TEX_SLACK) * a * a * tex >= tol) /* texture enough to tell */
			return res <= tol + SH_TEX_SLACK * a * a * tex;
		if (last)
			return SH_FLAT_FLOORS && res <= tol; /* a flat window */
	}
}

/* Whether every pixel of the window of radius r around (x, y) is either
 * lit (the model, within the foreground threshold) or in the shadow of
 * factor a (a times the model, within SH_K_PIX of its noise). */
static bool rim_fits(const struct detector *d, const uint8_t *px, int x, int y, float a)
{
	const int w = d->w, r = d->r;
	const float gain = d->gain;

	for (int dy = -r; dy <= r; dy++)
		for (int dx = -r; dx <= r; dx++) {
			size_t j = (size_t)(y + dy) * w + x + dx;
			float mm = gain * d->mu[j], f = px[j];
			float sig = maxf(SH_SIG_MIN, 1.25f * gain * d->s[j]);
			float thr = maxf(maxf(T_MIN, T_REL * mm), K_S * gain * d->s[j]);
			if (fabsf(f - mm) > thr && fabsf(f - a * mm) > SH_K_PIX * sig)
				return false;
		}
	return true;
}

/* In: d->mask, the raw foreground. Out: d->sh, the shadow pixels, which
 * are dropped from d->mask. Uses d->tmp and d->ftmp as scratch. */
static void shadow_test(struct detector *d, const uint8_t *px)
{
	const int w = d->w, h = d->h, r = d->r;
	const size_t npx = (size_t)w * h;
	const float gain = d->gain;
	uint8_t *restrict sh = d->sh, *restrict m = d->mask;
	float *ratio = d->ftmp; /* each shadow pixel's factor */

	int y0 = h, y1 = -1; /* rows that hold shadow */
	memset(sh, 0, npx);
	for (int y = r; y < h - r; y++)
		for (int x = r; x < w - r; x++) {
			size_t i = (size_t)y * w + x;
			if (!m[i])
				continue;
			float m0 = gain * d->mu[i], v = px[i];
			if (v < 0.8f * SH_R_LO * m0 || v > m0 + maxf(T_MIN, T_REL * m0))
				continue; /* far too dark, or brighter: no shadow */
			if (shadow_at(d, px, x, y, &ratio[i])) {
				sh[i] = 1;
				y0 = y < y0 ? y : y0;
				y1 = y;
			}
		}
	if (y1 < 0)
		return; /* no shadow: the common case, and nothing more to do */
	/* The rim, a pixel a step, each taking its neighbour's factor; each
	 * step reaches a row further. */
	for (int step = 0; step < 4 * r; step++) {
		bool grew = false;
		y0 = y0 - 1 < r ? r : y0 - 1;
		y1 = y1 + 1 >= h - r ? h - r - 1 : y1 + 1;
		int c0 = y0 - 1, c1 = y1 + 1; /* and the rows either side, which hold none */
		memcpy(d->tmp + (size_t)c0 * w, sh + (size_t)c0 * w, (size_t)(c1 - c0 + 1) * w);
		for (int y = y0; y <= y1; y++)
			for (int x = r; x < w - r; x++) {
				size_t i = (size_t)y * w + x;
				const uint8_t *t = d->tmp;
				if (!m[i] || t[i])
					continue;
				size_t n = t[i - 1] ? i - 1 : t[i + 1] ? i + 1 : t[i - w] ? i - w : t[i + w] ? i + w : i;
				if (n == i || !rim_fits(d, px, x, y, ratio[n]))
					continue;
				sh[i] = 1;
				ratio[i] = ratio[n];
				grew = true;
			}
		if (!grew)
			break;
	}
	/* The opening: regions, not specks; on the rows that hold shadow, with
	 * a margin of empty rows so the band's edges change nothing. */
	y0 = y0 - d->rc - 1 < 0 ? 0 : y0 - d->rc - 1;
	y1 = y1 + d->rc + 1 >= h ? h - 1 : y1 + d->rc + 1;
	size_t off = (size_t)y0 * w, len = (size_t)(y1 - y0 + 1) * w;
	box_morph(d, sh + off, d->tmp + off, y1 - y0 + 1, d->rc, true);
	box_morph(d, d->tmp + off, sh + off, y1 - y0 + 1, d->rc, false);
	for (size_t i = off; i < off + len; i++) {
		sh[i] &= m[i];
		m[i] &= (uint8_t)!sh[i];
	}
}

/* The first frames: a plain average, every pixel, no detection. */
static void bootstrap(struct detector *d, const uint8_t *px)
{
	const size_t npx = (size_t)d->w * d->h;
	const float a = 1.0f / (float)(d->frames + 1);

	for (size_t i = 0; i < npx; i++) {
		float v = px[i];
		if (d->frames == 0) {
			d->mu[i] = v;
			d->s[i] = S_INIT;
		} else {
			d->mu[i] += a * (v - d->mu[i]);
		}
		d->age[i] = 0.0f;
	}
	if (d->frames == 0) {
		memset(d->mask, 0, npx);
		memset(d->sh, 0, npx);
	}
	d->t_refresh = d->t_texture = -1e300; /* the first frame after it refreshes */
}

void detector_process(struct detector *d, const struct gray *g, double t_sec, struct blob *blobs,
		      int *n)
{
	const int w = d->w, h = d->h;
	const size_t npx = (size_t)w * h;
	const uint8_t *px = g->px;
	float dt = d->frames || !d->reset ? (float)(t_sec - d->t_last) : 0.0f;

	*n = 0;
	if (!(dt > 0.0f) || dt > 2.0f) /* first frame, a clock step, or a long gap */
		dt = 1.0f / (d->p.fps > 0 ? d->p.fps : 25.0f);
	d->t_last = t_sec;
	if (d->reset) {
		d->reset = false;
		d->frames = 0;
		d->t_start = t_sec;
		d->gain = 1.0f;
		d->cut_time = 0.0f;
		d->sx = d->sy = 0;
	}
	if (d->frames < BOOT_MIN_FRAMES || t_sec - d->t_start < BOOT_SECONDS) {
		bootstrap(d, px);
		d->frames++;
		return;
	}
	d->frames++;

	/* The model moves slowly (learn_seconds): its neighbourhood range and
	 * edges are refreshed every MODEL_REFRESH seconds, not every frame. */
	if (t_sec - d->t_refresh >= MODEL_REFRESH || t_sec < d->t_refresh) {
		model_edges(d);
		if (d->p.shadows && (t_sec - d->t_texture >= TEXTURE_REFRESH || t_sec < d->t_texture)) {
			model_texture(d, d->r, d->tex1);
			model_texture(d, 2 * d->r, d->tex2);
			d->t_texture = t_sec;
		}
		envelope(d, d->mu, d->lo, d->hi);
		d->t_refresh = t_sec;
	}
	estimate_shift(d, px);
	px = shift_frame(d, px);
	d->gain = estimate_gain(d, px);
	if (d->reset)
		return; /* a new scene: learning starts again with the next frame */
	const float inv_gain = 1.0f / d->gain;

	/* Raw mask: outside the neighbourhood's range, or a new edge. Both
	 * judged at the frame's exposure: a camera's response is not quite
	 * proportional, and dividing a dark frame by its gain would magnify
	 * that error along with the noise. */
	const float gain = d->gain;
	const float gthr_min = G_MIN, k_edge = 2.0f * K_S * gain;
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict p = px + (size_t)y * w;
		const float *restrict lo = d->lo + (size_t)y * w, *restrict hi = d->hi + (size_t)y * w;
		const float *restrict s = d->s + (size_t)y * w, *restrict gb = d->gb + (size_t)y * w;
		uint8_t *restrict m = d->mask + (size_t)y * w;
		for (int x = 0; x < w; x++) {
			float v = p[x];
			float diff = maxf(minf(gain * lo[x], SATURATED) - v, v - gain * hi[x]);
			float thr = maxf(maxf(T_MIN, T_REL * gain * lo[x]), K_S * gain * s[x]);
			m[x] = diff > thr;
		}
		memcpy(d->bright + (size_t)y * w, m, (size_t)w);
		if (y == 0 || y == h - 1)
			continue;
		/* The edge cue, inside the border, in a loop of its own so both
		 * stay straight and vectorise. */
		const uint8_t *restrict up = p - w, *restrict dn = p + w;
		for (int x = 1; x < w - 1; x++) {
			float gi = (float)(abs(p[x + 1] - p[x - 1]) + abs(dn[x] - up[x]));
			m[x] |= gi - gain * gb[x] > maxf(gthr_min, k_edge * s[x]);
		}
	}
	clear_shift_border(d);
	if (d->p.shadows)
		shadow_test(d, px);
	if (d->active) {
		/* Outside the regions nothing is foreground, before the
		 * morphology and again after it (a closing reaches a few
		 * pixels out); the model still learns there. */
		for (size_t i = 0; i < npx; i++)
			d->mask[i] &= d->active[i];
		clean_mask(d);
		for (size_t i = 0; i < npx; i++)
			d->mask[i] &= d->active[i];
	} else {
		clean_mask(d);
	}

	/* Learning: background pixels at learn_seconds, toward the frame at the
	 * model's reference exposure (learning the frame as it is would
	 * re-learn the exposure everywhere except under a slow object, whose
	 * footprint would then stand out as a trail); foreground pixels much
	 * more slowly, and at once when they have been foreground for
	 * absorb_seconds. The noise scale is the mean absolute deviation of
	 * background pixels: sensor noise, and flicker where there is some. */
	const float a = 1.0f - expf(-dt / maxf(dt, d->p.learn_seconds));
	const float a_fg = 1.0f - expf(-dt / maxf(dt, FG_SLOW * d->p.learn_seconds));
	const float absorb = d->p.absorb_seconds;
	unsigned fg_count = 0;
	for (size_t i = 0; i < npx; i++) {
		float v = px[i] * inv_gain;
		if (!d->mask[i] && !d->sh[i]) { /* a shadow is not background either */
			if (px[i] >= SATURATED && v < d->mu[i])
				continue;
			float diff = fabsf(v - d->mu[i]);
			d->mu[i] += a * (v - d->mu[i]);
			d->s[i] = minf(S_MAX, d->s[i] + a * (diff - d->s[i]));
			d->age[i] = 0.0f;
			continue;
		}
		fg_count++;
		d->age[i] += dt;
		if (d->age[i] >= absorb) {
			d->mu[i] = v;
			d->age[i] = 0.0f;
		} else if (fabsf(v - d->mu[i]) <
			   NEAR_FG * maxf(maxf(T_MIN * inv_gain, T_REL * d->mu[i]), K_S * d->s[i])) {
			/* Barely foreground: more likely the background changed a
			 * little (light, a surface drying) than an object: let it
			 * catch up. Objects are not learnt, however long they
			 * stay, so a long stop leaves no half-learnt ghost. */
			d->mu[i] += a_fg * (v - d->mu[i]);
		}
	}

	/* Most of the picture foreground for a while: the camera moved or the
	 * scene changed; start again rather than track the whole frame. */
	if ((float)fg_count > CUT_FRACTION * (float)npx) {
		d->cut_time += dt;
		if (d->cut_time >= CUT_SECONDS) {
			d->reset = true;
			return;
		}
	} else {
		d->cut_time = 0.0f;
	}
	int nlabels = label_components(d);
	find_ghosts(d, nlabels, px);
	*n = collect_blobs(d, nlabels, blobs);
}
