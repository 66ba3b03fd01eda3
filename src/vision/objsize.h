/* Typical size of one object crossing a line, learnt from whole lives of
 * isolated tracks (never merged with another) that crossed it, so that a
 * blob that was never seen as separate objects (two people shoulder to
 * shoulder from the moment they appear) counts as the objects it holds.
 * Robust: the median of the last OBJSIZE_HISTORY samples, judged only
 * after OBJSIZE_MIN_SAMPLES, and learning never depends on the judgement,
 * so a wrong start (fragments first) is outvoted by what follows. Owned by
 * one line's counter. */
#ifndef TURNSTILE_OBJSIZE_H
#define TURNSTILE_OBJSIZE_H

#define OBJSIZE_HISTORY 32
#define OBJSIZE_MIN_SAMPLES 5
#define OBJSIZE_MAX_MULTIPLE 3

struct objsize {
	float fixed_area;               /* configured area of one object, or 0 to learn */
	float area[OBJSIZE_HISTORY];    /* recent isolated tracks: foreground area */
	float width[OBJSIZE_HISTORY];   /* extent along the line */
	float length[OBJSIZE_HISTORY];  /* extent across it (along the way objects go) */
	int n, next;
};

void objsize_init(struct objsize *s, float fixed_area);

/* How many objects a blob of this area, width along the line and length
 * across it holds (1..OBJSIZE_MAX_MULTIPLE); 1 until enough samples, when
 * no area is configured. */
int objsize_multiple(const struct objsize *s, float area, float width, float length);

/* The area of one object in use (fraction of the frame): the configured
 * one, the learnt median, or 0 while too few samples are in. */
float objsize_one_area(const struct objsize *s);

/* The larger of one object's extents along and across the line in use: the
 * learnt medians, or the side of the configured area's square while too
 * few samples are in; 0 if neither. */
float objsize_one_extent(const struct objsize *s);

/* Records one isolated track's typical area, width and length. */
void objsize_learn(struct objsize *s, float area, float width, float length);

#endif
