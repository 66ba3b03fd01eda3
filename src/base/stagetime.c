/* See stagetime.h. */
#include "stagetime.h"

/* Bin of a duration: values below STAGETIME_SUB are their own bin; above,
 * the exponent picks a group of STAGETIME_SUB bins and the next
 * STAGETIME_SUB_BITS bits below the leading one pick the bin in it. */
static unsigned bin_of(uint64_t v)
{
	if (v < STAGETIME_SUB)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= STAGETIME_SUB_BITS */
	if (e > STAGETIME_MAX_EXP)
		return STAGETIME_BINS - 1;
	unsigned sub = (unsigned)(v >> (e - STAGETIME_SUB_BITS)) & (STAGETIME_SUB - 1);
	return (e - STAGETIME_SUB_BITS + 1) * STAGETIME_SUB + sub;
}

/* Smallest and one past the largest duration that bin b holds. */
static void bin_range(unsigned b, double *lo, double *hi)
{
	if (b < STAGETIME_SUB) {
		*lo = b;
		*hi = b + 1;
		return;
	}
	unsigned e = b / STAGETIME_SUB + STAGETIME_SUB_BITS - 1;
	unsigned sub = b % STAGETIME_SUB;
	double width = (double)(1ull << (e - STAGETIME_SUB_BITS));
	*lo = (STAGETIME_SUB + sub) * width;
	*hi = *lo + width;
}

/* Single writer: a relaxed load and store instead of a locked add. */
static void bump(atomic_uint_least64_t *a, uint64_t by)
{
	atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

/* Sum and max first, the bin last with release: a reader that sees the bin
 * (acquire) sees a sum and max that include the value. On x86 both are
 * plain moves. */
void stagetime_add(struct stagetime *st, int64_t ns)
{
	uint64_t v = ns > 0 ? (uint64_t)ns : 0;
	atomic_uint_least32_t *bin = &st->bins[bin_of(v)];

	bump(&st->sum_ns, v);
	if (v > atomic_load_explicit(&st->max_ns, memory_order_relaxed))
		atomic_store_explicit(&st->max_ns, v, memory_order_relaxed);
	atomic_store_explicit(bin, atomic_load_explicit(bin, memory_order_relaxed) + 1,
			      memory_order_release);
}

void stagetime_get(const struct stagetime *st, struct stagetime_stats *out)
{
	uint64_t count = 0;
	uint32_t bins[STAGETIME_BINS];

	/* Counted from the bins themselves, so the percentile's rank matches
	 * the bins read even while the writer goes on; sum and max, read
	 * after, cover at least those values (at worst a few more, which only
	 * nudges a running mean). */
	for (unsigned b = 0; b < STAGETIME_BINS; b++) {
		bins[b] = atomic_load_explicit(&st->bins[b], memory_order_acquire);
		count += bins[b];
	}
	uint64_t sum = atomic_load_explicit(&st->sum_ns, memory_order_relaxed);
	uint64_t max = atomic_load_explicit(&st->max_ns, memory_order_relaxed);
	*out = (struct stagetime_stats){.count = count};
	if (count == 0)
		return;
	out->mean_us = (double)sum / (double)count / 1e3;
	out->max_us = (double)max / 1e3;

	/* The bin holding the ceil(0.99 * count)-th smallest duration; within
	 * it, interpolate linearly by rank. */
	uint64_t rank = (count * 99 + 99) / 100, acc = 0;
	for (unsigned b = 0; b < STAGETIME_BINS; b++) {
		if (acc + bins[b] < rank) {
			acc += bins[b];
			continue;
		}
		double lo, hi;
		bin_range(b, &lo, &hi);
		double p = lo + (hi - lo) * (double)(rank - acc) / (double)bins[b];
		if (p > (double)max)
			p = (double)max; /* the last bin's range overshoots the largest value */
		out->p99_us = p / 1e3;
		break;
	}
}

void stagetime_buckets(const struct stagetime *st, const double *le_s, int n, uint64_t *counts,
		       uint64_t *total, double *sum_s)
{
	uint64_t all = 0;

	for (int i = 0; i < n; i++)
		counts[i] = 0;
	for (unsigned b = 0; b < STAGETIME_BINS; b++) {
		uint64_t c = atomic_load_explicit(&st->bins[b], memory_order_acquire);
		double lo, hi;
		if (!c)
			continue;
		all += c;
		bin_range(b, &lo, &hi);
		for (int i = 0; i < n; i++)
			if (hi <= le_s[i] * 1e9)
				counts[i] += c;
	}
	*total = all;
	*sum_s = (double)atomic_load_explicit(&st->sum_ns, memory_order_relaxed) / 1e9;
}
