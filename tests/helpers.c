/* Helpers shared by the source-layer tests; see helpers.h. */
#include "helpers.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <turbojpeg.h>

void buf_put(struct buf *b, const void *src, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

void buf_put_le32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	buf_put(b, le, 4);
}

struct jpeg make_jpeg(int w, int h, int seed, int flags)
{
	tjhandle tj = tjInitCompress();
	uint8_t *rgb = malloc((size_t)w * h * 3);
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct jpeg j;

	assert_non_null(tj);
	assert_non_null(rgb);
	for (int i = 0; i < w * h * 3; i++)
		rgb[i] = (uint8_t)(i * 7 + seed * 31 + (i / (w * 3)) * seed);
	assert_int_equal(tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &outlen, TJSAMP_420, 80,
				     flags), 0);
	/* A copy, so the caller frees it with free() rather than tjFree(). */
	j.len = outlen;
	j.p = malloc(j.len);
	assert_non_null(j.p);
	memcpy(j.p, out, j.len);
	tjFree(out);
	tjDestroy(tj);
	free(rgb);
	return j;
}

char *temp_write(const void *data, size_t n, const char *suffix)
{
	char *path = malloc(64);
	int fd;

	assert_non_null(path);
	assert_true(snprintf(path, 64, "/tmp/turnstile-test-XXXXXX%s", suffix) < 64);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

void temp_remove(char *path)
{
	unlink(path);
	free(path);
}

void expect_open_fails(const void *data, size_t n, int rc, const char *what)
{
	struct source *src = NULL;
	char err[256];
	char *path = temp_write(data, n, "");

	assert_int_equal(source_open(path, &src, err, sizeof(err)), rc);
	assert_null(src);
	assert_non_null(strstr(err, path));
	if (!strstr(err, what))
		fail_msg("error '%s' does not say '%s'", err, what);
	temp_remove(path);
}

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	while (off < f->len) {
		size_t n = f->len - off < f->chunk ? f->len - off : f->chunk;
		ssize_t w = write(f->write_fd, f->p + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(f->write_fd);
	return NULL;
}

void feeder_start(struct feeder *f, const void *data, size_t len, size_t chunk)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	memset(f, 0, sizeof(*f));
	f->fd = fds[0];
	f->write_fd = fds[1];
	f->p = data;
	f->len = len;
	f->chunk = chunk;
	snprintf(f->path, sizeof(f->path), "/dev/fd/%d", f->fd);
	assert_int_equal(pthread_create(&f->thread, NULL, feed, f), 0);
}

void feeder_join(struct feeder *f)
{
	pthread_join(f->thread, NULL);
}

int stdin_replace(int fd)
{
	int saved = dup(STDIN_FILENO);

	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	return saved;
}

void stdin_restore(int saved)
{
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

void reader_open(struct reader *r, const char *path, size_t cap)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(source_open(path, &r->src, r->err, sizeof(r->err)), 0);
	r->slot.cap = cap ? cap : source_get_info(r->src)->max_frame_bytes;
	r->slot.data = malloc(r->slot.cap);
	assert_non_null(r->slot.data);
}

void reader_open_bytes(struct reader *r, const void *data, size_t n, size_t cap)
{
	char *path = temp_write(data, n, "");

	reader_open(r, path, cap);
	r->path = path;
}

int reader_next(struct reader *r)
{
	return source_read_frame(r->src, &r->slot, r->err, sizeof(r->err));
}

void reader_close(struct reader *r)
{
	source_close(r->src);
	free(r->slot.data);
	if (r->path)
		temp_remove(r->path);
}
