#include "counter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct slot_state {
	uint32_t id;   /* track this state belongs to; 0 = none */
	int side;      /* -1 out side, +1 in side, 0 not yet clearly on either */
	float ax, ay;  /* last position clearly on that side */
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

void counter_destroy(struct counter *c)
{
	free(c);
}

/* Extent of a track's box along the line's direction. */
static float width_along(const struct line *l, const struct track *tr)
{
	float dx = l->bx - l->ax, dy = l->by - l->ay, len = hypotf(dx, dy);
	return (fabsf(dx) * tr->w + fabsf(dy) * tr->h) / len;
}

int counter_update(struct counter *c, const struct track *tracks, struct crossing *out)
{
	int n = 0;

	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &tracks[i];
		struct slot_state *st = &c->s[i];

		if (st->id != tr->id)
			*st = (struct slot_state){.id = tr->id};
		/* Coasting positions are guesses: an object that stopped or left
		 * must not be counted on a prediction. */
		if (!tr->id || !tr->updated)
			continue;

		float d = line_side(&c->line, tr->x, tr->y);
		int side = d > c->p.band ? 1 : d < -c->p.band ? -1 : 0;
		if (side == 0)
			continue;
		if (st->side == side || st->side == 0) {
			st->side = side;
			st->ax = tr->x;
			st->ay = tr->y;
			continue;
		}
		/* Clearly changed sides. An unconfirmed track keeps its old side,
		 * so the crossing is counted once it is confirmed. */
		if (!tr->confirmed)
			continue;
		if (line_segment_crosses(&c->line, st->ax, st->ay, tr->x, tr->y)) {
			float width = width_along(&c->line, tr);
			int k = objsize_multiple(&c->sizes, tr->area, width);
			if (k == 1)
				objsize_learn(&c->sizes, tr->area, width);
			while (k--)
				out[n++] = (struct crossing){tr->id, side > 0 ? DIR_IN : DIR_OUT};
		}
		st->side = side;
		st->ax = tr->x;
		st->ay = tr->y;
	}
	return n;
}
