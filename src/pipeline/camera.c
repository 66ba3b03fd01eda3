#include "camera.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "counter.h"
#include "decode.h"
#include "detect.h"
#include "idle.h"
#include "ring.h"
#include "size_store.h"
#include "source.h"
#include "stagetime.h"
#include "tracker.h"
#include "util.h"

#define DEFAULT_FPS 25.0

struct camera {
	struct camera_opts o;
	struct source *src;
	struct ring *ring;
	struct decoder *dec;
	struct detector *det;
	struct tracker *trk;
	struct counter *cnt[TURNSTILE_MAX_LINES]; /* one per line of the camera */
	/* With a state directory: the learnt sizes are saved whenever one of
	 * the lines learns (a crossing, not a frame), formatted in sizes_buf. */
	char *sizes_buf;
	int sizes_learnt[TURNSTILE_MAX_LINES]; /* samples seen at the last save */
	bool sizes_failed;                      /* the last save failed (logged once) */
	double fps;

	pthread_t cap_thread, inf_thread;
	bool cap_started;
	/* The capture thread starts inference once its source is open; lock
	 * orders that against camera_stop and camera_join_inference. */
	pthread_mutex_t lock;
	bool lock_init;
	bool inf_started;       /* under lock */

	atomic_bool stop;
	/* Set by the capture thread once src, ring, decoder... exist; only then
	 * may another thread look at them (camera_get_stats). */
	atomic_bool ready;
	atomic_bool retrying;   /* a live source not there yet: being retried */
	atomic_bool cap_done, inf_done;
	atomic_bool failed;
	atomic_uint_fast64_t captured, processed, corrupt, skipped;
	/* Idle skipping (idle.h): the inference thread's, and the N it uses
	 * published for camera_get_stats. */
	struct idle idle;
	atomic_int idle_n;
	atomic_int_fast64_t latency_ns; /* capture_ns to counted, smoothed; inference writes */
	int64_t start_ns;       /* realtime replay: frame i is due at start_ns + i / fps */
	/* The inference thread's clock for a live source (frame_seconds). */
	bool live_clock_started;
	double last_pts, live_t;
	double first_t;         /* live: the first frame's time, the events' pts 0 */
	/* Per-stage timings: read is the capture thread's, the rest inference's. */
	struct stagetime stage[CAMERA_STAGES];

	/* Preview (camera_view_*): want is set by readers; the inference thread
	 * copies the slot into grab (its own), then swaps grab and view's data
	 * under view_lock. view_lock is a leaf. */
	atomic_bool want_view;
	uint8_t *grab;
	struct camera_view view;
	pthread_mutex_t view_lock;
	pthread_cond_t view_cond;
	bool view_lock_ok;
};

static const char *const stage_names[CAMERA_STAGES] = {
	[CAMERA_STAGE_READ] = "read",     [CAMERA_STAGE_DECODE] = "decode",
	[CAMERA_STAGE_DETECT] = "detect", [CAMERA_STAGE_TRACK] = "track",
	[CAMERA_STAGE_COUNT] = "count",   [CAMERA_STAGE_LATENCY] = "latency",
};

const char *camera_state_name(enum camera_state state)
{
	switch (state) {
	case CAMERA_STREAMING:
		return "streaming";
	case CAMERA_RECONNECTING:
		return "reconnecting";
	case CAMERA_FINISHED:
		return "finished";
	case CAMERA_ERROR:
		return "error";
	}
	return "?";
}

const char *camera_stage_name(enum camera_stage stage)
{
	return (unsigned)stage < CAMERA_STAGES ? stage_names[stage] : "?";
}

/* When a replayed frame is due (realtime), or its capture_ns otherwise: the
 * driver's timestamp for a V4L2 frame that has a trustworthy one (so time
 * spent queued in the driver shows), else the ring commit. Paced replay
 * behind schedule commits late, and timing from the commit would hide the
 * backlog that a live camera would show as latency or drops. */
static int64_t capture_time(const struct camera *cam, const struct frame *f, bool paced)
{
	return paced ? cam->start_ns + (int64_t)((double)f->index * 1e9 / cam->fps)
		     : f->capture_ns;
}

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

static void capture_loop(struct camera *cam)
{
	char err[256];
	uint64_t n = 0;

	while (!atomic_load(&cam->stop)) {
		struct frame *slot = ring_acquire_write(cam->ring);
		if (!slot)
			break;
		int64_t t0 = stagetime_now();
		int rc = source_read_frame(cam->src, slot, err, sizeof(err));
		if (rc == 0)
			stagetime_add(&cam->stage[CAMERA_STAGE_READ], stagetime_now() - t0);
		if (rc == SOURCE_AGAIN) {
			/* Live source waiting for a frame or its device. */
			ring_cancel_write(cam->ring, slot);
			continue;
		}
		if (rc == SOURCE_CORRUPT) {
			ring_cancel_write(cam->ring, slot);
			atomic_fetch_add(&cam->corrupt, 1);
			continue;
		}
		if (rc != 0) {
			ring_cancel_write(cam->ring, slot);
			/* -ECANCELED: told to stop while waiting on a pipe. */
			if (rc < 0 && !atomic_load(&cam->stop)) {
				log_error("camera '%s': %s", cam->o.cfg->name, err);
				atomic_store(&cam->failed, true);
			}
			break;
		}
		/* Paced by index: raw MJPEG has no rate of its own (cam->fps is 25 then). */
		if (cam->o.realtime && !source_get_info(cam->src)->live)
			pace(cam->start_ns, (int64_t)((double)slot->index * 1e9 / cam->fps));
		ring_commit(cam->ring, slot);
		atomic_fetch_add(&cam->captured, 1);
		if (cam->o.max_frames && ++n >= cam->o.max_frames)
			break;
	}
}

/* The source came back after losing its device: objects seen before may be
 * anywhere now. End every track at once (tracker_reset: an ended track never
 * counts), so nothing half-seen counts, track ids stay unique in the run and
 * the counts so far stay. The counters are told separately: otherwise they
 * would file the old tracks as just ended on the first frame back, and a new
 * object near where one was last seen would inherit its side and could count
 * a crossing that never happened. */
static void tracking_restart(struct camera *cam)
{
	tracker_reset(cam->trk);
	detector_reset(cam->det);
	for (int l = 0; l < cam->o.cfg->nlines; l++)
		counter_reset_tracks(cam->cnt[l]);
}

/* A frame's time in seconds, on which every time constant of detection
 * and tracking runs: the source's timestamp, or for a file with no rate of
 * its own, its index at the camera's rate. A live source's timestamps are
 * believed unless two frames come less than half a period apart, which no
 * camera does at its negotiated rate (a burst of frames stamped as they
 * were handed over is): those advance by one period. Only the inference
 * thread calls it. */
static double frame_seconds(struct camera *cam, const struct frame *f)
{
	const struct source_info *info = source_get_info(cam->src);
	if (!info->live)
		return info->fps > 0 ? (double)f->pts_ns / 1e9 : (double)f->index / cam->fps;
	double period = 1.0 / cam->fps, pts = (double)f->pts_ns / 1e9;
	if (!cam->live_clock_started || pts < cam->last_pts) {
		/* The events' pts go on one period later when the clock jumps back. */
		cam->first_t = cam->live_clock_started ? pts - (cam->live_t + period - cam->first_t)
						       : pts;
		cam->live_clock_started = true;
		cam->live_t = pts;
	} else {
		double gap = pts - cam->last_pts;
		cam->live_t += gap < 0.5 * period ? period : gap;
	}
	cam->last_pts = pts;
	return cam->live_t;
}

/* Samples a counter's size model has taken in, modulo its history: a
 * change means it learnt since the last look. */
static int sizes_learnt(const struct counter *c)
{
	const struct objsize *s = counter_objsize(c);
	return s->n * OBJSIZE_HISTORY + s->next;
}

/* One object's size as the lines learnt it: the smallest, where lines see
 * objects at different distances, so that no object is taken for a part
 * of another; 0 while none knows it. */
static void learnt_object_size(const struct camera *cam, float *area, float *extent)
{
	*area = *extent = 0.0f;
	for (int l = 0; l < cam->o.cfg->nlines; l++) {
		float a, e;
		counter_object_size(cam->cnt[l], &a, &e);
		if (a > 0.0f && e > 0.0f && (*area == 0.0f || a < *area)) {
			*area = a;
			*extent = e;
		}
	}
}

/* Saves the learnt sizes when any line has learnt since the last save. */
static void save_sizes(struct camera *cam)
{
	bool changed = false;
	if (!cam->sizes_buf)
		return;
	for (int l = 0; l < cam->o.cfg->nlines; l++) {
		int now = sizes_learnt(cam->cnt[l]);
		changed |= now != cam->sizes_learnt[l];
		cam->sizes_learnt[l] = now;
	}
	if (!changed)
		return;
	int rc = size_store_save(cam->o.state_dir, cam->o.cfg, cam->cnt, cam->sizes_buf,
				 SIZE_STORE_BUF);
	if (rc && !cam->sizes_failed)
		log_error("camera '%s': cannot save the learnt object sizes in '%s': %s",
			  cam->o.cfg->name, cam->o.state_dir, strerror(-rc));
	else if (!rc && cam->sizes_failed)
		log_error("camera '%s': learnt object sizes saved again", cam->o.cfg->name);
	cam->sizes_failed = rc != 0;
}

/* What publish_view needs of the grabbed frame besides its bytes. */
struct grab_meta {
	size_t len;
	enum frame_format format;
	uint64_t index;
	int width, height;
};

/* The slot's bytes, before the slot goes back to the ring. Inference thread. */
static bool grab_view(struct camera *cam, const struct frame *f, struct grab_meta *meta)
{
	if (!cam->grab || !atomic_load_explicit(&cam->want_view, memory_order_relaxed) ||
	    !atomic_exchange(&cam->want_view, false) || f->len > cam->view.cap)
		return false;
	memcpy(cam->grab, f->data, f->len);
	const struct source_info *info = source_get_info(cam->src);
	meta->len = f->len;
	meta->format = f->format;
	meta->index = f->index;
	meta->width = f->format == FRAME_GRAY ? f->width : info->width;
	meta->height = f->format == FRAME_GRAY ? f->height : info->height;
	return true;
}

/* Publishes the grabbed frame with what detection and tracking made of it. */
static void publish_view(struct camera *cam, const struct grab_meta *meta,
			 const struct track *tracks)
{
	struct camera_view *v = &cam->view;

	mutex_lock(&cam->view_lock);
	uint8_t *spare = v->data;
	v->data = cam->grab;
	cam->grab = spare;
	v->len = meta->len;
	v->format = meta->format;
	v->index = meta->index;
	v->width = meta->width;
	v->height = meta->height;
	memcpy(v->tracks, tracks, sizeof(v->tracks));
	memcpy(v->mask, detector_mask(cam->det), (size_t)v->mask_w * (size_t)v->mask_h);
	v->seq++;
	pthread_cond_broadcast(&cam->view_cond);
	mutex_unlock(&cam->view_lock);
}

/* Whether any track is live: tentative or confirmed, coasting included. */
static bool any_track(const struct track *tracks)
{
	for (int i = 0; i < TRACKER_MAX_TRACKS; i++)
		if (tracks[i].id)
			return true;
	return false;
}

/* The most frames the inference thread takes from the ring at once. */
#define BATCH_MAX 32

/* Gives the frames skipped so far back to the ring, in one lock, and
 * counts them: processed by skipping, never dropped. */
static void release_skipped(struct camera *cam, struct frame **skipped, size_t *n)
{
	if (*n == 0)
		return;
	ring_release_many(cam->ring, skipped, *n);
	atomic_fetch_add(&cam->skipped, *n);
	atomic_fetch_add(&cam->processed, *n);
	*n = 0;
}

/* A frame to decode: decode it, give its slot back, then detection,
 * tracking, counting. Inference thread. */
static void process_frame(struct camera *cam, struct frame *f, double t_sec, bool paced)
{
	struct blob blobs[DETECT_MAX_BLOBS];
	struct crossing crossings[COUNTER_MAX_CROSSINGS];
	struct stagetime *st = cam->stage;
	const struct gray *g;
	uint64_t index = f->index;
	int64_t capture_ns = f->capture_ns;
	int64_t captured_ns = capture_time(cam, f, paced);
	int64_t t0 = stagetime_now();
	struct grab_meta meta = {0};
	bool grabbed = grab_view(cam, f, &meta);
	int rc = decoder_decode(cam->dec, f, &g);
	/* The gray image is the decoder's own: the slot can go back now. */
	ring_release(cam->ring, f);
	int64_t t1 = stagetime_now();
	stagetime_add(&st[CAMERA_STAGE_DECODE], t1 - t0);
	if (rc != 0) {
		if (grabbed)
			atomic_store(&cam->want_view, true); /* the next one, then */
		atomic_fetch_add(&cam->corrupt, 1);
		return;
	}
	int nblobs;
	detector_process(cam->det, g, t_sec, blobs, &nblobs);
	int64_t t2 = stagetime_now();
	stagetime_add(&st[CAMERA_STAGE_DETECT], t2 - t1);
	float one_area, one_extent;
	learnt_object_size(cam, &one_area, &one_extent);
	tracker_set_object_size(cam->trk, one_area, one_extent);
	const struct track *tracks = tracker_update(cam->trk, blobs, nblobs, t_sec);
	int64_t t3 = stagetime_now();
	/* Faint blobs (the smallest, last) are no motion by themselves. */
	idle_decoded(&cam->idle, t_sec, (nblobs > 0 && !blobs[0].faint) || any_track(tracks));
	stagetime_add(&st[CAMERA_STAGE_TRACK], t3 - t2);
	if (grabbed)
		publish_view(cam, &meta, tracks);
	for (int l = 0; l < cam->o.cfg->nlines; l++) {
		int nc = counter_update(cam->cnt[l], tracks, crossings);
		for (int i = 0; i < nc; i++) {
			struct event ev = {
				.camera = cam->o.index,
				.line = l,
				.dir = crossings[i].dir,
				.frame = index,
				.track = crossings[i].track,
				.objects = crossings[i].objects,
				.wall_ns = now_ns(CLOCK_REALTIME),
				.pts = t_sec - cam->first_t,
			};
			cam->o.post(cam->o.post_ctx, &ev);
		}
	}
	save_sizes(cam);
	int64_t t4 = stagetime_now();
	stagetime_add(&st[CAMERA_STAGE_COUNT], t4 - t3);
	stagetime_add(&st[CAMERA_STAGE_LATENCY], t4 - captured_ns);
	atomic_fetch_add(&cam->processed, 1);
	/* Smoothed over about 8 frames; this thread is the only writer. */
	int64_t lat = t4 - capture_ns;
	int64_t avg = atomic_load(&cam->latency_ns);
	atomic_store(&cam->latency_ns, avg ? avg + (lat - avg) / 8 : lat);
}

/* Takes frames from the ring in order and decides each: skipped while idle
 * (through the ring and counted, not decoded: docs/idle-skip.md), else
 * decoded and counted. While idle it asks the ring for the run of frames
 * up to the next one it will decode, all at once (idle_frames_ahead), so
 * the frames it skips cost it no wake-up each; it releases them in one
 * lock. Every decision is still taken frame by frame in order, as if they
 * came one at a time: the batches change when the thread wakes, never what
 * it decides. The deadline only bounds the wait when frames come late (a
 * decision may then fall earlier than forecast): it changes nothing but
 * when the thread looks. */
static void *inference_main(void *arg)
{
	struct camera *cam = arg;
	struct frame *batch[BATCH_MAX], *skipped[BATCH_MAX];
	uint32_t session = 0;
	const bool paced = cam->o.realtime && !source_get_info(cam->src)->live;
	size_t want = 1, n;
	int64_t deadline = 0;

	while ((n = ring_acquire_read_many(cam->ring, want, want, deadline, batch))) {
		size_t nskipped = 0;
		for (size_t i = 0; i < n; i++) {
			struct frame *f = batch[i];
			double t_sec = frame_seconds(cam, f);
			if (f->session != session) {
				session = f->session;
				tracking_restart(cam);
				idle_wake(&cam->idle, t_sec);
			}
			bool skip = idle_skip(&cam->idle, t_sec);
			if (cam->idle.enabled)
				atomic_store_explicit(&cam->idle_n, cam->idle.n, memory_order_relaxed);
			if (skip) {
				skipped[nskipped++] = f;
				continue;
			}
			release_skipped(cam, skipped, &nskipped);
			process_frame(cam, f, t_sec, paced);
		}
		release_skipped(cam, skipped, &nskipped);
		int ahead = idle_frames_ahead(&cam->idle);
		want = ahead < BATCH_MAX ? (size_t)ahead : BATCH_MAX;
		/* Half a frame late at most, as measured by the frames' times. */
		deadline = want > 1 ? now_ns(CLOCK_MONOTONIC) +
					      (int64_t)(((double)want + 0.5) * cam->idle.interval * 1e9)
				    : 0;
	}
	atomic_store(&cam->inf_done, true);
	if (cam->o.ended)
		cam->o.ended(cam->o.ended_ctx);
	return NULL;
}

/* The preview's buffers: two slots' worth and a mask, allocated once, on
 * the capture thread in setup (they are sized by the source). */
static int view_init(struct camera *cam, const struct source_info *info, int dw, int dh)
{
	int rc = pthread_mutex_init(&cam->view_lock, NULL);
	if (rc)
		return -rc;
	rc = cond_init_monotonic(&cam->view_cond);
	if (rc) {
		pthread_mutex_destroy(&cam->view_lock);
		return rc;
	}
	cam->view_lock_ok = true;
	cam->view.cap = info->max_frame_bytes;
	cam->view.mask_w = dw;
	cam->view.mask_h = dh;
	cam->grab = malloc(cam->view.cap);
	cam->view.data = malloc(cam->view.cap);
	cam->view.mask = calloc((size_t)dw * (size_t)dh, 1);
	return cam->grab && cam->view.data && cam->view.mask ? 0 : -ENOMEM;
}

/* The preview's buffers are made on the capture thread once its source is
 * open (setup): readers see them only after ready says so. */
struct camera_view *camera_view_alloc(struct camera *cam)
{
	if (!atomic_load(&cam->ready) || !cam->view_lock_ok)
		return NULL;
	struct camera_view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->cap = cam->view.cap;
	v->mask_w = cam->view.mask_w;
	v->mask_h = cam->view.mask_h;
	v->data = malloc(v->cap);
	v->mask = calloc((size_t)v->mask_w * (size_t)v->mask_h, 1);
	if (!v->data || !v->mask) {
		camera_view_free(v);
		return NULL;
	}
	return v;
}

void camera_view_free(struct camera_view *v)
{
	if (!v)
		return;
	free(v->data);
	free(v->mask);
	free(v);
}

void camera_view_request(struct camera *cam)
{
	atomic_store(&cam->want_view, true);
}

int camera_view_get(struct camera *cam, struct camera_view *v, int timeout_ms)
{
	if (!atomic_load(&cam->ready) || !cam->view_lock_ok)
		return -EAGAIN;
	const int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000;
	int rc = -EAGAIN;

	mutex_lock(&cam->view_lock);
	for (;;) {
		const struct camera_view *p = &cam->view;
		if (p->seq > v->seq) {
			v->seq = p->seq;
			v->index = p->index;
			v->format = p->format;
			v->width = p->width;
			v->height = p->height;
			v->len = p->len;
			memcpy(v->data, p->data, p->len);
			memcpy(v->tracks, p->tracks, sizeof(v->tracks));
			memcpy(v->mask, p->mask, (size_t)v->mask_w * (size_t)v->mask_h);
			rc = 0;
			break;
		}
		int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
		if (left <= 0 || atomic_load(&cam->inf_done))
			break;
		atomic_store(&cam->want_view, true);
		cond_timedwait_ns(&cam->view_cond, &cam->view_lock, left < 100000000 ? left : 100000000);
	}
	mutex_unlock(&cam->view_lock);
	return rc;
}

const struct stagetime *camera_stage_timer(struct camera *cam, enum camera_stage stage)
{
	return atomic_load(&cam->ready) && (unsigned)stage < CAMERA_STAGES ? &cam->stage[stage] : NULL;
}

/* With a state directory, what the lines learnt before a restart. A
 * damaged file is said once and learnt afresh over. */
static int load_sizes(struct camera *cam)
{
	cam->sizes_buf = malloc(SIZE_STORE_BUF);
	if (!cam->sizes_buf)
		return -ENOMEM;
	int rc = size_store_load(cam->o.state_dir, cam->o.cfg, cam->cnt);
	if (rc && rc != -ENOENT)
		log_error("camera '%s': ignoring the learnt object sizes in '%s' (%s): learning afresh",
			  cam->o.cfg->name, cam->o.state_dir,
			  rc == -EINVAL ? "damaged" : strerror(-rc));
	for (int l = 0; l < cam->o.cfg->nlines; l++)
		cam->sizes_learnt[l] = sizes_learnt(cam->cnt[l]);
	return 0;
}

/* A live source: a V4L2 device (or a /dev path that is not there yet, a
 * USB camera not plugged in) or a FIFO. One that cannot be opened at start
 * is retried like a device lost mid-run; a missing or bad file is not. */
static bool retry_open(const char *path, int rc)
{
	struct stat st;

	if (strncmp(path, "/dev/", 5) == 0)
		return rc == -ENOENT || rc == -ENODEV || rc == -ENXIO || rc == -EACCES ||
		       rc == -EPERM || rc == -EBUSY || rc == -EIO;
	/* A FIFO whose first writer left without a byte: wait for the next. */
	return rc == -ENODATA && stat(path, &st) == 0 && S_ISFIFO(st.st_mode);
}

/* Sleeps ns, waking every POLL slice to see the stop flag. */
static void nap_unless_stopped(struct camera *cam, int64_t ns)
{
	const int64_t slice = 100000000;
	int64_t end = now_ns(CLOCK_MONOTONIC) + ns;

	for (int64_t left = ns; left > 0 && !atomic_load(&cam->stop);
	     left = end - now_ns(CLOCK_MONOTONIC)) {
		int64_t d = left < slice ? left : slice;
		struct timespec ts = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000};
		nanosleep(&ts, NULL);
	}
}

/* Opens the source on the capture thread, which blocks every signal, so a
 * source that waits (a FIFO with no writer, a terminal) holds neither a
 * signal nor another camera; every wait ends at the stop flag. Returns 0,
 * -ECANCELED when stopped, or -errno once logged (the camera is failed). */
static int open_source(struct camera *cam)
{
	const struct camera_config *cfg = cam->o.cfg;
	struct source_opts so = {
		.name = cfg->name,
		.width = cfg->width,
		.height = cfg->height,
		.fps = cfg->fps,
		.watchdog_ms = (int)(cfg->watchdog * 1000),
		.cancel = &cam->stop,
		.detect_width = cam->o.detect_width,
		.credentials = cfg->credentials,
		.rtsp_udp = cfg->rtsp_udp,
	};
	int64_t backoff = SOURCE_BACKOFF_MIN_MS * 1000000LL, since = now_ns(CLOCK_MONOTONIC);
	char err[512];

	for (;;) {
		int rc = source_open_opts(cfg->source, &so, &cam->src, err, sizeof(err));
		if (rc == 0)
			break;
		if (atomic_load(&cam->stop))
			return -ECANCELED;
		if (!retry_open(cfg->source, rc)) {
			log_error("camera '%s': %s", cfg->name, err);
			atomic_store(&cam->failed, true);
			return rc;
		}
		/* Once: a camera that stays unplugged does not flood the log. */
		if (!atomic_exchange(&cam->retrying, true))
			log_warn("camera '%s': %s; retrying, waits doubling from %d to %d s", cfg->name,
				  err, SOURCE_BACKOFF_MIN_MS / 1000, SOURCE_BACKOFF_MAX_MS / 1000);
		nap_unless_stopped(cam, backoff);
		backoff = backoff * 2 > SOURCE_BACKOFF_MAX_MS * 1000000LL
				  ? SOURCE_BACKOFF_MAX_MS * 1000000LL
				  : backoff * 2;
	}
	if (atomic_exchange(&cam->retrying, false))
		log_notice("camera '%s': '%s' opened after %.1f s", cfg->name, cfg->source,
			  (double)(now_ns(CLOCK_MONOTONIC) - since) / 1e9);
	return 0;
}

/* The gap rule from the camera's lines, regions and rate (idle.h). A
 * geometry that never lets it skip is said once, with what to do, to
 * whoever asked for skipping in so many words: with the default, every
 * camera whose line runs edge to edge would say it at every start (the
 * summary's idle_skip shows it either way). */
static void idle_setup(struct camera *cam)
{
	const struct camera_config *cfg = cam->o.cfg;
	struct line lines[TURNSTILE_MAX_LINES];
	int closest;

	for (int l = 0; l < cfg->nlines; l++)
		lines[l] = cfg->lines[l].line;
	double d = idle_reach(lines, cfg->nlines, cfg->tuning.band, &cfg->regions, &closest);
	idle_init(&cam->idle, cfg->idle_skip, d / cfg->max_speed, cam->fps);
	atomic_store(&cam->idle_n, cfg->idle_skip ? cam->idle.n : 0);
	if (cfg->idle_skip_asked && cam->idle.n <= 1)
		log_info("camera '%s': idle skipping off: line '%s' comes within %.3f of where "
			 "objects come into sight (the %s edges, masks; band included), less than "
			 "max_speed=%g covers in one frame at %.3g fps; draw the line short of the "
			 "edges or set roi= (docs/idle-skip.md)",
			 cfg->name, cfg->lines[closest].name, d, cfg->regions.nroi ? "roi's" : "picture's",
			 (double)cfg->max_speed, cam->fps);
}

/* Sizes everything after the source: ring, decoder, detector, tracker,
 * counters. Capture thread, before inference starts. */
static int setup(struct camera *cam)
{
	const struct camera_opts *opts = &cam->o;
	int rc = open_source(cam);

	if (rc)
		return rc;
	const struct source_info *info = source_get_info(cam->src);
	cam->fps = info->fps > 0 ? info->fps : DEFAULT_FPS;
	rc = ring_create(opts->ring_slots, info->max_frame_bytes,
			 info->live ? RING_DROP_OLDEST : RING_BLOCK, &cam->ring);
	if (rc == 0)
		rc = decoder_create(info, opts->detect_width, &cam->dec);
	if (rc)
		goto fail;

	int dw, dh;
	decoder_get_size(cam->dec, &dw, &dh);
	const struct tuning *tu = &opts->cfg->tuning;
	struct detect_params dp = {
		.min_area = tu->min_object * tu->min_object,
		.max_area = tu->max_object * tu->max_object,
		.learn_seconds = tu->learn_seconds,
		.absorb_seconds = tu->absorb_seconds,
		.fps = (float)cam->fps,
		.shadows = tu->shadows,
	};
	struct tracker_params tp = TRACKER_PARAMS_DEFAULT;
	struct counter_params cp = {.band = tu->band,
				     .object_area = tu->object_area,
				     .anchor = tu->anchor_bottom ? ANCHOR_BOTTOM : ANCHOR_CENTRE};
	tp.confirm_hits = tu->min_track_age;
	tp.fps = (float)cam->fps;
	rc = detector_create(dw, dh, &dp, &cam->det);
	if (rc == 0)
		rc = detector_set_regions(cam->det, &opts->cfg->regions);
	if (rc == 0)
		rc = tracker_create(&tp, &cam->trk);
	for (int l = 0; rc == 0 && l < opts->cfg->nlines; l++)
		rc = counter_create(&opts->cfg->lines[l].line, &cp, &cam->cnt[l]);
	if (rc == 0)
		rc = view_init(cam, info, dw, dh);
	if (rc)
		goto fail;
	idle_setup(cam);
	if (opts->state_dir && tu->object_area <= 0.0f) {
		rc = load_sizes(cam);
		if (rc)
			goto fail;
	}
	return 0;

fail:
	log_error("camera '%s': cannot set up '%s': %s", opts->cfg->name, opts->cfg->source,
		  strerror(-rc));
	atomic_store(&cam->failed, true);
	return rc;
}

/* Starts inference unless a stop came first. Returns true when it runs. */
static bool start_inference(struct camera *cam)
{
	bool started = false;

	mutex_lock(&cam->lock);
	if (!atomic_load(&cam->stop)) {
		int rc = pthread_create(&cam->inf_thread, NULL, inference_main, cam);
		if (rc == 0) {
			cam->inf_started = started = true;
			set_thread_name(cam->inf_thread, "inf", cam->o.cfg->name);
			atomic_store(&cam->ready, true);
		} else {
			log_error("camera '%s': cannot start its inference thread: %s",
				  cam->o.cfg->name, strerror(rc));
			atomic_store(&cam->failed, true);
		}
	}
	mutex_unlock(&cam->lock);
	return started;
}

static void *capture_main(void *arg)
{
	struct camera *cam = arg;

	/* Paced replay counts from the open, not from the start of the run;
	 * before inference starts, which reads it. */
	if (setup(cam) == 0 && (cam->start_ns = now_ns(CLOCK_MONOTONIC), start_inference(cam)))
		capture_loop(cam);
	/* End of stream: the inference thread drains the ring and ends. */
	mutex_lock(&cam->lock);
	if (cam->ring)
		ring_close(cam->ring);
	mutex_unlock(&cam->lock);
	atomic_store(&cam->cap_done, true);
	if (cam->o.ended)
		cam->o.ended(cam->o.ended_ctx);
	return NULL;
}

int camera_open(const struct camera_opts *opts, struct camera **out, char *err, size_t errlen)
{
	struct camera *cam = calloc(1, sizeof(*cam));

	if (!cam || pthread_mutex_init(&cam->lock, NULL) != 0) {
		snprintf(err, errlen, "camera '%s': out of memory", opts->cfg->name);
		free(cam);
		return -ENOMEM;
	}
	cam->lock_init = true;
	cam->o = *opts;
	cam->fps = DEFAULT_FPS;
	*out = cam;
	return 0;
}

int camera_start(struct camera *cam)
{
	int rc = pthread_create(&cam->cap_thread, NULL, capture_main, cam);
	if (rc)
		return -rc;
	cam->cap_started = true;
	set_thread_name(cam->cap_thread, "cap", cam->o.cfg->name);
	return 0;
}

void camera_stop(struct camera *cam)
{
	atomic_store(&cam->stop, true);
	/* A capture thread waiting for a free slot must not wait for ever; a
	 * network read sees the stop flag (source_opts.cancel) by itself. */
	mutex_lock(&cam->lock);
	if (cam->ring)
		ring_close(cam->ring);
	mutex_unlock(&cam->lock);
}

bool camera_done(struct camera *cam)
{
	/* Inference is started before cap_done, never after. */
	bool cap_done = !cam->cap_started || atomic_load(&cam->cap_done);
	mutex_lock(&cam->lock);
	bool inf = cam->inf_started;
	mutex_unlock(&cam->lock);
	return cap_done && (!inf || atomic_load(&cam->inf_done));
}

bool camera_opened(struct camera *cam)
{
	return atomic_load(&cam->ready);
}

void camera_join(struct camera *cam)
{
	if (cam->cap_started) {
		pthread_join(cam->cap_thread, NULL);
		cam->cap_started = false;
	}
	camera_join_inference(cam);
}

void camera_abandon(struct camera *cam)
{
	/* Detached, it may still finish before the process exits, and it is
	 * not a thread leak: nobody waits for it on purpose. */
	if (cam->cap_started) {
		pthread_detach(cam->cap_thread);
		cam->cap_started = false;
	}
}

void camera_join_inference(struct camera *cam)
{
	mutex_lock(&cam->lock);
	bool started = cam->inf_started;
	cam->inf_started = false;
	mutex_unlock(&cam->lock);
	if (started)
		pthread_join(cam->inf_thread, NULL);
}

void camera_get_stats(struct camera *cam, struct camera_stats *out)
{
	struct ring_stats rs;
	struct source_stats ss;

	if (!atomic_load(&cam->ready)) {
		/* Not open yet (waiting, retrying) or never (failed). */
		*out = (struct camera_stats){
			.state = atomic_load(&cam->failed)     ? CAMERA_ERROR
				 : atomic_load(&cam->retrying) ? CAMERA_RECONNECTING
				 : atomic_load(&cam->cap_done) ? CAMERA_FINISHED
							       : CAMERA_RECONNECTING,
			.fps = cam->o.cfg->fps > 0 ? cam->o.cfg->fps : DEFAULT_FPS,
		};
		return;
	}
	ring_get_stats(cam->ring, &rs);
	source_get_stats(cam->src, &ss);
	*out = (struct camera_stats){
		.state = atomic_load(&cam->failed)   ? CAMERA_ERROR
			 : atomic_load(&cam->inf_done) ? CAMERA_FINISHED
			 : ss.reconnecting             ? CAMERA_RECONNECTING
						       : CAMERA_STREAMING,
		.captured = atomic_load(&cam->captured),
		.processed = atomic_load(&cam->processed),
		.skipped = atomic_load(&cam->skipped),
		.idle_skip = atomic_load_explicit(&cam->idle_n, memory_order_relaxed),
		.corrupt = atomic_load(&cam->corrupt),
		.dropped = rs.dropped + ss.stale,
		.driver_drops = ss.driver_drops,
		.reconnects = ss.reconnects,
		.ring_fill = rs.fill,
		.wakeups = rs.wakeups,
		.ring_slots = rs.nslots,
		.width = source_get_info(cam->src)->width,
		.height = source_get_info(cam->src)->height,
		.fps = cam->fps,
		.latency_ms = (double)atomic_load(&cam->latency_ns) / 1e6,
	};
	for (int i = 0; i < CAMERA_STAGES; i++)
		stagetime_get(&cam->stage[i], &out->stages[i]);
	decoder_get_size(cam->dec, &out->detect_w, &out->detect_h);
	out->nlines = cam->o.cfg->nlines;
	for (int l = 0; l < out->nlines; l++)
		counter_get_stats(cam->cnt[l], &out->lines[l]);
}

void camera_close(struct camera *cam)
{
	if (!cam)
		return;
	if (cam->cap_started) {
		camera_stop(cam);
		camera_join(cam);
	}
	for (int l = 0; l < TURNSTILE_MAX_LINES; l++)
		counter_destroy(cam->cnt[l]);
	tracker_destroy(cam->trk);
	detector_destroy(cam->det);
	decoder_destroy(cam->dec);
	ring_destroy(cam->ring);
	source_close(cam->src);
	free(cam->sizes_buf);
	if (cam->lock_init)
		pthread_mutex_destroy(&cam->lock);
	if (cam->view_lock_ok) {
		pthread_cond_destroy(&cam->view_cond);
		pthread_mutex_destroy(&cam->view_lock);
	}
	free(cam->grab);
	free(cam->view.data);
	free(cam->view.mask);
	free(cam);
}
