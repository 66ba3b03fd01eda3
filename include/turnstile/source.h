/* Frame sources: recorded files now, V4L2 devices later. The kind is chosen
 * by sniffing the first bytes, never by the file name. A source belongs to
 * the one capture thread that reads it. */
#ifndef TURNSTILE_SOURCE_H
#define TURNSTILE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "turnstile/frame.h"

/* read_frame results besides 0 (a frame is in the slot) and -errno (fatal). */
#define SOURCE_EOF 1        /* clean end of stream */
#define SOURCE_CORRUPT 2    /* one frame was bad or too large and was skipped; count it and go on */

/* Limits checked before any allocation sized from input. */
#define SOURCE_MAX_DIM 8192
#define SOURCE_MAX_FRAME_BYTES (64u << 20)

struct source_info {
	const char *kind;        /* "avi", "mjpeg", "y4m" (static string) */
	enum frame_format format;/* what read_frame puts in a slot */
	int width, height;       /* frame size from the header (or the first frame) */
	double fps;              /* from the header; 0 when unknown */
	size_t max_frame_bytes;  /* slot size that holds any valid frame of this source */
	bool live;               /* live sources drop, files never do */
};

struct source;

/* Opens path ("-" is standard input), sniffs its kind and parses the header.
 * Returns 0, or -errno with a one-line reason in err (naming path):
 * -ENOENT/-EACCES (cannot open), -EPROTO (unknown or bad format), -ENODATA (empty). */
int source_open(const char *path, struct source **out, char *err, size_t errlen);

/* Reads the next frame into slot (slot->data/cap are the ring's storage).
 * Fills len, format, width, height, index and pts_ns.
 * Returns 0, SOURCE_EOF, SOURCE_CORRUPT, or -errno with a reason in err. */
int source_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen);

const struct source_info *source_get_info(const struct source *src);

/* Closes the source; NULL and half-opened sources are fine. */
void source_close(struct source *src);

#endif
