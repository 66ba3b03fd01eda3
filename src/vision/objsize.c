/* Objects of one kind vary in size (a child and an adult, a car and an
 * articulated truck), so a large area alone does not make two objects.
 * Side by side, two objects are both larger in area and wider along the
 * line than one, but no longer across it; a big single object (a truck, a
 * bus) is longer too. All three must hold. */
#include "objsize.h"

#include <math.h>
#include <string.h>

static const struct {
	float area, width;
} threshold[OBJSIZE_MAX_MULTIPLE + 1] = {
	{0, 0}, {0, 0}, {1.6f, 1.6f}, {2.5f, 2.5f},
};

void objsize_init(struct objsize *s, float fixed_area)
{
	memset(s, 0, sizeof(*s));
	s->fixed_area = fixed_area > 0 ? fixed_area : 0;
}

/* The median (the lower middle of an even count): a wrong start, such as
 * two fragment crossings before any whole object, is outvoted as soon as
 * whole objects are the majority of the samples. */
static float median(const float *src, int n)
{
	float v[OBJSIZE_HISTORY];
	memcpy(v, src, sizeof(float) * (unsigned)n);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			float t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[(n - 1) / 2];
}

#define LENGTH_MAX_RATIO 1.5f

int objsize_multiple(const struct objsize *s, float area, float width, float length)
{
	float one_area, one_width;

	if (s->fixed_area > 0) {
		/* A configured area stands for a roughly square object. */
		one_area = s->fixed_area;
		one_width = s->n >= OBJSIZE_MIN_SAMPLES ? median(s->width, s->n) : sqrtf(one_area);
	} else {
		if (s->n < OBJSIZE_MIN_SAMPLES)
			return 1;
		one_area = median(s->area, s->n);
		one_width = median(s->width, s->n);
	}
	if (one_area <= 0 || one_width <= 0)
		return 1; /* nothing measurable to compare with */
	if (s->n >= OBJSIZE_MIN_SAMPLES && length > LENGTH_MAX_RATIO * median(s->length, s->n))
		return 1; /* longer than one object: a bigger object, not several */
	for (int k = OBJSIZE_MAX_MULTIPLE; k > 1; k--)
		if (area >= threshold[k].area * one_area && width >= threshold[k].width * one_width)
			return k;
	return 1;
}

void objsize_learn(struct objsize *s, float area, float width, float length)
{
	if (!(area > 0) || !(width > 0) || !(length > 0))
		return;
	s->area[s->next] = area;
	s->width[s->next] = width;
	s->length[s->next] = length;
	s->next = (s->next + 1) % OBJSIZE_HISTORY;
	if (s->n < OBJSIZE_HISTORY)
		s->n++;
}

float objsize_one_area(const struct objsize *s)
{
	if (s->fixed_area > 0)
		return s->fixed_area;
	return s->n >= OBJSIZE_MIN_SAMPLES ? median(s->area, s->n) : 0.0f;
}

float objsize_one_extent(const struct objsize *s)
{
	if (s->n >= OBJSIZE_MIN_SAMPLES)
		return fmaxf(median(s->width, s->n), median(s->length, s->n));
	return s->fixed_area > 0 ? sqrtf(s->fixed_area) : 0.0f;
}
