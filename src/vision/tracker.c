/* Tracking by detection, SORT-style, on normalised coordinates: a Kalman
 * filter per track, Hungarian assignment, then the two cases a blob
 * detector forces on top: fragments (one object seen as several blobs) and
 * groups (several objects seen as one blob). Called from one inference
 * thread; no locks, no allocation after create. */
#include "tracker.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assign.h"

#define INFEASIBLE 1e6f
#define GATE_MIN 0.05f           /* gate of a track sure of where it is, plus half its size */
#define TENTATIVE_PENALTY 1.0f   /* confirmed tracks win a blob over tentative ones */
#define TENTATIVE_MAX_GROWTH 3.0f
#define MAX_GROWTH 4.0f
#define FRAGMENT_MAX_RATIO 0.5f
#define BOX_REACH 0.6f          /* a track's box, a little enlarged: 0.6 of its size from its centre */
/* Or under this share of one object, where its size is known: a dark body
 * on a floor of its own shade falls apart into pieces of a like size (head,
 * arms, the edges of a coat), none of them half another, each far under
 * one object (0.07-0.21 of one in overhead-dark drawn from seed 2); two
 * people parting are one object each. The same share says whether a track
 * was an object once (its peak) and whether it is seen only in part now. */
#define FRAGMENT_OF_ONE 0.5f
/* The box size is a random walk: its variance grows by SIZE_WALK (in units
 * of one measurement's variance) per second unobserved, so a size seen
 * every frame at 25 fps moves 0.3 of the way to each new measurement, more
 * at a lower rate or after a gap, less at a higher rate. */
#define SIZE_WALK 3.2f
/* A track seen only in small blobs is confirmed after this many times the
 * usual hits, if it has gone more than its own size meanwhile: a motorbike
 * far off is small all the way to the line; a speck that stays put, or a
 * scrap that flickers, is not an object. */
#define SMALL_CONFIRM 3
/* At a low frame rate that many hits take too long (a motorbike at 8 fps
 * is across the line first): the usual hits over as long as nine take at
 * 25 fps do too. */
#define SMALL_CONFIRM_SECONDS 0.35
/* A faint blob (a quarter to a half of the object size) starts a track, a
 * small one, only clear of every track by twice that track's size: far
 * off, a motorbike's blob flickers under half the object size all the way
 * to the line; beside a person it is a scrap of them (1.5 let such scraps
 * start tracks that counted on four real probes). */
#define FAINT_CLEAR 2.0f
/* Unless it is in file with a moving, whole track: at least this many
 * times as far along its way as across it (the ratio the queue rules use
 * for "along a lane"), and clear of its box along the way. */
#define IN_FILE_ALONG 2.0f
#define MOVING_MIN_SPEED 0.02f /* normalised units per second: the way a track goes is known */
#define SMALL_PART 0.3f        /* a small blob this share of a track's area may be it, seen in part */
#define ACCEL_NOISE 0.05f        /* process noise: acceleration spectral density, 1/s^3 */
#define VEL_INIT_VAR 1.0f        /* a new track's speed is unknown: up to ~1 frame/s */
#define STACK_OVERLAP 0.5f       /* parts one above the other overlap this much in x */
#define STACK_GAP 0.3f           /* with a gap at most this share of the shorter one */
#define STACK_GAP_WHOLE 0.2f     /* or of the two together: a railing hides a band of a body */
#define SIDEWAYS_RATIO 1.0f      /* going sideways: |vx| above |vy| */
#define SIDEWAYS_MIN_SPEED 0.02f /* normalised units per second */
#define SPEED_AGREEMENT 0.3f     /* parts of one body move at speeds this close */
#define GROUP_VELOCITY_TAU 0.25f /* seconds for a member's speed to become the group's */
#define PASS_KNOWN 0.5           /* seconds tracked before a group: its speed is known */
#define SPLIT_SHRINK 0.75f       /* a track whose blob shrank below this share split */
#define SPLIT_REACH 0.3f         /* and the part that went has its centre this far out of its box, at most */
#define GROUP_MIN_COVER 0.6f     /* a group's blob holds this share of its members' areas */
#define GROUP_MIN_RATIO 0.4f     /* members' areas are within 2.5x of each other */
#define GROUP_GROWTH 1.2f        /* and is larger than any one member */
/* Members of a group lost from sight together (behind a pillar, a van)
 * are still a group when one of them is found again (McKenna et al. 2000
 * track the group as a whole): the others, still hidden, coast for up to
 * MATE_COAST times the usual time while it is seen, and join its blob as
 * soon as the blob holds room for them as they were, wherever their own
 * predictions are: made from a blob the pillar ate into as they went
 * behind it, those lag behind. */
#define MATE_COAST 2.0f
/* So is one lost from sight alone within MATE_RECENT seconds of being in
 * a group, while its mate stays in view, if the two were once seen side
 * by side (two objects, not the torso and legs of one): a dark coat
 * passing a dark pillar just after the pair's blob came apart. It joins
 * the mate's blob by the group's rules, or once the blob has room for the
 * two as they were. */
#define MATE_RECENT 0.2f
/* Two tracks whose boxes were once side by side this share of the wider
 * one's width apart were two objects then: a smaller one that later walks into the
 * other's blob is a partner, not a fragment of it (a child beside a
 * parent), down to this share of the other's area (under it, a scrap).
 * One that was first seen beside an object already there (within
 * BESIDE of its size from its centre) must have been apart from it for
 * APART_SECONDS in all: the arm of a dark person seen from above is found
 * beside the body as it comes in, apart for a few frames as it swings
 * out, and then rejoins it. */
#define APART_GAP 0.5f
#define APART_MIN_RATIO 0.2f
#define BESIDE 1.5f
#define APART_SECONDS 0.5f
/* A track has gone along a queue's length if, since it was first seen, it
 * moved along it this many times as far as across, and twice its own width:
 * cars in a lane, not the legs of someone standing up from a chair, whose
 * blob grows upward for a moment. */
#define QUEUE_ALONG 2.0f
#define QUEUE_ALONG_WIDTHS 2.0f
/* A piece that split off a track and is back in its blob within
 * HEAL_SECONDS, never clear of it across the picture, was that track seen
 * in two for a moment (a shadow coming loose from its caster, a band of
 * the object the floor's colour after an exposure step): it ends as a
 * part of its parent. Not in a lane of cars nose to tail, whose cuts the
 * queue rules keep. */
#define HEAL_SECONDS 0.5
/* A queue is first cut where one track had the whole of it as its blob. */
#define QUEUE_WHOLE 0.7f

/* One axis of a constant-velocity Kalman filter. */
struct kf1 {
	float p, v;           /* position, velocity */
	float pp, pv, vv;     /* covariance */
};

struct track_state {
	struct kf1 kx, ky;
	float size_var;       /* of the box size, in units of one measurement's variance */
	double last_seen;
	float x0, y0;         /* where it was first seen (moved with a rebase) */
	double born;          /* and when */
	float group_peak;     /* its group's largest blob so far; 0: not in a group */
	float peak_area;      /* the largest it was seen */
	float own_area;       /* its area when it joined the group */
	float rejoin_blob;    /* the blob its group was found again in, after a pillar; 0: none */
	uint64_t mates;       /* bit j: the track in slot j shared its blob when last in a group */
	double grouped_at;    /* when it was last in a group */
	double group_from;    /* when its current group began */
	double gap_from;      /* last seen before its latest gap, if it coasted */
	float apart[TRACKER_MAX_TRACKS]; /* seconds seen clearly apart from the track in slot j */
	bool born_beside;     /* first seen beside a larger confirmed track */
	bool queued;          /* in a queue of objects nose to tail, cut apart */
};

/* What a track saw this frame: one blob, or a blob and its fragments. */
struct obs {
	float x0, y0, x1, y1;
	float sx, sy, area; /* area-weighted centroid sums */
	bool small;         /* made of small blobs only */
};

struct tracker {
	struct tracker_params p;
	uint32_t next_id;
	float object_area;    /* one object's, as learnt; 0: not known */
	float object_extent;  /* and its larger extent */
	double t_last;
	bool started;
	struct track tracks[TRACKER_MAX_TRACKS];
	struct track_state st[TRACKER_MAX_TRACKS];
	struct assign_work work;
	float cost[TRACKER_MAX_TRACKS * DETECT_MAX_BLOBS];
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

void tracker_set_object_size(struct tracker *t, float area, float extent)
{
	t->object_area = area > 0.0f ? area : 0.0f;
	t->object_extent = extent > 0.0f ? extent : 0.0f;
}

void tracker_destroy(struct tracker *t)
{
	free(t);
}

void tracker_reset(struct tracker *t)
{
	memset(t->tracks, 0, sizeof(t->tracks));
	memset(t->st, 0, sizeof(t->st));
}

static void kf_init(struct kf1 *k, float pos, float r)
{
	*k = (struct kf1){.p = pos, .pp = r, .vv = VEL_INIT_VAR};
}

static void kf_predict(struct kf1 *k, float dt)
{
	float q = ACCEL_NOISE;
	k->p += k->v * dt;
	k->pp += dt * (2.0f * k->pv + dt * k->vv) + q * dt * dt * dt / 3.0f;
	k->pv += dt * k->vv + q * dt * dt / 2.0f;
	k->vv += q * dt;
}

static void kf_update(struct kf1 *k, float z, float r)
{
	float s = k->pp + r, gp = k->pp / s, gv = k->pv / s, e = z - k->p;
	k->p += gp * e;
	k->v += gv * e;
	float pp = (1.0f - gp) * k->pp, pv = (1.0f - gp) * k->pv, vv = k->vv - gv * k->pv;
	k->pp = pp;
	k->pv = pv;
	k->vv = vv;
}

/* Measurement noise of a centroid: blobs of big objects wobble more. */
static float meas_var(const struct track *tr)
{
	float sd = 0.003f + 0.03f * fmaxf(tr->w, tr->h);
	return sd * sd;
}

static float box_iou(float ax0, float ay0, float ax1, float ay1, const struct blob *b)
{
	float ix = fminf(ax1, b->x1) - fmaxf(ax0, b->x0), iy = fminf(ay1, b->y1) - fmaxf(ay0, b->y0);
	if (ix <= 0 || iy <= 0)
		return 0.0f;
	float inter = ix * iy;
	float uni = (ax1 - ax0) * (ay1 - ay0) + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
	return uni > 0 ? inter / uni : 0.0f;
}

/* The gate grows with the object's size and its position uncertainty: a
 * large or fast object legitimately moves further between frames, a track
 * that has coasted is less sure where it is. Never without bound: a lost
 * track must not grab whatever appears on the far side of the frame. */
static float gate_for(const struct tracker *t, const struct track *tr, const struct track_state *s)
{
	float size = hypotf(tr->w, tr->h);
	float unc = 3.0f * sqrtf(s->kx.pp + s->ky.pp);
	return fminf(GATE_MIN + 0.5f * size + unc, t->p.gate + size);
}

/* Whether track i is lost from sight just after being in a group: its
 * area then is the group's share, faded with it, not its own. */
static bool lost_from_a_group(const struct tracker *t, int i)
{
	const struct track_state *s = &t->st[i];
	return t->tracks[i].missed > 0 && s->last_seen - s->grouped_at <= MATE_RECENT;
}

static float pair_cost(const struct tracker *t, int i, const struct blob *b)
{
	const struct track *tr = &t->tracks[i];
	const struct track_state *s = &t->st[i];
	float dist = hypotf(b->cx - tr->x, b->cy - tr->y);
	float iou = box_iou(tr->x - tr->w / 2, tr->y - tr->h / 2, tr->x + tr->w / 2,
			    tr->y + tr->h / 2, b);
	float gate = gate_for(t, tr, s);
	if (dist > gate && iou <= 0.0f)
		return INFEASIBLE;
	/* A track only takes a blob of about its own size: no object grows
	 * fourfold in one frame (a blob that holds it and another is a group,
	 * below), and a tentative track, likely noise, even less. */
	/* A track that was an object does not shrink into a speck, unless
	 * the speck is where it is predicted and not much smaller: a faint
	 * object (dark on dark, low contrast) seen only in part this frame. */
	if (b->small && !tr->small &&
	    (b->area < SMALL_PART * tr->area || dist > 0.5f * fmaxf(tr->w, tr->h)))
		return INFEASIBLE;
	/* A faint blob only keeps a track small all its life: a far object
	 * at the edge of detection flickers under the small size, and a
	 * track that is not confirmed ends at its first miss. */
	if (b->faint && !tr->small)
		return INFEASIBLE;
	/* A group that faded (going behind something, away into the
	 * distance) and was lost from sight may be seen whole again where it
	 * is predicted: a member takes a blob up to the size it had when it
	 * joined. */
	float whole = tr->area;
	if (lost_from_a_group(t, i) && dist <= fmaxf(tr->w, tr->h))
		whole = fmaxf(whole, s->own_area);
	float growth = tr->confirmed ? MAX_GROWTH : TENTATIVE_MAX_GROWTH;
	if (b->area > growth * whole || tr->area > growth * b->area)
		return INFEASIBLE;
	return (1.0f - iou) + fminf(dist / gate, 1.0f) + (tr->confirmed ? 0.0f : TENTATIVE_PENALTY);
}

/* Whether track i, not a speck, was at least half an object once, so that
 * what is under half of one may be a part of it. */
static bool was_an_object(const struct tracker *t, int i)
{
	return !t->tracks[i].small && t->st[i].peak_area >= FRAGMENT_OF_ONE * t->object_area;
}

/* Whether a blob's centre lies inside a track's box, a little enlarged
 * (the box is filtered: it lags a growing object). */
static bool inside_box(const struct track *tr, const struct blob *b)
{
	return fabsf(b->cx - tr->x) <= BOX_REACH * tr->w && fabsf(b->cy - tr->y) <= BOX_REACH * tr->h;
}

/* A smaller blob whose centre lies inside a matched track's box (a little
 * enlarged) is a fragment of that object: a body split by a railing, legs
 * apart from the torso, a bag. It joins the track's observation instead of
 * starting a track of its own that could later be counted. */
static bool is_fragment(const struct tracker *t, int i, const struct obs *o, const struct blob *b)
{
	const struct track *tr = &t->tracks[i];
	/* A speck's track takes no part of one: it may be a far object of
	 * its own; a piece of a body (a head, a leg) may. */
	bool part_of_one = b->area < FRAGMENT_OF_ONE * t->object_area && !tr->small;
	if (b->area >= FRAGMENT_MAX_RATIO * o->area && !part_of_one)
		return false;
	if (inside_box(tr, b))
		return true;
	/* Or inside the blob it took this frame, which may have outgrown the
	 * track's box: someone who sat still stands up and walks off, and the
	 * legs show below the box the torso had. */
	return b->cx >= o->x0 && b->cx <= o->x1 && b->cy >= o->y0 && b->cy <= o->y1;
}

/* How near fragment f lies to what a track has seen this frame (its blob
 * and the parts that joined it so far, largest first): the gap between the
 * boxes, and the distance between the centres, each over the track's size.
 * Touching or overlapping boxes have no gap; the centres then tell. What
 * has joined counts: a body whose legs joined it claims its feet next. */
static void fragment_gap(const struct track *tr, const struct obs *o, const struct blob *f,
			 float *gap, float *dist)
{
	float w = fmaxf(tr->w, FLT_EPSILON), h = fmaxf(tr->h, FLT_EPSILON);
	float gx = fmaxf(0.0f, fmaxf(o->x0 - f->x1, f->x0 - o->x1)) / w;
	float gy = fmaxf(0.0f, fmaxf(o->y0 - f->y1, f->y0 - o->y1)) / h;
	*gap = gx + gy;
	*dist = hypotf((f->cx - o->sx / o->area) / w, (f->cy - o->sy / o->area) / h);
}

/* Whether boxes a and b are parts of one upright body cut across by
 * something the colour of the background (a railing, a counter, a belt):
 * one above the other, overlapping in x, with a gap small against their
 * own heights. */
static bool stacked(float ax0, float ay0, float ax1, float ay1, float bx0, float by0, float bx1,
		    float by1)
{
	float ox = fminf(ax1, bx1) - fmaxf(ax0, bx0);
	float wmin = fminf(ax1 - ax0, bx1 - bx0);
	float gap = fmaxf(ay0, by0) - fminf(ay1, by1);
	float hmin = fminf(ay1 - ay0, by1 - by0);
	float whole = fmaxf(ay1, by1) - fminf(ay0, by0);
	return ox >= STACK_OVERLAP * wmin &&
	       gap <= fmaxf(STACK_GAP * hmin, STACK_GAP_WHOLE * whole);
}

/* Only for an object going sideways: things moving up or down the picture
 * one above the other are a queue or cars nose to tail, not one body. */
static bool moves_sideways(const struct track *tr)
{
	return fabsf(tr->vx) > SIDEWAYS_RATIO * fabsf(tr->vy) && fabsf(tr->vx) > SIDEWAYS_MIN_SPEED;
}

static bool is_stacked_part(const struct track *tr, const struct obs *o, const struct blob *b)
{
	return moves_sideways(tr) && stacked(o->x0, o->y0, o->x1, o->y1, b->x0, b->y0, b->x1, b->y1);
}

static void obs_add(struct obs *o, const struct blob *b)
{
	if (o->area == 0.0f) {
		*o = (struct obs){.x0 = b->x0, .y0 = b->y0, .x1 = b->x1, .y1 = b->y1, .small = b->small};
	} else {
		o->small = o->small && b->small;
		o->x0 = fminf(o->x0, b->x0);
		o->y0 = fminf(o->y0, b->y0);
		o->x1 = fmaxf(o->x1, b->x1);
		o->y1 = fmaxf(o->y1, b->y1);
	}
	o->sx += b->cx * b->area;
	o->sy += b->cy * b->area;
	o->area += b->area;
}

static void sync_track(struct track *tr, const struct track_state *s)
{
	tr->x = s->kx.p;
	tr->y = s->ky.p;
	tr->vx = s->kx.v;
	tr->vy = s->ky.v;
	tr->bottom = tr->y + tr->h / 2;
}

/* A track seen again after coasting: when and where it was lost. */
static void note_gap(const struct track *tr, struct track_state *s)
{
	if (tr->missed > 0)
		s->gap_from = s->last_seen;
}

static void observe(struct tracker *t, int i, const struct obs *o, double now)
{
	struct track *tr = &t->tracks[i];
	struct track_state *s = &t->st[i];
	float r = meas_var(tr);

	kf_update(&s->kx, o->sx / o->area, r);
	kf_update(&s->ky, o->sy / o->area, r);
	/* The size's Kalman step: predicted variance, gain, update. */
	float pv = s->size_var + SIZE_WALK * (float)(now - s->last_seen);
	float gain = pv / (pv + 1.0f);
	tr->w += gain * (o->x1 - o->x0 - tr->w);
	tr->h += gain * (o->y1 - o->y0 - tr->h);
	s->size_var = (1.0f - gain) * pv;
	tr->area = o->area;
	s->peak_area = fmaxf(s->peak_area, o->area);
	note_gap(tr, s);
	s->rejoin_blob = 0.0f;
	tr->hits++;
	tr->missed = 0;
	tr->updated = true;
	tr->small = tr->small && o->small;
	if (tr->hits >= t->p.confirm_hits && !tr->small)
		tr->confirmed = true;
	else if ((tr->hits >= SMALL_CONFIRM * t->p.confirm_hits ||
		  (tr->hits >= t->p.confirm_hits && now - s->born >= SMALL_CONFIRM_SECONDS)) &&
		 hypotf(s->kx.p - s->x0, s->ky.p - s->y0) > fmaxf(tr->w, tr->h))
		tr->confirmed = true;
	s->last_seen = now;
	sync_track(tr, s);
}

/* The members of a group share one blob: each keeps its own prediction,
 * the group as a whole follows the blob (the members' mean prediction is
 * moved onto the blob's centroid), each stays inside the blob's box, and
 * no size is learnt from a blob that is not one object. */
/* Whether a group member was tracked on its own for PASS_KNOWN seconds
 * before its group began. */
static bool speed_known(const struct track_state *s, double now)
{
	double began = s->group_peak == 0.0f ? now : s->group_from;
	return began - s->born >= PASS_KNOWN;
}

static void observe_group(struct tracker *t, const int *members, int k, const struct blob *b,
			  double now, float dt)
{
	/* Where the members' predictions put the blob's centre: each
	 * member's box cut by the picture's edges, counted for the share of
	 * it that shows there (a car half out of the picture is half of
	 * what the blob holds, around the half that shows). */
	float mx = 0, my = 0, seen = 0;
	for (int m = 0; m < k; m++) {
		const struct track *tr = &t->tracks[members[m]];
		float x0 = fmaxf(tr->x - tr->w / 2, 0.0f), x1 = fminf(tr->x + tr->w / 2, 1.0f);
		float y0 = fmaxf(tr->y - tr->h / 2, 0.0f), y1 = fminf(tr->y + tr->h / 2, 1.0f);
		float share = x1 > x0 && y1 > y0 && tr->w > 0 && tr->h > 0 ?
				      (x1 - x0) * (y1 - y0) / (tr->w * tr->h) : 0.0f;
		mx += share * (x0 + x1) / 2;
		my += share * (y0 + y1) / 2;
		seen += share;
	}
	if (seen <= 0.0f)
		return;
	float ox = b->cx - mx / seen, oy = b->cy - my / seen;
	/* A blob cut by the picture's edge does not bound its members on
	 * that side: one going out must be free to leave. */
	float bx0 = b->x0 > 0.0f ? b->x0 : -INFINITY, bx1 = b->x1 < 1.0f ? b->x1 : INFINITY;
	float by0 = b->y0 > 0.0f ? b->y0 : -INFINITY, by1 = b->y1 < 1.0f ? b->y1 : INFINITY;
	/* Inside one blob the members' own speeds cannot be measured, only
	 * the group's: each member's speed moves toward the group's mean, so
	 * two who walk on together do not drift through each other (and swap
	 * sides) on their old speeds, while two who merely pass keep most of
	 * theirs. */
	float gvx = 0, gvy = 0, pull = 1.0f - expf(-dt / GROUP_VELOCITY_TAU);
	for (int m = 0; m < k; m++) {
		gvx += t->st[members[m]].kx.v / (float)k;
		gvy += t->st[members[m]].ky.v / (float)k;
	}
	/* Two going against each other are passing, not walking on
	 * together: they keep their own speeds (pulled to the mean, each
	 * would be carried back the way the other goes). Speeds known, that
	 * is: tracked on their own for PASS_KNOWN seconds first (a new
	 * track's first speed is noise). */
	for (int m = 0; m < k; m++)
		for (int n = m + 1; n < k; n++) {
			const struct track *a = &t->tracks[members[m]], *c = &t->tracks[members[n]];
			if (a->vx * c->vx + a->vy * c->vy < 0.0f &&
			    hypotf(a->vx, a->vy) > SIDEWAYS_MIN_SPEED &&
			    hypotf(c->vx, c->vy) > SIDEWAYS_MIN_SPEED &&
			    speed_known(&t->st[members[m]], now) && speed_known(&t->st[members[n]], now))
				pull = 0.0f;
		}
	for (int m = 0; m < k; m++) {
		struct track_state *s = &t->st[members[m]];
		s->kx.v += pull * (gvx - s->kx.v);
		s->ky.v += pull * (gvy - s->ky.v);
	}
	for (int m = 0; m < k; m++) {
		int i = members[m];
		struct track *tr = &t->tracks[i];
		struct track_state *s = &t->st[i];
		/* A member's own area cannot be measured in the group, but it
		 * shrinks as the group's does (cars going away grow smaller,
		 * one leaving the picture takes its part out): kept in
		 * proportion, so the group's tests next frame compare like with
		 * like. Against the group's largest blob, so a blob that only
		 * wavers does not wear the areas down; and never larger than
		 * when it joined: a group that grows may be a part of one
		 * member coming into view, which must stay a part. */
		if (s->group_peak == 0.0f) {
			s->group_from = now;
			s->own_area = tr->area;
			if (s->rejoin_blob > 0.0f)
				s->rejoin_blob = b->area;
		}
		s->group_peak = fmaxf(s->group_peak, b->area);
		/* A group found again after a pillar grows as it comes out
		 * from behind it, and on: its members with it. */
		if (s->rejoin_blob > 0.0f)
			tr->area = s->own_area * b->area / s->rejoin_blob;
		else
			tr->area = s->own_area * b->area / s->group_peak;
		s->mates = 0;
		s->grouped_at = now;
		for (int o = 0; o < k; o++)
			if (o != m)
				s->mates |= UINT64_C(1) << members[o];
		float zx = fminf(fmaxf(tr->x + ox, bx0), bx1);
		float zy = fminf(fmaxf(tr->y + oy, by0), by1);
		float r = 4.0f * meas_var(tr);
		kf_update(&s->kx, zx, r);
		kf_update(&s->ky, zy, r);
		note_gap(tr, s);
		tr->hits++;
		tr->missed = 0;
		tr->updated = true;
		tr->grouped = true;
		tr->ever_grouped = true;
		if (tr->hits >= t->p.confirm_hits)
			tr->confirmed = true;
		s->last_seen = now;
		sync_track(tr, s);
	}
}

enum join { JOIN_NONE, JOIN_GROUP, JOIN_FRAGMENT };

/* What a confirmed track left without a blob is to blob b, which track own
 * took: nothing, unless b covers its predicted centre. Then a second
 * object merged with own's when the two are of comparable size and b is
 * big enough for all of its members; or, when one of the two is much
 * smaller, a fragment of the same object rejoining it (an arm, a head,
 * found as separate blobs while the body came into view), not an object
 * of its own. */
static enum join joins(const struct track *tr, const struct track *own, const struct blob *b,
		       float members_area, bool apart)
{
	float mx = 0.25f * tr->w, my = 0.25f * tr->h;
	if (tr->x < b->x0 - mx || tr->x > b->x1 + mx || tr->y < b->y0 - my || tr->y > b->y1 + my)
		return JOIN_NONE;
	float small = fminf(tr->area, own->area), large = fmaxf(tr->area, own->area);
	if (small < GROUP_MIN_RATIO * large) {
		/* Once seen apart, a smaller partner joins as a member if the
		 * blob grew by about its size, not just took its place. */
		if (!apart || small < APART_MIN_RATIO * large)
			return JOIN_FRAGMENT;
		if (b->area < members_area + 0.5f * tr->area)
			return JOIN_FRAGMENT;
	}
	float total = members_area + tr->area;
	if (b->area >= GROUP_MIN_COVER * total && b->area >= GROUP_GROWTH * tr->area)
		return JOIN_GROUP;
	return JOIN_NONE;
}

/* The mate of a track lost from sight in or just after a group: a member
 * of that group seen now, that was lost in the same frame and found again
 * since, or has stayed in view since and was once seen side by side with
 * it. Returns its slot, or -1; *together: lost in the same frame. */
static int found_mate(const struct tracker *t, int i, bool *together)
{
	const struct track_state *si = &t->st[i];
	if (!si->mates || si->last_seen - si->grouped_at > MATE_RECENT)
		return -1;
	for (int o = 0; o < TRACKER_MAX_TRACKS; o++) {
		const struct track *m = &t->tracks[o];
		const struct track_state *so = &t->st[o];
		if (!((si->mates >> o) & 1u) || !m->id || m->missed > 0)
			continue;
		*together = so->gap_from == si->last_seen;
		if (*together || (so->gap_from < si->last_seen && si->apart[o] > 0.0f))
			return o;
	}
	return -1;
}

/* What a hidden track is to the blob its mate o took: a member again once
 * the blob has room for the two as they were when they joined their
 * group, before the pillar ate into it. (Where: the mate was found within
 * its gate of where the two were lost.) */
static enum join rejoins(const struct tracker *t, int i, int o, const struct blob *b)
{
	float room = GROUP_MIN_COVER * (t->st[i].own_area + t->st[o].own_area);
	return b->area >= room ? JOIN_GROUP : JOIN_NONE;
}

/* Whether track i was in a group a frame ago (at prev), going sideways. */
static bool was_grouped_going_sideways(const struct tracker *t, int i, double prev)
{
	const struct track *tr = &t->tracks[i];
	return tr->confirmed && t->st[i].grouped_at == prev && moves_sideways(tr);
}

/* Whether tracks i and j, each matched to a blob of its own this frame, are
 * a group cut across by a railing: a frame ago they shared a blob going
 * sideways, they were once seen side by side (two objects, not one body's
 * torso and legs, which merge_stacked_tracks makes one), and their blobs
 * are now one above the other. The pair behind the railing is still a
 * pair: each taking one band would make two bodies of torsos and legs. */
static bool group_cut_across(const struct tracker *t, int i, int j, const struct blob *a,
			     const struct blob *b, double prev)
{
	return ((t->st[i].mates >> j) & 1u) && t->st[i].apart[j] > 0.0f &&
	       was_grouped_going_sideways(t, i, prev) && was_grouped_going_sideways(t, j, prev) &&
	       stacked(a->x0, a->y0, a->x1, a->y1, b->x0, b->y0, b->x1, b->y1);
}

/* Adds blob c to blob a: the union of the boxes, the centre weighted by area. */
static void blob_add(struct blob *a, const struct blob *c)
{
	float area = a->area + c->area;
	a->cx = (a->cx * a->area + c->cx * c->area) / area;
	a->cy = (a->cy * a->area + c->cy * c->area) / area;
	a->x0 = fminf(a->x0, c->x0);
	a->y0 = fminf(a->y0, c->y0);
	a->x1 = fmaxf(a->x1, c->x1);
	a->y1 = fmaxf(a->y1, c->y1);
	a->area = area;
}

/* Whether tracks i and o, in one blob again, are a track and a piece that
 * split off it a moment ago, never seen clear of each other, outside a
 * queue. Returns the parent's slot, or -1. */
static int healed_split(const struct tracker *t, int i, int o, double now)
{
	const struct track *a = &t->tracks[i], *b = &t->tracks[o];
	int parent = a->parent == b->id ? o : b->parent == a->id ? i : -1;
	int child = parent == i ? o : i;
	if (parent < 0 || now - t->st[child].born > HEAL_SECONDS ||
	    t->st[i].apart[o] > 0.0f || t->st[o].apart[i] > 0.0f ||
	    t->st[parent].queued || t->st[child].queued)
		return -1;
	return parent;
}

/* Whether two boxes are clearly side by side: a gap across the picture of
 * at least APART_GAP of the wider one. Only across: one above the other
 * may be one upright body seen in parts (the torso of someone seated, and
 * the legs that show below the desk as they stand up). */
static bool boxes_apart(const struct track *a, const struct track *b)
{
	float gx = fabsf(a->x - b->x) - 0.5f * (a->w + b->w);
	return gx >= APART_GAP * fmaxf(a->w, b->w);
}

/* Adds dt to the time apart of the pairs of tracks, each seen on its own
 * this frame, that are clearly apart. */
static void note_apart(struct tracker *t, float dt)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *a = &t->tracks[i];
		if (!a->id || !a->updated || a->grouped)
			continue;
		for (int j = i + 1; j < TRACKER_MAX_TRACKS; j++) {
			const struct track *b = &t->tracks[j];
			if (!b->id || !b->updated || b->grouped || !boxes_apart(a, b))
				continue;
			t->st[i].apart[j] += dt;
			t->st[j].apart[i] += dt;
		}
	}
}

/* Two confirmed tracks that are the parts of one body going sideways (torso
 * and legs found apart from the first frame, so never one blob) become one:
 * the older keeps its identity, the younger ends without counting. Their
 * speeds must agree: someone passing in front of someone else is not a
 * part of them. */
static void merge_stacked_tracks(struct tracker *t)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *a = &t->tracks[i];
		if (!a->id || !a->updated || a->grouped || a->small || !moves_sideways(a))
			continue;
		for (int j = 0; j < TRACKER_MAX_TRACKS; j++) {
			struct track *b = &t->tracks[j];
			if (j == i || !b->id || !b->updated || b->grouped || b->id < a->id || b->small ||
			    !moves_sideways(b) ||
			    fabsf(a->vx - b->vx) > SPEED_AGREEMENT * fmaxf(fabsf(a->vx), fabsf(b->vx)))
				continue;
			if (!stacked(a->x - a->w / 2, a->y - a->h / 2, a->x + a->w / 2, a->y + a->h / 2,
				     b->x - b->w / 2, b->y - b->h / 2, b->x + b->w / 2, b->y + b->h / 2))
				continue;
			/* The union of the two boxes, the centre weighted by area. */
			float x0 = fminf(a->x - a->w / 2, b->x - b->w / 2);
			float y0 = fminf(a->y - a->h / 2, b->y - b->h / 2);
			float x1 = fmaxf(a->x + a->w / 2, b->x + b->w / 2);
			float y1 = fmaxf(a->y + a->h / 2, b->y + b->h / 2);
			float area = a->area + b->area;
			t->st[i].kx.p = (a->x * a->area + b->x * b->area) / area;
			t->st[i].ky.p = (a->y * a->area + b->y * b->area) / area;
			a->w = x1 - x0;
			a->h = y1 - y0;
			t->st[i].size_var = 1.0f;
			a->area = area;
			a->confirmed = a->confirmed || b->confirmed;
			sync_track(a, &t->st[i]);
			a->absorbed = b->id;
			*b = (struct track){0};
		}
	}
}

/* A blob of comparable size to what is left of a confirmed track, that was
 * inside the track's box a frame ago while the track's blob shrank, split
 * off from it: the track was several
 * objects seen as one (two people who came in side by side). Returns that
 * track's id, or 0. */
static uint32_t split_parent(const struct tracker *t, const struct obs *before,
			     const struct blob *b)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &t->tracks[i];
		const struct obs *o = &before[i];
		float mx = SPLIT_REACH * (o->x1 - o->x0), my = SPLIT_REACH * (o->y1 - o->y0);
		if (tr->id && tr->confirmed && tr->updated && !tr->grouped &&
		    tr->area < SPLIT_SHRINK * o->area && b->area >= GROUP_MIN_RATIO * tr->area &&
		    tr->area >= GROUP_MIN_RATIO * b->area && b->cx >= o->x0 - mx && b->cx <= o->x1 + mx &&
		    b->cy >= o->y0 - my && b->cy <= o->y1 + my)
			return tr->id;
	}
	return 0;
}

/* Whether a blob's centre lies near the box of a live track that has been
 * seen as an object: within half its size around it, where its loose
 * parts (a hand, a head, a bag) are. */
static bool near_a_track(const struct tracker *t, const struct blob *b)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &t->tracks[i];
		if (tr->id && !tr->small && fabsf(b->cx - tr->x) <= tr->w &&
		    fabsf(b->cy - tr->y) <= tr->h)
			return true;
	}
	return false;
}

/* Whether a blob lies in file with a confirmed, whole, moving track (ahead
 * of it or behind it on its way, IN_FILE_ALONG times as far along as
 * across) and clear of its box along that way: the next vehicle in a lane
 * (a motorbike just ahead of a car), not a loose part of it, which lies
 * beside it or on it. (Within the track's own size of its centre a small
 * blob starts nothing in any case: near_a_track.) */
static bool in_file_clear(const struct track *tr, const struct blob *b)
{
	float speed = hypotf(tr->vx, tr->vy);
	/* A small track's own flicker ahead of it is no next vehicle. */
	if (tr->small || !tr->confirmed || speed < MOVING_MIN_SPEED)
		return false;
	float ux = tr->vx / speed, uy = tr->vy / speed;
	float dx = b->cx - tr->x, dy = b->cy - tr->y;
	float along = fabsf(dx * ux + dy * uy), across = fabsf(dx * uy - dy * ux);
	float reach = 0.5f * (fabsf(ux) * (tr->w + b->x1 - b->x0) + fabsf(uy) * (tr->h + b->y1 - b->y0));
	return along >= IN_FILE_ALONG * across && along > reach;
}

/* Whether a faint blob lies within FAINT_CLEAR of a track's size of it
 * (of any track, small ones too): a scrap of something tracked, or the
 * flicker of a far object that has a track already. */
static bool near_any_track(const struct tracker *t, const struct blob *b)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &t->tracks[i];
		if (tr->id && fabsf(b->cx - tr->x) <= FAINT_CLEAR * tr->w &&
		    fabsf(b->cy - tr->y) <= FAINT_CLEAR * tr->h && !in_file_clear(tr, b))
			return true;
	}
	return false;
}

/* The track a blob split off from keeps what is left of its blob: a
 * different part (the car behind, once the one in front has pulled away),
 * so its position jumps there, at its old velocity, instead of being
 * smoothed over the next frames into a backward run that could cross the
 * line. */
static void rebase_parent(struct tracker *t, uint32_t parent, const struct track_state *predicted,
			  const struct obs *obs)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		const struct obs *o = &obs[i];
		if (tr->id != parent || o->area <= 0.0f)
			continue;
		struct track_state *s = &t->st[i];
		/* Only the filter goes back: what it knows of the other
		 * tracks is this frame's (the new piece's slot among them). */
		s->kx = predicted[i].kx;
		s->ky = predicted[i].ky;
		tr->w = o->x1 - o->x0;
		tr->h = o->y1 - o->y0;
		s->size_var = 1.0f;
		float r = meas_var(tr);
		s->kx.p = o->sx / o->area;
		s->ky.p = o->sy / o->area;
		/* The jump is to another object, not travel: where it was
		 * first seen moves with it, so how far it has gone along a
		 * queue is unchanged. From the prediction, as the filter is:
		 * several pieces may split off one parent in a frame. */
		s->x0 = predicted[i].x0 + (s->kx.p - predicted[i].kx.p);
		s->y0 = predicted[i].y0 + (s->ky.p - predicted[i].ky.p);
		s->kx.pp = s->ky.pp = r;
		s->kx.pv = s->ky.pv = 0.0f;
		tr->rebased = true;
		sync_track(tr, s);
	}
}

/* Whether track i has travelled along the queue q's length (the unit
 * vector queue_ax, queue_ay), twice its width. */
static bool goes_along(const struct tracker *t, int i, const struct blob *q)
{
	const struct track *tr = &t->tracks[i];
	const struct track_state *s = &t->st[i];
	float dx = tr->x - s->x0, dy = tr->y - s->y0;
	float along = fabsf(dx * q->queue_ax + dy * q->queue_ay);
	float across = fabsf(dy * q->queue_ax - dx * q->queue_ay);
	return along >= QUEUE_ALONG * across && along >= QUEUE_ALONG_WIDTHS * q->queue_wide;
}

static void largest_first(struct blob *b, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && b[j - 1].area < b[j].area; j--) {
			struct blob tmp = b[j];
			b[j] = b[j - 1];
			b[j - 1] = tmp;
		}
}

/* The detector cuts a long blob across its length where a strip of
 * background shows (objects nose to tail), but so it would an upright
 * person cut at the belt. The parts stay apart only where a confirmed
 * track that has gone along that length is predicted among them, and
 * either had the whole of it as its blob or already leads a queue: cars
 * in a lane. Two tracks that each had a part (pieces of one car at low
 * contrast, tracked apart) meet as a group, by the group's rules, not by
 * cutting their blob, which would count each. Otherwise the parts are put
 * back together as the blob they were. Writes the blobs to use into out
 * and returns their count. */
static int rejoin_queues(struct tracker *t, const struct blob *in, int n, struct blob *out)
{
	int m = 0;
	for (int b = 0; b < n; b++) {
		if (!in[b].queue) {
			out[m++] = in[b];
			continue;
		}
		bool first = true;
		for (int c = 0; c < b; c++)
			if (in[c].queue == in[b].queue)
				first = false;
		if (!first)
			continue;
		struct blob whole = in[b];
		float sx = 0, sy = 0;
		for (int c = b; c < n; c++) {
			const struct blob *p = &in[c];
			if (p->queue != in[b].queue)
				continue;
			whole.x0 = fminf(whole.x0, p->x0);
			whole.y0 = fminf(whole.y0, p->y0);
			whole.x1 = fmaxf(whole.x1, p->x1);
			whole.y1 = fmaxf(whole.y1, p->y1);
			sx += p->cx * p->area;
			sy += p->cy * p->area;
		}
		whole.area = 0;
		for (int c = b; c < n; c++)
			if (in[c].queue == in[b].queue)
				whole.area += in[c].area;
		whole.cx = sx / whole.area;
		whole.cy = sy / whole.area;
		int lane = -1;
		for (int i = 0; i < TRACKER_MAX_TRACKS && lane < 0; i++) {
			const struct track *tr = &t->tracks[i];
			if (tr->id && tr->confirmed && tr->x >= whole.x0 &&
			    tr->x <= whole.x1 && tr->y >= whole.y0 && tr->y <= whole.y1 &&
			    (t->st[i].queued || tr->area >= QUEUE_WHOLE * whole.area) &&
			    goes_along(t, i, &in[b]))
				lane = i;
		}
		if (lane >= 0) {
			t->st[lane].queued = true;
			for (int c = b; c < n; c++)
				if (in[c].queue == in[b].queue)
					out[m++] = in[c];
		} else {
			whole.queue = 0;
			whole.small = false;
			out[m++] = whole;
		}
	}
	/* Largest first, as the detector gives them, so a blob put back
	 * together is seen just as if it had never been cut. */
	largest_first(out, m);
	return m;
}

/* Whether track i is an object (once half of one, at least) that blob b
 * is a part of: inside its box; or, while it is seen in part (under half
 * of one object: its box is then a piece's), with it no larger than one
 * object. A track seen whole has its box: a motorbike just ahead of a car
 * is within a car's length of it, but not a part of it. */
static bool hosts_part(const struct tracker *t, int i, const struct blob *b)
{
	const struct track *tr = &t->tracks[i];
	if (!was_an_object(t, i))
		return false;
	bool in_part = tr->area < FRAGMENT_OF_ONE * t->object_area;
	if (b->small && !in_part)
		return false;
	if (inside_box(tr, b))
		return true;
	if (!in_part)
		return false;
	float x0 = fminf(tr->x - tr->w / 2, b->x0), x1 = fmaxf(tr->x + tr->w / 2, b->x1);
	float y0 = fminf(tr->y - tr->h / 2, b->y0), y1 = fmaxf(tr->y + tr->h / 2, b->y1);
	return x1 - x0 <= t->object_extent && y1 - y0 <= t->object_extent;
}

/* Parts of one object gathered before assignment: blobs each under
 * FRAGMENT_OF_ONE of one object that lie nearest (in its sizes) a
 * confirmed track that hosts them are that object seen in pieces (a dark
 * body on a floor of its shade: head, arms, the edges of a coat) and become
 * one blob, so the track takes itself whole; taken one by one, the piece
 * nearest the prediction wins the track and the rest start tracks of their
 * own, each counted. A part nearest a track of its own (a motorbike beside
 * a car) stays its own. Needs one object's size. Returns the new count. */
static int gather_parts(const struct tracker *t, struct blob *bl, int n)
{
	int host[DETECT_MAX_BLOBS];
	if (!(t->object_area > 0.0f) || !(t->object_extent > 0.0f))
		return n;
	for (int b = 0; b < n; b++) {
		host[b] = -1;
		if (bl[b].queue || bl[b].area >= FRAGMENT_OF_ONE * t->object_area)
			continue;
		float best = INFINITY;
		int nearest = -1;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			const struct track *tr = &t->tracks[i];
			if (!tr->id || !tr->confirmed)
				continue;
			float d = fabsf(bl[b].cx - tr->x) / fmaxf(tr->w, FLT_EPSILON) +
				  fabsf(bl[b].cy - tr->y) / fmaxf(tr->h, FLT_EPSILON);
			if (d < best) {
				best = d;
				nearest = i;
			}
		}
		if (nearest >= 0 && hosts_part(t, nearest, &bl[b]))
			host[b] = nearest;
	}
	int m = 0;
	for (int b = 0; b < n; b++) {
		if (host[b] == -2)
			continue;
		struct blob whole = bl[b];
		for (int c = b + 1; host[b] >= 0 && c < n; c++)
			if (host[c] == host[b]) {
				blob_add(&whole, &bl[c]);
				whole.small = whole.small && bl[c].small;
				whole.faint = whole.faint && bl[c].faint;
				host[c] = -2;
			}
		bl[m++] = whole;
	}
	largest_first(bl, m);
	return m;
}

/* A car cut from a queue in two frames running, not yet confirmed, whose
 * lane's track took the queue whole again this frame, predicted inside that
 * blob: at a low frame rate the detector's cut of a queue comes and goes
 * from frame to frame, and the car is hidden in the blob, not noise that
 * went away. It waits for the next cut, one frame. (A cut seen once may be
 * a person's blob cut at the belt for a frame.) */
static bool hidden_in_its_queue(const struct tracker *t, int i, const struct obs *obs)
{
	const struct track *tr = &t->tracks[i];
	if (!tr->parent || tr->hits < 2 || tr->missed > 1)
		return false;
	for (int p = 0; p < TRACKER_MAX_TRACKS; p++) {
		const struct obs *o = &obs[p];
		if (t->tracks[p].id == tr->parent)
			return t->st[p].queued && o->area > 0.0f && tr->x >= o->x0 && tr->x <= o->x1 &&
			       tr->y >= o->y0 && tr->y <= o->y1;
	}
	return false;
}

const struct track *tracker_update(struct tracker *t, const struct blob *blobs_in, int n,
				   double t_sec)
{
	int match[TRACKER_MAX_TRACKS], owner[DETECT_MAX_BLOBS];
	int rows[TRACKER_MAX_TRACKS], nrows = 0;
	bool blob_used[DETECT_MAX_BLOBS] = {false};
	struct obs obs[TRACKER_MAX_TRACKS];
	float dt = t->started ? (float)(t_sec - t->t_last) : 0.0f;
	double prev = t->t_last;

	if (!(dt > 0.0f) || dt > 2.0f)
		dt = 1.0f / (t->p.fps > 0 ? t->p.fps : 25.0f);
	t->started = true;
	t->t_last = t_sec;
	if (n > DETECT_MAX_BLOBS)
		n = DETECT_MAX_BLOBS;
	for (int b = 0; b < n; b++)
		owner[b] = -1;

	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		match[i] = -1;
		obs[i] = (struct obs){0};
		if (!tr->id)
			continue;
		tr->updated = tr->grouped = false;
		tr->absorbed = 0;
		kf_predict(&t->st[i].kx, dt);
		kf_predict(&t->st[i].ky, dt);
		sync_track(tr, &t->st[i]);
		rows[nrows++] = i;
	}
	struct blob blobs[DETECT_MAX_BLOBS];
	n = rejoin_queues(t, blobs_in, n, blobs);
	n = gather_parts(t, blobs, n);

	/* Globally optimal one-to-one assignment of blobs to tracks. */
	if (nrows > 0 && n > 0) {
		int sol[TRACKER_MAX_TRACKS];
		for (int r = 0; r < nrows; r++)
			for (int b = 0; b < n; b++)
				t->cost[r * n + b] = pair_cost(t, rows[r], &blobs[b]);
		assign_solve(&t->work, t->cost, nrows, n, INFEASIBLE, sol);
		for (int r = 0; r < nrows; r++) {
			int b = sol[r];
			if (b < 0)
				continue;
			match[rows[r]] = b;
			owner[b] = rows[r];
			blob_used[b] = true;
			obs_add(&obs[rows[r]], &blobs[b]);
		}
	}

	/* Fragments join a confirmed track whose box (or blob) they lie in;
	 * of several that could own one, the track whose blob this frame it
	 * lies against, not whichever sits in the lower slot. */
	for (int b = 0; b < n; b++) {
		if (blob_used[b] || blobs[b].small)
			continue;
		int best = -1;
		float best_gap = INFINITY, best_dist = INFINITY;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			const struct track *tr = &t->tracks[i];
			if (!(tr->id && tr->confirmed && match[i] >= 0 &&
			      (is_fragment(t, i, &obs[i], &blobs[b]) ||
			       is_stacked_part(tr, &obs[i], &blobs[b]))))
				continue;
			float gap, dist;
			fragment_gap(tr, &obs[i], &blobs[b], &gap, &dist);
			if (best < 0 || gap < best_gap || (gap == best_gap && dist < best_dist)) {
				best = i;
				best_gap = gap;
				best_dist = dist;
			}
		}
		if (best >= 0) {
			obs_add(&obs[best], &blobs[b]);
			blob_used[b] = true;
		}
	}

	/* Groups: a confirmed track left without a blob whose prediction lies
	 * in a blob another track took, big enough for both, merged into it. */
	int group[DETECT_MAX_BLOBS][TRACKER_MAX_TRACKS / 4];
	int ngroup[DETECT_MAX_BLOBS] = {0};
	float garea[DETECT_MAX_BLOBS];
	for (int b = 0; b < n; b++)
		garea[b] = owner[b] >= 0 ? t->tracks[owner[b]].area : 0.0f;
	/* A group cut across by a railing is one blob again, and a group. */
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		int bi = match[i];
		for (int j = 0; bi >= 0 && j < TRACKER_MAX_TRACKS; j++) {
			int bj = match[j];
			if (j == i || bj < 0 || bj == bi || ngroup[bj] > 0 ||
			    ngroup[bi] >= TRACKER_MAX_TRACKS / 4 - 1 ||
			    !group_cut_across(t, i, j, &blobs[bi], &blobs[bj], prev))
				continue;
			blob_add(&blobs[bi], &blobs[bj]);
			owner[bj] = -1;
			match[j] = bi;
			if (ngroup[bi] == 0)
				group[bi][ngroup[bi]++] = i;
			group[bi][ngroup[bi]++] = j;
			garea[bi] += t->tracks[j].area;
		}
	}
	bool absorbed[TRACKER_MAX_TRACKS] = {false};
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &t->tracks[i];
		if (!tr->id || !tr->confirmed || match[i] >= 0)
			continue;
		for (int b = 0; b < n; b++) {
			int o = owner[b];
			if (o < 0 || ngroup[b] >= TRACKER_MAX_TRACKS / 4 - 1 || !t->tracks[o].confirmed ||
			    blobs[b].faint)
				continue;
			bool beside = t->st[i].born_beside || t->st[o].born_beside;
			bool apart = t->st[i].apart[o] > (beside ? APART_SECONDS : 0.0f);
			bool together = false;
			bool mate = found_mate(t, i, &together) == o;
			/* Lost together, the one hidden rejoins only by room:
			 * its prediction and faded area are the pillar's. */
			enum join j = mate && together ? JOIN_NONE
						       : joins(tr, &t->tracks[o], &blobs[b], garea[b], apart);
			if (j == JOIN_NONE && mate) {
				j = rejoins(t, i, o, &blobs[b]);
				/* Marks the group found again (observe_group
				 * keeps its blob then, to grow with); the one
				 * hidden is as big as before the pillar ate
				 * into it, not a fragment of its mate. */
				for (int k = 0; j == JOIN_GROUP && k < 2; k++) {
					struct track_state *m = &t->st[k ? o : i];
					if (m->rejoin_blob == 0.0f)
						m->rejoin_blob = blobs[b].area;
				}
				if (j == JOIN_GROUP)
					t->tracks[i].area = fmaxf(tr->area, t->st[i].own_area);
			}
			if (j == JOIN_NONE)
				continue;
			int healed = ngroup[b] == 0 ? healed_split(t, i, o, t_sec) : -1;
			if (healed >= 0)
				j = JOIN_FRAGMENT;
			if (j == JOIN_FRAGMENT) {
				/* The larger of the two is the object and keeps
				 * the blob (a split that healed: the parent); the
				 * other ends without counting. */
				if (ngroup[b] == 0 && (healed >= 0 ? healed == i : tr->area > t->tracks[o].area)) {
					obs[i] = obs[o];
					obs[o] = (struct obs){0};
					match[o] = -1;
					absorbed[o] = true;
					t->tracks[i].absorbed = t->tracks[o].id;
					owner[b] = i;
					garea[b] = tr->area;
				} else {
					absorbed[i] = true;
					t->tracks[o].absorbed = tr->id;
				}
				match[i] = b;
				break;
			}
			if (ngroup[b] == 0)
				group[b][ngroup[b]++] = o;
			group[b][ngroup[b]++] = i;
			garea[b] += tr->area;
			match[i] = b;
			break;
		}
	}

	/* Boxes and areas as they were before this frame, to tell a split,
	 * and the predicted states, to restart a split track from. */
	struct obs before[TRACKER_MAX_TRACKS];
	struct track_state predicted[TRACKER_MAX_TRACKS];
	memcpy(predicted, t->st, sizeof(predicted));
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		const struct track *tr = &t->tracks[i];
		before[i] = (struct obs){tr->x - tr->w / 2, tr->y - tr->h / 2, tr->x + tr->w / 2,
					 tr->y + tr->h / 2, 0, 0, tr->area, false};
	}

	/* Updates: own observations, groups, and coasting or ending. */
	for (int b = 0; b < n; b++)
		if (ngroup[b] > 1)
			observe_group(t, group[b], ngroup[b], &blobs[b], t_sec, dt);
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
		struct track *tr = &t->tracks[i];
		tr->rebased = false;
		if (!tr->id || tr->grouped)
			continue;
		t->st[i].group_peak = 0.0f;
		if (absorbed[i]) {
			*tr = (struct track){0};
			continue;
		}
		if (obs[i].area > 0.0f) {
			observe(t, i, &obs[i], t_sec);
			continue;
		}
		/* A track that never got confirmed ends at its first miss: it
		 * was probably noise. A confirmed one coasts on its prediction,
		 * which never counts, then ends; at once if that prediction has
		 * left the picture, so whatever comes in next is not taken for
		 * it. */
		tr->missed++;
		bool gone = tr->x < 0.0f || tr->x > 1.0f || tr->y < 0.0f || tr->y > 1.0f;
		bool together;
		float coast = t->p.max_coast * (found_mate(t, i, &together) >= 0 ? MATE_COAST : 1.0f);
		if ((!tr->confirmed && !hidden_in_its_queue(t, i, obs)) || gone ||
		    t_sec - t->st[i].last_seen > coast) {
			*tr = (struct track){0};
			continue;
		}
	}

	merge_stacked_tracks(t);

	for (int b = 0; b < n; b++) {
		if (blob_used[b] || (blobs[b].faint && near_any_track(t, &blobs[b])))
			continue;
		int slot = -1;
		for (int i = 0; i < TRACKER_MAX_TRACKS && slot < 0; i++)
			if (!t->tracks[i].id)
				slot = i;
		if (slot < 0)
			break;
		const struct blob *bl = &blobs[b];
		if (bl->small && near_a_track(t, bl))
			continue; /* a loose part of something tracked, not a far object */
		uint32_t parent = bl->small ? 0 : split_parent(t, before, bl);
		struct track *tr = &t->tracks[slot];
		*tr = (struct track){
			.parent = parent,
			.id = t->next_id++,
			.w = bl->x1 - bl->x0,
			.h = bl->y1 - bl->y0,
			.area = bl->area,
			.hits = 1,
			.updated = true,
			.small = bl->small,
			.confirmed = t->p.confirm_hits <= 1 && !bl->small,
		};
		struct track_state *s = &t->st[slot];
		float r = meas_var(tr);
		kf_init(&s->kx, bl->cx, r);
		kf_init(&s->ky, bl->cy, r);
		s->size_var = 1.0f;
		s->last_seen = t_sec;
		s->x0 = bl->cx;
		s->y0 = bl->cy;
		s->born = t_sec;
		memset(s->apart, 0, sizeof(s->apart));
		s->born_beside = false;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			const struct track *o = &t->tracks[i];
			if (i != slot && o->id && o->confirmed && !o->small && o->area > bl->area &&
			    fabsf(bl->cx - o->x) <= BESIDE * o->w && fabsf(bl->cy - o->y) <= BESIDE * o->h)
				s->born_beside = true;
		}
		s->mates = 0;
		s->rejoin_blob = 0.0f;
		s->gap_from = -1.0;
		s->grouped_at = -INFINITY;
		s->queued = false;
		s->group_peak = 0.0f;
		s->peak_area = bl->area;
		for (int i = 0; i < TRACKER_MAX_TRACKS; i++) {
			t->st[i].apart[slot] = 0.0f;
			t->st[i].mates &= ~(UINT64_C(1) << slot);
		}
		sync_track(tr, s);
		if (parent)
			rebase_parent(t, parent, predicted, obs);
	}
	note_apart(t, dt);
	return t->tracks;
}
