#include "camera.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counter.h"
#include "decode.h"
#include "detect.h"
#include "tracker.h"
#include "turnstile/ring.h"
#include "turnstile/source.h"
#include "util.h"

#define DEFAULT_FPS 25.0

struct camera {
	struct camera_opts o;
	struct source *src;
	struct ring *ring;
	struct decoder *dec;
	struct detector *det;
	struct tracker *trk;
	struct counter *cnt[CONFIG_MAX_LINES]; /* one per line of the camera */
	double fps;

	pthread_t cap_thread, inf_thread;
	bool cap_started, inf_started;

	atomic_bool stop;
	atomic_bool cap_done, inf_done;
	atomic_bool failed;
	atomic_uint_fast64_t captured, processed, corrupt;
};

static void set_thread_name(pthread_t t, const char *prefix, const char *name)
{
	char buf[16]; /* the kernel's limit, NUL included: long names are cut */
	size_t len = strlen(prefix);
	memcpy(buf, prefix, len);
	buf[len++] = ':';
	for (size_t i = 0; name[i] && len < sizeof(buf) - 1; i++)
		buf[len++] = name[i];
	buf[len] = '\0';
	pthread_setname_np(t, buf);
}

/* Sleeps until a frame is due, measured from the start of the replay. */
static void pace(int64_t start_ns, int64_t offset_ns)
{
	int64_t due = start_ns + offset_ns;
	struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *capture_main(void *arg)
{
	struct camera *cam = arg;
	char err[256];
	int64_t start_ns = now_ns(CLOCK_MONOTONIC);
	uint64_t n = 0;

	while (!atomic_load(&cam->stop)) {
		struct frame *slot = ring_acquire_write(cam->ring);
		if (!slot)
			break;
		int rc = source_read_frame(cam->src, slot, err, sizeof(err));
		if (rc == SOURCE_CORRUPT) {
			ring_cancel_write(cam->ring, slot);
			atomic_fetch_add(&cam->corrupt, 1);
			continue;
		}
		if (rc != 0) {
			ring_cancel_write(cam->ring, slot);
			if (rc < 0) {
				log_error("camera '%s': %s", cam->o.cfg->name, err);
				atomic_store(&cam->failed, true);
			}
			break;
		}
		/* Paced by index: raw MJPEG has no rate of its own (cam->fps is 25 then). */
		if (cam->o.realtime)
			pace(start_ns, (int64_t)((double)slot->index * 1e9 / cam->fps));
		ring_commit(cam->ring, slot);
		atomic_fetch_add(&cam->captured, 1);
		if (cam->o.max_frames && ++n >= cam->o.max_frames)
			break;
	}
	/* End of stream: the inference thread drains the ring and ends. */
	ring_close(cam->ring);
	atomic_store(&cam->cap_done, true);
	return NULL;
}

static void *inference_main(void *arg)
{
	struct camera *cam = arg;
	struct blob blobs[DETECT_MAX_BLOBS];
	struct crossing crossings[COUNTER_MAX_CROSSINGS];
	struct frame *f;

	while ((f = ring_acquire_read(cam->ring))) {
		const struct gray *g;
		uint64_t index = f->index;
		int rc = decoder_decode(cam->dec, f, &g);
		/* The gray image is the decoder's own: the slot can go back now. */
		ring_release(cam->ring, f);
		if (rc != 0) {
			atomic_fetch_add(&cam->corrupt, 1);
			continue;
		}
		int nblobs;
		detector_process(cam->det, g, blobs, &nblobs);
		const struct track *tracks = tracker_update(cam->trk, blobs, nblobs);
		for (int l = 0; l < cam->o.cfg->nlines; l++) {
			int nc = counter_update(cam->cnt[l], tracks, crossings);
			for (int i = 0; i < nc; i++) {
				struct event ev = {
					.camera = cam->o.index,
					.line = l,
					.dir = crossings[i].dir,
					.frame = index,
					.track = crossings[i].track,
					.wall_ns = now_ns(CLOCK_REALTIME),
				};
				coord_post(cam->o.coord, &ev);
			}
		}
		atomic_fetch_add(&cam->processed, 1);
	}
	atomic_store(&cam->inf_done, true);
	return NULL;
}

int camera_open(const struct camera_opts *opts, struct camera **out, char *err, size_t errlen)
{
	struct camera *cam = calloc(1, sizeof(*cam));
	int rc;

	if (!cam) {
		snprintf(err, errlen, "camera '%s': out of memory", opts->cfg->name);
		return -ENOMEM;
	}
	cam->o = *opts;
	rc = source_open(opts->cfg->source, &cam->src, err, errlen);
	if (rc)
		goto fail;

	const struct source_info *info = source_get_info(cam->src);
	cam->fps = info->fps > 0 ? info->fps : DEFAULT_FPS;
	rc = ring_create(opts->ring_slots, info->max_frame_bytes,
			 info->live ? RING_DROP_OLDEST : RING_BLOCK, &cam->ring);
	if (rc == 0)
		rc = decoder_create(info, opts->detect_width, &cam->dec);
	if (rc)
		goto fail_msg;

	int dw, dh;
	decoder_get_size(cam->dec, &dw, &dh);
	const struct tuning *tu = &opts->cfg->tuning;
	struct detect_params dp = {
		.min_area = tu->min_object * tu->min_object,
		.max_area = tu->max_object * tu->max_object,
		.learn_seconds = tu->learn_seconds,
		.absorb_seconds = tu->absorb_seconds,
		.fps = (float)cam->fps,
	};
	struct tracker_params tp = TRACKER_PARAMS_DEFAULT;
	struct counter_params cp = {.band = tu->band, .object_area = tu->object_area};
	tp.confirm_hits = tu->min_track_age;
	rc = detector_create(dw, dh, &dp, &cam->det);
	if (rc == 0)
		rc = tracker_create(&tp, &cam->trk);
	for (int l = 0; rc == 0 && l < opts->cfg->nlines; l++)
		rc = counter_create(&opts->cfg->lines[l].line, &cp, &cam->cnt[l]);
	if (rc)
		goto fail_msg;
	*out = cam;
	return 0;

fail_msg:
	snprintf(err, errlen, "camera '%s': cannot set up '%s': %s", opts->cfg->name,
		 opts->cfg->source, strerror(-rc));
fail:
	camera_close(cam);
	return rc;
}

int camera_start(struct camera *cam)
{
	int rc = pthread_create(&cam->inf_thread, NULL, inference_main, cam);
	if (rc)
		return -rc;
	cam->inf_started = true;
	set_thread_name(cam->inf_thread, "inf", cam->o.cfg->name);
	rc = pthread_create(&cam->cap_thread, NULL, capture_main, cam);
	if (rc) {
		/* Nothing will ever fill the ring: close it so inference ends. */
		ring_close(cam->ring);
		return -rc;
	}
	cam->cap_started = true;
	set_thread_name(cam->cap_thread, "cap", cam->o.cfg->name);
	return 0;
}

void camera_stop(struct camera *cam)
{
	atomic_store(&cam->stop, true);
	/* A capture thread waiting for a free slot must not wait for ever. */
	ring_close(cam->ring);
}

bool camera_done(struct camera *cam)
{
	return (!cam->cap_started || atomic_load(&cam->cap_done)) &&
	       (!cam->inf_started || atomic_load(&cam->inf_done));
}

void camera_join(struct camera *cam)
{
	if (cam->cap_started) {
		pthread_join(cam->cap_thread, NULL);
		cam->cap_started = false;
	}
	if (cam->inf_started) {
		pthread_join(cam->inf_thread, NULL);
		cam->inf_started = false;
	}
}

void camera_get_stats(struct camera *cam, struct camera_stats *out)
{
	struct ring_stats rs;
	ring_get_stats(cam->ring, &rs);
	*out = (struct camera_stats){
		.state = atomic_load(&cam->failed)   ? CAMERA_ERROR
			 : atomic_load(&cam->inf_done) ? CAMERA_FINISHED
						       : CAMERA_STREAMING,
		.captured = atomic_load(&cam->captured),
		.processed = atomic_load(&cam->processed),
		.corrupt = atomic_load(&cam->corrupt),
		.dropped = rs.dropped,
		.ring_fill = rs.fill,
		.ring_slots = rs.nslots,
		.width = source_get_info(cam->src)->width,
		.height = source_get_info(cam->src)->height,
		.fps = cam->fps,
	};
	decoder_get_size(cam->dec, &out->detect_w, &out->detect_h);
}

void camera_close(struct camera *cam)
{
	if (!cam)
		return;
	if (cam->ring && (cam->cap_started || cam->inf_started)) {
		camera_stop(cam);
		camera_join(cam);
	}
	for (int l = 0; l < CONFIG_MAX_LINES; l++)
		counter_destroy(cam->cnt[l]);
	tracker_destroy(cam->trk);
	detector_destroy(cam->det);
	decoder_destroy(cam->dec);
	ring_destroy(cam->ring);
	source_close(cam->src);
	free(cam);
}
