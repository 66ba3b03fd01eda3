#include "counter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h> /* DEBUG-TRACE */
#include <stdlib.h> /* DEBUG-TRACE */

/* Size samples come from where the track is near the line, since that is
 * where the size is judged (perspective makes far objects small). */
#define LEARN_BAND 0.25f
#define LEARN_MIN_SAMPLES 2

struct slot_state {
	uint32_t id;      /* track this state belongs to; 0 = none */
	int side;         /* -1 out side, +1 in side, 0 not yet clearly on either */
	int start_side;   /* the first side it was clearly on */
	float sx, sy;     /* where it was first clearly on a side */
	float ax, ay;     /* last position clearly on its side */
	bool crossed;     /* a crossing of this track was counted */
	bool isolated;    /* never shared a blob with another track */
	int hits;
	float area_sum, width_sum, length_sum;
	int nsize;
};

struct counter {
	struct line line;
	struct counter_params p;
	struct slot_state s[TRACKER_MAX_TRACKS];
	struct objsize sizes;
};

int counter_create(const struct line *l, const struct counter_params *p, struct counter **out)
{
	struct counter *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->line = *l;
	c->p = *p;
	objsize_init(&c->sizes, p->object_area);
	*out = c;
	return 0;
}

void counter_reset_tracks(struct counter *c)
{
	memset(c->s, 0, sizeof(c->s));
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
}

void counter_destroy(struct counter *c)
{
	free(c);
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
		if (getenv("TS_TRACE")) fprintf(stderr, "LEARN T%u a=%.4f w=%.3f n=%d\n", st->id, st->area_sum / (float)st->nsize, st->width_sum / (float)st->nsize, st->nsize); /* DEBUG-TRACE */
		objsize_learn(&c->sizes, st->area_sum / (float)st->nsize,
			      st->width_sum / (float)st->nsize, st->length_sum / (float)st->nsize);
	}
	if (!st->crossed && st->start_side && st->side == -st->start_side && st->hits >= 2 &&
	    line_segment_crosses(&c->line, st->sx, st->sy, st->ax, st->ay))
		out[n++] = (struct crossing){st->id, st->side > 0 ? DIR_IN : DIR_OUT};
	*st = (struct slot_state){0};
	return n;
}

int counter_update(struct counter *c, const struct track *tracks, struct crossing *out)
{
	int n = 0;

	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &tracks[i];
		struct slot_state *st = &c->s[i];

		if (st->id != tr->id) {
			n += finish(c, st, out + n);
			*st = (struct slot_state){.id = tr->id, .isolated = true};
		}
		/* Coasting positions are guesses: an object that stopped or left
		 * must not be counted on a prediction. */
		if (!tr->id || !tr->updated)
			continue;
		st->hits = tr->hits;
		st->isolated = st->isolated && !tr->ever_grouped;
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
		if (side == 0)
			continue;
		if (st->side == 0) {
			st->side = st->start_side = side;
			st->sx = st->ax = x;
			st->sy = st->ay = y;
			continue;
		}
		if (st->side == side) {
			st->ax = x;
			st->ay = y;
			continue;
		}
		/* Clearly changed sides. An unconfirmed track keeps its old side,
		 * so the crossing is counted once it is confirmed. */
		if (!tr->confirmed)
			continue;
		if (line_segment_crosses(&c->line, st->ax, st->ay, x, y)) {
			/* A blob counts as several objects only if it was never
			 * seen as separate ones: a group's members count for
			 * themselves. */
			int k = st->isolated ? objsize_multiple(&c->sizes, tr->area, width,
									   length_across(&c->line, tr)) : 1;
			while (k--)
				out[n++] = (struct crossing){tr->id, side > 0 ? DIR_IN : DIR_OUT};
			st->crossed = true;
		}
		st->side = side;
		st->ax = x;
		st->ay = y;
	}
	return n;
}
