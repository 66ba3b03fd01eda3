/* A V4L2 camera's mode: format, size and rate negotiation (v4l2_mode.h). */
#include "v4l2_mode.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "source.h"
#include "util.h"

#define MAX_FORMATS 64

/* The device being negotiated with, and what is wanted of it. */
struct probe {
	const struct v4l2_device_ops *dev;
	int fd;
	int want_w, want_h;
	double want_fps;
};

static int xioctl(struct probe *v, unsigned long request, void *arg)
{
	return v4l2_xioctl(v->dev, v->fd, request, arg);
}

static const struct v4l2_mode_fmt pixfmts[] = {
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

static const struct v4l2_mode_fmt *find_pixfmt(uint32_t fourcc)
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
static bool pick_size(struct probe *v, uint32_t fourcc, int tw, int th, int *w, int *h)
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
static struct v4l2_fract pick_interval(struct probe *v, uint32_t fourcc, int w, int h,
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
	const struct v4l2_mode_fmt *pf;
	int rank;
};

/* Formats the device lists that we can read, best first: native ones in
 * pixfmts order, then those libv4l2 would convert (flagged EMULATED). */
static int list_candidates(struct probe *v, struct candidate *c)
{
	int n = 0;

	for (uint32_t i = 0; i < MAX_FORMATS && n < MAX_FORMATS; i++) {
		struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
		const struct v4l2_mode_fmt *pf;

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
int v4l2_mode_negotiate(const struct v4l2_device_ops *dev, int fd, int want_w, int want_h,
			double want_fps, struct v4l2_mode *m, char *msg, size_t msglen)
{
	struct probe probe = {dev, fd, want_w, want_h, want_fps}, *v = &probe;
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

void v4l2_mode_describe(const struct v4l2_mode *m, char *buf, size_t len)
{
	char fcc[5];

	if (m->fps > 0)
		snprintf(buf, len, "%s %dx%d at %.4g fps", v4l2_fourcc_str(m->fourcc, fcc), m->width,
			 m->height, m->fps);
	else
		snprintf(buf, len, "%s %dx%d", v4l2_fourcc_str(m->fourcc, fcc), m->width, m->height);
}
