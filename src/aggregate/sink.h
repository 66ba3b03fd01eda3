/* Event sinks: where the coordinator hands every numbered crossing. The
 * journal, the event log, and later HTTP or MQTT each fill one of these; the
 * coordinator calls them in the order given, from its thread only, and never
 * asks which one it has. A sink never reaches back into the coordinator: it
 * is handed the events and, on tick and close, the totals.
 *
 * A durable sink (the journal) gets each batch of events, and commits it,
 * before the events are counted, so nothing is shown that a crash could
 * lose; the others get them after. */
#ifndef TURNSTILE_SINK_H
#define TURNSTILE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "tally.h"
#include "turnstile/event.h"

struct event_sink_ops {
	/* One event, numbered seq (numbers only grow). Returns 0 or -errno;
	 * the sink logs its own failures, once per change of state. */
	int (*append)(void *ctx, const struct event *ev, uint64_t seq);
	/* The appends of one batch are over: make them durable. May be NULL. */
	int (*commit)(void *ctx);
	/* Before every batch, and about once a second while none comes, with the
	 * totals so far. Returns 1 when a new counting period has begun (the
	 * totals start again from zero), else 0. May be NULL (then the
	 * coordinator sleeps until an event comes). */
	int (*tick)(void *ctx, const struct tally *t);
	/* The coordinator is stopping: the last totals. The sink's owner frees it
	 * after coord_stop. May be NULL. */
	void (*close)(void *ctx, const struct tally *t);
};

struct event_sink {
	const struct event_sink_ops *ops;
	void *ctx;
	bool durable;
};

#endif
