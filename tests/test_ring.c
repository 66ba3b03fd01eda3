/* Ring edge cases (empty, full, wrap-around, reuse after drain, cancel,
 * close) single-threaded, then close/release wake-ups and a concurrent
 * producer and consumer under both policies.
 *
 * cmocka's assert_* longjmp out of the test and must stay on the test's own
 * thread, so worker threads record what they saw and the test checks it
 * after pthread_join. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ring.h"
#include "util.h"

#define SLOT_BYTES 100 /* not a multiple of the slot alignment, on purpose */

static struct ring *make_ring(size_t nslots, enum ring_policy policy)
{
	struct ring *ring = NULL;
	assert_int_equal(ring_create(nslots, SLOT_BYTES, policy, &ring), 0);
	assert_non_null(ring);
	return ring;
}

/* The sequence number goes at both ends of the slot, so a slot handed to two
 * owners at once, or a payload from the wrong slot, shows up as a mismatch. */
static void put_seq(struct frame *f, uint64_t seq)
{
	memcpy(f->data, &seq, sizeof(seq));
	memcpy(f->data + f->cap - sizeof(seq), &seq, sizeof(seq));
	f->len = f->cap;
	f->index = seq;
}

/* Returns the sequence number, or UINT64_MAX when the slot is inconsistent. */
static uint64_t get_seq(const struct frame *f)
{
	uint64_t head, tail;
	memcpy(&head, f->data, sizeof(head));
	memcpy(&tail, f->data + f->cap - sizeof(tail), sizeof(tail));
	if (head != tail || head != f->index || f->len != f->cap)
		return UINT64_MAX;
	return head;
}

static void write_one(struct ring *ring, uint64_t seq)
{
	struct frame *f = ring_acquire_write(ring);
	assert_non_null(f);
	put_seq(f, seq);
	ring_commit(ring, f);
}

static void read_expect(struct ring *ring, uint64_t seq)
{
	struct frame *f = ring_acquire_read(ring);
	assert_non_null(f);
	assert_int_equal(get_seq(f), seq);
	ring_release(ring, f);
}

static void expect_stats(struct ring *ring, uint64_t committed, uint64_t consumed,
			 uint64_t dropped, size_t fill)
{
	struct ring_stats st;
	ring_get_stats(ring, &st);
	assert_int_equal(st.committed, committed);
	assert_int_equal(st.consumed, consumed);
	assert_int_equal(st.dropped, dropped);
	assert_int_equal(st.fill, fill);
}

static void create_rejects_bad_sizes(void **state)
{
	(void)state;
	struct ring *ring = (struct ring *)&ring; /* must be overwritten */

	assert_int_equal(ring_create(0, SLOT_BYTES, RING_BLOCK, &ring), -EINVAL);
	assert_null(ring);
	assert_int_equal(ring_create(1, SLOT_BYTES, RING_DROP_OLDEST, &ring), -EINVAL);
	assert_null(ring);
	assert_int_equal(ring_create(4, 0, RING_BLOCK, &ring), -EINVAL);
	assert_null(ring);
	/* nslots * slot_bytes overflows size_t */
	assert_int_equal(ring_create(4, SIZE_MAX / 2, RING_BLOCK, &ring), -EINVAL);
	assert_null(ring);
	assert_int_equal(ring_create(4, SIZE_MAX, RING_BLOCK, &ring), -EINVAL);
	assert_null(ring);
	assert_int_equal(ring_create(4, SLOT_BYTES, (enum ring_policy)42, &ring), -EINVAL);
	assert_null(ring);

	ring_destroy(NULL);
}

static void slots_are_aligned_disjoint_and_full_size(void **state)
{
	(void)state;
	enum { N = 5 };
	struct ring *ring = make_ring(N, RING_BLOCK);
	struct frame *f[N];
	struct ring_stats st;

	ring_get_stats(ring, &st);
	assert_int_equal(st.nslots, N);
	for (int i = 0; i < N; i++) {
		f[i] = ring_acquire_write(ring);
		assert_non_null(f[i]);
		assert_int_equal(f[i]->cap, SLOT_BYTES);
		assert_int_equal((uintptr_t)f[i]->data % 64, 0);
		memset(f[i]->data, 'a' + i, f[i]->cap); /* ASan: stays inside the slot */
		f[i]->len = f[i]->cap;
		ring_commit(ring, f[i]);
	}
	for (int i = 0; i < N; i++) {
		struct frame *r = ring_acquire_read(ring);
		assert_ptr_equal(r, f[i]);
		for (size_t b = 0; b < r->cap; b++)
			assert_int_equal(r->data[b], 'a' + i);
		ring_release(ring, r);
	}
	ring_destroy(ring);
}

static void empty_ring_after_close_returns_null(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);

	expect_stats(ring, 0, 0, 0, 0);
	ring_close(ring);
	assert_null(ring_acquire_read(ring));
	assert_null(ring_acquire_read(ring)); /* and stays so */
	assert_null(ring_acquire_write(ring));
	expect_stats(ring, 0, 0, 0, 0);
	ring_destroy(ring);
}

static void close_drains_committed_frames_then_returns_null(void **state)
{
	(void)state;
	struct ring *ring = make_ring(4, RING_BLOCK);

	for (uint64_t s = 0; s < 3; s++)
		write_one(ring, s);
	ring_close(ring);
	assert_null(ring_acquire_write(ring));
	for (uint64_t s = 0; s < 3; s++)
		read_expect(ring, s);
	assert_null(ring_acquire_read(ring));
	expect_stats(ring, 3, 3, 0, 0);
	ring_destroy(ring);
}

static void commit_in_flight_at_close_is_still_delivered(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct frame *f = ring_acquire_write(ring);

	assert_non_null(f);
	ring_close(ring);
	put_seq(f, 7);
	ring_commit(ring, f);
	read_expect(ring, 7);
	assert_null(ring_acquire_read(ring));
	expect_stats(ring, 1, 1, 0, 0);
	ring_destroy(ring);
}

static void drop_oldest_full_ring_drops_exactly_the_oldest(void **state)
{
	(void)state;
	struct ring *ring = make_ring(4, RING_DROP_OLDEST);

	for (uint64_t s = 0; s < 4; s++)
		write_one(ring, s);
	expect_stats(ring, 4, 0, 0, 4);
	for (uint64_t s = 4; s < 10; s++)
		write_one(ring, s);
	expect_stats(ring, 10, 0, 6, 4);
	for (uint64_t s = 6; s < 10; s++)
		read_expect(ring, s);
	expect_stats(ring, 10, 4, 6, 0);
	ring_destroy(ring);
}

static void drop_oldest_never_takes_the_slot_the_reader_holds(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_DROP_OLDEST);
	struct frame *held, *w;

	write_one(ring, 0);
	held = ring_acquire_read(ring);
	assert_non_null(held);
	assert_int_equal(get_seq(held), 0);

	/* One free slot left: no drop yet. */
	write_one(ring, 1);
	expect_stats(ring, 2, 1, 0, 1);
	/* Full: each further write must drop the queued frame, never the held one. */
	for (uint64_t s = 2; s < 6; s++) {
		w = ring_acquire_write(ring);
		assert_non_null(w);
		assert_ptr_not_equal(w, held);
		put_seq(w, s);
		ring_commit(ring, w);
		assert_int_equal(get_seq(held), 0);
	}
	expect_stats(ring, 6, 1, 4, 1);

	ring_release(ring, held);
	read_expect(ring, 5);
	expect_stats(ring, 6, 2, 4, 0);
	ring_destroy(ring);
}

/* Regression: a full live ring used to evict its oldest frame at acquire, so
 * every read that then failed (poll timeout, reconnect, corrupt frame)
 * threw away a frame that nothing replaced. */
static void drop_oldest_cancelled_write_drops_nothing(void **state)
{
	(void)state;
	struct ring *ring = make_ring(4, RING_DROP_OLDEST);
	struct frame *f;

	for (uint64_t s = 0; s < 4; s++)
		write_one(ring, s);
	/* A camera that times out again and again. */
	for (int k = 0; k < 10; k++) {
		f = ring_acquire_write(ring);
		assert_non_null(f);
		put_seq(f, 100 + (uint64_t)k);
		ring_cancel_write(ring, f);
		expect_stats(ring, 4, 0, 0, 4);
	}
	for (uint64_t s = 0; s < 4; s++)
		read_expect(ring, s);
	expect_stats(ring, 4, 4, 0, 0);
	ring_destroy(ring);
}

/* The frame being filled replaces nothing until it is committed: a frame
 * the consumer takes meanwhile was not dropped, and makes room. */
static void drop_oldest_frame_read_while_writing_is_not_dropped(void **state)
{
	(void)state;
	struct ring *ring = make_ring(4, RING_DROP_OLDEST);
	struct frame *w;

	for (uint64_t s = 0; s < 4; s++)
		write_one(ring, s);
	w = ring_acquire_write(ring);
	assert_non_null(w);
	read_expect(ring, 0);
	put_seq(w, 4);
	ring_commit(ring, w);
	expect_stats(ring, 5, 1, 0, 4);
	for (uint64_t s = 1; s < 5; s++)
		read_expect(ring, s);
	expect_stats(ring, 5, 5, 0, 0);
	ring_destroy(ring);
}

static void drop_oldest_evicts_the_oldest_at_commit_not_at_acquire(void **state)
{
	(void)state;
	struct ring *ring = make_ring(3, RING_DROP_OLDEST);
	struct frame *w;

	for (uint64_t s = 0; s < 3; s++)
		write_one(ring, s);
	w = ring_acquire_write(ring);
	assert_non_null(w);
	expect_stats(ring, 3, 0, 0, 3); /* still all there while w is filled */
	put_seq(w, 3);                  /* a slot of its own: no queued payload touched */
	ring_commit(ring, w);
	expect_stats(ring, 4, 0, 1, 3);
	for (uint64_t s = 1; s < 4; s++)
		read_expect(ring, s);
	expect_stats(ring, 4, 3, 1, 0);
	ring_destroy(ring);
}

static void wrap_around_many_times_keeps_order(void **state)
{
	(void)state;
	const enum ring_policy policies[] = {RING_BLOCK, RING_DROP_OLDEST};

	for (size_t p = 0; p < 2; p++) {
		struct ring *ring = make_ring(3, policies[p]);
		uint64_t wseq = 0, rseq = 0;

		/* Batches of 1..3 so head and tail land on every offset. */
		for (int round = 0; round < 999; round++) {
			int batch = 1 + round % 3;
			for (int k = 0; k < batch; k++)
				write_one(ring, wseq++);
			for (int k = 0; k < batch; k++)
				read_expect(ring, rseq++);
		}
		expect_stats(ring, wseq, rseq, 0, 0);
		assert_int_equal(wseq, 1998); /* 333 cycles of batches 1, 2, 3 */
		ring_destroy(ring);
	}
}

static void reuse_after_drain_hands_out_every_slot_again(void **state)
{
	(void)state;
	enum { N = 4 };
	struct ring *ring = make_ring(N, RING_BLOCK);
	struct frame *first[N];
	uint64_t seq = 0;

	for (int cycle = 0; cycle < 3; cycle++) {
		struct frame *got[N];
		for (int i = 0; i < N; i++) {
			got[i] = ring_acquire_write(ring);
			assert_non_null(got[i]);
			put_seq(got[i], seq + (uint64_t)i);
			ring_commit(ring, got[i]);
		}
		expect_stats(ring, seq + N, seq, 0, N);
		for (int i = 0; i < N; i++)
			read_expect(ring, seq + (uint64_t)i);
		seq += N;
		expect_stats(ring, seq, seq, 0, 0);

		/* Each cycle used N distinct slots, the same set every time. */
		for (int i = 0; i < N; i++) {
			for (int j = i + 1; j < N; j++)
				assert_ptr_not_equal(got[i], got[j]);
			if (cycle == 0) {
				first[i] = got[i];
			} else {
				bool found = false;
				for (int j = 0; j < N; j++)
					found = found || got[i] == first[j];
				assert_true(found);
			}
		}
	}
	ring_destroy(ring);
}

static void cancel_write_returns_slot_unpublished(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_DROP_OLDEST);
	struct frame *f;

	/* Were cancelled slots lost, the third acquire would find neither a
	 * free nor a queued slot. */
	for (uint64_t s = 100; s < 110; s++) {
		f = ring_acquire_write(ring);
		assert_non_null(f);
		put_seq(f, s);
		ring_cancel_write(ring, f);
	}
	expect_stats(ring, 0, 0, 0, 0);

	write_one(ring, 0);
	f = ring_acquire_write(ring);
	assert_non_null(f);
	put_seq(f, 99);
	ring_cancel_write(ring, f);
	write_one(ring, 1); /* both slots usable: no drop */
	expect_stats(ring, 2, 0, 0, 2);

	ring_close(ring);
	read_expect(ring, 0);
	read_expect(ring, 1);
	assert_null(ring_acquire_read(ring));
	expect_stats(ring, 2, 2, 0, 0);
	ring_destroy(ring);
}

static void commit_stamps_monotonic_capture_time(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct timespec ts;
	int64_t before, after;
	struct frame *f = ring_acquire_write(ring);

	assert_non_null(f);
	assert_int_equal(f->capture_ns, 0); /* not stamped: commit stamps it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	before = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	ring_commit(ring, f);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	after = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

	f = ring_acquire_read(ring);
	assert_non_null(f);
	assert_true(f->capture_ns >= before);
	assert_true(f->capture_ns <= after);
	ring_release(ring, f);
	ring_destroy(ring);
}

/* A source that knows when the frame was captured (V4L2's buffer timestamp)
 * sets capture_ns itself; commit keeps it, and the next acquire clears it. */
static void commit_keeps_a_capture_time_the_producer_set(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_DROP_OLDEST);
	struct frame *f = ring_acquire_write(ring);

	assert_non_null(f);
	f->capture_ns = 12345;
	ring_commit(ring, f);
	f = ring_acquire_read(ring);
	assert_non_null(f);
	assert_int_equal(f->capture_ns, 12345);
	ring_release(ring, f);
	f = ring_acquire_write(ring);
	assert_non_null(f);
	assert_int_equal(f->capture_ns, 0);
	ring_cancel_write(ring, f);
	ring_destroy(ring);
}

static void stats_track_every_transition(void **state)
{
	(void)state;
	struct ring *ring = make_ring(3, RING_DROP_OLDEST);
	struct frame *r;

	expect_stats(ring, 0, 0, 0, 0);
	write_one(ring, 0);
	expect_stats(ring, 1, 0, 0, 1);
	write_one(ring, 1);
	write_one(ring, 2);
	expect_stats(ring, 3, 0, 0, 3);
	r = ring_acquire_read(ring); /* handed out: consumed, no longer fill */
	assert_non_null(r);
	expect_stats(ring, 3, 1, 0, 2);
	write_one(ring, 3); /* full (reader holds one): drops 1 */
	expect_stats(ring, 4, 1, 1, 2);
	ring_release(ring, r);
	expect_stats(ring, 4, 1, 1, 2);
	read_expect(ring, 2);
	read_expect(ring, 3);
	expect_stats(ring, 4, 3, 1, 0);
	ring_destroy(ring);
}

/* ---- wake-ups: one helper thread blocks in the ring, the test unblocks it */

struct waiter {
	struct ring *ring;
	atomic_bool started;
	struct frame *result;
	uint64_t seq; /* waiter_write: what it commits */
};

static void *waiter_write(void *arg)
{
	struct waiter *w = arg;
	atomic_store(&w->started, true);
	w->result = ring_acquire_write(w->ring);
	if (w->result) {
		put_seq(w->result, w->seq);
		ring_commit(w->ring, w->result);
	}
	return NULL;
}

static void *waiter_read(void *arg)
{
	struct waiter *w = arg;
	atomic_store(&w->started, true);
	w->result = ring_acquire_read(w->ring);
	return NULL;
}

/* Makes it likely the helper is already asleep in the ring, so the wake-up
 * path is what gets exercised. Correctness does not depend on it: if the
 * helper arrives late it must see the same state and return the same way. */
static void let_waiter_block(struct waiter *w)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	while (!atomic_load(&w->started))
		sched_yield();
	nanosleep(&ts, NULL);
}

static void close_wakes_blocked_producer(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct waiter w = {.ring = ring};
	pthread_t t;

	write_one(ring, 0);
	write_one(ring, 1);
	w.result = (struct frame *)&w; /* must become NULL */
	assert_int_equal(pthread_create(&t, NULL, waiter_write, &w), 0);
	let_waiter_block(&w);
	ring_close(ring);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(w.result);

	/* Block policy: nothing was dropped to make room. */
	expect_stats(ring, 2, 0, 0, 2);
	read_expect(ring, 0);
	read_expect(ring, 1);
	assert_null(ring_acquire_read(ring));
	ring_destroy(ring);
}

static void close_wakes_blocked_consumer(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct waiter w = {.ring = ring};
	pthread_t t;

	w.result = (struct frame *)&w; /* must become NULL */
	assert_int_equal(pthread_create(&t, NULL, waiter_read, &w), 0);
	let_waiter_block(&w);
	ring_close(ring);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(w.result);
	expect_stats(ring, 0, 0, 0, 0);
	ring_destroy(ring);
}

static void release_wakes_blocked_producer(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct waiter w = {.ring = ring, .seq = 2};
	pthread_t t;

	write_one(ring, 0);
	write_one(ring, 1);
	assert_int_equal(pthread_create(&t, NULL, waiter_write, &w), 0);
	let_waiter_block(&w);
	read_expect(ring, 0); /* the release frees a slot for the waiter */
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(w.result);
	read_expect(ring, 1);
	read_expect(ring, 2);
	expect_stats(ring, 3, 3, 0, 0);
	ring_destroy(ring);
}

static void commit_wakes_blocked_consumer(void **state)
{
	(void)state;
	struct ring *ring = make_ring(2, RING_BLOCK);
	struct waiter w = {.ring = ring};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, waiter_read, &w), 0);
	let_waiter_block(&w);
	write_one(ring, 5);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(w.result);
	assert_int_equal(get_seq(w.result), 5);
	ring_release(ring, w.result);
	expect_stats(ring, 1, 1, 0, 0);
	ring_destroy(ring);
}

/* ---- the consumer's batches (ring_acquire_read_many) */

struct batch_waiter {
	struct ring *ring;
	size_t min;
	struct frame *out[8];
	size_t n;
};

static void *batch_read(void *arg)
{
	struct batch_waiter *w = arg;
	w->n = ring_acquire_read_many(w->ring, w->min, w->min, 0, w->out);
	return NULL;
}

/* Until the consumer thread sleeps in the ring waiting for want frames. */
static void wait_until_waiting_for(struct ring *ring, size_t want)
{
	struct ring_stats st;
	for (ring_get_stats(ring, &st); st.waiting_for != want; ring_get_stats(ring, &st))
		sched_yield();
}

/* An idle camera's inference thread skips the next frames unread: it must
 * sleep through their commits and be woken once, by the one that completes
 * the run it asked for (docs/idle-skip.md). */
static void batch_consumer_is_woken_once_for_its_whole_run(void **state)
{
	(void)state;
	struct ring *ring = make_ring(8, RING_DROP_OLDEST);
	struct batch_waiter w = {.ring = ring, .min = 4};
	struct ring_stats st;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, batch_read, &w), 0);
	wait_until_waiting_for(ring, 4);
	for (uint64_t seq = 0; seq < 3; seq++) {
		write_one(ring, seq);
		ring_get_stats(ring, &st);
		assert_int_equal(st.wakeups, 0); /* not woken for a frame it will skip */
		assert_int_equal(st.waiting_for, 4);
	}
	write_one(ring, 3);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(get_seq(w.out[i]), i);
	ring_release_many(ring, w.out, w.n);
	ring_get_stats(ring, &st);
	assert_int_equal(st.wakeups, 1);
	assert_int_equal(st.waiting_for, 0);
	expect_stats(ring, 4, 4, 0, 0);
	/* Every slot came back: a full ring's worth can be written and read again. */
	for (uint64_t seq = 4; seq < 12; seq++)
		write_one(ring, seq);
	for (uint64_t seq = 4; seq < 12; seq++)
		read_expect(ring, seq);
	expect_stats(ring, 12, 12, 0, 0);
	ring_destroy(ring);
}

/* Frames that come late (a live camera's uneven timing) must not hold the
 * consumer past its deadline: it takes what has come. */
static void batch_takes_what_has_come_at_the_deadline(void **state)
{
	(void)state;
	struct ring *ring = make_ring(8, RING_BLOCK);
	struct frame *out[8];

	write_one(ring, 0);
	write_one(ring, 1);
	int64_t t0 = now_ns(CLOCK_MONOTONIC), deadline = t0 + 30 * 1000000;
	assert_int_equal(ring_acquire_read_many(ring, 5, 5, deadline, out), 2);
	assert_true(now_ns(CLOCK_MONOTONIC) >= deadline);
	assert_int_equal(get_seq(out[0]), 0);
	assert_int_equal(get_seq(out[1]), 1);
	ring_release(ring, out[0]);
	ring_release(ring, out[1]);
	expect_stats(ring, 2, 2, 0, 0);
	ring_destroy(ring);
}

/* A consumer asking for more than the ring can queue must not wait for
 * ever (RING_BLOCK: the producer would wait for a slot), nor make a live
 * ring drop a frame to reach it (RING_DROP_OLDEST: one queued frame fewer
 * than nslots, so the wake-up has a frame period before any eviction). */
static void batch_min_is_cut_to_what_queues_without_a_drop(void **state)
{
	(void)state;
	struct frame *out[8];
	const int64_t second = 1000000000;

	struct ring *ring = make_ring(4, RING_BLOCK);
	for (uint64_t seq = 0; seq < 4; seq++)
		write_one(ring, seq);
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	assert_int_equal(ring_acquire_read_many(ring, 8, 8, t0 + 2 * second, out), 4);
	assert_true(now_ns(CLOCK_MONOTONIC) - t0 < second);
	ring_release_many(ring, out, 4);
	ring_destroy(ring);

	ring = make_ring(4, RING_DROP_OLDEST);
	for (uint64_t seq = 0; seq < 3; seq++)
		write_one(ring, seq);
	t0 = now_ns(CLOCK_MONOTONIC);
	assert_int_equal(ring_acquire_read_many(ring, 8, 8, t0 + 2 * second, out), 3);
	assert_true(now_ns(CLOCK_MONOTONIC) - t0 < second);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(get_seq(out[i]), i);
	ring_release_many(ring, out, 3);
	expect_stats(ring, 3, 3, 0, 0);
	ring_destroy(ring);
}

static void batch_after_close_hands_out_the_rest_then_nothing(void **state)
{
	(void)state;
	struct ring *ring = make_ring(4, RING_BLOCK);
	struct frame *out[4];

	write_one(ring, 0);
	write_one(ring, 1);
	ring_close(ring);
	assert_int_equal(ring_acquire_read_many(ring, 4, 4, 0, out), 2);
	ring_release_many(ring, out, 2);
	assert_int_equal(ring_acquire_read_many(ring, 4, 4, 0, out), 0);
	expect_stats(ring, 2, 2, 0, 0);
	ring_destroy(ring);
}

/* ---- concurrent producer and consumer */

struct stress {
	struct ring *ring;
	uint64_t nframes;
	/* producer */
	uint64_t produced;
	/* consumer, checked by the test after join */
	uint64_t received;
	uint64_t last;
	uint64_t out_of_order; /* seq not greater than the previous one (drop) or not next (block) */
	uint64_t corrupt;
	uint64_t spin; /* consumer's busy work per frame, to make it the slow side */
	bool batches;  /* consumer takes runs of 1 to 5 frames (ring_acquire_read_many) */
	bool exact;    /* RING_BLOCK: every number in order, nothing skipped */
	volatile uint64_t sink;
};

static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	for (uint64_t seq = 0; seq < s->nframes; seq++) {
		struct frame *f = ring_acquire_write(s->ring);
		if (!f)
			break;
		put_seq(f, seq);
		ring_commit(s->ring, f);
		s->produced++;
	}
	ring_close(s->ring);
	return NULL;
}

static void *stress_consumer(void *arg)
{
	struct stress *s = arg;
	struct frame *batch[5];
	size_t n, want = 1;
	bool first = true;

	while ((n = ring_acquire_read_many(s->ring, want, want, 0, batch)) > 0) {
		for (size_t k = 0; k < n; k++) {
			const struct frame *f = batch[k];
			uint64_t seq = get_seq(f);
			if (seq == UINT64_MAX)
				s->corrupt++;
			else if (s->exact ? seq != (first ? 0 : s->last + 1)
					  : (!first && seq <= s->last))
				s->out_of_order++;
			for (uint64_t i = 0; i < s->spin; i++)
				s->sink += f->data[i % f->cap];
			s->last = seq;
			s->received++;
			first = false;
		}
		if (n == 1)
			ring_release(s->ring, batch[0]);
		else
			ring_release_many(s->ring, batch, n);
		if (s->batches)
			want = 1 + s->received % 5;
	}
	return NULL;
}

static void run_stress(struct stress *s)
{
	pthread_t prod, cons;
	assert_int_equal(pthread_create(&cons, NULL, stress_consumer, s), 0);
	assert_int_equal(pthread_create(&prod, NULL, stress_producer, s), 0);
	assert_int_equal(pthread_join(prod, NULL), 0);
	assert_int_equal(pthread_join(cons, NULL), 0);
}

static void stress_block_delivers_every_frame_in_order(void **state)
{
	(void)state;
	struct stress s = {.nframes = 200000, .exact = true};
	struct ring_stats st;

	s.ring = make_ring(4, RING_BLOCK);
	run_stress(&s);
	assert_int_equal(s.produced, s.nframes);
	assert_int_equal(s.corrupt, 0);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(s.received, s.nframes);
	assert_int_equal(s.last, s.nframes - 1);
	ring_get_stats(s.ring, &st);
	assert_int_equal(st.committed, s.nframes);
	assert_int_equal(st.consumed, s.nframes);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.fill, 0);
	ring_destroy(s.ring);
}

static void stress_block_batches_deliver_every_frame_in_order(void **state)
{
	(void)state;
	struct stress s = {.nframes = 100000, .exact = true, .batches = true};
	struct ring_stats st;

	s.ring = make_ring(4, RING_BLOCK);
	run_stress(&s);
	assert_int_equal(s.produced, s.nframes);
	assert_int_equal(s.corrupt, 0);
	assert_int_equal(s.out_of_order, 0);
	assert_int_equal(s.received, s.nframes);
	ring_get_stats(s.ring, &st);
	assert_int_equal(st.consumed, s.nframes);
	assert_int_equal(st.dropped, 0);
	ring_destroy(s.ring);
}

static void stress_drop_oldest_slow_consumer_accounts_for_every_frame(void **state)
{
	(void)state;
	struct stress s = {.nframes = 50000, .spin = 2000};
	struct ring_stats st;

	s.ring = make_ring(3, RING_DROP_OLDEST);
	run_stress(&s);
	assert_int_equal(s.produced, s.nframes);
	assert_int_equal(s.corrupt, 0);
	assert_int_equal(s.out_of_order, 0);
	/* The last commit can never be overwritten, so it always arrives. */
	assert_true(s.received > 0);
	assert_int_equal(s.last, s.nframes - 1);
	ring_get_stats(s.ring, &st);
	assert_int_equal(st.committed, s.nframes);
	assert_int_equal(st.consumed, s.received);
	assert_int_equal(st.consumed + st.dropped, st.committed);
	assert_int_equal(st.fill, 0);
	ring_destroy(s.ring);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_rejects_bad_sizes),
		cmocka_unit_test(slots_are_aligned_disjoint_and_full_size),
		cmocka_unit_test(empty_ring_after_close_returns_null),
		cmocka_unit_test(close_drains_committed_frames_then_returns_null),
		cmocka_unit_test(commit_in_flight_at_close_is_still_delivered),
		cmocka_unit_test(drop_oldest_full_ring_drops_exactly_the_oldest),
		cmocka_unit_test(drop_oldest_never_takes_the_slot_the_reader_holds),
		cmocka_unit_test(drop_oldest_cancelled_write_drops_nothing),
		cmocka_unit_test(drop_oldest_frame_read_while_writing_is_not_dropped),
		cmocka_unit_test(drop_oldest_evicts_the_oldest_at_commit_not_at_acquire),
		cmocka_unit_test(wrap_around_many_times_keeps_order),
		cmocka_unit_test(reuse_after_drain_hands_out_every_slot_again),
		cmocka_unit_test(cancel_write_returns_slot_unpublished),
		cmocka_unit_test(commit_stamps_monotonic_capture_time),
		cmocka_unit_test(commit_keeps_a_capture_time_the_producer_set),
		cmocka_unit_test(stats_track_every_transition),
		cmocka_unit_test(close_wakes_blocked_producer),
		cmocka_unit_test(close_wakes_blocked_consumer),
		cmocka_unit_test(release_wakes_blocked_producer),
		cmocka_unit_test(commit_wakes_blocked_consumer),
		cmocka_unit_test(batch_consumer_is_woken_once_for_its_whole_run),
		cmocka_unit_test(batch_takes_what_has_come_at_the_deadline),
		cmocka_unit_test(batch_min_is_cut_to_what_queues_without_a_drop),
		cmocka_unit_test(batch_after_close_hands_out_the_rest_then_nothing),
		cmocka_unit_test(stress_block_delivers_every_frame_in_order),
		cmocka_unit_test(stress_block_batches_deliver_every_frame_in_order),
		cmocka_unit_test(stress_drop_oldest_slow_consumer_accounts_for_every_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
