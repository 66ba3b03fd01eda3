/* Frame sources: recorded files, V4L2 devices and network streams. A path
 * naming a character device is a V4L2 camera and a URL (scheme://) goes to
 * FFmpeg; for anything else the kind is chosen by sniffing the first bytes
 * (AVI, raw MJPEG, Y4M; anything else FFmpeg probes), never by the name. A source belongs to the one
 * capture thread that reads it; source_get_stats may come from any thread. */
#ifndef TURNSTILE_SOURCE_H
#define TURNSTILE_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "turnstile/frame.h"

/* read_frame results besides 0 (a frame is in the slot) and -errno (fatal). */
#define SOURCE_EOF 1        /* clean end of stream */
#define SOURCE_CORRUPT 2    /* one frame was bad or too large and was skipped; count it and go on */
#define SOURCE_AGAIN 4      /* live source: no frame yet (waiting, or reconnecting); call again
			     * (it returns within a fraction of a second, so stop flags are seen) */

/* Limits checked before any allocation sized from input. */
#define SOURCE_MAX_DIM 8192
#define SOURCE_MAX_FRAME_BYTES (64u << 20)
/* A header's frame rate outside this range is taken as unknown (fps 0): no
 * camera runs faster, and at slower rates index * 1e9 / fps soon overflows
 * the int64 nanoseconds of pts_ns and of replay pacing. */
#define SOURCE_MAX_FPS 1000.0
#define SOURCE_MIN_FPS (1.0 / 86400)

struct source_info {
	const char *kind;        /* "avi", "mjpeg", "y4m", "v4l2", "ffmpeg" (static string) */
	enum frame_format format;/* what read_frame puts in a slot */
	int width, height;       /* frame size from the header (or the first frame) */
	double fps;              /* from the header; 0 when unknown */
	size_t max_frame_bytes;  /* slot size that holds any valid frame of this source */
	bool live;               /* live sources drop, files never do */
};

/* What a camera's config asks of a live source; files ignore it. Zero
 * fields take the defaults. */
struct source_opts {
	const char *name;   /* camera name for log lines (copied; NULL: the path) */
	int width, height;  /* wanted frame size (640x480) */
	double fps;         /* wanted frame rate (30) */
	int watchdog_ms;    /* no frame for this long means the device is lost (5000) */
	int backoff_min_ms; /* first wait before reopening a lost device, doubling (1000) */
	int backoff_max_ms; /* longest wait between reopen attempts (30000) */
	/* The capture thread's stop flag: waits on a pipe, FIFO or terminal
	 * (opening, sniffing, reading) end with -ECANCELED once it is true.
	 * NULL: they wait for data without end. Must outlive the source. */
	const atomic_bool *cancel;
	int detect_width;   /* FFmpeg: the decoder may reduce (lowres) down to this width */
	const char *credentials; /* URLs: "user:password", URL-encoded, put in the URL only
				  * when connecting (never in path, so never logged) */
	bool rtsp_udp;      /* RTSP over UDP rather than TCP */
};

/* Reopening a live source that is missing or lost: the first wait, doubling
 * up to the longest (source_opts' backoff defaults). */
#define SOURCE_BACKOFF_MIN_MS 1000
#define SOURCE_BACKOFF_MAX_MS 30000

/* Counters of live sources (all 0 for files). */
struct source_stats {
	bool reconnecting;     /* lost or not yet streaming: being reopened */
	uint64_t reconnects;   /* times streaming resumed after the device was lost */
	uint64_t driver_drops; /* frames the driver skipped (gaps in V4L2 sequence numbers) */
	uint64_t stale;        /* frames superseded by a newer one before reaching the ring */
};

struct source;

/* Opens path ("-" is standard input), sniffs its kind and parses the header.
 * Returns 0, or -errno with a one-line reason in err (naming path):
 * -ENOENT/-EACCES (cannot open), -EPROTO (unknown or bad format), -ENODATA (empty). */
int source_open(const char *path, struct source **out, char *err, size_t errlen);
/* The same with a camera's options (opts may be NULL). A V4L2 device is
 * opened and its format negotiated here (one line logged); streaming starts
 * at the first read, and device failures never end the stream: read_frame
 * returns SOURCE_AGAIN while the device is reopened. */
int source_open_opts(const char *path, const struct source_opts *opts, struct source **out,
		     char *err, size_t errlen);

/* Reads the next frame into slot (slot->data/cap are the ring's storage).
 * Fills len, format, width, height, index and pts_ns; a V4L2 source also
 * sets capture_ns from the driver's timestamp when it can be trusted (0
 * otherwise: the ring stamps the commit time).
 * Returns 0, SOURCE_EOF, SOURCE_CORRUPT, SOURCE_AGAIN (live sources), or
 * -errno with a reason in err. */
int source_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen);

const struct source_info *source_get_info(const struct source *src);

/* Thread-safe snapshot of the live-source counters. */
void source_get_stats(struct source *src, struct source_stats *out);

/* Asks a source blocked in read_frame (a network stream) to return soon,
 * and every later read to return SOURCE_AGAIN at once: for shutdown. Any
 * thread. */
void source_interrupt(struct source *src);

/* Closes the source; NULL and half-opened sources are fine. */
void source_close(struct source *src);

#endif
