/* scenegen: renders synthetic overhead-camera clips whose crossings of a
 * counting line are known exactly, for turnstile's end-to-end tests.
 *
 * A clip is a static textured floor, per-frame Gaussian sensor noise and K
 * objects (filled ellipses or rounded rectangles) moving on straight paths
 * roughly perpendicular to the line. Everything is decided by one seed and
 * our own PRNG, so the same arguments give the same bytes on one platform.
 *
 * --scenario NAME replaces the random plan with a scripted one (the
 * scenarios table, below the truth file's code): objects follow piecewise-linear paths with
 * stops and turns, may cast shadows, and the whole frame may change
 * brightness. Each scenario names one way counting goes wrong on real
 * footage, and its truth says what a correct counter reports.
 *
 * Outputs NAME.avi / NAME.y4m / NAME.mjpeg (as asked) and NAME.truth.json.
 * The Y4M carries the rendered pixels before JPEG compression, and the JPEGs
 * are compressed from those very YCbCr planes, so every format shows the
 * same scene. Single-threaded.
 *
 * Truth: {"clip", ["scenario",] "frames", "fps", "width", "height",
 * "line": [ax,ay,bx,by], "in", "out", "events": [{"frame", "direction",
 * "object"}...]}, events sorted by frame. An event's frame is the first
 * (0-based) whose object centre is on the new side of the line; walking
 * from A to B, the right-hand side is "in". A scripted object's centre must
 * go from more than ON_LINE_FRAC of the frame height on one side to more
 * than that on the other, through the drawn segment, and the event's frame
 * is the first beyond it. So one that stops on the line, swaying across it,
 * and goes back makes no event, nor one crossing beyond the segment's ends,
 * and one that crosses and comes back makes two. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "avi_writer.h"

/* A background model needs a few empty frames to learn the floor. */
#define WARMUP_S 2.0
/* Objects are gone this long before the end, so a counter that lags the
 * truth by a few frames still sees every crossing complete. */
#define TAIL_S 1.0
/* Crossing points stay this far from the ends of the drawn segment. */
#define ALONG_MARGIN 0.15
#define MAX_ANGLE_DEG 25.0
/* The floor stays inside this luma band and objects outside it (with
 * their texture), so every object contrasts with its background by at
 * least about 40 levels before noise. */
#define BG_LUMA_MIN 90.0
#define BG_LUMA_MAX 165.0
#define DARK_LUMA_MIN 15.0
#define DARK_LUMA_MAX 38.0
#define BRIGHT_LUMA_MIN 215.0
#define BRIGHT_LUMA_MAX 240.0
#define TEX_AMP_MAX 6.0
#define NOISE_TABLE_BITS 16
/* A scripted centre closer to the line than this (fraction of the frame
 * height) is on neither side: standing on the line and swaying is not
 * crossing it. */
#define ON_LINE_FRAC 0.02
/* Someone standing is never quite still: their centre wanders this far
 * (fraction of the frame height), within ON_LINE_FRAC, over SWAY_S. */
#define SWAY_FRAC 0.012
#define SWAY_S 1.5
#define MAX_KEYS 12             /* waypoints of one scripted path */
#define MAX_GAIN_KEYS 8
#define MAX_SCRIPTED 16         /* objects in one scenario */

struct options {
	const char *out;
	int width, height;
	uint32_t rate, scale;           /* fps = rate / scale */
	double seconds;
	uint64_t seed;
	int crossings;
	double line[4];                 /* ax, ay, bx, by, normalised */
	double noise;                   /* sensor noise sigma per RGB channel, levels */
	int quality;
	bool avi, y4m, mjpeg;
	bool index;
	double size_min, size_max;      /* object width across its motion, fraction of height */
	double transit_min, transit_max;/* seconds an object is in view */
	const struct scenario *scenario;/* NULL: the random plan */
};

enum shape { SHAPE_ELLIPSE, SHAPE_ROUNDRECT };

struct object {
	enum shape shape;
	bool in;
	double px, py;          /* where the path crosses the line, pixels */
	double dx, dy;          /* unit direction of motion, pixels */
	double half_len;        /* half extent along the motion, pixels */
	double half_wid;        /* half extent across the motion, pixels */
	double corner;          /* corner radius of a rounded rectangle */
	double radius;          /* bounding circle */
	double s0, s1;          /* path positions (from the crossing point) where it enters and leaves */
	double speed;           /* pixels per second */
	double t0, t1;          /* times at s0 and s1, seconds */
	double rgb[3];
	double tex_amp;
	uint64_t tex_seed;
	int event_frame;
	/* Scripted objects only: the path as waypoints in time (a stop is two
	 * waypoints at one place), whether it casts a shadow, and how far it
	 * sways about its path (pixels). */
	struct waypoint {
		double t, x, y;
	} key[MAX_KEYS];
	int n_keys;
	bool shadow;
	double sway;
};

/* One crossing in the truth. */
struct event {
	int frame;
	bool in;
	int object;
};

struct scene {
	int width, height, frames;
	double fps;
	struct object *obj;
	int n_obj;
	struct event *ev;
	int n_ev;
	float *bg;              /* width * height * 3, RGB */
	/* Global brightness as a function of time, piecewise linear; two keys
	 * at one time make a step. None: gain 1, the frame is left alone. */
	struct gain_key {
		double t, gain;
	} gain[MAX_GAIN_KEYS];
	int n_gain;
	double shadow_dx, shadow_dy;    /* shadow offset, in bounding radii */
};

/* A scenario scripts its objects through a builder, in pixels and seconds,
 * with the line as the frame of reference: "along" runs from A (0) to B (1),
 * "across" is the distance from the line, positive on the "in" side. */
struct builder {
	struct scene *sc;
	struct rng *r;
	double ax, ay;          /* A, pixels */
	double ux, uy, len;     /* unit vector A->B; the segment's length */
	double nx, ny;          /* unit normal toward the "in" side */
};

struct scenario {
	const char *name;
	const char *what;       /* one line for --list-scenarios */
	uint32_t fps;
	double line[4];
	double noise;
	int want_in, want_out;  /* what the script is meant to produce */
	void (*build)(struct builder *b);
};

/* ---- random numbers ------------------------------------------------------ */

/* splitmix64: tiny, fast, passes BigCrush, and unlike rand() it is the same
 * on every libc. */
struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix64(r->s);
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_range(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

static int rng_int(struct rng *r, int n)
{
	return (int)(rng_unit(r) * n);
}

static double rng_gauss(struct rng *r)
{
	double u = 1.0 - rng_unit(r); /* (0, 1]: log() needs a non-zero argument */
	double v = rng_unit(r);
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* ---- procedural texture -------------------------------------------------- */

static double lattice(uint64_t seed, int64_t x, int64_t y)
{
	uint64_t h = mix64(seed ^ mix64((uint64_t)x * 0x9e3779b97f4a7c15ull + (uint64_t)y));
	return (double)(h >> 11) * 0x1.0p-53;
}

/* Smooth value noise in [0, 1) with unit lattice spacing. */
static double value_noise(uint64_t seed, double x, double y)
{
	double fx = floor(x), fy = floor(y);
	int64_t ix = (int64_t)fx, iy = (int64_t)fy;
	double tx = x - fx, ty = y - fy;
	double sx = tx * tx * (3.0 - 2.0 * tx), sy = ty * ty * (3.0 - 2.0 * ty);
	double a = lattice(seed, ix, iy), b = lattice(seed, ix + 1, iy);
	double c = lattice(seed, ix, iy + 1), d = lattice(seed, ix + 1, iy + 1);
	double top = a + (b - a) * sx, bottom = c + (d - c) * sx;
	return top + (bottom - top) * sy;
}

static double luma(const double *rgb)
{
	return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}

enum floor_style { FLOOR_TILES, FLOOR_PAVING, FLOOR_ASPHALT, FLOOR_STYLES };

static const double floor_palette[][3] = {
	{128, 127, 122}, /* concrete */
	{152, 138, 112}, /* sandstone */
	{104, 106, 112}, /* asphalt */
	{156, 114, 94},  /* terracotta */
	{112, 122, 128}, /* slate */
	{120, 130, 112}, /* green-grey linoleum */
};

/* Darkening of a joint between tiles, from the distance to the nearest
 * joint in pixels; soft-edged so it survives JPEG without ringing much. */
static double joint_shade(double dist)
{
	return dist < 2.0 ? -16.0 * (2.0 - dist) / 2.0 : 0.0;
}

/* Renders the static floor: a palette colour, two octaves of value noise,
 * a lighting gradient, fixed grain and some man-made structure (tile
 * joints, a paving bond or a painted stripe), kept inside the luma band. */
static void render_floor(struct scene *sc, struct rng *r)
{
	int w = sc->width, h = sc->height;
	enum floor_style style = (enum floor_style)rng_int(r, FLOOR_STYLES);
	const double *base = floor_palette[rng_int(r, (int)(sizeof(floor_palette) / sizeof(floor_palette[0])))];
	uint64_t s_coarse = rng_next(r), s_fine = rng_next(r), s_grain = rng_next(r);
	uint64_t s_tile = rng_next(r);
	double tile = h * rng_range(r, 0.17, 0.26);
	double off_x = rng_range(r, 0, tile), off_y = rng_range(r, 0, tile);
	double light = rng_range(r, 0, 2 * M_PI);
	double lx = cos(light), ly = sin(light);
	/* Painted stripe for asphalt: a line through a random point. */
	double st_a = rng_range(r, 0, M_PI), st_cx = rng_range(r, 0.2, 0.8) * w;
	double st_cy = rng_range(r, 0.2, 0.8) * h, st_w = 0.025 * h + 1.0;

	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			double X = x + 0.5, Y = y + 0.5;
			double b = 0.0, rgb[3], tint = 0.0, l;
			float *p = sc->bg + ((size_t)y * w + x) * 3;

			b += 16.0 * (2.0 * value_noise(s_coarse, X / (0.3 * h), Y / (0.3 * h)) - 1.0);
			b += 4.0 * (2.0 * value_noise(s_fine, X / 10.0, Y / 10.0) - 1.0);
			b += 12.0 * (lx * (X / w - 0.5) + ly * (Y / h - 0.5));

			if (style == FLOOR_TILES || style == FLOOR_PAVING) {
				double th = style == FLOOR_TILES ? tile : tile * 0.5;
				double v = (Y + off_y) / th;
				double row = floor(v);
				double shift = (style == FLOOR_PAVING && ((int64_t)row & 1)) ? 0.5 : 0.0;
				double u = (X + off_x) / tile + shift;
				double col = floor(u);
				double du = (u - col) * tile, dv = (v - row) * th;
				double dist = fmin(fmin(du, tile - du), fmin(dv, th - dv));
				double t = lattice(s_tile, (int64_t)col, (int64_t)row);

				b += 16.0 * (t - 0.5) + joint_shade(dist);
				tint = 8.0 * (lattice(s_tile ^ 1, (int64_t)col, (int64_t)row) - 0.5);
				b += 1.0 * (2.0 * lattice(s_grain, x, y) - 1.0);
			} else {
				double d = fabs(-sin(st_a) * (X - st_cx) + cos(st_a) * (Y - st_cy));
				b += 2.0 * (2.0 * lattice(s_grain, x, y) - 1.0);
				if (d < st_w + 1.0)
					b += 40.0 * fmin(1.0, st_w + 1.0 - d);
			}

			rgb[0] = base[0] + b + tint;
			rgb[1] = base[1] + b;
			rgb[2] = base[2] + b - tint;
			l = luma(rgb);
			for (int c = 0; c < 3; c++) {
				if (l < BG_LUMA_MIN)
					rgb[c] += BG_LUMA_MIN - l;
				else if (l > BG_LUMA_MAX)
					rgb[c] -= l - BG_LUMA_MAX;
				p[c] = (float)rgb[c];
			}
		}
	}
}

/* ---- planning the crossings ---------------------------------------------- */

static double frame_time(const struct scene *sc, int f)
{
	return f / sc->fps;
}

/* Where a scripted object is at t: on the segment between the waypoints
 * around t, or at the first or last one outside them. */
static void path_pos(const struct object *o, double t, double *x, double *y)
{
	const struct waypoint *k = o->key;
	int i;

	if (t <= k[0].t) {
		*x = k[0].x;
		*y = k[0].y;
		return;
	}
	for (i = 0; i + 1 < o->n_keys && t > k[i + 1].t; i++)
		;
	if (i + 1 >= o->n_keys) {
		*x = k[i].x;
		*y = k[i].y;
	} else {
		double u = (t - k[i].t) / (k[i + 1].t - k[i].t);
		*x = k[i].x + u * (k[i + 1].x - k[i].x);
		*y = k[i].y + u * (k[i + 1].y - k[i].y);
	}
}

static void object_pos(const struct object *o, double t, double *x, double *y)
{
	double s;

	if (o->n_keys > 0) {
		path_pos(o, t, x, y);
		if (o->sway > 0) {
			*x += o->sway * (2.0 * value_noise(o->tex_seed ^ 1, t / SWAY_S, 0.5) - 1.0);
			*y += o->sway * (2.0 * value_noise(o->tex_seed ^ 2, t / SWAY_S, 0.5) - 1.0);
		}
		return;
	}
	s = o->s0 + o->speed * (t - o->t0);
	*x = o->px + s * o->dx;
	*y = o->py + s * o->dy;
}

static bool object_active(const struct object *o, double t)
{
	return t >= o->t0 && t <= o->t1;
}

/* side(x,y) of the project's convention, in normalised coordinates:
 * > 0 on the right-hand side walking A->B (in), < 0 on the left (out). */
static double line_side(const double *l, double x, double y)
{
	return (l[2] - l[0]) * (y - l[1]) - (l[3] - l[1]) * (x - l[0]);
}

/* A colour of the given luma with a random hue; the chroma shrinks until
 * the colour fits in RGB, so the luma (what the detector sees) is exact. */
static void pick_colour(struct rng *r, double y, double *rgb)
{
	double hue = rng_range(r, 0, 2 * M_PI), c = rng_range(r, 10, 50);

	for (;;) {
		double cb = c * cos(hue), cr = c * sin(hue);
		rgb[0] = y + 1.402 * cr;
		rgb[1] = y - 0.344136 * cb - 0.714136 * cr;
		rgb[2] = y + 1.772 * cb;
		if (c < 0.5 || (fmin(fmin(rgb[0], rgb[1]), rgb[2]) >= 0.0 &&
				fmax(fmax(rgb[0], rgb[1]), rgb[2]) <= 255.0))
			break;
		c *= 0.7;
	}
	if (c < 0.5)
		rgb[0] = rgb[1] = rgb[2] = y;
}

/* The stretch [*lo, *hi] of the line (px, py) + s * (dx, dy), (dx, dy) a
 * unit vector, on which a disc of the given radius touches the frame: an
 * object entering at lo and leaving at hi is wholly outside at both ends
 * (slab method). */
static void path_extent(const struct scene *sc, double px, double py, double dx, double dy,
			double radius, double *lo, double *hi)
{
	double w = sc->width, h = sc->height;

	*lo = -INFINITY;
	*hi = INFINITY;
	if (fabs(dx) > 1e-9) {
		double a = (-radius - px) / dx, b = (w + radius - px) / dx;
		*lo = fmax(*lo, fmin(a, b));
		*hi = fmin(*hi, fmax(a, b));
	}
	if (fabs(dy) > 1e-9) {
		double a = (-radius - py) / dy, b = (h + radius - py) / dy;
		*lo = fmax(*lo, fmin(a, b));
		*hi = fmin(*hi, fmax(a, b));
	}
}

/* Chooses everything about one object except when it starts. */
static void make_object(const struct options *opt, const struct scene *sc, struct rng *r,
			bool in, struct object *o)
{
	double w = sc->width, h = sc->height;
	double ax = opt->line[0] * w, ay = opt->line[1] * h;
	double ex = opt->line[2] * w - ax, ey = opt->line[3] * h - ay;
	double len = hypot(ex, ey);
	/* (-ey, ex) points to the right-hand side of A->B on a y-down screen. */
	double nx = -ey / len, ny = ex / len;
	double along = rng_range(r, ALONG_MARGIN, 1.0 - ALONG_MARGIN);
	double ang = rng_range(r, -MAX_ANGLE_DEG, MAX_ANGLE_DEG) * M_PI / 180.0;
	double lo, hi;
	double transit;

	memset(o, 0, sizeof(*o));
	o->in = in;
	o->shape = rng_int(r, 2) ? SHAPE_ROUNDRECT : SHAPE_ELLIPSE;
	o->px = ax + along * ex;
	o->py = ay + along * ey;
	if (!in) {
		nx = -nx;
		ny = -ny;
	}
	o->dx = nx * cos(ang) - ny * sin(ang);
	o->dy = nx * sin(ang) + ny * cos(ang);

	o->half_wid = 0.5 * h * rng_range(r, opt->size_min, opt->size_max);
	o->half_len = o->half_wid * rng_range(r, 0.7, 1.4);
	o->corner = 0.35 * fmin(o->half_wid, o->half_len);
	o->radius = hypot(o->half_wid, o->half_len);

	/* Enter and leave fully outside the frame. */
	path_extent(sc, o->px, o->py, o->dx, o->dy, o->radius, &lo, &hi);
	o->s0 = lo;
	o->s1 = hi;
	transit = rng_range(r, opt->transit_min, opt->transit_max);
	o->speed = (o->s1 - o->s0) / transit;

	if (rng_int(r, 2))
		pick_colour(r, rng_range(r, DARK_LUMA_MIN, DARK_LUMA_MAX), o->rgb);
	else
		pick_colour(r, rng_range(r, BRIGHT_LUMA_MIN, BRIGHT_LUMA_MAX), o->rgb);
	o->tex_amp = rng_range(r, 3.0, TEX_AMP_MAX);
	o->tex_seed = rng_next(r);
}

static void object_place(struct object *o, double t0)
{
	o->t0 = t0;
	o->t1 = t0 + (o->s1 - o->s0) / o->speed;
}

/* True when o, at its current start time, keeps clear of every placed
 * object: never more than two in view, never closer than a gap. */
static bool object_fits(const struct scene *sc, const struct object *o,
			const struct object *placed, int n)
{
	double gap = 0.04 * sc->height + 4.0;
	int first = (int)ceil(o->t0 * sc->fps), last = (int)floor(o->t1 * sc->fps);

	for (int f = first; f <= last; f++) {
		double t = frame_time(sc, f), x, y;
		int others = 0;

		object_pos(o, t, &x, &y);
		for (int j = 0; j < n; j++) {
			double qx, qy;
			if (!object_active(&placed[j], t))
				continue;
			if (++others > 1)
				return false;
			object_pos(&placed[j], t, &qx, &qy);
			if (hypot(qx - x, qy - y) < o->radius + placed[j].radius + gap)
				return false;
		}
	}
	return true;
}

/* First frame whose centre is on the far side of the line. */
static int object_event_frame(const struct options *opt, const struct scene *sc,
			      const struct object *o)
{
	int first = (int)ceil(o->t0 * sc->fps), last = (int)floor(o->t1 * sc->fps);
	bool seen_start_side = false;

	for (int f = first; f <= last; f++) {
		double x, y, s;
		object_pos(o, frame_time(sc, f), &x, &y);
		s = line_side(opt->line, x / sc->width, y / sc->height);
		if (o->in ? s > 0 : s < 0) {
			if (seen_start_side)
				return f;
		} else {
			seen_start_side = true;
		}
	}
	return -1;
}

/* Picks the objects and their start times. About half go each way, but
 * from K = 4 up the counts of in and out differ by design: with equal
 * counts a detector that swaps the directions would still get the totals
 * right. */
static int plan_scene(const struct options *opt, struct scene *sc, struct rng *r,
		      char *err, size_t errlen)
{
	int k = opt->crossings, n_in = k / 2;
	double start_min = WARMUP_S, end_max = sc->frames / sc->fps - TAIL_S;
	bool *dirs;

	if (k >= 4) {
		n_in = k / 2 + (k % 2 ? rng_int(r, 2) : 0);
		if (2 * n_in == k)
			n_in += rng_int(r, 2) ? 1 : -1;
	} else if (k >= 2) {
		n_in = 1 + rng_int(r, k - 1);   /* both directions at least once */
	} else if (k == 1) {
		n_in = rng_int(r, 2);
	}

	sc->obj = calloc(k > 0 ? (size_t)k : 1, sizeof(*sc->obj));
	dirs = calloc(k > 0 ? (size_t)k : 1, sizeof(*dirs));
	if (!sc->obj || !dirs) {
		free(dirs);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < k; i++)
		dirs[i] = i < n_in;
	for (int i = k - 1; i > 0; i--) {   /* Fisher-Yates */
		int j = rng_int(r, i + 1);
		bool t = dirs[i];
		dirs[i] = dirs[j];
		dirs[j] = t;
	}

	for (int i = 0; i < k; i++) {
		struct object *o = &sc->obj[i];
		double dur, latest, want, step = 1.0 / sc->fps;
		bool ok = false;

		/* A crowded clip may have no room for this object's path and
		 * speed; a few fresh draws usually find one that fits. */
		for (int attempt = 0; !ok && attempt < 16; attempt++) {
			make_object(opt, sc, r, dirs[i], o);
			dur = (o->s1 - o->s0) / o->speed;
			latest = end_max - dur;
			if (latest < start_min)
				continue;
			/* Spread the starts evenly with some jitter, then slide
			 * forward (or back) frame by frame until it keeps clear. */
			want = start_min + (i + rng_range(r, 0.1, 0.7)) / k * (latest - start_min);
			for (int j = 0; !ok && want + j * step <= latest; j++) {
				object_place(o, want + j * step);
				ok = object_fits(sc, o, sc->obj, i);
			}
			for (int j = 1; !ok && want - j * step >= start_min; j++) {
				object_place(o, want - j * step);
				ok = object_fits(sc, o, sc->obj, i);
			}
		}
		if (!ok) {
			snprintf(err, errlen, "cannot fit %d crossings into %.1f s; try more --seconds",
				 k, opt->seconds);
			free(dirs);
			return -EINVAL;
		}
		o->event_frame = object_event_frame(opt, sc, o);
		if (o->event_frame < 0) {
			snprintf(err, errlen, "object %d never crosses the line (bug)", i);
			free(dirs);
			return -EINVAL;
		}
	}
	sc->n_obj = k;
	free(dirs);
	sc->ev = calloc(k > 0 ? (size_t)k : 1, sizeof(*sc->ev));
	if (!sc->ev) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < k; i++)
		sc->ev[i] = (struct event){sc->obj[i].event_frame, sc->obj[i].in, i};
	sc->n_ev = k;
	return 0;
}

/* ---- rendering ----------------------------------------------------------- */

/* Approximate signed distance in pixels from (u, v), in the object's own
 * axes, to its outline: negative inside. */
static double object_sdf(const struct object *o, double u, double v)
{
	double a = o->half_len, b = o->half_wid;

	if (o->shape == SHAPE_ELLIPSE) {
		double g = (u * u) / (a * a) + (v * v) / (b * b) - 1.0;
		double gx = u / (a * a), gy = v / (b * b);
		double grad = 2.0 * sqrt(gx * gx + gy * gy);
		/* First-order distance; deep inside (small gradient) only the
		 * sign matters. */
		return grad > 1e-9 ? g / grad : -b;
	} else {
		double r = o->corner;
		double qx = fabs(u) - (a - r), qy = fabs(v) - (b - r);
		double ox = fmax(qx, 0.0), oy = fmax(qy, 0.0);
		return sqrt(ox * ox + oy * oy) + fmin(fmax(qx, qy), 0.0) - r;
	}
}

static void draw_object(const struct scene *sc, const struct object *o, double t, float *img)
{
	double cx, cy, R = o->radius + 1.0;
	int x0, x1, y0, y1;

	object_pos(o, t, &cx, &cy);
	x0 = (int)fmax(0.0, floor(cx - R));
	x1 = (int)fmin(sc->width - 1.0, ceil(cx + R));
	y0 = (int)fmax(0.0, floor(cy - R));
	y1 = (int)fmin(sc->height - 1.0, ceil(cy + R));

	for (int y = y0; y <= y1; y++) {
		for (int x = x0; x <= x1; x++) {
			double rx = x + 0.5 - cx, ry = y + 0.5 - cy;
			double u = rx * o->dx + ry * o->dy;     /* along the motion */
			double v = -rx * o->dy + ry * o->dx;    /* across it */
			double d = object_sdf(o, u, v);
			double alpha = fmin(1.0, fmax(0.0, 0.5 - d));
			double n, rr, tex;
			float *p;

			if (alpha <= 0.0)
				continue;
			/* Texture fixed to the object (so it moves with it):
			 * blotches plus a little shading toward the rim. */
			n = value_noise(o->tex_seed, u / (0.4 * o->half_wid), v / (0.4 * o->half_wid));
			rr = fmin(1.0, (u * u) / (o->half_len * o->half_len) +
				  (v * v) / (o->half_wid * o->half_wid));
			tex = o->tex_amp * (0.6 * (2.0 * n - 1.0) + 0.4 * (1.0 - 2.0 * rr));
			p = img + ((size_t)y * sc->width + x) * 3;
			for (int c = 0; c < 3; c++)
				p[c] = (float)(p[c] * (1.0 - alpha) + (o->rgb[c] + tex) * alpha);
		}
	}
}

/* Darkens the floor under o's shadow: o's outline moved by the scene's
 * shadow offset, with a soft edge, keeping 1 - SHADOW_DEPTH of the light in
 * its core. Drawn before the objects, so an object hides its own shadow. */
#define SHADOW_DEPTH 0.35
static void draw_shadow(const struct scene *sc, const struct object *o, double t, float *img)
{
	double cx, cy, soft = 0.4 * o->half_wid + 1.0, R = o->radius + soft + 1.0;
	int x0, x1, y0, y1;

	object_pos(o, t, &cx, &cy);
	cx += sc->shadow_dx * o->radius;
	cy += sc->shadow_dy * o->radius;
	x0 = (int)fmax(0.0, floor(cx - R));
	x1 = (int)fmin(sc->width - 1.0, ceil(cx + R));
	y0 = (int)fmax(0.0, floor(cy - R));
	y1 = (int)fmin(sc->height - 1.0, ceil(cy + R));

	for (int y = y0; y <= y1; y++) {
		for (int x = x0; x <= x1; x++) {
			double rx = x + 0.5 - cx, ry = y + 0.5 - cy;
			double u = rx * o->dx + ry * o->dy, v = -rx * o->dy + ry * o->dx;
			double a = fmin(1.0, fmax(0.0, 0.5 - object_sdf(o, u, v) / soft));
			float *p = img + ((size_t)y * sc->width + x) * 3;

			for (int c = 0; c < 3; c++)
				p[c] = (float)(p[c] * (1.0 - SHADOW_DEPTH * a));
		}
	}
}

/* Global brightness at t (1 when the scene has no gain curve). */
static double scene_gain(const struct scene *sc, double t)
{
	const struct gain_key *g = sc->gain;
	int i;

	if (sc->n_gain == 0)
		return 1.0;
	if (t < g[0].t)
		return g[0].gain;
	for (i = 0; i + 1 < sc->n_gain && t >= g[i + 1].t; i++)
		;
	if (i + 1 >= sc->n_gain)
		return g[i].gain;
	return g[i].gain + (t - g[i].t) / (g[i + 1].t - g[i].t) * (g[i + 1].gain - g[i].gain);
}

static uint8_t clamp_u8(double v)
{
	if (v <= 0.0)
		return 0;
	if (v >= 255.0)
		return 255;
	return (uint8_t)(v + 0.5);
}

/* Full-range BT.601 (JFIF) 4:2:0, chroma sited between the luma samples
 * (the 2x2 average), which is what C420jpeg and TurboJPEG both assume. */
static void rgb_to_yuv420(const uint8_t *rgb, int w, int h, uint8_t *py, uint8_t *pu,
			  uint8_t *pv)
{
	int cw = (w + 1) / 2, ch = (h + 1) / 2;

	for (int i = 0; i < w * h; i++) {
		const uint8_t *p = rgb + (size_t)i * 3;
		py[i] = clamp_u8(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
	}
	for (int cy = 0; cy < ch; cy++) {
		for (int cx = 0; cx < cw; cx++) {
			double s[3] = {0, 0, 0};
			int n = 0;
			for (int dy = 0; dy < 2; dy++) {
				for (int dx = 0; dx < 2; dx++) {
					int x = 2 * cx + dx, y = 2 * cy + dy;
					if (x >= w || y >= h)
						continue;
					for (int c = 0; c < 3; c++)
						s[c] += rgb[((size_t)y * w + x) * 3 + c];
					n++;
				}
			}
			for (int c = 0; c < 3; c++)
				s[c] /= n;
			pu[cy * cw + cx] = clamp_u8(128.0 - 0.168736 * s[0] - 0.331264 * s[1] + 0.5 * s[2]);
			pv[cy * cw + cx] = clamp_u8(128.0 + 0.5 * s[0] - 0.418688 * s[1] - 0.081312 * s[2]);
		}
	}
}

struct outputs {
	struct avi_writer *avi;
	FILE *y4m, *mjpeg;
	char path[3][4096];     /* avi, y4m, mjpeg */
};

static int write_file(FILE *f, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, f) == len ? 0 : (errno ? -errno : -EIO);
}

static int open_outputs(const struct options *opt, const struct scene *sc, struct outputs *out)
{
	int rc;

	snprintf(out->path[0], sizeof(out->path[0]), "%s.avi", opt->out);
	snprintf(out->path[1], sizeof(out->path[1]), "%s.y4m", opt->out);
	snprintf(out->path[2], sizeof(out->path[2]), "%s.mjpeg", opt->out);
	if (opt->avi) {
		struct avi_writer_config cfg = {
			.path = out->path[0], .width = sc->width, .height = sc->height,
			.rate = opt->rate, .scale = opt->scale, .index = opt->index,
		};
		rc = avi_writer_open(&cfg, &out->avi);
		if (rc) {
			fprintf(stderr, "scenegen: %s: %s\n", out->path[0], strerror(-rc));
			return rc;
		}
	}
	if (opt->y4m) {
		out->y4m = fopen(out->path[1], "wb");
		if (!out->y4m) {
			rc = -errno;
			fprintf(stderr, "scenegen: %s: %s\n", out->path[1], strerror(errno));
			return rc;
		}
		/* XCOLORRANGE=FULL: the planes are JFIF full range, like the
		 * JPEGs, so a reader's luma matches a decoded JPEG's. */
		fprintf(out->y4m, "YUV4MPEG2 W%d H%d F%u:%u Ip A1:1 C420jpeg XCOLORRANGE=FULL\n",
			sc->width, sc->height, (unsigned)opt->rate, (unsigned)opt->scale);
	}
	if (opt->mjpeg) {
		out->mjpeg = fopen(out->path[2], "wb");
		if (!out->mjpeg) {
			rc = -errno;
			fprintf(stderr, "scenegen: %s: %s\n", out->path[2], strerror(errno));
			return rc;
		}
	}
	return 0;
}

/* Closes everything; returns the first error. */
static int close_outputs(struct outputs *out)
{
	int rc = 0, r;

	r = avi_writer_close(out->avi);
	if (r) {
		fprintf(stderr, "scenegen: %s: %s\n", out->path[0], strerror(-r));
		rc = r;
	}
	if (out->y4m && fclose(out->y4m) != 0 && !rc) {
		rc = -errno;
		fprintf(stderr, "scenegen: %s: %s\n", out->path[1], strerror(errno));
	}
	if (out->mjpeg && fclose(out->mjpeg) != 0 && !rc) {
		rc = -errno;
		fprintf(stderr, "scenegen: %s: %s\n", out->path[2], strerror(errno));
	}
	memset(out, 0, sizeof(*out));
	return rc;
}

static int render_clip(const struct options *opt, struct scene *sc, struct rng *noise_rng)
{
	int w = sc->width, h = sc->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
	size_t npix = (size_t)w * h, table_len = (size_t)1 << NOISE_TABLE_BITS;
	float *img = malloc(npix * 3 * sizeof(*img));
	float *noise = malloc(table_len * sizeof(*noise));
	uint8_t *rgb = malloc(npix * 3);
	uint8_t *yuv = malloc(npix + 2 * (size_t)cw * ch);
	unsigned long jcap = tjBufSize(w, h, TJSAMP_420);
	unsigned char *jpeg = tjAlloc((int)jcap);
	tjhandle tj = tjInitCompress();
	struct outputs out;
	int rc = 0;

	memset(&out, 0, sizeof(out));
	if (!img || !noise || !rgb || !yuv || !jpeg || !tj) {
		fprintf(stderr, "scenegen: out of memory\n");
		rc = -ENOMEM;
		goto done;
	}
	/* Gaussian noise from a table indexed by random bits: a normal
	 * deviate per pixel and channel is the bulk of the work otherwise. */
	for (size_t i = 0; i < table_len; i++)
		noise[i] = (float)(rng_gauss(noise_rng) * opt->noise);

	rc = open_outputs(opt, sc, &out);
	if (rc)
		goto done;

	for (int f = 0; f < sc->frames && !rc; f++) {
		double t = frame_time(sc, f);
		const unsigned char *planes[3] = {yuv, yuv + npix, yuv + npix + (size_t)cw * ch};
		int strides[3] = {w, cw, cw};
		unsigned long jlen = jcap;
		uint64_t bits = 0;
		int nbits = 0;

		memcpy(img, sc->bg, npix * 3 * sizeof(*img));
		for (int i = 0; i < sc->n_obj; i++)
			if (sc->obj[i].shadow && object_active(&sc->obj[i], t))
				draw_shadow(sc, &sc->obj[i], t, img);
		for (int i = 0; i < sc->n_obj; i++)
			if (object_active(&sc->obj[i], t))
				draw_object(sc, &sc->obj[i], t, img);
		/* Light and exposure scale the scene, not the sensor noise. */
		if (sc->n_gain > 0) {
			float g = (float)scene_gain(sc, t);
			for (size_t i = 0; i < npix * 3; i++)
				img[i] *= g;
		}
		for (size_t i = 0; i < npix * 3; i++) {
			if (nbits < NOISE_TABLE_BITS) {
				bits = rng_next(noise_rng);
				nbits = 64;
			}
			rgb[i] = clamp_u8(img[i] + noise[bits & (table_len - 1)]);
			bits >>= NOISE_TABLE_BITS;
			nbits -= NOISE_TABLE_BITS;
		}
		rgb_to_yuv420(rgb, w, h, yuv, yuv + npix, yuv + npix + (size_t)cw * ch);

		if (out.y4m) {
			rc = write_file(out.y4m, "FRAME\n", 6);
			if (!rc)
				rc = write_file(out.y4m, yuv, npix + 2 * (size_t)cw * ch);
			if (rc) {
				fprintf(stderr, "scenegen: %s: %s\n", out.path[1], strerror(-rc));
				break;
			}
		}
		if (!out.avi && !out.mjpeg)
			continue;
		if (tjCompressFromYUVPlanes(tj, planes, w, strides, h, TJSAMP_420, &jpeg, &jlen,
					    opt->quality, TJFLAG_NOREALLOC) != 0) {
			fprintf(stderr, "scenegen: frame %d: %s\n", f, tjGetErrorStr2(tj));
			rc = -EIO;
			break;
		}
		if (out.avi) {
			rc = avi_writer_add_frame(out.avi, jpeg, jlen);
			if (rc) {
				fprintf(stderr, "scenegen: %s: %s\n", out.path[0], strerror(-rc));
				break;
			}
		}
		if (out.mjpeg) {
			rc = write_file(out.mjpeg, jpeg, jlen);
			if (rc)
				fprintf(stderr, "scenegen: %s: %s\n", out.path[2], strerror(-rc));
		}
	}

done:
	{
		int crc = close_outputs(&out);
		if (!rc)
			rc = crc;
	}
	if (tj)
		tjDestroy(tj);
	tjFree(jpeg);
	free(yuv);
	free(rgb);
	free(noise);
	free(img);
	return rc;
}

/* ---- truth file ---------------------------------------------------------- */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static int cmp_event(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return (x->object > y->object) - (x->object < y->object); /* qsort is not stable */
}

static int write_truth(const struct options *opt, struct scene *sc, const char *clip,
		       int *n_in, int *n_out)
{
	char path[4096];
	FILE *f;
	int rc = 0;

	*n_in = *n_out = 0;
	for (int i = 0; i < sc->n_ev; i++) {
		if (sc->ev[i].in)
			(*n_in)++;
		else
			(*n_out)++;
	}
	qsort(sc->ev, (size_t)sc->n_ev, sizeof(*sc->ev), cmp_event);

	snprintf(path, sizeof(path), "%s.truth.json", opt->out);
	f = fopen(path, "w");
	if (!f) {
		rc = -errno;
		fprintf(stderr, "scenegen: %s: %s\n", path, strerror(errno));
		return rc;
	}
	fprintf(f, "{\"clip\":");
	json_string(f, clip);
	if (opt->scenario) {
		fprintf(f, ",\"scenario\":");
		json_string(f, opt->scenario->name);
	}
	fprintf(f, ",\"frames\":%d,\"fps\":%.6g,\"width\":%d,\"height\":%d,", sc->frames, sc->fps,
		sc->width, sc->height);
	fprintf(f, "\"line\":[%g,%g,%g,%g],\"in\":%d,\"out\":%d,\"events\":[", opt->line[0],
		opt->line[1], opt->line[2], opt->line[3], *n_in, *n_out);
	for (int i = 0; i < sc->n_ev; i++)
		fprintf(f, "%s\n{\"frame\":%d,\"direction\":\"%s\",\"object\":%d}", i ? "," : "",
			sc->ev[i].frame, sc->ev[i].in ? "in" : "out", sc->ev[i].object);
	fprintf(f, "\n]}\n");
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "scenegen: %s: %s\n", path, strerror(-rc));
	return rc;
}

/* ---- scenarios ----------------------------------------------------------- */

/* A script that asks for more than the tables hold is a bug in this file. */
static void script_bug(const char *what)
{
	fprintf(stderr, "scenegen: scenario script: %s\n", what);
	abort();
}

static void at(const struct builder *b, double along, double across, double *x, double *y)
{
	*x = b->ax + along * b->len * b->ux + across * b->nx;
	*y = b->ay + along * b->len * b->uy + across * b->ny;
}

/* Walking pace: a frame height in 2 to 3 seconds. */
static double walk(struct builder *b)
{
	return b->sc->height * rng_range(b->r, 0.35, 0.5);
}

/* A new object of about the given width (fraction of the frame height),
 * facing across the line, with a random shape, colour and texture. */
static struct object *new_object(struct builder *b, double size)
{
	struct scene *sc = b->sc;
	struct rng *r = b->r;
	struct object *o;

	if (sc->n_obj >= MAX_SCRIPTED)
		script_bug("too many objects");
	o = &sc->obj[sc->n_obj++];
	memset(o, 0, sizeof(*o));
	o->shape = rng_int(r, 2) ? SHAPE_ROUNDRECT : SHAPE_ELLIPSE;
	o->half_wid = 0.5 * sc->height * size * rng_range(r, 0.93, 1.07);
	o->half_len = o->half_wid * rng_range(r, 0.8, 1.3);
	o->corner = 0.35 * fmin(o->half_wid, o->half_len);
	o->radius = hypot(o->half_wid, o->half_len);
	o->dx = b->nx;
	o->dy = b->ny;
	if (rng_int(r, 2))
		pick_colour(r, rng_range(r, DARK_LUMA_MIN, DARK_LUMA_MAX), o->rgb);
	else
		pick_colour(r, rng_range(r, BRIGHT_LUMA_MIN, BRIGHT_LUMA_MAX), o->rgb);
	o->tex_amp = rng_range(r, 3.0, TEX_AMP_MAX);
	o->tex_seed = rng_next(r);
	return o;
}

static void key_at(struct object *o, double t, double x, double y)
{
	if (o->n_keys >= MAX_KEYS)
		script_bug("too many waypoints");
	if (o->n_keys > 0 && t < o->key[o->n_keys - 1].t)
		script_bug("waypoints out of order");
	o->key[o->n_keys++] = (struct waypoint){t, x, y};
}

static const struct waypoint *last_key(const struct object *o)
{
	if (o->n_keys == 0)
		script_bug("path has no start");
	return &o->key[o->n_keys - 1];
}

/* Walks from the last waypoint to (x, y) at the given speed. */
static void walk_to(struct object *o, double x, double y, double speed)
{
	const struct waypoint *k = last_key(o);
	key_at(o, k->t + hypot(x - k->x, y - k->y) / speed, x, y);
}

static void stay(struct object *o, double seconds)
{
	const struct waypoint *k = last_key(o);
	key_at(o, k->t + seconds, k->x, k->y);
}

/* Comes in from wholly outside the frame along (dx, dy), a unit vector,
 * and reaches (x, y) at time t. */
static void enter_to(struct builder *b, struct object *o, double x, double y, double dx, double dy,
		     double t, double speed)
{
	double lo, hi;

	path_extent(b->sc, x, y, dx, dy, o->radius, &lo, &hi);
	o->dx = dx;
	o->dy = dy;
	key_at(o, t + lo / speed, x + lo * dx, y + lo * dy);
	key_at(o, t, x, y);
}

/* Goes on from the last waypoint along (dx, dy) until wholly outside. */
static void leave(struct builder *b, struct object *o, double dx, double dy, double speed)
{
	const struct waypoint *k = last_key(o);
	double lo, hi, x = k->x, y = k->y, t = k->t;

	path_extent(b->sc, x, y, dx, dy, o->radius, &lo, &hi);
	key_at(o, t + hi / speed, x + hi * dx, y + hi * dy);
}

/* A straight path through (x, y) at time t along (dx, dy), from wholly
 * outside the frame to wholly outside it. */
static void pass_through(struct builder *b, struct object *o, double x, double y, double dx,
			 double dy, double t, double speed)
{
	enter_to(b, o, x, y, dx, dy, t, speed);
	leave(b, o, dx, dy, speed);
}

/* Unit direction across the line toward "in" (or "out"), turned by deg. */
static void heading(const struct builder *b, bool in, double deg, double *dx, double *dy)
{
	double a = deg * M_PI / 180.0, nx = in ? b->nx : -b->nx, ny = in ? b->ny : -b->ny;
	*dx = nx * cos(a) - ny * sin(a);
	*dy = nx * sin(a) + ny * cos(a);
}

/* Crosses the line at `along`, at time t, walking straight through. */
static void cross(struct builder *b, struct object *o, double along, bool in, double t,
		  double speed, double deg)
{
	double x, y, dx, dy;

	at(b, along, 0.0, &x, &y);
	heading(b, in, deg, &dx, &dy);
	pass_through(b, o, x, y, dx, dy, t, speed);
}

/* n single crossings, alternating in and out on two lanes, t_gap apart,
 * at a brisk walk: consecutive objects never meet. */
static void series(struct builder *b, int n, double t_first, double t_gap, bool shadow)
{
	for (int i = 0; i < n; i++) {
		struct object *o = new_object(b, rng_range(b->r, 0.09, 0.16));
		double along = (i % 2 ? 0.7 : 0.3) + rng_range(b->r, -0.08, 0.08);
		double speed = b->sc->height * rng_range(b->r, 0.45, 0.6);

		o->shadow = shadow;
		cross(b, o, along, i % 2 == 0, t_first + i * t_gap, speed, rng_range(b->r, -20, 20));
	}
}

static void build_single(struct builder *b)
{
	series(b, 5, 4.0, 3.0, false);
}

/* Across the whole frame height in 3 to 4 frames: cars at speed. */
static void build_fast(struct builder *b)
{
	for (int i = 0; i < 5; i++) {
		struct object *o = new_object(b, rng_range(b->r, 0.14, 0.2));
		double speed = b->sc->height * b->sc->fps / rng_range(b->r, 3.0, 4.0);
		double t = 3.0 + 1.2 * i + rng_range(b->r, 0.0, 1.0 / b->sc->fps);

		cross(b, o, rng_range(b->r, 0.2, 0.8), i % 2 == 0, t, speed, rng_range(b->r, -15, 15));
	}
}

/* About 20 s to cross the frame, three at once on separate lanes: a
 * background that learns fast swallows them. */
static void build_slow(struct builder *b)
{
	static const double lane[] = {0.25, 0.5, 0.75};

	for (int i = 0; i < 3; i++) {
		struct object *o = new_object(b, rng_range(b->r, 0.1, 0.15));
		double speed = b->sc->height / rng_range(b->r, 16.0, 20.0), x, y, dx, dy, lo, hi;
		bool in = i != 1;

		/* Enter 2.5 s apart, from wherever the lane starts. */
		at(b, lane[i], 0.0, &x, &y);
		heading(b, in, rng_range(b->r, -5, 5), &dx, &dy);
		path_extent(b->sc, x, y, dx, dy, o->radius, &lo, &hi);
		pass_through(b, o, x, y, dx, dy, 2.5 + 2.5 * i - lo / speed, speed);
	}
}

/* Two objects of one size walking together, touching shoulder to
 * shoulder, one a little ahead: one blob of twice the size, two counts. */
static void pair(struct builder *b, double size, double along, bool in, double t)
{
	struct object *p = new_object(b, size), *q = new_object(b, size);
	double sep = (p->half_wid + q->half_wid - 2.0) / b->len, speed = walk(b);
	double lead = rng_range(b->r, -0.25, 0.25) * p->half_len;

	cross(b, p, along - 0.5 * sep, in, t, speed, 0.0);
	cross(b, q, along + 0.5 * sep, in, t - lead / speed, speed, 0.0);
}

/* Singles of the same size come first, so a counter can learn the size. */
static void build_side_by_side(struct builder *b)
{
	double size = rng_range(b->r, 0.11, 0.13);

	cross(b, new_object(b, size), 0.35, false, 4.0, walk(b), 0.0);
	cross(b, new_object(b, size), 0.65, true, 7.0, walk(b), 0.0);
	pair(b, size, 0.5, true, 10.0);
	cross(b, new_object(b, size), 0.4, false, 13.0, walk(b), 0.0);
	pair(b, size, 0.5, false, 16.0);
}

/* One goes in and one comes out on neighbouring lanes, both on the line
 * at time t. As they pass, the gap between them is gap_px pixels plus
 * gap_frac of their mean width. */
static void encounter(struct builder *b, double along, double t, double gap_frac, double gap_px)
{
	struct object *p = new_object(b, rng_range(b->r, 0.1, 0.15));
	struct object *q = new_object(b, rng_range(b->r, 0.1, 0.15));
	double gap = gap_px + gap_frac * (p->half_wid + q->half_wid);
	double sep = (p->half_wid + q->half_wid + gap) / b->len;

	cross(b, p, along - 0.5 * sep, true, t, walk(b), 0.0);
	cross(b, q, along + 0.5 * sep, false, t, walk(b), 0.0);
}

static void build_opposite(struct builder *b)
{
	encounter(b, 0.35, 4.0, 0.5, 0.0);
	encounter(b, 0.65, 8.0, 0.0, 3.0);
}

/* Walks up to the line from one side, stands with its centre on it
 * (swaying a little across it), and walks back; then two ordinary
 * crossings show the counter is awake. */
static void build_stop_back(struct builder *b)
{
	struct object *o;
	double x, y;

	o = new_object(b, rng_range(b->r, 0.1, 0.15));
	o->sway = SWAY_FRAC * b->sc->height;
	at(b, 0.3, 0.0, &x, &y);
	enter_to(b, o, x, y, b->nx, b->ny, 5.0, walk(b));
	stay(o, 5.0);
	leave(b, o, -b->nx, -b->ny, walk(b));

	o = new_object(b, rng_range(b->r, 0.1, 0.15));
	o->sway = SWAY_FRAC * b->sc->height;
	at(b, 0.7, 0.0, &x, &y);
	enter_to(b, o, x, y, -b->nx, -b->ny, 5.5, walk(b));
	stay(o, 4.0);
	leave(b, o, b->nx, b->ny, walk(b));

	cross(b, new_object(b, 0.12), 0.3, true, 13.5, walk(b), 0.0);
	cross(b, new_object(b, 0.12), 0.7, false, 13.5, walk(b), 0.0);
}

/* Walks until its front is over the line, turns and walks back without
 * stopping; one turns with its front well over, one with its centre a
 * few pixels short. */
static void build_turn_back(struct builder *b)
{
	struct object *o;
	double x, y;

	o = new_object(b, rng_range(b->r, 0.1, 0.15));
	at(b, 0.3, -0.6 * o->half_len, &x, &y);
	enter_to(b, o, x, y, b->nx, b->ny, 5.0, walk(b));
	stay(o, 0.3);
	leave(b, o, -b->nx, -b->ny, walk(b));

	o = new_object(b, rng_range(b->r, 0.1, 0.15));
	at(b, 0.7, 0.25 * o->half_len, &x, &y);
	enter_to(b, o, x, y, -b->nx, -b->ny, 5.5, walk(b));
	stay(o, 0.2);
	leave(b, o, b->nx, b->ny, walk(b));

	cross(b, new_object(b, 0.12), 0.3, true, 10.5, walk(b), 0.0);
	cross(b, new_object(b, 0.12), 0.7, false, 10.5, walk(b), 0.0);
}

/* Stands with its centre on the line for 60 s, swaying a little across it,
 * then goes on across; someone else crosses the other way meanwhile. */
static void build_loiter(struct builder *b)
{
	struct object *o = new_object(b, rng_range(b->r, 0.1, 0.15));
	double x, y;

	o->sway = SWAY_FRAC * b->sc->height;
	at(b, 0.4, 0.0, &x, &y);
	enter_to(b, o, x, y, b->nx, b->ny, 5.0, walk(b));
	stay(o, 60.0);
	leave(b, o, b->nx, b->ny, walk(b));
	cross(b, new_object(b, 0.12), 0.8, false, 35.0, walk(b), 0.0);
}

/* Walks in from the "in" side, stands (swaying a little) a quarter of the
 * frame away from the line for 60 s, then walks out across it. */
static void build_stand_still(struct builder *b)
{
	struct object *o = new_object(b, rng_range(b->r, 0.1, 0.15));
	double x, y;

	o->sway = SWAY_FRAC * b->sc->height;
	at(b, 0.6, 0.25 * b->sc->height, &x, &y);
	enter_to(b, o, x, y, -b->nx, -b->ny, 4.5, walk(b));
	stay(o, 60.0);
	leave(b, o, -b->nx, -b->ny, walk(b));
	cross(b, new_object(b, 0.12), 0.2, true, 35.0, walk(b), 0.0);
}

/* The line is the middle 40% of the frame: crossings half a segment
 * beyond either end, both ways, do not count; two inside do. */
static void build_segment(struct builder *b)
{
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), -0.5, true, 4.0, walk(b), 0.0);
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), 1.5, false, 4.0, walk(b), 0.0);
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), -0.5, false, 7.5, walk(b), 0.0);
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), 1.5, true, 7.5, walk(b), 0.0);
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), 0.25, true, 11.0, walk(b), 0.0);
	cross(b, new_object(b, rng_range(b->r, 0.09, 0.12)), 0.75, false, 11.0, walk(b), 0.0);
}

/* For the horizontal middle line: halves of objects sliding along the top
 * and bottom edges, objects peeking in at an edge and backing out, and
 * two crossing with a third of their width outside the left and right
 * edges (those count). */
static void build_edge(struct builder *b)
{
	double w = b->sc->width, h = b->sc->height;
	struct object *o;

	o = new_object(b, 0.12);
	pass_through(b, o, 0.5 * w, 0.0, 1.0, 0.0, 5.0, walk(b));
	o = new_object(b, 0.12);
	pass_through(b, o, 0.5 * w, h, -1.0, 0.0, 5.0, walk(b));

	o = new_object(b, 0.12);
	enter_to(b, o, 0.3 * w, 0.8 * h, 0.0, -1.0, 9.0, walk(b));
	stay(o, 1.0);
	leave(b, o, 0.0, 1.0, walk(b));
	o = new_object(b, 0.12);
	enter_to(b, o, 0.7 * w, 0.2 * h, 0.0, 1.0, 9.0, walk(b));
	stay(o, 1.0);
	leave(b, o, 0.0, -1.0, walk(b));

	o = new_object(b, 0.12);
	pass_through(b, o, 0.3 * o->half_wid, 0.5 * h, 0.0, 1.0, 13.0, walk(b));
	o = new_object(b, 0.12);
	pass_through(b, o, w - 0.3 * o->half_wid, 0.5 * h, 0.0, -1.0, 13.0, walk(b));
}

/* Exposure drops to 60% in one frame as one object reaches the line, and
 * comes back in one frame as another does. */
static void build_brightness_jump(struct builder *b)
{
	struct scene *sc = b->sc;

	series(b, 5, 3.5, 2.0, false);
	sc->gain[0] = (struct gain_key){0.0, 1.0};
	sc->gain[1] = (struct gain_key){5.4, 1.0};
	sc->gain[2] = (struct gain_key){5.4, 0.6};
	sc->gain[3] = (struct gain_key){9.4, 0.6};
	sc->gain[4] = (struct gain_key){9.4, 1.0};
	sc->n_gain = 5;
}

/* The light rises by half over 20 s (clouds clearing, dawn) while people
 * keep crossing. */
static void build_light_ramp(struct builder *b)
{
	struct scene *sc = b->sc;

	series(b, 7, 4.0, 3.0, false);
	sc->gain[0] = (struct gain_key){2.5, 0.7};
	sc->gain[1] = (struct gain_key){22.5, 1.05};
	sc->n_gain = 2;
}

static void build_noise(struct builder *b)
{
	series(b, 5, 4.0, 3.0, false);
}

/* Low sun: each object casts a soft shadow half its size off to one
 * side, one blob with it. */
static void build_shadows(struct builder *b)
{
	double a = rng_range(b->r, 0.0, 2.0 * M_PI);

	b->sc->shadow_dx = 0.55 * cos(a);
	b->sc->shadow_dy = 0.55 * sin(a);
	series(b, 5, 4.0, 3.0, true);
}

/* Eight on eight lanes, both ways, all crossing within 2.5 s. */
static void build_crowd(struct builder *b)
{
	static const bool in[] = {true, false, true, true, false, true, false, true};

	for (int i = 0; i < 8; i++) {
		struct object *o = new_object(b, rng_range(b->r, 0.08, 0.11));
		cross(b, o, (i + 0.5) / 8.0, in[i], 4.5 + rng_range(b->r, 0.0, 2.5), walk(b), 0.0);
	}
}

/* One object goes in, turns, comes out, turns and goes in again, pausing
 * at each turn well clear of the line. */
static void build_reentry(struct builder *b)
{
	struct object *o = new_object(b, rng_range(b->r, 0.1, 0.15));
	double x, y, speed = walk(b);

	at(b, 0.5, 0.3 * b->sc->height, &x, &y);
	enter_to(b, o, x, y, b->nx, b->ny, 5.0, speed);
	stay(o, 0.8);
	at(b, 0.5, -0.3 * b->sc->height, &x, &y);
	walk_to(o, x, y, speed);
	stay(o, 0.8);
	leave(b, o, b->nx, b->ny, speed);
}

#define MID_LINE {0.0, 0.5, 1.0, 0.5}
static const struct scenario scenarios[] = {
	{"single", "single crossings both ways, one at a time", 15, MID_LINE, 3.0, 3, 2,
	 build_single},
	{"fast", "fast movers: across the frame in 3-4 frames", 15, MID_LINE, 3.0, 3, 2, build_fast},
	{"slow", "slow movers: about 20 s across, three at once", 10, MID_LINE, 3.0, 2, 1, build_slow},
	{"side-by-side", "two touching objects walking together (one blob), after singles", 15,
	 MID_LINE, 3.0, 3, 4, build_side_by_side},
	{"opposite", "two crossing at the same moment in opposite directions, side by side", 15,
	 MID_LINE, 3.0, 2, 2, build_opposite},
	{"stop-back", "stop with the centre on the line, then go back (no count)", 15, MID_LINE, 3.0,
	 1, 1, build_stop_back},
	{"turn-back", "approach, front over the line, turn back (no count)", 15, MID_LINE, 3.0, 1, 1,
	 build_turn_back},
	{"loiter", "stand on the line for 60 s, then continue across", 10, MID_LINE, 3.0, 1, 1,
	 build_loiter},
	{"stand-still", "stand still 60 s away from the line, then cross", 10, MID_LINE, 3.0, 1, 1,
	 build_stand_still},
	{"segment", "line is 0.3..0.7 of the width: crossings beyond its ends do not count", 15,
	 {0.3, 0.5, 0.7, 0.5}, 3.0, 1, 1, build_segment},
	{"edge", "half-visible objects along and at the frame edges; two clipped crossings", 15,
	 MID_LINE, 3.0, 1, 1, build_edge},
	{"brightness-jump", "whole frame x0.6 in one frame and back, while objects cross", 15,
	 MID_LINE, 3.0, 3, 2, build_brightness_jump},
	{"light-ramp", "brightness rises by 50% over 20 s while objects cross", 10, MID_LINE, 3.0, 4,
	 3, build_light_ramp},
	{"noise", "heavy sensor noise (sigma 12)", 15, MID_LINE, 12.0, 3, 2, build_noise},
	{"shadows", "each object casts a soft shadow attached to it", 15, MID_LINE, 3.0, 3, 2,
	 build_shadows},
	{"crowd", "eight objects on eight lanes crossing both ways within 2.5 s", 15, MID_LINE, 3.0,
	 5, 3, build_crowd},
	{"reentry", "one object: in, then out, then in again", 15, MID_LINE, 3.0, 2, 1,
	 build_reentry},
};
#define N_SCENARIOS ((int)(sizeof(scenarios) / sizeof(scenarios[0])))

static const struct scenario *find_scenario(const char *name)
{
	for (int i = 0; i < N_SCENARIOS; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* Signed distance of (x, y) from the line, pixels, positive on "in". */
static double line_dist(const struct builder *b, double x, double y)
{
	return b->nx * (x - b->ax) + b->ny * (y - b->ay);
}

/* Appends o's crossings to sc->ev: its centre goes from more than
 * ON_LINE_FRAC on one side, at one frame, to more than that on the other at
 * a later one, and the step between them meets the drawn segment. */
static void scripted_events(const struct builder *b, int idx)
{
	struct scene *sc = b->sc;
	const struct object *o = &sc->obj[idx];
	int first = (int)ceil(o->t0 * sc->fps), last = (int)floor(o->t1 * sc->fps), side = 0;
	double lx = 0.0, ly = 0.0, band = ON_LINE_FRAC * sc->height;

	for (int f = first; f <= last; f++) {
		double x, y, d;
		int s;

		object_pos(o, frame_time(sc, f), &x, &y);
		d = line_dist(b, x, y);
		s = d > band ? 1 : d < -band ? -1 : 0;
		if (s == 0)
			continue;
		if (side && s != side) {
			double dl = line_dist(b, lx, ly), u = dl / (dl - d);
			double cx = lx + u * (x - lx), cy = ly + u * (y - ly);
			double along = (b->ux * (cx - b->ax) + b->uy * (cy - b->ay)) / b->len;

			if (along >= 0.0 && along <= 1.0)
				sc->ev[sc->n_ev++] = (struct event){f, s > 0, idx};
		}
		side = s;
		lx = x;
		ly = y;
	}
}

/* Builds the scenario's objects and truth and sets the clip's length: the
 * last object gone (or the light settled) plus TAIL_S. */
static int build_scenario(const struct options *opt, struct scene *sc, struct rng *r, char *err,
			  size_t errlen)
{
	const struct scenario *scn = opt->scenario;
	struct builder b = {.sc = sc, .r = r};
	double ex = (opt->line[2] - opt->line[0]) * sc->width;
	double ey = (opt->line[3] - opt->line[1]) * sc->height, end = 0.0;
	int n_in = 0, n_out = 0;

	b.ax = opt->line[0] * sc->width;
	b.ay = opt->line[1] * sc->height;
	b.len = hypot(ex, ey);
	b.ux = ex / b.len;
	b.uy = ey / b.len;
	b.nx = -b.uy;   /* right-hand side of A->B on a y-down screen */
	b.ny = b.ux;

	sc->obj = calloc(MAX_SCRIPTED, sizeof(*sc->obj));
	sc->ev = calloc((size_t)MAX_SCRIPTED * MAX_KEYS, sizeof(*sc->ev));
	if (!sc->obj || !sc->ev) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	scn->build(&b);

	for (int i = 0; i < sc->n_obj; i++) {
		struct object *o = &sc->obj[i];

		if (o->n_keys < 2 || o->key[0].t < WARMUP_S) {
			snprintf(err, errlen, "object %d starts before the warm-up ends (bug)", i);
			return -EINVAL;
		}
		o->t0 = o->key[0].t;
		o->t1 = o->key[o->n_keys - 1].t;
		end = fmax(end, o->t1);
		scripted_events(&b, i);
	}
	for (int i = 0; i < sc->n_gain; i++)
		end = fmax(end, sc->gain[i].t);
	sc->frames = (int)ceil((end + TAIL_S) * sc->fps);

	for (int i = 0; i < sc->n_ev; i++) {
		if (sc->ev[i].in)
			n_in++;
		else
			n_out++;
	}
	if (n_in != scn->want_in || n_out != scn->want_out) {
		snprintf(err, errlen, "script makes %d in, %d out instead of %d, %d (bug)", n_in,
			 n_out, scn->want_in, scn->want_out);
		return -EINVAL;
	}
	return 0;
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: scenegen --out DIR/NAME [options]\n"
		"  --width N, --height N      frame size (default 320x240)\n"
		"  --fps R                    frame rate: 15, 12.5 or 30000/1001 (default 15)\n"
		"  --seconds S                clip length (default 40)\n"
		"  --seed N                   scene seed (default 1)\n"
		"  --crossings K              objects crossing the line (default 8)\n"
		"  --line X1,Y1,X2,Y2         counting line A->B, normalised (default 0,0.5,1,0.5);\n"
		"                             crossing from its left to its right-hand side is \"in\"\n"
		"  --noise SIGMA              sensor noise per RGB channel, levels (default 3)\n"
		"  --quality Q                JPEG quality 1..100 (default 85)\n"
		"  --formats LIST             any of avi,y4m,mjpeg (default avi)\n"
		"  --no-index                 write the AVI without idx1\n"
		"  --size MIN,MAX             object width, fraction of frame height (default 0.08,0.18)\n"
		"  --transit MIN,MAX          seconds an object is in view (default 1.5,5)\n"
		"  --scenario NAME            a scripted scene instead of random crossings; it fixes\n"
		"                             the size, rate, length, line and objects (only --seed,\n"
		"                             --noise, --quality, --formats, --no-index apply)\n"
		"  --list-scenarios           print the scenarios' names and what each tests\n"
		"Writes NAME.avi/.y4m/.mjpeg and NAME.truth.json.\n");
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* Comma-separated doubles, exactly n of them. */
static bool parse_list(const char *s, double *v, int n, double lo, double hi)
{
	const char *p = s;

	for (int i = 0; i < n; i++) {
		char *end;
		errno = 0;
		v[i] = strtod(p, &end);
		if (errno || end == p || !(v[i] >= lo && v[i] <= hi))
			return false;
		if (i < n - 1) {
			if (*end != ',')
				return false;
			p = end + 1;
		} else if (*end) {
			return false;
		}
	}
	return true;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* "15", "12.5" or "30000/1001" as an exact rate/scale pair, as AVI and
 * Y4M store it (a double would turn 12.5 into 12500000/1000000 or worse). */
static bool parse_fps(const char *s, uint32_t *rate, uint32_t *scale)
{
	uint64_t num = 0, den = 1, g;
	const char *p = s;

	if (strchr(s, '/')) {
		int a, b;
		char buf[64];
		const char *slash = strchr(s, '/');
		size_t n = (size_t)(slash - s);
		if (n >= sizeof(buf))
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (!parse_int(buf, 1, 1000000, &a) || !parse_int(slash + 1, 1, 1000000, &b))
			return false;
		num = (uint64_t)a;
		den = (uint64_t)b;
	} else {
		bool digits = false;
		for (; *p >= '0' && *p <= '9'; p++, digits = true)
			if ((num = num * 10 + (uint64_t)(*p - '0')) > 1000000)
				return false;
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
				if (den >= 1000000)
					return false;
				num = num * 10 + (uint64_t)(*p - '0');
				den *= 10;
			}
		}
		if (!digits || *p)
			return false;
	}
	if (num == 0)
		return false;
	g = gcd64(num, den);
	num /= g;
	den /= g;
	if (num > UINT32_MAX || den > UINT32_MAX || (double)num / (double)den > 240.0)
		return false;
	*rate = (uint32_t)num;
	*scale = (uint32_t)den;
	return true;
}

static bool parse_formats(const char *s, struct options *opt)
{
	char buf[128], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	opt->avi = opt->y4m = opt->mjpeg = false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "avi"))
			opt->avi = true;
		else if (!strcmp(tok, "y4m"))
			opt->y4m = true;
		else if (!strcmp(tok, "mjpeg"))
			opt->mjpeg = true;
		else
			return false;
	}
	return opt->avi || opt->y4m || opt->mjpeg;
}

enum {
	OPT_OUT = 256, OPT_WIDTH, OPT_HEIGHT, OPT_FPS, OPT_SECONDS, OPT_SEED, OPT_CROSSINGS,
	OPT_LINE, OPT_NOISE, OPT_QUALITY, OPT_FORMATS, OPT_NO_INDEX, OPT_SIZE, OPT_TRANSIT,
	OPT_HELP, OPT_SCENARIO, OPT_LIST,
};

/* Options a scenario decides for itself. */
#define SCENARIO_FIXED ((1u << (OPT_WIDTH - OPT_OUT)) | (1u << (OPT_HEIGHT - OPT_OUT)) | \
			(1u << (OPT_FPS - OPT_OUT)) | (1u << (OPT_SECONDS - OPT_OUT)) | \
			(1u << (OPT_CROSSINGS - OPT_OUT)) | (1u << (OPT_LINE - OPT_OUT)) | \
			(1u << (OPT_SIZE - OPT_OUT)) | (1u << (OPT_TRANSIT - OPT_OUT)))

/* Returns 0, 1 after --help, or -EINVAL with a message already printed. */
static int parse_args(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"out", required_argument, NULL, OPT_OUT},
		{"width", required_argument, NULL, OPT_WIDTH},
		{"height", required_argument, NULL, OPT_HEIGHT},
		{"fps", required_argument, NULL, OPT_FPS},
		{"seconds", required_argument, NULL, OPT_SECONDS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"crossings", required_argument, NULL, OPT_CROSSINGS},
		{"line", required_argument, NULL, OPT_LINE},
		{"noise", required_argument, NULL, OPT_NOISE},
		{"quality", required_argument, NULL, OPT_QUALITY},
		{"formats", required_argument, NULL, OPT_FORMATS},
		{"no-index", no_argument, NULL, OPT_NO_INDEX},
		{"size", required_argument, NULL, OPT_SIZE},
		{"transit", required_argument, NULL, OPT_TRANSIT},
		{"help", no_argument, NULL, OPT_HELP},
		{"scenario", required_argument, NULL, OPT_SCENARIO},
		{"list-scenarios", no_argument, NULL, OPT_LIST},
		{NULL, 0, NULL, 0},
	};
	unsigned given = 0;
	int c;

	*opt = (struct options){
		.width = 320, .height = 240, .rate = 15, .scale = 1, .seconds = 40.0, .seed = 1,
		.crossings = 8, .line = {0.0, 0.5, 1.0, 0.5}, .noise = 3.0, .quality = 85,
		.avi = true, .index = true, .size_min = 0.08, .size_max = 0.18,
		.transit_min = 1.5, .transit_max = 5.0,
	};

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		bool ok = true;
		double v[4];
		char *end;

		switch (c) {
		case OPT_OUT:
			opt->out = optarg;
			break;
		case OPT_WIDTH:
			ok = parse_int(optarg, 32, 4096, &opt->width);
			break;
		case OPT_HEIGHT:
			ok = parse_int(optarg, 32, 4096, &opt->height);
			break;
		case OPT_FPS:
			ok = parse_fps(optarg, &opt->rate, &opt->scale);
			break;
		case OPT_SECONDS:
			ok = parse_double(optarg, 1.0, 3600.0, &opt->seconds);
			break;
		case OPT_SEED:
			errno = 0;
			opt->seed = strtoull(optarg, &end, 0);
			ok = !errno && end != optarg && !*end;
			break;
		case OPT_CROSSINGS:
			ok = parse_int(optarg, 0, 10000, &opt->crossings);
			break;
		case OPT_LINE:
			ok = parse_list(optarg, v, 4, 0.0, 1.0) && (v[0] != v[2] || v[1] != v[3]);
			if (ok)
				memcpy(opt->line, v, sizeof(opt->line));
			break;
		case OPT_NOISE:
			ok = parse_double(optarg, 0.0, 64.0, &opt->noise);
			break;
		case OPT_QUALITY:
			ok = parse_int(optarg, 1, 100, &opt->quality);
			break;
		case OPT_FORMATS:
			ok = parse_formats(optarg, opt);
			break;
		case OPT_NO_INDEX:
			opt->index = false;
			break;
		case OPT_SIZE:
			ok = parse_list(optarg, v, 2, 0.01, 0.5) && v[0] <= v[1];
			if (ok) {
				opt->size_min = v[0];
				opt->size_max = v[1];
			}
			break;
		case OPT_TRANSIT:
			ok = parse_list(optarg, v, 2, 0.1, 600.0) && v[0] <= v[1];
			if (ok) {
				opt->transit_min = v[0];
				opt->transit_max = v[1];
			}
			break;
		case OPT_SCENARIO:
			opt->scenario = find_scenario(optarg);
			ok = opt->scenario != NULL;
			break;
		case OPT_LIST:
			for (int i = 0; i < N_SCENARIOS; i++)
				printf("%-16s %s\n", scenarios[i].name, scenarios[i].what);
			return 1;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (!ok) {
			fprintf(stderr, "scenegen: bad value for --%s: '%s'%s\n",
				longopts[c - OPT_OUT].name, optarg,
				c == OPT_SCENARIO ? " (see --list-scenarios)" : "");
			return -EINVAL;
		}
		given |= 1u << (c - OPT_OUT);
	}
	if (optind < argc) {
		fprintf(stderr, "scenegen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!opt->out || !*opt->out) {
		fprintf(stderr, "scenegen: --out DIR/NAME is required\n");
		usage(stderr);
		return -EINVAL;
	}
	if (opt->scenario) {
		const struct scenario *scn = opt->scenario;

		if (given & SCENARIO_FIXED) {
			for (c = OPT_OUT; !(given & SCENARIO_FIXED & (1u << (c - OPT_OUT))); c++)
				;
			fprintf(stderr, "scenegen: --%s cannot be used with --scenario (it fixes that)\n",
				longopts[c - OPT_OUT].name);
			return -EINVAL;
		}
		opt->width = 320;
		opt->height = 240;
		opt->rate = scn->fps;
		opt->scale = 1;
		memcpy(opt->line, scn->line, sizeof(opt->line));
		if (!(given & (1u << (OPT_NOISE - OPT_OUT))))
			opt->noise = scn->noise;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct scene sc;
	struct rng layout, noise_rng;
	const char *clip;
	char err[256];
	int rc, n_in, n_out;

	rc = parse_args(argc, argv, &opt);
	if (rc)
		return rc > 0 ? 0 : 2;
	clip = strrchr(opt.out, '/') ? strrchr(opt.out, '/') + 1 : opt.out;
	if (!*clip) {
		fprintf(stderr, "scenegen: --out needs a file name, not a directory\n");
		return 2;
	}

	memset(&sc, 0, sizeof(sc));
	sc.width = opt.width;
	sc.height = opt.height;
	sc.fps = (double)opt.rate / opt.scale;
	sc.frames = (int)floor(opt.seconds * sc.fps + 0.5);
	sc.bg = malloc((size_t)sc.width * sc.height * 3 * sizeof(*sc.bg));
	if (!sc.bg) {
		fprintf(stderr, "scenegen: out of memory\n");
		return 1;
	}
	/* Separate streams: changing the noise never moves the objects. */
	layout.s = mix64(opt.seed ^ 0x5ce9e9e9ull);
	noise_rng.s = mix64(opt.seed ^ 0x9015e0ull);
	if (opt.scenario) {
		/* Each scenario gets its own floor and objects for one seed. */
		uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a of the name */
		for (const char *p = opt.scenario->name; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
		layout.s = mix64(layout.s ^ h);
		noise_rng.s = mix64(noise_rng.s ^ h);
	}

	render_floor(&sc, &layout);
	if (opt.scenario)
		rc = build_scenario(&opt, &sc, &layout, err, sizeof(err));
	else
		rc = plan_scene(&opt, &sc, &layout, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "scenegen: %s: %s\n", clip, err);
		goto done;
	}
	rc = render_clip(&opt, &sc, &noise_rng);
	if (!rc)
		rc = write_truth(&opt, &sc, clip, &n_in, &n_out);
	if (!rc)
		printf("scenegen: %s: %d frames %dx%d at %.6g fps, %d crossings (%d in, %d out)\n",
		       clip, sc.frames, sc.width, sc.height, sc.fps, n_in + n_out, n_in, n_out);

done:
	free(sc.ev);
	free(sc.obj);
	free(sc.bg);
	return rc ? 1 : 0;
}
