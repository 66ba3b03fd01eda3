#include "tracker.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define MAX_PAIRS (TRACKER_MAX_TRACKS * DETECT_MAX_BLOBS)
#define VELOCITY_SMOOTHING 0.5f

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
 * cross the whole frame in three or four frames. */
static float gate_for(const struct tracker *t, const struct track *tr)
{
	float speed = hypotf(tr->vx, tr->vy);
	if (tr->hits == 1)
		return 2.0f * t->p.gate + tr->size;
	return t->p.gate + 0.5f * tr->size + speed * (float)tr->missed;
}

const struct track *tracker_update(struct tracker *t, const struct blob *blobs, int n)
{
	bool blob_used[DETECT_MAX_BLOBS] = {false};
	int npairs = 0;

	if (n > DETECT_MAX_BLOBS)
		n = DETECT_MAX_BLOBS;
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
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

	for (int k = 0; k < npairs; k++) {
		struct track *tr = &t->tracks[t->pairs[k].track];
		const struct blob *b = &blobs[t->pairs[k].blob];
		if (tr->updated || blob_used[t->pairs[k].blob])
			continue;
		blob_used[t->pairs[k].blob] = true;
		/* Velocity over the frames since the last real observation. */
		float steps = (float)(tr->missed + 1);
		float vx = (b->cx - tr->x + tr->vx * (float)tr->missed) / steps;
		float vy = (b->cy - tr->y + tr->vy * (float)tr->missed) / steps;
		if (tr->hits == 1) {
			tr->vx = vx;
			tr->vy = vy;
		} else {
			tr->vx += VELOCITY_SMOOTHING * (vx - tr->vx);
			tr->vy += VELOCITY_SMOOTHING * (vy - tr->vy);
		}
		tr->x = b->cx;
		tr->y = b->cy;
		tr->size = hypotf(b->x1 - b->x0, b->y1 - b->y0);
		tr->hits++;
		tr->missed = 0;
		tr->updated = true;
		if (tr->hits >= t->p.confirm_hits)
			tr->confirmed = true;
	}

	/* Unmatched tracks coast on their prediction, then end. A track that
	 * never got confirmed ends at its first miss: it was probably noise. */
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		if (!tr->id || tr->updated)
			continue;
		tr->missed++;
		if (tr->missed > t->p.max_missed || !tr->confirmed) {
			*tr = (struct track){0};
			continue;
		}
		tr->x += tr->vx;
		tr->y += tr->vy;
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
		t->tracks[slot] = (struct track){
			.id = t->next_id++,
			.x = blobs[b].cx,
			.y = blobs[b].cy,
			.size = hypotf(blobs[b].x1 - blobs[b].x0, blobs[b].y1 - blobs[b].y0),
			.hits = 1,
			.updated = true,
			.confirmed = t->p.confirm_hits <= 1,
		};
	}
	return t->tracks;
}
