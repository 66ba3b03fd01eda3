/* See v4l2_device.h: libv4l2's calls behind the seam. libv4l2 takes
 * variadic open/ioctl; these adapters give the table fixed prototypes. */
#include "v4l2_device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>

#include <libv4l2.h>

static int lib_open(const char *path, int flags)
{
	return v4l2_open(path, flags);
}

static int lib_close(int fd)
{
	return v4l2_close(fd);
}

static int lib_ioctl(int fd, unsigned long request, void *arg)
{
	return v4l2_ioctl(fd, request, arg);
}

static void *lib_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t offset)
{
	return v4l2_mmap(addr, len, prot, flags, fd, offset);
}

static int lib_munmap(void *addr, size_t len)
{
	return v4l2_munmap(addr, len);
}

const struct v4l2_device_ops v4l2_device_libv4l2 = {
	.open = lib_open,
	.close = lib_close,
	.ioctl = lib_ioctl,
	.mmap = lib_mmap,
	.munmap = lib_munmap,
	.poll = poll,
	.stat = stat,
};

/* Atomic only so that a test swapping tables never races a reader in the
 * eyes of TSan; in practice it is set once before any thread starts. */
static _Atomic(const struct v4l2_device_ops *) current = &v4l2_device_libv4l2;

const struct v4l2_device_ops *v4l2_device_get(void)
{
	return atomic_load(&current);
}

void v4l2_device_set(const struct v4l2_device_ops *ops)
{
	atomic_store(&current, ops ? ops : &v4l2_device_libv4l2);
}

int v4l2_xioctl(const struct v4l2_device_ops *ops, int fd, unsigned long request, void *arg)
{
	int rc;

	do {
		rc = ops->ioctl(fd, request, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

const char *v4l2_fourcc_str(uint32_t fourcc, char buf[5])
{
	for (int i = 0; i < 4; i++) {
		char c = (char)((fourcc >> (8 * i)) & 0xff);
		buf[i] = c >= 0x20 && c < 0x7f ? c : '?';
	}
	buf[4] = '\0';
	return buf;
}
