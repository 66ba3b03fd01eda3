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
#define MAX_KEYS 24             /* waypoints of one scripted path */
#define MAX_GAIN_KEYS 8
#define MAX_SCRIPTED 48         /* objects in one scenario */
#define MAX_OCCLUDERS 4         /* static foreground bands of a hard scene */

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
	const struct hard_scenario *hard;/* set with scenario for the hard set */
};

enum shape { SHAPE_ELLIPSE, SHAPE_ROUNDRECT };

/* What a hard-scene object looks like (the original scenes draw blobs). */
enum kind {
	KIND_BLOB,              /* an ellipse or rounded rectangle: the original scenes */
	KIND_PERSON_TOP,        /* a walker seen from straight above */
	KIND_PERSON_SIDE,       /* a walker seen from the side, upright */
	KIND_MOTORBIKE, KIND_CAR, KIND_VAN, KIND_BUS, KIND_TRUCK,
};

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
	/* Hard scenes only: the body and its colours (rgb is the top or the
	 * body paint, rgb2 the legs or the trailer, rgb3 the hair or glass),
	 * how far it travels per stride, and whether it carries a bag. */
	enum kind kind;
	double rgb2[3], rgb3[3];
	double stride, phase0;
	bool bag;
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

	/* Hard scenes only (see "hard scenes" below). The floor is rendered
	 * into a canvas `margin` pixels larger on every side than the frame,
	 * so the camera can move over it. */
	bool hard;
	int margin, cw, ch;             /* canvas = (width + 2 margin) x (height + 2 margin) */
	int floor_style;
	double floor_luma, floor_var;   /* mean luma of the floor and its texture amplitude */
	double vx, vy;                  /* vanishing point; vy < 0 turns perspective on */
	double road_x[8];               /* road edges and lane lines at the bottom row, pixels */
	int n_road;
	double median[2];               /* a central reservation between these (bottom row), or 0 */
	double hard_shadow[2];          /* cast-shadow offset at scale 1, pixels; 0,0: none */
	double shadow_k;                /* fraction of the light a shadow takes */
	double cam_sway;                /* camera sway amplitude, pixels */
	double drift_x, drift_y, drift_t0, drift_t1;    /* slow drift, pixels over seconds */
	uint64_t cam_seed;
	bool auto_exposure;
	double read_noise, shot_noise;  /* sigma^2 = read^2 + shot * level */
	double vignette, blur;
	struct occluder {               /* a static band in front of the objects */
		double x0, y0, x1, y1;
		double rgb[3];
	} occ[MAX_OCCLUDERS];
	int n_occ;
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

/* Idle skipping's worst case (docs/idle-skip.md): the line stops short of
 * every edge, 0.19 of the height from the top one with its band, so at
 * 30 fps and the default max_speed=1.5 turnstile decodes one frame in
 * three while the scene is empty. Eight objects come in from that top
 * edge at 1.45 heights a second, just under the limit, straight onto the
 * line. turnstile's decode cycle starts again a hold time after each one
 * has gone, so each comes in a different number of frames (and thirds of
 * a frame) after the one before: some come into sight in frames that are
 * skipped, in every phase of the cycle. Two go out the other way. */
static void build_idle_wake(struct builder *b)
{
	const double speed = 1.45 * b->sc->height, frame = 1.0 / b->sc->fps;
	double t = 3.0;

	for (int i = 0; i < 8; i++) {
		cross(b, new_object(b, 0.08), 0.15 + 0.1 * i, true, t, speed, 0.0);
		t += 3.0 + (i + 1 + (i % 3) / 3.0) * frame;
	}
	cross(b, new_object(b, 0.12), 0.35, false, t, speed, 0.0);
	cross(b, new_object(b, 0.12), 0.65, false, t + 3.0, speed, 0.0);
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

	/* Five singles first: the size of one object is judged only after
	 * five isolated crossings (OBJSIZE_MIN_SAMPLES). */
	cross(b, new_object(b, size), 0.35, false, 4.0, walk(b), 0.0);
	cross(b, new_object(b, size), 0.65, true, 7.0, walk(b), 0.0);
	cross(b, new_object(b, size), 0.5, false, 10.0, walk(b), 0.0);
	cross(b, new_object(b, size), 0.3, true, 13.0, walk(b), 0.0);
	cross(b, new_object(b, size), 0.7, false, 16.0, walk(b), 0.0);
	pair(b, size, 0.5, true, 19.0);
	cross(b, new_object(b, size), 0.4, false, 22.0, walk(b), 0.0);
	pair(b, size, 0.5, false, 25.0);
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

/* ---- hard scenes ----------------------------------------------------------
 *
 * The scenes above are blobs on a floor: they name one rule each. The hard
 * set (--list-scenarios=hard) imitates footage turnstile has failed on: the
 * frame is rendered like a camera sees it. A textured floor or a road in
 * perspective; people with a head, shoulders, swinging arms and legs (from
 * above, or upright from the side), vehicles from motorbikes to articulated
 * trucks, each with internal texture and soft edges; hard shadows cast by
 * the objects' own outlines; static foreground bands (a railing) in front of
 * them; then, for the whole frame, a camera that sways or drifts (bilinear,
 * so sub-pixel), auto-exposure that reacts to what is in view, lens blur,
 * vignetting, signal-dependent sensor noise, 4:2:0 and JPEG. The Y4M holds
 * the decoded JPEG planes, as `ffmpeg -i X.avi -f yuv4mpegpipe` gives.
 *
 * The truth is the same as for every scripted scene (scripted_events): the
 * object's centre on its path, moved by the camera's shift, against the line
 * in the frame. Arms, legs and shadows never move the centre. */

/* Where the camera has moved the picture at t, pixels (the whole frame's
 * content moves by this): a slow drift eased in and out, plus sway as two
 * octaves of value noise (a pole's lean, and a faster shiver). */
static void camera_shift(const struct scene *sc, double t, double *sx, double *sy)
{
	*sx = *sy = 0.0;
	if (sc->drift_t1 > sc->drift_t0) {
		double u = fmin(1.0, fmax(0.0, (t - sc->drift_t0) / (sc->drift_t1 - sc->drift_t0)));
		u = u * u * (3.0 - 2.0 * u);
		*sx += u * sc->drift_x;
		*sy += u * sc->drift_y;
	}
	if (sc->cam_sway > 0.0) {
		double a[2];
		for (int k = 0; k < 2; k++)
			a[k] = 0.75 * (2.0 * value_noise(sc->cam_seed + (uint64_t)k, t * 0.9, 0.5) - 1.0) +
			       0.35 * (2.0 * value_noise(sc->cam_seed + 2 + (uint64_t)k, t * 3.7, 0.5) - 1.0);
		*sx += sc->cam_sway * a[0];
		*sy += sc->cam_sway * a[1];
	}
}

static bool camera_moves(const struct scene *sc)
{
	return sc->cam_sway > 0.0 || sc->drift_t1 > sc->drift_t0;
}

/* Perspective: image size at row y relative to the bottom row, for a flat
 * ground whose horizon is the row vy (< 0, above the frame). 1 without. */
static double persp_scale(const struct scene *sc, double y)
{
	if (sc->vy >= 0.0)
		return 1.0;
	return fmax(0.05, (y - sc->vy) / (sc->height - sc->vy));
}

/* Unit heading of o at t: its displacement over +-0.3 s, else the last
 * segment that moves (a standing person faces where they were going). */
static void object_heading(const struct object *o, double t, double *dx, double *dy)
{
	double x0, y0, x1, y1, d;
	int best = -1;

	path_pos(o, t - 0.3, &x0, &y0);
	path_pos(o, t + 0.3, &x1, &y1);
	d = hypot(x1 - x0, y1 - y0);
	if (d > 1.0) {
		*dx = (x1 - x0) / d;
		*dy = (y1 - y0) / d;
		return;
	}
	for (int i = 0; i + 1 < o->n_keys; i++) {
		const struct waypoint *a = &o->key[i], *b = &o->key[i + 1];
		if (hypot(b->x - a->x, b->y - a->y) < 1e-6)
			continue;
		if (a->t <= t || best < 0)
			best = i;
		if (a->t > t)
			break;
	}
	if (best < 0) {
		*dx = o->dx;
		*dy = o->dy;
		return;
	}
	d = hypot(o->key[best + 1].x - o->key[best].x, o->key[best + 1].y - o->key[best].y);
	*dx = (o->key[best + 1].x - o->key[best].x) / d;
	*dy = (o->key[best + 1].y - o->key[best].y) / d;
}

/* Path length travelled by t, pixels: drives the gait. */
static double path_travelled(const struct object *o, double t)
{
	double s = 0.0;

	for (int i = 0; i + 1 < o->n_keys && t > o->key[i].t; i++) {
		const struct waypoint *a = &o->key[i], *b = &o->key[i + 1];
		double len = hypot(b->x - a->x, b->y - a->y);
		double dt = b->t - a->t;
		s += t >= b->t || dt <= 0.0 ? len : len * (t - a->t) / dt;
	}
	return s;
}

/* One primitive of a body, in the object's frame: u along its basis e, v
 * along f (for a top view e is the heading; for an upright walker e is
 * horizontal and f points down). */
enum part_shape { PART_ELLIPSE, PART_BOX, PART_CAPSULE };
struct part {
	enum part_shape shape;
	double u, v;            /* centre (capsule: first end) */
	double a, b;            /* half extents (capsule: second end's offset) */
	double r;               /* corner radius (box) or radius (capsule) */
	const double *rgb;
	double bright;          /* added to rgb (a lighter roof, a darker shoe) */
	double tex;             /* texture amplitude, levels */
};

#define MAX_PARTS 12
struct body {
	double cx, cy;          /* image centre, canvas pixels */
	double ex, ey, fx, fy;  /* basis */
	double scale;           /* the texture's scale, pixels */
	uint64_t seed;
	struct part p[MAX_PARTS];
	int n;
};

static struct part *add_part(struct body *bd, enum part_shape shape, double u, double v,
			     double a, double b, double r, const double *rgb, double bright,
			     double tex)
{
	struct part *p;

	if (bd->n >= MAX_PARTS)
		script_bug("too many parts");
	p = &bd->p[bd->n++];
	*p = (struct part){shape, u, v, a, b, r, rgb, bright, tex};
	return p;
}

/* Lays out o's body at t: a pure function of the path, so a shadow and the
 * object itself always agree. */
static void object_body(const struct scene *sc, const struct object *o, double t, struct body *bd)
{
	double hx, hy, x, y, s, ph, sw;

	object_pos(o, t, &x, &y);
	object_heading(o, t, &hx, &hy);
	s = persp_scale(sc, y);
	memset(bd, 0, sizeof(*bd));
	bd->cx = x + sc->margin;
	bd->cy = y + sc->margin;
	bd->seed = o->tex_seed;
	ph = o->stride > 0.0 ? 2.0 * M_PI * (path_travelled(o, t) / o->stride + o->phase0) : 0.0;
	sw = sin(ph);

	if (o->kind == KIND_PERSON_SIDE) {
		double H = 2.0 * o->half_len * s, dir = hx >= 0.0 ? 1.0 : -1.0;
		double ls = 0.17 * H * sw, as = 0.11 * H * sw;

		bd->ex = dir;
		bd->ey = 0.0;
		bd->fx = 0.0;
		bd->fy = 1.0;
		bd->scale = 0.12 * H;
		/* far limbs, torso, near limbs, head */
		add_part(bd, PART_CAPSULE, 0.0, 0.04 * H, -ls, 0.43 * H, 0.045 * H, o->rgb2, -8, 4);
		add_part(bd, PART_CAPSULE, 0.0, -0.27 * H, as, 0.24 * H, 0.03 * H, o->rgb, -10, 3);
		add_part(bd, PART_BOX, 0.0, -0.12 * H, 0.1 * H * (1.0 + 0.04 * cos(2 * ph)), 0.19 * H,
			 0.05 * H, o->rgb, 0, o->tex_amp);
		if (o->bag)
			add_part(bd, PART_BOX, -0.11 * H, -0.16 * H, 0.05 * H, 0.1 * H, 0.02 * H,
				 o->rgb2, -15, 3);
		add_part(bd, PART_CAPSULE, 0.0, 0.04 * H, ls, 0.43 * H, 0.047 * H, o->rgb2, 0, 4);
		add_part(bd, PART_ELLIPSE, 0.47 * H * 0 + ls, 0.465 * H, 0.06 * H, 0.025 * H, 0, o->rgb3,
			 -20, 2);
		add_part(bd, PART_CAPSULE, 0.0, -0.27 * H, -as, 0.24 * H, 0.031 * H, o->rgb, 6, 3);
		add_part(bd, PART_ELLIPSE, 0.01 * H, -0.41 * H, 0.062 * H, 0.072 * H, 0, o->rgb3, 0, 5);
		return;
	}

	bd->ex = hx;
	bd->ey = hy;
	bd->fx = -hy;
	bd->fy = hx;
	if (o->kind == KIND_PERSON_TOP) {
		double W = o->half_wid * s;

		bd->scale = 0.35 * W;
		add_part(bd, PART_ELLIPSE, 0.5 * W * sw, 0.28 * W, 0.3 * W, 0.15 * W, 0, o->rgb2, 0, 4);
		add_part(bd, PART_ELLIPSE, -0.5 * W * sw, -0.28 * W, 0.3 * W, 0.15 * W, 0, o->rgb2, 0, 4);
		add_part(bd, PART_ELLIPSE, -0.28 * W * sw, 0.86 * W, 0.28 * W, 0.12 * W, 0, o->rgb, -6, 3);
		add_part(bd, PART_ELLIPSE, 0.28 * W * sw, -0.86 * W, 0.28 * W, 0.12 * W, 0, o->rgb, -6, 3);
		add_part(bd, PART_ELLIPSE, -0.03 * W, 0.0, 0.44 * W,
			 0.82 * W * (1.0 + 0.04 * cos(2 * ph)), 0, o->rgb, 0, o->tex_amp);
		if (o->bag)
			add_part(bd, PART_BOX, -0.48 * W, 0.05 * W, 0.2 * W, 0.45 * W, 0.08 * W, o->rgb2,
				 -10, 3);
		add_part(bd, PART_ELLIPSE, 0.06 * W, 0.0, 0.28 * W, 0.24 * W, 0, o->rgb3, 0, 5);
		return;
	}

	/* Vehicles: width shrinks with the distance, length a little faster
	 * (a camera looking down at a slant foreshortens depth). */
	{
		double L = o->half_len * pow(s, 1.4), W = o->half_wid * s;
		static const double grey[3] = {38, 40, 44};

		bd->scale = 0.5 * W;
		switch (o->kind) {
		case KIND_MOTORBIKE:
			add_part(bd, PART_CAPSULE, -0.8 * L, 0.0, 1.6 * L, 0.0, 0.32 * W, grey, 0, 4);
			add_part(bd, PART_ELLIPSE, -0.1 * L, 0.0, 0.4 * L, 0.75 * W, 0, o->rgb, 0,
				 o->tex_amp);
			add_part(bd, PART_ELLIPSE, 0.15 * L, 0.0, 0.26 * L, 0.5 * W, 0, o->rgb3, 0, 3);
			break;
		case KIND_CAR:
			add_part(bd, PART_BOX, 0.0, 0.0, L, W, 0.4 * W, o->rgb, 0, o->tex_amp);
			add_part(bd, PART_BOX, 0.3 * L, 0.0, 0.14 * L, 0.82 * W, 0.25 * W, o->rgb3, 0, 3);
			add_part(bd, PART_BOX, -0.1 * L, 0.0, 0.26 * L, 0.8 * W, 0.2 * W, o->rgb, 12, 3);
			add_part(bd, PART_BOX, -0.52 * L, 0.0, 0.09 * L, 0.76 * W, 0.2 * W, o->rgb3, 0, 3);
			break;
		case KIND_VAN:
			add_part(bd, PART_BOX, 0.0, 0.0, L, W, 0.25 * W, o->rgb, 0, o->tex_amp);
			add_part(bd, PART_BOX, 0.72 * L, 0.0, 0.1 * L, 0.86 * W, 0.2 * W, o->rgb3, 0, 3);
			add_part(bd, PART_BOX, -0.12 * L, 0.0, 0.72 * L, 0.86 * W, 0.15 * W, o->rgb, 10, 3);
			break;
		case KIND_BUS:
			add_part(bd, PART_BOX, 0.0, 0.0, L, W, 0.15 * W, o->rgb, 0, o->tex_amp);
			add_part(bd, PART_BOX, 0.0, 0.88 * W, 0.85 * L, 0.1 * W, 0.05 * W, o->rgb3, 0, 3);
			add_part(bd, PART_BOX, 0.0, -0.88 * W, 0.85 * L, 0.1 * W, 0.05 * W, o->rgb3, 0, 3);
			add_part(bd, PART_BOX, 0.95 * L, 0.0, 0.04 * L, 0.85 * W, 0.05 * W, o->rgb3, 0, 3);
			add_part(bd, PART_BOX, 0.2 * L, 0.0, 0.12 * L, 0.4 * W, 0.05 * W, o->rgb, 18, 3);
			add_part(bd, PART_BOX, -0.5 * L, 0.0, 0.1 * L, 0.4 * W, 0.05 * W, o->rgb, 18, 3);
			break;
		case KIND_TRUCK:
			/* tractor in front, a gap of road, the trailer */
			add_part(bd, PART_BOX, -0.15 * L, 0.0, 0.83 * L, W, 0.05 * W, o->rgb2, 0,
				 o->tex_amp);
			add_part(bd, PART_BOX, 0.85 * L, 0.0, 0.15 * L, 0.93 * W, 0.2 * W, o->rgb, 0, 4);
			add_part(bd, PART_BOX, 0.95 * L, 0.0, 0.04 * L, 0.8 * W, 0.1 * W, o->rgb3, 0, 3);
			break;
		default:
			script_bug("unknown kind");
		}
	}
}

static double part_sdf(const struct part *p, double u, double v)
{
	double du = u - p->u, dv = v - p->v;

	switch (p->shape) {
	case PART_ELLIPSE: {
		double a = p->a, b = p->b;
		double g = du * du / (a * a) + dv * dv / (b * b) - 1.0;
		double gx = du / (a * a), gy = dv / (b * b);
		double grad = 2.0 * sqrt(gx * gx + gy * gy);
		return grad > 1e-9 ? g / grad : -fmin(a, b);
	}
	case PART_BOX: {
		double r = fmin(p->r, fmin(p->a, p->b));
		double qx = fabs(du) - (p->a - r), qy = fabs(dv) - (p->b - r);
		double ox = fmax(qx, 0.0), oy = fmax(qy, 0.0);
		return sqrt(ox * ox + oy * oy) + fmin(fmax(qx, qy), 0.0) - r;
	}
	case PART_CAPSULE: {
		double l2 = p->a * p->a + p->b * p->b;
		double h = l2 > 0.0 ? fmin(1.0, fmax(0.0, (du * p->a + dv * p->b) / l2)) : 0.0;
		return hypot(du - h * p->a, dv - h * p->b) - p->r;
	}
	}
	return 1e9;
}

/* A part's bounding radius about its (u, v). */
static double part_reach(const struct part *p)
{
	if (p->shape == PART_CAPSULE)
		return hypot(p->a, p->b) + p->r;
	return hypot(p->a, p->b);
}

/* Paints a body on the canvas with soft (anti-aliased, about 1.5 px)
 * edges, or, with mask set, adds its outline shifted by (ox, oy) to a
 * shadow mask (the union: overlapping parts do not darken twice). */
static void draw_body(const struct scene *sc, const struct body *bd, float *img, float *mask,
		      double ox, double oy, double soft)
{
	for (int k = 0; k < bd->n; k++) {
		const struct part *p = &bd->p[k];
		double pu = p->u, pv = p->v, R, px, py;
		int x0, x1, y0, y1;

		if (p->shape == PART_CAPSULE) {
			pu += 0.5 * p->a;
			pv += 0.5 * p->b;
		}
		R = part_reach(p) + soft + 2.0;
		px = bd->cx + ox + pu * bd->ex + pv * bd->fx;
		py = bd->cy + oy + pu * bd->ey + pv * bd->fy;
		x0 = (int)fmax(0.0, floor(px - R));
		x1 = (int)fmin(sc->cw - 1.0, ceil(px + R));
		y0 = (int)fmax(0.0, floor(py - R));
		y1 = (int)fmin(sc->ch - 1.0, ceil(py + R));
		for (int y = y0; y <= y1; y++) {
			for (int x = x0; x <= x1; x++) {
				double rx = x + 0.5 - bd->cx - ox, ry = y + 0.5 - bd->cy - oy;
				double u = rx * bd->ex + ry * bd->ey, v = rx * bd->fx + ry * bd->fy;
				double d = part_sdf(p, u, v);
				double alpha = fmin(1.0, fmax(0.0, 0.5 - d / soft));
				size_t i = (size_t)y * sc->cw + x;
				double n1, n2, rim, val;

				if (alpha <= 0.0)
					continue;
				if (mask) {
					if (alpha > mask[i])
						mask[i] = (float)alpha;
					continue;
				}
				/* Texture fixed to the body: folds and blotches, a
				 * fine weave, and shading toward the part's rim. */
				n1 = value_noise(bd->seed + (uint64_t)k, u / bd->scale, v / bd->scale);
				n2 = value_noise(bd->seed ^ 0x77, u / 1.7, v / 1.7);
				rim = fmin(1.0, fmax(0.0, -d / (0.35 * part_reach(p) + 1.0)));
				val = p->bright + p->tex * (0.7 * (2.0 * n1 - 1.0) + 0.3 * (2.0 * n2 - 1.0)) -
				      10.0 * (1.0 - rim);
				for (int c = 0; c < 3; c++) {
					float *q = img + i * 3 + (size_t)c;
					*q = (float)(*q * (1.0 - alpha) + (p->rgb[c] + val) * alpha);
				}
			}
		}
	}
}

/* The hard shadow of an object standing on the floor: its outline swept
 * from where it stands (offset 0) to the offset of its top (ox, oy), as the
 * shadow of an upright prism is. It starts under the object: only a thing
 * in the air casts a shadow apart from itself. Drawn into mask as a union,
 * in steps of at most a pixel and a half. */
static void draw_cast_shadow(const struct scene *sc, const struct body *bd, float *mask, double ox,
			     double oy)
{
	int steps = (int)ceil(hypot(ox, oy) / 1.5);
	if (steps < 1)
		steps = 1;
	for (int k = 0; k <= steps; k++) {
		double f = (double)k / steps;
		draw_body(sc, bd, NULL, mask, f * ox, f * oy, 1.0);
	}
}

/* ---- the floor of a hard scene ---- */

enum hard_floor {
	HFLOOR_DOOR,            /* ribbed dark rubber at a bus door, a yellow step edge */
	HFLOOR_LOBBY,           /* large polished tiles */
	HFLOOR_PLAZA,           /* paving stones, outdoors */
	HFLOOR_CORRIDOR,        /* oblique: floor below, a shop front above */
	HFLOOR_ROAD,            /* asphalt in perspective, lanes, verges */
};

/* The floor at image point (X, Y), RGB into rgb. */
static void hard_floor_at(const struct scene *sc, const uint64_t *seed, double X, double Y,
			  double *rgb)
{
	double h = sc->height, L = sc->floor_luma, A = sc->floor_var, b = 0.0, tint = 0.0;
	double base[3] = {L, L, L};

	b += A * (2.0 * value_noise(seed[0], X / (0.35 * h), Y / (0.35 * h)) - 1.0);
	b += 0.3 * A * (2.0 * value_noise(seed[1], X / 7.0, Y / 7.0) - 1.0);
	b += 0.25 * A * (2.0 * lattice(seed[2], (int64_t)floor(X), (int64_t)floor(Y)) - 1.0);

	switch (sc->floor_style) {
	case HFLOOR_DOOR: {
		/* grooves across the door, every 2.5% of the height */
		double g = fmod(Y + 1000.0 * h, 0.025 * h) / (0.025 * h);
		double edge = fabs(X - 0.12 * sc->width);
		b += -0.35 * A * (0.5 + 0.5 * cos(2.0 * M_PI * g));
		base[2] += 3.0;
		if (Y > 0.9 * h && Y < 0.95 * h) {      /* the step's yellow edge */
			base[0] += 70;
			base[1] += 55;
			base[2] -= 10;
		}
		b += edge < 3.0 ? -6.0 : 0.0;           /* a seam along the floor */
		break;
	}
	case HFLOOR_LOBBY: case HFLOOR_PLAZA: {
		double tile = sc->floor_style == HFLOOR_LOBBY ? 0.28 * h : 0.09 * h;
		double u = X / tile + 0.37, v = Y / tile + 0.61;
		double row = floor(v), shift = sc->floor_style == HFLOOR_PLAZA && ((int64_t)row & 1) ? 0.5 : 0.0;
		double col = floor(u + shift);
		double du = (u + shift - col) * tile, dv = (v - row) * tile;
		double dist = fmin(fmin(du, tile - du), fmin(dv, tile - dv));
		double tv = lattice(seed[3], (int64_t)col, (int64_t)row);
		b += 0.8 * A * (tv - 0.5) + (dist < 1.5 ? -0.9 * A * (1.5 - dist) / 1.5 : 0.0);
		tint = 6.0 * (lattice(seed[3] ^ 9, (int64_t)col, (int64_t)row) - 0.5);
		if (sc->floor_style == HFLOOR_LOBBY)    /* a window's reflection */
			b += 0.8 * A * exp(-pow((X - 0.3 * sc->width - 0.4 * Y) / (0.12 * h), 2));
		break;
	}
	case HFLOOR_CORRIDOR:
		if (Y < 0.42 * h) {     /* shop front: panels, a window, a sign */
			double px = fmod(X + 1000.0 * h, 0.3 * h);
			b += 18.0 + (px < 3.0 ? -20.0 : 0.0);
			if (Y > 0.12 * h && Y < 0.36 * h && px > 8.0 && px < 0.3 * h - 8.0)
				b -= 35.0 + 15.0 * value_noise(seed[4], X / 9.0, Y / 9.0);
			base[0] += 6;
			base[2] -= 6;
		} else {
			double row = floor((Y - 0.42 * h) / (0.05 * h + (Y - 0.42 * h) * 0.12));
			b += 5.0 * (lattice(seed[3], (int64_t)row, 0) - 0.5);
		}
		break;
	case HFLOOR_ROAD: {
		double lam = persp_scale(sc, Y), xw = (X - sc->vx) / lam, zw = 1.0 / lam;
		double lw = 0.006 * sc->width;          /* a lane line's width, bottom row */
		bool road = xw > sc->road_x[0] - sc->vx && xw < sc->road_x[sc->n_road - 1] - sc->vx;

		b = A * (2.0 * value_noise(seed[0], xw / (0.3 * h), zw * 6.0) - 1.0) +
		    0.3 * A * (2.0 * lattice(seed[2], (int64_t)floor(X), (int64_t)floor(Y)) - 1.0);
		if (!road) {            /* verge: grass */
			base[0] = L - 18;
			base[1] = L + 8;
			base[2] = L - 28;
			b += 0.8 * A * (2.0 * value_noise(seed[1], xw / 9.0, zw * 40.0) - 1.0);
		}
		if (sc->median[1] > sc->median[0] && xw > sc->median[0] - sc->vx &&
		    xw < sc->median[1] - sc->vx) {      /* concrete barrier */
			base[0] = base[1] = base[2] = L + 35;
			b *= 0.5;
		}
		for (int i = 0; i < sc->n_road; i++) {
			double d = fabs(xw - (sc->road_x[i] - sc->vx)) * lam;
			bool edge = i == 0 || i == sc->n_road - 1;
			bool dash = edge || fmod(zw * 3.0 + 10.0, 1.0) < 0.45;
			if (dash && d < lw * lam + 0.8)
				b += 80.0 * fmin(1.0, lw * lam + 0.8 - d);
		}
		break;
	}
	}
	rgb[0] = base[0] + b + tint;
	rgb[1] = base[1] + b;
	rgb[2] = base[2] + b - tint;
}

static void render_hard_floor(struct scene *sc, struct rng *r)
{
	uint64_t seed[5];

	for (int i = 0; i < 5; i++)
		seed[i] = rng_next(r);
	for (int y = 0; y < sc->ch; y++)
		for (int x = 0; x < sc->cw; x++) {
			double rgb[3];
			float *p = sc->bg + ((size_t)y * sc->cw + x) * 3;
			hard_floor_at(sc, seed, x + 0.5 - sc->margin, y + 0.5 - sc->margin, rgb);
			for (int c = 0; c < 3; c++)
				p[c] = (float)fmin(255.0, fmax(0.0, rgb[c]));
		}
}

/* Static bands in front of everything (a railing's panel), textured. */
static void draw_occluders(const struct scene *sc, float *img)
{
	for (int k = 0; k < sc->n_occ; k++) {
		const struct occluder *o = &sc->occ[k];
		int x0 = (int)fmax(0.0, o->x0 + sc->margin), x1 = (int)fmin(sc->cw, o->x1 + sc->margin);
		int y0 = (int)fmax(0.0, o->y0 + sc->margin), y1 = (int)fmin(sc->ch, o->y1 + sc->margin);

		for (int y = y0; y < y1; y++)
			for (int x = x0; x < x1; x++) {
				float *p = img + ((size_t)y * sc->cw + x) * 3;
				double post = fmod(x - sc->margin + 1000.0, 41.0) < 4.0 ? 25.0 : 0.0;
				double n = 8.0 * (2.0 * value_noise(0x0cc1 + (uint64_t)k, x / 6.0, y / 3.0) - 1.0);
				for (int c = 0; c < 3; c++)
					p[c] = (float)(o->rgb[c] + n + post);
			}
	}
}

/* Mean luma of the visible part of a canvas, on a sparse grid: what an
 * auto-exposure loop meters. */
static double metered_luma(const struct scene *sc, const float *img)
{
	double s = 0.0;
	int n = 0;

	for (int y = sc->margin; y < sc->margin + sc->height; y += 4)
		for (int x = sc->margin; x < sc->margin + sc->width; x += 4) {
			const float *p = img + ((size_t)y * sc->cw + x) * 3;
			s += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
			n++;
		}
	return n ? s / n : 128.0;
}

/* Sizes the canvas for the camera's largest shift and renders the floor. */
static int hard_canvas(struct scene *sc, struct rng *r, char *err, size_t errlen)
{
	double most = 0.0;
	float *bg;

	for (int f = 0; f < sc->frames; f++) {
		double sx, sy;
		camera_shift(sc, frame_time(sc, f), &sx, &sy);
		most = fmax(most, fmax(fabs(sx), fabs(sy)));
	}
	sc->margin = (int)ceil(most) + 3;
	sc->cw = sc->width + 2 * sc->margin;
	sc->ch = sc->height + 2 * sc->margin;
	bg = realloc(sc->bg, (size_t)sc->cw * sc->ch * 3 * sizeof(*bg));
	if (!bg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sc->bg = bg;
	render_hard_floor(sc, r);
	return 0;
}

static int render_hard_clip(const struct options *opt, struct scene *sc, struct rng *noise_rng)
{
	int w = sc->width, h = sc->height, cw = (w + 1) / 2, ch = (h + 1) / 2;
	size_t npix = (size_t)w * h, ncan = (size_t)sc->cw * sc->ch;
	size_t table_len = (size_t)1 << NOISE_TABLE_BITS, yuv_len = npix + 2 * (size_t)cw * ch;
	float *img = malloc(ncan * 3 * sizeof(*img));
	float *mask = malloc(ncan * sizeof(*mask));
	float *frame = malloc(npix * 3 * sizeof(*frame));
	float *tmp = malloc(npix * 3 * sizeof(*tmp));
	float *vig = malloc(npix * sizeof(*vig));
	float *noise = malloc(table_len * sizeof(*noise));
	uint8_t *rgb = malloc(npix * 3);
	uint8_t *yuv = malloc(yuv_len), *dec = malloc(yuv_len);
	unsigned long jcap = tjBufSize(w, h, TJSAMP_420);
	unsigned char *jpeg = tjAlloc((int)jcap);
	tjhandle tj = tjInitCompress(), tjd = tjInitDecompress();
	struct outputs out;
	double ae = 1.0, ae_target = 0.0;
	int rc = 0;

	memset(&out, 0, sizeof(out));
	if (!img || !mask || !frame || !tmp || !vig || !noise || !rgb || !yuv || !dec || !jpeg ||
	    !tj || !tjd) {
		fprintf(stderr, "scenegen: out of memory\n");
		rc = -ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < table_len; i++)
		noise[i] = (float)rng_gauss(noise_rng);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double nx = (x + 0.5) / w - 0.5, ny = (y + 0.5) / h - 0.5;
			vig[(size_t)y * w + x] = (float)(1.0 - sc->vignette * 2.0 * (nx * nx + ny * ny));
		}
	ae_target = metered_luma(sc, sc->bg);

	rc = open_outputs(opt, sc, &out);
	if (rc)
		goto done;

	for (int f = 0; f < sc->frames && !rc; f++) {
		double t = frame_time(sc, f), sx, sy, g;
		const unsigned char *planes[3] = {yuv, yuv + npix, yuv + npix + (size_t)cw * ch};
		unsigned char *dplanes[3] = {dec, dec + npix, dec + npix + (size_t)cw * ch};
		int strides[3] = {w, cw, cw};
		unsigned long jlen = jcap;
		uint64_t bits = 0;
		int nbits = 0;

		memcpy(img, sc->bg, ncan * 3 * sizeof(*img));
		if (sc->hard_shadow[0] != 0.0 || sc->hard_shadow[1] != 0.0) {
			memset(mask, 0, ncan * sizeof(*mask));
			for (int i = 0; i < sc->n_obj; i++) {
				struct body bd;
				double s;
				if (!sc->obj[i].shadow || !object_active(&sc->obj[i], t))
					continue;
				object_body(sc, &sc->obj[i], t, &bd);
				s = persp_scale(sc, bd.cy - sc->margin);
				draw_cast_shadow(sc, &bd, mask, s * sc->hard_shadow[0],
						 s * sc->hard_shadow[1]);
			}
			for (size_t i = 0; i < ncan; i++)
				if (mask[i] > 0.0f)
					for (int c = 0; c < 3; c++)
						img[i * 3 + c] *= (float)(1.0 - sc->shadow_k * mask[i]);
		}
		/* Painter's order: the farther (higher in the frame) first. */
		{
			int order[MAX_SCRIPTED], n = 0;
			double key[MAX_SCRIPTED];
			for (int i = 0; i < sc->n_obj; i++) {
				double x, y;
				if (!object_active(&sc->obj[i], t))
					continue;
				object_pos(&sc->obj[i], t, &x, &y);
				order[n] = i;
				key[n++] = y + 1e-6 * i;
			}
			for (int i = 1; i < n; i++)
				for (int j = i; j > 0 && key[j] < key[j - 1]; j--) {
					double tk = key[j];
					int to = order[j];
					key[j] = key[j - 1];
					order[j] = order[j - 1];
					key[j - 1] = tk;
					order[j - 1] = to;
				}
			for (int i = 0; i < n; i++) {
				struct body bd;
				object_body(sc, &sc->obj[order[i]], t, &bd);
				draw_body(sc, &bd, img, NULL, 0.0, 0.0, 1.5);
			}
		}
		draw_occluders(sc, img);

		/* Auto-exposure meters this frame and moves the gain toward the
		 * empty scene's level with a 0.5 s time constant, inside a dead
		 * band, as a camera's loop does: a big dark coat brightens the
		 * whole frame a moment later. */
		if (sc->auto_exposure) {
			double want = fmin(1.8, fmax(0.6, ae_target / fmax(1.0, metered_luma(sc, img))));
			if (fabs(log(want / ae)) > 0.03)
				ae += (want - ae) * (1.0 - exp(-1.0 / (sc->fps * 0.5)));
		}
		g = scene_gain(sc, t) * ae;

		/* The camera: shift the whole picture (bilinear: sub-pixel). */
		camera_shift(sc, t, &sx, &sy);
		for (int y = 0; y < h; y++) {
			double cy = y + sc->margin - sy, fy = floor(cy), wy = cy - fy;
			int iy = (int)fy;
			for (int x = 0; x < w; x++) {
				double cx = x + sc->margin - sx, fx = floor(cx), wx = cx - fx;
				int ix = (int)fx;
				const float *p00 = img + ((size_t)iy * sc->cw + ix) * 3;
				const float *p01 = p00 + 3, *p10 = p00 + (size_t)sc->cw * 3, *p11 = p10 + 3;
				float *q = tmp + ((size_t)y * w + x) * 3;
				for (int c = 0; c < 3; c++)
					q[c] = (float)((1 - wy) * ((1 - wx) * p00[c] + wx * p01[c]) +
						       wy * ((1 - wx) * p10[c] + wx * p11[c]));
			}
		}
		/* Lens blur: [b, 1 - 2b, b] across and down. */
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int c = 0; c < 3; c++) {
					size_t i = ((size_t)y * w + x) * 3 + (size_t)c;
					float l = tmp[i - (x > 0 ? 3 : 0)], r = tmp[i + (x < w - 1 ? 3 : 0)];
					frame[i] = (float)(sc->blur * (l + r) + (1.0 - 2.0 * sc->blur) * tmp[i]);
				}
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int c = 0; c < 3; c++) {
					size_t i = ((size_t)y * w + x) * 3 + (size_t)c, row = (size_t)w * 3;
					float u = frame[i - (y > 0 ? row : 0)], d = frame[i + (y < h - 1 ? row : 0)];
					tmp[i] = (float)(sc->blur * (u + d) + (1.0 - 2.0 * sc->blur) * frame[i]);
				}
		/* Exposure and vignetting scale the light; the sensor adds shot
		 * noise (grows with the signal), read noise, and the gain
		 * amplifies both. Mostly luma noise, some per channel. */
		for (size_t i = 0; i < npix; i++) {
			float lv = (float)g * vig[i];
			double common;
			if (nbits < NOISE_TABLE_BITS) {
				bits = rng_next(noise_rng);
				nbits = 64;
			}
			common = noise[bits & (table_len - 1)];
			bits >>= NOISE_TABLE_BITS;
			nbits -= NOISE_TABLE_BITS;
			for (int c = 0; c < 3; c++) {
				double v = tmp[i * 3 + c] * vig[i], sd;
				if (nbits < NOISE_TABLE_BITS) {
					bits = rng_next(noise_rng);
					nbits = 64;
				}
				sd = g * sqrt(sc->read_noise * sc->read_noise + sc->shot_noise * fmax(0.0, v));
				rgb[i * 3 + c] = clamp_u8(tmp[i * 3 + c] * lv +
							  sd * (0.8 * common + 0.6 * noise[bits & (table_len - 1)]));
				bits >>= NOISE_TABLE_BITS;
				nbits -= NOISE_TABLE_BITS;
			}
		}
		rgb_to_yuv420(rgb, w, h, yuv, yuv + npix, yuv + npix + (size_t)cw * ch);

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
			if (rc) {
				fprintf(stderr, "scenegen: %s: %s\n", out.path[2], strerror(-rc));
				break;
			}
		}
		if (out.y4m) {
			/* The camera's frames, decoded: what the AVI holds. */
			if (tjDecompressToYUVPlanes(tjd, jpeg, jlen, dplanes, w, strides, h, 0) != 0) {
				fprintf(stderr, "scenegen: frame %d: %s\n", f, tjGetErrorStr2(tjd));
				rc = -EIO;
				break;
			}
			rc = write_file(out.y4m, "FRAME\n", 6);
			if (!rc)
				rc = write_file(out.y4m, dec, yuv_len);
			if (rc)
				fprintf(stderr, "scenegen: %s: %s\n", out.path[1], strerror(-rc));
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
	if (tjd)
		tjDestroy(tjd);
	tjFree(jpeg);
	free(dec);
	free(yuv);
	free(rgb);
	free(noise);
	free(vig);
	free(tmp);
	free(frame);
	free(mask);
	free(img);
	return rc;
}

/* ---- hard scenes: scripts ---- */

static void hard_defaults(struct builder *b, int floor_style, double luma, double var)
{
	struct scene *sc = b->sc;

	sc->floor_style = floor_style;
	sc->floor_luma = luma;
	sc->floor_var = var;
	sc->read_noise = 2.0;
	sc->shot_noise = 0.06;
	sc->vignette = 0.22;
	sc->blur = 0.16;
	sc->shadow_k = 0.5;
	sc->cam_seed = rng_next(b->r);
}

/* A colour of the given luma and at most `chroma` of colour: clothes on
 * CCTV are mostly greys, navies and browns. */
static void pick_muted(struct rng *r, double y, double chroma, double *rgb)
{
	double hue = rng_range(r, 0, 2 * M_PI), c = rng_range(r, 0.0, chroma);
	double cb = c * cos(hue), cr = c * sin(hue);

	rgb[0] = y + 1.402 * cr;
	rgb[1] = y - 0.344136 * cb - 0.714136 * cr;
	rgb[2] = y + 1.772 * cb;
}

/* A walker of shoulder half-width `size` (fraction of the frame height;
 * for one seen from the side, half its height), its top, legs and hair
 * (or skin) of the given lumas. */
static struct object *new_person(struct builder *b, enum kind kind, double size, double top,
				 double legs, double hair)
{
	struct scene *sc = b->sc;
	struct object *o = new_object(b, 2.0 * size);

	o->kind = kind;
	pick_muted(b->r, top, rng_int(b->r, 4) == 0 ? 30.0 : 10.0, o->rgb);
	pick_muted(b->r, legs, 8.0, o->rgb2);
	pick_muted(b->r, hair, 5.0, o->rgb3);
	o->tex_amp = rng_range(b->r, 4.0, 10.0);
	o->phase0 = rng_unit(b->r);
	o->bag = rng_int(b->r, 4) == 0;
	if (kind == KIND_PERSON_SIDE) {
		o->half_len = size * sc->height * rng_range(b->r, 0.95, 1.05);
		o->half_wid = 0.25 * o->half_len;
		o->radius = 1.1 * o->half_len;
		o->stride = 0.8 * 2.0 * o->half_len;
	} else {
		o->radius = 1.2 * o->half_wid;
		o->stride = 5.0 * o->half_wid;
	}
	o->radius += hypot(sc->hard_shadow[0], sc->hard_shadow[1]);
	o->shadow = sc->hard_shadow[0] != 0.0 || sc->hard_shadow[1] != 0.0;
	return o;
}

/* A vehicle of the given kind; sizes at the bottom row, fractions of the
 * frame width (a car is about 0.09 wide on a three-lane road). */
static struct object *new_vehicle(struct builder *b, enum kind kind, double car_w)
{
	struct scene *sc = b->sc;
	struct object *o = new_object(b, 0.1);
	double w = sc->width * car_w * rng_range(b->r, 0.92, 1.08);
	static const double paints[][3] = {
		{200, 200, 205}, {30, 32, 36}, {120, 122, 128}, {150, 30, 30}, {40, 60, 120},
		{215, 215, 210}, {70, 72, 70}, {170, 160, 140}, {20, 40, 30}, {90, 95, 100},
	};

	o->kind = kind;
	switch (kind) {
	case KIND_MOTORBIKE:
		o->half_wid = 0.2 * w;
		o->half_len = 0.55 * w;
		break;
	case KIND_CAR:
		o->half_wid = 0.5 * w;
		o->half_len = w * rng_range(b->r, 1.0, 1.2);
		break;
	case KIND_VAN:
		o->half_wid = 0.55 * w;
		o->half_len = 1.3 * w;
		break;
	case KIND_BUS:
		o->half_wid = 0.62 * w;
		o->half_len = 2.8 * w;
		break;
	default:
		o->half_wid = 0.62 * w;
		o->half_len = 4.0 * w;
		break;
	}
	memcpy(o->rgb, paints[rng_int(b->r, 10)], sizeof(o->rgb));
	memcpy(o->rgb2, paints[rng_int(b->r, 10)], sizeof(o->rgb2));
	for (int c = 0; c < 3; c++) {
		o->rgb[c] += rng_range(b->r, -10, 10);
		o->rgb3[c] = 35.0 + 10.0 * c;   /* glass, a little blue */
	}
	o->tex_amp = rng_range(b->r, 3.0, 6.0);
	o->radius = hypot(o->half_len, o->half_wid) + hypot(sc->hard_shadow[0], sc->hard_shadow[1]);
	o->shadow = sc->hard_shadow[0] != 0.0 || sc->hard_shadow[1] != 0.0;
	return o;
}

/* Walks straight through (along, 0), reaching the line at t, entering and
 * leaving wholly outside the frame; the pace changes by up to +-vary on
 * each quarter of the way. */
static void hard_cross(struct builder *b, struct object *o, double along, bool in, double t,
		       double speed, double deg, double vary)
{
	double x, y, dx, dy, lo, hi, s[5], v[4], tk[5];

	at(b, along, 0.0, &x, &y);
	heading(b, in, deg, &dx, &dy);
	o->dx = dx;
	o->dy = dy;
	path_extent(b->sc, x, y, dx, dy, o->radius, &lo, &hi);
	s[0] = lo;
	s[1] = 0.5 * lo;
	s[2] = 0.0;
	s[3] = 0.5 * hi;
	s[4] = hi;
	for (int i = 0; i < 4; i++)
		v[i] = speed * rng_range(b->r, 1.0 - vary, 1.0 + vary);
	tk[2] = t;
	tk[1] = t - (s[2] - s[1]) / v[1];
	tk[0] = tk[1] - (s[1] - s[0]) / v[0];
	tk[3] = t + (s[3] - s[2]) / v[2];
	tk[4] = tk[3] + (s[4] - s[3]) / v[3];
	for (int i = 0; i < 5; i++)
		key_at(o, tk[i], x + s[i] * dx, y + s[i] * dy);
}

/* A group of n walking the same way across a horizontal line, on a shared
 * clock: person k is at along-position apart[k] (fraction of the line)
 * when alone, together[k] inside the group; joins it over the progress
 * [join[k], join[k] + ramp] and leaves it at [split[k], split[k] + ramp]
 * (progress: pixels past the line in the direction of travel). Whoever
 * joins before the frame (join < -h) enters already in the group; one who
 * never leaves has split > h. The group is on the line at t. */
static void group_walk(struct builder *b, int n, bool in, double t, const double *apart,
		       const double *together, const double *join, const double *split,
		       double speed)
{
	struct scene *sc = b->sc;
	struct object *o[4];
	double P[24], ramp = 0.12 * sc->height, edge, tk[24], rmax = 0.0;
	int np = 0;

	for (int k = 0; k < n; k++) {
		o[k] = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.085, 0.1),
				  rng_range(b->r, 30, 200), rng_range(b->r, 30, 120),
				  rng_range(b->r, 20, 60));
		rmax = fmax(rmax, o[k]->radius);
	}
	edge = 0.5 * sc->height + rmax + 2.0;
	P[np++] = -edge;
	P[np++] = edge;
	for (int k = 0; k < n; k++) {
		double q[4] = {join[k], join[k] + ramp, split[k], split[k] + ramp};
		for (int i = 0; i < 4; i++)
			if (q[i] > -edge && q[i] < edge)
				P[np++] = q[i];
	}
	/* sort the breakpoints */
	for (int i = 1; i < np; i++)
		for (int j = i; j > 0 && P[j] < P[j - 1]; j--) {
			double tmp = P[j];
			P[j] = P[j - 1];
			P[j - 1] = tmp;
		}
	/* one clock for all, the pace changing a little between breakpoints */
	{
		int z = 0;
		double vz;
		while (z + 1 < np && P[z + 1] <= 0.0)
			z++;
		/* tk at P == 0 is t: interpolate within segment z */
		vz = speed * rng_range(b->r, 0.9, 1.1);
		tk[z] = t - (0.0 - P[z]) / vz;
		if (z + 1 < np)
			tk[z + 1] = t + (P[z + 1] - 0.0) / vz;
		for (int i = z - 1; i >= 0; i--)
			tk[i] = tk[i + 1] - (P[i + 1] - P[i]) / (speed * rng_range(b->r, 0.85, 1.15));
		for (int i = z + 2; i < np; i++)
			tk[i] = tk[i - 1] + (P[i] - P[i - 1]) / (speed * rng_range(b->r, 0.85, 1.15));
	}
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < np; i++) {
			double p = P[i], f, along, x, y, dir = in ? 1.0 : -1.0;
			/* how far into the group: 0 alone, 1 in it */
			if (p <= join[k])
				f = 0.0;
			else if (p < join[k] + ramp)
				f = (p - join[k]) / ramp;
			else if (p <= split[k])
				f = 1.0;
			else if (p < split[k] + ramp)
				f = 1.0 - (p - split[k]) / ramp;
			else
				f = 0.0;
			along = apart[k] + f * (together[k] - apart[k]);
			at(b, along, dir * p, &x, &y);
			if (i > 0 && tk[i] <= o[k]->key[o[k]->n_keys - 1].t)
				continue;
			key_at(o[k], tk[i], x, y);
		}
		o[k]->dx = 0.0;
		o[k]->dy = in ? 1.0 : -1.0;
	}
}

/* Two of shoulder width ~0.09 h walking as a pair: their along-positions
 * when together, touching (fractions of the line's length). */
static void pair_slots(struct builder *b, double mid, double *together, int n)
{
	double step = 2.0 * 0.09 * b->sc->height * 0.95 / b->len;

	for (int k = 0; k < n; k++)
		together[k] = mid + (k - 0.5 * (n - 1)) * step;
}

static void hard_singles(struct builder *b, int n, double t0, double gap, double size)
{
	for (int i = 0; i < n; i++) {
		struct object *o = new_person(b, KIND_PERSON_TOP, size * rng_range(b->r, 0.9, 1.1),
					      rng_range(b->r, 30, 200), rng_range(b->r, 30, 120),
					      rng_range(b->r, 20, 60));
		hard_cross(b, o, rng_range(b->r, 0.25, 0.75), i % 2 == 0, t0 + i * gap,
			   b->sc->height * rng_range(b->r, 0.3, 0.45), rng_range(b->r, -15, 15), 0.15);
	}
}

/* Overhead at a bus door: people up to half the frame wide, dark clothes
 * on a dark ribbed floor, some within a few levels of it; auto-exposure. */
static void build_overhead_dark(struct builder *b)
{
	struct scene *sc = b->sc;
	static const double when[14] = {3.0, 4.7, 6.3, 7.9, 11.5, 13.2, 14.8, 16.5,
					20.0, 23.0, 26.0, 29.0, 32.0, 35.0};
	static const bool in[14] = {true, true, true, true, false, false, false, false,
				    true, false, true, false, true, false};

	hard_defaults(b, HFLOOR_DOOR, 58.0, 9.0);
	sc->auto_exposure = true;
	sc->read_noise = 2.5;
	for (int i = 0; i < 14; i++) {
		double floor_near = rng_int(b->r, 3) == 0;
		struct object *o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.19, 0.25),
					      floor_near ? rng_range(b->r, 48, 54) : rng_range(b->r, 26, 44),
					      rng_range(b->r, 22, 40), rng_range(b->r, 16, 30));
		hard_cross(b, o, rng_range(b->r, 0.4, 0.6), in[i], when[i],
			   sc->height * rng_range(b->r, 0.33, 0.38), rng_range(b->r, -8, 8), 0.1);
	}
}

static void build_merge(struct builder *b, double j0, double s0, double j1, double s1,
			double j2, double s2)
{
	struct scene *sc = b->sc;
	double h = sc->height, tog[2], ap1[2] = {0.25, 0.7}, ap2[2] = {0.3, 0.75};

	hard_defaults(b, HFLOOR_LOBBY, 135.0, 14.0);
	hard_singles(b, 2, 3.5, 3.0, 0.09);
	pair_slots(b, 0.45, tog, 2);
	group_walk(b, 2, true, 10.0, ap1, tog, (double[]){j0 * h, j0 * h}, (double[]){s0 * h, s0 * h},
		   0.4 * h);
	pair_slots(b, 0.55, tog, 2);
	group_walk(b, 2, false, 15.0, ap2, tog, (double[]){j1 * h, j1 * h + 0.05 * h},
		   (double[]){s1 * h, s1 * h}, 0.35 * h);
	pair_slots(b, 0.5, tog, 2);
	group_walk(b, 2, true, 20.0, ap1, tog, (double[]){j2 * h, j2 * h}, (double[]){s2 * h, s2 * h},
		   0.45 * h);
}

/* Joined well before the line; they part before it (two variants). */
static void build_merge_before(struct builder *b)
{
	build_merge(b, -0.45, -0.15, -0.4, -0.08, -0.9, -0.2);
}

/* Come together right at the line; one pair parts on it. */
static void build_merge_on(struct builder *b)
{
	build_merge(b, -0.1, 0.25, -0.6, -0.05, -0.05, 0.9);
}

/* Cross apart and join after the line, or cross together and part after. */
static void build_merge_after(struct builder *b)
{
	build_merge(b, 0.05, 0.9, -0.9, 0.2, -0.5, 0.12);
}

/* Three together: parting one by one before, on and after the line;
 * three entering as one group, parting after; a pair joining on it. */
static void build_group3(struct builder *b)
{
	struct scene *sc = b->sc;
	double h = sc->height, tog[3], ap[3] = {0.2, 0.5, 0.8}, ap2[3] = {0.25, 0.5, 0.75};

	hard_defaults(b, HFLOOR_PLAZA, 125.0, 14.0);
	hard_singles(b, 2, 3.0, 2.5, 0.09);
	pair_slots(b, 0.5, tog, 3);
	group_walk(b, 3, true, 9.0, ap, tog, (double[]){-0.4 * h, -0.35 * h, -0.45 * h},
		   (double[]){-0.15 * h, -0.06 * h, 0.2 * h}, 0.38 * h);
	pair_slots(b, 0.45, tog, 3);
	group_walk(b, 3, false, 15.0, ap2, tog, (double[]){-0.9 * h, -0.9 * h, -0.9 * h},
		   (double[]){0.1 * h, 0.25 * h, 0.9 * h}, 0.33 * h);
	pair_slots(b, 0.55, tog, 2);
	group_walk(b, 2, true, 20.0, ap2, tog, (double[]){-0.05 * h, -0.05 * h},
		   (double[]){0.9 * h, 0.9 * h}, 0.4 * h);
}

/* A corridor seen from the side: walkers whose middle a railing hides,
 * so torso and legs are separate blobs; heads against a shop front. */
static void build_articulated(struct builder *b)
{
	struct scene *sc = b->sc;
	double h = sc->height, w = sc->width;
	static const double row[3] = {0.6, 0.66, 0.72}, tall[3] = {0.21, 0.24, 0.27};
	static const bool in[7] = {true, false, true, true, false, true, false};
	struct occluder *rail = &sc->occ[sc->n_occ++];

	hard_defaults(b, HFLOOR_CORRIDOR, 115.0, 12.0);
	*rail = (struct occluder){0.0, 0.61 * h, w, 0.66 * h, {140, 138, 130}};
	for (int i = 0; i < 7; i++) {
		int r = i % 3;
		struct object *o = new_person(b, KIND_PERSON_SIDE, tall[r] * rng_range(b->r, 0.95, 1.05),
					      rng_range(b->r, 40, 190), rng_range(b->r, 30, 110),
					      rng_range(b->r, 60, 150));
		double x, y, along = rng_range(b->r, 0.4, 0.6), speed = h * rng_range(b->r, 0.3, 0.45);

		/* the line is vertical: "along" is up the frame */
		at(b, 0.0, 0.0, &x, &y);
		(void)x;
		along = (y - row[r] * h) / b->len;
		hard_cross(b, o, along, in[i], 3.5 + 2.6 * i, speed, 0.0, 0.15);
	}
}

static void build_low_contrast(struct builder *b)
{
	hard_defaults(b, HFLOOR_PLAZA, 112.0, 8.0);
	b->sc->read_noise = 3.0;
	for (int i = 0; i < 7; i++) {
		double d = (rng_int(b->r, 2) ? 1 : -1) * rng_range(b->r, 6, 14);
		struct object *o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.1, 0.13), 112 + d,
					      112 + 0.6 * d, 112 - rng_range(b->r, 8, 20));
		o->tex_amp = 4.0;
		hard_cross(b, o, rng_range(b->r, 0.25, 0.75), i % 2 == 0, 3.5 + 3.0 * i,
			   b->sc->height * rng_range(b->r, 0.25, 0.45), rng_range(b->r, -20, 20), 0.2);
	}
}

/* Low sun: people and cars with hard shadows as long as themselves,
 * thrown across the line ahead of or behind them. */
static void build_hard_shadows(struct builder *b)
{
	struct scene *sc = b->sc;
	static const bool in[8] = {true, false, true, false, false, true, true, false};

	hard_defaults(b, HFLOOR_PLAZA, 140.0, 12.0);
	sc->hard_shadow[0] = 0.11 * sc->height;
	sc->hard_shadow[1] = 0.09 * sc->height;
	sc->shadow_k = 0.6;
	for (int i = 0; i < 8; i++) {
		struct object *o;
		double speed;
		if (i % 3 == 2) {
			o = new_vehicle(b, KIND_CAR, 0.1);
			speed = sc->width * rng_range(b->r, 0.3, 0.5);
		} else {
			o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.07, 0.09),
				       rng_range(b->r, 30, 200), rng_range(b->r, 30, 120),
				       rng_range(b->r, 20, 60));
			speed = sc->height * rng_range(b->r, 0.25, 0.4);
		}
		hard_cross(b, o, rng_range(b->r, 0.2, 0.8), in[i], 3.5 + 2.5 * i, speed,
			   rng_range(b->r, -10, 10), 0.1);
	}
}

static void build_sway(struct builder *b)
{
	hard_defaults(b, HFLOOR_PLAZA, 128.0, 16.0);
	b->sc->cam_sway = 4.0;
	hard_singles(b, 9, 3.0, 2.2, 0.1);
}

static void build_drift(struct builder *b)
{
	struct scene *sc = b->sc;

	hard_defaults(b, HFLOOR_LOBBY, 140.0, 16.0);
	sc->drift_x = 24.0;
	sc->drift_y = -10.0;
	sc->drift_t0 = 0.5;
	sc->drift_t1 = 22.0;
	hard_singles(b, 8, 3.5, 2.4, 0.1);
}

/* A person entering at a side edge, the centre crossing the line while
 * half the body is still outside the frame; one enters on the line itself
 * and walks off to one side (never clearly on the other: no count). */
static void build_edge_on_line(struct builder *b)
{
	struct scene *sc = b->sc;
	double w = sc->width, h = sc->height;

	hard_defaults(b, HFLOOR_PLAZA, 130.0, 14.0);
	for (int i = 0; i < 5; i++) {
		struct object *o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.1, 0.12),
					      rng_range(b->r, 30, 200), rng_range(b->r, 30, 120),
					      rng_range(b->r, 20, 60));
		bool left = i % 2 == 0, in = i != 1 && i != 4;
		double x = left ? 0.35 * o->half_wid : w - 0.35 * o->half_wid;
		double ang = rng_range(b->r, 35, 50) * M_PI / 180.0, dx, dy, lo, hi, sp = 0.35 * h;

		dx = (left ? 1.0 : -1.0) * sin(ang);
		dy = (in ? 1.0 : -1.0) * cos(ang);
		o->dx = dx;
		o->dy = dy;
		path_extent(sc, x, 0.5 * h, dx, dy, o->radius, &lo, &hi);
		key_at(o, 3.0 + 3.0 * i, x + lo * dx, 0.5 * h + lo * dy);
		key_at(o, 3.0 + 3.0 * i - lo / sp, x, 0.5 * h);
		key_at(o, 3.0 + 3.0 * i + (hi - lo) / sp, x + hi * dx, 0.5 * h + hi * dy);
	}
	{
		struct object *o = new_person(b, KIND_PERSON_TOP, 0.11, 60, 50, 30);
		double x = 0.3 * w, lo, hi, sp = 0.35 * h;
		path_extent(sc, 0.0, 0.5 * h, 1.0, 0.0, o->radius, &lo, &hi);
		key_at(o, 19.0, lo, 0.5 * h);
		walk_to(o, x, 0.5 * h, sp);
		leave(b, o, 0.0, 1.0, sp);
	}
}

/* Overhead lobby, bright floor: big dark coats make the camera open up,
 * a white one makes it close down. */
static void build_big_exposure(struct builder *b)
{
	struct scene *sc = b->sc;

	hard_defaults(b, HFLOOR_LOBBY, 165.0, 12.0);
	sc->auto_exposure = true;
	for (int i = 0; i < 7; i++) {
		bool white = i == 4;
		struct object *o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.2, 0.26),
					      white ? 235 : rng_range(b->r, 15, 35),
					      rng_range(b->r, 20, 40), rng_range(b->r, 15, 30));
		hard_cross(b, o, rng_range(b->r, 0.35, 0.65), i % 2 == 0, 3.5 + 3.5 * i,
			   sc->height * rng_range(b->r, 0.3, 0.4), rng_range(b->r, -10, 10), 0.15);
	}
}

/* Top-down lobby, small people, varied pace: some slow to a near stop just
 * past the line, legs still moving, before walking on. */
static void build_lobby(struct builder *b)
{
	struct scene *sc = b->sc;
	double h = sc->height;

	hard_defaults(b, HFLOOR_LOBBY, 150.0, 14.0);
	for (int i = 0; i < 9; i++) {
		struct object *o = new_person(b, KIND_PERSON_TOP, rng_range(b->r, 0.06, 0.08),
					      rng_range(b->r, 30, 200), rng_range(b->r, 30, 120),
					      rng_range(b->r, 20, 60));
		bool in = i % 2 == 0;
		double along = rng_range(b->r, 0.15, 0.85), sp = h * rng_range(b->r, 0.15, 0.35);
		double x, y, dir = in ? 1.0 : -1.0;

		if (i % 3 == 1) {       /* dawdle 6% past the line, then go on */
			double dx, dy;
			heading(b, in, rng_range(b->r, -20, 20), &dx, &dy);
			at(b, along, dir * 0.06 * h, &x, &y);
			enter_to(b, o, x, y, dx, dy, 3.0 + 2.2 * i, sp);
			walk_to(o, x + 0.02 * h * dx, y + 0.02 * h * dy, 0.05 * h);
			leave(b, o, dx, dy, sp);
		} else {
			hard_cross(b, o, along, in, 3.0 + 2.2 * i, sp, rng_range(b->r, -30, 30), 0.3);
		}
	}
}

/* ---- roads ---- */

/* A road in perspective: horizon at vy (< 0), lanes given at the bottom
 * row as fractions of the width (edges and lane lines, left to right). */
static void road(struct builder *b, double vx, double vy, const double *lines, int n)
{
	struct scene *sc = b->sc;

	hard_defaults(b, HFLOOR_ROAD, 105.0, 10.0);
	sc->vx = vx * sc->width;
	sc->vy = vy * sc->height;
	for (int i = 0; i < n; i++)
		sc->road_x[i] = lines[i] * sc->width;
	sc->n_road = n;
}

/* Drives down (toward the camera) or up a lane whose centre is at xb on
 * the bottom row, at `speed` (pixels per second on the bottom row), on the
 * line's row (a horizontal line) at t_line; wholly outside the frame at
 * both ends. Constant speed on the ground: it speeds up in the picture as
 * it comes near. */
static void drive(struct builder *b, struct object *o, double xb, bool down, double t_line,
		  double speed)
{
	struct scene *sc = b->sc;
	double h = sc->height, vy = sc->vy, vx = sc->vx, R = o->radius;
	double lam_near = (h + R - vy) / (h - vy), lam_far = -vy / (h - vy + R);
	double lam_line = (b->ay - vy) / (h - vy), vz = speed / (h - vy);
	double z0 = 1.0 / lam_near, z1 = 1.0 / lam_far, zl = 1.0 / lam_line;
	const int n = 16;

	if (lam_far <= 0.0)
		script_bug("vehicle never leaves at the top");
	for (int i = 0; i < n; i++) {
		double u = (double)i / (n - 1);
		double z = down ? z1 + u * (z0 - z1) : z0 + u * (z1 - z0);
		double lam = 1.0 / z, t = t_line + (down ? zl - z : z - zl) / vz;
		key_at(o, t, vx + (xb - vx) * lam, vy + (h - vy) * lam);
	}
	o->dx = 0.0;
	o->dy = down ? 1.0 : -1.0;
}

static enum kind traffic_kind(struct rng *r)
{
	int k = rng_int(r, 20);
	return k < 2 ? KIND_MOTORBIKE : k < 13 ? KIND_CAR : k < 16 ? KIND_VAN : k < 18 ? KIND_BUS
									     : KIND_TRUCK;
}

/* Traffic on lanes (centres at the bottom row, fractions of the width),
 * n vehicles, the first on the line at t0, then every gap s (jittered);
 * a lane's vehicles never overtake one another in it. */
static void traffic(struct builder *b, const double *lane, const bool *down, const double *speed,
		    int n_lanes, int n, double t0, double gap, double car_w)
{
	struct scene *sc = b->sc;
	double last[8] = {0}, last_half[8] = {0};
	/* At the line's row a length on the road is drawn lam^1.4 as long as
	 * at the bottom (object_body) while a gap in time is lam^2 as far. */
	double lam = (b->ay - sc->vy) / (sc->height - sc->vy), drawn = pow(lam, 1.4);

	for (int i = 0; i < n; i++) {
		int l = (i + (i / n_lanes) % 2) % n_lanes;
		struct object *o = new_vehicle(b, traffic_kind(b->r), car_w);
		double t = t0 + i * gap + rng_range(b->r, -0.3, 0.3) * gap;
		double v = speed[l] * sc->width * rng_range(b->r, 0.97, 1.03);
		/* Same lane: nose to tail at the line as drawn there (both half
		 * lengths) plus a car's width of road, so no two vehicles are
		 * ever drawn one inside the other where they are counted. */
		double need = ((last_half[l] + o->half_len) * drawn + car_w * sc->width * drawn) /
			      (v * 0.97 * lam * lam);
		if (last_half[l] > 0.0 && t < last[l] + need)
			t = last[l] + need;
		last[l] = t;
		last_half[l] = o->half_len;
		drive(b, o, lane[l] * sc->width, down[l], t, v);
	}
}

static void build_highway(struct builder *b)
{
	static const double lines[4] = {0.1, 0.37, 0.63, 0.9};
	static const double lane[3] = {0.235, 0.5, 0.765}, speed[3] = {0.5, 0.65, 0.8};
	static const bool down[3] = {true, true, true};

	road(b, 0.55, -0.9, lines, 4);
	traffic(b, lane, down, speed, 3, 14, 3.5, 0.9, 0.1);
}

/* Divided highway from a pole that sways a few pixels: two lanes each way,
 * a concrete median; 35 vehicles. */
static void build_two_way_sway(struct builder *b)
{
	static const double lines[6] = {0.04, 0.22, 0.42, 0.58, 0.78, 0.96};
	static const double lane[4] = {0.13, 0.32, 0.68, 0.87}, speed[4] = {0.45, 0.55, 0.55, 0.45};
	static const bool down[4] = {true, true, false, false};

	road(b, 0.5, -0.7, lines, 6);
	b->sc->median[0] = 0.445 * b->sc->width;
	b->sc->median[1] = 0.555 * b->sc->width;
	b->sc->cam_sway = 3.0;
	traffic(b, lane, down, speed, 4, 35, 3.5, 0.9, 0.075);
}

/* Three lanes going away from a bridge; the camera drifts 30 px in 11 s. */
static void build_motorway_drift(struct builder *b)
{
	static const double lines[4] = {0.08, 0.36, 0.64, 0.92};
	static const double lane[3] = {0.22, 0.5, 0.78}, speed[3] = {0.55, 0.7, 0.85};
	static const bool down[3] = {false, false, false};
	struct scene *sc = b->sc;

	road(b, 0.5, -0.55, lines, 4);
	sc->drift_x = 24.0;
	sc->drift_y = 18.0;
	sc->drift_t0 = 1.0;
	sc->drift_t1 = 12.0;
	traffic(b, lane, down, speed, 3, 11, 2.5, 0.75, 0.1);
}

/* Two adjacent lanes, one each way, all sizes from a motorbike to an
 * articulated truck (its cab and trailer with road between them), passing
 * each other at the line. Seen from high up: little perspective. */
static void build_trucks(struct builder *b)
{
	static const double lines[3] = {0.2, 0.5, 0.8};
	static const enum kind kinds[8] = {KIND_MOTORBIKE, KIND_TRUCK, KIND_CAR, KIND_BUS,
					    KIND_TRUCK, KIND_VAN, KIND_MOTORBIKE, KIND_TRUCK};
	static const double when[8] = {3.0, 3.2, 6.5, 6.4, 10.0, 10.3, 13.5, 14.0};
	struct scene *sc = b->sc;

	road(b, 0.5, -2.5, lines, 3);
	sc->hard_shadow[0] = 0.02 * sc->height;
	sc->hard_shadow[1] = 0.01 * sc->height;
	for (int i = 0; i < 8; i++) {
		bool dn = i % 2 == 0;
		struct object *o = new_vehicle(b, kinds[i], 0.12);
		drive(b, o, (dn ? 0.35 : 0.65) * sc->width, dn, when[i],
		      sc->width * rng_range(b->r, 0.5, 0.8));
	}
}

/* Platoons: cars nose to tail a few pixels apart at the same speed, and
 * the other way a lane over. */
static void build_followers(struct builder *b)
{
	static const double lines[3] = {0.15, 0.5, 0.85};
	struct scene *sc = b->sc;
	double lam_line, t;

	road(b, 0.5, -1.2, lines, 3);
	lam_line = (b->ay - sc->vy) / (sc->height - sc->vy);
	for (int p = 0; p < 3; p++) {
		int n = p == 1 ? 2 : 3 + p / 2;
		bool dn = p != 1;
		double speed = sc->width * rng_range(b->r, 0.5, 0.7);
		/* image speed at the line, px/s (rows) */
		double vline = speed * lam_line * lam_line;

		double prev = 0.0;

		t = 3.0 + 4.0 * p;
		for (int i = 0; i < n; i++) {
			struct object *o = new_vehicle(b, i == 1 && p == 0 ? KIND_VAN : KIND_CAR, 0.13);
			double half = o->half_len * pow(lam_line, 1.4);

			/* nose to tail at the line, 3 to 10 px apart */
			if (i > 0)
				t += (prev + half + rng_range(b->r, 3.0, 10.0)) / vline;
			drive(b, o, (dn ? 0.325 : 0.675) * sc->width, dn, t, speed);
			prev = half;
		}
	}
}

#define MID_LINE {0.0, 0.5, 1.0, 0.5}
static const struct scenario scenarios[] = {
	{"single", "single crossings both ways, one at a time", 15, MID_LINE, 3.0, 3, 2,
	 build_single},
	{"fast", "fast movers: across the frame in 3-4 frames", 15, MID_LINE, 3.0, 3, 2, build_fast},
	{"slow", "slow movers: about 20 s across, three at once", 10, MID_LINE, 3.0, 2, 1, build_slow},
	{"side-by-side", "two touching objects walking together (one blob), after singles", 15,
	 MID_LINE, 3.0, 4, 6, build_side_by_side},
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
	{"idle-wake", "30 fps, line short of the edges: fast entries from the nearest edge timed "
	 "into skipped frames", 30, {0.25, 0.22, 0.75, 0.22}, 3.0, 8, 2, build_idle_wake},
};
#define N_SCENARIOS ((int)(sizeof(scenarios) / sizeof(scenarios[0])))

static const struct scenario *find_scenario(const char *name)
{
	for (int i = 0; i < N_SCENARIOS; i++)
		if (!strcmp(scenarios[i].name, name))
			return &scenarios[i];
	return NULL;
}

/* The hard set: real-looking footage of the kinds turnstile has failed on
 * (see "hard scenes"). Kept out of --list-scenarios, which is the exact-count
 * suite tests/replay.py asserts; --list-scenarios=hard lists these. Each
 * fixes its own size and rate. */
struct hard_scenario {
	struct scenario s;
	int width, height;
	uint32_t rate, scale;   /* fps = rate / scale */
};

/* Vertical lines going up (moving right is "in"); road lines short of the
 * frame's sides (moving down is "in"). */
#define LINE_X45 {0.45, 1.0, 0.45, 0.0}
#define LINE_X50 {0.5, 1.0, 0.5, 0.0}
#define LINE_Y60 {0.02, 0.6, 0.98, 0.6}
#define LINE_Y55 {0.02, 0.55, 0.98, 0.55}
#define LINE_Y50 {0.02, 0.5, 0.98, 0.5}
#define HARD(NAME, WHAT, W, H, RATE, SCALE, LINE, IN, OUT, BUILD) \
	{.s = {.name = NAME, .what = WHAT, .fps = RATE, .line = LINE, .noise = 0.0, \
	       .want_in = IN, .want_out = OUT, .build = BUILD}, \
	 .width = W, .height = H, .rate = RATE, .scale = SCALE}
static const struct hard_scenario hard_scenarios[] = {
	HARD("overhead-dark", "bus door from above: people up to half the frame, dark on a dark floor, auto-exposure",
	     640, 480, 15, 1, MID_LINE, 7, 7, build_overhead_dark),
	HARD("articulated", "corridor from the side: a railing splits torso and legs; heads on a shop front",
	     384, 288, 25, 1, LINE_X45, 4, 3, build_articulated),
	HARD("merge-before", "pairs join before the line and part before it; singles first",
	     320, 240, 15, 1, MID_LINE, 5, 3, build_merge_before),
	HARD("merge-on", "pairs join on the line, or part right on it",
	     640, 360, 25, 1, MID_LINE, 5, 3, build_merge_on),
	HARD("merge-after", "pairs cross apart and join after the line, or part after it",
	     480, 360, 10, 1, MID_LINE, 5, 3, build_merge_after),
	HARD("group3", "three walking as one, parting before, on and after the line; a pair joins on it",
	     640, 480, 30, 1, MID_LINE, 6, 4, build_group3),
	HARD("low-contrast", "people within 6-14 levels of the floor, noisy",
	     320, 240, 10, 1, MID_LINE, 4, 3, build_low_contrast),
	HARD("hard-shadows", "people and cars with hard shadows their own size, thrown across the line",
	     640, 360, 10, 1, LINE_X50, 4, 4, build_hard_shadows),
	HARD("sway", "camera sways about 4 px over paving joints; people crossing",
	     640, 360, 25, 1, MID_LINE, 5, 4, build_sway),
	HARD("drift", "camera drifts 26 px in 21 s over a tiled lobby; people crossing",
	     480, 360, 25, 2, MID_LINE, 4, 4, build_drift),
	HARD("edge-on-line", "people entering at a side edge right on the line, half outside",
	     320, 240, 15, 1, MID_LINE, 3, 2, build_edge_on_line),
	HARD("big-exposure", "auto-exposure swings as coats half the frame wide pass under it",
	     640, 480, 15, 1, MID_LINE, 4, 3, build_big_exposure),
	HARD("lobby", "top-down lobby, small people at varied paces, some dawdling past the line",
	     640, 480, 10, 1, MID_LINE, 5, 4, build_lobby),
	HARD("highway", "one way, three lanes toward the camera, perspective: near big, far small",
	     1280, 720, 30, 1, LINE_Y60, 14, 0, build_highway),
	HARD("two-way-sway", "divided highway from a swaying pole (3 px), two lanes each way, 35 vehicles",
	     960, 540, 25, 1, LINE_Y55, 18, 17, build_two_way_sway),
	HARD("motorway-drift", "three lanes going away from a bridge; the camera drifts 30 px in 11 s",
	     1280, 720, 25, 1, LINE_Y50, 0, 11, build_motorway_drift),
	HARD("trucks", "motorbikes to articulated trucks, two-way in adjacent lanes, passing at the line",
	     800, 450, 15, 1, MID_LINE, 4, 4, build_trucks),
	HARD("followers", "platoons nose to tail a few px apart, and the other way a lane over",
	     640, 360, 30, 1, MID_LINE, 7, 2, build_followers),
};
#define N_HARD ((int)(sizeof(hard_scenarios) / sizeof(hard_scenarios[0])))

static const struct hard_scenario *find_hard(const char *name)
{
	for (int i = 0; i < N_HARD; i++)
		if (!strcmp(hard_scenarios[i].s.name, name))
			return &hard_scenarios[i];
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
		if (camera_moves(sc)) {         /* hard scenes: the picture moves */
			double sx, sy;
			camera_shift(sc, frame_time(sc, f), &sx, &sy);
			x += sx;
			y += sy;
		}
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

	/* A hard scene's script places its crossings in time and lets the
	 * paths start wherever the frame's edge is: the whole plan moves
	 * later if one would start inside the warm-up. */
	if (sc->hard) {
		double first = INFINITY;
		for (int i = 0; i < sc->n_obj; i++)
			first = fmin(first, sc->obj[i].key[0].t);
		if (first < WARMUP_S + 0.5)
			for (int i = 0; i < sc->n_obj; i++)
				for (int k = 0; k < sc->obj[i].n_keys; k++)
					sc->obj[i].key[k].t += WARMUP_S + 0.5 - first;
	}

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
		"  --list-scenarios[=SET]     print the scenarios' names and what each tests; SET is\n"
		"                             exact (the default: the suite the replay test counts\n"
		"                             exactly), hard (real-looking scenes of footage turnstile\n"
		"                             has failed on, each with its own size and rate) or all\n"
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
		{"list-scenarios", optional_argument, NULL, OPT_LIST},
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
			opt->hard = opt->scenario ? NULL : find_hard(optarg);
			if (opt->hard)
				opt->scenario = &opt->hard->s;
			ok = opt->scenario != NULL;
			break;
		case OPT_LIST: {
			/* Bare: the exact-count suite (tests/replay.py runs every
			 * name it prints), so the hard set stays out of it. */
			bool exact = !optarg || !strcmp(optarg, "exact") || !strcmp(optarg, "all");
			bool hard = optarg && (!strcmp(optarg, "hard") || !strcmp(optarg, "all"));
			if (!exact && !hard) {
				fprintf(stderr, "scenegen: --list-scenarios=exact, =hard or =all\n");
				return -EINVAL;
			}
			for (int i = 0; exact && i < N_SCENARIOS; i++)
				printf("%-16s %s\n", scenarios[i].name, scenarios[i].what);
			for (int i = 0; hard && i < N_HARD; i++)
				printf("%-16s %s\n", hard_scenarios[i].s.name, hard_scenarios[i].s.what);
			return 1;
		}
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
		opt->width = opt->hard ? opt->hard->width : 320;
		opt->height = opt->hard ? opt->hard->height : 240;
		opt->rate = opt->hard ? opt->hard->rate : scn->fps;
		opt->scale = opt->hard ? opt->hard->scale : 1;
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

	if (opt.hard) {
		/* Scripted first: the script sets the floor and the camera's
		 * motion, which sizes the canvas. */
		sc.hard = true;
		rc = build_scenario(&opt, &sc, &layout, err, sizeof(err));
		if (!rc)
			rc = hard_canvas(&sc, &layout, err, sizeof(err));
	} else {
		render_floor(&sc, &layout);
		if (opt.scenario)
			rc = build_scenario(&opt, &sc, &layout, err, sizeof(err));
		else
			rc = plan_scene(&opt, &sc, &layout, err, sizeof(err));
	}
	if (rc) {
		fprintf(stderr, "scenegen: %s: %s\n", clip, err);
		goto done;
	}
	rc = opt.hard ? render_hard_clip(&opt, &sc, &noise_rng) : render_clip(&opt, &sc, &noise_rng);
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
