/* Reconnect state of a live source: backoff, and one log line per change
 * of state (reconnect.h). Shared by the V4L2 and FFmpeg sources. */
#include "reconnect.h"

#include <errno.h>
#include <time.h>

#include "source_impl.h"

static int64_t ms_or(int ms, int dflt)
{
	return (int64_t)(ms > 0 ? ms : dflt) * 1000000;
}

void reconnect_init(struct reconnect *r, const struct source *src, enum log_pri lost_pri,
		    enum log_pri back_pri)
{
	*r = (struct reconnect){
		.backoff_min_ns = ms_or(src->opts.backoff_min_ms, SOURCE_BACKOFF_MIN_MS),
		.backoff_max_ns = ms_or(src->opts.backoff_max_ms, SOURCE_BACKOFF_MAX_MS),
		.lost_pri = lost_pri,
		.back_pri = back_pri,
	};
	if (r->backoff_max_ns < r->backoff_min_ns)
		r->backoff_max_ns = r->backoff_min_ns;
	r->backoff_ns = r->backoff_min_ns;
}

int64_t reconnect_watchdog_ns(const struct source *src, double fps)
{
	int64_t ns = ms_or(src->opts.watchdog_ms, RECONNECT_WATCHDOG_MS);

	if (fps > 0 && 3e9 / fps > (double)ns)
		ns = (int64_t)(3e9 / fps);
	return ns;
}

int64_t reconnect_next_backoff(int64_t cur_ns, int64_t max_ns)
{
	/* Halving the max, not doubling cur: no overflow near INT64_MAX. */
	return cur_ns > max_ns / 2 ? max_ns : cur_ns * 2;
}

int64_t reconnect_wait_ns(const struct reconnect *r, int64_t now_ns)
{
	return now_ns < r->next_attempt_ns ? r->next_attempt_ns - now_ns : 0;
}

bool reconnect_pause(const struct reconnect *r, int64_t now_ns, int64_t slice_ns)
{
	int64_t ns = reconnect_wait_ns(r, now_ns);

	if (ns == 0)
		return false;
	if (ns > slice_ns)
		ns = slice_ns;
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
	return true;
}

static void schedule_retry(struct reconnect *r, int64_t now_ns)
{
	r->next_attempt_ns = now_ns + r->backoff_ns;
	r->backoff_ns = reconnect_next_backoff(r->backoff_ns, r->backoff_max_ns);
}

void reconnect_lost(struct reconnect *r, struct source *src, const char *why, int64_t now_ns)
{
	log_msg(r->lost_pri, "camera '%s': '%s' lost (%s); reconnecting", src->name, src->path,
		why);
	r->down = true;
	r->down_ns = now_ns;
	r->last_err = 0;
	atomic_store(&src->reconnecting, true);
	r->backoff_ns = r->backoff_min_ns;
	schedule_retry(r, now_ns);
}

void reconnect_failed(struct reconnect *r, struct source *src, int rc, const char *why,
		      int64_t now_ns)
{
	if (rc != r->last_err) {
		log_msg(r->lost_pri, "camera '%s': '%s' %s; retrying, waits doubling from %g to %g s",
			src->name, src->path, why, r->backoff_min_ns / 1e9, r->backoff_max_ns / 1e9);
		r->last_err = rc;
	}
	if (!r->down) {
		r->down = true;
		r->down_ns = now_ns;
	}
	atomic_store(&src->reconnecting, true);
	schedule_retry(r, now_ns);
}

void reconnect_up(struct reconnect *r, struct source *src, const char *detail, int64_t now_ns)
{
	if (r->down) {
		log_msg(r->back_pri, "camera '%s': '%s' streaming %s after %.1f s%s%s%s", src->name,
			src->path, r->ever_streamed ? "again" : "now", (now_ns - r->down_ns) / 1e9,
			detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
		if (r->ever_streamed) {
			atomic_fetch_add(&src->reconnects, 1);
			/* Frames from here on start a new session: the scene
			 * may have moved on, so tracking starts over. */
			src->session++;
		}
	}
	atomic_store(&src->reconnecting, false);
	r->down = false;
	r->last_err = 0;
	r->ever_streamed = true;
	r->backoff_ns = r->backoff_min_ns;
}
