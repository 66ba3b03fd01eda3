/* Fuzz target: the INI config loader (config.c over libinih), through
 * config_load on a file. Whatever the file holds, the result is either a
 * camera list that keeps every promise config.h makes, or an error naming
 * the file and an empty list. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "config.h"

static bool name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == 0 || n == max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static bool in(float v, float lo, float hi)
{
	return v >= lo && v <= hi;
}

static void check_camera(const struct camera_list *list, int i)
{
	const struct camera_config *c = &list->cams[i];
	const struct tuning *t = &c->tuning;

	FUZZ_CHECK(name_ok(c->name, sizeof(c->name)), "camera %d name", i);
	for (int j = 0; j < i; j++)
		FUZZ_CHECK(strcmp(list->cams[j].name, c->name) != 0, "duplicate camera '%s'",
			   c->name);
	FUZZ_CHECK(strnlen(c->source, sizeof(c->source)) < sizeof(c->source) && c->source[0],
		   "camera '%s' source", c->name);
	FUZZ_CHECK(c->nlines >= 1 && c->nlines <= TURNSTILE_MAX_LINES, "camera '%s' has %d lines",
		   c->name, c->nlines);
	for (int l = 0; l < c->nlines; l++) {
		const struct line *g = &c->lines[l].line;

		FUZZ_CHECK(name_ok(c->lines[l].name, sizeof(c->lines[l].name)), "line %d name", l);
		for (int k = 0; k < l; k++)
			FUZZ_CHECK(strcmp(c->lines[k].name, c->lines[l].name) != 0,
				   "duplicate line '%s'", c->lines[l].name);
		FUZZ_CHECK(in(g->ax, 0, 1) && in(g->ay, 0, 1) && in(g->bx, 0, 1) && in(g->by, 0, 1),
			   "line '%s' outside 0..1", c->lines[l].name);
		/* A line the counter can use: a side is a finite number. */
		FUZZ_CHECK(isfinite(line_side(g, 0.5f, 0.25f)), "line '%s' (%g,%g)-(%g,%g) is degenerate",
			   c->lines[l].name, (double)g->ax, (double)g->ay, (double)g->bx,
			   (double)g->by);
	}
	FUZZ_CHECK(in(t->min_object, 0.001f, 1) && in(t->max_object, 0.001f, 1) &&
			   t->min_object < t->max_object,
		   "object_size");
	FUZZ_CHECK(t->min_track_age >= 1 && t->min_track_age <= 1000, "min_track_age");
	FUZZ_CHECK(in(t->band, 0, 0.25f), "band");
	FUZZ_CHECK(in(t->learn_seconds, 0.1f, 3600) && in(t->absorb_seconds, 1, 3600), "seconds");
	FUZZ_CHECK(in(t->object_area, 0, 1), "object_area");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_memfile(data, size);
	struct camera_list list = {.n = -1};
	char err[512] = "", source[CONFIG_PATH_MAX];
	int rc = config_load(path, &LINE_DEFAULT, &list, err, sizeof(err));

	if (rc < 0) {
		FUZZ_CHECK(list.n == 0 && list.cams == NULL, "failed load leaves an empty list");
		FUZZ_CHECK(err[0] && strstr(err, path), "error names the file: '%s'", err);
		return 0;
	}
	FUZZ_CHECK(rc == 0 && list.n >= 1 && list.cams, "rc %d, %d cameras", rc, list.n);
	for (int i = 0; i < list.n; i++)
		check_camera(&list, i);
	/* A camera named after the first one's source joins the list under a
	 * fresh name. (A copy: the list may move while it grows.) */
	memcpy(source, list.cams[0].source, sizeof(source));
	if (config_add_source(&list, source, NULL) == 0)
		check_camera(&list, list.n - 1);
	config_free(&list);
	return 0;
}
