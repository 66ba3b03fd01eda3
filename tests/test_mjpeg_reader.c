/* Raw MJPEG reader and the JPEG marker helpers it splits frames with. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <turbojpeg.h>

#include "helpers.h"
#include "jpeg_util.h"
#include "source.h"

#define W 64
#define H 48

/* A JPEG with an EXIF-like APP1 that holds a whole thumbnail JPEG, FF D9
 * and all, right after the SOI. */
static struct jpeg with_thumbnail(const struct jpeg *main, const struct jpeg *thumb)
{
	size_t seglen = 2 + 6 + thumb->len;
	struct buf b = {0};
	uint8_t hdr[4] = {0xFF, 0xE1, (uint8_t)(seglen >> 8), (uint8_t)seglen};
	struct jpeg j;

	assert_true(seglen < 65536);
	buf_put(&b, main->p, 2);
	buf_put(&b, hdr, 4);
	buf_put(&b, "Exif\0\0", 6);
	buf_put(&b, thumb->p, thumb->len);
	buf_put(&b, main->p + 2, main->len - 2);
	j.p = b.p;
	j.len = b.len;
	return j;
}

/* Not decodable, but every marker rule the splitter needs: stuffed FF 00,
 * restart markers inside the scan, and fill bytes before EOI. */
static const uint8_t handmade[] = {
	0xFF, 0xD8,
	0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, H, 0x00, W, 0x01, 0x01, 0x11, 0x00,
	0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00,
	0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0xFF, 0x00, 0xFF, 0xD1, 0x9A,
	0xFF, 0xFF, 0xD9,
};

static void expect_frame(struct reader *r, const void *p, size_t len, uint64_t index)
{
	assert_int_equal(reader_next(r), 0);
	assert_int_equal(r->slot.len, len);
	assert_memory_equal(r->slot.data, p, len);
	assert_int_equal(r->slot.format, FRAME_JPEG);
	assert_int_equal(r->slot.index, index);
}

#define NFRAMES 4
static struct jpeg frames[NFRAMES];

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < NFRAMES; i++)
		frames[i] = make_jpeg(W, H, i + 1, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NFRAMES; i++)
		free(frames[i].p);
	return 0;
}

/* ---- jpeg_util ---- */

static void test_jpeg_check(void **state)
{
	uint8_t *p = calloc(1, frames[0].len + 8);

	(void)state;
	assert_non_null(p);
	memcpy(p, frames[0].p, frames[0].len);
	assert_true(jpeg_check(p, frames[0].len));
	assert_true(jpeg_check(p, frames[0].len + 8));          /* zero padding */
	assert_false(jpeg_check(p, frames[0].len - 1));         /* EOI cut */
	assert_false(jpeg_check(p + 1, frames[0].len - 1));     /* no SOI */
	assert_false(jpeg_check(p, 3));
	assert_false(jpeg_check(p, 0));
	p[frames[0].len + 2] = 0x55;                            /* padding not zero */
	assert_false(jpeg_check(p, frames[0].len + 8));
	free(p);
}

static void test_jpeg_parse_size(void **state)
{
	struct jpeg prog = make_jpeg(W * 2, H, 5, TJFLAG_PROGRESSIVE);
	int w = 0, h = 0;

	(void)state;
	assert_int_equal(jpeg_parse_size(frames[0].p, frames[0].len, &w, &h), 0);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	assert_int_equal(jpeg_parse_size(prog.p, prog.len, &w, &h), 0);     /* SOF2 */
	assert_int_equal(w, W * 2);
	assert_int_equal(h, H);
	assert_int_equal(jpeg_parse_size(handmade, sizeof(handmade), &w, &h), 0);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	assert_int_equal(jpeg_parse_size(frames[0].p, 10, &w, &h), -EAGAIN);
	assert_int_equal(jpeg_parse_size(frames[0].p, 1, &w, &h), -EAGAIN);
	assert_int_equal(jpeg_parse_size((const uint8_t *)"GIF89a....", 10, &w, &h), -EPROTO);
	free(prog.p);
}

static void test_jpeg_max_bytes(void **state)
{
	(void)state;
	assert_int_equal(jpeg_max_bytes(W, H), (size_t)W * H * 3 + 65536);
	assert_int_equal(jpeg_max_bytes(SOURCE_MAX_DIM, SOURCE_MAX_DIM), SOURCE_MAX_FRAME_BYTES);
}

/* ---- reader ---- */

static void test_good_stream(void **state)
{
	const struct source_info *info;
	struct buf b = {0};
	struct reader r;

	(void)state;
	for (int i = 0; i < NFRAMES; i++)
		buf_put(&b, frames[i].p, frames[i].len);
	reader_open_bytes(&r, b.p, b.len, 0);
	info = source_get_info(r.src);
	assert_string_equal(info->kind, "mjpeg");
	assert_int_equal(info->format, FRAME_JPEG);
	assert_int_equal(info->width, W);
	assert_int_equal(info->height, H);
	assert_true(info->fps == 0);
	assert_false(info->live);
	assert_int_equal(info->max_frame_bytes, jpeg_max_bytes(W, H));
	for (int i = 0; i < NFRAMES; i++) {
		expect_frame(&r, frames[i].p, frames[i].len, (uint64_t)i);
		assert_int_equal(r.slot.width, W);
		assert_int_equal(r.slot.height, H);
		assert_int_equal(r.slot.pts_ns, 0);     /* no rate in raw MJPEG */
	}
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_thumbnail_in_app1_does_not_split_frame(void **state)
{
	struct jpeg thumb = make_jpeg(16, 16, 7, 0);
	struct jpeg a = with_thumbnail(&frames[0], &thumb);
	struct jpeg c = with_thumbnail(&frames[2], &thumb);
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, a.p, a.len);
	buf_put(&b, frames[1].p, frames[1].len);
	buf_put(&b, c.p, c.len);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_int_equal(source_get_info(r.src)->width, W);    /* not the thumbnail's */
	expect_frame(&r, a.p, a.len, 0);
	expect_frame(&r, frames[1].p, frames[1].len, 1);
	expect_frame(&r, c.p, c.len, 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
	free(a.p);
	free(c.p);
	free(thumb.p);
}

static void test_progressive_frames_with_several_scans(void **state)
{
	struct jpeg p[3];
	struct buf b = {0};
	struct reader r;

	(void)state;
	for (int i = 0; i < 3; i++) {
		p[i] = make_jpeg(W, H, 10 + i, TJFLAG_PROGRESSIVE);
		buf_put(&b, p[i].p, p[i].len);
	}
	reader_open_bytes(&r, b.p, b.len, 0);
	for (int i = 0; i < 3; i++)
		expect_frame(&r, p[i].p, p[i].len, (uint64_t)i);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
	for (int i = 0; i < 3; i++)
		free(p[i].p);
}

static void test_stuffing_restart_markers_and_fill_bytes(void **state)
{
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, handmade, sizeof(handmade));
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, handmade, sizeof(handmade));
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, handmade, sizeof(handmade), 0);
	expect_frame(&r, frames[0].p, frames[0].len, 1);
	expect_frame(&r, handmade, sizeof(handmade), 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_garbage_between_frames_counts_once(void **state)
{
	static const uint8_t garbage[] = {
		0x00, 0x11, 0xFF, 0xD9, 0xFF, 0xD8, 0x00, 'j', 'u', 'n', 'k', 0xFF, 0xFF, 0x42,
	};
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, garbage, sizeof(garbage));
	buf_put(&b, frames[1].p, frames[1].len);
	buf_put(&b, frames[2].p, frames[2].len);
	buf_put(&b, garbage, sizeof(garbage));
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, frames[0].p, frames[0].len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	/* Garbage is no frame: the numbering is not moved on. */
	expect_frame(&r, frames[1].p, frames[1].len, 1);
	expect_frame(&r, frames[2].p, frames[2].len, 2);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);      /* trailing garbage */
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_frame_larger_than_slot_is_corrupt(void **state)
{
	struct jpeg big = make_jpeg(W * 2, H * 2, 77, 0);
	size_t cap = frames[0].len > frames[1].len ? frames[0].len : frames[1].len;
	struct buf b = {0};
	struct reader r;

	(void)state;
	assert_true(big.len > cap);
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, big.p, big.len);
	buf_put(&b, frames[1].p, frames[1].len);
	reader_open_bytes(&r, b.p, b.len, cap);
	expect_frame(&r, frames[0].p, frames[0].len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, frames[1].p, frames[1].len, 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
	free(big.p);
}

static void test_frame_without_eoi_is_corrupt(void **state)
{
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, frames[0].p, frames[0].len - 2);
	buf_put(&b, frames[1].p, frames[1].len);
	buf_put(&b, frames[2].p, frames[2].len - 2);
	buf_put(&b, frames[3].p, frames[3].len);
	reader_open_bytes(&r, b.p, b.len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, frames[1].p, frames[1].len, 1);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, frames[3].p, frames[3].len, 3);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_broken_marker_segment_counts_once(void **state)
{
	struct buf b = {0};
	uint8_t *bad;
	struct reader r;

	(void)state;
	/* Frame 1 with its second marker overwritten by non-marker bytes. */
	bad = malloc(frames[1].len);
	assert_non_null(bad);
	memcpy(bad, frames[1].p, frames[1].len);
	{
		/* The marker after the first segment (SOI stays intact). */
		size_t at = 4 + ((size_t)bad[4] << 8 | bad[5]);

		assert_int_equal(bad[at], 0xFF);
		bad[at] = 0x12;
	}
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, bad, frames[1].len);
	buf_put(&b, frames[2].p, frames[2].len);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, frames[0].p, frames[0].len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	expect_frame(&r, frames[2].p, frames[2].len, 2);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
	free(bad);
}

static void test_truncated_last_frame(void **state)
{
	struct buf b = {0};
	struct reader r;

	(void)state;
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, frames[1].p, frames[1].len / 2);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, frames[0].p, frames[0].len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);

	/* Cut in the headers, just after the SOI. */
	memset(&b, 0, sizeof(b));
	buf_put(&b, frames[0].p, frames[0].len);
	buf_put(&b, frames[1].p, 3);
	reader_open_bytes(&r, b.p, b.len, 0);
	expect_frame(&r, frames[0].p, frames[0].len, 0);
	assert_int_equal(reader_next(&r), SOURCE_CORRUPT);
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	free(b.p);
}

static void test_first_frame_without_size_is_an_error(void **state)
{
	static const uint8_t no_sof[] = {0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, 'h', 'i', 0xFF, 0xD9};

	(void)state;
	expect_open_fails(no_sof, sizeof(no_sof), -EPROTO, "JPEG");
}

static void test_reads_from_a_pipe(void **state)
{
	struct buf b = {0};
	struct feeder f;
	struct reader r;

	(void)state;
	for (int k = 0; k < 20; k++)
		for (int i = 0; i < NFRAMES; i++)
			buf_put(&b, frames[i].p, frames[i].len);
	feeder_start(&f, b.p, b.len, 333);
	reader_open(&r, f.path, 0);
	for (int k = 0; k < 20 * NFRAMES; k++) {
		const struct jpeg *j = &frames[k % NFRAMES];

		expect_frame(&r, j->p, j->len, (uint64_t)k);
	}
	assert_int_equal(reader_next(&r), SOURCE_EOF);
	reader_close(&r);
	feeder_join(&f);
	close(f.fd);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpeg_check),
		cmocka_unit_test(test_jpeg_parse_size),
		cmocka_unit_test(test_jpeg_max_bytes),
		cmocka_unit_test(test_good_stream),
		cmocka_unit_test(test_thumbnail_in_app1_does_not_split_frame),
		cmocka_unit_test(test_progressive_frames_with_several_scans),
		cmocka_unit_test(test_stuffing_restart_markers_and_fill_bytes),
		cmocka_unit_test(test_garbage_between_frames_counts_once),
		cmocka_unit_test(test_frame_larger_than_slot_is_corrupt),
		cmocka_unit_test(test_frame_without_eoi_is_corrupt),
		cmocka_unit_test(test_broken_marker_segment_counts_once),
		cmocka_unit_test(test_truncated_last_frame),
		cmocka_unit_test(test_first_frame_without_size_is_an_error),
		cmocka_unit_test(test_reads_from_a_pipe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
