/* source.c (open errors, sniffing, frame numbering) and the stream reader
 * under it, on regular files and on pipes. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "stream.h"
#include "turnstile/source.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *src, size_t n)
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

static void put32(struct buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	put(b, le, 4);
}

static void put_zeros(struct buf *b, size_t n)
{
	static const uint8_t zeros[64];

	assert_true(n <= sizeof(zeros));
	put(b, zeros, n);
}

struct jpeg {
	uint8_t *p;
	size_t len;
};

static struct jpeg make_jpeg(int w, int h, int seed)
{
	tjhandle tj = tjInitCompress();
	uint8_t *rgb = malloc((size_t)w * h * 3);
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct jpeg j;

	assert_non_null(tj);
	assert_non_null(rgb);
	for (int i = 0; i < w * h * 3; i++)
		rgb[i] = (uint8_t)(i * 5 + seed * 17);
	assert_int_equal(tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &out, &outlen, TJSAMP_420, 75, 0), 0);
	j.len = outlen;
	j.p = malloc(j.len);
	assert_non_null(j.p);
	memcpy(j.p, out, j.len);
	tjFree(out);
	tjDestroy(tj);
	free(rgb);
	return j;
}

/* The smallest AVI that names an MJPEG stream: RIFF, hdrl (avih, strl with
 * strh and strf), movi with one 00dc chunk. */
static void build_min_avi(struct buf *b, const struct jpeg *j)
{
	size_t movi_len = 4 + 8 + j->len + (j->len & 1);

	memset(b, 0, sizeof(*b));
	put(b, "RIFF", 4);
	put32(b, (uint32_t)(4 + 8 + 4 + 64 + 4 + 8 + 64 + 48 + 8 + movi_len));
	put(b, "AVI LIST", 8);
	put32(b, 4 + 64 + 4 + 8 + 64 + 48);
	put(b, "hdrlavih", 8);
	put32(b, 56);
	put32(b, 40000);
	put_zeros(b, 28);
	put32(b, 32);
	put32(b, 16);
	put_zeros(b, 16);
	put(b, "LIST", 4);
	put32(b, 4 + 64 + 48);
	put(b, "strlstrh", 8);
	put32(b, 56);
	put(b, "vidsMJPG", 8);
	put_zeros(b, 12);
	put32(b, 1);            /* scale */
	put32(b, 25);           /* rate */
	put_zeros(b, 28);
	put(b, "strf", 4);
	put32(b, 40);
	put32(b, 40);
	put32(b, 32);
	put32(b, 16);
	put32(b, 0x00180001);
	put(b, "MJPG", 4);
	put_zeros(b, 20);
	put(b, "LIST", 4);
	put32(b, (uint32_t)movi_len);
	put(b, "movi00dc", 8);
	put32(b, (uint32_t)j->len);
	put(b, j->p, j->len);
	if (j->len & 1)
		put_zeros(b, 1);
}

static char *write_temp(const void *data, size_t n, const char *suffix)
{
	char *path = malloc(64);
	int fd;

	assert_non_null(path);
	snprintf(path, 64, "/tmp/turnstile-src-XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	if (n > 0)
		assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void remove_temp(char *path)
{
	unlink(path);
	free(path);
}

static struct jpeg jpegs[3];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		jpegs[i] = make_jpeg(32, 16, i);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		free(jpegs[i].p);
	return 0;
}

/* ---- source_open errors ---- */

static void test_missing_file(void **state)
{
	struct source *src = (struct source *)1;
	char err[256];

	(void)state;
	assert_int_equal(source_open("/nonexistent/x.avi", &src, err, sizeof(err)), -ENOENT);
	assert_null(src);
	assert_string_equal(err, "cannot open '/nonexistent/x.avi': No such file or directory");
}

static void test_directory(void **state)
{
	struct source *src = NULL;
	char err[256];

	(void)state;
	assert_int_equal(source_open("/tmp", &src, err, sizeof(err)), -EISDIR);
	assert_null(src);
	assert_non_null(strstr(err, "'/tmp'"));
}

static void test_empty_file(void **state)
{
	struct source *src = NULL;
	char err[256], want[128];
	char *path = write_temp(NULL, 0, ".avi");

	(void)state;
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -ENODATA);
	assert_null(src);
	snprintf(want, sizeof(want), "'%s': empty file", path);
	assert_string_equal(err, want);
	remove_temp(path);
}

static void test_empty_stdin(void **state)
{
	struct source *src = NULL;
	char err[256];
	int fds[2], saved;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	assert_int_equal(source_open("-", &src, err, sizeof(err)), -ENODATA);
	assert_string_equal(err, "'-': empty file");
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

static void expect_not_a_stream(const void *data, size_t n)
{
	struct source *src = NULL;
	char err[256], want[128];
	char *path = write_temp(data, n, ".avi");

	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	snprintf(want, sizeof(want), "'%s': not an AVI, MJPEG or Y4M stream", path);
	assert_string_equal(err, want);
	remove_temp(path);
}

static void test_garbage_is_not_a_stream(void **state)
{
	uint8_t noise[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (uint8_t)(i * 151 + 7);
	expect_not_a_stream(noise, sizeof(noise));
	expect_not_a_stream("x", 1);
	expect_not_a_stream("RIFF\0\0\0\0WAVEfmt ", 16);      /* RIFF, but not AVI */
	expect_not_a_stream("RIFF", 4);
	expect_not_a_stream("YUV4MPEG2", 9);
	expect_not_a_stream("\xFF\xD8", 2);
	expect_not_a_stream("GIF89a", 6);
}

static void test_error_text_is_bounded(void **state)
{
	struct source *src = NULL;
	char err[12];

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(source_open("/nonexistent/x.avi", &src, err, sizeof(err)), -ENOENT);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(source_open("/nonexistent/x.avi", &src, NULL, 0), -ENOENT);
}

/* ---- sniffing and numbering ---- */

static const char *kind_of(const void *data, size_t n, const char *suffix)
{
	struct source *src = NULL;
	static char kind[16];
	char err[256];
	char *path = write_temp(data, n, suffix);
	struct frame slot = {0};

	assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
	snprintf(kind, sizeof(kind), "%s", source_get_info(src)->kind);
	slot.cap = source_get_info(src)->max_frame_bytes;
	slot.data = malloc(slot.cap);
	assert_non_null(slot.data);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_EOF);
	free(slot.data);
	source_close(src);
	remove_temp(path);
	return kind;
}

static void test_sniffs_content_not_name(void **state)
{
	static const char y4m[] = "YUV4MPEG2 W2 H2 F25:1 Cmono\nFRAME\nabcd";
	struct buf avi;

	(void)state;
	build_min_avi(&avi, &jpegs[0]);
	assert_string_equal(kind_of(avi.p, avi.len, ".y4m"), "avi");
	assert_string_equal(kind_of(avi.p, avi.len, ".mjpeg"), "avi");
	assert_string_equal(kind_of(y4m, sizeof(y4m) - 1, ".avi"), "y4m");
	assert_string_equal(kind_of(jpegs[0].p, jpegs[0].len, ".y4m"), "mjpeg");
	assert_string_equal(kind_of(jpegs[0].p, jpegs[0].len, ""), "mjpeg");
	free(avi.p);
}

static void test_index_and_pts(void **state)
{
	struct source *src;
	struct frame slot = {0};
	struct buf b = {0};
	char err[256];
	char *path;

	(void)state;
	put(&b, "YUV4MPEG2 W2 H2 F10:1 Cmono\n", 28);
	for (int i = 0; i < 4; i++)
		put(&b, "FRAME\nabcd", 10);
	path = write_temp(b.p, b.len, "");
	assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
	slot.cap = 4;
	slot.data = malloc(4);
	assert_non_null(slot.data);
	for (int i = 0; i < 4; i++) {
		slot.index = 99;
		assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
		assert_int_equal(slot.index, (uint64_t)i);
		assert_int_equal(slot.pts_ns, (int64_t)i * 100000000);
		assert_int_equal(slot.len, 4);
		assert_memory_equal(slot.data, "abcd", 4);
	}
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_EOF);
	assert_int_equal(slot.len, 0);
	source_close(src);
	remove_temp(path);
	free(slot.data);
	free(b.p);
}

static void test_corrupt_frame_uses_an_index_garbage_does_not(void **state)
{
	struct source *src;
	struct frame slot = {0};
	struct buf b = {0};
	char err[256];
	char *path;

	(void)state;
	put(&b, jpegs[0].p, jpegs[0].len);
	put(&b, jpegs[1].p, jpegs[1].len - 2);                  /* no EOI */
	put(&b, jpegs[2].p, jpegs[2].len);
	put(&b, "garbage", 7);
	put(&b, jpegs[0].p, jpegs[0].len);
	path = write_temp(b.p, b.len, "");
	assert_int_equal(source_open(path, &src, err, sizeof(err)), 0);
	slot.cap = source_get_info(src)->max_frame_bytes;
	slot.data = malloc(slot.cap);
	assert_non_null(slot.data);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
	assert_int_equal(slot.index, 0);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_CORRUPT);
	assert_int_equal(slot.len, 0);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
	assert_int_equal(slot.index, 2);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_CORRUPT);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
	assert_int_equal(slot.index, 3);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_EOF);
	source_close(src);
	remove_temp(path);
	free(slot.data);
	free(b.p);
}

/* On a live pipe a frame must come out as soon as its last byte is in:
 * no reader may wait for look-ahead past it. Such a wait would block for
 * ever, so an alarm turns it into a failure (SIGALRM ends the test). Standard
 * input is also left non-blocking, as a parent process may leave it, which
 * the stream must wait out rather than fail on. */
static void check_live(const struct buf *head, const struct buf *more, int n_more,
		       const char *kind)
{
	struct source *src = NULL;
	struct frame slot = {0};
	char err[256];
	int fds[2], saved;

	assert_int_equal(pipe(fds), 0);
	saved = dup(STDIN_FILENO);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	close(fds[0]);
	assert_int_equal(fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK), 0);

	assert_int_equal(write(fds[1], head->p, head->len), (ssize_t)head->len);
	alarm(10);
	assert_int_equal(source_open("-", &src, err, sizeof(err)), 0);
	assert_string_equal(source_get_info(src)->kind, kind);
	slot.cap = source_get_info(src)->max_frame_bytes;
	slot.data = malloc(slot.cap);
	assert_non_null(slot.data);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
	assert_int_equal(slot.index, 0);
	for (int i = 0; i < n_more; i++) {
		assert_int_equal(write(fds[1], more[i].p, more[i].len), (ssize_t)more[i].len);
		assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), 0);
		assert_int_equal(slot.index, (uint64_t)i + 1);
	}
	close(fds[1]);
	assert_int_equal(source_read_frame(src, &slot, err, sizeof(err)), SOURCE_EOF);
	alarm(0);
	source_close(src);
	free(slot.data);
	assert_int_equal(fcntl(STDIN_FILENO, F_SETFL, 0), 0);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
}

static void test_live_pipe_frames_are_not_held_back(void **state)
{
	struct buf head = {0}, more[2] = {{0}, {0}};

	(void)state;
	/* AVI: header and first chunk, then one chunk per write. */
	build_min_avi(&head, &jpegs[0]);
	for (int i = 0; i < 2; i++) {
		put(&more[i], "00dc", 4);
		put32(&more[i], (uint32_t)jpegs[i + 1].len);
		put(&more[i], jpegs[i + 1].p, jpegs[i + 1].len);
		if (jpegs[i + 1].len & 1)
			put_zeros(&more[i], 1);
	}
	check_live(&head, more, 2, "avi");
	free(head.p);
	for (int i = 0; i < 2; i++) {
		free(more[i].p);
		more[i] = (struct buf){0};
	}

	/* MJPEG: one JPEG per write. */
	head = (struct buf){0};
	put(&head, jpegs[0].p, jpegs[0].len);
	for (int i = 0; i < 2; i++)
		put(&more[i], jpegs[i + 1].p, jpegs[i + 1].len);
	check_live(&head, more, 2, "mjpeg");
	free(head.p);
	for (int i = 0; i < 2; i++) {
		free(more[i].p);
		more[i] = (struct buf){0};
	}

	/* Y4M: tiny frames, smaller than any look-ahead window. */
	head = (struct buf){0};
	put(&head, "YUV4MPEG2 W2 H2 F25:1 C420jpeg\nFRAME\nabcdef", 43);
	put(&more[0], "FRAME Ip\nghijkl", 15);
	put(&more[1], "FRAME\nmnopqr", 12);
	check_live(&head, more, 2, "y4m");
	free(head.p);
	for (int i = 0; i < 2; i++)
		free(more[i].p);
}

static void test_close_null(void **state)
{
	(void)state;
	source_close(NULL);
	stream_close(NULL);
}

/* ---- stream ---- */

#define BIG (1u << 20)

static uint8_t byte_at(uint64_t i)
{
	return (uint8_t)(i * 31 + (i >> 8) + (i >> 16));
}

static uint8_t *big_data(void)
{
	uint8_t *p = malloc(BIG);

	assert_non_null(p);
	for (uint64_t i = 0; i < BIG; i++)
		p[i] = byte_at(i);
	return p;
}

/* The same walk over any kind of fd: peek, read small and large, skip small
 * and large, and run off the end. */
static void walk_stream(struct stream *s)
{
	uint8_t *dst = malloc(STREAM_BUF_SIZE + 5000);
	const uint8_t *p;
	uint64_t at = 0;

	assert_non_null(dst);
	assert_int_equal(stream_peek(s, 4, &p), 4);
	assert_int_equal(p[3], byte_at(3));
	assert_int_equal(stream_pos(s), 0);
	assert_int_equal(stream_read(s, dst, 10), 10);
	at = 10;
	assert_int_equal(dst[9], byte_at(9));
	assert_int_equal(stream_skip(s, 1000), 1000);
	at += 1000;
	assert_int_equal(stream_pos(s), at);
	/* A peek larger than the buffer is clamped. */
	assert_int_equal(stream_peek(s, STREAM_BUF_SIZE + 10, &p), STREAM_BUF_SIZE);
	assert_int_equal(p[0], byte_at(at));
	assert_int_equal(p[STREAM_BUF_SIZE - 1], byte_at(at + STREAM_BUF_SIZE - 1));
	/* A read larger than the buffer. */
	assert_int_equal(stream_read(s, dst, STREAM_BUF_SIZE + 5000), STREAM_BUF_SIZE + 5000);
	for (size_t i = 0; i < STREAM_BUF_SIZE + 5000; i += 4099)
		assert_int_equal(dst[i], byte_at(at + i));
	at += STREAM_BUF_SIZE + 5000;
	/* A skip larger than the buffer. */
	assert_int_equal(stream_skip(s, STREAM_BUF_SIZE + 77), STREAM_BUF_SIZE + 77);
	at += STREAM_BUF_SIZE + 77;
	assert_int_equal(stream_read(s, dst, 3), 3);
	assert_int_equal(dst[0], byte_at(at));
	at += 3;
	assert_int_equal(stream_pos(s), at);
	/* Off the end: short counts, then nothing. */
	assert_int_equal(stream_skip(s, BIG), BIG - at);
	assert_int_equal(stream_pos(s), BIG);
	assert_int_equal(stream_peek(s, 8, &p), 0);
	assert_int_equal(stream_read(s, dst, 8), 0);
	assert_int_equal(stream_skip(s, 8), 0);
	free(dst);
}

static void test_stream_on_a_file(void **state)
{
	uint8_t *data = big_data();
	char *path = write_temp(data, BIG, "");
	struct stream *s;

	(void)state;
	assert_int_equal(stream_open(path, &s), 0);
	walk_stream(s);
	stream_close(s);

	/* Short read at the end of a file. */
	assert_int_equal(stream_open(path, &s), 0);
	assert_int_equal(stream_skip(s, BIG - 5), BIG - 5);
	{
		uint8_t dst[16];

		assert_int_equal(stream_read(s, dst, sizeof(dst)), 5);
		assert_int_equal(dst[4], byte_at(BIG - 1));
	}
	stream_close(s);
	remove_temp(path);
	free(data);
}

struct feeder {
	int fd;
	const uint8_t *p;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0;

	while (off < f->len) {
		size_t n = f->len - off < 5003 ? f->len - off : 5003;
		ssize_t w = write(f->fd, f->p + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(f->fd);
	return NULL;
}

static void test_stream_on_a_pipe(void **state)
{
	uint8_t *data = big_data();
	struct stream *s;
	struct feeder f;
	pthread_t th;
	char path[32];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	f = (struct feeder){.fd = fds[1], .p = data, .len = BIG};
	assert_int_equal(pthread_create(&th, NULL, feed, &f), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	assert_int_equal(stream_open(path, &s), 0);
	walk_stream(s);
	stream_close(s);
	pthread_join(th, NULL);
	close(fds[0]);
	free(data);
}

static void test_stream_stdin_is_left_open(void **state)
{
	struct stream *s;

	(void)state;
	assert_int_equal(stream_open("-", &s), 0);
	stream_close(s);
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
	assert_int_equal(stream_open("/nonexistent", &s), -ENOENT);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_empty_stdin),
		cmocka_unit_test(test_garbage_is_not_a_stream),
		cmocka_unit_test(test_error_text_is_bounded),
		cmocka_unit_test(test_sniffs_content_not_name),
		cmocka_unit_test(test_index_and_pts),
		cmocka_unit_test(test_corrupt_frame_uses_an_index_garbage_does_not),
		cmocka_unit_test(test_live_pipe_frames_are_not_held_back),
		cmocka_unit_test(test_close_null),
		cmocka_unit_test(test_stream_on_a_file),
		cmocka_unit_test(test_stream_on_a_pipe),
		cmocka_unit_test(test_stream_stdin_is_left_open),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
