/* V4L2 capture source: a USB camera (or any V4L2 capture node) as one more
 * kind in the source vtable.
 *
 * Owns: the device fd, its mmap buffers and the negotiated mode. Every
 * device call goes through the seam in v4l2_device.h (libv4l2 in
 * production, a fake in tests).
 *
 * Threads: opened (negotiation only) by the camera's capture thread;
 * from then on only the camera's capture thread calls read_frame and close.
 * The counters in struct source are atomics any thread may read.
 *
 * A live camera never ends the stream. read_frame returns a frame, a
 * corrupt frame to count, or SOURCE_AGAIN within about POLL_SLICE_NS, so the
 * capture thread sees its stop flag promptly. When the device fails
 * (ENODEV, EIO, any streaming error) or stays silent for the watchdog time,
 * the fd is closed, the camera is "reconnecting" and the device is reopened
 * by its configured name (a /dev/v4l/by-id/ link stays valid across a
 * replug, /dev/videoN may not) with backoff: 1 s doubling to 30 s. The
 * format is negotiated again from scratch; the ring and decoder were sized
 * for the first negotiation, so a device that comes back with another size
 * or kind of frame is refused (logged) and retried. Every line logged names
 * the camera and says what changed, once per change of state.
 *
 * The jobs are split: choosing the mode is v4l2_mode.c, the backoff and
 * the lost / back lines are reconnect.c (shared with the FFmpeg source);
 * this file opens the device, streams (buffers, DQBUF, copy) and decides
 * when the stream is lost. */
#include "source_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/videodev2.h>

#include "jpeg_util.h"
#include "reconnect.h"
#include "util.h"
#include "v4l2_device.h"
#include "v4l2_mode.h"

#define NBUFFERS 4               /* asked of REQBUFS; the driver may give more */
#define MAX_BUFFERS 32
#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 480
#define DEFAULT_FPS 30.0
#define POLL_SLICE_NS 200000000LL /* longest wait inside one read_frame */
/* Smaller than any real frame (ustreamer's threshold): a UVC camera sends
 * such stubs when a transfer breaks up. */
#define MIN_JPEG_BYTES 125
/* A sequence jump beyond this is a restart in disguise, not lost frames:
 * far more than a watchdog period at any frame rate. */
#define MAX_SEQUENCE_GAP 100000
/* Oldest buffer timestamp still taken as the frame's capture time. The
 * capture thread dequeues as soon as poll says a buffer is done and never
 * waits for the ring, so a real timestamp is a few frame periods old at
 * most; an older one, or one from the future, is a driver mislabelling its
 * clock, and latency timed from it would be nonsense. */
#define MAX_STAMP_AGE_NS 5000000000LL

struct vbuf {
	void *start;
	size_t length;
};

struct v4l2_src {
	const struct v4l2_device_ops *dev;
	int fd;            /* -1 while closed */
	bool streaming;    /* STREAMON succeeded and no failure since */
	bool streamon;     /* STREAMON was issued on fd (STREAMOFF owed) */
	bool reqbufs;      /* buffers were requested on fd (REQBUFS 0 owed) */
	struct vbuf bufs[MAX_BUFFERS];
	unsigned nbufs;
	struct v4l2_mode mode;

	int want_w, want_h;
	double want_fps;
	int64_t watchdog_ns;

	struct reconnect rc;     /* backoff and the lost / back log lines */
	int64_t last_frame_ns;   /* last buffer dequeued, for the watchdog */
	bool have_seq;
	uint32_t last_seq;
	unsigned pending_corrupt; /* bad buffers dequeued, still to report */
};

static int64_t mono_ns(void)
{
	return now_ns(CLOCK_MONOTONIC);
}

static int xioctl(struct v4l2_src *v, unsigned long request, void *arg)
{
	return v4l2_xioctl(v->dev, v->fd, request, arg);
}

/* Opens the node and negotiates. Returns 0 or -errno with msg (no path). */
static int device_open(struct source *src, struct v4l2_src *v, struct v4l2_mode *m, char *msg,
		       size_t msglen)
{
	struct v4l2_capability cap = {0};
	uint32_t caps;
	int rc;

	v->fd = v->dev->open(src->path, O_RDWR | O_NONBLOCK);
	/* libv4l2's open already asks QUERYCAP, and fails with its ENOTTY. */
	rc = v->fd < 0 ? -errno : xioctl(v, VIDIOC_QUERYCAP, &cap);
	if (v->fd < 0 && rc != -ENOTTY) {
		snprintf(msg, msglen, "%s", strerror(-rc));
		return rc;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "not a V4L2 device (VIDIOC_QUERYCAP: %s)", strerror(-rc));
		return rc == -ENOTTY ? -EPROTO : rc;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
		snprintf(msg, msglen, "not a video capture device");
		return -EPROTO;
	}
	if (!(caps & V4L2_CAP_STREAMING)) {
		snprintf(msg, msglen, "no streaming I/O (mmap)");
		return -EPROTO;
	}
	snprintf(m->card, sizeof(m->card), "%.32s", (const char *)cap.card);
	snprintf(m->bus, sizeof(m->bus), "%.32s", (const char *)cap.bus_info);
	return v4l2_mode_negotiate(v->dev, v->fd, v->want_w, v->want_h, v->want_fps, m, msg,
				   msglen);
}

/* Undoes stream_start; keeps the fd. Safe at any point of a half start and
 * after the device vanished (the calls then fail, which changes nothing). */
static void stream_stop(struct v4l2_src *v)
{
	if (v->streamon) {
		int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		xioctl(v, VIDIOC_STREAMOFF, &type);
		v->streamon = false;
	}
	for (unsigned i = 0; i < v->nbufs; i++) {
		if (v->bufs[i].start)
			v->dev->munmap(v->bufs[i].start, v->bufs[i].length);
		v->bufs[i] = (struct vbuf){0};
	}
	v->nbufs = 0;
	if (v->reqbufs) {
		struct v4l2_requestbuffers r = {
			.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
		xioctl(v, VIDIOC_REQBUFS, &r);
		v->reqbufs = false;
	}
	v->streaming = false;
}

static void device_close(struct v4l2_src *v)
{
	stream_stop(v);
	if (v->fd >= 0)
		v->dev->close(v->fd);
	v->fd = -1;
	v->pending_corrupt = 0;
}

static int queue_buffer(struct v4l2_src *v, uint32_t index)
{
	struct v4l2_buffer b = {
		.index = index, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};

	return xioctl(v, VIDIOC_QBUF, &b);
}

/* REQBUFS -> QUERYBUF -> mmap -> QBUF each -> STREAMON. Returns 0 or
 * -errno with *what naming the call that failed; stream_stop cleans up. */
static int stream_start(struct v4l2_src *v, const char **what)
{
	struct v4l2_requestbuffers r = {
		.count = NBUFFERS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	int rc;

	*what = "VIDIOC_REQBUFS";
	rc = xioctl(v, VIDIOC_REQBUFS, &r);
	if (rc < 0)
		return rc;
	v->reqbufs = true;
	if (r.count < 2 || r.count > MAX_BUFFERS)
		return -ENOMEM;
	for (uint32_t i = 0; i < r.count; i++) {
		struct v4l2_buffer b = {
			.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};

		*what = "VIDIOC_QUERYBUF";
		rc = xioctl(v, VIDIOC_QUERYBUF, &b);
		if (rc < 0)
			return rc;
		*what = "mmap";
		void *p = v->dev->mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
				       b.m.offset);
		if (p == MAP_FAILED)
			return -errno;
		v->bufs[i] = (struct vbuf){p, b.length};
		v->nbufs = i + 1;
	}
	*what = "VIDIOC_QBUF";
	for (uint32_t i = 0; i < v->nbufs; i++) {
		rc = queue_buffer(v, i);
		if (rc < 0)
			return rc;
	}
	*what = "VIDIOC_STREAMON";
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rc = xioctl(v, VIDIOC_STREAMON, &type);
	if (rc < 0)
		return rc;
	v->streamon = true;
	return 0;
}

/* Streaming failed or the watchdog fired: one line, close, retry later. */
static void lose(struct source *src, struct v4l2_src *v, const char *why)
{
	device_close(v);
	reconnect_lost(&v->rc, src, why, mono_ns());
}

/* A failed (re)open or start: log when the reason (rc) changes, retry later. */
static void fail_attempt(struct source *src, struct v4l2_src *v, int rc, const char *why)
{
	device_close(v);
	reconnect_failed(&v->rc, src, rc, why, mono_ns());
}

/* Not streaming: wait for the next attempt, or make it. Always returns
 * SOURCE_AGAIN; the next call polls once streaming. */
static int restart(struct source *src, struct v4l2_src *v)
{
	char msg[256], why[512], desc[64];
	const char *what;
	int rc;

	if (reconnect_pause(&v->rc, mono_ns(), POLL_SLICE_NS))
		return SOURCE_AGAIN;
	if (v->fd < 0) {
		struct v4l2_mode m = {0};
		rc = device_open(src, v, &m, msg, sizeof(msg));
		if (rc == 0 && (m.pf->out != src->info.format || m.width != src->info.width ||
				m.height != src->info.height)) {
			char was[64];
			v4l2_mode_describe(&m, desc, sizeof(desc));
			v4l2_mode_describe(&v->mode, was, sizeof(was));
			snprintf(why, sizeof(why), "came back as %s, not like %s at start", desc, was);
			fail_attempt(src, v, -EPROTO, why);
			return SOURCE_AGAIN;
		}
		if (rc < 0) {
			snprintf(why, sizeof(why), "cannot be reopened: %s", msg);
			fail_attempt(src, v, rc, why);
			return SOURCE_AGAIN;
		}
		v->mode = m;
	}
	rc = stream_start(v, &what);
	if (rc == -ENOSPC) {
		/* UVC reserves isochronous bandwidth at STREAMON: several
		 * uncompressed cameras on one root port do not fit. */
		snprintf(why, sizeof(why),
			 "cannot start streaming: not enough USB bandwidth (%s: %s); use MJPEG, "
			 "a smaller size= or fps=, or plug it into another USB root port",
			 what, strerror(ENOSPC));
		fail_attempt(src, v, rc, why);
		return SOURCE_AGAIN;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot start streaming: %s: %s", what, strerror(-rc));
		fail_attempt(src, v, rc, why);
		return SOURCE_AGAIN;
	}

	v4l2_mode_describe(&v->mode, desc, sizeof(desc));
	reconnect_up(&v->rc, src, desc, mono_ns());
	v->streaming = true;
	v->last_frame_ns = mono_ns();
	v->have_seq = false; /* sequence numbers restart at STREAMON */
	return SOURCE_AGAIN;
}

static void count_sequence(struct source *src, struct v4l2_src *v, uint32_t seq)
{
	if (v->have_seq) {
		/* Signed: a repeated sequence (vivid under load) or a restart
		 * gives a gap <= 0, no drop; unsigned it would be 4 billion. */
		int64_t gap = (int64_t)seq - (int64_t)v->last_seq - 1;
		if (gap > 0 && gap <= MAX_SEQUENCE_GAP)
			atomic_fetch_add(&src->driver_drops, (uint_fast64_t)gap);
	}
	v->have_seq = true;
	v->last_seq = seq;
}

/* Checks a dequeued buffer before anything is copied: flags, size, and for
 * JPEG the SOI/EOI markers (a truncated transfer has no EOI). */
static bool buffer_ok(const struct source *src, const struct v4l2_src *v,
		      const struct v4l2_buffer *b)
{
	const struct v4l2_mode *m = &v->mode;
	size_t used = b->bytesused;

	if (b->flags & V4L2_BUF_FLAG_ERROR)
		return false;
	if (used > v->bufs[b->index].length)
		return false;
	if (m->pf->out == FRAME_JPEG)
		return used >= MIN_JPEG_BYTES && used <= src->info.max_frame_bytes &&
		       jpeg_check(v->bufs[b->index].start, used);
	size_t need = (size_t)m->bytesperline * (size_t)(m->height - 1) +
		      (size_t)m->width * (size_t)m->pf->step;
	return used >= need;
}

/* True when poll says a buffer is done, without waiting. */
static bool buffer_ready(struct v4l2_src *v)
{
	struct pollfd pfd = {.fd = v->fd, .events = POLLIN};

	return v->dev->poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* DQBUF until the queue is empty, keeping the newest good buffer in *held
 * (*have) and re-queueing every other one at once. Returns 0 or the -errno
 * that ended the loop (EAGAIN excepted).
 *
 * After the first DQBUF (which the caller's poll announced), a zero-timeout
 * poll asks whether another buffer is done rather than a DQBUF that would
 * answer EAGAIN: libv4l2 prints "libv4l2: error dequeuing buf" on stderr
 * for every failed DQBUF, EAGAIN included, which would be a line a frame. */
static int dequeue_newest(struct source *src, struct v4l2_src *v, struct v4l2_buffer *held,
			  bool *have)
{
	*have = false;
	/* Bounded: a driver completing buffers as fast as we loop must not
	 * keep us here. */
	for (unsigned n = 0; n < 2 * v->nbufs; n++) {
		struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
		if (n > 0 && !buffer_ready(v))
			return 0;
		int rc = xioctl(v, VIDIOC_DQBUF, &b);

		if (rc == -EAGAIN)
			return 0;
		if (rc < 0)
			return rc;
		if (b.index >= v->nbufs)
			return -EPROTO;
		v->last_frame_ns = mono_ns();
		count_sequence(src, v, b.sequence);
		if (!buffer_ok(src, v, &b)) {
			v->pending_corrupt++;
			rc = queue_buffer(v, b.index);
			if (rc < 0)
				return rc;
			continue;
		}
		if (*have) {
			atomic_fetch_add(&src->stale, 1);
			rc = queue_buffer(v, held->index);
			if (rc < 0) {
				*have = false;
				return rc;
			}
		}
		*held = b;
		*have = true;
	}
	return 0;
}

static void copy_luma(uint8_t *dst, const uint8_t *src, const struct v4l2_mode *m)
{
	const int w = m->width, step = m->pf->step;

	for (int y = 0; y < m->height; y++) {
		const uint8_t *row = src + (size_t)y * m->bytesperline + m->pf->offset;
		uint8_t *out = dst + (size_t)y * (size_t)w;
		if (step == 1) {
			memcpy(out, row, (size_t)w);
			continue;
		}
		for (int x = 0; x < w; x++)
			out[x] = row[(size_t)x * (size_t)step];
	}
}

/* pts_ns is the driver's timestamp when it is CLOCK_MONOTONIC (the clock of
 * now_ns(CLOCK_MONOTONIC), like the ring's), else the dequeue time.
 * capture_ns gets that timestamp too when it is plausible, so latency
 * includes the time the frame waited in the driver's queue; else 0, and the
 * ring stamps the commit time. */
static void stamp_frame(const struct v4l2_buffer *b, struct frame *slot)
{
	const int64_t now = mono_ns();
	bool mono = (b->flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) == V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	int64_t stamp = 0;

	/* Range-checked before scaling: a garbage tv_sec must not overflow. */
	mono = mono && b->timestamp.tv_sec >= 0 && b->timestamp.tv_sec < INT64_MAX / 1000000000 &&
	       b->timestamp.tv_usec >= 0 && b->timestamp.tv_usec < 1000000;
	if (mono)
		stamp = (int64_t)b->timestamp.tv_sec * 1000000000 +
			(int64_t)b->timestamp.tv_usec * 1000;
	slot->pts_ns = mono ? stamp : now;
	slot->capture_ns = mono && stamp > 0 && stamp <= now && now - stamp <= MAX_STAMP_AGE_NS
				   ? stamp
				   : 0;
}

/* Copies the buffer into the slot. Returns 0 or SOURCE_CORRUPT. */
static int copy_frame(struct v4l2_src *v, const struct v4l2_buffer *b, struct frame *slot)
{
	const struct v4l2_mode *m = &v->mode;
	const uint8_t *p = v->bufs[b->index].start;

	if (m->pf->out == FRAME_JPEG) {
		if (b->bytesused > slot->cap)
			return SOURCE_CORRUPT;
		memcpy(slot->data, p, b->bytesused);
		slot->len = b->bytesused;
	} else {
		size_t n = (size_t)m->width * (size_t)m->height;
		if (n > slot->cap)
			return SOURCE_CORRUPT;
		copy_luma(slot->data, p, m);
		slot->len = n;
	}
	stamp_frame(b, slot);
	return 0;
}

static int pending_or_again(struct v4l2_src *v)
{
	if (v->pending_corrupt == 0)
		return SOURCE_AGAIN;
	v->pending_corrupt--;
	return SOURCE_CORRUPT;
}

static int v4l2_read_frame(struct source *src, struct frame *slot, char *err, size_t errlen)
{
	struct v4l2_src *v = src->priv;
	struct v4l2_buffer b = {0};
	char why[128];
	bool have;
	int rc;

	(void)err;
	(void)errlen;
	if (v->pending_corrupt)
		return pending_or_again(v);
	if (!v->streaming)
		return restart(src, v);

	int64_t idle = mono_ns() - v->last_frame_ns;
	if (idle >= v->watchdog_ns) {
		snprintf(why, sizeof(why), "no frame for %.1f s", idle / 1e9);
		lose(src, v, why);
		return SOURCE_AGAIN;
	}
	int64_t wait = v->watchdog_ns - idle;
	if (wait > POLL_SLICE_NS)
		wait = POLL_SLICE_NS;
	struct pollfd pfd = {.fd = v->fd, .events = POLLIN};
	int n = v->dev->poll(&pfd, 1, (int)((wait + 999999) / 1000000));
	if (n < 0) {
		if (errno != EINTR) {
			snprintf(why, sizeof(why), "poll: %s", strerror(errno));
			lose(src, v, why);
		}
		return SOURCE_AGAIN;
	}
	if (n == 0)
		return SOURCE_AGAIN;

	rc = dequeue_newest(src, v, &b, &have);
	int out = SOURCE_AGAIN;
	if (have) {
		out = copy_frame(v, &b, slot);
		/* Back to the driver at once: it has only NBUFFERS to fill. */
		int qrc = queue_buffer(v, b.index);
		if (rc == 0)
			rc = qrc;
	}
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s", strerror(-rc));
		lose(src, v, why);
	} else if (!have && (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		lose(src, v, "poll reported an error and no frame");
	}
	if (out == SOURCE_AGAIN)
		return pending_or_again(v);
	return out;
}

static void v4l2_close_source(struct source *src)
{
	struct v4l2_src *v = src->priv;

	if (!v)
		return;
	device_close(v);
	free(v);
	src->priv = NULL;
}

static int v4l2_open_source(struct source *src, char *err, size_t errlen)
{
	const struct source_opts *o = &src->opts;
	struct v4l2_src *v = calloc(1, sizeof(*v));
	char msg[256], desc[64];
	int rc;

	if (!v) {
		source_error(src, err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	src->priv = v;
	v->dev = v4l2_device_get();
	v->fd = -1;
	v->want_w = o->width > 0 && o->height > 0 ? o->width : DEFAULT_WIDTH;
	v->want_h = o->width > 0 && o->height > 0 ? o->height : DEFAULT_HEIGHT;
	v->want_fps = o->fps > 0 ? o->fps : DEFAULT_FPS;
	v->watchdog_ns = reconnect_watchdog_ns(src, 0);
	reconnect_init(&v->rc, src, LOG_PRI_WARNING, LOG_PRI_NOTICE);

	rc = device_open(src, v, &v->mode, msg, sizeof(msg));
	if (rc < 0) {
		source_error(src, err, errlen, "%s", msg);
		return rc;
	}
	const struct v4l2_mode *m = &v->mode;
	v->watchdog_ns = reconnect_watchdog_ns(src, m->fps);
	src->info.format = m->pf->out;
	src->info.width = m->width;
	src->info.height = m->height;
	src->info.fps = m->fps;
	src->info.live = true;
	if (m->pf->out == FRAME_JPEG) {
		size_t n = jpeg_max_bytes(m->width, m->height);
		src->info.max_frame_bytes = m->sizeimage > n ? m->sizeimage : n;
		if (src->info.max_frame_bytes > SOURCE_MAX_FRAME_BYTES)
			src->info.max_frame_bytes = SOURCE_MAX_FRAME_BYTES;
	} else {
		src->info.max_frame_bytes = (size_t)m->width * (size_t)m->height;
	}
	/* Streaming starts on the capture thread's first read, so an ENOSPC
	 * there is retried like any other failure while the others count. */
	v4l2_mode_describe(m, desc, sizeof(desc));
	log_info("camera '%s': '%s' (%s, %s): %s, asked %dx%d at %.4g fps", src->name, src->path,
		  m->card, m->bus, desc, v->want_w, v->want_h, v->want_fps);
	return 0;
}

/* Devices are chosen by what the path is (a character device), never by
 * content, so there is nothing to sniff. */
static bool v4l2_sniff(const uint8_t *head, size_t n)
{
	(void)head;
	(void)n;
	return false;
}

const struct source_ops v4l2_source_ops = {
	.kind = "v4l2",
	.sniff = v4l2_sniff,
	.open = v4l2_open_source,
	.read_frame = v4l2_read_frame,
	.close = v4l2_close_source,
};
