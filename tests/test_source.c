/* source.c (open errors, sniffing, frame numbering) and the stream reader
 * under it, on regular files and on pipes. */
#include <errno.h>
#include <fcntl.h>
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

#include "helpers.h"
#include "stream.h"
#include "source.h"

static void put_zeros(struct buf *b, size_t n)
{
	static const uint8_t zeros[64];

	assert_true(n <= sizeof(zeros));
	buf_put(b, zeros, n);
}

/* The smallest AVI that names an MJPEG stream: RIFF, hdrl (avih, strl with
 * strh and strf), movi with one 00dc chunk. */
static void build_min_avi(struct buf *b, const struct jpeg *j)
{
	size_t movi_len = 4 + 8 + j->len + (j->len & 1);

	memset(b, 0, sizeof(*b));
	buf_put(b, "RIFF", 4);
	buf_put_le32(b, (uint32_t)(4 + 8 + 4 + 64 + 4 + 8 + 64 + 48 + 8 + movi_len));
	buf_put(b, "AVI LIST", 8);
	buf_put_le32(b, 4 + 64 + 4 + 8 + 64 + 48);
	buf_put(b, "hdrlavih", 8);
	buf_put_le32(b, 56);
	buf_put_le32(b, 40000);
	put_zeros(b, 28);
	buf_put_le32(b, 32);
	buf_put_le32(b, 16);
	put_zeros(b, 16);
	buf_put(b, "LIST", 4);
	buf_put_le32(b, 4 + 64 + 48);
	buf_put(b, "strlstrh", 8);
	buf_put_le32(b, 56);
	buf_put(b, "vidsMJPG", 8);
	put_zeros(b, 12);
	buf_put_le32(b, 1);            /* scale */
	buf_put_le32(b, 25);           /* rate */
	put_zeros(b, 28);
	buf_put(b, "strf", 4);
	buf_put_le32(b, 40);
	buf_put_le32(b, 40);
	buf_put_le32(b, 32);
	buf_put_le32(b, 16);
	buf_put_le32(b, 0x00180001);
	buf_put(b, "MJPG", 4);
	put_zeros(b, 20);
	buf_put(b, "LIST", 4);
	buf_put_le32(b, (uint32_t)movi_len);
	buf_put(b, "movi00dc", 8);
	buf_put_le32(b, (uint32_t)j->len);
	buf_put(b, j->p, j->len);
	if (j->len & 1)
		put_zeros(b, 1);
}

static struct jpeg jpegs[3];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		jpegs[i] = make_jpeg(32, 16, i, 0);
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
	char *path = temp_write(NULL, 0, ".avi");

	(void)state;
	assert_int_equal(source_open(path, &src, err, sizeof(err)), -ENODATA);
	assert_null(src);
	snprintf(want, sizeof(want), "'%s': empty file", path);
	assert_string_equal(err, want);
	temp_remove(path);
}

static void test_empty_stdin(void **state)
{
	struct source *src = NULL;
	char err[256];
	int fds[2], saved;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	saved = stdin_replace(fds[0]);
	assert_int_equal(source_open("-", &src, err, sizeof(err)), -ENODATA);
	assert_string_equal(err, "'-': empty file");
	stdin_restore(saved);
}

static void expect_not_a_stream(const void *data, size_t n)
{
	struct source *src = NULL;
	char err[256], want[128];
	char *path = temp_write(data, n, ".avi");

	assert_int_equal(source_open(path, &src, err, sizeof(err)), -EPROTO);
	assert_null(src);
	/* Then FFmpeg's reason, which varies with what it took the bytes for. */
	snprintf(want, sizeof(want), "'%s': not an AVI, MJPEG or Y4M stream, nor one FFmpeg reads: ",
		 path);
	assert_memory_equal(err, want, strlen(want));
	temp_remove(path);
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
	static char kind[16];
	char *path = temp_write(data, n, suffix);
	struct reader r;

	reader_open(&r, path, 0);
	snprintf(kind, sizeof(kind), "%s", source_get_info(r.src)->kind);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	temp_remove(path);
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
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, "YUV4MPEG2 W2 H2 F10:1 Cmono\n", 28);
	for (int i = 0; i < 4; i++)
		buf_put(&b, "FRAME\nabcd", 10);
	reader_open_bytes(&r, b.p, b.len, 4);
	for (int i = 0; i < 4; i++) {
		r.slot.index = 99;
		assert_int_equal(reader_next(&r), 0);
		assert_int_equal(r.slot.index, (uint64_t)i);
		assert_int_equal(r.slot.pts_ns, (int64_t)i * 100000000);
		assert_int_equal(r.slot.len, 4);
		assert_memory_equal(r.slot.data, "abcd", 4);
	}
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	assert_int_equal(r.slot.len, 0);
	reader_close(&r);
	free(b.p);
}

static void test_corrupt_frame_uses_an_index_garbage_does_not(void **state)
{
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, jpegs[0].p, jpegs[0].len);
	buf_put(&b, jpegs[1].p, jpegs[1].len - 2);              /* no EOI */
	buf_put(&b, jpegs[2].p, jpegs[2].len);
	buf_put(&b, "garbage", 7);
	buf_put(&b, jpegs[0].p, jpegs[0].len);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.index, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(r.slot.len, 0);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.index, 2);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.index, 3);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
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
	struct reader r;
	int fds[2], saved;

	assert_int_equal(pipe(fds), 0);
	saved = stdin_replace(fds[0]);
	assert_int_equal(fcntl(STDIN_FILENO, F_SETFL, O_NONBLOCK), 0);

	assert_int_equal(write(fds[1], head->p, head->len), (ssize_t)head->len);
	alarm(10);
	reader_open(&r, "-", 0);
	assert_string_equal(source_get_info(r.src)->kind, kind);
	assert_int_equal(reader_next(&r), 0);
	assert_int_equal(r.slot.index, 0);
	for (int i = 0; i < n_more; i++) {
		assert_int_equal(write(fds[1], more[i].p, more[i].len), (ssize_t)more[i].len);
		assert_int_equal(reader_next(&r), 0);
		assert_int_equal(r.slot.index, (uint64_t)i + 1);
	}
	close(fds[1]);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	alarm(0);
	reader_close(&r);
	assert_int_equal(fcntl(STDIN_FILENO, F_SETFL, 0), 0);
	stdin_restore(saved);
}

static void test_live_pipe_frames_are_not_held_back(void **state)
{
	struct buf head = {0}, more[2] = {{0}, {0}};

	(void)state;
	/* AVI: header and first chunk, then one chunk per write. */
	build_min_avi(&head, &jpegs[0]);
	for (int i = 0; i < 2; i++) {
		buf_put(&more[i], "00dc", 4);
		buf_put_le32(&more[i], (uint32_t)jpegs[i + 1].len);
		buf_put(&more[i], jpegs[i + 1].p, jpegs[i + 1].len);
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
	buf_put(&head, jpegs[0].p, jpegs[0].len);
	for (int i = 0; i < 2; i++)
		buf_put(&more[i], jpegs[i + 1].p, jpegs[i + 1].len);
	check_live(&head, more, 2, "mjpeg");
	free(head.p);
	for (int i = 0; i < 2; i++) {
		free(more[i].p);
		more[i] = (struct buf){0};
	}

	/* Y4M: tiny frames, smaller than any look-ahead window. */
	head = (struct buf){0};
	buf_put(&head, "YUV4MPEG2 W2 H2 F25:1 C420jpeg\nFRAME\nabcdef", 43);
	buf_put(&more[0], "FRAME Ip\nghijkl", 15);
	buf_put(&more[1], "FRAME\nmnopqr", 12);
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
	char *path = temp_write(data, BIG, "");
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
	temp_remove(path);
	free(data);
}

static void test_stream_on_a_pipe(void **state)
{
	uint8_t *data = big_data();
	struct stream *s;
	struct feeder f;

	(void)state;
	feeder_start(&f, data, BIG, 5003);
	assert_int_equal(stream_open(f.path, &s), 0);
	walk_stream(s);
	stream_close(s);
	feeder_join(&f);
	close(f.fd);
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
