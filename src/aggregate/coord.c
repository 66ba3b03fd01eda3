/* Coordinator: numbers every crossing event, journals it, keeps the totals
 * and writes the event log.
 *
 * Owns: a bounded FIFO of events (COORD_QUEUE_CAP, allocated at create), the
 * per-line, per-camera and site totals, the latest events for a live view,
 * the camera and line names (escaped for JSON) and the thread "coord", the
 * only writer of the events stream and of the journal while it runs.
 *
 * Threads: coord_post from any inference thread; coord_create,
 * coord_stop and coord_destroy from the main thread; coord_get_* from any.
 *
 * Lock order: c->lock is a leaf. It guards the queue, the stop flags, the
 * totals and the recent events, and is never held while writing the journal
 * or the log. The thread takes a batch of events off the queue; with a
 * journal it appends and syncs them first and counts them after, so nothing
 * is shown or logged that a crash could lose; without one it counts them as
 * they leave the queue. Each batch is counted in one critical section, so a
 * snapshot never sees half an event. A slow disk stalls only this thread
 * and, once the queue fills, the posters (which wait: an event is never
 * dropped). */
#include "coord.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "util.h"

/* Crossings arrive a few per second per camera; the queue only has to absorb
 * a burst while a log line is stuck on a slow disk. */
#define COORD_QUEUE_CAP 1024
/* Events taken off the queue at once: one journal sync covers them all. */
#define COORD_BATCH 64
/* With a journal the thread wakes this often to start a new day or snapshot. */
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

	struct coord_totals *totals; /* ncameras entries, then the site */
	struct coord_totals *line_totals; /* COORD_MAX_LINES per camera */
	int ncameras;
	int *nlines;              /* lines per camera */
	char **json_names;        /* camera names escaped for a JSON string */
	char **json_lines;        /* line names, COORD_MAX_LINES per camera */
	FILE *events;
	struct journal *journal;  /* thread only while it runs */
	bool write_failed;        /* thread only: log write errors on change */
	uint64_t seq;             /* thread only */
	struct coord_recent *recent; /* ring of COORD_RECENT */
	uint64_t nrecent;         /* events ever put in recent */

	pthread_t thread;
	bool joinable;            /* main thread only */
};

/* Escapes for the inside of a JSON string (RFC 8259 section 7): quote,
 * backslash and control characters; other bytes pass through as UTF-8. */
static char *json_escape(const char *s)
{
	size_t len = 0;
	char *out, *o;

	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		len += ch == '"' || ch == '\\' ? 2 : ch < 0x20 ? 6 : 1;
	}
	out = malloc(len + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			*o++ = '\\';
			*o++ = (char)ch;
		} else if (ch < 0x20) {
			snprintf(o, 7, "\\u%04x", ch);
			o += 6;
		} else {
			*o++ = (char)ch;
		}
	}
	*o = '\0';
	return out;
}

static void write_event(struct coord *c, const struct event *ev, uint64_t seq)
{
	char when[64];
	bool ok;

	format_time_utc(ev->wall_ns, when, sizeof(when));
	ok = fprintf(c->events,
		     "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"camera\":\"%s\",\"line\":\"%s\","
		     "\"direction\":\"%s\",\"frame\":%" PRIu64 ",\"track\":%" PRIu32 "}\n",
		     seq, when, c->json_names[ev->camera],
		     c->json_lines[ev->camera * COORD_MAX_LINES + ev->line],
		     ev->dir == DIR_IN ? "in" : "out",
		     ev->frame, ev->track) > 0;
	/* Flushed per line so a crash or a `tail -f` sees every counted event. */
	ok = fflush(c->events) == 0 && ok;
	if (ok != !c->write_failed) {
		c->write_failed = !ok;
		if (!ok)
			log_error("coord: cannot write the event log: %s", strerror(errno));
		else
			log_error("coord: event log writable again");
	}
}

/* Occupancy cannot go below zero: an exit with nobody counted inside means
 * an entry was missed, and is counted as a correction instead. */
void coord_totals_add(struct coord_totals *t, enum direction dir)
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

/* Called with c->lock held. */
static void count_events(struct coord *c, const struct event *evs, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++) {
		const struct event *ev = &evs[i];
		struct coord_totals *line = &c->line_totals[ev->camera * COORD_MAX_LINES + ev->line];

		coord_totals_add(&c->totals[ev->camera], ev->dir);
		coord_totals_add(&c->totals[c->ncameras], ev->dir);
		if (ev->dir == DIR_IN)
			line->in++;
		else
			line->out++;
		c->recent[c->nrecent++ % COORD_RECENT] = (struct coord_recent){seq + i, *ev};
	}
}

/* Called with c->lock held: the journal started a new period. */
static void zero_totals(struct coord *c)
{
	memset(c->totals, 0, ((size_t)c->ncameras + 1) * sizeof(*c->totals));
	memset(c->line_totals, 0, (size_t)c->ncameras * COORD_MAX_LINES * sizeof(*c->line_totals));
}

/* Durable before visible: a new period first, then every event of the
 * batch on disk, then the totals. */
static void journal_batch(struct coord *c, const struct event *evs, size_t n, uint64_t seq)
{
	bool rolled = journal_tick(c->journal) == 1;

	for (size_t i = 0; i < n; i++)
		journal_append(c->journal, &evs[i], seq + i);
	if (n)
		journal_sync(c->journal);
	if (!rolled && !n)
		return;
	mutex_lock(&c->lock);
	if (rolled)
		zero_totals(c);
	count_events(c, evs, n, seq);
	mutex_unlock(&c->lock);
}

static void *coord_main(void *arg)
{
	struct coord *c = arg;
	struct event batch[COORD_BATCH];

	pthread_setname_np(pthread_self(), "coord");
	for (;;) {
		size_t n = 0;
		uint64_t seq = c->seq;
		bool stopping;

		mutex_lock(&c->lock);
		if (c->journal && c->count == 0 && !c->stop)
			cond_timedwait_ns(&c->not_empty, &c->lock, COORD_TICK_NS);
		while (!c->journal && c->count == 0 && !c->stop)
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
		if (!c->journal)
			count_events(c, batch, n, seq);
		mutex_unlock(&c->lock);

		if (c->journal)
			journal_batch(c, batch, n, seq);
		if (stopping)
			break;
		for (size_t i = 0; c->events && i < n; i++)
			write_event(c, &batch[i], seq + i);
		c->seq += n;
	}
	if (c->journal)
		journal_snapshot(c->journal);
	return NULL;
}

/* Everything coord_create allocates after the struct itself; what was not
 * allocated yet is NULL. */
static void free_tables(struct coord *c)
{
	for (int i = 0; c->json_names && i < c->ncameras; i++)
		free(c->json_names[i]);
	for (int i = 0; c->json_lines && i < c->ncameras * COORD_MAX_LINES; i++)
		free(c->json_lines[i]);
	free(c->json_names);
	free(c->json_lines);
	free(c->line_totals);
	free(c->nlines);
	free(c->totals);
	free(c->queue);
	free(c->recent);
}

int coord_create(int ncameras, const struct coord_camera *cams, FILE *events, struct coord **out)
{
	return coord_create_journaled(ncameras, cams, events, NULL, out);
}

int coord_create_journaled(int ncameras, const struct coord_camera *cams, FILE *events,
			   struct journal *journal, struct coord **out)
{
	struct coord *c;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (ncameras < 0 || (ncameras > 0 && !cams))
		return -EINVAL;
	for (int i = 0; i < ncameras; i++)
		if (cams[i].nlines < 1 || cams[i].nlines > COORD_MAX_LINES)
			return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ncameras = ncameras;
	c->events = events;
	c->journal = journal;
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
	c->totals = calloc((size_t)ncameras + 1, sizeof(*c->totals));
	c->json_names = calloc((size_t)ncameras + 1, sizeof(*c->json_names));
	c->line_totals = calloc((size_t)ncameras * COORD_MAX_LINES + 1, sizeof(*c->line_totals));
	c->json_lines = calloc((size_t)ncameras * COORD_MAX_LINES + 1, sizeof(*c->json_lines));
	c->nlines = calloc((size_t)ncameras + 1, sizeof(*c->nlines));
	c->recent = calloc(COORD_RECENT, sizeof(*c->recent));
	if (!c->queue || !c->totals || !c->json_names || !c->line_totals || !c->json_lines ||
	    !c->nlines || !c->recent)
		goto fail;
	for (int i = 0; i < ncameras; i++) {
		c->json_names[i] = json_escape(cams[i].name);
		if (!c->json_names[i])
			goto fail;
		c->nlines[i] = cams[i].nlines;
		for (int l = 0; l < cams[i].nlines; l++) {
			char **dst = &c->json_lines[i * COORD_MAX_LINES + l];
			*dst = json_escape(cams[i].line_names[l]);
			if (!*dst)
				goto fail;
		}
	}
	if (journal) {
		/* Carry on from the last run: totals and numbering. */
		for (int i = -1; i < ncameras; i++)
			journal_get_totals(journal, i, &c->totals[i < 0 ? ncameras : i]);
		for (int i = 0; i < ncameras; i++)
			for (int l = 0; l < cams[i].nlines; l++)
				journal_get_line_totals(journal, i, l,
							&c->line_totals[i * COORD_MAX_LINES + l]);
		c->seq = journal_next_seq(journal);
	}

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

void coord_get_line_totals(struct coord *c, int camera, int line, struct coord_totals *out)
{
	if (camera < 0 || camera >= c->ncameras || line < 0 || line >= c->nlines[camera]) {
		*out = (struct coord_totals){0};
		return;
	}
	mutex_lock(&c->lock);
	*out = c->line_totals[camera * COORD_MAX_LINES + line];
	mutex_unlock(&c->lock);
}

/* An index out of range reads as zeros rather than past the array. */
void coord_get_totals(struct coord *c, int camera, struct coord_totals *out)
{
	if (camera < -1 || camera >= c->ncameras) {
		*out = (struct coord_totals){0};
		return;
	}
	mutex_lock(&c->lock);
	*out = c->totals[camera < 0 ? c->ncameras : camera];
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
