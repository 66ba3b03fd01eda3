/* What a source kind implements, and the state source.c keeps for it.
 * Private to the sources: the pipeline only sees turnstile/source.h. */
#ifndef TURNSTILE_SOURCE_IMPL_H
#define TURNSTILE_SOURCE_IMPL_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* A reader's read_frame may also return this: bytes that were no frame at
 * all (garbage before a resync) were skipped. The caller sees SOURCE_CORRUPT
 * but no frame index is used, so indices keep matching the decoded order. */
#define SOURCE_SKIPPED 3

struct source;

struct source_ops {
	const char *kind;
	/* Looks at the first n (<= 16, fewer for tiny files) bytes. */
	bool (*sniff)(const uint8_t *head, size_t n);
	/* Parses the header and fills src->info; may set src->priv. Returns 0
	 * or -errno with a message from source_error(). */
	int (*open)(struct source *src, char *err, size_t errlen);
	/* Fills slot->data and slot->len (format, size, index and pts are set
	 * by source.c). Returns 0, SOURCE_EOF, SOURCE_CORRUPT, SOURCE_SKIPPED or
	 * -errno with a message. */
	int (*read_frame)(struct source *src, struct frame *slot, char *err, size_t errlen);
	/* Frees priv; also called after a failed open. May be NULL. */
	void (*close)(struct source *src);
	/* read_frame sets pts_ns from the stream's own timestamps (files with
	 * a variable frame rate); otherwise source.c numbers them. */
	bool own_timestamps;
};

struct source {
	const struct source_ops *ops;
	struct stream *in;      /* file sources; NULL for devices */
	char path[PATH_MAX];
	struct source_info info;
	void *priv;
	uint64_t next_index;
	char name[64];            /* camera name for log lines (the path by default) */
	struct source_opts opts;  /* opts.name points at name */

	/* Live sources: written by the capture thread, read by any. */
	atomic_bool reconnecting;
	atomic_uint_fast64_t reconnects, driver_drops, stale;
	uint32_t session;         /* copied into every frame read (capture thread only) */
	atomic_bool interrupted;  /* source_interrupt: blocking reads give up */
};

extern const struct source_ops avi_source_ops;
extern const struct source_ops mjpeg_source_ops;
extern const struct source_ops y4m_source_ops;
extern const struct source_ops v4l2_source_ops;
extern const struct source_ops ffmpeg_source_ops;

/* True when path is a URL ("scheme://..."): it goes to the FFmpeg source. */
bool ffmpeg_is_url(const char *path);

/* Writes "'<path>': <message>" to err. */
void source_error(const struct source *src, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
