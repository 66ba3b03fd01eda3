#include "tracker.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS (TRACKER_MAX_TRACKS * DETECT_MAX_BLOBS)
#define VELOCITY_SMOOTHING 0.5f
#define COAST_DAMPING 0.8f
#define FRAGMENT_MAX_RATIO 0.5f
#define TENTATIVE_MAX_GROWTH 3.0f
#define BOX_SMOOTHING 0.3f

/* What a track saw this frame: one blob, or a blob and its fragments. */
struct obs {
	float x0, y0, x1, y1;
	float sx, sy, area; /* area-weighted centroid sums */
};

struct pair {
	float dist;
	int16_t track, blob;
};

struct tracker {
	struct tracker_params p;
	uint32_t next_id;
	struct track tracks[TRACKER_MAX_TRACKS];
	struct pair pairs[MAX_PAIRS];
};

int tracker_create(const struct tracker_params *p, struct tracker **out)
{
	struct tracker *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->p = *p;
	t->next_id = 1;
	*out = t;
	return 0;
}

void tracker_reset(struct tracker *t)
{
	memset(t->tracks, 0, sizeof(t->tracks));
}

void tracker_destroy(struct tracker *t)
{
	free(t);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *pa = a, *pb = b;
	if (pa->dist != pb->dist)
		return pa->dist < pb->dist ? -1 : 1;
	/* Ties broken by index so the result never depends on qsort's order. */
	if (pa->track != pb->track)
		return pa->track - pb->track;
	return pa->blob - pb->blob;
}

/* The gate grows with the object's own size and speed: a large or fast object
 * legitimately moves further between frames than a small slow one. A track
 * seen once has no velocity yet, so its gate is wider: a fast mover may
 * cross the whole frame in three or four frames. Coasting widens the gate a
 * little, never without bound: a lost track must not grab whatever blob
 * appears on the far side of the frame. */
static float gate_for(const struct tracker *t, const struct track *tr)
{
	float speed = hypotf(tr->vx, tr->vy);
	if (tr->hits == 1)
		return 2.0f * t->p.gate + tr->size;
	return t->p.gate + 0.5f * tr->size + speed * (float)(tr->missed < 2 ? tr->missed : 2);
}

/* A smaller blob whose centre lies inside a matched track's box (a little
 * enlarged) is a fragment of that object: a body split by a low-contrast
 * band, legs apart from the torso. It joins the track's observation instead
 * of starting a track of its own that could later be counted. */
static bool is_fragment(const struct track *tr, const struct obs *o, const struct blob *b)
{
	return b->area < FRAGMENT_MAX_RATIO * o->area && fabsf(b->cx - tr->x) <= 0.6f * tr->w &&
	       fabsf(b->cy - tr->y) <= 0.6f * tr->h;
}

static void observe(struct track *tr, const struct obs *o)
{
	float cx = o->sx / o->area, cy = o->sy / o->area;
	/* Velocity over the frames since the last real observation. */
	float steps = (float)(tr->missed + 1);
	float vx = (cx - tr->x + tr->vx * (float)tr->missed) / steps;
	float vy = (cy - tr->y + tr->vy * (float)tr->missed) / steps;
	if (tr->hits == 1) {
		tr->vx = vx;
		tr->vy = vy;
	} else {
		tr->vx += VELOCITY_SMOOTHING * (vx - tr->vx);
		tr->vy += VELOCITY_SMOOTHING * (vy - tr->vy);
	}
	tr->x = cx;
	tr->y = cy;
	/* The box follows slowly: a body split in two for a frame or two keeps
	 * the box that makes the other half a fragment. */
	tr->w += BOX_SMOOTHING * (o->x1 - o->x0 - tr->w);
	tr->h += BOX_SMOOTHING * (o->y1 - o->y0 - tr->h);
	tr->size = hypotf(tr->w, tr->h);
	tr->area = o->area;
	tr->hits++;
	tr->missed = 0;
	tr->updated = true;
}

static void obs_add(struct obs *o, const struct blob *b)
{
	if (o->area == 0.0f) {
		*o = (struct obs){.x0 = b->x0, .y0 = b->y0, .x1 = b->x1, .y1 = b->y1};
	} else {
		o->x0 = fminf(o->x0, b->x0);
		o->y0 = fminf(o->y0, b->y0);
		o->x1 = fmaxf(o->x1, b->x1);
		o->y1 = fmaxf(o->y1, b->y1);
	}
	o->sx += b->cx * b->area;
	o->sy += b->cy * b->area;
	o->area += b->area;
}

/* Greedy one-to-one assignment over the sorted pairs, for confirmed or for
 * tentative tracks. A tentative track only takes a blob of about its own
 * size: noise does not grow tenfold in one frame, a fragment of a body does. */
static void assign(struct tracker *t, const struct blob *blobs, struct obs *obs, bool *blob_used,
		   int npairs, bool confirmed)
{
	for (int k = 0; k < npairs; k++) {
		int i = t->pairs[k].track, b = t->pairs[k].blob;
		const struct track *tr = &t->tracks[i];
		if (tr->confirmed != confirmed || obs[i].area > 0.0f || blob_used[b])
			continue;
		if (!confirmed && (blobs[b].area > TENTATIVE_MAX_GROWTH * tr->area ||
				   tr->area > TENTATIVE_MAX_GROWTH * blobs[b].area))
			continue;
		blob_used[b] = true;
		obs_add(&obs[i], &blobs[b]);
	}
}

const struct track *tracker_update(struct tracker *t, const struct blob *blobs, int n)
{
	bool blob_used[DETECT_MAX_BLOBS] = {false};
	struct obs obs[TRACKER_MAX_TRACKS];
	int npairs = 0;

	if (n > DETECT_MAX_BLOBS)
		n = DETECT_MAX_BLOBS;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		obs[i] = (struct obs){0};
		if (!tr->id)
			continue;
		tr->updated = false;
		float px = tr->x + tr->vx, py = tr->y + tr->vy;
		float gate = gate_for(t, tr);
		for (int b = 0; b < n; b++) {
			float d = hypotf(blobs[b].cx - px, blobs[b].cy - py);
			if (d <= gate)
				t->pairs[npairs++] = (struct pair){d, (int16_t)i, (int16_t)b};
		}
	}
	qsort(t->pairs, (size_t)npairs, sizeof(t->pairs[0]), pair_cmp);

	/* Established tracks choose first, one blob each, nearest pairs first;
	 * then fragments join them; only then may tentative tracks take what
	 * is left. Otherwise a speck's fresh track could grab a piece of a
	 * passing body on the far side of the line. */
	assign(t, blobs, obs, blob_used, npairs, true);
	for (int b = 0; b < n; b++) {
		if (blob_used[b])
			continue;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			struct track *tr = &t->tracks[i];
			if (tr->id && tr->confirmed && obs[i].area > 0.0f &&
			    is_fragment(tr, &obs[i], &blobs[b])) {
				obs_add(&obs[i], &blobs[b]);
				blob_used[b] = true;
				break;
			}
		}
	}
	assign(t, blobs, obs, blob_used, npairs, false);

	/* Matched tracks take their observation; the others coast on their
	 * prediction, slowing down, then end. A track that never got confirmed
	 * ends at its first miss: it was probably noise. */
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		if (!tr->id)
			continue;
		if (obs[i].area > 0.0f) {
			observe(tr, &obs[i]);
			if (tr->hits >= t->p.confirm_hits)
				tr->confirmed = true;
			continue;
		}
		tr->missed++;
		if (tr->missed > t->p.max_missed || !tr->confirmed) {
			*tr = (struct track){0};
			continue;
		}
		tr->x += tr->vx;
		tr->y += tr->vy;
		tr->vx *= COAST_DAMPING;
		tr->vy *= COAST_DAMPING;
	}

	for (int b = 0; b < n; b++) {
		if (blob_used[b])
			continue;
		int slot = -1;
		for (int i = 0; i < TRACKER_MAX_TRACKS && slot < 0; i++)
			if (!t->tracks[i].id)
				slot = i;
		if (slot < 0)
			break;
		const struct blob *bl = &blobs[b];
		t->tracks[slot] = (struct track){
			.id = t->next_id++,
			.x = bl->cx,
			.y = bl->cy,
			.w = bl->x1 - bl->x0,
			.h = bl->y1 - bl->y0,
			.size = hypotf(bl->x1 - bl->x0, bl->y1 - bl->y0),
			.area = bl->area,
			.hits = 1,
			.updated = true,
			.confirmed = t->p.confirm_hits <= 1,
		};
	}
	return t->tracks;
}
