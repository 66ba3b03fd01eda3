/* See fuzz_common.h. The input reaches the readers the way a user's file
 * does: by path through source_open, once as a regular file and once as
 * standard input on a pipe, so both of stream.c's ways of skipping are
 * exercised and must agree. Nothing is created per input: one memory file
 * is rewritten, one slot buffer is reused. */
#include "fuzz_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jpeg_util.h"
#include "source.h"

/* The slot: allocated once, and a frame's cap ends exactly at the end of the
 * allocation, so a reader writing past cap hits ASan's redzone. Inputs are
 * far smaller than this (libFuzzer's -max_len), so clamping a source's
 * max_frame_bytes to it changes no outcome: a frame that does not fit could
 * not have been whole anyway. */
#define SLOT_BYTES (4u << 20)

/* One read_frame call, as compared between the file and the pipe run. */
struct rec {
	int rc;
	size_t len;
	uint64_t index;
	uint64_t hash;  /* FNV-1a of the frame bytes */
};

struct run {
	int open_rc;
	struct source_info info;
	struct rec *recs;
	size_t n, cap;
};

static struct run runs[2];
static uint8_t *slot_buf;
static int mem_fd = -1;
static int null_fd = -1;

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

const char *fuzz_memfile(const uint8_t *data, size_t size)
{
	static char path[64];
	size_t done = 0;

	if (mem_fd < 0) {
		mem_fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		FUZZ_CHECK(mem_fd >= 0, "memfd_create: %s", strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mem_fd);
	}
	FUZZ_CHECK(ftruncate(mem_fd, 0) == 0, "ftruncate: %s", strerror(errno));
	while (done < size) {
		ssize_t w = pwrite(mem_fd, data + done, size - done, (off_t)done);

		FUZZ_CHECK(w > 0, "pwrite: %s", strerror(errno));
		done += (size_t)w;
	}
	return path;
}

/* Makes standard input a pipe holding data, its write end closed. Returns
 * false when the pipe cannot hold it all (then the pipe run is skipped). */
static bool stdin_pipe(const uint8_t *data, size_t size)
{
	int fds[2];
	size_t done = 0;

	FUZZ_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
	if (size > 65536) {
		int got = fcntl(fds[1], F_SETPIPE_SZ, (int)size);

		if (got < 0 || (size_t)got < size) {
			close(fds[0]);
			close(fds[1]);
			return false;
		}
	}
	while (done < size) {
		ssize_t w = write(fds[1], data + done, size - done);

		FUZZ_CHECK(w > 0, "write: %s", strerror(errno));
		done += (size_t)w;
	}
	close(fds[1]);
	FUZZ_CHECK(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO, "dup2: %s", strerror(errno));
	close(fds[0]);
	return true;
}

static void stdin_reset(void)
{
	if (null_fd < 0) {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		FUZZ_CHECK(null_fd >= 0, "/dev/null: %s", strerror(errno));
	}
	FUZZ_CHECK(dup2(null_fd, STDIN_FILENO) == STDIN_FILENO, "dup2: %s", strerror(errno));
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

static void record(struct run *r, const struct rec *x)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->recs = realloc(r->recs, r->cap * sizeof(*r->recs));
		FUZZ_CHECK(r->recs != NULL, "out of memory");
	}
	r->recs[r->n++] = *x;
}

static void check_info(const struct source_info *in, const char *kind)
{
	FUZZ_CHECK(in->kind && strcmp(in->kind, kind) == 0, "kind %s, expected %s",
		   in->kind ? in->kind : "(null)", kind);
	FUZZ_CHECK(in->width >= 1 && in->width <= SOURCE_MAX_DIM && in->height >= 1 &&
			   in->height <= SOURCE_MAX_DIM,
		   "size %dx%d", in->width, in->height);
	FUZZ_CHECK(in->max_frame_bytes >= 1 && in->max_frame_bytes <= SOURCE_MAX_FRAME_BYTES,
		   "max_frame_bytes %zu", in->max_frame_bytes);
	FUZZ_CHECK(in->fps == 0 || (isfinite(in->fps) && in->fps >= SOURCE_MIN_FPS &&
				    in->fps <= SOURCE_MAX_FPS),
		   "fps %g", in->fps);
	FUZZ_CHECK(!in->live, "a file source is not live");
	if (in->format == FRAME_GRAY)
		FUZZ_CHECK(in->max_frame_bytes == (size_t)in->width * (size_t)in->height,
			   "gray slot %zu for %dx%d", in->max_frame_bytes, in->width, in->height);
	else
		FUZZ_CHECK(in->format == FRAME_JPEG, "format %d", (int)in->format);
}

/* One pass over the source at path; fills r. */
static void read_all(const char *path, size_t size, const char *kind, struct run *r)
{
	struct source *src = NULL;
	char err[512];
	uint64_t next_index = 0;
	size_t calls = 0;
	int rc;

	r->n = 0;
	memset(&r->info, 0, sizeof(r->info));
	err[0] = '\0';
	r->open_rc = source_open(path, &src, err, sizeof(err));
	if (r->open_rc < 0) {
		FUZZ_CHECK(src == NULL, "failed open leaves no source");
		FUZZ_CHECK(err[0] && strstr(err, path), "open error names the source: '%s'", err);
		return;
	}
	FUZZ_CHECK(r->open_rc == 0 && src != NULL, "open rc %d", r->open_rc);
	r->info = *source_get_info(src);
	check_info(&r->info, kind);

	for (;;) {
		size_t cap = r->info.max_frame_bytes < SLOT_BYTES ? r->info.max_frame_bytes : SLOT_BYTES;
		struct frame slot = {.data = slot_buf + SLOT_BYTES - cap, .cap = cap};
		struct rec x = {0};

		/* Every call but the last consumes at least one byte. */
		FUZZ_CHECK(++calls <= size + 2, "no progress after %zu calls on %zu bytes", calls,
			   size);
		err[0] = '\0';
		rc = source_read_frame(src, &slot, err, sizeof(err));
		x.rc = rc;
		if (rc == 0) {
			FUZZ_CHECK(slot.len >= 1 && slot.len <= slot.cap, "len %zu cap %zu", slot.len,
				   slot.cap);
			FUZZ_CHECK(slot.index >= next_index, "index %llu after %llu",
				   (unsigned long long)slot.index, (unsigned long long)next_index);
			FUZZ_CHECK(slot.format == r->info.format && slot.width == r->info.width &&
					   slot.height == r->info.height,
				   "frame %dx%d format %d", slot.width, slot.height, (int)slot.format);
			if (slot.format == FRAME_JPEG)
				FUZZ_CHECK(jpeg_check(slot.data, slot.len), "frame is not SOI..EOI");
			else
				FUZZ_CHECK(slot.len == (size_t)slot.width * (size_t)slot.height,
					   "gray frame of %zu bytes", slot.len);
			next_index = slot.index + 1;
			x.len = slot.len;
			x.index = slot.index;
			x.hash = fnv1a(slot.data, slot.len);
		} else if (rc == SOURCE_CORRUPT || rc == SOURCE_EOF) {
			FUZZ_CHECK(slot.len == 0, "rc %d with len %zu", rc, slot.len);
		} else {
			FUZZ_CHECK(rc < 0, "unknown rc %d", rc);
			FUZZ_CHECK(err[0] && strstr(err, path), "read error names the source: '%s'",
				   err);
		}
		record(r, &x);
		if (rc != 0 && rc != SOURCE_CORRUPT)
			break;
	}
	/* The end stays the end. */
	if (rc == SOURCE_EOF) {
		struct frame slot = {.data = slot_buf, .cap = SLOT_BYTES};

		rc = source_read_frame(src, &slot, err, sizeof(err));
		FUZZ_CHECK(rc == SOURCE_EOF, "read after EOF gave %d", rc);
	}
	source_close(src);
}

static bool same_info(const struct source_info *a, const struct source_info *b)
{
	return (a->kind == b->kind || (a->kind && b->kind && strcmp(a->kind, b->kind) == 0)) &&
	       a->format == b->format && a->width == b->width && a->height == b->height &&
	       a->fps == b->fps && a->max_frame_bytes == b->max_frame_bytes && a->live == b->live;
}

void fuzz_source(const uint8_t *data, size_t size, const char *kind)
{
	if (!slot_buf) {
		slot_buf = malloc(SLOT_BYTES);
		FUZZ_CHECK(slot_buf != NULL, "out of memory");
	}
	read_all(fuzz_memfile(data, size), size, kind, &runs[0]);
	if (!stdin_pipe(data, size))
		return;
	read_all("-", size, kind, &runs[1]);
	stdin_reset();

	/* A pipe is read, a file is seeked: the frames must be the same. */
	FUZZ_CHECK(runs[0].open_rc == runs[1].open_rc, "open: file %d, pipe %d", runs[0].open_rc,
		   runs[1].open_rc);
	FUZZ_CHECK(same_info(&runs[0].info, &runs[1].info), "file and pipe headers differ");
	FUZZ_CHECK(runs[0].n == runs[1].n, "file gave %zu results, pipe %zu", runs[0].n, runs[1].n);
	for (size_t i = 0; i < runs[0].n; i++) {
		const struct rec *a = &runs[0].recs[i], *b = &runs[1].recs[i];

		FUZZ_CHECK(a->rc == b->rc && a->len == b->len && a->index == b->index &&
				   a->hash == b->hash,
			   "call %zu: file rc %d len %zu index %llu, pipe rc %d len %zu index %llu", i,
			   a->rc, a->len, (unsigned long long)a->index, b->rc, b->len,
			   (unsigned long long)b->index);
	}
}
