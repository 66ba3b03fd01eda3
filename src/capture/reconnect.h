/* Reconnect state of a live source (V4L2 device, network stream): when it
 * was lost, when to try again, and the one log line per change of state.
 *
 * The rule: a lost stream is retried after backoff_min, and each failed
 * attempt doubles the wait up to backoff_max (1 s doubling to 30 s by
 * default). A loss logs one line; a failed attempt logs only when its
 * reason (-errno) differs from the last one logged, so a camera that stays
 * unplugged does not flood the log; coming back logs one line, counts a
 * reconnect (when it had streamed before) and starts a new session, so
 * tracking starts over.
 *
 * Every function takes the time (CLOCK_MONOTONIC ns) from its caller, so a
 * test can drive it with a fake clock. The struct sits inside the source's
 * private state; its fields belong to reconnect.c. Called only by the
 * source's capture thread (and its open); the atomics of struct source it
 * sets are read by any thread. */
#ifndef TURNSTILE_RECONNECT_H
#define TURNSTILE_RECONNECT_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

#define RECONNECT_WATCHDOG_MS 5000

struct source;

struct reconnect {
	int64_t backoff_min_ns, backoff_max_ns;
	int64_t backoff_ns;      /* wait after the next failed attempt */
	int64_t next_attempt_ns; /* no attempt before this */
	int64_t down_ns;         /* when streaming stopped */
	bool down;               /* a failure was logged; a recovery line is owed */
	bool ever_streamed;
	int last_err;            /* the last failed attempt's reason logged (-errno) */
	enum log_pri lost_pri, back_pri;
};

/* Backoff from the source's options (backoff_min_ms, backoff_max_ms; 0
 * takes SOURCE_BACKOFF_MIN_MS / SOURCE_BACKOFF_MAX_MS; a max below the min
 * is the min). lost_pri: the priority of the loss and failure lines;
 * back_pri: of the recovery line. */
void reconnect_init(struct reconnect *r, const struct source *src, enum log_pri lost_pri,
		    enum log_pri back_pri);

/* How long until the next attempt is due: 0 when it is due now. */
int64_t reconnect_wait_ns(const struct reconnect *r, int64_t now_ns);

/* Sleeps the rest of the wait, at most slice_ns (so the caller sees its
 * stop flag). True when the attempt is not due yet (it slept). */
bool reconnect_pause(const struct reconnect *r, int64_t now_ns, int64_t slice_ns);

/* The stream failed while up: logs "lost (why); reconnecting", marks the
 * source reconnecting, next attempt after backoff_min. The caller closes
 * its device. */
void reconnect_lost(struct reconnect *r, struct source *src, const char *why, int64_t now_ns);

/* An attempt failed with rc (-errno) for why: logged when rc is not the
 * reason logged last; the wait doubles (to backoff_max). The caller closes
 * its device. */
void reconnect_failed(struct reconnect *r, struct source *src, int rc, const char *why,
		      int64_t now_ns);

/* Streaming (again): logs the recovery (with detail in brackets when not
 * NULL) when a failure was logged, counts the reconnect and a new session
 * when it had streamed before, resets the backoff. */
void reconnect_up(struct reconnect *r, struct source *src, const char *detail, int64_t now_ns);

/* The watchdog: a live source with no frame for this long is lost. The
 * source's watchdog_ms (0: RECONNECT_WATCHDOG_MS), but at least three frame
 * times when fps > 0, since a slow camera (fps=0.1) is not a silent one. */
int64_t reconnect_watchdog_ns(const struct source *src, double fps);

/* The rule itself: the wait after a failure that followed a wait of cur. */
int64_t reconnect_next_backoff(int64_t cur_ns, int64_t max_ns);

#endif
