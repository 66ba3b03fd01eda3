/* Typical size of one object crossing a line, learnt from the tracks that
 * cross it, so that a merged blob (two people shoulder to shoulder) counts
 * as the number of objects it holds. Owned by one line's counter. */
#ifndef TURNSTILE_OBJSIZE_H
#define TURNSTILE_OBJSIZE_H

#define OBJSIZE_HISTORY 32
#define OBJSIZE_MAX_MULTIPLE 3

struct objsize {
	float fixed_area;               /* configured area of one object, or 0 to learn */
	float area[OBJSIZE_HISTORY];    /* recent crossings: foreground area */
	float width[OBJSIZE_HISTORY];   /* and extent along the line */
	int n, next;
};

void objsize_init(struct objsize *s, float fixed_area);

/* How many objects a track of this area and width along the line holds
 * (1..OBJSIZE_MAX_MULTIPLE); 1 until a few crossings have been seen, when
 * no area is configured. */
int objsize_multiple(const struct objsize *s, float area, float width);

/* Records a track that crossed the line as one object; merged blobs are not
 * recorded, so they cannot inflate what "one object" means. */
void objsize_learn(struct objsize *s, float area, float width);

#endif
