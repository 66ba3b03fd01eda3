/* A fake V4L2 capture device behind the seam (src/v4l2_device.h), for tests.
 *
 * It models what the V4L2 source relies on from the kernel's videobuf2
 * buffer state machine: REQBUFS -> QUERYBUF -> mmap -> QBUF -> STREAMON ->
 * poll/DQBUF (EAGAIN when nothing is done) -> STREAMOFF, with the errors the
 * kernel gives for calls out of order (EINVAL, EBUSY), ENODEV everywhere once
 * unplugged, and POLLERR|POLLHUP from poll then. Frames are made on demand
 * while poll waits (a zero timeout only looks): each poll completes up to
 * `burst` queued buffers with
 * the test's `produce` callback, after the test's `on_frame` hook has had a
 * say (truncate, flag an error, change the sequence, unplug, EIO, stall,
 * EAGAIN storm). Scripted failures at open and STREAMON come from FIFOs.
 *
 * Threads: any (one global mutex). Set a device's fields before the code
 * under test starts; afterwards use the fake_* functions. */
#ifndef TURNSTILE_FAKE_V4L2_H
#define TURNSTILE_FAKE_V4L2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "v4l2_device.h"

#define FAKE_MAX_FORMATS 4
#define FAKE_MAX_SIZES 4
#define FAKE_MAX_RATES 4
#define FAKE_MAX_SCRIPT 8
#define FAKE_MAX_OPENS 64

struct fake_size {
	uint32_t w, h;
	uint32_t fps[FAKE_MAX_RATES]; /* discrete rates, frames per second */
	int nfps;
};

struct fake_format {
	uint32_t fourcc;
	bool emulated;                /* as libv4l2 flags its converted formats */
	struct fake_size sizes[FAKE_MAX_SIZES];
	int nsizes;
};

/* The frame about to complete, for the on_frame hook. */
struct fake_frame {
	uint64_t n;         /* 0-based frame number the device produces */
	uint8_t *data;      /* the buffer, already filled by produce */
	size_t len, cap;    /* bytesused (the hook may shorten it) and buffer length */
	uint32_t sequence;  /* stamped sequence; the hook may change it */
	int64_t stamp_ns;   /* buffer timestamp, CLOCK_MONOTONIC now; the hook may change it */
	uint32_t stamp_type; /* V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC; the hook may change it */
	bool error_flag;    /* deliver with V4L2_BUF_FLAG_ERROR */
	/* Instead of completing this frame (it is produced again later): */
	bool unplug;        /* the device vanishes: ENODEV, node gone */
	bool eio;           /* the next DQBUF fails with EIO */
	bool stall;         /* no more frames until the next STREAMON */
	int storm;          /* this many polls say POLLIN while DQBUF gives EAGAIN */
};

struct fake_dev {
	/* Configuration, set before use. */
	char path[64];
	struct fake_format formats[FAKE_MAX_FORMATS];
	int nformats;
	/* Writes frame n in the current format into buf; returns its length. */
	size_t (*produce)(void *user, uint32_t fourcc, int w, int h, uint64_t n, uint8_t *buf,
			  size_t cap);
	void (*on_frame)(void *user, struct fake_frame *f);
	/* Frames complete only while this says yes (lockstep with a consumer). */
	bool (*may_deliver)(void *arg);
	void *user, *gate_arg;
	unsigned burst;           /* buffers completed per poll (default 1) */
	bool not_capture;         /* a metadata node, as UVC adds beside each camera */
	int replug_after;         /* failed opens while unplugged before it comes back */
	int open_errors[FAKE_MAX_SCRIPT];     /* errno for the next opens, in order */
	int nopen_errors;
	int streamon_errors[FAKE_MAX_SCRIPT]; /* errno for the next STREAMONs */
	int nstreamon_errors;

	/* Counters for the test, read with fake_snapshot. */
	int opens, failed_opens, streamons, reqbufs, s_fmt, s_parm;
	int64_t open_ns[FAKE_MAX_OPENS];      /* CLOCK_MONOTONIC of every open attempt */
	int open_attempts;
	uint64_t produced;        /* frames completed */
	int64_t last_stamp_ns;    /* timestamp of the last frame completed */
	uint32_t cur_fourcc;
	int cur_w, cur_h;
	uint32_t cur_fps;
	int open_fds, mapped;     /* live fds and mappings: 0 after a clean close */
};

extern const struct v4l2_device_ops fake_v4l2_ops;

/* Registers a device at path (zeroed, burst 1). Up to 4 devices. */
struct fake_dev *fake_add(const char *path);
/* Adds a format with one size and its rates. */
void fake_add_mode(struct fake_dev *d, uint32_t fourcc, bool emulated, uint32_t w, uint32_t h,
		   uint32_t fps);
/* Forgets every device; frees their buffers. No fd may be in use. */
void fake_reset(void);
/* Replaces the formats (from any thread; e.g. another camera on the port). */
void fake_set_modes(struct fake_dev *d, const struct fake_format *formats, int n);
/* The same from an on_frame hook, which runs under the fake's lock. */
void fake_set_modes_locked(struct fake_dev *d, const struct fake_format *formats, int n);
/* Copies the device's state under the lock. */
void fake_snapshot(struct fake_dev *d, struct fake_dev *out);
/* Unplugs the device now (from any thread). */
void fake_unplug(struct fake_dev *d);

#endif
