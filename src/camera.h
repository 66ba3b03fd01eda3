/* One camera: a source, a ring, a capture thread ("cap:NAME") that fills the
 * ring and an inference thread ("inf:NAME") that decodes, detects, tracks,
 * counts and posts crossings to the coordinator.
 *
 * Threads: camera_open/start/stop/join/close from the main thread only;
 * camera_get_stats from any thread (atomic counters). The source belongs to
 * the capture thread, decoder/detector/tracker/counter to the inference
 * thread; the ring is their only meeting point. */
#ifndef TURNSTILE_CAMERA_H
#define TURNSTILE_CAMERA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "turnstile/config.h"
#include "turnstile/coord.h"

enum camera_state { CAMERA_STREAMING, CAMERA_FINISHED, CAMERA_ERROR };

struct camera_opts {
	int index;                      /* camera number given to the coordinator */
	const struct camera_config *cfg;
	struct coord *coord;
	bool realtime;                  /* pace file replay at the file's frame rate */
	uint64_t max_frames;            /* stop after this many frames; 0 = no limit */
	int detect_width;               /* reduced width detection runs at */
	size_t ring_slots;
};

struct camera_stats {
	enum camera_state state;
	uint64_t captured;   /* frames put in the ring */
	uint64_t processed;  /* frames decoded and run through detection */
	uint64_t corrupt;    /* frames skipped as damaged (by the source or the decoder) */
	uint64_t dropped;    /* frames the ring discarded unread (live sources) */
	size_t ring_fill, ring_slots;
	int width, height;   /* source size */
	double fps;          /* the source's rate (25 when it has none) */
	int detect_w, detect_h;
};

struct camera;

/* Opens the source and allocates every buffer the camera will use. Returns
 * 0, or -errno with one line in err naming the source. */
int camera_open(const struct camera_opts *opts, struct camera **out, char *err, size_t errlen);
int camera_start(struct camera *cam);
/* Asks the capture thread to stop reading; the inference thread still
 * finishes what is already in the ring. Safe from the main thread at any time. */
void camera_stop(struct camera *cam);
bool camera_done(struct camera *cam);
void camera_join(struct camera *cam);
void camera_get_stats(struct camera *cam, struct camera_stats *out);
/* Joins if needed and frees; NULL and half-opened cameras are fine. */
void camera_close(struct camera *cam);

#endif
