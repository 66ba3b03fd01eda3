#include "counter.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Size samples come from where the track is near the line, since that is
 * where the size is judged (perspective makes far objects small). */
#define LEARN_BAND 0.25f
#define LEARN_MIN_SAMPLES 2
#define EDGE_MARGIN 0.02f     /* a box this near the picture's edge is cut by it */
#define EDGE_ALONG 0.3f       /* an edge cut shifts the side when the line's normal is this much across it */
/* A first sliver at an edge that runs across the line tells its side if
 * its centre is this many bands from the line: what shows first (a
 * shoulder, a head) may lie a band off the middle of the body. */
#define EDGE_SLIVER_CLEAR 2.0f
#define IN_FILE_LIKENESS 0.4f /* two objects in file: the smaller at least this of the bigger */
#define IN_FILE_WIDTH_LIKENESS 0.7f /* or, one cut by the picture's edge, this alike in width */
/* A piece that takes over a crossing its parent counted is a fair share of
 * the blob that crossed: a scrap left behind as someone leaves the picture
 * is not another object. */
#define PIECE_SHARE 0.1f
#define SPECK_BESIDE 1.5f     /* a speck this near an object, in its sizes, is a part of it */

struct slot_state {
	uint32_t id;      /* track this state belongs to; 0 = none */
	int side;         /* -1 out side, +1 in side, 0 not yet clearly on either */
	int start_side;   /* the first side it was clearly on */
	int last_side;    /* the side it was last clearly on, confirmed or not */
	float sx, sy;     /* where it was first clearly on a side */
	float ax, ay;     /* last position clearly on its side */
	float lx, ly;     /* last position clearly on either side */
	bool crossed;     /* a crossing of this track was counted */
	bool isolated;    /* never shared a blob with another track */
	bool confirmed;   /* it was confirmed (counted in tracks_seen) */
	bool in_band;     /* it was seen inside the band after being clearly on a side */
	int hits;
	int last_dir;     /* +1 / -1: its last counted crossing, 0 none */
	int handed;       /* that crossing was the part in front that split off */
	int counted;      /* objects that crossing counted */
	int pieces;       /* objects it turned out to hold: 1 + tracks split off */
	float crossed_area; /* its area when that crossing was counted */
	uint32_t parent;  /* split off from this track, not yet confirmed */
	int edge_side;    /* the side its first sliver at the picture's edge was on, */
	float ex, ey;     /* and where, while its side waited for confirmation */
	bool speck_over;  /* it changed sides as a speck not yet confirmed */
	bool speck_confirmed; /* it was confirmed while still a speck */
	float area_sum, width_sum, length_sum;
	int nsize;
};

struct counter {
	struct line line;
	struct counter_params p;
	struct slot_state s[TRACKER_MAX_TRACKS];
	struct objsize sizes;
	/* counter_stats, read from other threads; this counter's thread writes. */
	atomic_uint_least64_t tracks_seen, turned_back;
	_Atomic float object_area;
	float object_extent;  /* objsize_one_extent, kept with object_area; this thread's */
};

int counter_create(const struct line *l, const struct counter_params *p, struct counter **out)
{
	struct counter *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->line = *l;
	c->p = *p;
	objsize_init(&c->sizes, p->object_area);
	atomic_store(&c->object_area, objsize_one_area(&c->sizes));
	c->object_extent = objsize_one_extent(&c->sizes);
	*out = c;
	return 0;
}

void counter_reset_tracks(struct counter *c)
{
	memset(c->s, 0, sizeof(c->s));
}

void counter_object_size(const struct counter *c, float *area, float *extent)
{
	*area = atomic_load_explicit(&c->object_area, memory_order_relaxed);
	*extent = c->object_extent;
}

const struct objsize *counter_objsize(const struct counter *c)
{
	return &c->sizes;
}

void counter_set_objsize(struct counter *c, const struct objsize *s)
{
	float fixed = c->sizes.fixed_area;
	c->sizes = *s;
	c->sizes.fixed_area = fixed;
	atomic_store_explicit(&c->object_area, objsize_one_area(&c->sizes), memory_order_relaxed);
	c->object_extent = objsize_one_extent(&c->sizes);
}

void counter_get_stats(const struct counter *c, struct counter_stats *out)
{
	out->tracks_seen = atomic_load_explicit(&c->tracks_seen, memory_order_relaxed);
	out->turned_back = atomic_load_explicit(&c->turned_back, memory_order_relaxed);
	out->object_area = atomic_load_explicit(&c->object_area, memory_order_relaxed);
}

/* Single writer: a relaxed load and store instead of a locked add. */
static void bump(atomic_uint_least64_t *a)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

void counter_destroy(struct counter *c)
{
	free(c);
}

/* Whether the picture's edge cuts an object across the line's normal, so
 * that what is seen of it is off toward the line or away from it. */
static bool edge_shifts_side(const struct line *l, bool cut_x, bool cut_y)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay, len = hypotf(dx, dy);
	return (cut_x && fabsf(dy) > EDGE_ALONG * len) || (cut_y && fabsf(dx) > EDGE_ALONG * len);
}

/* Whether a first sliver of an object cut by the picture's edge may be
 * off to one side of where the object is: always when the edge shifts its
 * side (*shifted); when the edge runs across the line (a level line, the
 * left edge), only if what is seen reaches into the band: a sliver wholly
 * clear of the band on one side is that side. */
static bool side_unsure_at_edge(const struct counter *c, const struct track *tr, int side,
				bool *shifted)
{
	const struct line *l = &c->line;
	float x0 = tr->x - tr->w / 2, x1 = tr->x + tr->w / 2;
	float y0 = tr->y - tr->h / 2, y1 = tr->y + tr->h / 2;
	bool cut_x = x0 < EDGE_MARGIN || x1 > 1.0f - EDGE_MARGIN;
	bool cut_y = y0 < EDGE_MARGIN || y1 > 1.0f - EDGE_MARGIN;
	*shifted = false;
	if (!cut_x && !cut_y)
		return false;
	if (edge_shifts_side(l, cut_x, cut_y))
		return *shifted = true;
	const float cx[4] = {x0, x1, x0, x1}, cy[4] = {y0, y0, y1, y1};
	for (int k = 0; k < 4; k++)
		if (line_side(l, cx[k], cy[k]) * (float)side <= c->p.band)
			return true;
	return false;
}

/* Extent of a track's box along the line's direction, and across it. */
static float width_along(const struct line *l, const struct track *tr)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay, len = hypotf(dx, dy);
	return (fabsf(dx) * tr->w + fabsf(dy) * tr->h) / len;
}

static float length_across(const struct line *l, const struct track *tr)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay, len = hypotf(dx, dy);
	return (fabsf(dy) * tr->w + fabsf(dx) * tr->h) / len;
}

/* A track's life is over: learn its size if it was one object on its own
 * that crossed, and count it if it went from one side to the other without
 * a crossing being counted on the way (it was still tentative then). */
static int finish(struct counter *c, struct slot_state *st, struct crossing *out)
{
	int n = 0;
	if (!st->id)
		return 0;
	if (st->crossed && st->isolated && st->nsize >= LEARN_MIN_SAMPLES) {
		objsize_learn(&c->sizes, st->area_sum / (float)st->nsize,
			      st->width_sum / (float)st->nsize, st->length_sum / (float)st->nsize);
		atomic_store_explicit(&c->object_area, objsize_one_area(&c->sizes),
				      memory_order_relaxed);
		c->object_extent = objsize_one_extent(&c->sizes);
	}
	if (st->confirmed && st->in_band && !st->crossed && st->start_side && st->last_side == st->start_side)
		bump(&c->turned_back);
	if (!st->crossed && !st->speck_over && st->start_side && st->last_side == -st->start_side &&
	    st->hits >= 2 && line_segment_crosses(&c->line, st->sx, st->sy, st->lx, st->ly))
		out[n++] = (struct crossing){st->id, st->last_side > 0 ? DIR_IN : DIR_OUT, 1};
	*st = (struct slot_state){0};
	return n;
}

static const struct track *find_track(const struct track *tracks, uint32_t id)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		if (tracks[i].id == id)
			return &tracks[i];
	return NULL;
}

/* Whether two tracks' boxes are separated by a gap of at least half the
 * smaller one's size. */
static bool apart(const struct track *a, const struct track *b)
{
	float gx = fabsf(a->x - b->x) - (a->w + b->w) / 2;
	float gy = fabsf(a->y - b->y) - (a->h + b->h) / 2;
	float size = fminf(fmaxf(a->w, a->h), fmaxf(b->w, b->h));
	return fmaxf(gx, gy) >= 0.5f * size;
}

/* Whether one box is straight above the other (overlapping in x by half
 * the narrower): legs and torso parting at a railing, not two people. */
static bool one_above_other(const struct track *a, const struct track *b)
{
	float ox = fminf(a->x + a->w / 2, b->x + b->w / 2) - fmaxf(a->x - a->w / 2, b->x - b->w / 2);
	return ox >= 0.5f * fminf(a->w, b->w);
}

/* Whether two tracks go the same way across the line, as two objects that
 * came in together do; someone coming the other way who met a track on
 * the line and walked out of its blob did not split off from it. */
static bool same_way(const struct line *l, const struct track *a, const struct track *b)
{
	float va = line_side(l, a->x + a->vx, a->y + a->vy) - line_side(l, a->x, a->y);
	float vb = line_side(l, b->x + b->vx, b->y + b->vy) - line_side(l, b->x, b->y);
	return va * vb > 0 && fabsf(vb) >= 0.3f * fabsf(va);
}

/* Whether a speck goes along beside a bigger object, within half as much
 * again as that object's size and off its path (more across its motion
 * than along it): a part of it (feet, a shadow, a scrap of a body on a
 * floor of its own shade). One ahead or behind on its path is in file
 * with it: a motorbike before a car. */
static bool beside_an_object(const struct line *l, const struct track *tracks,
			     const struct track *tr)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *o = &tracks[i];
		if (!o->id || o == tr || !o->confirmed || o->small || o->area <= tr->area ||
		    fabsf(tr->x - o->x) > SPECK_BESIDE * o->w ||
		    fabsf(tr->y - o->y) > SPECK_BESIDE * o->h || !same_way(l, o, tr))
			continue;
		float v = hypotf(o->vx, o->vy), dx = tr->x - o->x, dy = tr->y - o->y;
		if (v > 0.0f && fabsf(dx * o->vy - dy * o->vx) > fabsf(dx * o->vx + dy * o->vy))
			return true;
	}
	return false;
}

static bool cut_by_edge(const struct track *tr)
{
	return tr->x - tr->w / 2 < EDGE_MARGIN || tr->x + tr->w / 2 > 1.0f - EDGE_MARGIN ||
	       tr->y - tr->h / 2 < EDGE_MARGIN || tr->y + tr->h / 2 > 1.0f - EDGE_MARGIN;
}

/* Whether two tracks are two objects one behind the other along their
 * common motion (cars nose to tail, people in single file) that came in as
 * one blob and parted: their boxes are apart along the way they go, with a
 * gap however small, and they are alike in size, as whole objects of one
 * kind are. A cab and its trailer, a head and its body, are not alike; legs
 * and torso part across the motion of someone walking past, not along it. */
static bool in_file(const struct track *a, const struct track *b)
{
	float vx = a->vx + b->vx, vy = a->vy + b->vy, v = hypotf(vx, vy);
	if (v <= 0.0f)
		return false;
	vx /= v;
	vy /= v;
	float dx = b->x - a->x, dy = b->y - a->y;
	float along = fabsf(dx * vx + dy * vy), across = fabsf(dx * vy - dy * vx);
	if (across > 0.5f * along)
		return false;
	/* Extents along the motion, and the gap between the boxes there
	 * (the boxes are filtered: just parted, they still overlap a little). */
	float la = fabsf(vx) * a->w + fabsf(vy) * a->h, lb = fabsf(vx) * b->w + fabsf(vy) * b->h;
	if (along - (la + lb) / 2 <= -0.1f * fminf(la, lb))
		return false;
	float small = fminf(a->area, b->area), big = fmaxf(a->area, b->area);
	if (small >= IN_FILE_LIKENESS * big && fminf(la, lb) >= IN_FILE_LIKENESS * fmaxf(la, lb))
		return true;
	/* The one leaving the picture shows only a part of its length: alike
	 * then in their width across the motion, as cars of one lane are. */
	const struct track *s = a->area < b->area ? a : b;
	if (!cut_by_edge(s))
		return false;
	float wa = fabsf(vy) * a->w + fabsf(vx) * a->h, wb = fabsf(vy) * b->w + fabsf(vx) * b->h;
	return fminf(wa, wb) >= IN_FILE_WIDTH_LIKENESS * fmaxf(wa, wb);
}

/* A new track split off from a track that was several objects seen as one:
 * it takes over that track's past (the sides it was on), and if that track
 * has crossed counting fewer objects than it now turns out to have held,
 * the crossing is counted for this one too. So a pair that came in as one
 * blob counts two whether it parts before the line or after it. */
static int split_from(struct counter *c, struct slot_state *st, const struct track *tr,
		      struct crossing *out)
{
	struct slot_state *p = NULL;
	for (int i = 0; i < TRACKER_MAX_TRACKS && !p; i++)
		if (c->s[i].id == tr->parent && &c->s[i] != st)
			p = &c->s[i];
	if (!p)
		return 0;
	p->isolated = false;
	st->isolated = false;
	/* A piece that has no side of its own yet (it was born cut by the
	 * picture's edge) is on the side where it is now. */
	if (st->side == 0) {
		float x = tr->x, y = c->p.anchor == ANCHOR_BOTTOM ? tr->bottom : tr->y;
		float d = line_side(&c->line, x, y);
		if (fabsf(d) > c->p.band) {
			st->side = d > 0 ? 1 : -1;
			st->ax = x;
			st->ay = y;
		}
	}
	/* A piece that crossed on its own before it was known to be one
	 * counted that crossing itself: it is one of the objects the
	 * parent turned out to hold, counted already. */
	bool counted_own = st->crossed && st->last_dir != 0 && st->last_dir == st->side;
	if (st->side != p->side && st->side != 0) {
		/* It was across the line from the rest of its parent when they
		 * parted: it crossed inside the parent's blob. Counted already
		 * if the parent's crossing was this part's (the parent jumped
		 * back to the rest, handing it over), or by the piece itself;
		 * otherwise it counts now, from where the parent started. */
		if (p->handed == st->side) {
			p->handed = 0;
			return 0;
		}
		if (counted_own)
			return 0;
		if (p->start_side != -st->side ||
		    !line_segment_crosses(&c->line, p->sx, p->sy, st->ax, st->ay))
			return 0;
		st->start_side = p->start_side;
		st->sx = p->sx;
		st->sy = p->sy;
		st->crossed = true;
		st->last_dir = st->side;
		st->counted = 1;
		out[0] = (struct crossing){tr->id, st->side > 0 ? DIR_IN : DIR_OUT, 1};
		return 1;
	}
	st->side = p->side;
	st->start_side = p->start_side;
	st->sx = p->sx;
	st->sy = p->sy;
	st->ax = p->ax;
	st->ay = p->ay;
	p->pieces++;
	if (!p->last_dir || p->side != p->last_dir)
		return 0;
	if (counted_own) {
		p->counted += st->counted;
		return 0;
	}
	if (p->pieces <= p->counted || tr->area < PIECE_SHARE * p->crossed_area) {
		/* Counted already, as one of the objects the parent's crossing
		 * counted, or a scrap of the parent: with the parent's past it
		 * must not count again when it ends. */
		st->crossed = true;
		return 0;
	}
	p->counted++;
	st->crossed = true;
	st->last_dir = p->last_dir;
	st->counted = 1;
	out[0] = (struct crossing){tr->id, p->last_dir > 0 ? DIR_IN : DIR_OUT, 1};
	return 1;
}

int counter_update(struct counter *c, const struct track *tracks, struct crossing *out)
{
	int n = 0;

	/* A track that ended inside another after both crossed the same way
	 * is one of the objects the other now holds, its crossing counted:
	 * a piece that splits off the other later is not a new one. */
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &tracks[i];
		struct slot_state *p = &c->s[i];
		if (!tr->absorbed || p->id != tr->id || !p->last_dir)
			continue;
		for (int j = 0; j < TRACKER_MAX_TRACKS; j++)
			if (c->s[j].id == tr->absorbed && c->s[j].crossed && c->s[j].last_dir == p->last_dir)
				p->counted += c->s[j].counted;
	}
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &tracks[i];
		struct slot_state *st = &c->s[i];

		if (st->id != tr->id) {
			n += finish(c, st, out + n);
			*st = (struct slot_state){.id = tr->id, .isolated = true, .pieces = 1,
						  .parent = tr->parent};
		}
		/* A split-off piece is taken for an object once confirmed and
		 * clearly apart from the rest, or in file with it: a shadow or
		 * a limb that comes loose for a moment is not, nor are torso
		 * and legs going on side by side. A piece whose parent is gone
		 * stays a part. */
		if (tr->id && st->parent && tr->confirmed) {
			const struct track *p = find_track(tracks, st->parent);
			if (!p)
				st->parent = 0;
			else if (in_file(p, tr) || apart(p, tr)) {
				if (same_way(&c->line, p, tr) &&
				    (in_file(p, tr) || !one_above_other(p, tr)))
					n += split_from(c, st, tr, out + n);
				st->parent = 0;
			}
		}
		/* Coasting positions are guesses: an object that stopped or left
		 * must not be counted on a prediction. */
		if (!tr->id || !tr->updated)
			continue;
		st->hits = tr->hits;
		st->isolated = st->isolated && !tr->ever_grouped;
		if (tr->confirmed && !st->confirmed) {
			st->confirmed = true;
			st->speck_confirmed = tr->small;
			bump(&c->tracks_seen);
		}
		float x = tr->x, y = c->p.anchor == ANCHOR_BOTTOM ? tr->bottom : tr->y;
		float d = line_side(&c->line, x, y);
		float width = width_along(&c->line, tr);
		if (!tr->grouped && fabsf(d) < LEARN_BAND) {
			st->area_sum += tr->area;
			st->width_sum += width;
			st->length_sum += length_across(&c->line, tr);
			st->nsize++;
		}

		int side = d > c->p.band ? 1 : d < -c->p.band ? -1 : 0;
		if (side == 0) {
			st->in_band = st->in_band || st->start_side != 0;
			continue;
		}
		st->last_side = side;
		st->lx = x;
		st->ly = y;
		if (st->side == 0) {
			/* A first sliver at the picture's edge may lie off to
			 * one side of where the object is: one coming in right
			 * on the line shows its near edge first. The side it
			 * starts on waits for the track to be confirmed. */
			bool shifted;
			if (!tr->confirmed && side_unsure_at_edge(c, tr, side, &shifted)) {
				if (!shifted && !st->edge_side && fabsf(d) > EDGE_SLIVER_CLEAR * c->p.band) {
					st->edge_side = side;
					st->ex = x;
					st->ey = y;
				}
				continue;
			}
			if (st->edge_side != -side || !tr->confirmed) {
				st->side = st->start_side = side;
				st->sx = st->ax = x;
				st->sy = st->ay = y;
				continue;
			}
			/* Confirmed across the line from where its first sliver
			 * was: at a low frame rate one that came in at the edge
			 * on the line is over it before it is confirmed. An edge
			 * that runs across the line cuts what is seen along it,
			 * so the sliver's centre said its side; it starts there
			 * and this is its crossing. */
			st->side = st->start_side = st->edge_side;
			st->sx = st->ax = st->ex;
			st->sy = st->ay = st->ey;
		}
		if (st->side == side) {
			st->ax = x;
			st->ay = y;
			st->speck_over = false;
			continue;
		}
		/* Clearly changed sides. A speck not yet confirmed keeps its
		 * old side until it is known: confirmed while still a speck (a
		 * far object going steadily), its crossing counts; seen whole
		 * first, it was a scrap that jumped between blobs, which tells
		 * where an object came from, not that it crossed: it starts
		 * over on the side it is on then, and so does a speck going
		 * along beside an object. */
		if (tr->small && !tr->confirmed) {
			st->speck_over = true;
			continue;
		}
		if ((st->speck_over && !tr->small && !st->speck_confirmed) ||
		    (tr->small && beside_an_object(&c->line, tracks, tr))) {
			st->side = st->start_side = side;
			st->sx = st->ax = x;
			st->sy = st->ay = y;
			st->speck_over = false;
			continue;
		}
		/* An unconfirmed track keeps its old side, so the crossing is
		 * counted once it is confirmed. */
		if (!tr->confirmed)
			continue;
		/* Inside a group a member's position is a guess (two cars that
		 * pass each other in one blob seem to stall and drift back): a
		 * crossing back against the one it counted waits until it is
		 * seen on its own, where it is, and counts then if it holds. */
		if (tr->grouped && side == -st->last_dir)
			continue;
		/* A jump back, against its motion, to what was left of its blob
		 * after a part split off is no crossing: the track is now the
		 * part behind, on this side; what it counted before was the
		 * part in front (which is why that part, split_from, will not
		 * count it again). A change of side along its motion is a
		 * crossing like any other. */
		float ahead = line_side(&c->line, x + tr->vx, y + tr->vy) - d;
		if (tr->rebased && ahead * (float)side < 0.0f) {
			if (st->last_dir == -side)
				st->handed = st->last_dir;
			st->side = side;
			st->ax = x;
			st->ay = y;
			st->last_dir = 0;
			continue;
		}
		if (line_segment_crosses(&c->line, st->ax, st->ay, x, y)) {
			/* A blob counts as several objects only if it was never
			 * seen as separate ones: a group's members count for
			 * themselves. */
			int k = st->isolated ? objsize_multiple(&c->sizes, tr->area, width,
									   length_across(&c->line, tr)) : 1;
			st->last_dir = side;
			st->counted = k;
			st->crossed_area = tr->area;
			for (int j = 0; j < k; j++)
				out[n++] = (struct crossing){tr->id, side > 0 ? DIR_IN : DIR_OUT, k};
			st->crossed = true;
		}
		st->side = side;
		st->ax = x;
		st->ay = y;
		st->speck_over = false;
	}
	return n;
}
