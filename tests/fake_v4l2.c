/* See fake_v4l2.h. The rules follow videobuf2 (vb2_core_reqbufs, _qbuf,
 * _dqbuf, _streamon, _streamoff) and v4l2-dev.c for an unregistered node. */
#include "fake_v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/videodev2.h>

#define MAX_DEVS 4
#define MAX_BUFS 8
#define MAX_FDS 64
#define MAX_MAPS 64
#define FD_BASE 1000
#define OFFSET_STEP 0x100000u

/* Buffer memory lives while the queue or a mapping holds it, as in the
 * kernel: a process may munmap after close. */
struct block {
	int refs;
	size_t len;
	uint8_t data[];
};

enum buf_state { B_DEQUEUED, B_QUEUED, B_DONE };

struct fbuf {
	struct block *mem;
	enum buf_state state;
	uint64_t order; /* queue order, then completion order */
	uint32_t bytesused, sequence, flags;
	int64_t stamp_ns;
	uint32_t stamp_type; /* V4L2_BUF_FLAG_TIMESTAMP_* of the frame in it */
	int maps;
};

struct fdev {
	struct fake_dev pub; /* first: fake_dev pointers are fdev pointers */
	bool used;
	bool gone;
	int replug_left;
	int owner_fd;
	struct fbuf bufs[MAX_BUFS];
	unsigned nbufs;
	bool streaming;
	uint32_t seq;
	uint64_t order;
	bool stalled;
	int storm;
	int dq_errno;
	uint32_t bpl, sizeimage;
};

struct ffd {
	bool used;
	struct fdev *d;
};

struct fmap {
	bool used;
	void *addr;
	struct block *b;
	struct fdev *d;
	unsigned index;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fdev devs[MAX_DEVS];
static struct ffd fds[MAX_FDS];
static struct fmap maps[MAX_MAPS];

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void block_put(struct block *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static struct fdev *dev_by_path(const char *path)
{
	for (int i = 0; i < MAX_DEVS; i++) {
		if (devs[i].used && strcmp(devs[i].pub.path, path) == 0)
			return &devs[i];
	}
	return NULL;
}

static struct fdev *dev_by_fd(int fd)
{
	int i = fd - FD_BASE;
	return i >= 0 && i < MAX_FDS && fds[i].used ? fds[i].d : NULL;
}

struct fake_dev *fake_add(const char *path)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_DEVS; i++) {
		struct fdev *d = &devs[i];
		if (d->used)
			continue;
		memset(d, 0, sizeof(*d));
		d->used = true;
		d->owner_fd = -1;
		snprintf(d->pub.path, sizeof(d->pub.path), "%s", path);
		d->pub.burst = 1;
		pthread_mutex_unlock(&lock);
		return &d->pub;
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void fake_add_mode(struct fake_dev *d, uint32_t fourcc, bool emulated, uint32_t w, uint32_t h,
		   uint32_t fps)
{
	struct fake_format *f = NULL;

	for (int i = 0; i < d->nformats; i++) {
		if (d->formats[i].fourcc == fourcc)
			f = &d->formats[i];
	}
	if (!f) {
		if (d->nformats == FAKE_MAX_FORMATS)
			abort();
		f = &d->formats[d->nformats++];
		*f = (struct fake_format){.fourcc = fourcc, .emulated = emulated};
	}
	for (int i = 0; i < f->nsizes; i++) {
		struct fake_size *s = &f->sizes[i];
		if (s->w == w && s->h == h) {
			if (s->nfps == FAKE_MAX_RATES)
				abort();
			s->fps[s->nfps++] = fps;
			return;
		}
	}
	if (f->nsizes == FAKE_MAX_SIZES)
		abort();
	f->sizes[f->nsizes++] = (struct fake_size){.w = w, .h = h, .fps = {fps}, .nfps = 1};
}

static void free_buffers(struct fdev *d)
{
	for (unsigned i = 0; i < d->nbufs; i++) {
		block_put(d->bufs[i].mem);
		d->bufs[i] = (struct fbuf){0};
	}
	d->nbufs = 0;
}

void fake_reset(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_DEVS; i++) {
		if (devs[i].used)
			free_buffers(&devs[i]);
		devs[i].used = false;
	}
	for (int i = 0; i < MAX_MAPS; i++) {
		if (maps[i].used)
			block_put(maps[i].b);
		maps[i].used = false;
	}
	memset(fds, 0, sizeof(fds));
	pthread_mutex_unlock(&lock);
}

void fake_set_modes_locked(struct fake_dev *d, const struct fake_format *formats, int n)
{
	memcpy(d->formats, formats, sizeof(*formats) * (size_t)n);
	d->nformats = n;
}

void fake_set_modes(struct fake_dev *d, const struct fake_format *formats, int n)
{
	pthread_mutex_lock(&lock);
	fake_set_modes_locked(d, formats, n);
	pthread_mutex_unlock(&lock);
}

void fake_snapshot(struct fake_dev *d, struct fake_dev *out)
{
	pthread_mutex_lock(&lock);
	*out = *d;
	pthread_mutex_unlock(&lock);
}

static void unplug_locked(struct fdev *d)
{
	d->gone = true;
	d->replug_left = d->pub.replug_after;
}

void fake_unplug(struct fake_dev *pub)
{
	pthread_mutex_lock(&lock);
	unplug_locked((struct fdev *)pub);
	pthread_mutex_unlock(&lock);
}

static const struct fake_format *find_format(const struct fdev *d, uint32_t fourcc)
{
	for (int i = 0; i < d->pub.nformats; i++) {
		if (d->pub.formats[i].fourcc == fourcc)
			return &d->pub.formats[i];
	}
	return NULL;
}

static const struct fake_size *find_size(const struct fake_format *f, uint32_t w, uint32_t h)
{
	for (int i = 0; i < f->nsizes; i++) {
		if (f->sizes[i].w == w && f->sizes[i].h == h)
			return &f->sizes[i];
	}
	return NULL;
}

/* What S_FMT would set: the format if offered (else the first, as drivers
 * do), its nearest size. */
static void set_format(struct fdev *d, uint32_t fourcc, uint32_t w, uint32_t h)
{
	const struct fake_format *f = find_format(d, fourcc);
	const struct fake_size *best = NULL;
	long best_d = 0;

	if (!f)
		f = &d->pub.formats[0];
	for (int i = 0; i < f->nsizes; i++) {
		long dd = labs((long)f->sizes[i].w - (long)w) + labs((long)f->sizes[i].h - (long)h);
		if (!best || dd < best_d) {
			best = &f->sizes[i];
			best_d = dd;
		}
	}
	d->pub.cur_fourcc = f->fourcc;
	d->pub.cur_w = (int)best->w;
	d->pub.cur_h = (int)best->h;
	d->pub.cur_fps = best->fps[0];
	bool packed = f->fourcc == V4L2_PIX_FMT_YUYV || f->fourcc == V4L2_PIX_FMT_UYVY;
	bool compressed = f->fourcc == V4L2_PIX_FMT_MJPEG || f->fourcc == V4L2_PIX_FMT_JPEG;
	d->bpl = compressed ? 0 : best->w * (packed ? 2 : 1);
	d->sizeimage = compressed ? best->w * best->h * 2 + 4096
		     : packed	  ? best->w * best->h * 2
				  : best->w * best->h * 3 / 2;
}

static void fill_pix(const struct fdev *d, struct v4l2_pix_format *p)
{
	*p = (struct v4l2_pix_format){
		.width = (uint32_t)d->pub.cur_w,
		.height = (uint32_t)d->pub.cur_h,
		.pixelformat = d->pub.cur_fourcc,
		.field = V4L2_FIELD_NONE,
		.bytesperline = d->bpl,
		.sizeimage = d->sizeimage,
	};
}

static void fill_buffer(const struct fdev *d, unsigned i, struct v4l2_buffer *b)
{
	const struct fbuf *fb = &d->bufs[i];

	b->index = i;
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = V4L2_MEMORY_MMAP;
	b->length = (uint32_t)fb->mem->len;
	b->m.offset = i * OFFSET_STEP;
	b->flags = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
	if (fb->state == B_QUEUED)
		b->flags |= V4L2_BUF_FLAG_QUEUED;
	if (fb->state == B_DONE)
		b->flags |= V4L2_BUF_FLAG_DONE;
	if (fb->maps)
		b->flags |= V4L2_BUF_FLAG_MAPPED;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static int do_reqbufs(struct fdev *d, int fd, struct v4l2_requestbuffers *r)
{
	if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || r->memory != V4L2_MEMORY_MMAP)
		return fail(EINVAL);
	if (d->owner_fd >= 0 && d->owner_fd != fd)
		return fail(EBUSY);
	if (d->streaming)
		return fail(EBUSY);
	for (unsigned i = 0; i < d->nbufs; i++) {
		if (d->bufs[i].maps)
			return fail(EBUSY); /* vb2: "memory in use, cannot free" */
	}
	free_buffers(d);
	d->pub.reqbufs++;
	if (r->count == 0) {
		d->owner_fd = -1;
		return 0;
	}
	unsigned n = r->count > MAX_BUFS ? MAX_BUFS : r->count;
	for (unsigned i = 0; i < n; i++) {
		struct block *b = calloc(1, sizeof(*b) + d->sizeimage);
		if (!b)
			abort();
		b->refs = 1;
		b->len = d->sizeimage;
		d->bufs[i] = (struct fbuf){.mem = b, .state = B_DEQUEUED};
	}
	d->nbufs = n;
	d->owner_fd = fd;
	r->count = n;
	return 0;
}

static int do_qbuf(struct fdev *d, int fd, struct v4l2_buffer *b)
{
	if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP)
		return fail(EINVAL);
	if (d->owner_fd != fd)
		return fail(d->owner_fd < 0 ? EINVAL : EBUSY);
	if (b->index >= d->nbufs)
		return fail(EINVAL);
	struct fbuf *fb = &d->bufs[b->index];
	if (fb->state != B_DEQUEUED)
		return fail(EINVAL); /* vb2: "buffer already queued" */
	fb->state = B_QUEUED;
	fb->order = d->order++;
	return 0;
}

static int do_dqbuf(struct fdev *d, int fd, struct v4l2_buffer *b)
{
	if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP)
		return fail(EINVAL);
	if (d->owner_fd != fd)
		return fail(d->owner_fd < 0 ? EINVAL : EBUSY);
	if (!d->streaming)
		return fail(EINVAL);
	if (d->dq_errno) {
		int e = d->dq_errno;
		d->dq_errno = 0;
		return fail(e);
	}
	int best = -1;
	for (unsigned i = 0; i < d->nbufs; i++) {
		if (d->bufs[i].state == B_DONE &&
		    (best < 0 || d->bufs[i].order < d->bufs[best].order))
			best = (int)i;
	}
	if (best < 0)
		return fail(EAGAIN); /* the fake's fds are always O_NONBLOCK */
	struct fbuf *fb = &d->bufs[best];
	fb->state = B_DEQUEUED;
	memset(b, 0, sizeof(*b));
	fill_buffer(d, (unsigned)best, b);
	b->bytesused = fb->bytesused;
	b->sequence = fb->sequence;
	b->flags |= fb->flags;
	/* One queue, one clock in the kernel; per frame here, so a test can
	 * give the source a timestamp it must not trust. */
	b->flags = (b->flags & ~V4L2_BUF_FLAG_TIMESTAMP_MASK) | fb->stamp_type;
	b->field = V4L2_FIELD_NONE;
	b->timestamp.tv_sec = fb->stamp_ns / 1000000000;
	b->timestamp.tv_usec = fb->stamp_ns % 1000000000 / 1000;
	return 0;
}

static void stream_off(struct fdev *d)
{
	d->streaming = false;
	for (unsigned i = 0; i < d->nbufs; i++)
		d->bufs[i].state = B_DEQUEUED;
}

static int do_ioctl(struct fdev *d, int fd, unsigned long req, void *arg)
{
	if (d->gone)
		return fail(ENODEV);
	switch (req) {
	case VIDIOC_QUERYCAP: {
		struct v4l2_capability *c = arg;
		memset(c, 0, sizeof(*c));
		snprintf((char *)c->driver, sizeof(c->driver), "fake");
		snprintf((char *)c->card, sizeof(c->card), "Fake Camera");
		snprintf((char *)c->bus_info, sizeof(c->bus_info), "usb-fake-%d",
			 (int)(d - devs));
		c->device_caps = (d->pub.not_capture ? V4L2_CAP_META_CAPTURE : V4L2_CAP_VIDEO_CAPTURE) |
				 V4L2_CAP_STREAMING;
		c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
		return 0;
	}
	case VIDIOC_ENUM_FMT: {
		struct v4l2_fmtdesc *f = arg;
		if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || f->index >= (uint32_t)d->pub.nformats)
			return fail(EINVAL);
		const struct fake_format *ff = &d->pub.formats[f->index];
		f->pixelformat = ff->fourcc;
		f->flags = ff->emulated ? V4L2_FMT_FLAG_EMULATED : 0;
		return 0;
	}
	case VIDIOC_ENUM_FRAMESIZES: {
		struct v4l2_frmsizeenum *s = arg;
		const struct fake_format *ff = find_format(d, s->pixel_format);
		if (!ff || s->index >= (uint32_t)ff->nsizes)
			return fail(EINVAL);
		s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
		s->discrete.width = ff->sizes[s->index].w;
		s->discrete.height = ff->sizes[s->index].h;
		return 0;
	}
	case VIDIOC_ENUM_FRAMEINTERVALS: {
		struct v4l2_frmivalenum *e = arg;
		const struct fake_format *ff = find_format(d, e->pixel_format);
		const struct fake_size *fs = ff ? find_size(ff, e->width, e->height) : NULL;
		if (!fs || e->index >= (uint32_t)fs->nfps)
			return fail(EINVAL);
		e->type = V4L2_FRMIVAL_TYPE_DISCRETE;
		e->discrete = (struct v4l2_fract){1, fs->fps[e->index]};
		return 0;
	}
	case VIDIOC_S_FMT:
	case VIDIOC_G_FMT: {
		struct v4l2_format *f = arg;
		if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
			return fail(EINVAL);
		if (req == VIDIOC_S_FMT) {
			if (d->streaming || d->nbufs)
				return fail(EBUSY); /* vb2_is_busy */
			set_format(d, f->fmt.pix.pixelformat, f->fmt.pix.width, f->fmt.pix.height);
			d->pub.s_fmt++;
		}
		fill_pix(d, &f->fmt.pix);
		return 0;
	}
	case VIDIOC_G_PARM:
	case VIDIOC_S_PARM: {
		struct v4l2_streamparm *p = arg;
		if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
			return fail(EINVAL);
		if (req == VIDIOC_S_PARM) {
			/* Snaps to the nearest offered rate, as vivid does. */
			const struct v4l2_fract *t = &p->parm.capture.timeperframe;
			const struct fake_format *ff = find_format(d, d->pub.cur_fourcc);
			const struct fake_size *fs =
				find_size(ff, (uint32_t)d->pub.cur_w, (uint32_t)d->pub.cur_h);
			double want = t->numerator ? (double)t->denominator / t->numerator : 0;
			uint32_t best = fs->fps[0];
			for (int i = 1; i < fs->nfps; i++) {
				if (fabs(fs->fps[i] - want) < fabs(best - want))
					best = fs->fps[i];
			}
			d->pub.cur_fps = best;
			d->pub.s_parm++;
		}
		memset(&p->parm, 0, sizeof(p->parm));
		p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
		p->parm.capture.timeperframe = (struct v4l2_fract){1, d->pub.cur_fps};
		return 0;
	}
	case VIDIOC_REQBUFS:
		return do_reqbufs(d, fd, arg);
	case VIDIOC_QUERYBUF: {
		struct v4l2_buffer *b = arg;
		if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->index >= d->nbufs)
			return fail(EINVAL);
		fill_buffer(d, b->index, b);
		return 0;
	}
	case VIDIOC_QBUF:
		return do_qbuf(d, fd, arg);
	case VIDIOC_DQBUF:
		return do_dqbuf(d, fd, arg);
	case VIDIOC_STREAMON: {
		if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE)
			return fail(EINVAL);
		if (d->owner_fd != fd)
			return fail(d->owner_fd < 0 ? EINVAL : EBUSY);
		if (d->nbufs == 0)
			return fail(EINVAL); /* vb2: "no buffers have been allocated" */
		if (d->streaming)
			return 0;
		d->pub.streamons++;
		if (d->pub.nstreamon_errors > 0) {
			int e = d->pub.streamon_errors[0];
			memmove(d->pub.streamon_errors, d->pub.streamon_errors + 1,
				sizeof(int) * (size_t)--d->pub.nstreamon_errors);
			return fail(e);
		}
		d->streaming = true;
		d->stalled = false;
		d->storm = 0;
		d->seq = 0;
		return 0;
	}
	case VIDIOC_STREAMOFF:
		if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE)
			return fail(EINVAL);
		if (d->owner_fd != fd)
			return fail(d->owner_fd < 0 ? EINVAL : EBUSY);
		stream_off(d);
		return 0;
	default:
		return fail(ENOTTY);
	}
}

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	pthread_mutex_lock(&lock);
	struct fdev *d = dev_by_fd(fd);
	int rc = d ? do_ioctl(d, fd, req, arg) : fail(EBADF);
	pthread_mutex_unlock(&lock);
	return rc;
}

static int fake_open(const char *path, int flags)
{
	int rc;

	pthread_mutex_lock(&lock);
	struct fdev *d = dev_by_path(path);
	if (!d) {
		rc = fail(ENOENT);
		goto out;
	}
	struct fake_dev *p = &d->pub;
	if (p->open_attempts < FAKE_MAX_OPENS)
		p->open_ns[p->open_attempts] = mono_ns();
	p->open_attempts++;
	if (p->nopen_errors > 0) {
		int e = p->open_errors[0];
		memmove(p->open_errors, p->open_errors + 1, sizeof(int) * (size_t)--p->nopen_errors);
		p->failed_opens++;
		rc = fail(e);
		goto out;
	}
	if (d->gone) {
		/* Unplugged: the node is gone until every fd is closed (as a
		 * process holding it keeps the old device) and the replug delay
		 * has passed. */
		if (p->open_fds > 0 || d->replug_left-- > 0) {
			p->failed_opens++;
			rc = fail(ENOENT);
			goto out;
		}
		d->gone = false;
		d->dq_errno = 0;
	}
	if (!(flags & O_NONBLOCK))
		abort(); /* the fake models non-blocking DQBUF only */
	rc = fail(EMFILE);
	for (int i = 0; i < MAX_FDS; i++) {
		if (!fds[i].used) {
			fds[i] = (struct ffd){true, d};
			p->opens++;
			p->open_fds++;
			rc = FD_BASE + i;
			break;
		}
	}
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

static int fake_close(int fd)
{
	pthread_mutex_lock(&lock);
	struct fdev *d = dev_by_fd(fd);
	if (!d) {
		pthread_mutex_unlock(&lock);
		return fail(EBADF);
	}
	if (d->owner_fd == fd) {
		/* The kernel releases the queue of the fd that owned it; memory
		 * still mapped stays until munmap. */
		stream_off(d);
		free_buffers(d);
		d->owner_fd = -1;
	}
	fds[fd - FD_BASE].used = false;
	d->pub.open_fds--;
	pthread_mutex_unlock(&lock);
	return 0;
}

static void *fake_mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t offset)
{
	void *rc = MAP_FAILED;

	(void)addr;
	(void)prot;
	pthread_mutex_lock(&lock);
	struct fdev *d = dev_by_fd(fd);
	if (!d) {
		errno = EBADF;
		goto out;
	}
	if (d->gone) {
		errno = ENODEV;
		goto out;
	}
	uint64_t idx = (uint64_t)offset / OFFSET_STEP;
	if (!(flags & MAP_SHARED) || offset < 0 || (uint64_t)offset % OFFSET_STEP ||
	    idx >= d->nbufs || len == 0 || len > d->bufs[idx].mem->len) {
		errno = EINVAL;
		goto out;
	}
	for (int i = 0; i < MAX_MAPS; i++) {
		if (maps[i].used)
			continue;
		struct block *b = d->bufs[idx].mem;
		b->refs++;
		d->bufs[idx].maps++;
		maps[i] = (struct fmap){true, b->data, b, d, (unsigned)idx};
		d->pub.mapped++;
		rc = b->data;
		goto out;
	}
	errno = ENOMEM;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

static int fake_munmap(void *addr, size_t len)
{
	(void)len;
	pthread_mutex_lock(&lock);
	for (int i = 0; i < MAX_MAPS; i++) {
		struct fmap *m = &maps[i];
		if (!m->used || m->addr != addr)
			continue;
		struct fdev *d = m->d;
		if (m->index < d->nbufs && d->bufs[m->index].mem == m->b)
			d->bufs[m->index].maps--;
		d->pub.mapped--;
		block_put(m->b);
		m->used = false;
		pthread_mutex_unlock(&lock);
		return 0;
	}
	pthread_mutex_unlock(&lock);
	return fail(EINVAL);
}

/* Completes up to burst queued buffers, oldest queued first. */
static bool produce_frames(struct fdev *d)
{
	struct fake_dev *p = &d->pub;
	bool any = false;

	for (unsigned k = 0; k < (p->burst ? p->burst : 1); k++) {
		int next = -1;
		for (unsigned i = 0; i < d->nbufs; i++) {
			if (d->bufs[i].state == B_QUEUED &&
			    (next < 0 || d->bufs[i].order < d->bufs[next].order))
				next = (int)i;
		}
		if (next < 0)
			break;
		struct fbuf *fb = &d->bufs[next];
		struct fake_frame f = {
			.n = p->produced,
			.data = fb->mem->data,
			.cap = fb->mem->len,
			.sequence = d->seq,
			.stamp_ns = mono_ns(),
			.stamp_type = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC,
		};
		f.len = p->produce ? p->produce(p->user, p->cur_fourcc, p->cur_w, p->cur_h, f.n,
						f.data, f.cap)
				   : 0;
		if (p->on_frame)
			p->on_frame(p->user, &f);
		if (f.unplug) {
			unplug_locked(d);
			break;
		}
		if (f.eio) {
			d->dq_errno = EIO;
			break;
		}
		if (f.stall) {
			d->stalled = true;
			break;
		}
		if (f.storm) {
			d->storm = f.storm;
			break;
		}
		fb->state = B_DONE;
		fb->order = d->order++;
		fb->bytesused = (uint32_t)(f.len < f.cap ? f.len : f.cap);
		fb->sequence = f.sequence;
		fb->flags = f.error_flag ? V4L2_BUF_FLAG_ERROR : 0;
		fb->stamp_ns = f.stamp_ns;
		fb->stamp_type = f.stamp_type & V4L2_BUF_FLAG_TIMESTAMP_MASK;
		p->last_stamp_ns = fb->stamp_ns / 1000 * 1000; /* what fits a timeval */
		p->produced++;
		d->seq = f.sequence + 1;
		any = true;
	}
	return any;
}

static short poll_once(struct fdev *d, bool may_produce)
{
	if (d->gone)
		return POLLERR | POLLHUP;
	if (!d->streaming || d->dq_errno)
		return POLLERR;
	for (unsigned i = 0; i < d->nbufs; i++) {
		if (d->bufs[i].state == B_DONE)
			return POLLIN | POLLRDNORM;
	}
	if (d->storm > 0) {
		d->storm--;
		return POLLIN | POLLRDNORM; /* and DQBUF will say EAGAIN */
	}
	if (d->stalled || !may_produce)
		return 0;
	if (produce_frames(d) || d->gone || d->dq_errno || d->storm)
		return poll_once(d, false);
	return 0;
}

static int fake_poll(struct pollfd *pfd, nfds_t n, int timeout_ms)
{
	int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;

	if (n != 1)
		abort();
	for (;;) {
		pthread_mutex_lock(&lock);
		struct fdev *d = dev_by_fd(pfd->fd);
		bool (*gate)(void *) = d && timeout_ms > 0 ? d->pub.may_deliver : NULL;
		void *arg = d ? d->pub.gate_arg : NULL;
		pthread_mutex_unlock(&lock);

		/* The gate reads the consumer's state: ask it without our lock.
		 * Frames arrive only while the caller waits: poll(0) just looks. */
		bool open = timeout_ms > 0 && (!gate || gate(arg));
		pthread_mutex_lock(&lock);
		d = dev_by_fd(pfd->fd);
		short ev = d ? poll_once(d, open) : POLLNVAL;
		pthread_mutex_unlock(&lock);
		pfd->revents = ev;
		if (ev)
			return 1;
		if (mono_ns() >= deadline)
			return 0;
		struct timespec ts = {0, 500000};
		nanosleep(&ts, NULL);
	}
}

static int fake_stat(const char *path, struct stat *st)
{
	pthread_mutex_lock(&lock);
	struct fdev *d = dev_by_path(path);
	bool present = d && !d->gone;
	pthread_mutex_unlock(&lock);
	if (!present)
		return fail(ENOENT);
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0660;
	st->st_rdev = (dev_t)(81u << 8 | (unsigned)(d - devs));
	return 0;
}

const struct v4l2_device_ops fake_v4l2_ops = {
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.poll = fake_poll,
	.stat = fake_stat,
};
