#include "tally.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tally_init(struct tally *t, int ncameras)
{
	t->ncameras = ncameras;
	t->site = (struct totals){0};
	t->cams = calloc((size_t)ncameras + 1, sizeof(*t->cams));
	t->lines = calloc((size_t)ncameras * TURNSTILE_MAX_LINES + 1, sizeof(*t->lines));
	return t->cams && t->lines ? 0 : -ENOMEM;
}

void tally_free(struct tally *t)
{
	free(t->cams);
	free(t->lines);
	t->cams = NULL;
	t->lines = NULL;
	t->ncameras = 0;
}

void tally_zero(struct tally *t)
{
	t->site = (struct totals){0};
	memset(t->cams, 0, (size_t)t->ncameras * sizeof(*t->cams));
	memset(t->lines, 0, (size_t)t->ncameras * TURNSTILE_MAX_LINES * sizeof(*t->lines));
}

void tally_copy(struct tally *dst, const struct tally *src)
{
	int n = dst->ncameras < src->ncameras ? dst->ncameras : src->ncameras;

	tally_zero(dst);
	dst->site = src->site;
	memcpy(dst->cams, src->cams, (size_t)n * sizeof(*dst->cams));
	memcpy(dst->lines, src->lines, (size_t)n * TURNSTILE_MAX_LINES * sizeof(*dst->lines));
}

void tally_add(struct tally *t, int camera, int line, enum direction dir)
{
	totals_add(&t->site, dir);
	if (camera < 0 || camera >= t->ncameras)
		return;
	totals_add(&t->cams[camera], dir);
	if (line < 0 || line >= TURNSTILE_MAX_LINES)
		return;
	if (dir == DIR_IN)
		t->lines[camera * TURNSTILE_MAX_LINES + line].in++;
	else
		t->lines[camera * TURNSTILE_MAX_LINES + line].out++;
}

struct totals tally_get(const struct tally *t, int camera)
{
	if (camera < -1 || camera >= t->ncameras)
		return (struct totals){0};
	return camera < 0 ? t->site : t->cams[camera];
}

struct totals tally_get_line(const struct tally *t, int camera, int line)
{
	if (camera < 0 || camera >= t->ncameras || line < 0 || line >= TURNSTILE_MAX_LINES)
		return (struct totals){0};
	return t->lines[camera * TURNSTILE_MAX_LINES + line];
}
