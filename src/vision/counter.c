#include "counter.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <stdlib.h>

struct slot_state {
	uint32_t id;   /* track this state belongs to; 0 = none */
	int side;      /* -1 out side, +1 in side, 0 not yet clearly on either */
	float ax, ay;  /* last position clearly on that side */
	float x, y;    /* last observed position */
	bool fresh;    /* no observation yet: may inherit an ended track's side */
};

/* A track that ended recently, clearly on one side: a track that starts
 * where it ended, soon after, is the same object (the tracker lost it for a
 * moment, often exactly while it stood on the line) and inherits its side. */
struct ended {
	int side;
	float ax, ay;   /* its last position clearly on that side */
	float x, y;     /* where it ended */
	uint64_t frame; /* when */
};

#define ENDED_MAX 16
#define INHERIT_FRAMES 30
#define INHERIT_DISTANCE 0.08f

struct counter {
	struct line line;
	struct counter_params p;
	struct slot_state s[TRACKER_MAX_TRACKS];
	struct ended ended[ENDED_MAX];
	int nended;
	uint64_t frame;
	struct objsize sizes;
};

static void remember_ended(struct counter *c, const struct slot_state *st)
{
	if (!st->id || !st->side)
		return;
	if (c->nended == ENDED_MAX) {
		memmove(&c->ended[0], &c->ended[1], sizeof(c->ended[0]) * (ENDED_MAX - 1));
		c->nended--;
	}
	c->ended[c->nended++] = (struct ended){st->side, st->ax, st->ay, st->x, st->y, c->frame};
}

/* Hands the side of the nearest recently ended track near (x, y) to st. */
static void inherit_side(struct counter *c, struct slot_state *st, float x, float y)
{
	int best = -1;
	float best_d = INHERIT_DISTANCE;

	for (int i = 0; i < c->nended; i++) {
		float d = hypotf(c->ended[i].x - x, c->ended[i].y - y);
		if (c->frame - c->ended[i].frame <= INHERIT_FRAMES && d <= best_d) {
			best = i;
			best_d = d;
		}
	}
	if (best < 0)
		return;
	st->side = c->ended[best].side;
	st->ax = c->ended[best].ax;
	st->ay = c->ended[best].ay;
	c->ended[best] = c->ended[--c->nended];
}

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
	/* Not remember_ended: the gap may be any length, and counter_update
	 * counts frames it was given, not time, so an ended track from before
	 * it would still look recent. */
	memset(c->s, 0, sizeof(c->s));
	c->nended = 0;
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

	c->frame++;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &tracks[i];
		struct slot_state *st = &c->s[i];

		if (st->id != tr->id) {
			remember_ended(c, st);
			*st = (struct slot_state){.id = tr->id, .fresh = true};
		}
		/* Coasting positions are guesses: an object that stopped or left
		 * must not be counted on a prediction. */
		if (!tr->id || !tr->updated)
			continue;
		if (st->fresh) {
			st->fresh = false;
			inherit_side(c, st, tr->x, tr->y);
		}
		st->x = tr->x;
		st->y = tr->y;

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
