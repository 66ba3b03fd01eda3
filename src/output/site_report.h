/* The aggregator's site totals as JSON: the one writer behind both
 * `turnstile aggregate --json` and its GET /api/v1/status, so the two
 * cannot differ; and the figures about the aggregator itself that its
 * /metrics and live view show besides the totals.
 *
 * Threads: any; the caller hands in a site it holds (a copy, site_copy). */
#ifndef TURNSTILE_SITE_REPORT_H
#define TURNSTILE_SITE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "site.h"

struct site_status {
	uint64_t received;  /* events that came from the broker, repeats and gaps included */
	uint64_t bad;       /* messages on an events topic that were not turnstile's JSON */
	bool connected;     /* to the broker, now */
};

/* Writes {"site":{in,out,occupancy,corrections},"nodes":[{node,last_seq,
 * in,out,occupancy,corrections,repeats,gaps,cameras:[{camera,in,out,
 * occupancy,corrections,lines:[{line,in,out}]}]}]} and a newline; names
 * escaped (json.h). */
void site_report_json(FILE *f, const struct site *s);

/* The sum of every node's repeats dropped. */
uint64_t site_report_repeats(const struct site *s);

#endif
