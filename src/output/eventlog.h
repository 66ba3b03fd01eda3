/* The event log: one JSON object per counted crossing (json_event), a line
 * each, written and flushed on its own. An event sink (sink.h).
 *
 * Threads: created and destroyed by main; appended to by the coordinator's
 * thread only. Because every line is flushed whole, main may swap the
 * stream's file descriptor (dup2) between two lines, as it does on SIGHUP. */
#ifndef TURNSTILE_EVENTLOG_H
#define TURNSTILE_EVENTLOG_H

#include <stdint.h>
#include <stdio.h>

#include "coord.h"
#include "sink.h"

struct eventlog;

/* f: the stream (not closed here); cams: the coordinator's cameras (names
 * copied). Returns 0 or -ENOMEM. */
int eventlog_create(FILE *f, int ncameras, const struct coord_camera *cams,
		    struct eventlog **out);

/* The sink to give the coordinator (not durable: written after counting). */
struct event_sink eventlog_sink(struct eventlog *l);

/* Without a state directory, a run appending to an existing log carries on
 * its numbering: the seq after the last whole line of f (an event line, or
 * any line with "seq":N). 0 for an empty file, a pipe or a terminal, or a
 * log whose last whole line has no seq. Reads from f's descriptor with
 * pread; the stream's position is left alone. */
uint64_t eventlog_next_seq(FILE *f);

/* NULL is fine. */
void eventlog_destroy(struct eventlog *l);

#endif
