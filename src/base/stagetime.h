/* Per-stage timers: a fixed-size log-scale histogram of durations, cheap
 * enough to fill once per frame per stage on the hot path (no allocation, no
 * lock, no division: a clock read, a count-leading-zeros and three stores).
 *
 * Bins are 16 per power of two above 16 ns (HDR-histogram style), so a
 * percentile is within about 3% of the true duration; durations from 0 to
 * about 68 s are binned, longer ones fall into the last bin (max stays exact).
 *
 * Threads: one writer thread per histogram (stagetime_add); any thread may
 * read (stagetime_get). Fields are relaxed atomics written by that single
 * writer with plain load + store (the bin's store releases the rest), so a
 * reader's snapshot is at worst a few frames old, never torn, and TSan has
 * nothing to report. */
#ifndef TURNSTILE_STAGETIME_H
#define TURNSTILE_STAGETIME_H

#include <stdatomic.h>
#include <stdint.h>

#include "util.h"

#define STAGETIME_SUB_BITS 4
#define STAGETIME_SUB (1u << STAGETIME_SUB_BITS)
#define STAGETIME_MAX_EXP 36 /* 2^36 ns, about 68 s */
#define STAGETIME_BINS ((STAGETIME_MAX_EXP - STAGETIME_SUB_BITS + 2) * STAGETIME_SUB)

/* Zero-initialised (calloc, or = {0}) is an empty histogram. */
struct stagetime {
	atomic_uint_least64_t sum_ns;
	atomic_uint_least64_t max_ns;
	atomic_uint_least32_t bins[STAGETIME_BINS];
};

struct stagetime_stats {
	uint64_t count;
	double mean_us; /* 0 when count is 0 */
	double p99_us;  /* the 99th percentile: 99% of durations are at most this */
	double max_us;
};

/* The clock the timers use (monotonic; a vDSO read, tens of nanoseconds). */
static inline int64_t stagetime_now(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

/* Records one duration (negative ones count as 0). Writer thread only. */
void stagetime_add(struct stagetime *st, int64_t ns);

/* Snapshot of count, mean, p99 and max. Any thread. */
void stagetime_get(const struct stagetime *st, struct stagetime_stats *out);

/* Cumulative counts for a Prometheus histogram: counts[i] is how many
 * durations fell in bins wholly at or below le_s[i] seconds (bounds
 * ascending; a bin straddling a bound counts above it, so a count may be
 * short by one bin's width, about 6%). Also the total and the sum in
 * seconds. Any thread. */
void stagetime_buckets(const struct stagetime *st, const double *le_s, int n, uint64_t *counts,
		       uint64_t *total, double *sum_s);

#endif
