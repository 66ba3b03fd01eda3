/* Site totals across hosts: the aggregator's model. Each node's events
 * arrive (over MQTT) as (node, seq, prev, camera, line, direction), at
 * least once and in order; site_apply counts each exactly once and keeps
 * totals per node, camera and line and for the whole site, with the same
 * rule a node uses (totals_add: occupancy never below zero, corrections
 * counted).
 *
 * The rule that makes repeats harmless and gaps visible: a node's events
 * form a chain, each naming the seq before it in the node's journal
 * (prev, -1 for its first). An event is counted when its prev is the last
 * seq counted for its node; one at or below that seq is a repeat; anything
 * else is a gap (an event in between has not arrived), which the caller
 * answers by asking the node to send again from last + 1.
 *
 * Names are 1..63 of [A-Za-z0-9._-]. The structs are plain data that the
 * caller reads (and the state loader fills through the *_get calls); only
 * site_apply changes totals.
 *
 * Threads: none; the caller guards a site. */
#ifndef TURNSTILE_SITE_H
#define TURNSTILE_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include "turnstile/event.h"
#include "turnstile/totals.h"

#define SITE_NAME_MAX 63

struct site_line {
	char name[SITE_NAME_MAX + 1];
	uint64_t in, out;
};

struct site_camera {
	char name[SITE_NAME_MAX + 1];
	struct totals t;
	int nlines;
	struct site_line *lines;
};

struct site_node {
	char name[SITE_NAME_MAX + 1];
	int64_t last;        /* the last seq counted; -1: none */
	struct totals t;
	uint64_t repeats, gaps;
	int ncameras;
	struct site_camera *cams;
};

struct site {
	struct totals t;
	int nnodes;
	struct site_node *nodes;
};

enum site_result { SITE_COUNTED, SITE_REPEAT, SITE_GAP, SITE_BAD };

/* An empty site: zero it. */
void site_free(struct site *s);

/* Makes dst (empty or freed) a deep copy of src, for readers that must not
 * hold the caller's lock while they render (the HTTP API, the live view).
 * Returns 0, or -ENOMEM with dst empty. */
int site_copy(struct site *dst, const struct site *src);

/* Finds the node, camera or line by name; creates it (zero) when create is
 * set. NULL when absent, out of memory, or the name is not valid. */
struct site_node *site_node_get(struct site *s, const char *name, bool create);
struct site_camera *site_camera_get(struct site_node *n, const char *name, bool create);
struct site_line *site_line_get(struct site_camera *c, const char *name, bool create);

/* Counts one event once (see above). SITE_BAD: a name that is not valid,
 * or out of memory (nothing counted). */
enum site_result site_apply(struct site *s, const char *node, uint64_t seq, int64_t prev,
			    const char *camera, const char *line, enum direction dir);

/* True for a name site_*_get accepts. */
bool site_name_ok(const char *name);

#endif
