/* Bounded ring of preallocated frame slots between one producer (capture
 * thread) and one consumer (inference thread).
 *
 * Slots are allocated once by ring_create and handed out by pointer:
 * producer: ring_acquire_write -> fill -> ring_commit (or ring_cancel_write);
 * consumer: ring_acquire_read -> use -> ring_release, or a batch:
 * ring_acquire_read_many -> use -> ring_release / ring_release_many.
 * The producer holds at most one slot at a time, the consumer one batch.
 * Frames are delivered in commit order. One mutex and two condition
 * variables on CLOCK_MONOTONIC. */
#ifndef TURNSTILE_RING_H
#define TURNSTILE_RING_H

#include <stddef.h>
#include <stdint.h>

#include "turnstile/frame.h"

enum ring_policy {
	RING_BLOCK,       /* file replay: a full ring makes the producer wait; never drops */
	RING_DROP_OLDEST, /* live source: committing into a full ring drops the oldest
			   * unread frame, counted; an acquire or cancel never drops */
};

struct ring_stats {
	uint64_t committed; /* frames committed by the producer */
	uint64_t consumed;  /* frames handed to the consumer */
	uint64_t dropped;   /* frames discarded unread (RING_DROP_OLDEST only) */
	uint64_t wakeups;   /* commits that woke the waiting consumer */
	size_t fill;        /* frames committed and not yet handed out */
	size_t nslots;      /* as asked of ring_create (the writer's spare not included) */
	size_t waiting_for; /* the consumer waits for this many queued frames; 0: not waiting */
};

struct ring;

/* Allocates nslots (>= 2) slots of slot_bytes each: frames queued plus the
 * one the consumer holds never exceed nslots. RING_DROP_OLDEST allocates one
 * slot more, the producer's, so it can fill a frame while the ring is full
 * and evict only when the frame is committed. Returns 0 or -errno (-EINVAL
 * for bad sizes, -ENOMEM). */
int ring_create(size_t nslots, size_t slot_bytes, enum ring_policy policy, struct ring **out);
/* Frees the ring and its slots. No thread may be using it. NULL is fine. */
void ring_destroy(struct ring *ring);

/* Returns an empty slot for the producer (len and capture_ns 0). RING_BLOCK
 * waits while the ring is full; RING_DROP_OLDEST never waits and drops
 * nothing here: every queued frame stays readable until a commit replaces
 * it. Returns NULL once the ring is closed. */
struct frame *ring_acquire_write(struct ring *ring);
/* Publishes the slot and wakes the consumer. capture_ns is stamped with
 * CLOCK_MONOTONIC now unless the producer set it (a source that knows when
 * the frame was captured). RING_DROP_OLDEST, ring full: the oldest queued
 * frame is discarded and counted in dropped, never the one the consumer
 * holds. */
void ring_commit(struct ring *ring, struct frame *slot);
/* Gives back an acquired slot unpublished (the read failed); drops nothing. */
void ring_cancel_write(struct ring *ring, struct frame *slot);

/* Returns the oldest committed frame, waiting while there is none. Returns
 * NULL when the ring is closed and every committed frame has been handed out. */
struct frame *ring_acquire_read(struct ring *ring);
/* The consumer's batch: hands out up to max of the oldest committed frames,
 * out[0..n) oldest first, and returns n. It waits until min of them are
 * queued (1 <= min <= max), and a commit wakes it only when that makes min,
 * so a consumer that knows it will skip the next frames unread sleeps once
 * for all of them instead of once a frame. min is cut to what the ring can
 * queue without a drop and with a frame to spare (RING_BLOCK: nslots;
 * RING_DROP_OLDEST: nslots - 1). Once deadline_ns (CLOCK_MONOTONIC, 0: none)
 * has passed it waits for one frame only. Once closed it hands out what is
 * left, fewer than min; returns 0 when closed and drained. The consumer
 * must have released every frame it held before asking again. */
size_t ring_acquire_read_many(struct ring *ring, size_t min, size_t max, int64_t deadline_ns,
			      struct frame **out);
/* Returns a slot obtained from ring_acquire_read(_many) to the free pool. */
void ring_release(struct ring *ring, struct frame *slot);
/* Returns n such slots at once, under one lock. */
void ring_release_many(struct ring *ring, struct frame *const *slots, size_t n);

/* End of stream, or shutdown: wakes every waiter. The producer gets NULL from
 * then on; the consumer still drains what was committed, then gets NULL. */
void ring_close(struct ring *ring);

void ring_get_stats(struct ring *ring, struct ring_stats *out);

#endif
