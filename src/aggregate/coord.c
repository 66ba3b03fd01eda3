/* Coordinator: numbers every crossing event, hands it to the sinks and keeps
 * the totals.
 *
 * Owns: a bounded FIFO of events (COORD_QUEUE_CAP, allocated at create), the
 * per-line, per-camera and site totals (a tally), the latest events for a
 * live view and the thread "coord", the only caller of the sinks while it
 * runs.
 *
 * Threads: coord_post from any inference thread; coord_create,
 * coord_stop and coord_destroy from the main thread; coord_get_* from any.
 *
 * Lock order: c->lock is a leaf. It guards the queue, the stop flags, the
 * totals and the recent events, and is never held while writing the journal
 * or the log (any sink). The thread takes a batch of events off the queue,
 * ticks every sink, appends and commits the batch to the durable sinks (the
 * journal), counts it, then hands it to the other sinks (the log), so nothing
 * is shown or logged that a crash could lose. Each batch is counted in one
 * critical section, so a snapshot never sees half an event. The thread is
 * the totals' only writer, so it reads them (for the sinks) without the
 * lock. A slow disk stalls only this thread
 * and, once the queue fills, the posters (which wait: an event is never
 * dropped). */
#include "coord.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Crossings arrive a few per second per camera; the queue only has to absorb
 * a burst while a log line is stuck on a slow disk. */
#define COORD_QUEUE_CAP 1024
/* Events taken off the queue at once: one journal sync covers them all. */
#define COORD_BATCH 64
/* With a ticking sink the thread wakes this often (a new day, a snapshot). */
#define COORD_TICK_NS 1000000000LL

struct coord {
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* posters -> thread */
	pthread_cond_t not_full;  /* thread -> posters */

	struct event *queue;      /* ring of COORD_QUEUE_CAP events */
	size_t head, count;
	bool stop;                /* coord_stop asked: drain, then exit */
	bool exited;              /* the thread has drained and left its loop */
	bool warned_late;         /* logged a post after exit once */
	bool warned_bad;          /* logged a malformed event once */

	struct tally t;           /* written by the thread under lock */
	int ncameras;
	int *nlines;              /* lines per camera */
	struct event_sink *sinks;
	int nsinks;
	bool ticking;             /* a sink has a tick */
	uint64_t seq;             /* thread only */
	struct coord_recent *recent; /* ring of COORD_RECENT */
	uint64_t nrecent;         /* events ever put in recent */

	pthread_t thread;
	bool joinable;            /* main thread only */
};

/* Called with c->lock held. */
static void count_events(struct coord *c, const struct event *evs, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++) {
		tally_add(&c->t, evs[i].camera, evs[i].line, evs[i].dir);
		c->recent[c->nrecent++ % COORD_RECENT] = (struct coord_recent){seq + i, evs[i]};
	}
}

/* Before every batch: a sink may start a new period (the totals restart
 * from zero). */
static bool tick_sinks(struct coord *c)
{
	bool rolled = false;

	for (int i = 0; i < c->nsinks; i++)
		if (c->sinks[i].ops->tick && c->sinks[i].ops->tick(c->sinks[i].ctx, &c->t) == 1)
			rolled = true;
	return rolled;
}

static void hand_to_sinks(struct coord *c, bool durable, const struct event *evs, size_t n,
			  uint64_t seq)
{
	for (int s = 0; s < c->nsinks; s++) {
		const struct event_sink *k = &c->sinks[s];

		if (k->durable != durable)
			continue;
		for (size_t i = 0; i < n; i++)
			k->ops->append(k->ctx, &evs[i], seq + i);
		if (n && k->ops->commit)
			k->ops->commit(k->ctx);
	}
}

/* Durable before visible: a new period first, then every event of the
 * batch in the durable sinks, then the totals, then the other sinks. */
static void process_batch(struct coord *c, const struct event *evs, size_t n, uint64_t seq)
{
	bool rolled = tick_sinks(c);

	hand_to_sinks(c, true, evs, n, seq);
	if (rolled || n) {
		mutex_lock(&c->lock);
		if (rolled)
			tally_zero(&c->t);
		count_events(c, evs, n, seq);
		mutex_unlock(&c->lock);
	}
	hand_to_sinks(c, false, evs, n, seq);
}

static void *coord_main(void *arg)
{
	struct coord *c = arg;
	struct event batch[COORD_BATCH];

	pthread_setname_np(pthread_self(), "coord");
	for (;;) {
		size_t n = 0;
		bool stopping;

		mutex_lock(&c->lock);
		if (c->ticking && c->count == 0 && !c->stop)
			cond_timedwait_ns(&c->not_empty, &c->lock, COORD_TICK_NS);
		while (!c->ticking && c->count == 0 && !c->stop)
			pthread_cond_wait(&c->not_empty, &c->lock);
		while (n < COORD_BATCH && c->count > 0) {
			batch[n++] = c->queue[c->head];
			c->head = (c->head + 1) % COORD_QUEUE_CAP;
			c->count--;
		}
		/* Stop asked and nothing left: posts from now on are late. */
		stopping = n == 0 && c->stop;
		if (stopping)
			c->exited = true;
		if (n || stopping)
			pthread_cond_broadcast(&c->not_full);
		mutex_unlock(&c->lock);

		process_batch(c, batch, n, c->seq);
		c->seq += n;
		if (stopping)
			break;
	}
	for (int i = 0; i < c->nsinks; i++)
		if (c->sinks[i].ops->close)
			c->sinks[i].ops->close(c->sinks[i].ctx, &c->t);
	return NULL;
}

/* Everything coord_create allocates after the struct itself; what was not
 * allocated yet is NULL. */
static void free_tables(struct coord *c)
{
	tally_free(&c->t);
	free(c->nlines);
	free(c->sinks);
	free(c->queue);
	free(c->recent);
}

int coord_create(const struct coord_config *cfg, struct coord **out)
{
	struct coord *c;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (cfg->ncameras < 0 || (cfg->ncameras > 0 && !cfg->cams) || cfg->nsinks < 0 ||
	    (cfg->nsinks > 0 && !cfg->sinks) ||
	    (cfg->resume && cfg->resume->ncameras != cfg->ncameras))
		return -EINVAL;
	for (int i = 0; i < cfg->ncameras; i++)
		if (cfg->cams[i].nlines < 1 || cfg->cams[i].nlines > TURNSTILE_MAX_LINES)
			return -EINVAL;
	for (int i = 0; i < cfg->nsinks; i++)
		if (!cfg->sinks[i].ops || !cfg->sinks[i].ops->append)
			return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ncameras = cfg->ncameras;
	c->nsinks = cfg->nsinks;
	c->seq = cfg->next_seq;
	rc = -pthread_mutex_init(&c->lock, NULL);
	if (rc < 0)
		goto fail_free;
	rc = cond_init_monotonic(&c->not_empty);
	if (rc < 0)
		goto fail_mutex;
	rc = cond_init_monotonic(&c->not_full);
	if (rc < 0)
		goto fail_not_empty;

	rc = -ENOMEM;
	c->queue = calloc(COORD_QUEUE_CAP, sizeof(*c->queue));
	c->nlines = calloc((size_t)cfg->ncameras + 1, sizeof(*c->nlines));
	c->sinks = calloc((size_t)cfg->nsinks + 1, sizeof(*c->sinks));
	c->recent = calloc(COORD_RECENT, sizeof(*c->recent));
	if (tally_init(&c->t, cfg->ncameras) < 0 || !c->queue || !c->nlines || !c->sinks ||
	    !c->recent)
		goto fail;
	for (int i = 0; i < cfg->ncameras; i++)
		c->nlines[i] = cfg->cams[i].nlines;
	for (int i = 0; i < cfg->nsinks; i++) {
		c->sinks[i] = cfg->sinks[i];
		c->ticking = c->ticking || c->sinks[i].ops->tick;
	}
	/* Carry on from the last run. */
	if (cfg->resume)
		tally_copy(&c->t, cfg->resume);

	/* The thread inherits a full signal mask: signals belong to main. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&c->thread, NULL, coord_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto fail;
	c->joinable = true;

	*out = c;
	return 0;

fail:
	free_tables(c);
	pthread_cond_destroy(&c->not_full);
fail_not_empty:
	pthread_cond_destroy(&c->not_empty);
fail_mutex:
	pthread_mutex_destroy(&c->lock);
fail_free:
	free(c);
	return rc;
}

void coord_post(struct coord *c, const struct event *ev)
{
	bool bad = false, late = false;

	mutex_lock(&c->lock);
	if (ev->camera < 0 || ev->camera >= c->ncameras || ev->line < 0 ||
	    ev->line >= c->nlines[ev->camera] || (ev->dir != DIR_IN && ev->dir != DIR_OUT)) {
		/* A caller bug; counting it anywhere would make the totals lie. */
		bad = !c->warned_bad;
		c->warned_bad = true;
		goto unlock;
	}
	while (c->count == COORD_QUEUE_CAP && !c->exited)
		pthread_cond_wait(&c->not_full, &c->lock);
	if (c->exited) {
		/* Posting after coord_stop is a shutdown-order bug in the caller:
		 * there is no thread left to count it. */
		late = !c->warned_late;
		c->warned_late = true;
		goto unlock;
	}
	c->queue[(c->head + c->count) % COORD_QUEUE_CAP] = *ev;
	c->count++;
	pthread_cond_signal(&c->not_empty);
unlock:
	mutex_unlock(&c->lock);
	/* Once each, and outside the lock, which stays a leaf. */
	if (bad)
		log_error("coord: bad event (camera %d, direction %d) ignored", ev->camera,
			  (int)ev->dir);
	if (late)
		log_error("coord: event posted after stop, not counted");
}

void coord_post_cb(void *ctx, const struct event *ev)
{
	coord_post(ctx, ev);
}

void coord_get_line_totals(struct coord *c, int camera, int line, struct totals *out)
{
	if (camera < 0 || camera >= c->ncameras || line < 0 || line >= c->nlines[camera]) {
		*out = (struct totals){0};
		return;
	}
	mutex_lock(&c->lock);
	*out = tally_get_line(&c->t, camera, line);
	mutex_unlock(&c->lock);
}

/* An index out of range reads as zeros rather than past the array. */
void coord_get_totals(struct coord *c, int camera, struct totals *out)
{
	mutex_lock(&c->lock);
	*out = tally_get(&c->t, camera);
	mutex_unlock(&c->lock);
}

int coord_get_recent(struct coord *c, struct coord_recent *out, int max)
{
	int n;

	if (max > COORD_RECENT)
		max = COORD_RECENT;
	if (max <= 0)
		return 0;
	mutex_lock(&c->lock);
	n = c->nrecent < (uint64_t)max ? (int)c->nrecent : max;
	for (int i = 0; i < n; i++)
		out[i] = c->recent[(c->nrecent - (uint64_t)n + (uint64_t)i) % COORD_RECENT];
	mutex_unlock(&c->lock);
	return n;
}

void coord_stop(struct coord *c)
{
	if (!c)
		return;
	mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->not_empty);
	pthread_cond_broadcast(&c->not_full);
	mutex_unlock(&c->lock);

	if (c->joinable) {
		pthread_join(c->thread, NULL);
		c->joinable = false;
	}
}

void coord_destroy(struct coord *c)
{
	if (!c)
		return;
	coord_stop(c);
	free_tables(c);
	pthread_cond_destroy(&c->not_full);
	pthread_cond_destroy(&c->not_empty);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
