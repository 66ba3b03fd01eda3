/* See v4l2_list.h. The directory scan (readdir, realpath) is plain libc;
 * every device call goes through the seam, so tests list fake cameras. */
#include "v4l2_list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>

#include "util.h"
#include "v4l2_device.h"

#define MAX_NODES 256
#define MAX_ENUM 256

static int node_number(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "video", 5) != 0 || name[5] < '0' || name[5] > '9')
		return -1;
	n = strtol(name + 5, &end, 10);
	return *end || n > 1000000 ? -1 : (int)n;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Prints "  KIND  LINK" for every link in devdir/v4l/KIND resolving to node. */
static void print_links(FILE *out, const char *devdir, const char *kind, const char *node_real)
{
	char dir[PATH_MAX], link[PATH_MAX], real[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/v4l/%s", devdir, kind);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(link, sizeof(link), "%s/%s", dir, e->d_name) >= sizeof(link))
			continue;
		if (realpath(link, real) && strcmp(real, node_real) == 0)
			fprintf(out, "  %-8s %s\n", kind, link);
	}
	closedir(d);
}

static void print_fps(FILE *out, const struct v4l2_fract *f)
{
	if (f->numerator && f->denominator)
		fprintf(out, "%.4g", (double)f->denominator / f->numerator);
	else
		fputs("?", out);
}

/* "@30,25,15" for the rates of one size (nothing when the driver has no list). */
static void print_rates(FILE *out, const struct v4l2_device_ops *ops, int fd, uint32_t fourcc,
			uint32_t w, uint32_t h)
{
	for (uint32_t i = 0; i < MAX_ENUM; i++) {
		struct v4l2_frmivalenum e = {.index = i, .pixel_format = fourcc, .width = w, .height = h};

		if (v4l2_xioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &e) < 0)
			return;
		fputs(i ? "," : "@", out);
		if (e.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
			print_fps(out, &e.discrete);
			continue;
		}
		/* Stepwise or continuous: the slowest to the fastest rate. */
		print_fps(out, &e.stepwise.max);
		fputs("-", out);
		print_fps(out, &e.stepwise.min);
		return;
	}
}

static void print_format(FILE *out, const struct v4l2_device_ops *ops, int fd,
			 const struct v4l2_fmtdesc *d)
{
	char fcc[5];

	fprintf(out, "  %s%c", v4l2_fourcc_str(d->pixelformat, fcc),
		d->flags & V4L2_FMT_FLAG_EMULATED ? '*' : ' ');
	for (uint32_t i = 0; i < MAX_ENUM; i++) {
		struct v4l2_frmsizeenum s = {.index = i, .pixel_format = d->pixelformat};

		if (v4l2_xioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &s) < 0)
			break;
		if (s.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
			fprintf(out, " %ux%u", s.discrete.width, s.discrete.height);
			print_rates(out, ops, fd, d->pixelformat, s.discrete.width, s.discrete.height);
			continue;
		}
		fprintf(out, " %ux%u-%ux%u", s.stepwise.min_width, s.stepwise.min_height,
			s.stepwise.max_width, s.stepwise.max_height);
		if (s.stepwise.step_width > 1 || s.stepwise.step_height > 1)
			fprintf(out, " step %ux%u", s.stepwise.step_width, s.stepwise.step_height);
		print_rates(out, ops, fd, d->pixelformat, s.stepwise.max_width,
			    s.stepwise.max_height);
		break;
	}
	fputc('\n', out);
}

/* Prints one node; returns 1 when it is a capture device, 0 otherwise. */
static int list_node(FILE *out, const struct v4l2_device_ops *ops, const char *devdir,
		     const char *node, bool *emulated)
{
	struct v4l2_capability cap = {0};
	char real[PATH_MAX];
	uint32_t caps;
	int fd = ops->open(node, O_RDWR | O_NONBLOCK);

	if (fd < 0) {
		fprintf(out, "%s  cannot open: %s\n", node, strerror(errno));
		return 0;
	}
	if (v4l2_xioctl(ops, fd, VIDIOC_QUERYCAP, &cap) < 0) {
		ops->close(fd);
		return 0;
	}
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
		ops->close(fd);
		return 0;
	}
	fprintf(out, "%s  \"%.32s\"  %.32s  (driver %.16s)\n", node, (const char *)cap.card,
		(const char *)cap.bus_info, (const char *)cap.driver);
	if (realpath(node, real)) {
		print_links(out, devdir, "by-id", real);
		print_links(out, devdir, "by-path", real);
	}
	for (uint32_t i = 0; i < MAX_ENUM; i++) {
		struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};

		if (v4l2_xioctl(ops, fd, VIDIOC_ENUM_FMT, &d) < 0)
			break;
		print_format(out, ops, fd, &d);
		*emulated = *emulated || (d.flags & V4L2_FMT_FLAG_EMULATED);
	}
	ops->close(fd);
	return 1;
}

int v4l2_list_cameras(FILE *out, const char *devdir)
{
	const struct v4l2_device_ops *ops = v4l2_device_get();
	int nodes[MAX_NODES], n = 0, listed = 0;
	bool emulated = false;
	struct dirent *e;
	DIR *d = opendir(devdir);

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < MAX_NODES) {
		int k = node_number(e->d_name);
		if (k >= 0)
			nodes[n++] = k;
	}
	closedir(d);
	qsort(nodes, (size_t)n, sizeof(nodes[0]), cmp_int);

	for (int i = 0; i < n; i++) {
		char node[PATH_MAX];
		snprintf(node, sizeof(node), "%s/video%d", devdir, nodes[i]);
		listed += list_node(out, ops, devdir, node, &emulated);
	}
	if (listed == 0)
		fprintf(out, "no V4L2 capture devices in %s\n", devdir);
	else if (emulated)
		fputs("* converted by libv4l2 from a native format\n", out);
	fflush(out);
	return listed;
}
