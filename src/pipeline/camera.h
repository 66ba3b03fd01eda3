/* One camera: a source, a ring, a capture thread ("cap:NAME") that fills the
 * ring and an inference thread ("inf:NAME") that decodes, detects, tracks,
 * counts and posts crossings (to the coordinator, through opts->post).
 *
 * Threads: camera_open/start/stop/join/close from the main thread only
 * (the source is opened on the capture thread);
 * camera_get_stats from any thread (atomic counters). The source belongs to
 * the capture thread, decoder/detector/tracker/counter to the inference
 * thread; the ring is their only meeting point. */
#ifndef TURNSTILE_CAMERA_H
#define TURNSTILE_CAMERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "camera_config.h"
#include "counter.h"
#include "stagetime.h"
#include "tracker.h"
#include "turnstile/event.h"
#include "turnstile/frame.h"

enum camera_state { CAMERA_STREAMING, CAMERA_FINISHED, CAMERA_ERROR, CAMERA_RECONNECTING };

/* Stages a frame goes through, each timed per camera (stagetime.h). */
enum camera_stage {
	CAMERA_STAGE_READ,    /* source read into the slot (live: includes waiting for it) */
	CAMERA_STAGE_DECODE,  /* JPEG or luma plane to the reduced gray image */
	CAMERA_STAGE_DETECT,  /* background model, mask, blobs */
	CAMERA_STAGE_TRACK,
	CAMERA_STAGE_COUNT,   /* every line's counter, and posting its crossings */
	CAMERA_STAGE_LATENCY, /* capture (V4L2: the driver's timestamp when trustworthy; else the
			       * ring commit, or the due time in realtime replay) to counted */
	CAMERA_STAGES
};

struct camera_opts {
	int index;                      /* the events' camera number */
	const struct camera_config *cfg;
	/* Where crossings go, from the inference thread (the app points it at
	 * coord_post); it must never drop one. */
	void (*post)(void *ctx, const struct event *ev);
	void *post_ctx;
	bool realtime;                  /* pace file replay at the file's frame rate */
	uint64_t max_frames;            /* stop after this many frames; 0 = no limit */
	int detect_width;               /* reduced width detection runs at */
	const char *state_dir;          /* keeps the learnt object sizes there; NULL: none */
	size_t ring_slots;
	/* Called from each of the camera's two threads as it ends (so camera_done
	 * may have become true), for a supervisor that sleeps until then; NULL:
	 * none. It must not call back into the camera. */
	void (*ended)(void *ctx);
	void *ended_ctx;
};

struct camera_stats {
	enum camera_state state;
	uint64_t captured;   /* frames put in the ring */
	uint64_t processed;  /* frames taken from the ring and dealt with: decoded and run
			      * through detection, or skipped while the scene was idle */
	uint64_t skipped;    /* of those, frames left undecoded while idle (docs/idle-skip.md) */
	int idle_skip;       /* N: while idle, one frame in N is decoded (1: skipping
			      * inactive for this camera's geometry; 0: idle_skip=0) */
	uint64_t corrupt;    /* frames skipped as damaged (by the source or the decoder) */
	uint64_t dropped;    /* live sources: frames discarded unread (ring full, or a newer
			      * frame was already waiting in the driver) */
	uint64_t driver_drops; /* V4L2: frames the driver skipped (sequence gaps) */
	uint64_t reconnects; /* V4L2: times the device came back after being lost */
	size_t ring_fill, ring_slots;
	uint64_t wakeups;    /* frames that woke the inference thread: while idle one for
			      * each run of frames it skips, not one a frame */
	int width, height;   /* source size */
	double fps;          /* the source's rate (25 when it has none) */
	double latency_ms;   /* a frame's time from capture (V4L2 timestamp or ring commit) to
			      * counted, smoothed; 0 before one */
	int detect_w, detect_h;
	/* Time per frame in each stage, and from capture to counted (realtime
	 * file replay: from the instant the frame was due). */
	struct stagetime_stats stages[CAMERA_STAGES];
	/* Each line's counter: tracks seen, tracks that turned back in its
	 * band, the one-object size in use (nlines of them). */
	int nlines;
	struct counter_stats lines[TURNSTILE_MAX_LINES];
};

struct camera;

/* Makes the camera; nothing is opened yet. Returns 0, or -ENOMEM with a
 * line in err. opts->cfg must outlive the camera. */
int camera_open(const struct camera_opts *opts, struct camera **out, char *err, size_t errlen);
/* Starts the capture thread, which opens the source (so a FIFO waiting for
 * its writer or a terminal holds no other camera and no signal), sizes the
 * ring and the vision stages for it, then starts inference. A source that
 * cannot be opened is logged once and the camera goes to the error state,
 * while the others count; a live one (a /dev path, a FIFO) is retried with
 * the reconnect backoff, "reconnecting" meanwhile. Returns 0 or -errno. */
int camera_start(struct camera *cam);
/* True once the source opened and the camera runs. */
bool camera_opened(struct camera *cam);
/* Asks the capture thread to stop reading; the inference thread still
 * finishes what is already in the ring. Safe from the main thread at any time. */
void camera_stop(struct camera *cam);
bool camera_done(struct camera *cam);
void camera_join(struct camera *cam);
/* After camera_stop: joins the inference thread alone, which ends once it
 * has drained the ring, for a capture thread blocked in a read that may
 * never return (a stalled pipe) and is left behind at exit. */
void camera_join_inference(struct camera *cam);
/* After camera_join_inference: a capture thread still blocked in a read is
 * let go (detached) rather than joined; the camera must not be closed. */
void camera_abandon(struct camera *cam);
void camera_get_stats(struct camera *cam, struct camera_stats *out);
/* "streaming", "reconnecting", "finished", "error". */
const char *camera_state_name(enum camera_state state);
/* "read", "decode", "detect", "track", "count", "latency": the JSON names. */
const char *camera_stage_name(enum camera_stage stage);
/* The time-per-frame histogram of one stage (for /metrics); NULL for a
 * camera that failed to open. Readable from any thread. */
const struct stagetime *camera_stage_timer(struct camera *cam, enum camera_stage stage);

/* A preview: one frame as the inference thread saw it, with the tracks it
 * produced and the foreground mask, for drawing elsewhere (src/output).
 * Nothing is copied unless a view was requested (camera_view_request): then
 * the inference thread copies the next frame's slot bytes before it
 * releases the slot and publishes them, with its tracks, under a lock into
 * a buffer allocated at camera_open. Decoding and drawing are the reader's. */
struct camera_view {
	uint64_t seq;           /* grows with each published view; 0 = none yet */
	uint64_t index;         /* the frame's number in its source */
	enum frame_format format;
	int width, height;      /* the frame's size (the source's) */
	uint8_t *data;          /* len bytes of the slot (JPEG or luma plane) */
	size_t len, cap;
	struct track tracks[TRACKER_MAX_TRACKS]; /* slots; id 0 = empty */
	uint8_t *mask;          /* mask_w * mask_h, 0 or 1: the foreground at detection size */
	int mask_w, mask_h;
};

/* A view the size this camera's frames need; NULL for a failed camera or
 * out of memory. Free with camera_view_free. */
struct camera_view *camera_view_alloc(struct camera *cam);
void camera_view_free(struct camera_view *v);
/* Asks the inference thread to publish its next frame. Any thread; cheap. */
void camera_view_request(struct camera *cam);
/* Copies the latest published view into v when it is newer than v->seq,
 * waiting up to timeout_ms for one (requesting it). Returns 0 when v was
 * updated, -EAGAIN when nothing newer came (v unchanged). Any thread. */
int camera_view_get(struct camera *cam, struct camera_view *v, int timeout_ms);

/* Joins if needed and frees; NULL and half-opened cameras are fine. */
void camera_close(struct camera *cam);

#endif
