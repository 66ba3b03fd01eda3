/* The seam between turnstile and V4L2 hardware: every device call the V4L2
 * source and --list-cameras make goes through one table of functions.
 * Production uses libv4l2's calls (v4l2_open, v4l2_ioctl, v4l2_mmap...),
 * which pass native formats through and convert the others; tests install
 * a fake that models the kernel's buffer state machine and fails on cue.
 * A table rather than -Wl,--wrap, which misses calls inside one object.
 *
 * The functions keep the POSIX convention (-1 or MAP_FAILED with errno);
 * v4l2_xioctl turns that into libuv's 0 / -errno.
 *
 * Threads: v4l2_device_set from the main thread before any camera opens
 * (tests only); the table itself is read-only and safe from any thread. */
#ifndef TURNSTILE_V4L2_DEVICE_H
#define TURNSTILE_V4L2_DEVICE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct v4l2_device_ops {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long request, void *arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, int64_t offset);
	int (*munmap)(void *addr, size_t len);
	int (*poll)(struct pollfd *fds, nfds_t nfds, int timeout_ms);
	/* Follows symlinks: /dev/v4l/by-id/... names a character device. */
	int (*stat)(const char *path, struct stat *st);
};

/* libv4l2 for the device calls; poll(2) and stat(2) from libc. */
extern const struct v4l2_device_ops v4l2_device_libv4l2;

/* The table in use: libv4l2 unless a test installed another. */
const struct v4l2_device_ops *v4l2_device_get(void);
/* Installs ops (NULL restores libv4l2). Call before any camera opens. */
void v4l2_device_set(const struct v4l2_device_ops *ops);

/* ioctl through ops, retried on EINTR only (the kernel's capture example).
 * Returns 0 or -errno. */
int v4l2_xioctl(const struct v4l2_device_ops *ops, int fd, unsigned long request, void *arg);

/* "MJPG", "YUYV"... from a fourcc; buf has room for 5 bytes. */
const char *v4l2_fourcc_str(uint32_t fourcc, char buf[5]);

#endif
