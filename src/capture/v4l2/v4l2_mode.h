/* A V4L2 camera's mode: which pixel format, size and frame rate to ask
 * for, chosen from what the driver enumerates, and what the driver then
 * set (S_FMT, S_PARM). Format negotiation only: no buffers, no streaming.
 *
 * Formats are taken in the order of preference of v4l2_mode.c's table:
 * MJPEG first (least USB bandwidth), then YUV and grey formats whose luma
 * is copied out of each row, native before those libv4l2 converts.
 *
 * Threads: called by the camera's capture thread (at open and at each
 * reopen) on its own fd; no state of its own. */
#ifndef TURNSTILE_V4L2_MODE_H
#define TURNSTILE_V4L2_MODE_H

#include <stddef.h>
#include <stdint.h>

#include "turnstile/frame.h"
#include "v4l2_device.h"

/* What we can read, in order of preference. Luma is taken in the copy to
 * the slot: every step-th byte from offset in each row (YUYV: Y0 U Y1 V). */
struct v4l2_mode_fmt {
	uint32_t fourcc;
	enum frame_format out;
	int step, offset;
};

/* The outcome of one negotiation. */
struct v4l2_mode {
	const struct v4l2_mode_fmt *pf;
	uint32_t fourcc;
	int width, height;
	uint32_t bytesperline, sizeimage;
	double fps; /* 0 when the driver does not say */
	char card[33], bus[33];
};

/* Chooses format, size and rate from scratch for a want_w x want_h camera
 * at want_fps and sets them. The first format offering the wanted size
 * exactly wins; failing that, the best format at its nearest size. Fills m
 * (not card and bus). Returns 0, or -errno with msg saying why (without
 * the device's name: the caller names it). */
int v4l2_mode_negotiate(const struct v4l2_device_ops *dev, int fd, int want_w, int want_h,
			double want_fps, struct v4l2_mode *m, char *msg, size_t msglen);

/* "MJPG 640x480 at 30 fps" (without the rate when the driver gave none). */
void v4l2_mode_describe(const struct v4l2_mode *m, char *buf, size_t len);

#endif
