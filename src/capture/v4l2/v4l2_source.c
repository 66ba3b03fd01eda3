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
 * the camera and says what changed, once per change of state. */
#include "source_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
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

#define NBUFFERS 4               /* asked of REQBUFS; the driver may give more */
#define MAX_BUFFERS 32
#define MAX_FORMATS 64
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

/* What we can read, in order of preference. Luma is taken in the copy to
 * the slot: every step-th byte from offset in each row (YUYV: Y0 U Y1 V). */
struct pixfmt {
	uint32_t fourcc;
	enum frame_format out;
	int step, offset;
};

static const struct pixfmt pixfmts[] = {
	/* MJPEG first: least USB bandwidth, decoded at a reduced DCT scale. */
	{V4L2_PIX_FMT_MJPEG, FRAME_JPEG, 0, 0},
	{V4L2_PIX_FMT_JPEG, FRAME_JPEG, 0, 0},
	{V4L2_PIX_FMT_YUYV, FRAME_GRAY, 2, 0},
	{V4L2_PIX_FMT_YVYU, FRAME_GRAY, 2, 0},
	{V4L2_PIX_FMT_UYVY, FRAME_GRAY, 2, 1},
	{V4L2_PIX_FMT_VYUY, FRAME_GRAY, 2, 1},
	{V4L2_PIX_FMT_GREY, FRAME_GRAY, 1, 0},
	{V4L2_PIX_FMT_NV12, FRAME_GRAY, 1, 0},
	{V4L2_PIX_FMT_NV21, FRAME_GRAY, 1, 0},
	/* libv4l2 converts whatever else a camera sends (Bayer, RGB, ...) to these. */
	{V4L2_PIX_FMT_YUV420, FRAME_GRAY, 1, 0},
	{V4L2_PIX_FMT_YVU420, FRAME_GRAY, 1, 0},
};

/* The outcome of one negotiation. */
struct mode {
	const struct pixfmt *pf;
	uint32_t fourcc;
	int width, height;
	uint32_t bytesperline, sizeimage;
	double fps; /* 0 when the driver does not say */
	char card[33], bus[33];
};

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
	struct mode mode;

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

static const struct pixfmt *find_pixfmt(uint32_t fourcc)
{
	for (size_t i = 0; i < ARRAY_SIZE(pixfmts); i++) {
		if (pixfmts[i].fourcc == fourcc)
			return &pixfmts[i];
	}
	return NULL;
}

static uint32_t clamp_step(uint32_t v, uint32_t lo, uint32_t hi, uint32_t step)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	if (step > 1)
		v = lo + (v - lo) / step * step;
	return v;
}

/* The offered size nearest to tw x th. True when it is exact; false also
 * when the driver cannot enumerate sizes (S_FMT then adjusts the size). */
static bool pick_size(struct v4l2_src *v, uint32_t fourcc, int tw, int th, int *w, int *h)
{
	long best = LONG_MAX;

	*w = tw;
	*h = th;
	for (uint32_t i = 0; i < 1024; i++) {
		struct v4l2_frmsizeenum s = {.index = i, .pixel_format = fourcc};
		uint32_t cw, ch;

		if (xioctl(v, VIDIOC_ENUM_FRAMESIZES, &s) < 0)
			break;
		if (s.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			cw = s.discrete.width;
			ch = s.discrete.height;
		} else {
			cw = clamp_step((uint32_t)tw, s.stepwise.min_width, s.stepwise.max_width,
					s.stepwise.step_width);
			ch = clamp_step((uint32_t)th, s.stepwise.min_height, s.stepwise.max_height,
					s.stepwise.step_height);
		}
		if (cw == 0 || ch == 0 || cw > SOURCE_MAX_DIM || ch > SOURCE_MAX_DIM)
			continue;
		long d = labs((long)cw - tw) + labs((long)ch - th);
		if (d < best) {
			best = d;
			*w = (int)cw;
			*h = (int)ch;
		}
		if (s.type != V4L2_FRMSIZE_TYPE_DISCRETE)
			break;
	}
	return best == 0;
}

/* The offered frame interval whose rate is nearest fps; without a list, a
 * request S_PARM will round to what the driver can do. */
static struct v4l2_fract pick_interval(struct v4l2_src *v, uint32_t fourcc, int w, int h,
				       double fps)
{
	struct v4l2_fract best = {1000, (uint32_t)lround(fps * 1000)};
	double best_d = INFINITY;

	for (uint32_t i = 0; i < 1024; i++) {
		struct v4l2_frmivalenum e = {
			.index = i, .pixel_format = fourcc, .width = (uint32_t)w, .height = (uint32_t)h};

		if (xioctl(v, VIDIOC_ENUM_FRAMEINTERVALS, &e) < 0)
			break;
		if (e.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
			if (e.discrete.numerator == 0 || e.discrete.denominator == 0)
				continue;
			double d = fabs((double)e.discrete.denominator / e.discrete.numerator - fps);
			if (d < best_d) {
				best_d = d;
				best = e.discrete;
			}
			continue;
		}
		/* Stepwise or continuous: min is the shortest interval. */
		const struct v4l2_fract *lo = &e.stepwise.min, *hi = &e.stepwise.max;
		if (lo->numerator && lo->denominator && hi->numerator && hi->denominator) {
			double fmax = (double)lo->denominator / lo->numerator;
			double fmin = (double)hi->denominator / hi->numerator;
			double f = fps > fmax ? fmax : fps < fmin ? fmin : fps;
			best = (struct v4l2_fract){1000, (uint32_t)lround(f * 1000)};
		}
		break;
	}
	return best;
}

struct candidate {
	const struct pixfmt *pf;
	int rank;
};

/* Formats the device lists that we can read, best first: native ones in
 * pixfmts order, then those libv4l2 would convert (flagged EMULATED). */
static int list_candidates(struct v4l2_src *v, struct candidate *c)
{
	int n = 0;

	for (uint32_t i = 0; i < MAX_FORMATS && n < MAX_FORMATS; i++) {
		struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
		const struct pixfmt *pf;

		if (xioctl(v, VIDIOC_ENUM_FMT, &d) < 0)
			break;
		pf = find_pixfmt(d.pixelformat);
		if (!pf)
			continue;
		int rank = (int)(pf - pixfmts);
		if (d.flags & V4L2_FMT_FLAG_EMULATED)
			rank += (int)ARRAY_SIZE(pixfmts);
		int k = n++;
		while (k > 0 && c[k - 1].rank > rank) {
			c[k] = c[k - 1];
			k--;
		}
		c[k] = (struct candidate){pf, rank};
	}
	return n;
}

/* Chooses format, size and rate from scratch and sets them (S_FMT, S_PARM).
 * The first format offering the wanted size exactly wins; failing that, the
 * best format at its nearest size. Returns 0 or -errno with msg. */
static int negotiate(struct v4l2_src *v, struct mode *m, char *msg, size_t msglen)
{
	struct candidate c[MAX_FORMATS];
	int n = list_candidates(v, c);
	int pick = -1, w = 0, h = 0, rc;
	char fcc[5];

	if (n == 0) {
		snprintf(msg, msglen,
			 "offers no format turnstile reads (MJPEG, YUYV, or one libv4l2 converts)");
		return -EPROTO;
	}
	for (int i = 0; i < n; i++) {
		int cw, ch;
		bool exact = pick_size(v, c[i].pf->fourcc, v->want_w, v->want_h, &cw, &ch);
		if (pick < 0 || exact) {
			pick = i;
			w = cw;
			h = ch;
		}
		if (exact)
			break;
	}

	struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	f.fmt.pix.width = (uint32_t)w;
	f.fmt.pix.height = (uint32_t)h;
	f.fmt.pix.pixelformat = c[pick].pf->fourcc;
	f.fmt.pix.field = V4L2_FIELD_ANY;
	rc = xioctl(v, VIDIOC_S_FMT, &f);
	if (rc < 0) {
		snprintf(msg, msglen, "VIDIOC_S_FMT %s %dx%d: %s",
			 v4l2_fourcc_str(c[pick].pf->fourcc, fcc), w, h, strerror(-rc));
		return rc;
	}
	/* The driver may answer with another format (vivid gives YUYV for MJPG). */
	m->pf = find_pixfmt(f.fmt.pix.pixelformat);
	if (!m->pf) {
		snprintf(msg, msglen, "driver chose %s, which turnstile cannot read",
			 v4l2_fourcc_str(f.fmt.pix.pixelformat, fcc));
		return -EPROTO;
	}
	m->fourcc = f.fmt.pix.pixelformat;
	m->width = (int)f.fmt.pix.width;
	m->height = (int)f.fmt.pix.height;
	m->bytesperline = f.fmt.pix.bytesperline;
	m->sizeimage = f.fmt.pix.sizeimage;
	if (m->width <= 0 || m->height <= 0 || m->width > SOURCE_MAX_DIM ||
	    m->height > SOURCE_MAX_DIM) {
		snprintf(msg, msglen, "driver chose a frame size of %dx%d", m->width, m->height);
		return -EPROTO;
	}
	if (m->pf->out == FRAME_GRAY) {
		uint32_t min_bpl = (uint32_t)m->width * (uint32_t)m->pf->step;
		if (m->bytesperline < min_bpl)
			m->bytesperline = min_bpl;
	}

	/* Rate: only where the driver says it can set one (TIMEPERFRAME). */
	struct v4l2_fract tpf = pick_interval(v, m->fourcc, m->width, m->height, v->want_fps);
	struct v4l2_streamparm p = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	m->fps = 0;
	if (xioctl(v, VIDIOC_G_PARM, &p) == 0) {
		if (p.parm.capture.capability & V4L2_CAP_TIMEPERFRAME) {
			struct v4l2_streamparm s = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
			s.parm.capture.timeperframe = tpf;
			if (xioctl(v, VIDIOC_S_PARM, &s) == 0)
				p = s; /* S_PARM answers with what it set */
		}
		const struct v4l2_fract *t = &p.parm.capture.timeperframe;
		if (t->numerator && t->denominator)
			m->fps = (double)t->denominator / t->numerator;
	}
	return 0;
}

/* Opens the node and negotiates. Returns 0 or -errno with msg (no path). */
static int device_open(struct source *src, struct v4l2_src *v, struct mode *m, char *msg,
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
	return negotiate(v, m, msg, msglen);
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

static void describe(const struct mode *m, char *buf, size_t len)
{
	char fcc[5];

	if (m->fps > 0)
		snprintf(buf, len, "%s %dx%d at %.4g fps", v4l2_fourcc_str(m->fourcc, fcc), m->width,
			 m->height, m->fps);
	else
		snprintf(buf, len, "%s %dx%d", v4l2_fourcc_str(m->fourcc, fcc), m->width, m->height);
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
		struct mode m = {0};
		rc = device_open(src, v, &m, msg, sizeof(msg));
		if (rc == 0 && (m.pf->out != src->info.format || m.width != src->info.width ||
				m.height != src->info.height)) {
			char was[64];
			describe(&m, desc, sizeof(desc));
			describe(&v->mode, was, sizeof(was));
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

	describe(&v->mode, desc, sizeof(desc));
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
	const struct mode *m = &v->mode;
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

static void copy_luma(uint8_t *dst, const uint8_t *src, const struct mode *m)
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
	const struct mode *m = &v->mode;
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
	const struct mode *m = &v->mode;
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
	describe(m, desc, sizeof(desc));
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
