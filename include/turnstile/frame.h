/* A frame as it travels from a source, through a ring slot, to the decoder.
 * The storage (data, cap) belongs to the ring slot and is allocated once at
 * start-up; a source fills len and the metadata, never reallocates data. */
#ifndef TURNSTILE_FRAME_H
#define TURNSTILE_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum frame_format {
	FRAME_JPEG, /* data holds one complete JPEG (SOI..EOI) */
	FRAME_GRAY, /* data holds a width x height 8-bit luma plane, stride = width */
};

struct frame {
	uint8_t *data;          /* slot storage, owned by the ring */
	size_t cap;             /* bytes available at data */
	size_t len;             /* bytes used */
	enum frame_format format;
	int width, height;      /* FRAME_GRAY: plane size; FRAME_JPEG: stream's size or 0 */
	uint64_t index;         /* 0-based frame number in the source's decoded order */
	int64_t pts_ns;         /* presentation time from the source (index * period for files) */
	int64_t capture_ns;     /* CLOCK_MONOTONIC capture time: the V4L2 driver's timestamp when
				 * trustworthy, else when the frame entered the ring */
	uint32_t session;       /* live sources: bumped when the device came back after
				 * being lost; a new session restarts tracking */
};

#endif
