/* Ring of preallocated frame slots between one producer and one consumer.
 *
 * Owns: the slot storage (one 64-byte aligned block, one cache-line aligned
 * stretch per slot), the struct frame headers that point into it, a FIFO of
 * committed slot indices and a stack of free ones. Nothing is allocated after
 * ring_create, so a stalled consumer can never make capture allocate.
 *
 * RING_DROP_OLDEST gets one slot more than asked for, the writer's spare:
 * queue + reader never hold more than nslots, so the writer always finds a
 * free slot and the oldest queued frame is evicted only when its
 * replacement is committed. Evicting at acquire instead would throw a frame
 * away for every read that then fails (a poll timeout, a reconnect, a
 * corrupt frame), and even on success a frame period before the consumer
 * could have taken it.
 *
 * Threads: one producer (capture thread: acquire_write, commit, cancel_write)
 * and one consumer (inference thread: acquire_read(_many), release(_many)).
 * The consumer says how many queued frames it waits for (want), and a
 * commit signals it only when the queue reaches that: an idle camera's
 * inference thread, which skips most frames unread, wakes once for a run
 * of them (docs/idle-skip.md). ring_close and
 * ring_get_stats may come from any thread (the coordinator). ring_create and
 * ring_destroy run while no other thread uses the ring.
 *
 * Lock order: ring->lock is a leaf. It is held only for index bookkeeping,
 * never while calling out, and nothing else is taken under it. The slot
 * contents are touched without the lock: a slot belongs to exactly one side
 * (free, writer, queued, reader) and moves between sides under the lock,
 * which is what orders the payload writes before the reads. */
#include "ring.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "util.h"

#define RING_ALIGN 64

/* Where each slot is; kept so misuse (double release, committing a slot the
 * caller does not hold) trips an assert instead of corrupting the FIFO. */
enum slot_owner {
	SLOT_FREE,
	SLOT_WRITER,
	SLOT_QUEUED,
	SLOT_READER,
};

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* consumer waits here for a commit or close */
	pthread_cond_t not_full;  /* RING_BLOCK producer waits here for a release or close */

	enum ring_policy policy;
	size_t nslots; /* what the caller asked for: queue + reader hold at most this */
	size_t nalloc; /* slots allocated: nslots, plus the writer's spare if dropping */
	size_t stride; /* bytes between slots: slot_bytes rounded up to RING_ALIGN */

	uint8_t *storage;
	struct frame *slots;
	unsigned char *owner; /* enum slot_owner per slot */

	size_t *queue; /* committed slot indices, oldest at queue[head] */
	size_t head;
	size_t fill;

	size_t *free_stack; /* LIFO: the slot released last is still warm in cache */
	size_t nfree;

	bool closed;
	bool writer_busy;
	size_t reader_held; /* slots the consumer holds (one batch) */
	size_t want;        /* the consumer waits until this many are queued; 0: not waiting */

	uint64_t committed;
	uint64_t consumed;
	uint64_t dropped;
	uint64_t wakeups;
};

int ring_create(size_t nslots, size_t slot_bytes, enum ring_policy policy, struct ring **out)
{
	struct ring *ring;
	size_t stride, nalloc;
	int rc;

	*out = NULL;
	/* Two slots at least: in RING_DROP_OLDEST the consumer may hold one
	 * while another is queued, or a commit into a full ring would find
	 * nothing to evict. */
	if (nslots < 2 || slot_bytes == 0 || slot_bytes > SIZE_MAX - (RING_ALIGN - 1))
		return -EINVAL;
	if (policy != RING_BLOCK && policy != RING_DROP_OLDEST)
		return -EINVAL;
	stride = (slot_bytes + RING_ALIGN - 1) / RING_ALIGN * RING_ALIGN;
	if (nslots > SIZE_MAX / stride - 1) /* room for the writer's spare too */
		return -EINVAL;
	nalloc = policy == RING_DROP_OLDEST ? nslots + 1 : nslots;

	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring->policy = policy;
	ring->nslots = nslots;
	ring->nalloc = nalloc;
	ring->stride = stride;

	rc = pthread_mutex_init(&ring->lock, NULL);
	if (rc != 0) {
		free(ring);
		return -rc;
	}
	rc = cond_init_monotonic(&ring->not_empty);
	if (rc < 0)
		goto fail_mutex;
	rc = cond_init_monotonic(&ring->not_full);
	if (rc < 0)
		goto fail_not_empty;

	rc = -ENOMEM;
	/* stride is a multiple of RING_ALIGN, as C11 aligned_alloc requires. */
	ring->storage = aligned_alloc(RING_ALIGN, nalloc * stride);
	ring->slots = calloc(nalloc, sizeof(*ring->slots));
	ring->owner = calloc(nalloc, sizeof(*ring->owner));
	/* Never more than nslots queued: eviction comes before the push. */
	ring->queue = calloc(nslots, sizeof(*ring->queue));
	ring->free_stack = calloc(nalloc, sizeof(*ring->free_stack));
	if (!ring->storage || !ring->slots || !ring->owner || !ring->queue || !ring->free_stack)
		goto fail_arrays;

	for (size_t i = 0; i < nalloc; i++) {
		ring->slots[i].data = ring->storage + i * stride;
		ring->slots[i].cap = slot_bytes;
		ring->owner[i] = SLOT_FREE;
		/* Stack top is the end: hand out slot 0 first. */
		ring->free_stack[i] = nalloc - 1 - i;
	}
	ring->nfree = nalloc;
	*out = ring;
	return 0;

fail_arrays:
	free(ring->free_stack);
	free(ring->queue);
	free(ring->owner);
	free(ring->slots);
	free(ring->storage);
	pthread_cond_destroy(&ring->not_full);
fail_not_empty:
	pthread_cond_destroy(&ring->not_empty);
fail_mutex:
	pthread_mutex_destroy(&ring->lock);
	free(ring);
	return rc;
}

void ring_destroy(struct ring *ring)
{
	if (!ring)
		return;
	pthread_cond_destroy(&ring->not_full);
	pthread_cond_destroy(&ring->not_empty);
	pthread_mutex_destroy(&ring->lock);
	free(ring->free_stack);
	free(ring->queue);
	free(ring->owner);
	free(ring->slots);
	free(ring->storage);
	free(ring);
}

/* Maps a slot pointer back to its index; asserts it is one of ours and that
 * the caller left the storage pointer alone. */
static size_t slot_index(const struct ring *ring, const struct frame *slot)
{
	size_t i;

	assert(slot >= ring->slots && slot < ring->slots + ring->nalloc);
	i = (size_t)(slot - ring->slots);
	assert(slot->data == ring->storage + i * ring->stride);
	return i;
}

static void cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (pthread_cond_wait(c, m) != 0)
		abort();
}

static size_t queue_pop(struct ring *ring)
{
	size_t i;

	assert(ring->fill > 0);
	i = ring->queue[ring->head];
	ring->head = (ring->head + 1) % ring->nslots;
	ring->fill--;
	return i;
}

static void queue_push(struct ring *ring, size_t i)
{
	assert(ring->fill < ring->nslots);
	ring->queue[(ring->head + ring->fill) % ring->nslots] = i;
	ring->fill++;
}

static void free_push(struct ring *ring, size_t i)
{
	assert(ring->nfree < ring->nalloc);
	ring->free_stack[ring->nfree++] = i;
}

struct frame *ring_acquire_write(struct ring *ring)
{
	struct frame *slot = NULL;
	size_t i;

	mutex_lock(&ring->lock);
	assert(!ring->writer_busy);
	if (ring->policy == RING_BLOCK) {
		while (ring->nfree == 0 && !ring->closed)
			cond_wait(&ring->not_full, &ring->lock);
	}
	if (ring->closed)
		goto out;

	/* RING_DROP_OLDEST: queue + reader <= nslots after every commit, so
	 * of nslots + 1 slots at least one is free here. */
	assert(ring->nfree > 0);
	i = ring->free_stack[--ring->nfree];
	ring->owner[i] = SLOT_WRITER;
	ring->writer_busy = true;
	slot = &ring->slots[i];
	slot->len = 0;
	/* 0: not stamped yet (see ring_commit). */
	slot->capture_ns = 0;
out:
	mutex_unlock(&ring->lock);
	return slot;
}

void ring_commit(struct ring *ring, struct frame *slot)
{
	size_t i = slot_index(ring, slot);

	/* Stamped before publishing: the slot is still the producer's alone.
	 * A source that knows when the frame was really captured (a V4L2
	 * buffer timestamp) has set it already. */
	if (slot->capture_ns == 0)
		slot->capture_ns = now_ns(CLOCK_MONOTONIC);
	assert(slot->len <= slot->cap);

	mutex_lock(&ring->lock);
	assert(ring->writer_busy && ring->owner[i] == SLOT_WRITER);
	if (ring->policy == RING_DROP_OLDEST && ring->nfree == 0) {
		/* Live source, full ring: queue + reader hold nslots, so this
		 * frame replaces the oldest unread one, the least useful. The
		 * reader holds at most one slot and nslots >= 2, so one is
		 * queued. */
		size_t old = queue_pop(ring);
		ring->owner[old] = SLOT_FREE;
		free_push(ring, old);
		ring->dropped++;
	}
	/* A commit racing ring_close is still queued: the consumer drains
	 * everything committed, so the frame is not lost from the counts. */
	ring->owner[i] = SLOT_QUEUED;
	ring->writer_busy = false;
	queue_push(ring, i);
	ring->committed++;
	/* Only the commit that gives the consumer what it waits for wakes it:
	 * a frame it will skip unread costs it no wake-up. */
	if (ring->want && ring->fill >= ring->want) {
		ring->wakeups++;
		pthread_cond_signal(&ring->not_empty);
	}
	mutex_unlock(&ring->lock);
}

void ring_cancel_write(struct ring *ring, struct frame *slot)
{
	size_t i = slot_index(ring, slot);

	mutex_lock(&ring->lock);
	assert(ring->writer_busy && ring->owner[i] == SLOT_WRITER);
	ring->owner[i] = SLOT_FREE;
	ring->writer_busy = false;
	free_push(ring, i);
	/* No signal: the only thread that waits on not_full is the producer,
	 * and it is the one calling. */
	mutex_unlock(&ring->lock);
}

/* The most frames the consumer may wait for: what the queue holds without
 * a drop, and for RING_DROP_OLDEST one frame period to spare, so the commit
 * that wakes it is never followed by an eviction before it runs. */
static size_t most_to_wait_for(const struct ring *ring)
{
	return ring->policy == RING_DROP_OLDEST ? ring->nslots - 1 : ring->nslots;
}

size_t ring_acquire_read_many(struct ring *ring, size_t min, size_t max, int64_t deadline_ns,
			      struct frame **out)
{
	size_t n = 0;

	assert(min >= 1 && min <= max);
	mutex_lock(&ring->lock);
	assert(ring->reader_held == 0);
	if (min > most_to_wait_for(ring))
		min = most_to_wait_for(ring);
	while (ring->fill < min && !ring->closed) {
		ring->want = min;
		if (deadline_ns > 0 && min > 1) {
			struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
					      .tv_nsec = deadline_ns % 1000000000};
			int rc = pthread_cond_timedwait(&ring->not_empty, &ring->lock, &ts);
			if (rc == ETIMEDOUT)
				min = 1; /* late: whatever has come */
			else if (rc != 0)
				abort();
		} else {
			cond_wait(&ring->not_empty, &ring->lock);
		}
	}
	ring->want = 0;
	while (n < max && ring->fill > 0) {
		size_t i = queue_pop(ring);
		ring->owner[i] = SLOT_READER;
		ring->consumed++;
		out[n++] = &ring->slots[i];
	}
	ring->reader_held = n;
	mutex_unlock(&ring->lock);
	return n;
}

struct frame *ring_acquire_read(struct ring *ring)
{
	struct frame *slot;

	return ring_acquire_read_many(ring, 1, 1, 0, &slot) ? slot : NULL;
}

void ring_release_many(struct ring *ring, struct frame *const *slots, size_t n)
{
	if (n == 0)
		return;
	mutex_lock(&ring->lock);
	assert(ring->reader_held >= n);
	for (size_t k = 0; k < n; k++) {
		size_t i = slot_index(ring, slots[k]);
		assert(ring->owner[i] == SLOT_READER);
		ring->owner[i] = SLOT_FREE;
		free_push(ring, i);
	}
	ring->reader_held -= n;
	pthread_cond_signal(&ring->not_full);
	mutex_unlock(&ring->lock);
}

void ring_release(struct ring *ring, struct frame *slot)
{
	ring_release_many(ring, &slot, 1);
}

void ring_close(struct ring *ring)
{
	mutex_lock(&ring->lock);
	ring->closed = true;
	pthread_cond_broadcast(&ring->not_empty);
	pthread_cond_broadcast(&ring->not_full);
	mutex_unlock(&ring->lock);
}

void ring_get_stats(struct ring *ring, struct ring_stats *out)
{
	mutex_lock(&ring->lock);
	out->committed = ring->committed;
	out->consumed = ring->consumed;
	out->dropped = ring->dropped;
	out->wakeups = ring->wakeups;
	out->fill = ring->fill;
	out->nslots = ring->nslots;
	out->waiting_for = ring->want;
	mutex_unlock(&ring->lock);
}
