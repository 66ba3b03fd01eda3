/* Y4M reader: every 8-bit chroma layout, pipes and standard input, and the
 * header checks that must happen before anything is sized from input. */
#include <errno.h>
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
#include "source.h"

static void put_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static uint8_t luma_at(int frame, int i)
{
	return (uint8_t)(frame * 37 + i * 3 + 1);
}

/* Header "YUV4MPEG2 W H <params>", then n frames: luma from luma_at(), and
 * chroma bytes that differ from any luma the test expects. */
static void build_y4m(struct buf *b, int w, int h, const char *params, size_t chroma, int n,
		      const char *frame_line)
{
	char line[256];

	memset(b, 0, sizeof(*b));
	snprintf(line, sizeof(line), "YUV4MPEG2 W%d H%d%s\n", w, h, params);
	put_str(b, line);
	for (int f = 0; f < n; f++) {
		uint8_t *plane = malloc((size_t)w * h + chroma + 1);

		assert_non_null(plane);
		for (int i = 0; i < w * h; i++)
			plane[i] = luma_at(f, i);
		memset(plane + (size_t)w * h, 0xC0 + f, chroma);
		put_str(b, frame_line);
		buf_put(b, plane, (size_t)w * h + chroma);
		free(plane);
	}
}

static void expect_frame(struct reader *r, int w, int h, int f)
{
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(r->slot.format, FRAME_GRAY);
	assert_int_equal(r->slot.width, w);
	assert_int_equal(r->slot.height, h);
	assert_int_equal(r->slot.len, (size_t)w * h);
	assert_int_equal(r->slot.index, (uint64_t)f);
	for (int i = 0; i < w * h; i++)
		if (r->slot.data[i] != luma_at(f, i))
			fail_msg("frame %d byte %d: %u, expected %u", f, i, r->slot.data[i],
				 luma_at(f, i));
}

/* Odd sizes, so chroma rounding matters. */
#define CW 7
#define CH 5
#define HALF(x) (((x) + 1) / 2)

static void check_chroma_mode(const char *params, size_t chroma)
{
	const struct source_info *info;
	struct reader r;
	struct buf b;

	build_y4m(&b, CW, CH, params, chroma, 5, "FRAME\n");
	reader_open_bytes(&r, b.p, b.len, 0);
	info = source_get_info(r.src);
	assert_string_equal(info->kind, "y4m");
	assert_int_equal(info->format, FRAME_GRAY);
	assert_int_equal(info->width, CW);
	assert_int_equal(info->height, CH);
	assert_int_equal(info->max_frame_bytes, CW * CH);
	assert_true(info->fps == 25.0);
	for (int f = 0; f < 5; f++)
		expect_frame(&r, CW, CH, f);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_c420jpeg(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG", 2 * HALF(CW) * HALF(CH));
}

static void test_c420paldv(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 C420paldv", 2 * HALF(CW) * HALF(CH));
}

static void test_c420mpeg2(void **state)
{
	(void)state;
	check_chroma_mode(" C420mpeg2 F25:1", 2 * HALF(CW) * HALF(CH));
}

static void test_c420(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 C420", 2 * HALF(CW) * HALF(CH));
}

static void test_no_c_tag_means_420(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1", 2 * HALF(CW) * HALF(CH));
}

static void test_c422(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 C422", 2 * HALF(CW) * CH);
}

static void test_c444(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 C444", 2 * CW * CH);
}

static void test_cmono(void **state)
{
	(void)state;
	check_chroma_mode(" F25:1 Cmono", 0);
}

static void test_frame_rate_and_pts(void **state)
{
	struct reader r;
	struct buf b;

	(void)state;
	build_y4m(&b, 4, 4, " F30000:1001", 8, 3, "FRAME\n");
	reader_open_bytes(&r, b.p, b.len, 0);
	{
		double d = source_get_info(r.src)->fps - 30000.0 / 1001;

		assert_true(d < 1e-9 && d > -1e-9);
	}
	expect_frame(&r, 4, 4, 0);
	assert_int_equal(r.slot.pts_ns, 0);
	expect_frame(&r, 4, 4, 1);
	assert_int_equal(r.slot.pts_ns, 33366667);
	reader_close(&r);
	free(b.p);

	build_y4m(&b, 4, 4, " F0:0", 8, 1, "FRAME\n");
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_true(source_get_info(r.src)->fps == 0);
	reader_close(&r);
	free(b.p);
}

static void test_frame_parameters_are_skipped(void **state)
{
	struct reader r;
	struct buf b;

	(void)state;
	build_y4m(&b, CW, CH, " F25:1 C444", 2 * CW * CH, 3, "FRAME Ip XFOO=bar\n");
	reader_open_bytes(&r, b.p, b.len, 0);
	for (int f = 0; f < 3; f++)
		expect_frame(&r, CW, CH, f);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void expect_open_error(const char *header, const char *what)
{
	struct buf b = {0};

	put_str(&b, header);
	put_str(&b, "FRAME\n");
	expect_open_fails(b.p, b.len, -EPROTO, what);
	free(b.p);
}

static void test_huge_dimensions_rejected_before_allocation(void **state)
{
	(void)state;
	expect_open_error("YUV4MPEG2 W100000 H100000 F25:1 C420jpeg\n", "100000x100000");
	expect_open_error("YUV4MPEG2 W8193 H10 F25:1\n", "8193x10 is not within 1..8192");
	expect_open_error("YUV4MPEG2 W99999999999 H10\n", "bad Y4M frame size 'W99999999999'");
	expect_open_error("YUV4MPEG2 W0 H10\n", "0x10 is not within");
	expect_open_error("YUV4MPEG2 W-5 H10\n", "bad Y4M frame size 'W-5'");
	expect_open_error("YUV4MPEG2 H10 F25:1\n", "no frame size");
}

static void test_unsupported_colour_spaces_rejected(void **state)
{
	(void)state;
	expect_open_error("YUV4MPEG2 W16 H16 C444alpha\n", "'C444alpha' is not supported");
	expect_open_error("YUV4MPEG2 W16 H16 C420p10\n", "'C420p10' is not supported");
	expect_open_error("YUV4MPEG2 W16 H16 Cmono16\n", "'Cmono16' is not supported");
	expect_open_error("YUV4MPEG2 W16 H16 C411\n", "not supported");
}

static void test_bad_header_lines_rejected(void **state)
{
	char *big = malloc(8192);

	(void)state;
	expect_open_error("YUV4MPEG2 W16 H16 F25\n", "frame rate");
	/* No newline within the limit. */
	assert_non_null(big);
	memcpy(big, "YUV4MPEG2 W16 H16 X", 19);
	memset(big + 19, 'x', 8192 - 19);
	expect_open_fails(big, 8192, -EPROTO, "not terminated");
	free(big);
}

static void test_bad_frame_marker_is_fatal(void **state)
{
	struct reader r;
	struct buf b;

	(void)state;
	build_y4m(&b, CW, CH, " F25:1", 2 * HALF(CW) * HALF(CH), 3, "FRAME\n");
	/* Damage the second frame's marker. */
	{
		uint8_t *second = memmem(b.p + 20, b.len - 20, "FRAME\n", 6);

		assert_non_null(second);
		second = memmem(second + 6, b.len - (size_t)(second + 6 - b.p), "FRAME\n", 6);
		assert_non_null(second);
		second[4] = 'X';
	}
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, CW, CH, 0);
	assert_int_equal(reader_next(&r), -EPROTO);
	assert_non_null(strstr(r.err, r.path));
	assert_non_null(strstr(r.err, "bad Y4M frame header"));
	reader_close(&r);
	free(b.p);
}

static void test_truncated_frames(void **state)
{
	size_t chroma = 2 * HALF(CW) * HALF(CH), frame = 6 + CW * CH + chroma;
	/* Cut inside: the luma, the chroma, the FRAME line. */
	size_t cuts[] = {frame + 6 + 10, frame + 6 + CW * CH + 3, frame + 3};
	int results[] = {SOURCE_CORRUPT, SOURCE_CORRUPT, SOURCE_EOF};
	struct reader r;
	struct buf b;

	(void)state;
	build_y4m(&b, CW, CH, " F25:1", chroma, 2, "FRAME\n");
	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		size_t header = (size_t)((uint8_t *)memchr(b.p, '\n', b.len) - b.p) + 1;

		reader_open_bytes(&r, b.p, header + cuts[k], 0);
		expect_frame(&r, CW, CH, 0);
		assert_int_equal(reader_next(&r), results[k]);
		assert_int_equal(reader_next(&r), SOURCE_EOF);
		reader_close(&r);
	}
	free(b.p);
}

static void test_slot_too_small_is_corrupt(void **state)
{
	struct reader r;
	struct buf b;

	(void)state;
	build_y4m(&b, CW, CH, " F25:1", 2 * HALF(CW) * HALF(CH), 3, "FRAME\n");
	reader_open_bytes(&r, b.p, b.len, CW * CH - 1);
	for (int f = 0; f < 3; f++)
		assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

/* Frames bigger than a pipe's buffer, so the reader must wait for data. */
#define PW 320
#define PH 240
#define PFRAMES 6

static void read_piped(const char *path)
{
	struct reader r;

	reader_open(&r, path, 0);
	assert_int_equal(source_get_info(r.src)->width, PW);
	for (int f = 0; f < PFRAMES; f++)
		expect_frame(&r, PW, PH, f);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
}

static void test_reads_from_a_pipe(void **state)
{
	struct feeder f;
	struct buf b;

	(void)state;
	build_y4m(&b, PW, PH, " F25:1 C420jpeg", 2 * HALF(PW) * HALF(PH), PFRAMES, "FRAME\n");
	feeder_start(&f, b.p, b.len, 10007);
	read_piped(f.path);
	feeder_join(&f);
	close(f.fd);
	free(b.p);
}

static void test_reads_from_stdin(void **state)
{
	struct feeder f;
	struct buf b;
	int saved;

	(void)state;
	build_y4m(&b, PW, PH, " F25:1 C444", 2 * PW * PH, PFRAMES, "FRAME\n");
	feeder_start(&f, b.p, b.len, 10007);
	saved = stdin_replace(f.fd);
	read_piped("-");
	feeder_join(&f);
	/* The source must leave standard input open. */
	stdin_restore(saved);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c420jpeg),
		cmocka_unit_test(test_c420paldv),
		cmocka_unit_test(test_c420mpeg2),
		cmocka_unit_test(test_c420),
		cmocka_unit_test(test_no_c_tag_means_420),
		cmocka_unit_test(test_c422),
		cmocka_unit_test(test_c444),
		cmocka_unit_test(test_cmono),
		cmocka_unit_test(test_frame_rate_and_pts),
		cmocka_unit_test(test_frame_parameters_are_skipped),
		cmocka_unit_test(test_huge_dimensions_rejected_before_allocation),
		cmocka_unit_test(test_unsupported_colour_spaces_rejected),
		cmocka_unit_test(test_bad_header_lines_rejected),
		cmocka_unit_test(test_bad_frame_marker_is_fatal),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_slot_too_small_is_corrupt),
		cmocka_unit_test(test_reads_from_a_pipe),
		cmocka_unit_test(test_reads_from_stdin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
