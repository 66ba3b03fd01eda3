/* Totals of crossings, for a line, a camera or the site, and the one rule
 * that adds a crossing to them. The coordinator owns the live totals
 * (src/aggregate/tally.h); everyone else reads copies. */
#ifndef TURNSTILE_TOTALS_H
#define TURNSTILE_TOTALS_H

#include <stdint.h>

#include "turnstile/event.h"

struct totals {
	uint64_t in, out;
	/* in - out, except that it never goes below zero: an exit counted while
	 * nobody is counted inside (a missed entry) is a correction instead. */
	int64_t occupancy;
	uint64_t corrections;
};

/* Adds one crossing: occupancy never goes below zero, an exit with nobody
 * inside is a correction. Pure. */
static inline void totals_add(struct totals *t, enum direction dir)
{
	if (dir == DIR_IN) {
		t->in++;
		t->occupancy++;
	} else {
		t->out++;
		if (t->occupancy > 0)
			t->occupancy--;
		else
			t->corrections++;
	}
}

#endif
