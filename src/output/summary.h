/* Text and JSON summaries of the cameras and the totals, for stdout and
 * stderr. */
#ifndef TURNSTILE_SUMMARY_H
#define TURNSTILE_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "camera.h"
#include "coord.h"

/* One status line on stderr: each camera's frames and counts, the site's. */
void summary_status(struct camera **cams, const struct camera_config *cfgs, int n,
		    struct coord *co);

/* The JSON summary (one object and a newline) to f: what --json prints at
 * exit and /api/v1/status serves while it runs. */
void summary_json(FILE *f, struct camera **cams, const struct camera_config *cfgs, int n,
		  struct coord *co);

/* A camera's "why" figures from its lines' (s->lines): tracks seen and the
 * object size are every line's (each sees every track), turned back is
 * the sum over its lines. What the summary's camera object carries. */
void summary_camera_why(const struct camera_stats *s, struct counter_stats *out);

/* The summary at exit on out: a table, or the JSON summary (json). */
void summary_print(FILE *out, struct camera **cams, const struct camera_config *cfgs, int n,
		   struct coord *co, bool json);

#endif
