/* A counted crossing, as a camera's counter posts it to the coordinator and
 * the coordinator hands it, numbered, to every event sink. Plain data. */
#ifndef TURNSTILE_EVENT_H
#define TURNSTILE_EVENT_H

#include <stdint.h>

enum direction { DIR_IN, DIR_OUT };

struct event {
	int camera;          /* index into the coordinator's cameras */
	int line;            /* index into that camera's lines */
	enum direction dir;
	uint64_t frame;      /* 0-based frame index where the crossing was counted */
	uint32_t track;      /* the tracker's object id */
	int objects;         /* objects the crossing blob was judged to hold (objsize.h);
			      * each of its events counts one; 0 is read as 1 */
	int64_t wall_ns;     /* CLOCK_REALTIME when counted */
	double pts;          /* media time of that frame, seconds from the stream's start (the
			      * file's timestamps, or the driver's since the first frame) */
};

#endif
