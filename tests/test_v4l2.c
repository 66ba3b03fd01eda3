/* The V4L2 source against the fake device behind the seam (fake_v4l2.c):
 * format negotiation, the mmap streaming state machine, corrupt and stale
 * frames, driver drops from sequence numbers, and every failure the issue
 * names (ENODEV then reopen, EIO, ENOSPC at STREAMON, EAGAIN storms, a
 * silent device, a device that comes back different), then two cameras in
 * one process where one is unplugged or short of bandwidth and the other's
 * counts must not change. Also --list-cameras and Huffman-less MJPEG. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/videodev2.h>
#include <turbojpeg.h>

#include "camera.h"
#include "decode.h"
#include "fake_v4l2.h"
#include "config.h"
#include "coord.h"
#include "eventlog.h"
#include "source.h"
#include "v4l2_device.h"
#include "v4l2_list.h"

#define NEVER UINT64_MAX

/* ---- helpers: frames ---------------------------------------------------- */

struct jpeg {
	uint8_t *p;
	size_t len;
};

/* A w x h colour JPEG with 4:2:2 chroma, as UVC cameras send, with the
 * standard Huffman tables that TurboJPEG writes by default. */
static struct jpeg make_jpeg(int w, int h, int seed)
{
	uint8_t *rgb = malloc((size_t)w * h * 3);
	unsigned char *out = NULL;
	unsigned long len = 0;
	tjhandle tj = tjInitCompress();

	assert_non_null(rgb);
	assert_non_null(tj);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint8_t *p = rgb + ((size_t)y * w + x) * 3;
			p[0] = (uint8_t)(x * 4 + seed * 40);
			p[1] = (uint8_t)(y * 5 + ((x / 8 + y / 8 + seed) & 1) * 90);
			p[2] = (uint8_t)(x ^ y);
		}
	}
	assert_int_equal(tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &len, TJSAMP_422, 85, 0), 0);
	struct jpeg j = {malloc(len), len};
	assert_non_null(j.p);
	memcpy(j.p, out, len);
	tjFree(out);
	tjDestroy(tj);
	free(rgb);
	return j;
}

/* Removes every DHT segment before the scan, as a UVC camera's MJPEG
 * arrives (USB Video Class MJPEG payload: tables implied). Returns the new
 * length. */
static size_t strip_dht(uint8_t *p, size_t len)
{
	size_t i = 2;

	while (i + 4 <= len && p[i] == 0xFF && p[i + 1] != 0xDA) {
		size_t seg = 2 + ((size_t)p[i + 2] << 8 | p[i + 3]);
		if (p[i + 1] == 0xC4) {
			memmove(p + i, p + i + seg, len - i - seg);
			len -= seg;
			continue;
		}
		i += seg;
	}
	return len;
}

static bool has_dht(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == 0xFF && p[i + 1] == 0xC4)
			return true;
	}
	return false;
}

/* Luma the fake's YUYV and YU12 frames carry: the frame number in the first
 * two pixels, a fixed pattern elsewhere. */
static uint8_t luma_at(uint64_t n, int x, int y)
{
	if (y == 0 && x == 0)
		return (uint8_t)(n & 0xff);
	if (y == 0 && x == 1)
		return (uint8_t)((n >> 8) & 0xff);
	return (uint8_t)(x * 3 + y * 5);
}

static uint64_t frame_number(const struct frame *f)
{
	return f->data[0] | (uint64_t)f->data[1] << 8;
}

static void assert_luma_frame(const struct frame *f, uint64_t n, int w, int h)
{
	assert_int_equal(f->format, FRAME_GRAY);
	assert_int_equal(f->width, w);
	assert_int_equal(f->height, h);
	assert_int_equal(f->len, (size_t)w * h);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++)
			assert_int_equal(f->data[(size_t)y * w + x], luma_at(n, x, y));
	}
}

/* ---- helpers: the fake's frame producer and per-frame script ------------ */

struct script {
	const struct jpeg *jpegs; /* MJPEG content, frame n is jpegs[n % njpegs] */
	int njpegs;
	bool strip_dht;
	uint64_t last_frame;     /* stall from here (NEVER: stream for ever) */
	uint64_t unplug_at, eio_at, stall_at, storm_at, truncate_at, error_at;
	int storm_len;
	const uint32_t *seqs;    /* sequence numbers to stamp on the first nseqs frames */
	int nseqs;
	const int64_t *stamp_offsets; /* added to the timestamp of the first nstamps frames */
	const uint32_t *stamp_types;  /* V4L2_BUF_FLAG_TIMESTAMP_* of the first nstamps frames */
	int nstamps;
	int64_t stamp_age_ns;    /* every frame: how long it waited in the driver */
	bool unplugged, eioed, stalled, stormed; /* each failure fires once */
	const struct fake_format *replug_modes;  /* formats after the unplug */
	int nreplug_modes;
	struct fake_dev *dev;
};

#define SCRIPT_DEFAULT                                                                          \
	((struct script){.last_frame = NEVER, .unplug_at = NEVER, .eio_at = NEVER,               \
			 .stall_at = NEVER, .storm_at = NEVER, .truncate_at = NEVER,             \
			 .error_at = NEVER})

static size_t produce(void *user, uint32_t fourcc, int w, int h, uint64_t n, uint8_t *buf,
		      size_t cap)
{
	struct script *s = user;

	if (fourcc == V4L2_PIX_FMT_MJPEG) {
		const struct jpeg *j = &s->jpegs[n % (uint64_t)s->njpegs];
		assert_true(j->len <= cap);
		memcpy(buf, j->p, j->len);
		return s->strip_dht ? strip_dht(buf, j->len) : j->len;
	}
	if (fourcc == V4L2_PIX_FMT_YUYV) {
		assert_true((size_t)w * h * 2 <= cap);
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				buf[((size_t)y * w + x) * 2] = luma_at(n, x, y);
				buf[((size_t)y * w + x) * 2 + 1] = x & 1 ? 0x22 : 0x11;
			}
		}
		return (size_t)w * h * 2;
	}
	/* YU12: the luma plane, then quarter-size U and V. */
	size_t plane = (size_t)w * h;
	assert_true(plane * 3 / 2 <= cap);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++)
			buf[(size_t)y * w + x] = luma_at(n, x, y);
	}
	memset(buf + plane, 0x80, plane / 2);
	return plane * 3 / 2;
}

static void on_frame(void *user, struct fake_frame *f)
{
	struct script *s = user;

	if (f->n < (uint64_t)s->nseqs)
		f->sequence = s->seqs[f->n];
	if (f->n < (uint64_t)s->nstamps) {
		f->stamp_ns += s->stamp_offsets[f->n];
		f->stamp_type = s->stamp_types[f->n];
	}
	f->stamp_ns -= s->stamp_age_ns;
	if (f->n >= s->last_frame)
		f->stall = true;
	if (f->n == s->unplug_at && !s->unplugged) {
		s->unplugged = true;
		f->unplug = true;
		/* Something else is plugged into that port when it comes back. */
		if (s->replug_modes)
			fake_set_modes_locked(s->dev, s->replug_modes, s->nreplug_modes);
	}
	if (f->n == s->eio_at && !s->eioed) {
		s->eioed = true;
		f->eio = true;
	}
	if (f->n == s->stall_at && !s->stalled) {
		s->stalled = true;
		f->stall = true;
	}
	if (f->n == s->storm_at && !s->stormed) {
		s->stormed = true;
		f->storm = s->storm_len;
	}
	if (f->n == s->truncate_at)
		f->len /= 2; /* a USB transfer cut short: no EOI */
	if (f->n == s->error_at)
		f->error_flag = true;
}

static struct fake_dev *add_device(const char *path, struct script *s)
{
	struct fake_dev *d = fake_add(path);
	assert_non_null(d);
	d->produce = produce;
	d->on_frame = on_frame;
	d->user = s;
	s->dev = d;
	return d;
}

/* ---- helpers: stderr, reading ------------------------------------------ */

static int saved_stderr = -1;
static FILE *stderr_file;

static void capture_stderr(void)
{
	fflush(stderr);
	stderr_file = tmpfile();
	assert_non_null(stderr_file);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(stderr_file), STDERR_FILENO) >= 0);
}

/* Restores stderr, echoes what was captured (for the test log) and returns
 * it; the caller frees. */
static char *captured_stderr(void)
{
	fflush(stderr);
	assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
	close(saved_stderr);
	saved_stderr = -1;
	long n = ftell(stderr_file);
	char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	assert_non_null(text);
	rewind(stderr_file);
	if (n > 0)
		assert_int_equal(fread(text, 1, (size_t)n, stderr_file), (size_t)n);
	fclose(stderr_file);
	fputs(text, stderr);
	return text;
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *hit = strstr(line, needle);
		if (hit && hit < line + len)
			n++;
		line += len + (end ? 1 : 0);
	}
	return n;
}

static struct frame *slot_new(size_t cap)
{
	struct frame *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->data = malloc(cap);
	assert_non_null(f->data);
	f->cap = cap;
	return f;
}

static void slot_free(struct frame *f)
{
	free(f->data);
	free(f);
}

static const struct source_opts fast_opts = {
	.name = "cam-a",
	.width = 64,
	.height = 48,
	.fps = 30,
	.watchdog_ms = 2000,
	.backoff_min_ms = 10,
	.backoff_max_ms = 80,
};

static struct source *open_source(const char *path, const struct source_opts *o)
{
	struct source *src = NULL;
	char err[256] = "";
	int rc = source_open_opts(path, o, &src, err, sizeof(err));
	if (rc)
		fail_msg("source_open_opts: %d %s", rc, err);
	assert_string_equal(source_get_info(src)->kind, "v4l2");
	return src;
}

/* The usual camera: /dev/fake/video0 offering fourcc at 64x48 and 30 fps,
 * what fast_opts asks for. */
static struct fake_dev *add_camera(struct script *s, uint32_t fourcc)
{
	struct fake_dev *d = add_device("/dev/fake/video0", s);
	fake_add_mode(d, fourcc, false, 64, 48, 30);
	return d;
}

static void assert_clean(struct fake_dev *d)
{
	struct fake_dev s;
	fake_snapshot(d, &s);
	assert_int_equal(s.open_fds, 0);
	assert_int_equal(s.mapped, 0);
}

/* ---- helpers: one capture run -------------------------------------------- */

/* The source opened on a fake device, a slot sized for its largest frame and
 * a tally of what the reads returned. stderr is captured from run_start until
 * run_log or run_finish. */
struct capture_run {
	struct source *src;
	struct frame *slot; /* the last frame read */
	struct {
		int frames, corrupt, again;
	} t;
	char *log;
};

static struct capture_run run_start(struct fake_dev *d, const struct source_opts *o)
{
	struct capture_run r = {0};
	capture_stderr();
	r.src = open_source(d->path, o);
	r.slot = slot_new(source_get_info(r.src)->max_frame_bytes);
	return r;
}

/* Reads until n more frames arrived; fails the test after 5 s. */
static void run_read(struct capture_run *r, int n)
{
	const int timeout_ms = 5000;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_ms;
	char err[256];

	for (int got = 0; got < n;) {
		int rc = source_read_frame(r->src, r->slot, err, sizeof(err));
		if (rc == 0) {
			got++;
			r->t.frames++;
		} else if (rc == SOURCE_CORRUPT) {
			r->t.corrupt++;
		} else {
			assert_int_equal(rc, SOURCE_AGAIN);
			r->t.again++;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 > deadline)
			fail_msg("only %d of %d frames in %d ms", got, n, timeout_ms);
	}
}

/* Ends the capture. Returns what was logged since run_start; r keeps it. */
static const char *run_log(struct capture_run *r)
{
	if (!r->log)
		r->log = captured_stderr();
	return r->log;
}

static struct source_stats run_stats(const struct capture_run *r)
{
	struct source_stats st;
	source_get_stats(r->src, &st);
	return st;
}

/* Ends the capture if it still runs, frees the log and the slot, closes the
 * source. */
static void run_finish(struct capture_run *r)
{
	run_log(r);
	free(r->log);
	slot_free(r->slot);
	source_close(r->src);
}

static int setup(void **state)
{
	(void)state;
	v4l2_device_set(&fake_v4l2_ops);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* A test that failed while stderr was captured: show what it said. */
	if (saved_stderr >= 0)
		free(captured_stderr());
	fake_reset();
	v4l2_device_set(NULL);
	return 0;
}

/* ---- the fake itself: calls out of order fail as the kernel's do -------- */

static void fake_models_kernel_buffer_order(void **state)
{
	(void)state;
	const struct v4l2_device_ops *ops = &fake_v4l2_ops;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_device("/dev/fake/video0", &s);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 32, 16, 30);

	int fd = ops->open("/dev/fake/video0", O_RDWR | O_NONBLOCK);
	assert_true(fd >= 0);
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	struct v4l2_buffer b = {.type = type, .memory = V4L2_MEMORY_MMAP};
	struct v4l2_requestbuffers r = {.count = 4, .type = type, .memory = V4L2_MEMORY_MMAP};
	struct v4l2_format f = {.type = type};
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;

	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QBUF, &b), -EINVAL);      /* no buffers */
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_STREAMON, &type), -EINVAL);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_DQBUF, &b), -EINVAL);     /* not streaming */
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_S_FMT, &f), 0);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_REQBUFS, &r), 0);
	assert_int_equal(r.count, 4);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_S_FMT, &f), -EBUSY);      /* buffers exist */
	b.index = 4;
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QUERYBUF, &b), -EINVAL);
	errno = 0;
	assert_ptr_equal(ops->mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 12345), MAP_FAILED);
	assert_int_equal(errno, EINVAL);

	void *maps[4];
	size_t lens[4];
	for (uint32_t i = 0; i < 4; i++) {
		b = (struct v4l2_buffer){.index = i, .type = type, .memory = V4L2_MEMORY_MMAP};
		assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QUERYBUF, &b), 0);
		lens[i] = b.length;
		maps[i] = ops->mmap(NULL, b.length, PROT_READ, MAP_SHARED, fd, b.m.offset);
		assert_ptr_not_equal(maps[i], MAP_FAILED);
	}
	b = (struct v4l2_buffer){.index = 0, .type = type, .memory = V4L2_MEMORY_MMAP};
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QBUF, &b), 0);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QBUF, &b), -EINVAL);      /* already queued */
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_STREAMON, &type), 0);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_REQBUFS, &r), -EBUSY);    /* streaming */
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_DQBUF, &b), -EAGAIN);     /* nothing done yet */
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(ops->poll(&p, 1, 100), 1);
	assert_true(p.revents & POLLIN);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_DQBUF, &b), 0);
	assert_int_equal(b.index, 0);
	assert_int_equal(b.sequence, 0);

	int fd2 = ops->open("/dev/fake/video0", O_RDWR | O_NONBLOCK);
	assert_true(fd2 >= 0);
	assert_int_equal(v4l2_xioctl(ops, fd2, VIDIOC_QBUF, &b), -EBUSY);     /* not the owner */
	ops->close(fd2);

	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_STREAMOFF, &type), 0);
	r.count = 0;
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_REQBUFS, &r), -EBUSY);    /* still mapped */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ops->munmap(maps[i], lens[i]), 0);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_REQBUFS, &r), 0);

	fake_unplug(d);
	assert_int_equal(v4l2_xioctl(ops, fd, VIDIOC_QUERYCAP, &(struct v4l2_capability){0}),
			 -ENODEV);
	assert_int_equal(ops->poll(&p, 1, 0), 1);
	assert_true(p.revents & POLLERR);
	assert_true(p.revents & POLLHUP);
	assert_int_equal(ops->open("/dev/fake/video0", O_RDWR | O_NONBLOCK), -1);
	assert_int_equal(errno, ENOENT);                                          /* node gone */
	ops->close(fd);
	assert_clean(d);
}

/* ---- negotiation ---------------------------------------------------------- */

static void negotiates_mjpeg_at_configured_size_and_rate(void **state)
{
	(void)state;
	struct jpeg j = make_jpeg(64, 48, 0);
	struct script s = SCRIPT_DEFAULT;
	s.jpegs = &j;
	s.njpegs = 1;
	struct fake_dev *d = add_device("/dev/fake/video0", &s);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 64, 48, 30);   /* listed first */
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 640, 480, 30);
	fake_add_mode(d, V4L2_PIX_FMT_MJPEG, false, 640, 480, 30);
	fake_add_mode(d, V4L2_PIX_FMT_MJPEG, false, 64, 48, 30);
	fake_add_mode(d, V4L2_PIX_FMT_MJPEG, false, 64, 48, 15);
	fake_add_mode(d, V4L2_PIX_FMT_MJPEG, false, 64, 48, 5);

	struct source_opts o = fast_opts;
	o.fps = 12;
	struct capture_run r = run_start(d, &o);
	const char *log = run_log(&r);

	const struct source_info *info = source_get_info(r.src);
	assert_int_equal(info->format, FRAME_JPEG);
	assert_int_equal(info->width, 64);
	assert_int_equal(info->height, 48);
	assert_true(info->live);
	assert_float_equal(info->fps, 15, 1e-9); /* nearest offered to 12 */
	assert_true(info->max_frame_bytes >= j.len);
	struct fake_dev snap;
	fake_snapshot(d, &snap);
	assert_int_equal(snap.cur_fourcc, V4L2_PIX_FMT_MJPEG);
	assert_int_equal(snap.s_parm, 1);
	assert_int_equal(snap.streamons, 0); /* streaming starts on the first read */
	/* Negotiated once, logged once, naming the camera. */
	assert_int_equal(count_lines_with(log, "camera 'cam-a': '/dev/fake/video0'"), 1);
	assert_int_equal(count_lines_with(log, "MJPG 64x48 at 15 fps"), 1);

	run_read(&r, 3);
	assert_int_equal(r.slot->format, FRAME_JPEG);
	assert_int_equal(r.slot->len, j.len);
	assert_memory_equal(r.slot->data, j.p, j.len);
	assert_int_equal(r.t.corrupt, 0);
	run_finish(&r);
	assert_clean(d);
	free(j.p);
}

static void negotiates_nearest_size_and_rate_by_default(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_device("/dev/fake/video0", &s);
	/* vivid's webcam sizes: no 640x480 here, and no 30 fps. */
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 320, 180, 60);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 640, 360, 40);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 640, 360, 25);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 1280, 720, 12);

	struct source_opts o = fast_opts;
	o.width = o.height = 0;
	o.fps = 0;
	struct capture_run r = run_start(d, &o);
	const struct source_info *info = source_get_info(r.src);
	assert_int_equal(info->format, FRAME_GRAY);
	assert_int_equal(info->width, 640);
	assert_int_equal(info->height, 360);
	assert_float_equal(info->fps, 25, 1e-9);
	assert_int_equal(info->max_frame_bytes, 640 * 360);
	run_finish(&r);
}

static void yuyv_only_device_delivers_luma(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	assert_int_equal(source_get_info(r.src)->format, FRAME_GRAY);
	for (uint64_t n = 0; n < 5; n++) {
		run_read(&r, 1);
		assert_luma_frame(r.slot, n, 64, 48);
		assert_int_equal(r.slot->index, n);
	}
	run_finish(&r);
	assert_clean(d);
}

static void converted_format_used_when_nothing_native_fits(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_device("/dev/fake/video0", &s);
	/* A Bayer sensor: libv4l2 offers YU12 converted from it. */
	fake_add_mode(d, V4L2_PIX_FMT_SGRBG8, false, 64, 48, 30);
	fake_add_mode(d, V4L2_PIX_FMT_YUV420, true, 64, 48, 30);

	struct capture_run r = run_start(d, &fast_opts);
	struct fake_dev snap;
	fake_snapshot(d, &snap);
	assert_int_equal(snap.cur_fourcc, V4L2_PIX_FMT_YUV420);
	run_read(&r, 2);
	assert_luma_frame(r.slot, 1, 64, 48);
	run_finish(&r);
	assert_clean(d);
}

static void device_without_a_usable_format_fails_open(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_device("/dev/fake/video0", &s);
	fake_add_mode(d, V4L2_PIX_FMT_RGB24, false, 64, 48, 30);
	struct source *src = (struct source *)1;
	char err[256];

	assert_int_equal(source_open_opts("/dev/fake/video0", &fast_opts, &src, err, sizeof(err)),
			 -EPROTO);
	assert_null(src);
	assert_non_null(strstr(err, "'/dev/fake/video0': offers no format turnstile reads"));
	assert_clean(d);

	/* And a node that is not a capture device at all. */
	struct script s2 = SCRIPT_DEFAULT;
	struct fake_dev *m = add_device("/dev/fake/video1", &s2);
	m->not_capture = true;
	fake_add_mode(m, V4L2_PIX_FMT_YUYV, false, 64, 48, 30);
	assert_int_equal(source_open_opts("/dev/fake/video1", &fast_opts, &src, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "not a video capture device"));
}

/* ---- streaming ----------------------------------------------------------- */

static void streams_four_mmap_buffers_with_driver_timestamps(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	for (int i = 0; i < 20; i++) {
		run_read(&r, 1);
		struct fake_dev snap;
		fake_snapshot(d, &snap);
		assert_int_equal(r.slot->pts_ns, snap.last_stamp_ns);
		assert_int_equal(snap.mapped, 4);
		assert_int_equal(r.slot->session, 0);
	}
	struct fake_dev snap;
	fake_snapshot(d, &snap);
	assert_int_equal(snap.streamons, 1);
	assert_int_equal(snap.reqbufs, 1);
	/* 20 frames through 4 buffers: each was re-queued at once. */
	assert_int_equal(snap.produced, 20);
	struct source_stats st = run_stats(&r);
	assert_int_equal(st.driver_drops, 0);
	assert_int_equal(st.stale, 0);
	assert_int_equal(st.reconnects, 0);
	assert_false(st.reconnecting);
	run_finish(&r);
	assert_clean(d);
}

/* The driver's timestamp is when the frame was captured: taken as capture_ns,
 * latency then includes the time the frame waited in the driver's queue.
 * One that is not CLOCK_MONOTONIC, lies in the future or is implausibly old
 * is not trusted: capture_ns 0, and the ring stamps the commit time. */
static void driver_timestamp_is_the_capture_time_when_plausible(void **state)
{
	(void)state;
	enum { N = 5 };
	const int64_t ms = 1000000;
	const uint32_t mono = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	const int64_t offsets[N] = {-30 * ms, 1000 * ms, -10000 * ms, -30 * ms, -1 * ms};
	const uint32_t types[N] = {mono, mono, mono, V4L2_BUF_FLAG_TIMESTAMP_COPY, mono};
	const bool trusted[N] = {true, false, false, false, true};
	struct script s = SCRIPT_DEFAULT;
	s.stamp_offsets = offsets;
	s.stamp_types = types;
	s.nstamps = N;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	for (int i = 0; i < N; i++) {
		r.slot->capture_ns = -1; /* must be overwritten either way */
		run_read(&r, 1);
		assert_luma_frame(r.slot, (uint64_t)i, 64, 48);
		struct fake_dev snap;
		fake_snapshot(d, &snap);
		assert_int_equal(r.slot->capture_ns, trusted[i] ? snap.last_stamp_ns : 0);
		if (types[i] == mono)
			assert_int_equal(r.slot->pts_ns, snap.last_stamp_ns);
	}
	run_finish(&r);
	assert_clean(d);
}

static void keeps_the_newest_frame_of_a_burst(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);
	d->burst = 3; /* three frames done by the time we look */

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 1);
	assert_int_equal(frame_number(r.slot), 2);
	run_read(&r, 1);
	/* Buffers went back in order; the next burst is frames 3..5. */
	assert_int_equal(frame_number(r.slot), 5);
	struct source_stats st = run_stats(&r);
	assert_int_equal(st.stale, 4);
	assert_int_equal(st.driver_drops, 0); /* we skipped them, the driver did not */
	run_finish(&r);
	assert_clean(d);
}

static void truncated_mjpeg_is_counted_corrupt_before_the_ring(void **state)
{
	(void)state;
	struct jpeg j = make_jpeg(64, 48, 1);
	struct script s = SCRIPT_DEFAULT;
	s.jpegs = &j;
	s.njpegs = 1;
	s.truncate_at = 3;
	s.error_at = 6;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_MJPEG);

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 8);
	/* Frame 3 lost its EOI, frame 6 came flagged V4L2_BUF_FLAG_ERROR. */
	assert_int_equal(r.t.corrupt, 2);
	assert_int_equal(r.t.frames, 8);
	assert_int_equal(r.slot->len, j.len);
	assert_int_equal(r.slot->index, 9); /* corrupt frames keep their numbers */
	assert_int_equal(run_stats(&r).reconnects, 0);
	run_finish(&r);
	assert_clean(d);
	free(j.p);
}

/* UVC cameras send MJPEG without DHT segments; libjpeg-turbo (2.1.5 here)
 * installs the standard tables itself (jstdhuff.c), so no DHT needs to be
 * inserted. Checked directly and through the whole path. */
static void mjpeg_without_huffman_tables_decodes(void **state)
{
	(void)state;
	struct jpeg j = make_jpeg(64, 48, 2);
	uint8_t *bare = malloc(j.len);
	assert_non_null(bare);
	memcpy(bare, j.p, j.len);
	size_t bare_len = strip_dht(bare, j.len);
	assert_true(bare_len < j.len);
	assert_false(has_dht(bare, bare_len));

	tjhandle tj = tjInitDecompress();
	uint8_t want[64 * 48], got[64 * 48];
	assert_int_equal(tjDecompress2(tj, j.p, j.len, want, 64, 0, 48, TJPF_GRAY, 0), 0);
	assert_int_equal(tjDecompress2(tj, bare, bare_len, got, 64, 0, 48, TJPF_GRAY, 0), 0);
	assert_memory_equal(got, want, sizeof(want));
	tjDestroy(tj);

	struct script s = SCRIPT_DEFAULT;
	s.jpegs = &j;
	s.njpegs = 1;
	s.strip_dht = true;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_MJPEG);
	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 2);
	assert_int_equal(r.t.corrupt, 0);
	assert_int_equal(r.slot->len, bare_len);
	struct decoder *dec;
	const struct gray *g;
	assert_int_equal(decoder_create(source_get_info(r.src), 64, &dec), 0);
	assert_int_equal(decoder_decode(dec, r.slot, &g), 0);
	assert_int_equal(g->w, 64);
	assert_int_equal(g->h, 48);
	decoder_destroy(dec);
	run_finish(&r);
	assert_clean(d);
	free(bare);
	free(j.p);
}

static void sequence_gaps_count_driver_drops_in_signed_arithmetic(void **state)
{
	(void)state;
	/* 2 lost (3, 4), a repeat (vivid under load), a restart at 0, a huge
	 * jump (a restart in disguise), then 2 more lost (7, 8). */
	static const uint32_t seqs[] = {0, 1, 2, 5, 5, 6, 0, 1, 2, 0xFFFFFFF0u, 0, 1, 2, 6};
	struct script s = SCRIPT_DEFAULT;
	s.seqs = seqs;
	s.nseqs = (int)(sizeof(seqs) / sizeof(seqs[0]));
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, s.nseqs);
	assert_int_equal(run_stats(&r).driver_drops, 2 + 3);
	assert_int_equal(r.t.frames, s.nseqs);
	run_finish(&r);
	assert_clean(d);
}

/* ---- failures and recovery ---------------------------------------------- */

static void unplug_mid_stream_reopens_by_stable_name_with_backoff(void **state)
{
	(void)state;
	const char *path = "/dev/v4l/by-id/usb-Fake_Camera_1234-video-index0";
	struct script s = SCRIPT_DEFAULT;
	s.unplug_at = 5;
	struct fake_dev *d = add_device(path, &s);
	fake_add_mode(d, V4L2_PIX_FMT_YUYV, false, 64, 48, 30);
	d->replug_after = 3; /* three attempts find no node */

	struct capture_run r = run_start(d, &fast_opts);
	for (uint64_t n = 0; n < 5; n++) {
		run_read(&r, 1);
		assert_int_equal(r.slot->session, 0);
	}
	run_read(&r, 1);
	const char *log = run_log(&r);

	/* Frame 5 was never delivered before the unplug: it is the first after. */
	assert_int_equal(frame_number(r.slot), 5);
	assert_int_equal(r.slot->session, 1); /* tracking restarts */
	struct source_stats st = run_stats(&r);
	assert_int_equal(st.reconnects, 1);
	assert_false(st.reconnecting);
	struct fake_dev snap;
	fake_snapshot(d, &snap);
	assert_int_equal(snap.open_attempts, 5); /* first open, 3 failures, success */
	assert_int_equal(snap.failed_opens, 3);
	assert_int_equal(snap.s_fmt, 2);         /* renegotiated from scratch */
	/* Waits of at least 20, 40, 80 ms (10 ms doubling, capped at 80). */
	assert_true(snap.open_ns[2] - snap.open_ns[1] >= 20000000);
	assert_true(snap.open_ns[3] - snap.open_ns[2] >= 40000000);
	assert_true(snap.open_ns[4] - snap.open_ns[3] >= 80000000);
	/* One line per change of state, each naming the camera. */
	assert_int_equal(count_lines_with(log, "camera 'cam-a': '/dev/v4l/by-id/usb-Fake_Camera_1234"
					       "-video-index0' lost (No such device); reconnecting"),
			 1);
	assert_int_equal(count_lines_with(log, "cannot be reopened: No such file or directory"), 1);
	assert_int_equal(count_lines_with(log, "streaming again"), 1);
	run_finish(&r);
	assert_clean(d);
}

static void eio_mid_stream_reconnects(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	s.eio_at = 3;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 6);
	const char *log = run_log(&r);
	assert_int_equal(frame_number(r.slot), 5);
	assert_int_equal(run_stats(&r).reconnects, 1);
	assert_int_equal(count_lines_with(log, "lost (Input/output error); reconnecting"), 1);
	run_finish(&r);
	assert_clean(d);
}

static void enospc_at_streamon_is_one_line_and_retried(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);
	d->streamon_errors[0] = d->streamon_errors[1] = d->streamon_errors[2] = ENOSPC;
	d->nstreamon_errors = 3;

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 2);
	const char *log = run_log(&r);

	assert_int_equal(count_lines_with(log, "not enough USB bandwidth"), 1);
	assert_int_equal(count_lines_with(log, "camera 'cam-a': '/dev/fake/video0' cannot start "
					       "streaming: not enough USB bandwidth (VIDIOC_STREAMON: "
					       "No space left on device); use MJPEG, a smaller size= "
					       "or fps=, or plug it into another USB root port"),
			 1);
	assert_int_equal(count_lines_with(log, "streaming now"), 1);
	struct fake_dev snap;
	fake_snapshot(d, &snap);
	assert_int_equal(snap.streamons, 4);
	assert_int_equal(run_stats(&r).reconnects, 0); /* it had never streamed */
	assert_int_equal(r.slot->session, 0);
	assert_int_equal(frame_number(r.slot), 1);
	run_finish(&r);
	assert_clean(d);
}

static void eagain_storm_is_waited_out_in_poll(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	s.storm_at = 2;
	s.storm_len = 200;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 6);
	assert_int_equal(frame_number(r.slot), 5);
	assert_true(r.t.again >= 200); /* every spurious wake-up went back to poll */
	assert_int_equal(r.t.corrupt, 0);
	assert_int_equal(run_stats(&r).reconnects, 0);
	run_finish(&r);
	assert_clean(d);
}

static void watchdog_reopens_a_silent_device(void **state)
{
	(void)state;
	struct script s = SCRIPT_DEFAULT;
	s.stall_at = 3;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct source_opts o = fast_opts;
	o.watchdog_ms = 300;
	struct capture_run r = run_start(d, &o);
	run_read(&r, 5);
	const char *log = run_log(&r);
	assert_int_equal(frame_number(r.slot), 4);
	assert_int_equal(run_stats(&r).reconnects, 1);
	assert_int_equal(count_lines_with(log, "lost (no frame for 0."), 1);
	run_finish(&r);
	assert_clean(d);
}

static void device_back_with_another_size_is_refused_until_it_fits(void **state)
{
	(void)state;
	static struct fake_format other = {
		.fourcc = V4L2_PIX_FMT_YUYV, .sizes = {{320, 240, {30}, 1}}, .nsizes = 1};
	struct script s = SCRIPT_DEFAULT;
	s.unplug_at = 2;
	s.replug_modes = &other;
	s.nreplug_modes = 1;
	struct fake_dev *d = add_camera(&s, V4L2_PIX_FMT_YUYV);

	struct capture_run r = run_start(d, &fast_opts);
	run_read(&r, 2);
	/* It comes back as a 320x240 camera: the ring and decoder were sized
	 * for 64x48, so the source waits for the right one. */
	char err[64];
	for (int i = 0; i < 20; i++)
		assert_int_equal(source_read_frame(r.src, r.slot, err, sizeof(err)), SOURCE_AGAIN);
	assert_true(run_stats(&r).reconnecting);
	struct fake_format back = {
		.fourcc = V4L2_PIX_FMT_YUYV, .sizes = {{64, 48, {30}, 1}}, .nsizes = 1};
	fake_set_modes(d, &back, 1);
	run_read(&r, 1);
	const char *log = run_log(&r);
	assert_int_equal(frame_number(r.slot), 2);
	assert_luma_frame(r.slot, 2, 64, 48);
	assert_int_equal(count_lines_with(log, "came back as YUYV 320x240 at 30 fps, not like "
					       "YUYV 64x48 at 30 fps at start"),
			 1);
	run_finish(&r);
	assert_clean(d);
}

/* ---- the source is chosen by what the path is ---------------------------- */

static void files_are_still_sniffed_by_content(void **state)
{
	(void)state;
	/* The fake answers stat for its own paths only; a real file is a
	 * regular file, so it is sniffed (and this one is not a video). */
	char path[] = "/tmp/test_v4l2.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, not a video", 18), 18);
	close(fd);
	struct source *src;
	char err[256];
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not an AVI, MJPEG or Y4M stream"));
	unlink(path);
}

/* Through the real libv4l2 table: /dev/null is a character device, so it
 * is taken for a camera (and refused as not one) before any sniffing. */
static void char_device_is_a_camera_before_sniffing(void **state)
{
	(void)state;
	struct source *src = (struct source *)1;
	char err[256];

	v4l2_device_set(NULL);
	assert_int_equal(source_open("/dev/null", &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	assert_string_equal(err, "'/dev/null': not a V4L2 device (VIDIOC_QUERYCAP: Inappropriate "
				 "ioctl for device)");
}

/* ---- --list-cameras ------------------------------------------------------ */

static void list_cameras_shows_nodes_stable_names_and_modes(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_v4l2_dev.XXXXXX";
	char path[PATH_MAX], link[PATH_MAX], node0[PATH_MAX], node1[PATH_MAX];
	assert_non_null(mkdtemp(dir));
	const char *names[] = {"video0", "video1", "video10", "null"};
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/v4l", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/v4l/by-id", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(link, sizeof(link), "%s/v4l/by-id/usb-Fake_Camera_1234-video-index0", dir);
	assert_int_equal(symlink("../../video0", link), 0);

	snprintf(node0, sizeof(node0), "%s/video0", dir);
	snprintf(node1, sizeof(node1), "%s/video1", dir);
	struct script s0 = SCRIPT_DEFAULT, s1 = SCRIPT_DEFAULT;
	struct fake_dev *d0 = add_device(node0, &s0);
	fake_add_mode(d0, V4L2_PIX_FMT_MJPEG, false, 640, 480, 30);
	fake_add_mode(d0, V4L2_PIX_FMT_MJPEG, false, 640, 480, 15);
	fake_add_mode(d0, V4L2_PIX_FMT_MJPEG, false, 1280, 720, 30);
	fake_add_mode(d0, V4L2_PIX_FMT_YUYV, false, 640, 480, 30);
	fake_add_mode(d0, V4L2_PIX_FMT_YUV420, true, 640, 480, 30);
	struct fake_dev *d1 = add_device(node1, &s1); /* its metadata node */
	d1->not_capture = true;
	fake_add_mode(d1, V4L2_PIX_FMT_YUYV, false, 640, 480, 30);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(v4l2_list_cameras(out, dir), 1);
	fclose(out);
	fputs(text, stderr);

	char want[PATH_MAX * 2];
	snprintf(want, sizeof(want), "%s  \"Fake Camera\"  usb-fake-0  (driver fake)\n", node0);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "  by-id    %s\n", link);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "  MJPG  640x480@30,15 1280x720@30\n"));
	assert_non_null(strstr(text, "  YUYV  640x480@30\n"));
	assert_non_null(strstr(text, "  YU12* 640x480@30\n"));
	assert_non_null(strstr(text, "* converted by libv4l2"));
	assert_null(strstr(text, "video1 ")); /* not a capture node */
	snprintf(want, sizeof(want), "%s/video10  cannot open: No such file or directory\n", dir);
	assert_non_null(strstr(text, want));
	free(text);

	unlink(link);
	snprintf(path, sizeof(path), "%s/v4l/by-id", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/v4l", dir);
	rmdir(path);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- two cameras in one process ------------------------------------------ */

struct clip {
	struct jpeg frames[400];
	int n;
	int w, h;
	double fps;
};

static void load_clip(const char *path, struct clip *c)
{
	struct source *src;
	char err[256];
	int rc = source_open(path, &src, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	const struct source_info *info = source_get_info(src);
	struct frame *slot = slot_new(info->max_frame_bytes);
	c->w = info->width;
	c->h = info->height;
	c->fps = info->fps;
	c->n = 0;
	while (c->n < 400 && (rc = source_read_frame(src, slot, err, sizeof(err))) == 0) {
		struct jpeg *j = &c->frames[c->n++];
		j->p = malloc(slot->len);
		assert_non_null(j->p);
		memcpy(j->p, slot->data, slot->len);
		j->len = slot->len;
	}
	assert_int_equal(rc, SOURCE_EOF);
	slot_free(slot);
	source_close(src);
}

static void free_clip(struct clip *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->frames[i].p);
}

/* Lockstep: the fake completes a frame only once the camera's inference
 * thread has taken every committed one, so the live ring never drops and
 * the counts can be compared exactly with a file replay. */
static bool camera_caught_up(void *arg)
{
	struct camera_stats s;
	camera_get_stats(arg, &s);
	return s.ring_fill == 0;
}

struct result {
	struct camera_stats s;
	struct totals t;
};

/* Runs the cameras until each has processed `frames` frames (files: until
 * they end). devs[i] is the fake behind camera i, or NULL for a file. */
static void run_cameras(struct camera_list *list, struct fake_dev **devs, uint64_t frames,
			struct result *res)
{
	struct coord_camera cc[4];
	struct camera *cams[4] = {0};
	struct coord *co;
	struct eventlog *log;
	struct event_sink sink;
	char err[256];
	char *events = NULL;
	size_t events_len = 0;
	FILE *ev = open_memstream(&events, &events_len);

	assert_true(list->n <= 4);
	for (int i = 0; i < list->n; i++)
		cc[i] = (struct coord_camera){.name = list->cams[i].name, .nlines = 1,
					      .line_names = {CONFIG_MAIN_LINE}};
	assert_int_equal(eventlog_create(ev, list->n, cc, &log), 0);
	sink = eventlog_sink(log);
	assert_int_equal(coord_create(&(struct coord_config){.ncameras = list->n, .cams = cc,
							     .sinks = &sink, .nsinks = 1},
				      &co),
			 0);
	for (int i = 0; i < list->n; i++) {
		struct camera_opts o = {.index = i, .cfg = &list->cams[i], .post = coord_post_cb,
					.post_ctx = co,
					.detect_width = 160, .ring_slots = 8};
		if (camera_open(&o, &cams[i], err, sizeof(err)))
			fail_msg("%s", err);
		if (devs[i]) {
			devs[i]->may_deliver = camera_caught_up;
			devs[i]->gate_arg = cams[i];
		}
	}
	for (int i = 0; i < list->n; i++)
		assert_int_equal(camera_start(cams[i]), 0);

	for (int waited = 0;; waited++) {
		bool done = true;
		for (int i = 0; i < list->n; i++) {
			struct camera_stats s;
			camera_get_stats(cams[i], &s);
			done = done && (devs[i] ? s.processed >= frames : camera_done(cams[i]));
		}
		if (done)
			break;
		if (waited > 3000)
			fail_msg("cameras did not finish in 300 s");
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	for (int i = 0; i < list->n; i++)
		camera_stop(cams[i]);
	for (int i = 0; i < list->n; i++)
		camera_join(cams[i]);
	coord_stop(co);
	fclose(ev);
	for (int i = 0; i < list->n; i++) {
		camera_get_stats(cams[i], &res[i].s);
		coord_get_totals(co, i, &res[i].t);
		camera_close(cams[i]);
	}
	coord_destroy(co);
	eventlog_destroy(log);
	free(events);
}

static void baseline(const char *clip_path, struct result *base)
{
	struct camera_list list = {0};
	struct fake_dev *none[1] = {NULL};

	assert_int_equal(config_add_source(&list, clip_path, NULL), 0);
	run_cameras(&list, none, 0, base);
	config_free(&list);
}

/* Two fake cameras, /dev/fake/video0 and video1, each streaming the clip
 * once at its size and rate, and the camera list that opens them. s[i] is
 * camera i's script, for the test to add to. */
static void add_clip_cameras(const struct clip *clip, struct script s[2], struct fake_dev *devs[2],
			     struct camera_list *list)
{
	static const char *const paths[2] = {"/dev/fake/video0", "/dev/fake/video1"};

	for (int i = 0; i < 2; i++) {
		s[i] = SCRIPT_DEFAULT;
		s[i].jpegs = clip->frames;
		s[i].njpegs = clip->n;
		s[i].last_frame = (uint64_t)clip->n;
		devs[i] = add_device(paths[i], &s[i]);
		fake_add_mode(devs[i], V4L2_PIX_FMT_MJPEG, false, (uint32_t)clip->w,
			      (uint32_t)clip->h, (uint32_t)clip->fps);
	}
	*list = (struct camera_list){0};
	for (int i = 0; i < 2; i++)
		assert_int_equal(config_add_source(list, paths[i], NULL), 0);
	for (int i = 0; i < 2; i++) {
		list->cams[i].width = clip->w;
		list->cams[i].height = clip->h;
		list->cams[i].fps = (float)clip->fps;
		list->cams[i].watchdog = 60; /* the clip's end is not an unplug */
	}
}

/* Two cameras on the sample clip: a is unplugged at clip frame 110 (an
 * object is on its way to the line) and comes back a second later; b runs
 * through. b must count exactly what a file replay counts; a must keep what
 * it counted before the unplug and count the rest afterwards. */
static void unplugged_camera_reconnects_while_the_other_counts(void **state)
{
	(void)state;
	static struct clip clip;
	struct result base, res[2];
	load_clip(SAMPLES_DIR "/door.avi", &clip);
	baseline(SAMPLES_DIR "/door.avi", &base);
	assert_int_equal(base.s.processed, (uint64_t)clip.n);
	assert_true(base.t.in + base.t.out > 0);

	struct script s[2];
	struct fake_dev *devs[2];
	struct camera_list list;
	add_clip_cameras(&clip, s, devs, &list);
	s[0].unplug_at = 110;
	capture_stderr();
	run_cameras(&list, devs, (uint64_t)clip.n, res);
	char *log = captured_stderr();

	/* b: untouched. */
	assert_int_equal(res[1].s.reconnects, 0);
	assert_int_equal(res[1].s.corrupt, 0);
	assert_int_equal(res[1].s.dropped, 0);
	assert_int_equal(res[1].s.driver_drops, 0);
	assert_int_equal(res[1].s.processed, (uint64_t)clip.n);
	assert_int_equal(res[1].t.in, base.t.in);
	assert_int_equal(res[1].t.out, base.t.out);
	/* a: one reconnect, every frame, the same counts, and tracking started
	 * over at the reconnect: the object in view is a new track, confirmed
	 * again. (Confirmed tracks, not track ids: a live camera's frames come
	 * with the times they were taken, and a speck at the edge of detection
	 * that starts a track for a frame or two comes and goes with them.) */
	assert_int_equal(res[0].s.reconnects, 1);
	assert_int_equal(res[0].s.processed, (uint64_t)clip.n);
	assert_int_equal(res[0].s.dropped, 0);
	assert_int_equal(res[0].t.in, base.t.in);
	assert_int_equal(res[0].t.out, base.t.out);
	assert_int_equal(res[0].s.lines[0].tracks_seen, base.s.lines[0].tracks_seen + 1);
	assert_int_equal(res[1].s.lines[0].tracks_seen, base.s.lines[0].tracks_seen);
	assert_int_equal(count_lines_with(log, "camera 'video0': '/dev/fake/video0' lost"), 1);
	assert_int_equal(count_lines_with(log, "camera 'video0': '/dev/fake/video0' streaming again"),
			 1);
	assert_int_equal(count_lines_with(log, "camera 'video1'"), 1); /* negotiation only */
	free(log);
	config_free(&list);
	free_clip(&clip);
}

/* Regression: latency was timed from the ring commit, so the time a frame
 * waited in the driver's queue never showed. Here every frame waited 40 ms
 * before it was dequeued: none can have been counted sooner than that. */
static void latency_includes_the_wait_in_the_driver(void **state)
{
	(void)state;
	struct jpeg j[2] = {make_jpeg(64, 48, 0), make_jpeg(64, 48, 1)};
	struct script s = SCRIPT_DEFAULT;
	s.jpegs = j;
	s.njpegs = 2;
	s.stamp_age_ns = 40 * 1000000;
	struct fake_dev *devs[1] = {add_device("/dev/fake/video0", &s)};
	fake_add_mode(devs[0], V4L2_PIX_FMT_MJPEG, false, 64, 48, 30);

	struct camera_list list = {0};
	assert_int_equal(config_add_source(&list, "/dev/fake/video0", NULL), 0);
	list.cams[0].width = 64;
	list.cams[0].height = 48;
	list.cams[0].fps = 30;
	list.cams[0].watchdog = 60;
	struct result res;
	capture_stderr();
	run_cameras(&list, devs, 20, &res);
	free(captured_stderr());

	const struct stagetime_stats *lat = &res.s.stages[CAMERA_STAGE_LATENCY];
	assert_true(lat->count >= 20);
	assert_true(lat->mean_us >= 40000);
	assert_true(res.s.latency_ms >= 40);
	config_free(&list);
	free(j[0].p);
	free(j[1].p);
}

static void camera_short_of_bandwidth_retries_while_the_other_counts(void **state)
{
	(void)state;
	static struct clip clip;
	struct result base, res[2];
	load_clip(SAMPLES_DIR "/door.avi", &clip);
	baseline(SAMPLES_DIR "/door.avi", &base);

	struct script s[2];
	struct fake_dev *devs[2];
	struct camera_list list;
	add_clip_cameras(&clip, s, devs, &list);
	devs[1]->streamon_errors[0] = ENOSPC;
	devs[1]->nstreamon_errors = 1;
	capture_stderr();
	run_cameras(&list, devs, (uint64_t)clip.n, res);
	char *log = captured_stderr();

	for (int i = 0; i < 2; i++) {
		assert_int_equal(res[i].s.reconnects, 0);
		assert_int_equal(res[i].s.processed, (uint64_t)clip.n);
		assert_int_equal(res[i].t.in, base.t.in);
		assert_int_equal(res[i].t.out, base.t.out);
	}
	assert_int_equal(count_lines_with(log, "camera 'video1': '/dev/fake/video1' cannot start "
					       "streaming: not enough USB bandwidth"),
			 1);
	assert_int_equal(count_lines_with(log, "camera 'video0'"), 1); /* negotiation only */
	free(log);
	config_free(&list);
	free_clip(&clip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fake_models_kernel_buffer_order, setup, teardown),
		cmocka_unit_test_setup_teardown(negotiates_mjpeg_at_configured_size_and_rate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(negotiates_nearest_size_and_rate_by_default, setup,
						teardown),
		cmocka_unit_test_setup_teardown(yuyv_only_device_delivers_luma, setup, teardown),
		cmocka_unit_test_setup_teardown(converted_format_used_when_nothing_native_fits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(device_without_a_usable_format_fails_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(streams_four_mmap_buffers_with_driver_timestamps,
						setup, teardown),
		cmocka_unit_test_setup_teardown(driver_timestamp_is_the_capture_time_when_plausible,
						setup, teardown),
		cmocka_unit_test_setup_teardown(keeps_the_newest_frame_of_a_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_mjpeg_is_counted_corrupt_before_the_ring,
						setup, teardown),
		cmocka_unit_test_setup_teardown(mjpeg_without_huffman_tables_decodes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(sequence_gaps_count_driver_drops_in_signed_arithmetic,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unplug_mid_stream_reopens_by_stable_name_with_backoff,
						setup, teardown),
		cmocka_unit_test_setup_teardown(eio_mid_stream_reconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(enospc_at_streamon_is_one_line_and_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(eagain_storm_is_waited_out_in_poll, setup, teardown),
		cmocka_unit_test_setup_teardown(watchdog_reopens_a_silent_device, setup, teardown),
		cmocka_unit_test_setup_teardown(device_back_with_another_size_is_refused_until_it_fits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(files_are_still_sniffed_by_content, setup, teardown),
		cmocka_unit_test_setup_teardown(char_device_is_a_camera_before_sniffing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(list_cameras_shows_nodes_stable_names_and_modes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unplugged_camera_reconnects_while_the_other_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(camera_short_of_bandwidth_retries_while_the_other_counts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(latency_includes_the_wait_in_the_driver, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
